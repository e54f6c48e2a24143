"""Sweeps over worker processes: completeness, resume, a killed worker, and atomic concurrent store writes.

Uses tiny smoke specs (GA on a 500-point Ackley task) and a LocalCluster of 2 worker processes shared by the
module (worker start-up, i.e. importing torch, dominates the time).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import threading
import time

import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RecordStore, RunSpec, execute
from mbo_lib.experiments.executors import SweepError, run_specs

distributed = pytest.importorskip("distributed")

TASK_KWARGS = {"num_samples": 500}


def smoke_specs(seeds, **kw):
    return [RunSpec("Ackley-Synthetic-v0", "GA", "smoke", seed=s, task_kwargs=TASK_KWARGS, **kw) for s in seeds]


def mtimes(store, specs):
    return {s.key: store.path(s).stat().st_mtime_ns for s in specs if store.has(s)}


def raw_record(store, spec):
    """The JSON in ``spec``'s file, unchecked (these writers save arbitrary payloads), or None if absent."""
    try:
        return json.loads(store.path(spec).read_text())
    except FileNotFoundError:
        return None


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster shared by the module; this process's environment is restored afterwards (starting worker
    processes sets ``OMP_NUM_THREADS=1`` etc. in it, which later notebook kernels would inherit, issue 17)."""
    saved = dict(os.environ)
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=50) as c:
            yield c
    finally:
        os.environ.clear()
        os.environ.update(saved)


# ------------------------------------------------------------------------------------------ store atomicity
def _writer(root, writer_id, rounds, shared_spec_dict):
    store = RecordStore(root)
    shared = RunSpec.from_dict(shared_spec_dict)
    for i in range(rounds):
        n = 20000 + 997 * writer_id + i  # ~100-200 KB records of different lengths
        store.save(shared, {"writer": writer_id, "n": n, "payload": [writer_id] * n})
    own = smoke_specs([100 + writer_id])[0]
    store.save(own, {"writer": writer_id, "n": 1, "payload": [writer_id]})


def test_store_concurrent_writers_never_expose_partial_records(tmp_path):
    shared = smoke_specs([99])[0]
    store = RecordStore(tmp_path)
    ctx = mp.get_context("fork")  # cheap children; they only touch json and the filesystem
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, 25, shared.as_dict())) for w in range(4)]
    for p in procs:
        p.start()
    reads = 0
    while any(p.is_alive() for p in procs):
        record = raw_record(store, shared)  # must be absent or whole, never half-written
        if record is not None:
            assert len(record["payload"]) == record["n"]
            assert set(record["payload"]) == {record["writer"]}
            reads += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert reads > 0
    assert raw_record(store, shared)["writer"] in range(4)
    assert all(store.path(s).is_file() for s in smoke_specs([100, 101, 102, 103]))
    assert not list(tmp_path.rglob("*.tmp")), "temporary files were left behind"


# ------------------------------------------------------------------------------------------ sweeps
def test_local_executor_matches_in_process_execution(tmp_path):
    specs = smoke_specs([0, 1, 2])
    store = RecordStore(tmp_path)
    result = run_specs(specs + specs[:1], store, executor="local", workers=2, progress=False)
    assert sorted(result.computed) == sorted(s.key for s in specs)  # the duplicate ran once
    assert result.ok and result.skipped == []
    assert len(set(result.pids.values()) - {os.getpid()}) >= 1  # ran in worker processes, not here
    expected, _ = execute(specs[1], progress=False)
    assert store.load(specs[1])["result"] == json.loads(json.dumps(expected["result"]))
    assert {r["environment"]["torch_threads"] for r in result.records()} == {1}  # thread policy: small model


def test_workers_run_with_the_requested_threads_and_the_same_scores(tmp_path):
    specs = smoke_specs([0])
    store = RecordStore(tmp_path)
    run_specs(specs, store, executor="local", workers=1, torch_threads=2, progress=False)
    record = store.load(specs[0])
    assert record["environment"]["torch_threads"] == 2
    expected, _ = execute(specs[0], progress=False)  # 1 thread here
    assert expected["environment"]["torch_threads"] == 1
    assert record["result"] == json.loads(json.dumps(expected["result"]))


def test_resume_runs_only_missing_cells(tmp_path, cluster):
    specs = smoke_specs(range(6))
    store = RecordStore(tmp_path)
    first = run_specs(specs[:3], store, executor="dask", scheduler_address=cluster.scheduler_address, progress=False)
    assert sorted(first.computed) == sorted(s.key for s in specs[:3])
    before = mtimes(store, specs)
    assert len(before) == 3
    second = run_specs(specs, store, executor="dask", scheduler_address=cluster.scheduler_address, progress=False)
    assert sorted(second.computed) == sorted(s.key for s in specs[3:])
    assert sorted(second.skipped) == sorted(s.key for s in specs[:3])
    assert {k: v for k, v in mtimes(store, specs).items() if k in before} == before  # not rewritten
    assert len(second.records()) == 6


def test_killed_worker_mid_sweep_loses_nothing(tmp_path, cluster):
    specs = smoke_specs(range(10, 18))
    store = RecordStore(tmp_path)
    client = distributed.Client(cluster)
    box = {}
    sweep = threading.Thread(target=lambda: box.setdefault("result", run_specs(
        specs, store, executor="dask", client=client, progress=False)))
    pids = client.run(os.getpid)  # fetched before the sweep: nothing between choosing the victim and the kill
    sweep.start()
    deadline = time.time() + 60
    victim = None
    while time.time() < deadline and sweep.is_alive():
        done = sum(store.has(s) for s in specs)
        busy = {w: keys for w, keys in client.processing().items() if keys}
        if 1 <= done < len(specs) - 2 and busy:
            address, keys = next(iter(busy.items()))
            os.kill(pids[address], signal.SIGKILL)
            # what was saved when the worker died: a task it was given may have finished (and been saved) in the
            # moment between the snapshot of its tasks and the kill; only the others were lost with it
            saved_at_kill = mtimes(store, specs)
            victim = (pids[address], {str(k) for k in keys}, saved_at_kill)
            break
        time.sleep(0.05)
    sweep.join(120)
    client.close()
    assert victim is not None, "the sweep finished before a worker could be killed"
    pid, killed_keys, saved_at_kill = victim
    result = box["result"]
    assert result.ok
    assert all(store.has(s) for s in specs)  # complete despite the dead worker
    assert sorted(result.computed + result.skipped) == sorted(s.key for s in specs)
    # the task lost with the killed worker was redone by another process ...
    lost = [s.key for s in specs if any(s.key in k for k in killed_keys) and s.key not in saved_at_kill]
    assert lost and all(result.pids[k] != pid for k in lost)
    # ... and the records saved before the kill were not recomputed
    assert {k: v for k, v in mtimes(store, specs).items() if k in saved_at_kill} == saved_at_kill


def test_failures_are_reported_and_the_rest_finish(tmp_path, monkeypatch):
    good = smoke_specs([0])
    # a valid spec whose run fails: the task's files are not in the data folder
    monkeypatch.setenv("MBO_DATA_DIR", str(tmp_path / "no-data"))
    bad = [RunSpec("AntMorphology-Exact-v0", "GA", "smoke", seed=0)]
    store = RecordStore(tmp_path / "store")
    with pytest.raises(SweepError, match="1 of 2 runs failed") as info:
        run_specs(good + bad, store, executor="serial", progress=False)
    assert store.has(good[0]) and not store.has(bad[0])
    assert "MissingDataError" in info.value.result.failed[bad[0].key]


def test_bad_arguments_raise_clear_errors(tmp_path):
    store = RecordStore(tmp_path)
    with pytest.raises(InvalidInputError, match="executor must be one of"):
        run_specs(smoke_specs([0]), store, executor="threads")
    with pytest.raises(InvalidInputError, match="scheduler_address"):
        run_specs(smoke_specs([0]), store, executor="dask")
    with pytest.raises(InvalidInputError, match="RunSpec"):
        run_specs([{"task": "Ackley-Synthetic-v0"}], store, executor="serial")
