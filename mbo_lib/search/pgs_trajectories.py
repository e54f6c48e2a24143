"""PGS trajectory synthesis (Chemingui et al., AAAI 2024, Sec. 4.1; official ``generate_trajectories.py``).

From the top-p% of the offline data (y at or above its ``100 - p`` percentile), each of ``num_trajectories``
trajectories draws ``T + 1`` designs uniformly **without replacement** (in random order, not sorted by y).
Transition ``t`` of a trajectory is

- state ``s_t = x_t``, next state ``x_{t+1}``;
- reward ``r_t = y_{t+1} - y_t``;
- action: the per-coordinate step size that would move ``x_t`` to ``x_{t+1}`` along the surrogate gradient,
  ``alpha_t = ((x_{t+1} - x_t) / grad f(x_t)) / divisor`` (``divisor = 10``), with NaN -> 0 and every entry with
  ``|alpha| > 1`` (including the infinities of a zero gradient) set to 0, then clipped to ``[-clip, clip]``
  (``clip = 0.999``, so the Tanh policy can represent it);
- ``done = 1`` on the last transition (``t = T - 1``).

Every state is one of the ``n_top`` top-p designs, so the surrogate gradients are computed **once per top-p
design** (one batched backward pass) and gathered: 20,000 trajectories cost one gradient pass over ``n_top`` rows
plus index arithmetic. Transitions are kept implicitly (``index``: ``N x (T+1)`` rows into the top-p set) and
built on demand by :meth:`TrajectoryDataset.transitions`, so memory is ``O(N T)`` integers, not ``O(N T d)`` floats.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..errors import InvalidInputError


def top_percent_indices(y: np.ndarray, top_p: float) -> np.ndarray:
    """Rows with ``y >= percentile(y, 100 - top_p)`` (the official ``np.where(y >= np.percentile(y, 100 - p))``)."""
    y = np.asarray(y).reshape(-1)
    if not 0.0 < top_p <= 100.0:
        raise InvalidInputError(f"top_p must be in (0, 100], got {top_p}")
    return np.flatnonzero(y >= np.percentile(y, 100.0 - top_p))


def sample_without_replacement(rng: np.random.Generator, n: int, num_rows: int, k: int) -> np.ndarray:
    """``num_rows x k`` int64: each row ``k`` distinct values of ``range(n)``, a uniformly random ordered draw.

    Vectorized: rows are drawn with replacement and rows with a repeat are redrawn (an exact rejection sampler)
    while repeats are rare; otherwise each row takes the ``k`` smallest of ``n`` random keys, in random order.
    """
    if k > n:
        raise InvalidInputError(f"cannot draw {k} distinct items from {n}: need at least T + 1 = {k} top-p designs")
    if k * (k - 1) / (2 * n) < 0.5:  # P(a row repeats) <~ 0.4: rejection needs a few rounds
        out = rng.integers(0, n, size=(num_rows, k))
        todo = np.arange(num_rows)
        while todo.size:
            srt = np.sort(out[todo], axis=1)
            bad = todo[(srt[:, 1:] == srt[:, :-1]).any(axis=1)] if k > 1 else todo[:0]
            out[bad] = rng.integers(0, n, size=(bad.size, k))
            todo = bad
        return out
    out = np.empty((num_rows, k), dtype=np.int64)
    chunk = max(1, (1 << 22) // n)
    for i in range(0, num_rows, chunk):
        keys = rng.random((min(chunk, num_rows - i), n))
        smallest = np.argpartition(keys, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (keys.shape[0], 1))
        order = np.argsort(np.take_along_axis(keys, smallest, axis=1), axis=1)  # random order among the k
        out[i:i + keys.shape[0]] = np.take_along_axis(smallest, order, axis=1)
    return out


def link_actions(diff: torch.Tensor, grad: torch.Tensor, divisor: float = 10.0, clip: float = 0.999) -> torch.Tensor:
    """The PGS action ``alpha = (diff / grad) / divisor``; NaN -> 0; ``|alpha| > 1`` -> 0; clipped to ``+-clip``.

    Args:
        diff: ``... x d`` differences ``x_{t+1} - x_t``.
        grad: ``... x d`` surrogate gradients at ``x_t``.
    """
    ratio = diff / grad
    alpha = torch.nan_to_num(ratio, nan=0.0) / divisor
    alpha = torch.where(alpha.abs() > 1.0, torch.zeros_like(alpha), alpha)
    return alpha.clamp(-clip, clip)


@dataclass
class TrajectoryDataset:
    """Implicit offline-RL dataset of PGS trajectories over the top-p designs.

    Attributes:
        x_top: ``n_top x d`` float32 top-p designs (search space: normalized x or VAE latents).
        y_top: ``n_top`` float32 their (normalized) scores.
        grad_top: ``n_top x d`` float32 surrogate gradients at ``x_top``.
        index: ``N x (T+1)`` int64 rows of ``x_top`` visited by each trajectory.
        divisor, clip: the action rule's constants.
    """

    x_top: torch.Tensor
    y_top: torch.Tensor
    grad_top: torch.Tensor
    index: torch.Tensor
    divisor: float = 10.0
    clip: float = 0.999

    @property
    def num_trajectories(self) -> int:
        return int(self.index.shape[0])

    @property
    def length(self) -> int:
        """T, transitions per trajectory."""
        return int(self.index.shape[1]) - 1

    @property
    def num_transitions(self) -> int:
        return self.num_trajectories * self.length

    @property
    def dim(self) -> int:
        return int(self.x_top.shape[1])

    def transitions(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """Transitions by flat id ``traj * T + t`` (``b`` ids) -> dict of ``observations``/``next_observations``/
        ``actions`` (``b x d``), ``rewards``/``dones`` (``b``)."""
        traj, t = flat // self.length, flat % self.length
        i, j = self.index[traj, t], self.index[traj, t + 1]
        obs, nxt = self.x_top[i], self.x_top[j]
        return {"observations": obs, "next_observations": nxt,
                "actions": link_actions(nxt - obs, self.grad_top[i], self.divisor, self.clip),
                "rewards": self.y_top[j] - self.y_top[i], "dones": (t == self.length - 1).to(obs.dtype)}

    def arrays(self) -> dict[str, np.ndarray]:
        """All ``N * T`` transitions materialized as numpy arrays (trajectory-major; small datasets only)."""
        flat = torch.arange(self.num_transitions, device=self.index.device)
        return {k: v.cpu().numpy() for k, v in self.transitions(flat).items()}


def batched_gradients(objective: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                      batch_size: int = 16384) -> torch.Tensor:
    """``grad_x objective`` for every row of ``x`` (``n x d``), in batches; each row's score depends only on it."""
    out = []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i:i + batch_size].detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(objective(xb).sum(), xb)
        out.append(g.detach())
    return torch.cat(out) if out else torch.zeros_like(x)


def synthesize_trajectories(x_top, y_top, objective: Callable[[torch.Tensor], torch.Tensor], *,
                            num_trajectories: int = 20000, length: int = 50, seed: int = 0, divisor: float = 10.0,
                            clip: float = 0.999, device="cpu") -> TrajectoryDataset:
    """Build PGS's offline RL dataset from top-p designs.

    Args:
        x_top: ``n_top x d`` top-p designs (search space), ``n_top >= length + 1``.
        y_top: ``n_top`` or ``n_top x 1`` their scores (rewards are differences of these).
        objective: the surrogate ``n x d -> n x 1``; its input gradients define the actions.
        num_trajectories: N (paper: 20,000).
        length: T transitions per trajectory (paper: 50), i.e. ``T + 1`` designs.
        seed: seeds the draws.
        divisor, clip: action rule constants (10 and 0.999 in the official code).
        device: where the tensors live.

    Returns:
        a :class:`TrajectoryDataset`.
    """
    device = torch.device(device)
    x_top = torch.as_tensor(np.asarray(x_top, dtype=np.float32) if not torch.is_tensor(x_top) else x_top,
                            dtype=torch.float32, device=device)
    y_top = torch.as_tensor(np.asarray(y_top, dtype=np.float32) if not torch.is_tensor(y_top) else y_top,
                            dtype=torch.float32, device=device).reshape(-1)
    if x_top.ndim != 2 or y_top.shape[0] != x_top.shape[0]:
        raise InvalidInputError(f"need x_top (n, d) and y_top (n,), got {tuple(x_top.shape)} and {tuple(y_top.shape)}")
    if num_trajectories < 1 or length < 1:
        raise InvalidInputError(f"need num_trajectories >= 1 and length >= 1, got {num_trajectories}, {length}")
    if divisor <= 0 or not 0 < clip <= 1:
        raise InvalidInputError(f"need divisor > 0 and 0 < clip <= 1, got {divisor}, {clip}")
    rng = np.random.default_rng(seed)
    index = sample_without_replacement(rng, x_top.shape[0], num_trajectories, length + 1)
    grad_top = batched_gradients(objective, x_top)
    return TrajectoryDataset(x_top, y_top, grad_top, torch.as_tensor(index, device=device), divisor, clip)
