"""Ensembles of surrogates trained through the shared trainer.

``Ensemble(models)(x)`` returns every member's prediction, ``M x n x 1``; :func:`ensemble_objective` turns that
into the per-candidate score a search climbs (``mean`` or ``min`` over members).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..errors import InvalidInputError
from .trainer import LossTerm, TrainConfig, TrainingHook, TrainingLog, train_surrogate


class Ensemble(nn.Module):
    """Holds M members; ``forward(x: n x D) -> M x n x 1``."""

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def __len__(self) -> int:
        return len(self.members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members])


def ensemble_objective(ensemble: nn.Module, reduction: str = "mean") -> Callable[[torch.Tensor], torch.Tensor]:
    """``x: n x D -> n``: the members' mean or min prediction (design-baselines' ensemble-mean / ensemble-min)."""
    if reduction not in ("mean", "min"):
        raise InvalidInputError(f"ensemble reduction must be 'mean' or 'min', got {reduction!r}")

    def objective(x: torch.Tensor) -> torch.Tensor:
        preds = ensemble(x)[..., 0]  # M x n
        return preds.mean(0) if reduction == "mean" else preds.min(0).values

    return objective


def train_ensemble(make_model: Callable[[int], nn.Module], num_members: int, x, y, loss: LossTerm,
                   config: TrainConfig, *, seed: int = 0,
                   hooks: Callable[[], list[TrainingHook]] = lambda: [], bootstrap: bool = False,
                   device="cpu", progress: bool | None = None, desc: str = "ensemble") -> tuple[Ensemble, list[TrainingLog]]:
    """Train ``num_members`` surrogates, member ``i`` built by ``make_model(i)`` and trained with seed ``seed + i``.

    Each member gets fresh hooks (so IGNITE keeps one dual variable per member, as the paper does) and, with
    ``bootstrap=True``, its own bootstrap resample of the rows (CbAS's ensemble).

    Returns:
        ``(Ensemble, [TrainingLog per member])``.
    """
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    members, logs = [], []
    for i in range(num_members):
        torch.manual_seed(seed * 1000 + i)
        model = make_model(i)
        xi, yi = x, y
        if bootstrap:
            rows = np.random.default_rng(seed * 1000 + i).integers(0, x.shape[0], x.shape[0])
            xi, yi = x[rows], y[rows]
        logs.append(train_surrogate(model, xi, yi, loss, config, seed=seed * 1000 + i, hooks=hooks(), device=device,
                                    progress=progress, desc=f"{desc} member {i + 1}/{num_members}"))
        members.append(model)
    return Ensemble(members).to(device).eval(), logs
