"""Per-task settings inside a profile (design-baselines' run scripts differ per task, e.g. TF-Bind-10 epochs).

A config may carry ``task_overrides = {task_id: {field: value}}`` (CbAS, MINs). Each entry is validated when the
config is built (:meth:`~mbo_lib.methods.base.MethodConfig.__post_init__`: the merged config must itself be
valid), and :meth:`~mbo_lib.methods.base.MethodConfig.for_task` merges the entry for the task being run over the
profile; methods call it first thing in ``run``. The merged values win over the profile's generic ones; to run a
profile without them, override ``task_overrides={}`` in the run spec.
"""
from __future__ import annotations

from .base import Method, MethodConfig


def apply_task_overrides(method: Method, config: MethodConfig | dict, task_id: str) -> MethodConfig | dict:
    """``config`` with its ``task_overrides[task_id]`` merged in (``task_overrides`` itself kept).

    Args:
        method: the method whose config this is.
        config: a config of ``method`` or its plain dict (``method.hyperparameters(...)``).
        task_id: the task being run.

    Returns:
        The merged config, of the kind given (a dict for a dict).

    Raises:
        InvalidInputError: an override names an unknown field or sets a value the config rejects.
    """
    if isinstance(config, dict):
        return method.config_class.from_dict(config).for_task(task_id).to_dict()
    return config.for_task(task_id)
