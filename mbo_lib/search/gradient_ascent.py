"""Gradient ascent on designs (design-baselines' GA): ``x <- x + lr * grad_x f(x)``, all candidates at once."""
from __future__ import annotations

from typing import Callable, Sequence

import torch


def gradient_ascent(objective: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, lr: float, steps: int,
                    record_at: Sequence[int] = ()) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """Climb ``objective`` from ``x0``.

    Args:
        objective: ``n x D -> n`` (or ``n x 1``) predicted scores; each candidate's score depends only on itself,
            so ``grad of sum`` gives every candidate's own gradient in one backward pass.
        x0: ``n x D`` starting designs.
        lr: step size (design-baselines: ``0.01 * sqrt(D)`` on normalized inputs).
        steps: number of steps.
        record_at: step numbers (0..steps) at which to keep a copy of the designs.

    Returns:
        ``(x_final, {step: x_step})``, detached.
    """
    x = x0.detach().clone().requires_grad_(True)
    snapshots = {0: x0.detach().clone()} if 0 in record_at else {}
    for step in range(1, steps + 1):
        (grad,) = torch.autograd.grad(objective(x).sum(), x)
        with torch.no_grad():
            x += lr * grad
        if step in record_at:
            snapshots[step] = x.detach().clone()
    return x.detach(), snapshots
