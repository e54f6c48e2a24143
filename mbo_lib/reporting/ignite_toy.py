"""IGNITE's 1-D illustration: a surrogate fitted to sparse clusters, with and without the gradient-norm constraint.

The ``ignite_toy_1d`` notebook calls these. The data are a few tight clusters of noisy samples of a smooth
function; between and beyond the clusters the surrogate is unconstrained by data, which is where the offline
optimizer's candidates end up. Every fit goes through the shared trainer with the regularizer's hooks from
:func:`mbo_lib.objectives.regularizer_factory`, exactly as a method's surrogate would.

Shapes: ``x`` is ``n x 1``, ``y`` is ``n x 1``; a grid is ``g x 1``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch

from ..objectives import mse, regularizer_factory, sharpness
from ..surrogates import MLP, TrainConfig, train_surrogate

TOY_CENTERS = (-2.0, -0.3, 1.2)

# Sizes per profile (the paper gives no settings for its 1-D figure; these are ours).
TOY_PROFILES = {
    "smoke": dict(hidden=(32, 32), epochs=20, num_per_cluster=8),
    "quick": dict(hidden=(64, 64), epochs=300, num_per_cluster=16),
    "paper": dict(hidden=(64, 64), epochs=1000, num_per_cluster=16),
}


def toy_function(x: np.ndarray) -> np.ndarray:
    """The smooth ground truth ``sin(2x) + 0.3 x`` (elementwise)."""
    return np.sin(2 * x) + 0.3 * x


def toy_1d_data(num_per_cluster: int = 16, centers: Sequence[float] = TOY_CENTERS, spread: float = 0.15,
                noise: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sparse data: ``num_per_cluster`` points ``N(c, spread^2)`` around each center, ``y = f(x) + N(0, noise^2)``.

    Returns:
        ``(x, y)``, float32 arrays of shape ``(len(centers) * num_per_cluster) x 1``.
    """
    rng = np.random.default_rng(seed)
    x = np.concatenate([c + spread * rng.standard_normal(num_per_cluster) for c in centers])[:, None]
    y = toy_function(x) + noise * rng.standard_normal(x.shape)
    return x.astype(np.float32), y.astype(np.float32)


def far_from_data(grid: np.ndarray, centers: Sequence[float] = TOY_CENTERS, distance: float = 0.8) -> np.ndarray:
    """The rows of ``grid`` (``g x 1``) farther than ``distance`` from every cluster center."""
    gap = np.min(np.abs(grid - np.asarray(centers, dtype=grid.dtype)[None, :]), axis=1)
    return grid[gap > distance]


def fit_toy_surrogates(x: np.ndarray, y: np.ndarray, variants: dict[str, dict | None], seeds: Sequence[int], *,
                       hidden: Sequence[int], epochs: int, batch_size: int = 16, lr: float = 1e-3,
                       device="cpu") -> list[dict]:
    """Train one ReLU MLP per (variant, seed) through :func:`train_surrogate` with MSE.

    Args:
        x, y: ``n x 1`` training data.
        variants: ``{label: regularizer spec or None}``, e.g. ``{"plain": None, "IGNITE": {"name": "ignite"}}``.
        seeds: model initialisation and minibatch order; the same seed gives every variant the same init.
        hidden, epochs, batch_size, lr: the MLP widths and the training settings (no validation split).
        device: where to train.

    Returns:
        one dict per fit: ``variant``, ``seed``, ``model`` (on CPU, eval mode), ``log`` (``TrainingLog``).
    """
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, val_size=0)
    fits = []
    for label, spec in variants.items():
        make_hooks = regularizer_factory(spec) if spec else list
        for seed in seeds:
            torch.manual_seed(seed)
            model = MLP(1, hidden)
            log = train_surrogate(model, x, y, mse, config, seed=seed, hooks=make_hooks(), device=device,
                                  progress=False, desc=f"{label} seed {seed}")
            fits.append({"variant": label, "seed": seed, "model": model.cpu().eval(), "log": log})
    return fits


def predict(model: torch.nn.Module, grid: np.ndarray) -> np.ndarray:
    """``model`` on a ``g x 1`` grid -> ``g`` predictions."""
    with torch.no_grad():
        return model(torch.as_tensor(grid, dtype=torch.float32))[:, 0].numpy()


def toy_summary(fits: list[dict], x: np.ndarray, y: np.ndarray, grid: np.ndarray, rho: float = 0.05) -> pd.DataFrame:
    """Per fit: training MSE, ``rho * ||grad_w h||`` on the data and on the grid points far from the data, and
    the mean absolute slope ``|df/dx|`` of the fit on those far points (finite differences on the grid)."""
    far = far_from_data(grid)
    rows = []
    for fit in fits:
        model = fit["model"]
        pred_grid = predict(model, grid)
        slope = np.abs(np.gradient(pred_grid, grid[:, 0]))
        far_mask = np.isin(grid[:, 0], far[:, 0])
        rows.append({"variant": fit["variant"], "seed": fit["seed"],
                     "train_mse": float(np.mean((predict(model, x) - y[:, 0]) ** 2)),
                     "sharpness_data": sharpness(model, x, rho), "sharpness_far": sharpness(model, far, rho),
                     "abs_slope_far": float(slope[far_mask].mean())})
    return pd.DataFrame(rows)


def summary_table(summary: pd.DataFrame, columns: Sequence[str] = ("train_mse", "sharpness_data", "sharpness_far",
                                                                   "abs_slope_far")) -> pd.DataFrame:
    """:func:`toy_summary` rows -> one row per variant: ``"mean ± population std [95% CI]"`` over seeds (3
    decimals, :func:`mbo_lib.stats.fmt_inline`) and ``n``."""
    from .. import stats

    cells = {c: stats.summarize(summary, c, by=("variant",)).set_index("variant") for c in columns}
    table = pd.DataFrame({c: [stats.fmt_inline(r) for _, r in cells[c].iterrows()] for c in columns},
                         index=pd.Index(cells[columns[0]].index, name="variant"))
    table["n"] = cells[columns[0]]["n"].astype(int).values
    return table


def plot_toy_fits(fits: list[dict], x: np.ndarray, y: np.ndarray, grid: np.ndarray, ax=None, seed: int | None = None):
    """The fits of one seed (default: the first) over ``grid``, the data and the true function."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    seed = fits[0]["seed"] if seed is None else seed
    ax.plot(grid[:, 0], toy_function(grid[:, 0]), color="grey", ls="--", lw=1, label="true function")
    for fit in (f for f in fits if f["seed"] == seed):
        ax.plot(grid[:, 0], predict(fit["model"], grid), lw=2, label=fit["variant"])
    ax.scatter(x[:, 0], y[:, 0], s=12, color="black", zorder=3, label="training data")
    ax.set_xlabel("x")
    ax.set_ylabel("surrogate prediction")
    ax.legend(fontsize=8)
    return ax


def plot_ignite_logs(fits: list[dict], axes=None):
    """Per-epoch ``rho * ||grad_w h||`` (mean over minibatches) and lambda (after the epoch) of the IGNITE fits;
    one line per (variant, seed). Needs two axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3))
    for fit in fits:
        frame = fit["log"].frame()
        if "ignite_sharpness" not in frame:
            continue
        label = f"{fit['variant']} seed {fit['seed']}"
        axes[0].plot(frame.epoch, frame.ignite_sharpness, label=label)
        axes[1].plot(frame.epoch, frame.ignite_lambda_end, label=label)
    axes[0].set_ylabel(r"$\rho \, \|\nabla_w h\|$ (epoch mean)")
    axes[1].set_ylabel(r"$\lambda$ (end of epoch)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    return axes
