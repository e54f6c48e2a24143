"""The ``Task``: offline data plus an oracle, with design-bench's vocabulary.

Shapes (used throughout mbo_lib):

- discrete tasks: ``x`` is ``n x L`` int32 with values in ``[0, num_classes)``; logits are ``n x L x (C-1)``
  float32 (design-bench's ``to_logits``: one-hot softened towards uniform, log, minus the first class).
- continuous tasks: ``x`` is ``n x d`` float32.
- ``y`` is ``n x 1`` float32; the oracle returns ``n x 1`` float32.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import InvalidInputError

Oracle = Callable[[np.ndarray], np.ndarray]  # designs (integers or floats) -> n x 1 float32


def percentile_filter(y: np.ndarray, min_percentile: float = 0.0, max_percentile: float = 100.0) -> np.ndarray:
    """Indices of rows kept by design-bench's ``subsample`` before its ``max_samples`` step.

    Keeps ``y_min_cut <= y <= y_max_cut`` where the cuts are ``np.percentile`` of the full ``y`` (no cut at 0/100).

    Args:
        y: ``n x 1`` or ``n`` scores of the full dataset.
        min_percentile, max_percentile: in [0, 100].

    Returns:
        int64 indices into ``y``, increasing (design-bench keeps rows in file order through a visibility mask).
    """
    y = np.asarray(y).reshape(-1)
    if not 0.0 <= min_percentile <= max_percentile <= 100.0:
        raise InvalidInputError(f"need 0 <= min_percentile <= max_percentile <= 100, got {min_percentile}, {max_percentile}")
    lo = np.percentile(y, min_percentile) if min_percentile > 0.0 else -np.inf
    hi = np.percentile(y, max_percentile) if max_percentile < 100.0 else np.inf
    return np.flatnonzero((y <= hi) & (y >= lo))


def subsample_indices(indices: np.ndarray, max_samples: int | None, seed: int = 0) -> np.ndarray:
    """A random subset of ``indices`` of size ``max_samples`` (kept in increasing order), or all of them.

    design-bench draws this with the global NumPy RNG; we draw it from ``seed`` so it is reproducible.
    """
    if max_samples is None or max_samples >= indices.size:
        return indices
    if max_samples <= 0:
        raise InvalidInputError(f"max_samples must be positive, got {max_samples}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(indices, size=max_samples, replace=False))


def to_logits(x: np.ndarray, num_classes: int, soft_interpolation: float = 0.6) -> np.ndarray:
    """design-bench's ``DiscreteDataset.to_logits``: integers ``n x L`` -> logits ``n x L x (C-1)`` float32."""
    one_hot = np.eye(num_classes, dtype=np.float32)[x]
    soft = soft_interpolation * one_hot + (1.0 - soft_interpolation) / num_classes
    logp = np.log(soft)
    return (logp[..., 1:] - logp[..., :1]).astype(np.float32)


def to_integers(logits: np.ndarray) -> np.ndarray:
    """design-bench's ``to_integers``: argmax over ``[0, logits]`` on the last axis -> int32 ``n x L``."""
    logits = np.asarray(logits)
    padded = np.concatenate([np.zeros(logits.shape[:-1] + (1,), dtype=logits.dtype), logits], axis=-1)
    return np.argmax(padded, axis=-1).astype(np.int32)


@dataclass
class Task:
    """An offline MBO task: the visible data, the full-dataset bounds and the oracle.

    Attributes:
        task_id: a design-bench-style id such as ``"TFBind8-Exact-v0"``.
        x: ``n x L`` int32 (discrete) or ``n x d`` float32 (continuous): the data after the task's filter.
        y: ``n x 1`` float32.
        y_min, y_max: min and max of y over the *full unfiltered* dataset (normalization bounds).
        num_classes: categories per position for discrete tasks, ``None`` for continuous ones.
        oracle: maps designs in dataset format to ``n x 1`` float32 scores.
        info: provenance (files, filter, construction) recorded in run records.

    Example:
        >>> task = make("TFBind8-Exact-v0")                      # doctest: +SKIP
        >>> task.x.shape, task.y.shape, task.is_discrete         # doctest: +SKIP
        ((32898, 8), (32898, 1), True)
    """

    task_id: str
    x: np.ndarray
    y: np.ndarray
    y_min: float
    y_max: float
    oracle: Oracle
    num_classes: int | None = None
    soft_interpolation: float = 0.6
    bounds: np.ndarray | None = None  # 2 x d box for continuous tasks that have one (synthetic)
    info: dict = field(default_factory=dict)
    is_logits: bool = False  # design-bench's flag, flipped by map_to_logits()

    def __post_init__(self):
        if self.y.ndim != 2 or self.y.shape[1] != 1 or self.y.shape[0] != self.x.shape[0]:
            raise InvalidInputError(f"{self.task_id}: need y of shape (n, 1) matching x, got {self.x.shape=}, {self.y.shape=}")
        if np.isnan(self.y).any():
            raise InvalidInputError(f"{self.task_id}: y contains {int(np.isnan(self.y).sum())} NaN values")

    # ----- design-bench vocabulary -------------------------------------------------------------------------
    @property
    def is_discrete(self) -> bool:
        return self.num_classes is not None

    @property
    def dataset_size(self) -> int:
        return int(self.x.shape[0])

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def sequence_length(self) -> int | None:
        return int(self.x.shape[1]) if self.is_discrete else None

    @property
    def logits_shape(self) -> tuple[int, int]:
        """``(L, C-1)``, the shape of one design in logit space (discrete tasks)."""
        self._require_discrete("logits_shape")
        return (self.sequence_length, self.num_classes - 1)

    def to_logits(self, x: np.ndarray) -> np.ndarray:
        """Integers ``n x L`` -> logits ``n x L x (C-1)`` (pure)."""
        self._require_discrete("to_logits")
        x = self._check_integers(np.asarray(x))
        return to_logits(x, self.num_classes, self.soft_interpolation)

    def to_integers(self, logits: np.ndarray) -> np.ndarray:
        """Logits ``n x L x (C-1)`` -> integers ``n x L`` (pure)."""
        self._require_discrete("to_integers")
        return to_integers(logits)

    def map_to_logits(self) -> None:
        """In place, as design-bench: ``task.x`` becomes logits and ``predict`` expects logits."""
        self._require_discrete("map_to_logits")
        if not self.is_logits:
            self.x = self.to_logits(self.x)
            self.is_logits = True

    def map_to_integers(self) -> None:
        """Undo :meth:`map_to_logits` in place."""
        self._require_discrete("map_to_integers")
        if self.is_logits:
            self.x = to_integers(self.x)
            self.is_logits = False

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The oracle. ``x``: designs in the task's current format (integers, logits, or continuous floats).

        Discrete tasks also accept logits ``n x L x (C-1)`` whatever the current format; they are argmaxed to
        integers first, as design-bench does. Returns ``n x 1`` float32.
        """
        x = np.asarray(x)
        if self.is_discrete:
            if x.ndim == 3 or np.issubdtype(x.dtype, np.floating):
                x = self._check_logits(x)
                x = to_integers(x)
            x = self._check_integers(x)
        else:
            x = self._check_continuous(x)
        return np.asarray(self.oracle(x), dtype=np.float32).reshape(-1, 1)

    def normalize_score(self, y) -> np.ndarray:
        """``(y - y_min) / (y_max - y_min)`` with the full-dataset bounds."""
        return (np.asarray(y, dtype=np.float64) - self.y_min) / (self.y_max - self.y_min)

    def denormalize_score(self, y_norm) -> np.ndarray:
        return np.asarray(y_norm, dtype=np.float64) * (self.y_max - self.y_min) + self.y_min

    # ----- validation ----------------------------------------------------------------------------------
    def _require_discrete(self, what: str) -> None:
        if not self.is_discrete:
            raise InvalidInputError(f"{what} is only defined for discrete tasks; {self.task_id} is continuous")

    def _check_integers(self, x: np.ndarray) -> np.ndarray:
        L = self.x.shape[1]
        if x.ndim != 2 or x.shape[1] != L or not np.issubdtype(x.dtype, np.integer):
            raise InvalidInputError(
                f"{self.task_id} expects integer designs of shape (n, {L}), got shape {x.shape} dtype {x.dtype}")
        if x.size and (x.min() < 0 or x.max() >= self.num_classes):
            raise InvalidInputError(
                f"{self.task_id} designs must lie in [0, {self.num_classes}), got values in [{x.min()}, {x.max()}]")
        return x

    def _check_logits(self, x: np.ndarray) -> np.ndarray:
        L, C1 = self.x.shape[1], self.num_classes - 1
        if x.ndim != 3 or x.shape[1:] != (L, C1):
            raise InvalidInputError(
                f"{self.task_id} expects logits of shape (n, {L}, {C1}) or integers (n, {L}), got {x.shape}")
        if np.isnan(x).any():
            raise InvalidInputError(f"{self.task_id}: designs contain NaN")
        return x

    def _check_continuous(self, x: np.ndarray) -> np.ndarray:
        d = self.x.shape[1]
        if x.ndim != 2 or x.shape[1] != d:
            raise InvalidInputError(f"{self.task_id} expects designs of shape (n, {d}), got {x.shape}")
        if not np.issubdtype(x.dtype, np.number):
            raise InvalidInputError(f"{self.task_id} expects numeric designs, got dtype {x.dtype}")
        if np.isnan(x).any():
            raise InvalidInputError(f"{self.task_id}: designs contain NaN")
        return x.astype(np.float32, copy=False)

    def __repr__(self) -> str:
        kind = f"discrete, {self.num_classes} classes" if self.is_discrete else "continuous"
        return (f"Task({self.task_id!r}, n={self.dataset_size}, input_shape={self.input_shape}, {kind}, "
                f"y in [{self.y.min():.4g}, {self.y.max():.4g}], bounds=({self.y_min:.4g}, {self.y_max:.4g}))")
