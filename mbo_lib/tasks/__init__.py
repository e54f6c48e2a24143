"""Tasks: offline data and oracles with design-bench's API (``task.x``, ``task.y``, ``task.predict``)."""
from .base import Task, percentile_filter, subsample_indices, to_integers, to_logits
from .registry import (EMBEDDED_TASKS, FILE_TASKS, SHORT_NAMES, canonical_task_kwargs, make, resolve_task_id,
                       task_defaults, task_ids)
from .tfbind8 import tfbind8_factors

__all__ = ["Task", "make", "task_ids", "resolve_task_id", "canonical_task_kwargs", "task_defaults", "tfbind8_factors",
           "SHORT_NAMES", "EMBEDDED_TASKS", "FILE_TASKS", "percentile_filter", "subsample_indices", "to_logits",
           "to_integers"]
