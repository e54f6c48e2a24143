"""Which tasks can run here: their files present and their oracle usable. Used by notebooks to show
absent tasks as "not run" with the reason instead of failing."""
from __future__ import annotations

from ..errors import MBOError, MissingDataError, MissingDependencyError
from ..tasks import resolve_task_id
from ..tasks.design_bench_tasks import DESIGN_BENCH_FILE_TASKS


def task_status(task_id: str) -> tuple[bool, str]:
    """``(True, "")`` if the task builds and its oracle can score here, else ``(False, reason)``."""
    from ..experiments.runner import load_task

    tid = resolve_task_id(task_id)
    try:
        task = load_task(tid)
        if tid in DESIGN_BENCH_FILE_TASKS:
            task.oracle._task = task.oracle._task or task.oracle._build()
    except MissingDataError:
        return False, "data files not found under MBO_DATA_DIR (see the README, section Data)"
    except MissingDependencyError as exc:
        needs = getattr(DESIGN_BENCH_FILE_TASKS.get(tid), "needs", None)
        return False, f"oracle unavailable here (needs {needs})" if needs else f"oracle unavailable: {exc}"[:200]
    except MBOError as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200]
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
