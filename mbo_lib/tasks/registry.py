"""``make(task_id, **kwargs)``: the one entry point to every task, with design-bench's ids."""
from __future__ import annotations

import difflib
import inspect
from functools import partial
from typing import Callable

from ..errors import InvalidInputError, UnknownTaskError
from .base import Task
from .design_bench_tasks import DESIGN_BENCH_FILE_TASKS, make_design_bench_file_task
from .synthetic import SYNTHETIC_FUNCTIONS, make_synthetic
from .tfbind import make_tfbind8, make_tfbind10

TASK_BUILDERS: dict[str, Callable[..., Task]] = {
    "TFBind8-Exact-v0": make_tfbind8,
    "TFBind10-Exact-v0": make_tfbind10,
    **{tid: partial(make_design_bench_file_task, tid) for tid in DESIGN_BENCH_FILE_TASKS},
    **{f"{name}-Synthetic-v0": partial(make_synthetic, name) for name in SYNTHETIC_FUNCTIONS},
}

# Short names used in tables and in the published-score reference.
SHORT_NAMES = {"TFBind8-Exact-v0": "TFBind8", "TFBind10-Exact-v0": "TFBind10", "AntMorphology-Exact-v0": "Ant",
               "DKittyMorphology-Exact-v0": "DKitty", "Superconductor-RandomForest-v0": "Superconductor",
               "HopperController-Exact-v0": "Hopper",
               **{f"{n}-Synthetic-v0": n for n in SYNTHETIC_FUNCTIONS}}
EMBEDDED_TASKS = ("TFBind8-Exact-v0", *[f"{n}-Synthetic-v0" for n in SYNTHETIC_FUNCTIONS])  # need no data directory
FILE_TASKS = ("TFBind10-Exact-v0", *DESIGN_BENCH_FILE_TASKS)


def task_ids() -> list[str]:
    """Every registered task id."""
    return list(TASK_BUILDERS)


def resolve_task_id(task_id: str) -> str:
    """Accept a full id or a short name ("TFBind8"); raise :class:`UnknownTaskError` listing the known ids."""
    if task_id in TASK_BUILDERS:
        return task_id
    by_short = {v.lower(): k for k, v in SHORT_NAMES.items()}
    if isinstance(task_id, str) and task_id.lower() in by_short:
        return by_short[task_id.lower()]
    close = difflib.get_close_matches(str(task_id), task_ids(), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownTaskError(f"Unknown task {task_id!r}.{hint} Known tasks: {', '.join(task_ids())}")


def make(task_id: str, **kwargs) -> Task:
    """Build a task by id, e.g. ``make("TFBind8-Exact-v0")`` or ``make("Ackley-Synthetic-v0", dim=20)``."""
    tid = resolve_task_id(task_id)
    builder = TASK_BUILDERS[tid]
    params = inspect.signature(builder).parameters
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise InvalidInputError(f"{tid} does not take {unknown}; it takes {sorted(p for p in params if p != 'name')}")
    return builder(**kwargs)
