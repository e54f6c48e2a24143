import numpy as np
import pandas as pd
import pytest

from mbo_lib.evaluation import (aggregate, gain_percent, mean_normalized_rank, normalized_ranks, score_candidates,
                                within_published)
from mbo_lib.errors import InvalidInputError
from mbo_lib.tasks import make


@pytest.fixture(scope="module")
def tfbind8():
    return make("TFBind8-Exact-v0")


def test_score_candidates_percentiles_match_numpy_on_oracle_scores(tfbind8):
    rng = np.random.default_rng(0)
    designs = rng.integers(0, 4, (128, 8)).astype(np.int32)
    out = score_candidates(tfbind8, designs)
    raw = tfbind8.predict(designs)[:, 0].astype(np.float64)
    assert out["raw_p100"] == pytest.approx(raw.max())
    assert out["raw_p50"] == pytest.approx(np.median(raw))
    assert out["raw_p80"] == pytest.approx(np.percentile(raw, 80))
    # TF-Bind-8's full-data bounds are exactly (0, 1): normalized == raw
    assert out["norm_p100"] == pytest.approx(raw.max())
    assert len(out["scores"]) == 128


def test_score_candidates_accepts_logits(tfbind8):
    designs = np.random.default_rng(1).integers(0, 4, (128, 8)).astype(np.int32)
    a = score_candidates(tfbind8, designs)
    b = score_candidates(tfbind8, tfbind8.to_logits(designs))
    assert a["scores"] == b["scores"]


def test_score_candidates_rejects_empty(tfbind8):
    with pytest.raises(InvalidInputError):
        score_candidates(tfbind8, np.zeros((0, 8), np.int32))


def test_aggregate_uses_population_std():
    df = pd.DataFrame({"method": ["A"] * 4, "task": ["T"] * 4, "norm_p100": [1.0, 2.0, 3.0, 4.0]})
    out = aggregate(df).loc[("A", "T")]
    assert out["mean"] == 2.5 and out["std"] == pytest.approx(np.sqrt(1.25)) and out["n"] == 4


def test_gain_percent():
    assert gain_percent(1.1, 1.0) == pytest.approx(10.0)
    np.testing.assert_allclose(gain_percent([0.5, 0.9], [0.5, 1.0]), [0.0, -10.0])


def test_normalized_ranks_by_hand():
    table = pd.DataFrame({"T1": [0.9, 0.5, 0.7], "T2": [0.1, 0.3, np.nan]}, index=["A", "B", "C"])
    ranks = normalized_ranks(table)
    assert ranks.loc["A", "T1"] == pytest.approx(1 / 3) and ranks.loc["B", "T1"] == pytest.approx(1.0)
    assert ranks.loc["B", "T2"] == pytest.approx(1 / 2) and ranks.loc["A", "T2"] == pytest.approx(1.0)
    assert np.isnan(ranks.loc["C", "T2"])
    mnr = mean_normalized_rank(table)
    assert mnr["A"] == pytest.approx((1 / 3 + 1) / 2) and mnr["C"] == pytest.approx(2 / 3)


def test_within_published():
    assert within_published(0.95, 0.977, 0.025)
    assert not within_published(0.90, 0.977, 0.025)
