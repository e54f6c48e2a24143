"""Tasks: offline data and oracles with design-bench's API (``task.x``, ``task.y``, ``task.predict``)."""
from .base import Task, percentile_filter, subsample_indices, to_integers, to_logits
from .registry import EMBEDDED_TASKS, FILE_TASKS, SHORT_NAMES, make, resolve_task_id, task_ids

__all__ = ["Task", "make", "task_ids", "resolve_task_id", "SHORT_NAMES", "EMBEDDED_TASKS", "FILE_TASKS",
           "percentile_filter", "subsample_indices", "to_logits", "to_integers"]
