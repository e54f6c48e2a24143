import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.search.osel import KNNRegressor, osel_score, osel_select


def test_knn_matches_scikit_learn():
    neighbors = pytest.importorskip("sklearn.neighbors")
    rng = np.random.default_rng(0)
    x, y, q = rng.normal(size=(500, 6)), rng.normal(size=500), rng.normal(size=(300, 6))
    ours = KNNRegressor(10).fit(x, y).predict(q)
    theirs = neighbors.KNeighborsRegressor(n_neighbors=10).fit(x, y).predict(q)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_osel_picks_the_percentile_whose_designs_reach_the_best_data():
    # data: y = x on [0, 1]; identity embedding. p=10's candidates sit near x = 0.95, p=20's near 0.5 and
    # p=30's near 0.7, so the k-NN predicts about 0.95 / 0.5 / 0.7 and OSEL must pick p=10.
    rng = np.random.default_rng(1)
    x = rng.random((2000, 1))
    knn = KNNRegressor(10).fit(x, x[:, 0])
    cands = {(10, 1000): 0.95 + 0.01 * rng.standard_normal((128, 1)),
             (20, 1000): 0.5 + 0.01 * rng.standard_normal((128, 1)),
             (30, 1000): 0.7 + 0.01 * rng.standard_normal((128, 1))}
    best, scores = osel_select(knn, cands)
    assert best == (10, 1000)
    assert scores[(10, 1000)] > scores[(30, 1000)] > scores[(20, 1000)]
    assert scores[(10, 1000)] == pytest.approx(0.96, abs=0.03)


def test_score_is_the_max_not_the_mean():
    x = np.linspace(0, 1, 101)[:, None]
    knn = KNNRegressor(1).fit(x, x[:, 0])
    spread = np.array([[0.0], [0.0], [0.9]])   # mean 0.3, max 0.9
    tight = np.array([[0.6], [0.6], [0.6]])    # mean 0.6, max 0.6
    assert osel_score(knn, spread) == pytest.approx(0.9)
    assert osel_select(knn, {"tight": tight, "spread": spread})[0] == "spread"


def test_bad_inputs():
    with pytest.raises(InvalidInputError):
        KNNRegressor(0)
    with pytest.raises(InvalidInputError, match="at least k"):
        KNNRegressor(10).fit(np.zeros((5, 2)), np.zeros(5))
    knn = KNNRegressor(2).fit(np.zeros((5, 2)), np.zeros(5))
    with pytest.raises(InvalidInputError):
        knn.predict(np.zeros((3, 4)))
    with pytest.raises(InvalidInputError):
        osel_select(knn, {})
