"""One run, one key; records reused only while valid; corrupt records; no lost work; relative store paths.

Runs are tiny (GA at the smoke profile on a 300-point 2-d Ackley task).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError, RecordStoreError, UnknownMethodError, UnknownTaskError
from mbo_lib.experiments import RECORD_VERSION, RecordStore, RunSpec, check_record, runner
from mbo_lib.experiments import store as store_module
from mbo_lib.experiments.executors import run_specs
from mbo_lib.methods import get_method

SMALL = {"dim": 2, "num_samples": 300}


def small_spec(seed=0, **kw) -> RunSpec:
    return RunSpec("Ackley-Synthetic-v0", "GA", "smoke", seed, task_kwargs=SMALL, **kw)


@pytest.fixture
def counted(monkeypatch):
    """``runner.execute`` wrapped to count its calls (the list of specs it ran)."""
    calls, real = [], runner.execute

    def counting(spec, *args, **kwargs):
        calls.append(spec)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(runner, "execute", counting)
    return calls


@pytest.fixture
def stored(tmp_path, counted):
    """A store holding the record of ``small_spec()`` (computed once here)."""
    store = RecordStore(tmp_path / "records")
    spec = small_spec()
    runner.run_spec(spec, store, device="cpu", progress=False)
    assert len(counted) == 1
    return store, spec


def rewrite(store, spec, change):
    """Load ``spec``'s file, apply ``change(record)`` in place and write it back (no checks)."""
    path = store.path(spec)
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


# ------------------------------------------------------------------------------------------ one run, one key
@pytest.mark.parametrize("spelling, canonical", [
    (dict(task="TFBind8"), dict(task="TFBind8-Exact-v0")),
    (dict(method="ga"), dict(method="GA")),
    (dict(seed=np.int64(3)), dict(seed=3)),
    (dict(overrides={"epochs": 1}), dict(overrides={})),  # the smoke profile's own value
    (dict(overrides={"search_steps": np.int64(25), "lr": np.float64(0.5)}),
     dict(overrides={"search_steps": 25, "lr": 0.5})),
    (dict(overrides={"hidden": (16, 16)}), dict(overrides={"hidden": [16, 16]})),
    (dict(regularizer="ignite"), dict(regularizer={"name": "ignite"})),
    (dict(overrides={"lr": 1}), dict(overrides={"lr": 1.0})),  # an int in a number field
    (dict(regularizer={"name": "ignite", "epsilon": 1}), dict(regularizer={"name": "ignite", "epsilon": 1.0})),
    (dict(regularizer={"name": "ignite", "epsilon": 0.1}), dict(regularizer={"name": "ignite"})),
])
def test_every_spelling_of_a_run_has_one_key(spelling, canonical):
    base = dict(task="TFBind8-Exact-v0", method="GA", profile="smoke", seed=0)
    a, b = RunSpec(**{**base, **spelling}), RunSpec(**{**base, **canonical})
    assert a == b and a.key == b.key and a.relpath == b.relpath
    assert json.loads(json.dumps(a.as_dict())) == a.as_dict()  # plain JSON types only
    assert RunSpec.from_dict(a.as_dict()) == a  # normalizing twice changes nothing


def test_bool_seed_and_numpy_types_are_normalized_or_rejected():
    assert type(RunSpec("TFBind8", "GA", "smoke", np.uint32(5)).seed) is int
    spec = RunSpec("TFBind8", "GA", "smoke", 0, overrides={"lr": np.float32(0.25)})
    assert type(spec.overrides["lr"]) is float
    with pytest.raises(InvalidInputError, match="seed must be an int"):
        RunSpec("TFBind8", "GA", "smoke", True)
    with pytest.raises(InvalidInputError, match="seed must be an int"):
        RunSpec("TFBind8", "GA", "smoke", 1.0)
    with pytest.raises(InvalidInputError, match=r"\[0, 2\*\*32\)"):
        RunSpec("TFBind8", "GA", "smoke", -1)
    with pytest.raises(InvalidInputError, match=r"\[0, 2\*\*32\)"):
        RunSpec("TFBind8", "GA", "smoke", 2**32)
    assert RunSpec("TFBind8", "GA", "smoke", 2**32 - 1).seed == 2**32 - 1


def test_bad_specs_are_rejected_at_creation():
    with pytest.raises(InvalidInputError, match="no hyperparameter"):
        RunSpec("TFBind8", "GA", "smoke", 0, overrides={"learning_rate": 0.1})
    with pytest.raises(InvalidInputError, match="out of range"):
        RunSpec("TFBind8", "GA", "smoke", 0, overrides={"lr": 5.0})
    with pytest.raises(InvalidInputError, match="with a 'name'"):
        RunSpec("TFBind8", "GA", "smoke", 0, regularizer={"epsilon": 0.1})
    with pytest.raises(InvalidInputError, match="unknown regularizer"):
        RunSpec("TFBind8", "GA", "smoke", 0, regularizer="sam")
    with pytest.raises(UnknownTaskError):
        RunSpec("TFBind9", "GA", "smoke", 0)
    with pytest.raises(UnknownMethodError):
        RunSpec("TFBind8", "GAA", "smoke", 0)


# ------------------------------------------------------------------------------------------ reuse rules
def test_a_valid_record_is_reused(stored, counted):
    store, spec = stored
    record = store.load(spec)
    assert record["record_version"] == RECORD_VERSION == 3
    assert record["regularizer"] == {}  # a run without one stores an empty resolved regularizer
    assert record["method_version"] == getattr(get_method("GA"), "version", 1)
    assert record["timings"]["cpu_seconds"] > 0
    assert check_record(record, spec) is None
    runner.run_spec(spec, store, device="cpu", progress=False)
    assert len(counted) == 1


def test_a_record_of_another_spec_under_the_key_is_detected(stored, counted, caplog):
    store, spec = stored
    other = small_spec(seed=1)
    record = store.load(spec)
    assert "a record of another spec (seed: 0 -> 1)" in check_record(record, other)
    store.path(spec).rename(store.path(other))  # the file name says seed 1, the content is seed 0
    assert not store.has(other) and store.missing([other]) == [other]
    with caplog.at_level(logging.WARNING, logger="mbo_lib.records"):
        again = runner.run_spec(other, store, device="cpu", progress=False)
    assert len(counted) == 2 and again["spec"]["seed"] == 1
    assert f"recomputing {store.path(other)}: a record of another spec" in caplog.text
    assert len(list(store.path(other).parent.glob(store.path(other).name + ".corrupt-*"))) == 1  # kept aside


def test_a_changed_configuration_is_recomputed_with_a_reason(stored, counted, monkeypatch, caplog):
    store, spec = stored
    ga = get_method("GA")
    monkeypatch.setitem(ga.profiles, "smoke", dataclasses.replace(ga.profiles["smoke"], lr=0.5))  # the code changed
    assert store.load(spec) is None and not store.has(spec)
    with caplog.at_level(logging.WARNING, logger="mbo_lib.records"):
        record = runner.run_spec(spec, store, device="cpu", progress=False)
    assert len(counted) == 2 and record["hyperparameters"]["lr"] == 0.5
    lines = [r.getMessage() for r in caplog.records if r.name == "mbo_lib.records"]
    assert len(lines) == 1
    assert lines[0].startswith(f"recomputing {store.path(spec)}: configuration changed (lr: ")
    assert lines[0].endswith("-> 0.5)")
    assert store.has(spec)  # the new record is valid for the new configuration


def test_a_new_field_at_its_legacy_default_keeps_old_records(stored, counted, monkeypatch):
    store, spec = stored
    ga = get_method("GA")
    assert ga.legacy_defaults["negative_slope"] == 0.2  # GA's slope field came after records made with 0.2
    rewrite(store, spec, lambda r: r["hyperparameters"].pop("negative_slope"))  # a record from before the field
    monkeypatch.setitem(ga.profiles, "smoke", dataclasses.replace(ga.profiles["smoke"], negative_slope=0.2))
    assert store.has(spec)  # the record lacks negative_slope; 0.2 reproduces the old behaviour
    monkeypatch.setitem(ga.profiles, "smoke", dataclasses.replace(ga.profiles["smoke"], negative_slope=0.3))
    assert check_record(json.loads(store.path(spec).read_text()), spec) == \
        "configuration changed (negative_slope: (absent) -> 0.3)"
    assert not store.has(spec)


def test_a_new_method_version_or_record_format_is_not_reused(stored, monkeypatch):
    store, spec = stored
    monkeypatch.setattr(get_method("GA"), "version", 7, raising=False)
    assert "GA version changed (1 -> 7)" in store.lookup(spec).reason
    monkeypatch.undo()
    assert store.has(spec)
    rewrite(store, spec, lambda r: r.update(record_version=1))
    assert "record format 1" in store.lookup(spec).reason and not store.has(spec)


# ------------------------------------------------------------------------------------------ corrupt records
@pytest.mark.parametrize("damage", ["truncate", "not-a-record"])
def test_a_corrupt_record_is_moved_aside_and_recomputed(stored, counted, caplog, damage):
    store, spec = stored
    path = store.path(spec)
    text = path.read_text()
    path.write_text(text[: len(text) // 2] if damage == "truncate" else json.dumps({"result": {}}))
    assert not store.has(spec)
    with caplog.at_level(logging.WARNING, logger="mbo_lib.records"):
        # the whole store: skipped with a warning naming the file, no JSONDecodeError
        assert store.records() == [] and store.frame().empty
        assert f"skipping {path}" in caplog.text
        runner.run_spec(spec, store, device="cpu", progress=False)
    assert len(counted) == 2 and store.has(spec)
    assert f"recomputing {path}" in caplog.text
    aside = list(path.parent.glob(path.name + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() != text  # kept, not deleted
    assert len(store.records()) == 1  # the .corrupt-* file is not read as a record


def test_a_sweep_recomputes_a_stale_record(stored, monkeypatch, caplog):
    store, spec = stored
    rewrite(store, spec, lambda r: r["hyperparameters"].update(lr=0.123))
    with caplog.at_level(logging.WARNING, logger="mbo_lib.records"):
        result = run_specs([spec, small_spec(seed=1)], store, executor="serial", progress=False)
    assert sorted(result.computed) == sorted([spec.key, small_spec(seed=1).key])
    lines = [r.getMessage() for r in caplog.records if r.name == "mbo_lib.records"]
    assert len(lines) == 1 and "configuration changed (lr: 0.123 -> " in lines[0]  # said once, by the client
    assert store.has(spec)


# ------------------------------------------------------------------------------------------ no lost work
def test_a_file_where_the_folder_should_be_fails_before_training(tmp_path, counted):
    store = RecordStore(tmp_path)
    spec = small_spec()
    blocker = store.path(spec).parent.parent
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    with pytest.raises(RecordStoreError, match=f"cannot write records to {store.path(spec).parent}"):
        runner.run_spec(spec, store, device="cpu", progress=False)
    with pytest.raises(RecordStoreError):
        run_specs([spec], store, executor="serial", progress=False)
    assert counted == []  # nothing was trained


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write into read-only folders")
def test_a_read_only_store_fails_before_training(tmp_path, counted):
    store = RecordStore(tmp_path)
    spec = small_spec()
    store.path(spec).parent.mkdir(parents=True)
    store.path(spec).parent.chmod(0o555)
    try:
        with pytest.raises(RecordStoreError, match="cannot write records"):
            runner.run_spec(spec, store, device="cpu", progress=False)
    finally:
        store.path(spec).parent.chmod(0o755)
    assert counted == []


def test_a_failed_save_keeps_the_record_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MBO_CACHE_DIR", str(tmp_path / "cache"))
    store = RecordStore(tmp_path / "records")
    spec = small_spec()
    real = store_module._write_atomic

    def disk_full(path, record, mkdir=False):
        if str(path).startswith(str(store.root)):
            raise OSError(28, "No space left on device")
        return real(path, record, mkdir)

    monkeypatch.setattr(store_module, "_write_atomic", disk_full)
    with pytest.raises(RecordStoreError) as info:
        runner.run_spec(spec, store, device="cpu", progress=False)
    fallback = tmp_path / "cache" / "unsaved-records" / spec.relpath
    assert str(store.path(spec)) in str(info.value) and str(fallback) in str(info.value)
    assert "No space left on device" in str(info.value)
    assert json.loads(fallback.read_text())["key"] == spec.key
    assert not store.path(spec).exists()


def test_save_removes_temporaries_of_dead_writers_only(tmp_path):
    store = RecordStore(tmp_path)
    spec = small_spec()
    folder = store.path(spec).parent
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = store_module._host()
        name = store.path(spec).name
        leftovers = {
            "dead": folder / f".{name}.{host}.{dead.pid}.abc123_x.tmp",
            "live": folder / f".{name}.{host}.{live.pid}.def456_y.tmp",
            "own": folder / f".{name}.{host}.{os.getpid()}.ghi789_z.tmp",
            "other host": folder / f".{name}.some-other-host.{dead.pid}.jkl012_w.tmp",
        }
        for path in leftovers.values():
            path.write_text("{")
        store.save(spec, {"spec": spec.as_dict(), "hyperparameters": {}, "result": {}})
        assert not leftovers["dead"].exists()
        assert all(leftovers[k].exists() for k in ("live", "own", "other host"))
    finally:
        live.kill()
        live.wait()


def test_temporary_files_name_their_writer(tmp_path, monkeypatch):
    names = []
    real = os.replace

    def spy(src, dst):
        names.append(os.path.basename(src))
        return real(src, dst)

    monkeypatch.setattr(store_module.os, "replace", spy)
    spec = small_spec()
    RecordStore(tmp_path).save(spec, {"spec": spec.as_dict()})
    assert len(names) == 1 and f".{store_module._host()}.{os.getpid()}." in names[0] and names[0].endswith(".tmp")


# ------------------------------------------------------------------------------------------ relative paths
@pytest.mark.parametrize("variable, getter", [("MBO_RECORDS_DIR", "records_dir"), ("MBO_DATA_DIR", "data_dir")])
def test_relative_directories_are_resolved_against_the_working_directory(tmp_path, monkeypatch, variable, getter):
    from mbo_lib import config

    monkeypatch.setenv(variable, "some/../rel/dir")
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    first = getattr(config, getter)()
    assert first.is_absolute() and first == tmp_path / "a" / "rel" / "dir"
    monkeypatch.chdir(tmp_path)  # resolved at call time, not import time
    assert getattr(config, getter)() == tmp_path / "rel" / "dir"
    if variable == "MBO_RECORDS_DIR":
        assert RecordStore().root == tmp_path / "rel" / "dir"
        assert RecordStore("x").root == tmp_path / "x"


def test_check_record_reports_structure_problems():
    spec = small_spec()
    assert check_record([1, 2], spec) == "not a JSON object but list"
    wrong_type = {"spec": {}, "hyperparameters": {}, "result": []}
    assert check_record(wrong_type, spec) == "field(s) ['result'] of the wrong type"
    record = {"spec": spec.as_dict(), "key": spec.key, "result": {},
              "hyperparameters": get_method("GA").hyperparameters("smoke")}
    assert check_record(record, spec).startswith("record format None, this code writes 3")
    assert check_record(record, spec, versions=False) is None
    assert "stored key 'abc'" in check_record({**record, "key": "abc"}, spec)
