"""MATCH-OPT's surrogate objective: gradient matching along monotone trajectories of the offline data.

Hoang, Fadhel, Deshwal, Doppa, Hoang, "Learning Surrogates for Offline Black-Box Optimization via Gradient
Matching", ICML 2024 (arXiv 2503.01883), Section 4 ("black-box gradient matching"); official code
``azzafadhel/MatchOpt``, ``gm_surrogate_traj_sampling.py`` (``loss_fn``, ``create_buckets``, ``create_batches``).

The gradient theorem says that for any two designs ``x_u, x_v`` the true objective ``g`` satisfies
``g(x_v) - g(x_u) = integral_0^1 grad g(x_u + t (x_v - x_u)) . (x_v - x_u) dt``. The offline data give the left side
but not the gradient, so MATCH-OPT trains the surrogate ``g_phi`` so that the same line integral of *its* gradient
reproduces the observed differences (the gradient-matching loss of Section 4; we write the formula out below rather
than quote an equation number we could not check against the published PDF here):

    L(phi) = mean_{(u, v)} ( (1/m) sum_{k=0}^{m-1} grad g_phi(x_u + (k/m)(x_v - x_u)) . (x_v - x_u) - (y_v - y_u) )^2
             + alpha * mean_i (g_phi(x_i) - y_i)^2

The integral is the m-point left Riemann sum (``t in {0, 1/m, ..., (m-1)/m}``, m = 5 in the code); the pairs
``(u, v)`` are consecutive points of a *monotone trajectory*: one random design from each of 128 equal-count
y-bins, ordered by y (:func:`monotone_trajectories`). ``alpha = 1`` in the official code; ``alpha = 0`` is the
paper's ablation without the regression term.

Implementation note: every input gradient comes from one vector-Jacobian product. Each output row of an MLP depends
only on its own input row, so ``grad_x sum_i g(x_i)`` is the stack of per-row gradients. All ``m (B - 1)``
interpolation points (plus the path itself, for the regression term) go through one forward pass and one VJP with
``create_graph=True`` so the loss trains the weights. The official code instead builds the full ``B x B x D``
Jacobian of the batch and keeps its diagonal (``benchmarks/bench_matchopt.py`` measures the difference). The trick
is exact only for models without cross-row coupling (no batch norm in training mode).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import InvalidInputError


def input_gradients(model: nn.Module, x: torch.Tensor, create_graph: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions and per-row input gradients of ``model`` with one vector-Jacobian product.

    Args:
        model: maps ``n x D`` to ``n x 1`` row by row.
        x: ``n x D`` inputs (need not require grad).
        create_graph: keep the graph so that a loss of the gradients can be backpropagated to the weights.

    Returns:
        ``(pred, grad)``: ``n x 1`` predictions and ``n x D`` gradients ``grad_x g(x_i)``.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        pred = model(x)
        (grad,) = torch.autograd.grad(pred.sum(), x, create_graph=create_graph)
    return pred, grad


def riemann_points(x_u: torch.Tensor, x_v: torch.Tensor, num_points: int) -> torch.Tensor:
    """The left-Riemann points ``x_u + (k/m)(x_v - x_u)``, ``k = 0..m-1``, stacked ``k``-major: ``m n x D``."""
    t = torch.arange(num_points, dtype=x_u.dtype, device=x_u.device).div_(num_points).view(-1, 1, 1)
    return (x_u.unsqueeze(0) + t * (x_v - x_u).unsqueeze(0)).reshape(-1, x_u.shape[1])


def gradient_matching_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_points: int = 5,
                           alpha: float = 1.0) -> tuple[torch.Tensor, dict]:
    """MATCH-OPT's loss on one path (see the module docstring for the formula).

    Args:
        model: the surrogate, ``n x D -> n x 1`` row by row.
        x: ``B x D`` designs of the path, in order (consecutive rows form the pairs ``(x_u, x_v)``).
        y: ``B x 1`` their scores.
        num_points: m, the points of the left Riemann sum of the line integral.
        alpha: weight of the regression term ``mean (g(x) - y)^2`` (0 = gradient matching only).

    Returns:
        ``(loss, logs)`` with logs ``grad_match`` (the first term), ``mse`` (the regression MSE, logged whatever
        alpha is) and ``grad_match_pred_diff`` (mean predicted difference, a sanity signal).
    """
    if x.ndim != 2 or y.shape != (x.shape[0], 1) or x.shape[0] < 2:
        raise InvalidInputError(f"need a path x of shape (B >= 2, D) and y of shape (B, 1), got {tuple(x.shape)=}, "
                                f"{tuple(y.shape)=}")
    x_u, x_v = x[:-1], x[1:]
    num_pairs = x_u.shape[0]
    # Row layout: [x (B rows, t = 0 for the first B-1 of them) ; points t = 1/m .. (m-1)/m ((m-1)(B-1) rows)].
    interior = riemann_points(x_u, x_v, num_points)[num_pairs:]
    pred, grad = input_gradients(model, torch.cat([x, interior]))
    grads = torch.cat([grad[:num_pairs], grad[x.shape[0]:]]).view(num_points, num_pairs, -1)
    pred_diff = (grads.mean(0) * (x_v - x_u)).sum(1)
    target_diff = (y[1:] - y[:-1])[:, 0]
    matching = ((pred_diff - target_diff) ** 2).mean()
    regression = ((pred[:x.shape[0]] - y) ** 2).mean()
    loss = matching + alpha * regression if alpha else matching
    logs = {"grad_match": matching.item(), "mse": regression.item(), "grad_match_pred_diff": pred_diff.mean().item()}
    return loss, logs


@dataclass(frozen=True)
class GradientMatchingLoss:
    """:func:`gradient_matching_loss` with fixed hyperparameters, as a trainer loss ``term(model, x, y)``.

    Args:
        num_points: m >= 1.
        alpha: regression weight >= 0.

    Example:
        >>> term = GradientMatchingLoss(num_points=5, alpha=1.0)
        >>> model = torch.nn.Linear(3, 1)
        >>> loss, logs = term(model, torch.randn(8, 3), torch.randn(8, 1))
        >>> sorted(logs)
        ['grad_match', 'grad_match_pred_diff', 'mse']
    """

    num_points: int = 5
    alpha: float = 1.0

    def __post_init__(self):
        if not isinstance(self.num_points, (int, np.integer)) or isinstance(self.num_points, bool) or self.num_points < 1:
            raise InvalidInputError(f"num_points must be an integer >= 1, got {self.num_points!r}")
        if not np.isfinite(self.alpha) or self.alpha < 0:
            raise InvalidInputError(f"alpha must be a finite number >= 0, got {self.alpha!r}")

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict]:
        return gradient_matching_loss(model, x, y, int(self.num_points), float(self.alpha))


def equal_count_bins(y: np.ndarray, rows: np.ndarray, num_bins: int) -> list[np.ndarray]:
    """Split ``rows`` into ``num_bins`` bins of consecutive y-rank, as the official ``create_buckets``.

    Each bin holds ``len(rows) // num_bins`` rows except the last, which also takes the remainder.

    Args:
        y: scores of all rows (``n`` or ``n x 1``).
        rows: the row indices to bin.
        num_bins: number of bins (1 <= num_bins <= len(rows)).

    Returns:
        list of ``num_bins`` int arrays of row indices, bins in increasing y.
    """
    y = np.asarray(y).reshape(-1)
    if not 1 <= num_bins <= rows.size:
        raise InvalidInputError(f"need 1 <= num_bins <= number of training rows ({rows.size}), got num_bins={num_bins}")
    order = rows[np.argsort(y[rows], kind="stable")]
    size = rows.size // num_bins
    return [order[i * size:(i + 1) * size] for i in range(num_bins - 1)] + [order[(num_bins - 1) * size:]]


def monotone_trajectories(y: np.ndarray, num_bins: int = 128):
    """MATCH-OPT's batch sampler for :func:`mbo_lib.surrogates.train_surrogate`: one epoch of monotone paths.

    The rows are cut into ``num_bins`` equal-count bins by y. An epoch has ``len(rows) // num_bins`` paths; each path
    takes one row from every bin, bin by bin, so it rises in y. Within an epoch every bin is drawn without replacement
    (a random permutation per bin, as the official ``create_batches``), so each row is used at most once.

    Args:
        y: ``n x 1`` (or ``n``) scores of all training rows, indexed like the trainer's ``x``.
        num_bins: bins = path length (128 in the paper).

    Returns:
        ``sampler(rng, rows) -> list of int arrays`` of length ``num_bins``, each ordered by non-decreasing y.
    """
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if not isinstance(num_bins, (int, np.integer)) or isinstance(num_bins, bool) or num_bins < 2:
        raise InvalidInputError(f"num_bins must be an integer >= 2 (a path needs two points), got {num_bins!r}")
    if np.isnan(y).any():
        raise InvalidInputError("y contains NaN")

    def sample(rng: np.random.Generator, rows: np.ndarray) -> list[np.ndarray]:
        bins = equal_count_bins(y, np.asarray(rows), num_bins)
        size = bins[0].size
        full = rng.permuted(np.stack(bins[:-1]), axis=1)  # (num_bins - 1) x size, each bin shuffled
        last = bins[-1][rng.permutation(bins[-1].size)[:size]]
        paths = np.concatenate([full, last[None]]).T  # size x num_bins
        return list(paths)

    return sample
