"""MATCH-OPT's Figure 1: how well a surrogate's input gradient matches the true gradient, in and out of the data.

The ``matchopt_shekel_figure`` notebook calls these. Task: ``Shekel-Synthetic-v0`` (4-D Shekel, negated to
maximize; the offline data are the bottom 50% of 10,000 uniform designs in ``[0, 10]^4``), whose true gradient is
available through ``task.oracle.torch``. Two surrogates with the same network, optimizer and number of epochs:

- ``regression``: MSE on shuffled minibatches of 128 (standard regression);
- ``MATCH-OPT``: the gradient-matching loss on monotone trajectories
  (:func:`mbo_lib.methods.matchopt.train_matchopt_surrogate`, the method's own training code).

Gradient error at a design ``x``: ``||grad g(x) - grad g_phi(x)||_2`` in the task's original units (the surrogate is
trained on z-scored x and y; its gradient is mapped back by ``y_std / x_std``). Regions, all disjoint from the
training designs (:func:`shekel_regions`):

- ``in data``: held-out designs from a fresh uniform pool whose true y is within the data's y range (the same
  distribution as the training data);
- ``above data``: designs from the same fresh pool whose true y exceeds the best training y (where an optimizer
  wants to go, never seen in training);
- ``data + N(0, s^2 I)``: training designs moved by isotropic Gaussian noise of std ``s`` (ours: a distance
  scale from the data);
- ``N(0, alpha I)``: the paper's out-of-distribution test inputs (MATCH-OPT, Figure 1 caption: test inputs drawn
  from ``N(0, alpha I)`` for several alpha), drawn literally in the task's input units: covariance ``alpha I``,
  i.e. std ``sqrt(alpha)`` per coordinate, centred at the origin (a corner of the data's box ``[0, 10]^4``, so
  the larger alpha, the more of the draws lie outside the box). The paper's alpha values are not given in the
  text we have; :data:`OOD_ALPHAS` are ours.

Shapes: designs ``n x 4``; gradients ``n x 4``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..design_space import DesignSpace
from ..methods import get_method
from ..methods.matchopt import train_matchopt_surrogate
from ..objectives import mse
from ..objectives.matchopt import gradient_matching_loss, monotone_trajectories
from ..surrogates import MLP, TrainConfig, train_surrogate
from ..tasks import make
from ..tasks.base import Task

SURROGATES = ("regression", "MATCH-OPT")
REGION_IN, REGION_ABOVE = "in data", "above data"
OOD_PREFIX = "N(0, "  # the paper's OOD regions are named "N(0, <alpha> I)"
OOD_ALPHAS = (0.5, 2.0, 8.0, 32.0)  # variances alpha of the paper's N(0, alpha I) test sets (values ours)


def ood_region_name(alpha: float) -> str:
    """The region name of the paper's ``N(0, alpha I)`` test set: ``"N(0, 2 I)"``."""
    return f"{OOD_PREFIX}{alpha:g} I)"


def ood_inputs(num_points: int, alpha: float, dim: int = 4, seed: int = 0) -> np.ndarray:
    """``num_points x dim`` float32 draws from ``N(0, alpha I)`` (covariance ``alpha I``: std ``sqrt(alpha)``).

    Example:
        >>> x = ood_inputs(20000, 4.0, seed=1)
        >>> x.shape, round(float(x.std()), 1)
        ((20000, 4), 2.0)
    """
    if alpha <= 0:
        raise ValueError(f"alpha is a variance and must be > 0, got {alpha}")
    rng = np.random.default_rng([seed, int(round(alpha * 1e6))])
    return (np.sqrt(alpha) * rng.standard_normal((num_points, dim))).astype(np.float32)

# Sizes per profile. The network, lr, m and alpha are MATCH-OPT's (its ``paper`` profile); the paper gives no
# epochs or test-set sizes for Figure 1, so these are ours.
SHEKEL_PROFILES = {
    "smoke": dict(hidden=[32, 16, 8], epochs=2, num_test=200),
    "quick": dict(hidden=[512, 128, 32], epochs=20, num_test=1000),
    "paper": dict(hidden=[512, 128, 32], epochs=200, num_test=2000),
}


def shekel_hyperparameters(profile: str) -> dict:
    """MATCH-OPT's hyperparameters at ``paper`` with the figure's sizes for ``profile``."""
    sizes = SHEKEL_PROFILES[profile]
    return get_method("MATCH-OPT").hyperparameters("paper", {"hidden": sizes["hidden"], "epochs": sizes["epochs"]})


def shekel_regions(task: Task, num_points: int, perturb_scales: Sequence[float] = (0.5, 1.0, 2.0),
                   pool_seed: int = 12345, seed: int = 0,
                   ood_alphas: Sequence[float] = OOD_ALPHAS) -> dict[str, np.ndarray]:
    """Test designs per region (see the module docstring); each region has ``num_points`` rows (float32).

    Args:
        task: the Shekel task (its ``x``, ``y`` are the training data).
        num_points: designs per region.
        perturb_scales: the noise stds ``s`` of the perturbed-data regions.
        ood_alphas: the variances ``alpha`` of the paper's ``N(0, alpha I)`` regions (last, in this order).
        pool_seed: seed of the fresh uniform pool (must differ from the task's own pool seed).
        seed: seed of the subsampling and of the perturbations.
    """
    if pool_seed == task.info.get("seed"):
        raise ValueError("pool_seed must differ from the task's pool seed (the test pool must be fresh)")
    pool = make(task.task_id, num_samples=max(20000, 4 * num_points), max_percentile=100.0, seed=pool_seed)
    rng = np.random.default_rng(seed)
    y_best = float(task.y.max())
    inside, above = pool.x[pool.y[:, 0] <= y_best], pool.x[pool.y[:, 0] > y_best]
    if min(len(inside), len(above)) < num_points:
        raise ValueError(f"the fresh pool has {len(inside)} / {len(above)} designs in / above the data range; "
                         f"need {num_points}")
    regions = {REGION_IN: inside[rng.choice(len(inside), num_points, replace=False)],
               REGION_ABOVE: above[rng.choice(len(above), num_points, replace=False)]}
    for s in perturb_scales:
        base = task.x[rng.choice(len(task.x), num_points)]
        regions[f"data + N(0, {s:g}^2 I)"] = (base + s * rng.standard_normal(base.shape)).astype(np.float32)
    for alpha in ood_alphas:
        regions[ood_region_name(alpha)] = ood_inputs(num_points, alpha, task.x.shape[1], seed)
    return regions


def ood_verdict(table: pd.DataFrame) -> str:
    """One sentence on the paper's claim from :func:`region_table` rows: on how many of the ``N(0, alpha I)``
    regions MATCH-OPT's gradient error is detectably lower / higher than regression's (paired over seeds)."""
    ood = table[table["region"].str.startswith(OOD_PREFIX)] if len(table) else table
    if ood.empty:
        return "No N(0, alpha I) region in the table: the paper's claim is not tested here."
    lower = int((ood["verdict"] == "MATCH-OPT lower").sum())
    higher = int((ood["verdict"] == "MATCH-OPT higher").sum())
    return (f"On the paper's N(0, alpha I) test sets ({', '.join(ood['region'])}): MATCH-OPT's gradient error is "
            f"detectably lower on {lower}, detectably higher on {higher} and not detectably different on "
            f"{len(ood) - lower - higher} of {len(ood)} (paired over n = {int(ood['n'].min())} seeds).")


def fit_shekel_surrogate(task: Task, kind: str, hp: dict, seed: int, device="cpu") -> tuple[nn.Module, object]:
    """Train the ``kind`` surrogate (``"regression"`` or ``"MATCH-OPT"``) on the task data; returns (model, log)."""
    space = DesignSpace(task)
    x, y = space.encode(task.x), space.encode_y(task.y)
    if kind == "MATCH-OPT":
        return train_matchopt_surrogate(x, y, hp, seed=seed, device=device, progress=False)
    if kind != "regression":
        raise ValueError(f"kind must be one of {SURROGATES}, got {kind!r}")
    torch.manual_seed(seed)
    model = MLP(x.shape[1], hp["hidden"], activation="leaky_relu", negative_slope=hp["negative_slope"])
    config = TrainConfig(epochs=hp["epochs"], batch_size=hp["num_bins"], lr=hp["lr"], val_size=hp["val_size"])
    return model, train_surrogate(model, x, y, mse, config, seed=seed, device=device, progress=False)


def surrogate_gradient(model: nn.Module, space: DesignSpace, x: np.ndarray) -> np.ndarray:
    """``n x d`` input gradient of the surrogate in original units: ``grad_z g_phi(z) * y_std / x_std``."""
    device = next(model.parameters()).device
    z = torch.as_tensor(space.encode(x), device=device).requires_grad_(True)
    (grad,) = torch.autograd.grad(model(z).sum(), z)
    return grad.cpu().numpy().astype(np.float64) * space.y_std / space.x_std


def true_gradient(task: Task, x: np.ndarray) -> np.ndarray:
    """``n x d`` gradient of the task's objective (``task.oracle.torch``) in float64."""
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float64).requires_grad_(True)
    (grad,) = torch.autograd.grad(task.oracle.torch(xt).sum(), xt)
    return grad.numpy()


def gradient_error_frame(task: Task, models: dict[tuple[str, int], nn.Module],
                         regions: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per (surrogate, seed, region, design): ``error`` = ||true - surrogate gradient||, ``true_norm``,
    ``relative_error`` = error / true_norm and ``cosine`` between the two gradients."""
    space = DesignSpace(task)
    rows = []
    for region, x in regions.items():
        g_true = true_gradient(task, x)
        true_norm = np.linalg.norm(g_true, axis=1)
        for (kind, seed), model in models.items():
            g = surrogate_gradient(model, space, x)
            error = np.linalg.norm(g_true - g, axis=1)
            cosine = (g_true * g).sum(1) / np.maximum(true_norm * np.linalg.norm(g, axis=1), 1e-30)
            rows.append(pd.DataFrame({"surrogate": kind, "seed": seed, "region": region, "error": error,
                                      "true_norm": true_norm, "relative_error": error / true_norm,
                                      "cosine": cosine}))
    return pd.concat(rows, ignore_index=True)


def summarize_gradient_errors(frame: pd.DataFrame, value: str = "error") -> pd.DataFrame:
    """Per (region, surrogate): the median of ``value`` over designs for each seed, then
    :func:`mbo_lib.stats.summarize` of those medians over seeds (mean, population std, n, 95% interval ``low`` /
    ``high``). Regions keep their order of appearance."""
    from .. import stats

    per_seed = frame.groupby(["region", "surrogate", "seed"], sort=False)[value].median().reset_index()
    return stats.summarize(per_seed, value, by=("region", "surrogate"))


def plot_gradient_errors(summary: pd.DataFrame, ax, ylabel: str = "median ||grad g - grad g_phi||"):
    """Grouped bars: one group per region, one bar per surrogate (mean over seeds), error bars = 95% interval of
    the mean over seeds (none for one seed)."""
    regions = list(dict.fromkeys(summary["region"]))
    kinds = list(dict.fromkeys(summary["surrogate"]))
    width = 0.8 / len(kinds)
    for i, kind in enumerate(kinds):
        part = summary[summary["surrogate"] == kind].set_index("region").reindex(regions)
        err = np.vstack([part["mean"] - part["low"], part["high"] - part["mean"]]).astype(float)
        ax.bar(np.arange(len(regions)) + (i - (len(kinds) - 1) / 2) * width, part["mean"], width,
               yerr=np.nan_to_num(err), capsize=3, label=kind)
    ax.set_xticks(np.arange(len(regions)), regions, rotation=15)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def riemann_bias_table(model: nn.Module, task: Task, num_points_list: Sequence[int] = (1, 5, 20, 100),
                       num_paths: int = 10, seed: int = 0) -> pd.DataFrame:
    """Gradient-matching loss (alpha = 0) of ``model`` on ``num_paths`` monotone trajectories of the task data for
    several numbers of left-Riemann points m: how far the m-point sum is from the exact line integral.

    Returns:
        one row per m with ``grad_match`` (mean loss over paths), ``mean_predicted_difference`` and
        ``mean_observed_difference`` (z-scored y units).
    """
    space = DesignSpace(task)
    x, y = space.encode(task.x), space.encode_y(task.y)
    paths = monotone_trajectories(y, 128)(np.random.default_rng(seed), np.arange(len(y)))[:num_paths]
    device = next(model.parameters()).device
    xt, yt = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
    observed = float(np.mean([(y[p][1:] - y[p][:-1]).mean() for p in paths]))
    rows = []
    for m in num_points_list:
        logs = [gradient_matching_loss(model, xt[p], yt[p], m, 0.0)[1] for p in paths]
        rows.append({"m": m, "grad_match": float(np.mean([lg["grad_match"] for lg in logs])),
                     "mean_predicted_difference": float(np.mean([lg["grad_match_pred_diff"] for lg in logs])),
                     "mean_observed_difference": observed})
    return pd.DataFrame(rows)


def region_table(frame: pd.DataFrame, value: str = "error", regions: Sequence[str] | None = None) -> pd.DataFrame:
    """Per region: each surrogate's per-seed median ``value`` as ``mean ± population std [95% CI]`` over seeds,
    ``n`` seeds, the ratio of the means (MATCH-OPT / regression), and the paired comparison on the same seeds
    (:func:`mbo_lib.stats.paired_gain`, MATCH-OPT minus regression): difference, its 95% interval and the verdict
    ("MATCH-OPT lower" / "MATCH-OPT higher" / "no detectable difference")."""
    from .. import stats

    per_seed = frame.groupby(["region", "surrogate", "seed"], sort=False)[value].median().reset_index()
    cells = stats.summarize(per_seed, value, by=("region", "surrogate")).set_index(["region", "surrogate"])
    pairs = stats.paired_frame(per_seed, value, "surrogate", "MATCH-OPT", "regression", by=("region",))
    words = {"improves": "MATCH-OPT higher", "worsens": "MATCH-OPT lower", "no detectable change":
             "no detectable difference"}
    rows = []
    for _, p in pairs.iterrows():
        row = {"region": p["region"]}
        for kind in ("regression", "MATCH-OPT"):
            key = (p["region"], kind)
            row[kind] = stats.fmt_inline(cells.loc[key], 4) if key in cells.index else "—"
        ci = "—" if np.isnan(p["diff_low"]) else f"[{p['diff_low']:+.3g}, {p['diff_high']:+.3g}]"  # errors are small
        row.update({"n": int(p["n"]), "MATCH-OPT / regression": p["with_mean"] / p["without_mean"],
                    "difference": f"{p['diff']:+.3g}", "difference 95% CI": ci,
                    "verdict": words.get(p["verdict"], p["verdict"])})
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.set_index("region").reindex(list(regions)).reset_index() if regions is not None and len(out) else out


def training_table(train: pd.DataFrame, columns: Sequence[str] = ("train_mse", "train_grad_match", "seconds"),
                   digits: int = 4) -> pd.DataFrame:
    """Per surrogate: ``mean ± population std [95% CI]`` over seeds of each training statistic, and ``n``."""
    from .. import stats

    cells = {c: stats.summarize(train, c, by=("surrogate",)).set_index("surrogate") for c in columns}
    first = cells[columns[0]]
    table = pd.DataFrame({c: [stats.fmt_inline(cells[c].loc[s], digits) for s in first.index] for c in columns},
                         index=first.index)
    table["n"] = first["n"].astype(int)
    return table
