"""What a method is: profiles of hyperparameters, the task types it supports, and ``run``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from torch import nn

from ..errors import InvalidInputError
from ..surrogates.trainer import TrainingHook, TrainingLog
from ..tasks.base import Task

HookFactory = Callable[[], list[TrainingHook]]  # fresh hooks for each surrogate a method trains


def no_hooks() -> list[TrainingHook]:
    return []


@dataclass
class MethodOutput:
    """What a method hands back to the runner.

    Attributes:
        designs: the final candidates (``num_candidates x ...``) in a format ``task.predict`` accepts.
        steps: optional intermediate candidates ``{step: designs}`` (scored for score-vs-step curves).
        train_logs: logs of every surrogate trained (in order).
        extras: JSON-able values worth keeping in the record.
        surrogate: the model used for search (exposed for analysis; not stored).
        candidate_inputs: the final candidates in the surrogate's input space (``n x D``), so the runner can
            measure the surrogate's sharpness on these unseen designs (IGNITE's Table); ``None`` if not applicable.
    """

    designs: np.ndarray
    steps: dict[int, np.ndarray] = field(default_factory=dict)
    train_logs: list[TrainingLog] = field(default_factory=list)
    extras: dict = field(default_factory=dict)
    surrogate: nn.Module | None = None
    candidate_inputs: np.ndarray | None = None


class Method:
    """Subclass and register with :func:`mbo_lib.methods.register`.

    Class attributes:
        name: registry name (``"GA"``).
        task_kinds: subset of ``{"discrete", "continuous"}``.
        profiles: ``{"smoke": {...}, "quick": {...}, "paper": {...}}`` full hyperparameter dicts.
        ranges: ``{name: (low, high)}`` inclusive bounds checked on every run.
    """

    name: str = ""
    task_kinds: tuple[str, ...] = ("discrete", "continuous")
    profiles: dict[str, dict] = {}
    ranges: dict[str, tuple[float, float]] = {}

    def hyperparameters(self, profile: str, overrides: dict | None = None) -> dict:
        """The profile's hyperparameters with ``overrides`` applied and checked."""
        if profile not in self.profiles:
            raise InvalidInputError(f"{self.name} has no profile {profile!r}; it has {sorted(self.profiles)}")
        hp = dict(self.profiles[profile])
        unknown = sorted(set(overrides or {}) - set(hp))
        if unknown:
            raise InvalidInputError(f"{self.name} has no hyperparameter(s) {unknown}; it has {sorted(hp)}")
        hp.update(overrides or {})
        for key, (low, high) in self.ranges.items():
            value = hp[key]
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(not (low <= v <= high) for v in values):
                raise InvalidInputError(f"{self.name}: {key}={value!r} is out of range [{low}, {high}]")
        return hp

    def check_task(self, task: Task) -> None:
        kind = "discrete" if task.is_discrete else "continuous"
        if kind not in self.task_kinds:
            raise InvalidInputError(f"{self.name} does not run on {kind} tasks such as {task.task_id}")

    def run(self, task: Task, hp: dict, *, seed: int, device, progress: bool | None = None,
            hooks: HookFactory = no_hooks) -> MethodOutput:
        raise NotImplementedError
