import numpy as np
import pandas as pd
import pytest
import torch

from mbo_lib.design_space import DesignSpace
from mbo_lib.reporting import matchopt_shekel as fig1
from mbo_lib.tasks import make


@pytest.fixture(scope="module")
def task():
    return make("Shekel-Synthetic-v0")


def test_regions_are_where_they_claim(task):
    regions = fig1.shekel_regions(task, 50, perturb_scales=(1.0,), ood_alphas=(0.5, 8.0))
    assert list(regions) == [fig1.REGION_IN, fig1.REGION_ABOVE, "data + N(0, 1^2 I)", "N(0, 0.5 I)", "N(0, 8 I)"]
    assert all(x.shape == (50, 4) for x in regions.values())
    assert (task.predict(regions[fig1.REGION_IN]) <= task.y.max()).all()
    assert (task.predict(regions[fig1.REGION_ABOVE]) > task.y.max()).all()
    train = {tuple(row) for row in task.x.tolist()}
    assert not any(tuple(row) in train for x in regions.values() for row in x.tolist())
    with pytest.raises(ValueError, match="fresh"):
        fig1.shekel_regions(task, 10, pool_seed=task.info["seed"])


def test_true_gradient_matches_finite_differences(task):
    x = task.x[:5].astype(np.float64)
    grad = fig1.true_gradient(task, x)
    eps = 1e-6
    for j in range(4):
        step = np.zeros(4)
        step[j] = eps
        fd = (task.oracle.torch(torch.as_tensor(x + step)) - task.oracle.torch(torch.as_tensor(x - step))) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], fd.numpy(), rtol=1e-5, atol=1e-9)


def test_surrogate_gradient_is_in_original_units(task):
    space = DesignSpace(task)
    model = torch.nn.Linear(4, 1)
    grad = fig1.surrogate_gradient(model, space, task.x[:3])
    expected = model.weight.detach().numpy()[0].astype(np.float64) * space.y_std / space.x_std
    np.testing.assert_allclose(grad, np.tile(expected, (3, 1)), rtol=1e-6)


def test_summary_is_mean_and_population_std_of_per_seed_medians():
    frame = pd.DataFrame({"region": ["a"] * 6, "surrogate": ["r"] * 6, "seed": [0, 0, 0, 1, 1, 1],
                          "error": [1.0, 2.0, 9.0, 3.0, 4.0, 5.0]})
    row = fig1.summarize_gradient_errors(frame).iloc[0]
    assert (row["mean"], row["std"], row["n"]) == (3.0, 1.0, 2)  # medians 2 and 4
    half = 12.706204736 * np.sqrt(2.0) / np.sqrt(2)  # t_{0.975,1} * sample std / sqrt(n)
    assert (row["low"], row["high"]) == pytest.approx((3.0 - half, 3.0 + half))


def test_smoke_fit_and_frame():
    task = make("Shekel-Synthetic-v0", num_samples=600)  # 300 designs: 2 trajectories per epoch
    hp = fig1.shekel_hyperparameters("smoke")
    models = {(kind, 0): fig1.fit_shekel_surrogate(task, kind, hp, seed=0)[0] for kind in fig1.SURROGATES}
    regions = fig1.shekel_regions(task, 20, perturb_scales=(), ood_alphas=())
    frame = fig1.gradient_error_frame(task, models, regions)
    assert len(frame) == 2 * 2 * 20 and np.isfinite(frame[["error", "cosine"]].to_numpy()).all()
    bias = fig1.riemann_bias_table(models["regression", 0], task, num_points_list=(1, 5), num_paths=2)
    assert list(bias["m"]) == [1, 5] and (bias["grad_match"] >= 0).all()
    with pytest.raises(ValueError, match="kind"):
        fig1.fit_shekel_surrogate(task, "ridge", hp, seed=0)


def test_ood_inputs_are_the_papers_gaussian_with_variance_alpha():
    """MATCH-OPT's Figure 1 draws OOD test inputs from N(0, alpha I): mean 0, covariance alpha I (not alpha^2)."""
    for alpha in (0.5, 8.0):
        x = fig1.ood_inputs(40000, alpha, dim=4, seed=3)
        assert x.shape == (40000, 4) and x.dtype == np.float32
        assert np.abs(x.mean(0)).max() < 0.05 * np.sqrt(alpha)
        np.testing.assert_allclose(np.cov(x.T), alpha * np.eye(4), atol=0.05 * alpha)
    assert not np.array_equal(fig1.ood_inputs(10, 1.0), fig1.ood_inputs(10, 2.0) / np.sqrt(2))  # own draws per alpha
    np.testing.assert_array_equal(fig1.ood_inputs(10, 2.0, seed=1), fig1.ood_inputs(10, 2.0, seed=1))
    with pytest.raises(ValueError, match="variance"):
        fig1.ood_inputs(10, 0.0)
    assert fig1.ood_region_name(0.5) == "N(0, 0.5 I)" and fig1.ood_region_name(8.0).startswith(fig1.OOD_PREFIX)


def test_ood_verdict_counts_only_the_papers_regions():
    table = pd.DataFrame({"region": [fig1.REGION_IN, "data + N(0, 1^2 I)", "N(0, 0.5 I)", "N(0, 8 I)"],
                          "verdict": ["MATCH-OPT higher", "MATCH-OPT higher", "MATCH-OPT lower",
                                      "no detectable difference"], "n": [4, 4, 4, 3]})
    text = fig1.ood_verdict(table)
    assert "detectably lower on 1, detectably higher on 0 and not detectably different on 1 of 2" in text
    assert "n = 3" in text and "not tested" in fig1.ood_verdict(table.iloc[:2])
