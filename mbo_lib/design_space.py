"""The space surrogates and optimizers work in, and the way back to designs the oracle scores.

design-baselines' conventions: discrete tasks are mapped to logits (``n x L x (C-1)``) and flattened to
``n x D``; x is optionally z-scored with the statistics of the visible data; y is z-scored.
``encode`` / ``decode`` are pure: the task is never mutated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tasks.base import Task


@dataclass
class DesignSpace:
    """Maps task designs to flat float32 model inputs ``n x D`` and back.

    Args:
        task: the task.
        normalize_x: z-score the (logit or continuous) inputs with the data's mean and std.
        normalize_y: z-score y.
    """

    task: Task
    normalize_x: bool = True
    normalize_y: bool = True

    def __post_init__(self):
        raw = self._to_flat(self.task.x).astype(np.float64)  # statistics in float64, stored as float32
        self.x_mean = (raw.mean(0) if self.normalize_x else np.zeros(raw.shape[1])).astype(np.float32)
        std = raw.std(0) if self.normalize_x else np.ones(raw.shape[1])
        self.x_std = np.where(std == 0, 1.0, std).astype(np.float32)
        y = self.task.y.astype(np.float64)
        self.y_mean = float(y.mean()) if self.normalize_y else 0.0
        self.y_std = float(y.std()) if self.normalize_y and y.std() > 0 else 1.0

    @property
    def dim(self) -> int:
        """D, the flat input dimension (``L * (C-1)`` for discrete tasks)."""
        return int(self.x_mean.shape[0])

    def _to_flat(self, x: np.ndarray) -> np.ndarray:
        if self.task.is_discrete:
            x = self.task.to_logits(x) if np.issubdtype(np.asarray(x).dtype, np.integer) else np.asarray(x)
        return np.asarray(x, dtype=np.float32).reshape(x.shape[0], -1)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Task designs (``n x L`` integers or ``n x d`` floats) -> model inputs ``n x D`` float32."""
        return ((self._to_flat(x) - self.x_mean) / self.x_std).astype(np.float32)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Model inputs ``n x D`` -> designs ``task.predict`` accepts (logits ``n x L x (C-1)`` or ``n x d``)."""
        x = np.asarray(z, dtype=np.float32) * self.x_std + self.x_mean
        if self.task.is_discrete:
            return x.reshape(x.shape[0], *self.task.logits_shape)
        return x

    def encode_y(self, y: np.ndarray) -> np.ndarray:
        return ((np.asarray(y, dtype=np.float64) - self.y_mean) / self.y_std).astype(np.float32)

    def decode_y(self, y_norm: np.ndarray) -> np.ndarray:
        return np.asarray(y_norm, dtype=np.float64) * self.y_std + self.y_mean

    def top_k(self, k: int) -> np.ndarray:
        """Indices of the k best designs of the data (design-baselines' starting points), best first."""
        return np.argsort(-self.task.y[:, 0], kind="stable")[:k]
