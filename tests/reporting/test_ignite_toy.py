"""Tests of mbo_lib/reporting/ignite_toy.py (the ignite_toy_1d notebook's helpers)."""
import numpy as np
import pandas as pd
import pytest
import torch

from mbo_lib.reporting import ignite_toy as toy


def test_toy_data_are_seeded_clusters_of_the_true_function():
    x, y = toy.toy_1d_data(10, seed=3)
    x2, y2 = toy.toy_1d_data(10, seed=3)
    assert x.shape == y.shape == (30, 1) and x.dtype == np.float32
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert np.abs(y - toy.toy_function(x)).max() < 0.3  # noise 0.05: within 6 sigma
    for i, c in enumerate(toy.TOY_CENTERS):
        assert abs(x[10 * i:10 * (i + 1)].mean() - c) < 0.2


def test_far_from_data_keeps_only_points_away_from_every_center():
    grid = np.array([[-2.0], [-1.0], [0.45], [3.0]], dtype=np.float32)
    far = toy.far_from_data(grid, centers=(-2.0, -0.3, 1.2), distance=0.8)
    assert far[:, 0].tolist() == [3.0]  # -1.0 is 0.7 from -0.3; 0.45 is 0.75 from both -0.3 and 1.2


def test_fits_share_the_init_and_the_summary_reads_them():
    x, y = toy.toy_1d_data(4)
    grid = np.linspace(-5, 5, 101, dtype=np.float32)[:, None]
    variants = {"plain": None, "IGNITE": {"name": "ignite", "lambda_init": 0.0, "eta_lambda": 0.0}}
    fits = toy.fit_toy_surrogates(x, y, variants, [0], hidden=(8,), epochs=2, batch_size=4)
    # lambda = 0 throughout: the IGNITE hook adds nothing, so both fits are the same network
    for a, b in zip(fits[0]["model"].parameters(), fits[1]["model"].parameters()):
        torch.testing.assert_close(a, b)
    summary = toy.toy_summary(fits, x, y, grid)
    assert list(summary.variant) == ["plain", "IGNITE"]
    assert summary.sharpness_data.iloc[0] == pytest.approx(summary.sharpness_data.iloc[1])
    table = toy.summary_table(pd.concat([summary, summary.assign(seed=1, train_mse=summary.train_mse + 1)]))
    assert table.loc["plain", "n"] == 2 and " ± 0.500 [" in table.loc["plain", "train_mse"]
    mse = summary.train_mse.iloc[0]  # seeds: mse and mse + 1 -> mean mse + 0.5, t-interval ± 12.706 * 0.5
    assert table.loc["plain", "train_mse"].endswith(f"[{mse + 0.5 - 6.353:.3f}, {mse + 0.5 + 6.353:.3f}]")
