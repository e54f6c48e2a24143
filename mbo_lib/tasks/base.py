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
    """design-bench's ``to_integers``: argmax over ``[0, logits]`` on the last axis -> int32 ``n x L``.

    Raises:
        InvalidInputError: logits that are not a numeric array of at least 2 dimensions, or that hold NaN (argmax of
            NaN is meaningless). :meth:`Task.to_integers` also checks the shape against the task.
    """
    logits = np.asarray(logits)
    if logits.ndim < 2 or not (np.issubdtype(logits.dtype, np.floating) or np.issubdtype(logits.dtype, np.integer)):
        raise InvalidInputError(f"to_integers expects numeric logits of shape (n, L, C-1), got shape {logits.shape} "
                                f"dtype {logits.dtype}")
    _check_finite_rows("to_integers", logits, allow_inf=True)
    padded = np.concatenate([np.zeros(logits.shape[:-1] + (1,), dtype=logits.dtype), logits], axis=-1)
    return np.argmax(padded, axis=-1).astype(np.int32)


def _check_finite_rows(who: str, x: np.ndarray, allow_inf: bool = False) -> None:
    """Raise :class:`InvalidInputError` saying how many rows (designs) of ``x`` hold NaN (or inf)."""
    if not np.issubdtype(x.dtype, np.floating) or x.size == 0:
        return
    bad = np.isnan(x) if allow_inf else ~np.isfinite(x)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(x.shape[0], -1).any(axis=1))
        what = "NaN" if allow_inf else "NaN or inf (non-finite values)"
        raise InvalidInputError(f"{who}: designs contain {what} in {rows.size} of {x.shape[0]} rows "
                                f"(first: row {rows[0]})")


def _check_data_values(task_id: str, name: str, a: np.ndarray) -> None:
    """Raise :class:`InvalidInputError` when the data array ``name`` (``x`` or ``y``) holds NaN or infinite values,
    naming the array, the number of such values and rows, and the first row."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating) or a.size == 0:
        return
    for what, bad in (("NaN", np.isnan(a)), ("infinite", np.isinf(a))):
        if bad.any():
            rows = np.flatnonzero(bad.reshape(a.shape[0], -1).any(axis=1))
            raise InvalidInputError(f"{task_id}: {name} contains {int(bad.sum())} {what} values in {rows.size} of "
                                    f"{a.shape[0]} rows (first: row {rows[0]}); drop or repair those rows")


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
        if self.x.shape[0] == 0:
            raise InvalidInputError(f"{self.task_id}: the task's data hold no rows (n = 0); check its filter "
                                    f"(min/max_percentile, max_samples) and its data files")
        for name in ("x", "y"):
            _check_data_values(self.task_id, name, getattr(self, name))
        if not (np.isfinite(self.y_min) and np.isfinite(self.y_max) and self.y_min < self.y_max):
            raise InvalidInputError(f"{self.task_id}: normalization bounds must be finite with y_min < y_max, got "
                                    f"({self.y_min}, {self.y_max})")

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
        """Logits ``n x L x (C-1)`` -> integers ``n x L`` (pure); other shapes and non-finite logits are refused."""
        self._require_discrete("to_integers")
        return to_integers(self._check_logits(np.asarray(logits)))

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
                f"{self.task_id} expects logits of shape (n, {L}, {C1}) or integers (n, {L}), got {x.shape} "
                f"({L} positions; {C1} logits each: {self.num_classes} classes minus the first)")
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise InvalidInputError(f"{self.task_id} expects numeric logits, got dtype {x.dtype}")
        _check_finite_rows(self.task_id, x)
        return x

    def _check_continuous(self, x: np.ndarray) -> np.ndarray:
        d = self.x.shape[1]
        if x.ndim != 2 or x.shape[1] != d:
            raise InvalidInputError(f"{self.task_id} expects designs of shape (n, {d}), got {x.shape}")
        if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
            raise InvalidInputError(f"{self.task_id} expects numeric designs, got dtype {x.dtype}")
        with np.errstate(over="ignore"):  # an overflow becomes inf, refused just below
            x = x.astype(np.float32, copy=False)
        _check_finite_rows(self.task_id, x)  # after the cast: a float64 design beyond float32's range becomes inf
        return x

    def __repr__(self) -> str:
        kind = f"discrete, {self.num_classes} classes" if self.is_discrete else "continuous"
        factor = self.info.get("transcription_factor")
        named = f"transcription_factor={factor!r}, " if factor else ""
        return (f"Task({self.task_id!r}, {named}n={self.dataset_size}, input_shape={self.input_shape}, {kind}, "
                f"y in [{self.y.min():.4g}, {self.y.max():.4g}], bounds=({self.y_min:.4g}, {self.y_max:.4g}))")
