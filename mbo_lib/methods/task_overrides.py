"""Per-task settings inside a profile (design-baselines' run scripts differ per task, e.g. TF-Bind-10 epochs).

A profile may carry ``task_overrides = {task_id: {hyperparameter: value}}``. :func:`apply_task_overrides`
merges the entry for the task being run over the profile and checks the result against the method's ``ranges``.
The merged values win over the profile's generic ones; to run a profile without them, override
``task_overrides={}`` in the run spec.
"""
from __future__ import annotations

from ..errors import InvalidInputError
from .base import Method


def apply_task_overrides(method: Method, hp: dict, task_id: str) -> dict:
    """``hp`` with ``hp["task_overrides"][task_id]`` merged in (and ``task_overrides`` itself kept).

    Raises:
        InvalidInputError: an override names an unknown hyperparameter or leaves its range.
    """
    table = hp.get("task_overrides") or {}
    if not isinstance(table, dict):
        raise InvalidInputError(f"{method.name}: task_overrides must be a dict {{task_id: {{name: value}}}}, got {table!r}")
    extra = table.get(task_id) or {}
    unknown = sorted(set(extra) - set(hp) | ({"task_overrides"} & set(extra)))
    if unknown:
        raise InvalidInputError(f"{method.name}: task_overrides[{task_id!r}] names unknown hyperparameter(s) {unknown}")
    out = {**hp, **extra}
    for key, (low, high) in method.ranges.items():
        if key in extra:
            values = out[key] if isinstance(out[key], (list, tuple)) else [out[key]]
            if any(not (low <= v <= high) for v in values):
                raise InvalidInputError(f"{method.name}: task_overrides[{task_id!r}] sets {key}={out[key]!r}, "
                                        f"out of range [{low}, {high}]")
    return out
