"""PGS's policy-guided gradient search (Chemingui et al., AAAI 2024, Sec. 4.3; official ``evaluate_policy.py``).

``x_{k+1} = x_k + alpha(x_k) * scale * grad f(x_k)`` for ``steps`` steps, all candidates at once, where
``alpha(x) in (-1, 1)^d`` is the learned policy's deterministic action (``tanh`` of its mean) and ``scale`` is
``0.05 * sqrt(d)`` on normalized continuous designs or ``2 * sqrt(d)`` in a raw VAE latent space (official values;
:mod:`mbo_lib.methods.pgs` z-scores the latents and uses 0.05 there too by default).
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..errors import InvalidInputError


def policy_guided_search(policy: Callable[[torch.Tensor], torch.Tensor], objective: Callable[[torch.Tensor], torch.Tensor],
                         x0: torch.Tensor, scale: float, steps: int,
                         record_at: Sequence[int] = ()) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """Move ``x0`` (``n x d``) along ``policy(x) * scale * grad objective(x)``.

    Args:
        policy: ``n x d -> n x d`` per-coordinate step sizes (e.g. ``TanhGaussianPolicy.act``).
        objective: surrogate ``n x d -> n x 1``; each row's score depends only on that row.
        x0: ``n x d`` start designs (PGS: the top-128 of the data).
        scale: step scale.
        steps: number of steps (PGS: 50).
        record_at: steps (0..steps) at which to keep a copy.

    Returns:
        ``(x_final, {step: x_step})``, detached.
    """
    if steps < 0:
        raise InvalidInputError(f"steps must be >= 0, got {steps}")
    x = x0.detach().clone()
    snapshots = {0: x.clone()} if 0 in record_at else {}
    for step in range(1, steps + 1):
        xg = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(objective(xg).sum(), xg)
        with torch.no_grad():
            x = x + policy(x) * scale * grad
        if step in record_at:
            snapshots[step] = x.clone()
    return x, snapshots
