"""Tests of ``mbo_lib/tasks/synthetic.py``: oracles against BoTorch's test functions, the seeded pool, the filter."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from botorch.test_functions import synthetic as bt

from mbo_lib.errors import InvalidInputError
from mbo_lib.tasks import make

CASES = [("Ackley", bt.Ackley, 10), ("Ackley", bt.Ackley, 3), ("Rosenbrock", bt.Rosenbrock, 10),
         ("Levy", bt.Levy, 10), ("Levy", bt.Levy, 2), ("Shekel", bt.Shekel, 4)]
SMALL = dict(num_samples=500)  # keeps each build fast


def botorch_function(cls, dim):
    """BoTorch's function as a minimization problem (negate=False): the reference ``g``."""
    return cls() if cls is bt.Shekel else cls(dim=dim)


def make_case(name, dim, **kwargs):
    return make(f"{name}-Synthetic-v0", **({} if name == "Shekel" else {"dim": dim}), **kwargs)


@pytest.mark.parametrize("name, cls, dim", CASES)
def test_oracle_at_the_known_optimizers_is_minus_the_optimal_value(name, cls, dim):
    g = botorch_function(cls, dim)
    task = make_case(name, dim, **SMALL)
    value = task.predict(g.optimizers.numpy())
    assert value.shape == (g.optimizers.shape[0], 1) and value.dtype == np.float32
    np.testing.assert_allclose(value, -g.optimal_value, atol=1e-5, rtol=1e-5)
    assert task.info["optimal_value"] == pytest.approx(-g.optimal_value, abs=1e-6)  # the maximum of the oracle
    assert value.max() >= task.y_max  # no pool point beats the optimum


@pytest.mark.parametrize("name, cls, dim", CASES)
def test_oracle_is_the_negated_botorch_function(name, cls, dim):
    g = botorch_function(cls, dim)
    task = make_case(name, dim, **SMALL)
    lo, hi = g.bounds.numpy()
    # A margin inside the box so that float32 rounding cannot leave it (BoTorch's forward checks the box).
    x = (lo + (hi - lo) * (0.01 + 0.98 * np.random.default_rng(0).random((300, dim)))).astype(np.float32)
    expected = -g(torch.as_tensor(x, dtype=torch.float64)).numpy().astype(np.float32).reshape(-1, 1)
    np.testing.assert_allclose(task.predict(x), expected, rtol=1e-6, atol=1e-6)
    # Designs outside the box are scored by the same formula (gradient ascent may leave the box); BoTorch's forward
    # refuses them, so the reference is its formula itself.
    outside = x + (hi - lo).astype(np.float32)
    expected_out = -g._evaluate_true(torch.as_tensor(outside, dtype=torch.float64)).numpy().astype(np.float32)
    np.testing.assert_allclose(task.predict(outside).reshape(-1), expected_out, rtol=1e-6, atol=1e-6)


def test_task_shapes_and_bounds_box():
    task = make("Ackley-Synthetic-v0", dim=5, **SMALL)
    assert task.x.shape == (250, 5) and task.x.dtype == np.float32 and task.y.shape == (250, 1)
    assert task.bounds.shape == (2, 5)
    assert (task.x >= task.bounds[0]).all() and (task.x <= task.bounds[1]).all()
    assert not task.is_discrete


def test_pool_is_reproducible_by_seed():
    a = make("Levy-Synthetic-v0", dim=4, seed=3, **SMALL)
    b = make("Levy-Synthetic-v0", dim=4, seed=3, **SMALL)
    c = make("Levy-Synthetic-v0", dim=4, seed=4, **SMALL)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("max_percentile", [20.0, 50.0])
def test_filter_keeps_the_bottom_percentile_and_bounds_are_the_full_pool(max_percentile):
    pool = make("Rosenbrock-Synthetic-v0", dim=6, max_percentile=100.0, seed=1, **SMALL)
    assert pool.dataset_size == 500  # max_percentile=100 keeps the whole pool
    task = make("Rosenbrock-Synthetic-v0", dim=6, max_percentile=max_percentile, seed=1, **SMALL)
    cut = np.percentile(pool.y, max_percentile)
    keep = pool.y[:, 0] <= cut
    np.testing.assert_array_equal(task.x, pool.x[keep])  # same rows, in pool order
    np.testing.assert_array_equal(task.y, pool.y[keep])
    assert task.dataset_size == pytest.approx(500 * max_percentile / 100, abs=1)
    assert (task.y_min, task.y_max) == (float(pool.y.min()), float(pool.y.max()))
    assert task.y_max > task.y.max()  # the hidden top is above the visible data


def test_shekel_is_four_dimensional_only():
    assert make("Shekel-Synthetic-v0", **SMALL).x.shape[1] == 4
    assert make("Shekel-Synthetic-v0", dim=4, **SMALL).x.shape[1] == 4
    with pytest.raises(InvalidInputError, match=r"Shekel is defined only in dimension 4, got dim=5"):
        make("Shekel-Synthetic-v0", dim=5)


def test_bad_sizes_are_rejected():
    with pytest.raises(InvalidInputError, match="dim >= 1"):
        make("Ackley-Synthetic-v0", dim=0)
    with pytest.raises(InvalidInputError, match="num_samples"):
        make("Ackley-Synthetic-v0", num_samples=5)
