"""tools/migrate_records.py: version-1 records whose configuration matches become version 2; stale ones stay."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from mbo_lib.experiments import RecordStore, RunSpec, execute
from mbo_lib.methods import get_method

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"dim": 2, "num_samples": 300}


@pytest.fixture(scope="module")
def migrate():
    spec = importlib.util.spec_from_file_location("migrate_records", ROOT / "tools" / "migrate_records.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def version1(spec: RunSpec, spec_as_written: dict, old_key: str) -> dict:
    """A record as the version-1 runner wrote it: no method_version or cpu_seconds, the spec as given."""
    record, _ = execute(spec, device="cpu", progress=False)
    record = json.loads(json.dumps(record, default=float))
    del record["method_version"], record["timings"]["cpu_seconds"], record["regularizer"]
    return {**record, "record_version": 1, "key": old_key, "spec": spec_as_written}


@pytest.fixture
def old_store(tmp_path):
    """Three version-1 records (one written under an unnormalized spec, one stale) and a truncated file."""
    store = RecordStore(tmp_path)
    plain = RunSpec("Ackley-Synthetic-v0", "GA", "smoke", 0, task_kwargs=SMALL)
    short = RunSpec("Ackley", "ga", "smoke", 1, task_kwargs=SMALL)
    stale = RunSpec("Ackley-Synthetic-v0", "GA", "smoke", 2, task_kwargs=SMALL)
    files = {
        "plain": (plain, store.path(plain), version1(plain, plain.as_dict(), plain.key)),
        "short": (short, tmp_path / "smoke/ga/Ackley/seed1-0123456789abcdef.json",
                  version1(short, {**short.as_dict(), "task": "Ackley", "method": "ga"}, "0123456789abcdef")),
        "stale": (stale, store.path(stale), version1(stale, stale.as_dict(), stale.key)),
    }
    files["stale"][2]["hyperparameters"]["lr"] = 0.123  # made by an older configuration
    for _, path, record in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1, sort_keys=True))
    broken = tmp_path / "smoke/GA/Ackley-Synthetic-v0/seed9-ffffffffffffffff.json"
    broken.write_text('{"spec": {"ta')
    return store, files, broken


def test_dry_run_reports_and_writes_nothing(migrate, old_store):
    store, files, broken = old_store
    before = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}
    lines = []
    totals = migrate.migrate_records(store, dry_run=True, out=lines.append)
    assert {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()} == before
    assert (totals["migrated"], totals["renamed"], totals["stale"], totals["unreadable"]) == (1, 1, 1, 1)
    text = "\n".join(lines)
    assert f"stale: {files['stale'][1].relative_to(store.root)}: configuration changed (lr: 0.123 -> " in text
    assert f"unreadable: {broken.relative_to(store.root)}" in text
    assert "1 would be migrated, 1 would be renamed, 1 stale" in lines[-1]
    assert any(line.split()[:3] == ["smoke", "GA", "Ackley-Synthetic-v0"] for line in lines)  # per-group counts


def test_matching_records_become_the_current_version_and_stale_ones_stay(migrate, old_store):
    store, files, broken = old_store
    for spec, path, _ in files.values():
        assert not store.has(spec)  # version 1: not reusable before migration
    stale_bytes = files["stale"][1].read_bytes()
    assert migrate.main(["--records", str(store.root)]) == 1  # stale and unreadable records are listed: exit 1
    for name in ("plain", "short"):
        spec, old_path, old = files[name]
        new = store.load(spec)
        assert new is not None, name  # reusable now
        assert new["record_version"] == 3 and new["key"] == spec.key
        assert new["regularizer"] == {}  # resolved by today's code: these runs have none
        assert new["method_version"] == getattr(get_method("GA"), "version", 1)
        assert new["spec"] == spec.as_dict()
        assert {k: v for k, v in new.items() if k not in ("record_version", "method_version", "key", "spec",
                                                          "regularizer")} == \
               {k: v for k, v in old.items() if k not in ("record_version", "key", "spec", "regularizer")}  # as it was
    assert not files["short"][1].exists() and store.path(files["short"][0]).exists()  # moved to its key's file
    assert files["stale"][1].read_bytes() == stale_bytes and broken.exists()  # left alone
    totals = migrate.migrate_records(store, out=lambda line: None)  # a second pass changes nothing
    assert (totals["current"], totals["migrated"], totals["renamed"]) == (2, 0, 0)
