"""How many CPU threads torch uses: one policy for the runner, the notebooks, run_all.py, Dask workers and tests.

PyTorch's default (one intra-op thread per core) hurts this project: its models are small, a second thread gains
little on them, and when another process holds a core the threads spin and wait for each other (measured, issue
16: the smoke quickstart took 15.5 s on a quiet 2-core machine, 66.4 s beside one busy process, 16.7 s beside it
with one thread). So:

- ``work="small"`` (every model whose hidden layers are narrower than :data:`LARGE_WIDTH`): **1 thread**;
- ``work="large"`` (paper-size 2048-wide surrogates): the cores that are free now (the cores this process may run
  on, ``os.sched_getaffinity``, less the 1-minute load average of other processes), at least 1. On a busy core
  a second thread costs far more than it gains even at this size (GA's 2048-wide training step, 2 cores held by
  other jobs: 4-5x slower with 2 threads than with 1; ``benchmarks/bench_threads.py`` measures it);
- never more than ``MBO_MAX_THREADS`` (run_all.py sets it to cores / ``--jobs`` for every notebook kernel; a
  local Dask cluster sets it to cores / workers on every worker);
- ``MBO_THREADS=N`` overrides all of this with N threads; ``MBO_THREADS=torch-default`` disables the policy
  (torch keeps its own setting, e.g. from ``OMP_NUM_THREADS``).

Scores do not depend on the thread count (GA, COMs, MATCH-OPT and PGS are bit-identical with 1 and 2 threads,
tested at smoke), so the policy changes only speed. The count used is stored in every record
(``environment.torch_threads``).

Example:
    >>> from mbo_lib import threads
    >>> threads.choose("small", env={})
    1
    >>> threads.choose("large", env={"MBO_THREADS": "3"})
    3
"""
from __future__ import annotations

import os
from typing import Mapping

from .errors import InvalidInputError

ENV_THREADS = "MBO_THREADS"
ENV_MAX = "MBO_MAX_THREADS"
TORCH_DEFAULT = "torch-default"
WORKS = ("small", "large")
LARGE_WIDTH = 1024  # hidden width from which a model's step is big enough to split over threads


def allowed_cores() -> int:
    """Cores this process may run on (``os.sched_getaffinity``; ``os.cpu_count`` where that does not exist)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def free_cores() -> int:
    """Allowed cores not busy with other work: :func:`allowed_cores` less the rounded 1-minute load average beyond
    this process's own (counted as 1: it is running), at least 1."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return max(1, allowed_cores() - int(round(max(0.0, load - 1.0))))


def _positive_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidInputError(f"{name} must be a positive integer (or {TORCH_DEFAULT!r} for {ENV_THREADS}), "
                                f"got {text!r}")
    return value


def choose(work: str = "small", threads: int | None = None, env: Mapping[str, str] | None = None) -> int | None:
    """The thread count for ``work``; None when the policy is disabled (``MBO_THREADS=torch-default``).

    Args:
        work: ``"small"`` or ``"large"`` (see the module docstring; :func:`work_size` picks it for a run).
        threads: an explicit count (wins over everything).
        env: the environment to read ``MBO_THREADS`` / ``MBO_MAX_THREADS`` from (default ``os.environ``).

    Raises:
        InvalidInputError: unknown ``work``, or a ``threads`` / ``MBO_THREADS`` / ``MBO_MAX_THREADS`` that is not a
            positive integer.
    """
    if work not in WORKS:
        raise InvalidInputError(f"work must be one of {WORKS}, got {work!r}")
    env = os.environ if env is None else env
    if threads is not None:
        return _positive_int("threads", str(threads))
    override = env.get(ENV_THREADS, "").strip()
    if override == TORCH_DEFAULT:
        return None
    if override:
        return _positive_int(ENV_THREADS, override)
    count = 1 if work == "small" else free_cores()
    cap = env.get(ENV_MAX, "").strip()
    return min(count, _positive_int(ENV_MAX, cap)) if cap else count


def work_size(hyperparameters: Mapping) -> str:
    """``"large"`` when any ``*hidden*`` hyperparameter (an int or a list of ints) reaches :data:`LARGE_WIDTH`."""
    widths = []
    for name, value in hyperparameters.items():
        if "hidden" in name:
            widths += [v for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, int)]
    return "large" if widths and max(widths) >= LARGE_WIDTH else "small"


def apply_policy(work: str = "small", threads: int | None = None) -> int:
    """Set ``torch.set_num_threads`` by :func:`choose` and return the count torch now uses."""
    import torch

    count = choose(work, threads)
    if count is not None and count != torch.get_num_threads():
        torch.set_num_threads(count)
    return torch.get_num_threads()


def share(jobs: int) -> int:
    """Threads each of ``jobs`` parallel processes may use: ``allowed_cores() // jobs``, at least 1."""
    if jobs < 1:
        raise InvalidInputError(f"jobs must be >= 1, got {jobs}")
    return max(1, allowed_cores() // jobs)


def child_env(env: Mapping[str, str], max_threads: int) -> dict:
    """``env`` for a child process that may use ``max_threads`` threads: ``MBO_MAX_THREADS`` and, unless already
    set, ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` (what torch starts with when the policy is disabled)."""
    out = dict(env)
    out[ENV_MAX] = str(max_threads)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        out.setdefault(var, str(max_threads))
    return out
