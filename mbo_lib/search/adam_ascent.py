"""Adam on the designs (MATCH-OPT's search): maximize ``sum_i f(x_i)`` over all candidates at once."""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..errors import InvalidInputError


def adam_ascent(objective: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, lr: float, steps: int,
                record_at: Sequence[int] = (), betas: tuple[float, float] = (0.9, 0.999),
                ) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """Climb ``objective`` from ``x0`` with ``torch.optim.Adam`` on the designs.

    Each candidate's score depends only on itself and Adam's moments are per coordinate, so optimizing the sum moves
    every candidate as if it were optimized alone (official MATCH-OPT: ``Adam([x], lr=1e-3)`` on ``-sum(g(x))``).

    Args:
        objective: ``n x D -> n`` (or ``n x 1``) predicted scores.
        x0: ``n x D`` starting designs.
        lr: Adam learning rate (MATCH-OPT: 1e-3).
        steps: number of Adam steps (MATCH-OPT: 150).
        record_at: step numbers (0..steps) at which to keep a copy of the designs.
        betas: Adam's betas (PyTorch defaults).

    Returns:
        ``(x_final, {step: x_step})``, detached.
    """
    if lr <= 0 or steps < 0:
        raise InvalidInputError(f"need lr > 0 and steps >= 0, got lr={lr}, steps={steps}")
    x = x0.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=lr, betas=betas)
    snapshots = {0: x0.detach().clone()} if 0 in record_at else {}
    for step in range(1, steps + 1):
        optimizer.zero_grad(set_to_none=True)
        (-objective(x).sum()).backward(inputs=[x])
        optimizer.step()
        if step in record_at:
            snapshots[step] = x.detach().clone()
    return x.detach(), snapshots
