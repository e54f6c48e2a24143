"""Two processes (or threads) running the same spec into one store compute it once (issue 30, finding 12)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from mbo_lib.errors import RecordStoreError
from mbo_lib.experiments import runner
from mbo_lib.experiments.spec import RunSpec
from mbo_lib.experiments.store import RecordStore

SPEC = RunSpec("Ackley", "GA", "smoke", 0)


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MBO_CACHE_DIR", str(tmp_path / "cache"))


def test_a_second_run_of_the_same_spec_waits_and_loads_the_first_record(tmp_path, monkeypatch):
    store, calls, real = RecordStore(tmp_path / "records"), [], runner.execute

    def slow_execute(*args, **kwargs):
        calls.append(threading.get_ident())
        time.sleep(1.0)  # the second thread arrives while this one computes
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "execute", slow_execute)
    results = [None, None]

    def work(i):
        results[i] = runner.run_spec(SPEC, store)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.2)
    for t in threads:
        t.join(timeout=120)
    assert len(calls) == 1, "the spec was computed twice"
    assert results[0] == results[1] and results[0]["key"] == SPEC.key
    assert not list((tmp_path / "cache" / "record-locks").iterdir())  # released


def test_a_held_lock_times_out_with_a_clear_message(tmp_path):
    store = RecordStore(tmp_path / "records")
    lock = store.computing(SPEC)
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lock.path.write_text(str(holder.pid))
        with pytest.raises(RecordStoreError, match=rf"another process \(pid {holder.pid}\) is computing "
                                                   rf"{SPEC.relpath} into .* and still holds its lock after"):
            with store.computing(SPEC, timeout=0.3, poll=0.1):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_dead_process_or_an_old_empty_lock_is_taken_over(tmp_path):
    store = RecordStore(tmp_path / "records")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = store.computing(SPEC, timeout=1.0)
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    lock.path.write_text(str(dead.pid))
    with store.computing(SPEC, timeout=1.0, poll=0.1) as held:
        assert held.held and held.owner() == os.getpid()
    assert not lock.path.exists()
    lock.path.write_bytes(b"\xff\xfe")  # not a pid (e.g. a writer killed mid-write), long ago
    os.utime(lock.path, (time.time() - 600, time.time() - 600))
    with store.computing(SPEC, timeout=1.0, poll=0.1) as held:
        assert held.held
