"""Checking what a method's ``run`` returns, before the runner scores and saves it.

A method written by a user can return the wrong thing; the runner must say so clearly, naming the method and the
field, instead of failing deep inside NumPy, torch or ``json``:

- a wrong type (a dict instead of a :class:`~mbo_lib.methods.MethodOutput`, ``train_logs`` given as a dict, no
  designs at all) is refused at once with :class:`~mbo_lib.errors.InvalidInputError`;
- torch tensors (``designs``, ``steps``, ``candidate_inputs``, values in ``extras``) are detached and converted to
  NumPy, NumPy values in ``extras`` to plain numbers and lists;
- problems that leave a finished, scorable run (an ``extras`` value JSON cannot store, fewer designs than the
  config's ``num_candidates``) do not lose it: :func:`checked_output` returns them, the runner scores the run and
  :func:`keep_unsaved` writes the record (without the bad extras, with the designs) to
  ``MBO_CACHE_DIR/unsaved-records/<relpath>`` before raising an ``InvalidInputError`` that names both.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from ..config import cache_dir
from ..errors import InvalidInputError
from ..methods.base import MethodOutput
from ..surrogates.trainer import TrainingLog

_JSON_SCALARS = (type(None), bool, int, float, str)


def _as_numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def _designs(who: str, field: str, value) -> np.ndarray:
    value = _as_numpy(value)
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except ValueError:  # ragged lists
            pass
    if not isinstance(value, np.ndarray):
        raise InvalidInputError(f"{who}: MethodOutput.{field} must be a NumPy array (or torch tensor) of designs, "
                                f"one per row, got {type(value).__name__}")
    if value.ndim < 1 or not (np.issubdtype(value.dtype, np.number) or value.dtype == np.bool_):
        raise InvalidInputError(f"{who}: MethodOutput.{field} must be a numeric array of designs, one per row, got "
                                f"shape {value.shape} dtype {value.dtype}")
    return value


def _jsonable(value):
    """``value`` with tensors, NumPy arrays and NumPy scalars turned into plain numbers and lists."""
    value = _as_numpy(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _not_json(value, where: str) -> tuple[str, str] | None:
    """``(path, type name)`` of the first part of ``value`` JSON cannot store, ``None`` when all of it can."""
    if isinstance(value, _JSON_SCALARS):
        return None
    if isinstance(value, list):
        return next((bad for i, v in enumerate(value) if (bad := _not_json(v, f"{where}[{i}]"))), None)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                return f"{where} key {k!r}", type(k).__name__
            bad = _not_json(v, f"{where}[{k!r}]")
            if bad:
                return bad
        return None
    return where, type(value).__name__


def checked_output(method, output, config, task) -> tuple[MethodOutput, list[str]]:
    """``(output with tensors converted, problems)`` for what ``method.run`` returned on ``task`` with ``config``.

    Raises :class:`InvalidInputError` naming the method and the field for what cannot be scored (see the module
    docstring); ``problems`` lists, as messages, what can be scored but must not be saved as a record (an
    ``extras`` entry that is not JSON, which is dropped from the returned output, or too few designs).
    """
    who = getattr(method, "name", None) or type(method).__name__
    if not isinstance(output, MethodOutput):
        hint = " (build it as MethodOutput(**that_dict))" if isinstance(output, dict) else ""
        raise InvalidInputError(f"{who}: run() returned a {type(output).__name__}, not a "
                                f"mbo_lib.methods.MethodOutput{hint}")
    designs = _designs(who, "designs", output.designs)
    if designs.shape[0] == 0:
        raise InvalidInputError(f"{who}: MethodOutput.designs holds no designs (shape {designs.shape})")
    steps = output.steps if output.steps is not None else {}
    if not isinstance(steps, dict):
        raise InvalidInputError(f"{who}: MethodOutput.steps must be a dict {{step: designs}}, got "
                                f"{type(steps).__name__}")
    for step in steps:
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)):
            raise InvalidInputError(f"{who}: MethodOutput.steps keys must be integer steps, got {step!r}")
    steps = {step: _designs(who, f"steps[{step}]", d) for step, d in steps.items()}
    logs = output.train_logs if output.train_logs is not None else []
    if not isinstance(logs, (list, tuple)):
        raise InvalidInputError(f"{who}: MethodOutput.train_logs must be a list of TrainingLog (one per surrogate "
                                f"trained, as train_surrogate returns them), got a {type(logs).__name__}")
    for i, log in enumerate(logs):
        if not isinstance(log, TrainingLog):
            raise InvalidInputError(f"{who}: MethodOutput.train_logs[{i}] must be a TrainingLog (what "
                                    f"train_surrogate returns), got a {type(log).__name__}")
    extras = output.extras if output.extras is not None else {}
    if not isinstance(extras, dict):
        raise InvalidInputError(f"{who}: MethodOutput.extras must be a dict {{name: JSON-able value}}, got a "
                                f"{type(extras).__name__}")
    inputs = output.candidate_inputs
    inputs = None if inputs is None else np.asarray(_as_numpy(inputs))

    problems, kept = [], {}
    for key, value in extras.items():
        value = _jsonable(value)
        bad = _not_json(value, f"MethodOutput.extras[{key!r}]") if isinstance(key, str) else \
            (f"MethodOutput.extras key {key!r}", type(key).__name__)
        if bad:
            problems.append(f"{who}: {bad[0]} is a {bad[1]}, which a JSON record cannot store (extras hold numbers, "
                            f"strings, bools, None, and lists and dicts of those; NumPy arrays and torch tensors "
                            f"are converted): the key was left out")
        else:
            kept[key] = value
    cfg = config.for_task(task.task_id) if hasattr(config, "for_task") else config
    wanted = getattr(cfg, "num_candidates", None)
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        expected = min(wanted, task.dataset_size)
        if designs.shape[0] < expected:
            capped = f", capped by the {task.dataset_size} rows of {task.task_id}" if expected < wanted else ""
            problems.append(f"{who} returned {designs.shape[0]} designs, expected {expected} "
                            f"(num_candidates={wanted}{capped})")
    out = dataclasses.replace(output, designs=designs, steps=steps, train_logs=list(logs), extras=kept,
                              candidate_inputs=inputs)
    return out, problems


def keep_unsaved(spec, record: dict, output: MethodOutput, problems: list[str]) -> None:
    """Write ``record`` (plus the designs and ``problems``) to ``MBO_CACHE_DIR/unsaved-records/<relpath>`` and
    raise :class:`InvalidInputError` with the problems and that path. The record store is not touched."""
    from .spec import plain
    from .store import _write_atomic

    path = cache_dir() / "unsaved-records" / spec.relpath
    kept = {**record, "designs": plain(output.designs), "unsaved_because": list(problems)}
    try:
        _write_atomic(Path(path), kept, mkdir=True)
        where = (f"the finished run (designs, scores, training logs) was written to {path}, not to the record "
                 f"store; fix the method and run it again")
    except (OSError, TypeError, ValueError) as exc:
        where = f"writing the finished run to {path} failed too ({exc}): it is lost"
    raise InvalidInputError("; ".join(problems) + f". {where}")

