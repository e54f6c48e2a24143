"""What a method is: a typed configuration (:class:`MethodConfig`), three profiles of it, and ``run``.

Writing your own method
-----------------------

1. Subclass :class:`MethodConfig` as a frozen dataclass (``@dataclass(frozen=True)``). Every field is typed and
   declared with :func:`knob`, which takes the default, a one-line ``help`` and optional bounds (``low``,
   ``high``), ``choices``, ``min_len``/``distinct`` (list fields) and ``at_most`` (each entry of a step list is at
   most the named field, e.g. ``record_steps`` vs ``search_steps``). Use ``tuple[int, ...]`` for list fields
   (the config is immutable; users may pass lists). Set ``method_name``.
2. Subclass :class:`Method`: ``name``, ``task_kinds``, ``config_class`` and ``profiles = {"smoke": ...,
   "quick": ..., "paper": ...}`` (instances of the config class), and register it with
   :func:`mbo_lib.methods.register`.
3. Implement :meth:`Method.run` (its contract is in its docstring).

Validation lives in one place, :meth:`MethodConfig.__post_init__`: every construction (profiles, overrides,
``task_overrides``) is checked, strictly (a bool is not an int, ``2.5``, ``"5"`` and ``None`` are not ints, a
float field accepts ints), and a bad value raises :class:`~mbo_lib.errors.InvalidInputError` naming the method,
the field, the value and what is allowed.

Records and versions
--------------------

A record stores :meth:`Method.hyperparameters` (the resolved config as a plain JSON-able dict) and
:attr:`Method.version`. A stored record is reusable only while both are unchanged. Two rules keep old records
valid when the code grows:

- a **new field** must reproduce the old behaviour at some value, declared in the config class's
  ``legacy_defaults`` (``{field: value before the field existed}``); a stored dict without that key matches when
  the current value equals the legacy default (and is stale otherwise: it must be recomputed);
- a **behaviour change without a config field** (a bug fix, a different default inside the code) bumps the
  method's ``version`` (an int, starting at 1), so every record made before it is stale.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import textwrap
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np
from torch import nn

from ..errors import InvalidInputError
from ..surrogates.trainer import TrainingHook, TrainingLog
from ..tasks.base import Task

HookFactory = Callable[[], list[TrainingHook]]  # fresh hooks for each surrogate a method trains
PROFILES = ("smoke", "quick", "paper")


def no_hooks() -> list[TrainingHook]:
    return []


def knob(default: Any, help: str, *, low: float | None = None, high: float | None = None,
         choices: tuple | None = None, min_len: int | None = None, distinct: bool = False,
         at_most: str | None = None) -> Any:
    """A config field with its one-line ``help`` and its checks (kept in ``dataclasses.field(metadata=...)``).

    Args:
        default: the default value (lists are given as tuples).
        help: what the field means, one line.
        low, high: inclusive bounds of the value, or of every entry of a list field.
        choices: the allowed values.
        min_len: the fewest entries a list field may have.
        distinct: a list field's entries must differ.
        at_most: name of an int field every entry of this list must not exceed (``record_steps`` vs ``search_steps``).
    """
    meta = dict(help=help, low=low, high=high, choices=choices, min_len=min_len, distinct=distinct, at_most=at_most)
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta)
    return field(default=default, metadata=meta)


def plain(value: Any) -> Any:
    """``value`` as plain JSON-able Python: numpy scalars -> scalars, tuples/arrays -> lists, dicts recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _type_name(tp: Any) -> str:
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple:
        return f"a list of {_type_name(args[0])}s"  # e.g. "a list of integers"
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " or ".join("None" if a is type(None) else _type_name(a) for a in args)
    return {int: "integer", float: "number", bool: "bool", str: "str", dict: "dict"}.get(tp, str(tp))


def _scalar(value: Any, tp: Any) -> tuple[bool, Any]:
    """``(ok, value as a Python scalar)`` for a scalar type ``int``, ``float``, ``bool`` or ``str``."""
    is_bool = isinstance(value, (bool, np.bool_))
    if tp is bool:
        return is_bool, bool(value) if is_bool else value
    if is_bool:
        return False, value
    if tp is int:
        return isinstance(value, (int, np.integer)), int(value) if isinstance(value, (int, np.integer)) else value
    if tp is float:
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        return isinstance(value, (int, float)) and math.isfinite(value), value
    if tp is str:
        return isinstance(value, str), value
    if tp is dict:
        return isinstance(value, dict), value
    raise TypeError(f"unsupported config field type {tp!r}")


def _coerce(value: Any, tp: Any) -> tuple[bool, Any]:
    """``(ok, normalized value)`` of ``value`` against the annotation ``tp``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return True, None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(value, inner)
    if origin is tuple:
        if not isinstance(value, (list, tuple, np.ndarray)) or getattr(value, "ndim", 1) != 1:
            return False, value
        items = [_scalar(v, args[0]) for v in value]
        return all(ok for ok, _ in items), tuple(v for _, v in items)
    return _scalar(value, tp)


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict:
    return typing.get_type_hints(cls)


@dataclass(frozen=True)
class MethodConfig:
    """Base of every method's typed configuration; validates all fields in :meth:`__post_init__`.

    Class attributes:
        method_name: the method's registry name (used in error messages).
        legacy_defaults: ``{field: value}`` for fields added after records were made: the value that reproduces
            the behaviour from before the field existed (see the module docstring).
    """

    method_name: ClassVar[str] = ""
    legacy_defaults: ClassVar[dict] = {}

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, self._checked(f, hints[f.name], getattr(self, f.name)))
        for f in dataclasses.fields(self):
            bound = f.metadata.get("at_most")
            if bound and any(v > getattr(self, bound) for v in getattr(self, f.name)):
                self._fail(f.name, getattr(self, f.name), f"has entries above {bound}={getattr(self, bound)}",
                           f"entries in [0, {bound}]")
        if "task_overrides" in hints:
            object.__setattr__(self, "task_overrides", self._checked_task_overrides(self.task_overrides))
        self.check()

    def check(self) -> None:
        """Cross-field rules of one method (override; raise via :meth:`_fail`). Runs after the field checks."""

    def _fail(self, name: str, value: Any, problem: str, allowed: str = "") -> None:
        """Raise :class:`InvalidInputError` naming the method, the field, the value, the problem and what is allowed."""
        raise InvalidInputError(f"{self.method_name}: {name}={plain(value)!r} {problem}"
                                + (f"; allowed: {allowed}" if allowed else ""))

    def _checked(self, f: dataclasses.Field, tp: Any, value: Any) -> Any:
        m = f.metadata
        ok, value_ = _coerce(value, tp)
        low, high, choices = m.get("low"), m.get("high"), m.get("choices")
        bounds = "" if low is None and high is None else f" in [{low}, {high}]"
        allowed = _type_name(tp) + bounds + (f", one of {choices}" if choices else "")
        if m.get("min_len"):
            allowed += f", at least {m['min_len']} entr{'y' if m['min_len'] == 1 else 'ies'}"
        if m.get("distinct"):
            allowed += ", entries distinct"
        if not ok:
            self._fail(f.name, value, "has the wrong type", allowed)
        if value_ is None or isinstance(value_, dict):
            return value_
        values = value_ if isinstance(value_, tuple) else (value_,)
        if (low is not None and any(v < low for v in values)) or (high is not None and any(v > high for v in values)):
            self._fail(f.name, value, "is out of range", allowed)
        if choices is not None and value_ not in choices:
            self._fail(f.name, value, "is not one of the choices", allowed)
        if m.get("min_len") and len(values) < m["min_len"]:
            self._fail(f.name, value, "has too few entries", allowed)
        if m.get("distinct") and len(set(values)) != len(values):
            self._fail(f.name, value, "has repeated entries", allowed)
        return value_

    def _checked_task_overrides(self, table: dict) -> dict:
        """``{task_id: {field: value}}``, each entry validated by building the merged config."""
        names = {f.name for f in dataclasses.fields(self)} - {"task_overrides"}
        out = {}
        for task_id, entry in table.items():
            if not isinstance(task_id, str) or not isinstance(entry, dict):
                self._fail("task_overrides", table, "has the wrong type", "a dict {task_id: {field: value}}")
            unknown = sorted(set(entry) - names)
            if unknown:
                raise InvalidInputError(f"{self.method_name}: task_overrides[{task_id!r}] names unknown field(s) "
                                        f"{unknown}; fields: {sorted(names)}")
            try:
                merged = dataclasses.replace(self, task_overrides={}, **entry)
            except InvalidInputError as err:
                detail = str(err).removeprefix(f"{self.method_name}: ")
                raise InvalidInputError(f"{self.method_name}: task_overrides[{task_id!r}]: {detail}") from None
            out[task_id] = {k: getattr(merged, k) for k in entry}
        return out

    def for_task(self, task_id: str) -> "MethodConfig":
        """This config with ``task_overrides[task_id]`` merged in (itself if it has no entry for the task)."""
        entry = (getattr(self, "task_overrides", None) or {}).get(task_id)
        return dataclasses.replace(self, **entry) if entry else self

    @classmethod
    def from_dict(cls, values: dict) -> "MethodConfig":
        """A config from a full ``{field: value}`` dict (e.g. a record's ``hyperparameters``); validated."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = {k: v for k, v in values.items() if k not in names}
        if unknown:
            raise InvalidInputError(f"{cls.method_name} has no hyperparameter(s) {unknown}; it has {sorted(names)}")
        return cls(**values)

    def to_dict(self) -> dict:
        """Every field as plain JSON-able Python (lists, not tuples)."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def field_help(cls) -> dict[str, str]:
        """``{field: one-line help}``."""
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}


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
    """Subclass and register with :func:`mbo_lib.methods.register` (see the module docstring).

    Class attributes:
        name: registry name (``"GA"``).
        task_kinds: subset of ``{"discrete", "continuous"}``.
        config_class: the method's :class:`MethodConfig` subclass.
        profiles: ``{"smoke": config, "quick": config, "paper": config}``, instances of ``config_class``.
        version: bumped when the method's behaviour changes without a config field (records store it).
        training_group: methods of one group train the same surrogate from the same hyperparameters and differ only
            in the search (GA-Ensemble-Mean and -Min). A method with a group implements ``train`` and ``search``
            (``run`` = ``search(train(...))``), so :func:`mbo_lib.experiments.runner.run_shared` can train once and
            search twice; ``None`` (the default): no sharing.
    """

    name: str = ""
    task_kinds: tuple[str, ...] = ("discrete", "continuous")
    config_class: type[MethodConfig] = MethodConfig
    profiles: dict[str, MethodConfig] = {}
    version: int = 1
    training_group: str | None = None

    @property
    def legacy_defaults(self) -> dict:
        """``{field: value}`` reproducing the behaviour from before each field existed (record migration)."""
        return dict(self.config_class.legacy_defaults)

    def config(self, profile: str, overrides: dict | None = None) -> MethodConfig:
        """The typed config of ``profile`` with ``overrides`` applied (validated).

        Raises:
            InvalidInputError: unknown profile or field, or a value the config class rejects.
        """
        if profile not in self.profiles:
            raise InvalidInputError(f"{self.name} has no profile {profile!r}; it has {sorted(self.profiles)}")
        overrides = overrides or {}
        if not isinstance(overrides, dict):
            raise InvalidInputError(f"{self.name}: overrides must be a dict {{field: value}}, got {overrides!r}")
        names = [f.name for f in dataclasses.fields(self.config_class)]
        unknown = {k: v for k, v in overrides.items() if k not in names}
        if unknown:
            raise InvalidInputError(f"{self.name} has no hyperparameter(s) {unknown}; it has {sorted(names)}")
        base = self.profiles[profile]
        return dataclasses.replace(base, **overrides) if overrides else base

    def hyperparameters(self, profile: str, overrides: dict | None = None) -> dict:
        """The resolved config as a plain JSON-able dict (what a record stores)."""
        return self.config(profile, overrides).to_dict()

    def normalize_overrides(self, profile: str, overrides: dict | None) -> dict:
        """``overrides`` validated, as plain Python, without the entries equal to the profile's value.

        So that two specs describing the same run (``{"epochs": np.int64(20)}`` on a profile with 20 epochs and
        ``{}``) have one record key.
        """
        resolved = self.config(profile, overrides).to_dict()
        base = self.profiles[profile].to_dict()
        floats = {f.name for f in dataclasses.fields(self.config_class) if f.type in (float, "float")}

        def canonical(k, v):  # alpha=0 and alpha=0.0 are one run: a number field's override is stored as a float
            return float(v) if k in floats and isinstance(v, int) and not isinstance(v, bool) else v

        return {k: canonical(k, resolved[k]) for k in (overrides or {}) if resolved[k] != base[k]}

    def check_task(self, task: Task) -> None:
        kind = "discrete" if task.is_discrete else "continuous"
        if kind not in self.task_kinds:
            raise InvalidInputError(f"{self.name} does not run on {kind} tasks such as {task.task_id}")

    def run(self, task: Task, config: MethodConfig, *, seed: int, device, progress: bool | None = None,
            hooks: HookFactory = no_hooks) -> MethodOutput:
        """Train the method's surrogate(s) on ``task``'s offline data and search for candidates.

        The contract every method follows (the runner relies on it):

        - ``task``: the loaded task (``task.x``, ``task.y``, ``task.is_discrete`` ...). A method never calls the
          oracle (``task.predict``): the runner scores ``designs`` and ``steps`` afterwards.
        - ``config``: an instance of ``config_class`` (already validated; read it by attribute). Apply
          ``config.for_task(task.task_id)`` first if the config has ``task_overrides``.
        - ``seed``: the only source of randomness. Seed every generator from it (``torch.manual_seed(seed)``
          before building a model, ``np.random.default_rng(seed)``, ``torch.Generator().manual_seed(seed)``),
          so the same spec gives bit-identical scores. The runner also seeds the global NumPy and torch RNGs.
        - ``device``: a torch device (or its name) to train and search on; return designs on the CPU as NumPy.
        - ``progress``: show tqdm bars (``None``: the ``MBO_PROGRESS`` default); pass it to the trainer.
        - ``hooks``: a factory of fresh training hooks, called once per surrogate trained; pass what it returns to
          :func:`~mbo_lib.surrogates.train_surrogate` (or the factory to ``train_ensemble``). This is how a
          regularizer such as IGNITE is added to any method without changing it.

        Returns:
            :class:`MethodOutput`: ``designs`` (the final candidates, in the format ``task.predict`` accepts),
            optionally ``steps`` (``{step: designs}`` for score-vs-step curves), ``train_logs`` (one log per
            surrogate trained), JSON-able ``extras``, the search ``surrogate`` and ``candidate_inputs`` (the
            final candidates in the surrogate's input space, for the sharpness measurement).
        """
        raise NotImplementedError


def profile_table(method: Method) -> str:
    """An RST table of every field's value per profile (rows: fields; columns: profiles), plus ``task_overrides``.

    The method modules' docstrings carry this table verbatim between ``.. profile-table:`` markers;
    ``tests/methods/test_configs.py`` checks they have not drifted (regenerate with
    ``python -m mbo_lib.methods.docs``).
    """
    names = [f.name for f in dataclasses.fields(method.config_class) if f.name != "task_overrides"]
    profiles = [p for p in PROFILES if p in method.profiles]

    def cell(value: Any) -> str:
        value = plain(value)
        if isinstance(value, list):
            return ", ".join(cell(v) for v in value) or "(none)"
        if isinstance(value, bool) or value is None:
            return str(value)
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    rows = [["field", *profiles]] + [[n, *(cell(getattr(method.profiles[p], n)) for p in profiles)] for n in names]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    rule = "  ".join("=" * w for w in widths)
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    out = [rule, line(rows[0]), rule, *(line(r) for r in rows[1:]), rule]
    for p in profiles:
        for task_id, entry in (getattr(method.profiles[p], "task_overrides", None) or {}).items():
            text = f"task_overrides ({p}, {task_id}): " + "; ".join(f"{k}={cell(v)}" for k, v in entry.items())
            out.append(textwrap.fill(text, width=116, subsequent_indent="  ", break_on_hyphens=False))
    return "\n".join(out)
