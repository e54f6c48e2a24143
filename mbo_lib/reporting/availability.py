"""Which tasks can run here: their files present and their oracle usable. Used by notebooks to show
absent tasks as "not run" with the reason instead of failing.

Any exception while probing a task (a damaged shard, a broken oracle, a bug) makes that one task "not run" with the
exception's type and message; the notebook goes on with the others.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MissingDataError, MissingDependencyError
from ..tasks import FILE_TASKS, resolve_task_id
from ..tasks.design_bench_tasks import DESIGN_BENCH_FILE_TASKS

MAX_REASON = 300  # characters of a reason shown in a table cell


def _probe(tid: str) -> None:
    """Build the task and its oracle; score one design unless the oracle is a simulator (seconds per design)."""
    from ..experiments.runner import load_task

    task = load_task(tid)
    if tid in DESIGN_BENCH_FILE_TASKS:
        task.oracle._task = task.oracle._task or task.oracle._build()
        return
    score = task.predict(task.x[:1])
    if not np.isfinite(score).all():
        raise ValueError(f"the oracle scored a dataset design {score.reshape(-1)[0]}")


def task_status(task_id: str) -> tuple[bool, str]:
    """``(True, "")`` if the task builds and its oracle can score here, else ``(False, reason)``.

    Never raises for a registered task: whatever goes wrong while probing it becomes the reason
    (``"<ExceptionType>: <message>"``, or a short hint for missing data files and simulators).
    """
    tid = resolve_task_id(task_id)
    try:
        _probe(tid)
    except MissingDataError as exc:
        if tid in FILE_TASKS:
            return False, "data files not found under MBO_DATA_DIR (see the README, section Data)"
        return False, f"{type(exc).__name__}: {exc}"[:MAX_REASON]
    except MissingDependencyError as exc:
        needs = getattr(DESIGN_BENCH_FILE_TASKS.get(tid), "needs", None)
        return False, f"oracle unavailable here (needs {needs})" if needs else f"oracle unavailable: {exc}"[:MAX_REASON]
    except Exception as exc:  # noqa: BLE001 - one damaged task must not stop a notebook; the reason names the error
        return False, f"{type(exc).__name__}: {exc}"[:MAX_REASON]
    return True, ""


def split_available(task_ids) -> tuple[list[str], dict[str, str]]:
    """``(runnable task ids, {task id: reason not run})``."""
    ok, not_run = [], {}
    for tid in task_ids:
        good, reason = task_status(tid)
        if good:
            ok.append(resolve_task_id(tid))
        else:
            not_run[resolve_task_id(tid)] = reason
    return ok, not_run


# Kinds of the tasks whose data are not here (the task cannot be built to ask it): TF-Bind-10 is DNA, the
# design-bench file tasks are continuous (morphologies, controller weights, material features).
_KIND_WITHOUT_DATA = {"TFBind10-Exact-v0": "discrete"}


@dataclass(frozen=True)
class TaskInfo:
    """One registered task, as ``mbo tasks`` lists it.

    Attributes:
        task_id: the design-bench id.
        short_name: the name used in tables (``TFBind8``).
        kind: ``discrete`` | ``continuous``.
        source: ``embedded`` (ships with the package) or ``data files`` (under ``MBO_DATA_DIR``).
        runs_here: the task builds and its oracle scores here.
        reason: why not, when it does not.
    """

    task_id: str
    short_name: str
    kind: str
    source: str
    runs_here: bool
    reason: str


@dataclass(frozen=True)
class MethodInfo:
    """One registered method, as ``mbo methods`` lists it.

    Attributes:
        name: the registry name.
        task_kinds: the kinds of task it runs on.
        profiles: its profiles (``smoke``, ``quick``, ``paper``).
        version: its ``method_version`` (records of another version are recomputed).
        tasks_here: the tasks of those kinds that run here.
    """

    name: str
    task_kinds: tuple[str, ...]
    profiles: tuple[str, ...]
    version: int
    tasks_here: tuple[str, ...]


def task_catalog() -> list[TaskInfo]:
    """Every registered task with its kind and whether it runs here (builds each task once: seconds)."""
    from ..experiments.runner import load_task
    from ..tasks import EMBEDDED_TASKS, SHORT_NAMES, task_ids

    out = []
    for tid in task_ids():
        ok, reason = task_status(tid)
        kind = ("discrete" if load_task(tid).is_discrete else "continuous") if ok else \
            _KIND_WITHOUT_DATA.get(tid, "continuous")
        out.append(TaskInfo(tid, SHORT_NAMES.get(tid, tid), kind, "embedded" if tid in EMBEDDED_TASKS else "data files",
                            ok, reason))
    return out


def method_catalog(tasks: list[TaskInfo] | None = None) -> list[MethodInfo]:
    """Every registered method with its task kinds, profiles and the tasks it can run here.

    Args:
        tasks: the output of :func:`task_catalog` (computed when not given).
    """
    from ..methods import METHODS

    tasks = task_catalog() if tasks is None else tasks
    return [MethodInfo(m.name, tuple(m.task_kinds), tuple(m.profiles), getattr(m, "version", 1),
                       tuple(t.task_id for t in tasks if t.runs_here and t.kind in m.task_kinds))
            for m in METHODS.values()]
