"""The shared surrogate trainer. Every method's surrogate training goes through :func:`train_surrogate`.

Plug-in points (so IGNITE, COMs and MATCH-OPT add to any method without touching it):

- ``loss``: the base objective, ``loss(model, x, y) -> (scalar, logs)``, e.g. Gaussian NLL or MSE.
- ``terms``: extra objectives ``(weight, term)`` added to the loss, each with the same signature.
- ``hooks``: :class:`TrainingHook` objects called around every optimizer step; a hook may change the
  parameters' ``.grad`` after backward (IGNITE's constraint gradient) and update its own state after the
  step (IGNITE's dual variable). Each hook reports per-epoch logs.
- ``batches``: what one epoch's minibatches are (default: a shuffled pass over the training rows; MATCH-OPT
  passes monotone trajectories).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from ..errors import InvalidInputError

LossTerm = Callable[[nn.Module, torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict]]
BatchSampler = Callable[[np.random.Generator, np.ndarray], Iterable[np.ndarray]]


class TrainingHook:
    """Base class of training hooks (no-ops). Override what you need."""

    def setup(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        """Called once before the first step."""

    def after_backward(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: torch.Tensor) -> None:
        """Called after ``loss.backward()``, before ``optimizer.step()``; may modify ``p.grad``."""

    def after_step(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
        """Called after ``optimizer.step()``."""

    def epoch_logs(self) -> dict:
        """Per-epoch values to log (the hook resets its accumulators here)."""
        return {}


@dataclass
class TrainConfig:
    """Sizes and rates of surrogate training.

    Attributes:
        epochs: passes over the training rows.
        batch_size: rows per minibatch.
        lr: Adam learning rate.
        val_size: rows held out for validation (design-baselines: 200); 0 for none.
        weight_decay: Adam weight decay.
    """

    epochs: int = 100
    batch_size: int = 128
    lr: float = 3e-4
    val_size: int = 200
    weight_decay: float = 0.0

    def __post_init__(self):
        if self.epochs < 0 or self.batch_size < 1 or self.lr <= 0 or self.val_size < 0:
            raise InvalidInputError(f"invalid training config {self}")


@dataclass
class TrainingLog:
    """Per-epoch logs (train loss terms averaged over minibatches, validation loss, hook values)."""

    epochs: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.epochs)

    def last(self) -> dict:
        return self.epochs[-1] if self.epochs else {}


def shuffled_minibatches(batch_size: int) -> BatchSampler:
    """Default sampler: a random permutation of the training rows cut into minibatches (last one may be short)."""

    def sample(rng: np.random.Generator, rows: np.ndarray):
        perm = rows[rng.permutation(rows.size)]
        return [perm[i:i + batch_size] for i in range(0, perm.size, batch_size)]

    return sample


def split_validation(n: int, val_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random ``(train_rows, val_rows)`` with ``val_size`` validation rows (at most half the data)."""
    val_size = min(val_size, n // 2)
    perm = rng.permutation(n)
    return np.sort(perm[val_size:]), np.sort(perm[:val_size])


def progress_enabled(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return os.environ.get("MBO_PROGRESS", "1") != "0"


def train_surrogate(model: nn.Module, x, y, loss: LossTerm, config: TrainConfig, *, seed: int = 0,
                    terms: Sequence[tuple[float, LossTerm]] = (), hooks: Sequence[TrainingHook] = (),
                    batches: BatchSampler | None = None, device: torch.device | str = "cpu",
                    progress: bool | None = None, desc: str = "train") -> TrainingLog:
    """Train ``model`` in place on ``(x, y)`` with Adam.

    Args:
        model: maps ``n x D`` to ``n x 1``.
        x: ``n x D`` float inputs (numpy or torch); y: ``n x 1``.
        loss: base objective ``loss(model, xb, yb) -> (scalar, logs)``.
        config: epochs, batch size, learning rate, validation size.
        seed: seeds the validation split and minibatch order (model init is seeded by the caller).
        terms: extra ``(weight, term)`` objectives added to the loss.
        hooks: :class:`TrainingHook` objects (e.g. IGNITE).
        batches: minibatch sampler; default :func:`shuffled_minibatches`.
        device: where to train.
        progress: show a tqdm bar over epochs (default: on unless ``MBO_PROGRESS=0``).

    Returns:
        a :class:`TrainingLog`.
    """
    import time

    device = torch.device(device)
    x = torch.as_tensor(np.asarray(x, dtype=np.float32) if not torch.is_tensor(x) else x, dtype=torch.float32).to(device)
    y = torch.as_tensor(np.asarray(y, dtype=np.float32) if not torch.is_tensor(y) else y, dtype=torch.float32).to(device)
    if x.ndim != 2 or y.shape != (x.shape[0], 1):
        raise InvalidInputError(f"need x of shape (n, D) and y of shape (n, 1), got {tuple(x.shape)=}, {tuple(y.shape)=}")
    if torch.isnan(x).any() or torch.isnan(y).any():
        raise InvalidInputError("training data contain NaN")
    rng = np.random.default_rng(seed)
    train_rows, val_rows = split_validation(x.shape[0], config.val_size, rng)
    sampler = batches or shuffled_minibatches(config.batch_size)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    for hook in hooks:
        hook.setup(model, optimizer)
    log, start = TrainingLog(), time.perf_counter()
    bar = tqdm(range(config.epochs), desc=desc, disable=not progress_enabled(progress), leave=False)
    for epoch in bar:
        sums: dict[str, float] = {}
        num_batches = 0
        for idx in sampler(rng, train_rows):
            idx_t = torch.as_tensor(idx, device=device)
            xb, yb = x[idx_t], y[idx_t]
            total, logs = loss(model, xb, yb)
            for weight, term in terms:
                value, term_logs = term(model, xb, yb)
                total = total + weight * value
                logs.update(term_logs)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            for hook in hooks:
                hook.after_backward(model, xb, yb, total)
            optimizer.step()
            for hook in hooks:
                hook.after_step(model, xb, yb)
            logs["loss"] = float(total.detach())
            for k, v in logs.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            num_batches += 1
        entry = {"epoch": epoch + 1, **{f"train_{k}": v / max(num_batches, 1) for k, v in sums.items()}}
        if val_rows.size:
            entry.update(validation_metrics(model, x[val_rows], y[val_rows], loss))
        for hook in hooks:
            entry.update(hook.epoch_logs())
        log.epochs.append(entry)
        bar.set_postfix(loss=f"{entry.get('train_loss', float('nan')):.4f}")
    model.eval()
    log.seconds = time.perf_counter() - start
    return log


def validation_metrics(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: LossTerm) -> dict:
    """Validation loss, MSE of ``model(x)`` and Spearman rank correlation with y."""
    with torch.no_grad():
        value, _ = loss(model, x, y)
        pred = model(x)
    p, t = pred[:, 0].cpu().numpy(), y[:, 0].cpu().numpy()
    rank_corr = float(np.corrcoef(np.argsort(np.argsort(p)), np.argsort(np.argsort(t)))[0, 1]) if len(p) > 2 else float("nan")
    return {"val_loss": float(value), "val_mse": float(((pred - y) ** 2).mean()), "val_rank_corr": rank_corr}
