"""The thread policy (mbo_lib.threads) and the suite's isolation of os.environ between tests."""
from __future__ import annotations

import os

import pytest
import torch

from mbo_lib import threads
from mbo_lib.errors import InvalidInputError


def test_small_work_gets_one_thread_and_large_work_the_free_cores(monkeypatch):
    monkeypatch.setattr(threads, "free_cores", lambda: 6)
    assert threads.choose("small", env={}) == 1
    assert threads.choose("large", env={}) == 6
    assert threads.choose("large", env={"MBO_MAX_THREADS": "2"}) == 2  # run_all --jobs / Dask worker cap
    assert threads.choose("small", env={"MBO_MAX_THREADS": "2"}) == 1


def test_overrides_and_their_errors():
    assert threads.choose("small", env={"MBO_THREADS": "3"}) == 3
    assert threads.choose("large", env={"MBO_THREADS": "torch-default"}) is None
    assert threads.choose("small", threads=4, env={"MBO_THREADS": "2"}) == 4  # the parameter wins
    for env in ({"MBO_THREADS": "0"}, {"MBO_THREADS": "two"}, {"MBO_MAX_THREADS": "-1"}):
        with pytest.raises(InvalidInputError, match="positive integer"):
            threads.choose("small", env=env)
    with pytest.raises(InvalidInputError, match="work must be one of"):
        threads.choose("medium", env={})


def test_cores_come_from_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.0, 0.0), raising=False)
    assert threads.allowed_cores() == 2
    assert threads.free_cores() == 2  # a load of 1.2 is mostly this process itself
    monkeypatch.setattr(os, "getloadavg", lambda: (2.6, 0.0, 0.0), raising=False)
    assert threads.free_cores() == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 0.0, 0.0), raising=False)
    assert threads.free_cores() == 1
    assert threads.share(2) == 1 and threads.share(1) == 2
    env = threads.child_env({"OMP_NUM_THREADS": "7"}, 2)
    assert env["MBO_MAX_THREADS"] == "2" and env["OMP_NUM_THREADS"] == "7" and env["MKL_NUM_THREADS"] == "2"


def test_work_size_from_hidden_widths():
    assert threads.work_size({"hidden": [2048, 2048], "lr": 1e-3}) == "large"
    assert threads.work_size({"surrogate_hidden": [256, 256], "vae_hidden": 64}) == "small"
    assert threads.work_size({"population": 4096}) == "small"  # not a width


def test_apply_policy_sets_torch(monkeypatch):
    monkeypatch.setenv("MBO_THREADS", "2")
    assert threads.apply_policy("small") == 2 == torch.get_num_threads()
    monkeypatch.delenv("MBO_THREADS")
    assert threads.apply_policy("small") == 1 == torch.get_num_threads()


def test_a_test_that_changes_the_environment():
    os.environ["MBO_LEAK_PROBE"] = "1"
    os.environ["OMP_NUM_THREADS"] = "13"
    torch.set_num_threads(2)


def test_the_next_test_does_not_see_it():
    """tests/conftest.py restores os.environ and torch's thread count after every test (runs after the one above)."""
    assert "MBO_LEAK_PROBE" not in os.environ
    assert os.environ.get("OMP_NUM_THREADS") != "13"
    assert torch.get_num_threads() == (threads.choose("small") or torch.get_num_threads())


@pytest.mark.parametrize("method", ["GA", "COMs", "MATCH-OPT", "PGS"])
def test_smoke_scores_do_not_depend_on_the_thread_count(method, monkeypatch):
    """Same spec, 1 and 2 torch threads: bit-identical candidates and scores (issue 17; PGS's VAE was the exception)."""
    from mbo_lib.experiments import RunSpec, execute

    spec = RunSpec("TFBind8-Exact-v0", method, "smoke", seed=0)
    runs = {}
    for count in ("1", "2"):
        monkeypatch.setenv("MBO_THREADS", count)
        record, output = execute(spec, device="cpu", progress=False)
        assert record["environment"]["torch_threads"] == int(count)
        runs[count] = (record["result"], output.designs.tobytes())
    assert runs["1"] == runs["2"]


def test_bench_threads_environments_and_table(monkeypatch):
    """benchmarks/bench_threads.py: 'before' is torch's default (no thread variables), 'after' the policy; ratios."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_threads.py"
    spec = importlib.util.spec_from_file_location("bench_threads", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("MBO_MAX_THREADS", "1")
    before, after = bench.child_env("before"), bench.child_env("after")
    assert before["MBO_THREADS"] == "torch-default" and "OMP_NUM_THREADS" not in before
    assert "MBO_THREADS" not in after and "MBO_MAX_THREADS" not in after and "OMP_NUM_THREADS" not in after
    rows = [{"work": "GA quick", "busy": b, "policy": p, "wall": w, "cpu": w, "load": 1.0, "threads": t}
            for b, p, w, t in [(0, "before", 4.0, 2), (0, "after", 2.0, 1), (1, "before", 12.0, 2), (1, "after", 3.0, 1)]]
    lines = bench.table(rows)
    assert lines[2].endswith("| 1.00 | 2.00 |") and lines[4].endswith("| 3.00 | 4.00 |")
    assert lines[5].endswith("| 1.50 | 1.00 |")
    step = bench.paper_step(1, 8, 2)
    assert step["threads"] == 1 and step["wall"] > 0
