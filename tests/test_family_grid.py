"""tools/family_grid.py: the grid's order, exit codes, lock files and progress file (no real run is made)."""
from __future__ import annotations

import os

import pytest

from mbo_lib.experiments.locks import take_lock


@pytest.fixture
def grid(load_tool):
    return load_tool("family_grid")


class Store:
    """Has the specs in ``done``; records what ``run_spec`` was asked to run."""

    def __init__(self, done=()):
        self.done = set(done)

    def has(self, spec):
        return spec.key in self.done


def test_run_skips_done_specs_and_exits_3_when_more_are_left(grid, tmp_path, monkeypatch):
    from mbo_lib.reporting import family

    specs = family.family_specs(family.family_sample()[:1], [0])
    ran = []

    def fake_run_spec(spec, store, device, progress):
        ran.append(spec.key)
        store.done.add(spec.key)
        return {"timings": {"cpu_seconds": 1.0}, "result": {"norm_p100": 0.5}}

    monkeypatch.setattr(grid, "run_spec", fake_run_spec)
    store = Store(done=[specs[0].key])
    assert grid.run(specs, store, 2, tmp_path / "locks", tmp_path / "log") == 3
    assert ran == [specs[1].key, specs[2].key]  # in order, the done one skipped
    assert grid.run(specs, store, 5, tmp_path / "locks", tmp_path / "log") == 0
    assert ran[2:] == [specs[3].key, specs[4].key] and len((tmp_path / "log").read_text().splitlines()) == 4
    assert not list((tmp_path / "locks").iterdir())  # locks are released after each run


def test_a_live_lock_is_respected_and_a_dead_one_taken_over(grid, tmp_path):
    lock = tmp_path / "x.lock"
    lock.write_text(str(os.getpid()))  # held by a live process (us)
    assert not take_lock(lock)
    lock.write_text("999999999")  # no such process
    assert take_lock(lock) and lock.read_text() == str(os.getpid())


def test_progress_writes_the_table_into_the_store(grid, tmp_path, monkeypatch):
    monkeypatch.setenv("MBO_RECORDS_DIR", str(tmp_path))
    assert grid.main(["--progress"]) == 0
    text = (tmp_path / "quick" / grid.PROGRESS).read_text()
    assert "0 / 480" in text and "(est." in text
