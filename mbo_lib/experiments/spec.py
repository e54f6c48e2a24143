"""A run is described by a :class:`RunSpec`; its key names the record file, so finished runs are never redone."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from ..errors import InvalidInputError

PROFILES = ("smoke", "quick", "paper")


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class RunSpec:
    """One run: a method on a task, at a profile, with a seed and optional overrides.

    Attributes:
        task: task id (``"TFBind8-Exact-v0"``).
        method: method name (``"GA"``); see ``mbo_lib.methods.method_names()``.
        profile: ``smoke`` | ``quick`` | ``paper``: the method's sizes (see ``docs`` in the method module).
        seed: seeds model init, minibatch order and search noise.
        overrides: hyperparameters that differ from the profile, e.g. ``{"search_steps": 50}``.
        task_kwargs: extra arguments to ``mbo_lib.tasks.make`` (e.g. ``{"dim": 20}``).
        regularizer: a surrogate regularizer added through the shared trainer, e.g.
            ``{"name": "ignite", "epsilon": 0.1}``; empty for none.
    """

    task: str
    method: str
    profile: str = "quick"
    seed: int = 0
    overrides: dict = field(default_factory=dict)
    task_kwargs: dict = field(default_factory=dict)
    regularizer: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.profile not in PROFILES:
            raise InvalidInputError(f"unknown profile {self.profile!r}; use one of {PROFILES}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidInputError(f"seed must be a non-negative int, got {self.seed!r}")
        from ..objectives.regularizers import canonical_regularizer  # local: objectives imports the trainer

        # parameters equal to the regularizer's defaults are dropped, so spelling them out keeps the same key
        object.__setattr__(self, "regularizer", canonical_regularizer(self.regularizer))

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def key(self) -> str:
        """A stable 16-hex-digit hash of the spec (same spec, same key, on any machine)."""
        return hashlib.sha256(_canonical(self.as_dict()).encode()).hexdigest()[:16]

    @property
    def relpath(self) -> str:
        """Where the record lives inside the store: ``<profile>/<method>/<task>/seed<k>-<key>.json``."""
        method = self.method + (f"+{self.regularizer['name']}" if self.regularizer else "")
        return f"{self.profile}/{method}/{self.task}/seed{self.seed}-{self.key}.json"

    def __hash__(self):
        return hash(self.key)

    @classmethod
    def from_dict(cls, d: dict) -> "RunSpec":
        return cls(**{k: d[k] for k in ("task", "method", "profile", "seed", "overrides", "task_kwargs", "regularizer") if k in d})
