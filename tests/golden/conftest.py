"""nbval settings for the golden notebooks (``tests/golden/*.ipynb``: every notebook executed at ``smoke``).

Run them with ``pytest --nbval-lax --nbval-current-env tests/golden`` (nbval re-executes each copy and compares
the outputs of cells marked ``# NBVAL_CHECK_OUTPUT``; every cell must run without error). This file:

- uses ``sanitize.cfg`` beside it unless ``--nbval-sanitize-with`` names another file;
- starts each notebook's kernel with a fresh, empty temporary record store (``MBO_RECORDS_DIR``), so golden
  runs never read or write committed records and really recompute their smoke runs; ``MBO_PROGRESS=0``; and
  the repository on ``PYTHONPATH`` (the kernel's working directory is ``tests/golden``);
- gives every kernel an explicit torch thread count, whatever this process holds: ``MBO_THREADS``,
  ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` = ``MBO_GOLDEN_THREADS`` (default 1). The checked outputs do not
  depend on it (tests/test_notebooks.py runs a golden notebook with 1 and 2 threads), but a kernel must not
  inherit whatever an earlier test left in the environment (issue 17).

The environment is changed only while nbval starts a kernel, and restored afterwards.
Regenerate the copies after an intentional change with ``python tools/regenerate_golden.py``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
_stores: dict[str, str] = {}
DEFAULT_THREADS = "1"  # torch threads of every golden kernel unless MBO_GOLDEN_THREADS says otherwise


def pytest_configure(config):
    if getattr(config.option, "nbval_sanitize_with", "unset") is None:
        config.option.nbval_sanitize_with = str(HERE / "sanitize.cfg")


def _kernel_env(notebook: str) -> dict:
    if notebook not in _stores:
        _stores[notebook] = tempfile.mkdtemp(prefix="mbo-golden-records-")
    pythonpath = os.pathsep.join([str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    count = os.environ.get("MBO_GOLDEN_THREADS", DEFAULT_THREADS)
    return {"MBO_RECORDS_DIR": _stores[notebook], "MBO_PROGRESS": "0", "PYTHONPATH": pythonpath,
            "MBO_THREADS": count, "OMP_NUM_THREADS": count, "MKL_NUM_THREADS": count}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """nbval starts the notebook's kernel while setting up its first cell: give that kernel our environment."""
    if item.path.suffix != ".ipynb":
        yield
        return
    env = _kernel_env(str(item.path))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def pytest_unconfigure(config):
    for path in _stores.values():
        shutil.rmtree(path, ignore_errors=True)
