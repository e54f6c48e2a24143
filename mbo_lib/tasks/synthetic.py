"""Synthetic continuous tasks with exact closed-form oracles (BoTorch's test functions, negated to maximize).

Built like design-bench tasks: draw a pool of ``num_samples`` designs uniformly in the function's box (seeded),
score them exactly, take the normalization bounds over the full pool, keep the bottom ``max_percentile``
percent as the offline data. The oracle is the function itself (any design, also outside the box).
"""
from __future__ import annotations

import numpy as np
import torch
from botorch.test_functions import synthetic as bt

from ..errors import InvalidInputError
from .base import Task, percentile_filter

# name -> (BoTorch class, default dim, whether the dim is fixed)
SYNTHETIC_FUNCTIONS = {
    "Ackley": (bt.Ackley, 10, False),
    "Rosenbrock": (bt.Rosenbrock, 10, False),
    "Levy": (bt.Levy, 10, False),
    "Shekel": (bt.Shekel, 4, True),  # MATCH-OPT's Figure 1
}


class BotorchOracle:
    """``f(x) = -g(x)`` for a BoTorch test function ``g`` (minimization -> maximization); ``n x d`` -> ``n x 1``."""

    def __init__(self, function: bt.SyntheticTestFunction):
        self.function = function

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            y = self.torch(torch.as_tensor(np.asarray(x), dtype=torch.float64))
        return y.numpy().astype(np.float32).reshape(-1, 1)

    def torch(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable version on torch tensors ``... x d`` -> ``...`` (used for true gradients).

        Evaluates the formula directly: BoTorch's ``forward`` rejects points outside the box, and designs proposed
        by an optimizer may leave it.
        """
        y = self.function._evaluate_true(x)
        return -y if self.function.negate else y


def make_synthetic(name: str, dim: int | None = None, num_samples: int = 10000, max_percentile: float = 50.0,
                   seed: int = 0) -> Task:
    """A synthetic task ``<name>-Synthetic-v0``.

    Args:
        name: one of ``SYNTHETIC_FUNCTIONS``.
        dim: input dimension (fixed at 4 for Shekel).
        num_samples: pool size; the data are its bottom ``max_percentile`` percent.
        seed: seed of the pool.
    """
    cls, default_dim, fixed = SYNTHETIC_FUNCTIONS[name]
    dim = default_dim if dim is None else int(dim)
    if fixed and dim != default_dim:
        raise InvalidInputError(f"{name} is defined only in dimension {default_dim}, got dim={dim}")
    if dim < 1 or num_samples < 10:
        raise InvalidInputError(f"need dim >= 1 and num_samples >= 10, got dim={dim}, num_samples={num_samples}")
    function = cls(negate=True) if fixed else cls(dim=dim, negate=True)
    bounds = function.bounds.numpy().astype(np.float32)  # 2 x d
    rng = np.random.default_rng(seed)
    pool = (bounds[0] + (bounds[1] - bounds[0]) * rng.random((num_samples, dim))).astype(np.float32)
    oracle = BotorchOracle(function)
    y = oracle(pool)
    keep = percentile_filter(y, 0.0, max_percentile)
    return Task(f"{name}-Synthetic-v0", pool[keep], y[keep], float(y.min()), float(y.max()), oracle, bounds=bounds,
                info=dict(source=f"botorch.test_functions.{cls.__name__}(negate=True)", dim=dim,
                          num_samples=num_samples, max_percentile=max_percentile, seed=seed,
                          # BoTorch already negates optimal_value when negate=True: it is the oracle's maximum.
                          optimal_value=float(function.optimal_value) if function.optimal_value is not None else None))
