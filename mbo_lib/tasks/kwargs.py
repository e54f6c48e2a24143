"""Strict checks of the keyword arguments of ``make``: each task's parameters, their kinds, ranges and defaults.

``canonical_task_kwargs`` (in the registry) checks every kwarg against its :class:`Param`, converts it to a plain
Python value (NumPy scalars accepted) and drops those equal to the task's default, so that two spellings of one
task (``dim=10`` and no ``dim``) share a record key.
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InvalidInputError


def _fail(task_id: str, name: str, value, expected: str):
    raise InvalidInputError(f"{task_id}: {name} must be {expected}, got {value!r} ({type(value).__name__})")


def as_int(task_id: str, name: str, value, low: int | None = None) -> int:
    """``value`` as a plain int: Python or NumPy integers only (no bool, float such as 3.0 or 3.5, str)."""
    expected = "an int" + (f" with {name} >= {low}" if low is not None else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        _fail(task_id, name, value, expected)
    value = int(value)
    if low is not None and value < low:
        _fail(task_id, name, value, expected)
    return value


def as_float(task_id: str, name: str, value, low: float, high: float) -> float:
    """``value`` as a plain float in ``[low, high]``: Python or NumPy ints and floats (no bool, str, NaN)."""
    expected = f"a number in [{low:g}, {high:g}]"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        _fail(task_id, name, value, expected)
    value = float(value)
    if math.isnan(value) or not low <= value <= high:
        _fail(task_id, name, value, expected)
    return value


@dataclass(frozen=True)
class Param:
    """One keyword argument of a task: ``check(task_id, name, value) -> plain value`` and its default."""

    check: Callable[[str, str, Any], Any]
    default: Any


def percent(default: float) -> Param:
    return Param(lambda t, n, v: as_float(t, n, v, 0.0, 100.0), default)


def count(default: int | None, low: int, optional: bool = False) -> Param:
    """An int ``>= low`` (``None`` allowed when ``optional``)."""
    return Param(lambda t, n, v: None if (optional and v is None) else as_int(t, n, v, low), default)


def path_param() -> Param:
    def check(task_id, name, value):
        if value is None:
            return None
        if not isinstance(value, (str, os.PathLike)):
            _fail(task_id, name, value, "a folder path (str or pathlib.Path) or None")
        return str(Path(value))
    return Param(check, None)


def choice(default: str, check_value: Callable[[Any], str]) -> Param:
    """A string checked by ``check_value`` (which raises a clear error itself)."""
    return Param(lambda t, n, v: check_value(v), default)
