"""``make(task_id, **kwargs)``: the one entry point to every task, with design-bench's ids.

Every task's keyword arguments are declared in :data:`TASK_PARAMS` (kind, range, default) and checked strictly by
:func:`canonical_task_kwargs`, which ``make`` calls: ``dim=3.5`` or ``max_samples="10"`` are refused, not cast.
"""
from __future__ import annotations

import difflib
from functools import partial
from typing import Callable

from ..errors import InvalidInputError, UnknownTaskError
from .base import Task
from .design_bench_tasks import DESIGN_BENCH_FILE_TASKS, make_design_bench_file_task
from .kwargs import Param, as_int, choice, count, path_param, percent
from .synthetic import SYNTHETIC_FUNCTIONS, make_synthetic
from .tfbind import TFBIND10_FACTOR_SHARDS, make_tfbind8, make_tfbind10
from .tfbind8 import DEFAULT_FACTOR, check_tfbind8_factor

TASK_BUILDERS: dict[str, Callable[..., Task]] = {
    "TFBind8-Exact-v0": make_tfbind8,
    "TFBind10-Exact-v0": make_tfbind10,
    **{tid: partial(make_design_bench_file_task, tid) for tid in DESIGN_BENCH_FILE_TASKS},
    **{f"{name}-Synthetic-v0": partial(make_synthetic, name) for name in SYNTHETIC_FUNCTIONS},
}


def _sampling(max_percentile: float, max_samples: int | None) -> dict[str, Param]:
    """The filter of design-bench's datasets: percentile cut, then an optional seeded subset."""
    return {"max_percentile": percent(max_percentile), "min_percentile": percent(0.0),
            "max_samples": count(max_samples, 1, optional=True), "subsample_seed": count(0, 0)}


def _tfbind10_factor(value) -> str:
    if isinstance(value, str) and value in TFBIND10_FACTOR_SHARDS:
        return value
    raise InvalidInputError(f"TFBind10-Exact-v0: transcription_factor must be one of {sorted(TFBIND10_FACTOR_SHARDS)} "
                            f"(design-bench's TF-Bind-10 factors), got {value!r}")


def _synthetic_dim(name: str) -> Param:
    _, default_dim, fixed = SYNTHETIC_FUNCTIONS[name]

    def check(task_id, key, value):
        dim = as_int(task_id, key, value, 1)
        if fixed and dim != default_dim:
            raise InvalidInputError(f"{name} is defined only in dimension {default_dim}, got dim={dim}")
        return dim
    return Param(check, default_dim)


# task id -> {keyword: Param}; tests check these against the builders' signatures and defaults.
TASK_PARAMS: dict[str, dict[str, Param]] = {
    "TFBind8-Exact-v0": {**_sampling(50.0, None), "transcription_factor": choice(DEFAULT_FACTOR, check_tfbind8_factor)},
    "TFBind10-Exact-v0": {**_sampling(50.0, 10000), "data_dir": path_param(),
                          "transcription_factor": choice("pho4", _tfbind10_factor)},
    **{tid: {**_sampling(spec.max_percentile, None), "data_dir": path_param()}
       for tid, spec in DESIGN_BENCH_FILE_TASKS.items()},
    **{f"{name}-Synthetic-v0": {"dim": _synthetic_dim(name), "num_samples": count(10000, 10),
                                "max_percentile": percent(50.0), "seed": count(0, 0)}
       for name in SYNTHETIC_FUNCTIONS},
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


def _flatten_dataset_kwargs(task_id: str, kwargs: dict) -> dict:
    """Merge design-bench's ``dataset_kwargs=dict(...)`` form into plain kwargs (``distribution`` must be None)."""
    nested = kwargs.pop("dataset_kwargs", None)
    if nested is None:
        return kwargs
    if not isinstance(nested, dict):
        raise InvalidInputError(f"{task_id}: dataset_kwargs must be a dict, as in design_bench.make, got {nested!r}")
    for key, value in nested.items():
        if key == "distribution":  # design-bench's registry passes distribution=None: no reweighting
            if value is not None:
                raise InvalidInputError(f"{task_id}: dataset_kwargs distribution={value!r} is not supported; only None")
            continue
        if key in kwargs and kwargs[key] != value:
            raise InvalidInputError(f"{task_id}: {key} given twice, as {kwargs[key]!r} and as dataset_kwargs {value!r}")
        kwargs[key] = value
    return kwargs


def _same(value, default) -> bool:
    return type(value) is type(default) and value == default


def canonical_task_kwargs(task_id: str, kwargs: dict | None) -> dict:
    """The checked, plain-Python form of ``make``'s kwargs, without those equal to the task's defaults.

    ``make`` uses it, and so do run specs, so that ``dim=10`` and no ``dim`` name the same run. design-bench's
    ``dataset_kwargs=dict(transcription_factor=...)`` form is merged into plain kwargs.

    Args:
        task_id: a task id or short name.
        kwargs: keyword arguments for :func:`make` (NumPy scalars are fine).

    Returns:
        a new dict, sorted by key, of plain ``int``/``float``/``str``/``None`` values that differ from the defaults.

    Raises:
        UnknownTaskError: unknown task id.
        InvalidInputError: an unknown kwarg (listing the accepted ones), a value of the wrong type (e.g. a float or
            bool for an int) or out of range, an unknown transcription factor, min_percentile > max_percentile.

    Example:
        >>> canonical_task_kwargs("Ackley-Synthetic-v0", {"dim": 10, "seed": 3, "max_percentile": 50})
        {'seed': 3}
    """
    tid = resolve_task_id(task_id)
    if kwargs is not None and not isinstance(kwargs, dict):
        raise InvalidInputError(f"{tid}: task kwargs must be a dict, got {kwargs!r}")
    params = TASK_PARAMS[tid]
    kwargs = _flatten_dataset_kwargs(tid, dict(kwargs or {}))
    unknown = sorted(set(kwargs) - set(params), key=str)
    if unknown:
        raise InvalidInputError(f"{tid} does not take {unknown}; it takes {sorted(params)} (design-bench's "
                                f"dataset_kwargs=dict(...) form is accepted too)")
    checked = {name: params[name].check(tid, name, value) for name, value in kwargs.items()}
    if "min_percentile" in params:
        low = checked.get("min_percentile", params["min_percentile"].default)
        high = checked.get("max_percentile", params["max_percentile"].default)
        if low > high:
            raise InvalidInputError(f"{tid}: need 0 <= min_percentile <= max_percentile <= 100, got {low:g}, {high:g}")
    return {k: checked[k] for k in sorted(checked) if not _same(checked[k], params[k].default)}


def task_defaults(task_id: str) -> dict:
    """The keyword arguments a task accepts, with their defaults (``make(task_id)`` uses these)."""
    return {name: param.default for name, param in TASK_PARAMS[resolve_task_id(task_id)].items()}


def make(task_id: str, **kwargs) -> Task:
    """Build a task by id, e.g. ``make("TFBind8-Exact-v0")`` or ``make("Ackley-Synthetic-v0", dim=20)``.

    kwargs are checked by :func:`canonical_task_kwargs` (see :func:`task_defaults` for what each task takes);
    ``make("TFBind8-Exact-v0", transcription_factor="PAX6_REF_R1")`` builds another of TF-Bind-8's 200 factors
    (:func:`mbo_lib.tasks.tfbind8_factors`), also as design-bench's ``dataset_kwargs=dict(transcription_factor=...)``.
    """
    tid = resolve_task_id(task_id)
    return TASK_BUILDERS[tid](**canonical_task_kwargs(tid, kwargs))
