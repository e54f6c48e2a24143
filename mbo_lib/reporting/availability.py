"""Which tasks can run here: their files present and their oracle usable. Used by notebooks to show
absent tasks as "not run" with the reason instead of failing.

Any exception while probing a task (a damaged shard, a broken oracle, a bug) makes that one task "not run" with the
exception's type and message; the notebook goes on with the others.
"""
from __future__ import annotations

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
