"""Fixtures shared by the whole test suite.

Data: tests that need the real design-bench files take ``tfbind10_data_dir``. It skips them when the files are
absent on a developer's machine, but FAILS them under CI (``CI=true``), where the data are always provisioned and
a silent skip would hide a broken set-up.

Isolation: every test gets back the ``os.environ`` and the torch thread count it started with (a Dask
``LocalCluster`` sets ``OMP_NUM_THREADS=1`` in this process's own environment, which every later notebook kernel
inherited, issue 17). The suite runs torch with the thread policy of :mod:`mbo_lib.threads` (1 thread for small
models unless ``MBO_THREADS`` says otherwise).
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MBO_PROGRESS", "0")  # no tqdm bars in test logs

TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture
def load_tool():
    """``load_tool("campaign")``: a fresh module of ``tools/<name>.py`` (the tools are scripts, not a package). It is
    in ``sys.modules`` while the test runs (dataclasses look their module up there) and removed afterwards."""
    loaded = []

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"tool_{name}", TOOLS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        loaded.append(spec.name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


@pytest.fixture(scope="session", autouse=True)
def _thread_policy():
    """The suite's torch threads: the project's policy, as notebooks and runs get it."""
    from mbo_lib import threads

    threads.apply_policy("small")


@pytest.fixture(autouse=True)
def _restore_environment():
    """Undo whatever a test (or a library it calls) did to ``os.environ`` and to torch's thread count."""
    import torch

    saved, count = dict(os.environ), torch.get_num_threads()
    yield
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


@pytest.fixture(scope="session")
def tfbind10_data_dir() -> Path:
    """The design-bench data folder (``MBO_DATA_DIR``) when it holds the complete ``tf_bind_10-pho4/`` shards."""
    from mbo_lib.config import data_dir
    from mbo_lib.errors import MissingDataError
    from mbo_lib.tasks.files import shard_paths
    from mbo_lib.tasks.tfbind import TFBIND10_SHARDS

    root = data_dir()
    try:
        shard_paths("tf_bind_10-pho4", "tf_bind_10", TFBIND10_SHARDS, root)
    except MissingDataError as exc:
        reason = f"TF-Bind-10 data not available (set MBO_DATA_DIR): {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return root


def _load_run_all() -> None:
    """Make the repository-root script run_all.py importable as ``run_all`` for the tests that exercise it."""
    import importlib.util
    import sys
    from pathlib import Path

    if "run_all" not in sys.modules:
        spec = importlib.util.spec_from_file_location("run_all", Path(__file__).resolve().parent.parent / "run_all.py")
        sys.modules["run_all"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["run_all"])


_load_run_all()
