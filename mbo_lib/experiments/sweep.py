"""A sweep from command-line words: parse seeds and ``key=value`` settings, build the grid, run it, summarize.

This is the library side of ``mbo run`` (``mbo_lib/cli.py`` only parses arguments and prints): the same calls
work from a script or a notebook.

Example:
    >>> parse_seeds("0-3,7")
    [0, 1, 2, 3, 7]
    >>> parse_assignments(["epochs=2", "hidden=[8, 8]", "note=abc"], "--set")
    {'epochs': 2, 'hidden': [8, 8], 'note': 'abc'}
"""
from __future__ import annotations

import json
import re
from typing import Iterable, Sequence

from ..errors import InvalidInputError
from .executors import SweepResult, run_specs
from .runner import grid
from .spec import RunSpec
from .store import RecordStore

_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"3"``, ``"0,2,5"``, ``"0-7"`` (inclusive) or a mix (``"0-3,7"``), in order, without repeats.

    Raises:
        InvalidInputError: an empty item, a negative or non-integer seed, or a range whose end is below its start.
    """
    seeds: list[int] = []
    for item in str(text).split(","):
        item = item.strip()
        match = _RANGE.match(item)
        if match:
            low, high = int(match[1]), int(match[2])
            if high < low:
                raise InvalidInputError(f"seeds {text!r}: range {item!r} ends before it starts")
            values = range(low, high + 1)
        elif item.isdigit():
            values = [int(item)]
        else:
            raise InvalidInputError(f"seeds {text!r}: {item!r} is not a seed (use e.g. 3, 0,2,5 or 0-7)")
        seeds += [v for v in values if v not in seeds]
    return seeds


def parse_literal(text: str):
    """``text`` as a JSON value when it is one (``5``, ``0.05``, ``true``, ``[8, 8]``, ``null``), else the string.

    Python spellings ``True``/``False``/``None`` are accepted too, so ``--set normalize=True`` is a boolean.
    """
    python_words = {"True": True, "False": False, "None": None}
    if text in python_words:
        return python_words[text]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(items: Iterable[str] | None, option: str = "--set") -> dict:
    """``["key=value", ...]`` -> ``{key: parse_literal(value)}``; a repeated key keeps its last value.

    Args:
        items: the words given to ``option``.
        option: the option's name, for error messages.

    Raises:
        InvalidInputError: an item without ``=`` or with an empty key.
    """
    out = {}
    for item in items or []:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{option} {item!r}: expected key=value (e.g. {option} epochs=5)")
        out[key.strip()] = parse_literal(value.strip())
    return out


def sweep_specs(tasks: Sequence[str], methods: Sequence[str], profile: str, seeds: Sequence[int],
                overrides: dict | None = None, regularizer: str | None = None, regularizer_params: dict | None = None,
                task_kwargs: dict | None = None) -> list[RunSpec]:
    """The grid tasks x methods x seeds, every spec with the same overrides, regularizer and task kwargs.

    Args:
        tasks: task ids or short names.
        methods: method names.
        profile: ``smoke`` | ``quick`` | ``paper``.
        seeds: the seeds.
        overrides: method hyperparameters that differ from the profile; applied to every method, so each must
            have them.
        regularizer: a regularizer name (e.g. ``"ignite"``) added to every run, or None.
        regularizer_params: the regularizer's parameters (e.g. ``{"epsilon": 0.05}``); needs ``regularizer``.
        task_kwargs: arguments to ``mbo_lib.tasks.make`` for every task (e.g. ``{"max_samples": 500}``).

    Raises:
        InvalidInputError, UnknownTaskError, UnknownMethodError: a bad value, named in the message.
    """
    if not tasks or not methods or not seeds:
        missing = [n for n, v in (("tasks", tasks), ("methods", methods), ("seeds", seeds)) if not v]
        raise InvalidInputError(f"a sweep needs at least one task, method and seed; none given for {missing}")
    if regularizer_params and not regularizer:
        raise InvalidInputError(f"regularizer parameters {regularizer_params} given without a regularizer name")
    reg = {"name": regularizer, **(regularizer_params or {})} if regularizer else {}
    for task in tasks:
        check_task_kwargs(task, task_kwargs or {})
    return grid(tasks, methods, seeds, profile, overrides=dict(overrides or {}), regularizer=reg,
                task_kwargs=dict(task_kwargs or {}))


def check_task_kwargs(task: str, kwargs: dict) -> None:
    """Raise now, before any run, when ``mbo_lib.tasks.make(task, **kwargs)`` would reject an argument name."""
    import inspect

    from ..tasks import resolve_task_id
    from ..tasks.registry import TASK_BUILDERS

    tid = resolve_task_id(task)
    params = inspect.signature(TASK_BUILDERS[tid]).parameters
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise InvalidInputError(f"task kwargs {unknown} not taken by {tid}; it takes "
                                f"{sorted(p for p in params if p != 'name')}")


def describe(spec: RunSpec) -> str:
    """A short human name of a run: ``GA+ignite on Ackley-Synthetic-v0, seed 3``."""
    reg = f"+{spec.regularizer['name']}" if spec.regularizer else ""
    return f"{spec.method}{reg} on {spec.task}, seed {spec.seed}"


def run_sweep(specs: Sequence[RunSpec], store: RecordStore | None = None, executor: str = "serial",
              workers: int | None = None, scheduler_address: str | None = None, device: str = "auto",
              progress: bool | None = None) -> SweepResult:
    """Run every spec whose record is missing (finished runs are reused); failures are collected, not raised.

    A thin layer over :func:`~mbo_lib.experiments.executors.run_specs` (see there for the executors) with
    ``raise_on_error=False``, so a caller always gets the full :class:`SweepResult` to summarize.
    """
    return run_specs(specs, store, executor=executor, workers=workers, scheduler_address=scheduler_address,
                     device=device, progress=progress, raise_on_error=False)


def summary_lines(result: SweepResult) -> list[str]:
    """What a sweep did, for people: one line per failed run (with its reason), then the counts.

    The last line reads ``runs: N | done D | reused R | failed F | <seconds> s | records in <store>``: *done*
    were computed by this call, *reused* had a valid record already.
    """
    by_key = {s.key: s for s in result.specs}
    lines = [f"FAILED {describe(by_key[k])} [{k}]: {reason.splitlines()[0] if reason else ''}"
             for k, reason in result.failed.items()]
    lines.append(f"runs: {len(result.specs)} | done {len(result.computed)} | reused {len(result.skipped)} | "
                 f"failed {len(result.failed)} | {result.seconds:.1f} s | records in {result.store.root}")
    return lines
