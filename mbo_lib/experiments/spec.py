"""A run is described by a :class:`RunSpec`; its key names the record file, so finished runs are never redone.

One run has one key: a spec is normalized before it is hashed (canonical task id and method name, a plain
``int`` seed, overrides as plain Python values without those equal to the profile's, canonical task kwargs and
regularizer), so every spelling of the same run finds the same record.
"""
from __future__ import annotations

import hashlib
import json
import numbers
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import InvalidInputError

PROFILES = ("smoke", "quick", "paper")
MAX_SEED = 2**32  # NumPy's legacy seeding (np.random.seed) takes seeds in [0, 2**32)


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def plain(value):
    """``value`` as plain JSON-able Python: NumPy scalars and arrays to numbers and lists, tuples to lists.

    Example:
        >>> plain({"lr": np.float32(0.5), "hidden": (np.int64(8), 8)})
        {'lr': 0.5, 'hidden': [8, 8]}
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def same_value(a, b) -> bool:
    """Plain-typed equality where ``True`` is not ``1`` (a switch is not a count) but ``1 == 1.0``."""
    a, b = plain(a), plain(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return a == b
    return type(a) is type(b) and a == b


def _seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise InvalidInputError(f"seed must be an int in [0, 2**32), got {seed!r} ({type(seed).__name__})")
    seed = int(seed)
    if not 0 <= seed < MAX_SEED:
        raise InvalidInputError(f"seed must be in [0, 2**32) (NumPy's seed range), got {seed}")
    return seed


def _overrides(method, profile: str, overrides) -> dict:
    """Overrides as plain values, those equal to the profile's dropped; unknown or invalid ones raise."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise InvalidInputError(f"overrides must be a dict of hyperparameters, got {overrides!r}")
    if hasattr(method, "normalize_overrides"):
        return plain(method.normalize_overrides(profile, overrides))
    overrides = plain(overrides)
    method.hyperparameters(profile, overrides)  # unknown name, out of range, missing profile: InvalidInputError
    base = plain(method.hyperparameters(profile))
    return {k: v for k, v in overrides.items() if not same_value(v, base[k])}


def _task_kwargs(task_id: str, kwargs) -> dict:
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, dict):
        raise InvalidInputError(f"task_kwargs must be a dict of arguments to mbo_lib.tasks.make, got {kwargs!r}")
    from ..tasks import canonical_task_kwargs

    return plain(canonical_task_kwargs(task_id, kwargs))


def _regularizer(regularizer) -> dict:
    """``"ignite"`` is shorthand for ``{"name": "ignite"}``; defaults are dropped; bad specs raise now."""
    from ..objectives.regularizers import canonical_regularizer, regularizer_factory  # objectives imports the trainer

    if regularizer is None or regularizer == {}:
        return {}
    if isinstance(regularizer, str):
        regularizer = {"name": regularizer}
    if not isinstance(regularizer, dict) or "name" not in regularizer:
        raise InvalidInputError(f"regularizer must be a name (e.g. 'ignite') or a dict with a 'name' and its "
                                f"parameters (e.g. {{'name': 'ignite', 'epsilon': 0.05}}), got {regularizer!r}")
    regularizer = plain(regularizer)
    regularizer_factory(regularizer)  # unknown name or parameter, invalid value: InvalidInputError
    return canonical_regularizer(regularizer)


@dataclass(frozen=True)
class RunSpec:
    """One run: a method on a task, at a profile, with a seed and optional overrides.

    Every field is normalized on creation (see the module docstring), so ``RunSpec("TFBind8", "ga")`` and
    ``RunSpec("TFBind8-Exact-v0", "GA")`` are equal and share a key.

    Attributes:
        task: task id or short name (``"TFBind8-Exact-v0"``, ``"TFBind8"``); stored as the full id.
        method: method name, any case (``"GA"``); see ``mbo_lib.methods.method_names()``.
        profile: ``smoke`` | ``quick`` | ``paper``: the method's sizes (see ``docs`` in the method module).
        seed: an int in ``[0, 2**32)`` (NumPy ints too, not ``bool``): seeds model init, minibatch order and
            search noise.
        overrides: hyperparameters that differ from the profile, e.g. ``{"search_steps": 50}``; unknown or
            out-of-range ones raise :class:`~mbo_lib.errors.InvalidInputError` here.
        task_kwargs: extra arguments to ``mbo_lib.tasks.make`` (e.g. ``{"dim": 20}``).
        regularizer: a surrogate regularizer added through the shared trainer, e.g.
            ``{"name": "ignite", "epsilon": 0.1}`` or just ``"ignite"``; empty for none.

    Example:
        >>> RunSpec("TFBind8", "ga", "smoke", 0).key == RunSpec("TFBind8-Exact-v0", "GA", "smoke", 0).key
        True
    """

    task: str
    method: str
    profile: str = "quick"
    seed: int = 0
    overrides: dict = field(default_factory=dict)
    task_kwargs: dict = field(default_factory=dict)
    regularizer: dict = field(default_factory=dict)

    def __post_init__(self):
        from ..methods import get_method  # local: methods import the trainer and torch
        from ..tasks import resolve_task_id

        if self.profile not in PROFILES:
            raise InvalidInputError(f"unknown profile {self.profile!r}; use one of {PROFILES}")
        task = resolve_task_id(self.task)
        method = get_method(self.method)
        normalized = dict(task=task, method=method.name, seed=_seed(self.seed),
                          overrides=_overrides(method, self.profile, self.overrides),
                          task_kwargs=_task_kwargs(task, self.task_kwargs),
                          regularizer=_regularizer(self.regularizer))
        for name, value in normalized.items():
            object.__setattr__(self, name, value)

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
        if not isinstance(d, dict) or not {"task", "method"} <= set(d):
            raise InvalidInputError(f"a spec dict needs at least 'task' and 'method', got {d!r}")
        fields = ("task", "method", "profile", "seed", "overrides", "task_kwargs", "regularizer")
        return cls(**{k: d[k] for k in fields if k in d})
