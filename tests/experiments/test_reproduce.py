"""mbo_lib.experiments.reproduce: the fresh store, the runs a notebook makes, and the bit-for-bit comparison of a
fresh store with committed records (identical / differs / stale / missing / failed)."""
from __future__ import annotations

import copy
import json

import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RecordStore, RunSpec, execute
from mbo_lib.experiments.reproduce import (MARKER, FreshRun, compare_stores, declared_defaults, describe_store,
                                           expected_seconds, notebook_specs, start_fresh_store, summary_line)

SPEC = RunSpec("Ackley-Synthetic-v0", "GA", profile="smoke", seed=0)
OTHER = RunSpec("Ackley-Synthetic-v0", "GA", profile="smoke", seed=1)


@pytest.fixture(scope="module")
def record() -> dict:
    return execute(SPEC, device="cpu", progress=False)[0]  # one real smoke run (about 2 s)


def _stores(tmp_path, fresh_records: dict, committed_records: dict) -> tuple[RecordStore, RecordStore]:
    fresh, committed = RecordStore(tmp_path / "fresh"), RecordStore(tmp_path / "committed")
    for store, records in ((fresh, fresh_records), (committed, committed_records)):
        store.root.mkdir(parents=True, exist_ok=True)
        for spec, rec in records.items():
            store.save(spec, rec)
    return fresh, committed


def _as(spec: RunSpec, rec: dict) -> dict:
    """``rec`` relabelled as the record of ``spec`` (same scores, so it stands for a fresh run of ``spec``)."""
    out = copy.deepcopy(rec)
    out["spec"], out["key"] = spec.as_dict(), spec.key
    return out


def test_identical_record_is_identical(tmp_path, record):
    fresh, committed = _stores(tmp_path, {SPEC: record}, {SPEC: copy.deepcopy(record)})
    [c] = compare_stores(fresh, committed)
    assert (c.relpath, c.status, c.max_delta) == (SPEC.relpath, "identical", None)
    assert summary_line([c], committed.root).startswith(
        f"compared with the committed records in {committed.root}: 1 of 1 runs bit-identical")


def test_a_changed_score_anywhere_differs_with_its_size(tmp_path, record):
    changed = copy.deepcopy(record)
    changed["result"]["norm_p100"] += 0.25
    changed["curve"][-1]["norm_p50"] = changed["curve"][-1]["norm_p50"] + 1e-12  # one ulp-sized change counts
    fresh, committed = _stores(tmp_path, {SPEC: record}, {SPEC: changed})
    [c] = compare_stores(fresh, committed)
    assert c.status == "differs"
    assert c.max_delta == pytest.approx(0.25)
    assert "result.norm_p100" in c.detail and "curve[" in c.detail
    line = summary_line([c], committed.root)
    assert "0 of 1 runs bit-identical" in line and "1 differ (max |delta| 0.25)" in line and "not fatal" in line


def test_the_last_line_says_why_scores_differ(tmp_path, record):
    """Issue 30 item 4: a difference on the same kernel path is a change of behaviour; one on another or an unknown
    kernel path is named as such, with whether the 100th and 50th percentiles still match."""
    changed = copy.deepcopy(record)
    changed["curve"][-1]["norm_p50"] = changed["curve"][-1]["norm_p50"] + 1e-12
    fresh, committed = _stores(tmp_path, {SPEC: record}, {SPEC: changed})
    [c] = compare_stores(fresh, committed)
    assert c.why == "" and c.percentiles_equal and "same kernel path: a change of behaviour" in c.detail
    assert "1 differ (max |delta| 1e-12): 0 made on another or an unknown kernel path" in summary_line([c], "R")
    unknown = copy.deepcopy(changed)
    unknown["environment"].pop("numerics", None)  # a record made before either was stored
    unknown["environment"].pop("cpu_capability", None)
    unknown["result"]["norm_p100"] += 0.5
    fresh, committed = _stores(tmp_path / "b", {SPEC: record}, {SPEC: unknown})
    [c] = compare_stores(fresh, committed)
    assert c.why.startswith("record made on an unknown kernel path") and c.percentiles_equal is False
    assert "100th and 50th pct. differ" in c.detail
    assert ("1 made on another or an unknown kernel path (not a change of the code; 100th and 50th pct. equal in 0)"
            ", 0 on the same kernel path" in summary_line([c], "R"))


def test_sharpness_on_candidates_is_compared(tmp_path, record):
    changed = copy.deepcopy(record)
    changed["surrogate_grad_norm_on_candidates"] = (record["surrogate_grad_norm_on_candidates"] or 0.0) + 2.0
    fresh, committed = _stores(tmp_path, {SPEC: record}, {SPEC: changed})
    [c] = compare_stores(fresh, committed)
    assert c.status == "differs" and c.max_delta == pytest.approx(2.0)


def test_missing_and_stale_committed_records_and_failed_runs(tmp_path, record):
    stale = copy.deepcopy(record)
    stale["hyperparameters"]["lr"] = 0.123  # made with another configuration than the code runs now
    assert "lr" in record["hyperparameters"]
    third = RunSpec("Ackley-Synthetic-v0", "GA", profile="smoke", seed=2)
    fresh, committed = _stores(tmp_path, {SPEC: record, OTHER: _as(OTHER, record)}, {SPEC: stale})
    comparisons = compare_stores(fresh, committed, failed={third.key: "RuntimeError: boom"},
                                 specs=[SPEC, OTHER, third])
    by_path = {c.relpath: c for c in comparisons}
    assert by_path[SPEC.relpath].status == "stale" and "lr:" in by_path[SPEC.relpath].detail
    assert by_path[OTHER.relpath].status == "missing"
    assert (by_path[third.relpath].status, by_path[third.relpath].detail) == ("failed", "RuntimeError: boom")
    line = summary_line(comparisons, committed.root)
    assert "0 of 3 runs bit-identical" in line and "stale: 1, missing: 1; failed runs: 1" in line


def test_fresh_store_is_marked_and_never_empties_a_foreign_folder(tmp_path):
    store = start_fresh_store(tmp_path / "fresh")
    (store.root / "x.json").write_text("{}")
    assert describe_store(store.root).startswith("computed now: a fresh store made by run_all.py --compute")
    start_fresh_store(store.root)  # ours: emptied again
    assert sorted(p.name for p in store.root.iterdir()) == [MARKER]
    foreign = tmp_path / "records"
    (foreign / "quick").mkdir(parents=True)
    with pytest.raises(InvalidInputError, match="not a fresh store"):
        start_fresh_store(foreign)
    assert (foreign / "quick").is_dir()
    assert describe_store(foreign, committed=foreign).startswith("loaded from committed records")
    assert describe_store(tmp_path / "mine", committed=foreign).startswith("a record store of your own")


def test_notebook_specs_follow_the_quickstart_parameters():
    params = declared_defaults({"profile": {"default": '"smoke"'}, "seeds": {"default": "[0, 1, 2, 3]"},
                                "tasks": {"default": '["Ackley-Synthetic-v0", "Levy-Synthetic-v0"]'},
                                "dev": {"default": "pick()"}})
    assert params == {"profile": "smoke", "seeds": [0, 1, 2, 3], "tasks": ["Ackley-Synthetic-v0", "Levy-Synthetic-v0"]}
    specs = notebook_specs("sub/00_quickstart.ipynb", params)
    assert [(s.task, s.method, s.seed) for s in specs] == [  # smoke keeps two seeds, as the notebook does
        ("Ackley-Synthetic-v0", "GA", 0), ("Ackley-Synthetic-v0", "GA", 1),
        ("Levy-Synthetic-v0", "GA", 0), ("Levy-Synthetic-v0", "GA", 1)]
    assert notebook_specs("baselines_table.ipynb", params) == []  # not listed: it computes its runs itself
    with pytest.raises(InvalidInputError, match="tasks"):
        notebook_specs("00_quickstart", {"profile": "smoke", "seeds": [0]})


def test_expected_seconds_from_committed_timings(tmp_path, record):
    _, committed = _stores(tmp_path, {}, {SPEC: record, OTHER: _as(OTHER, record)})
    total = 2 * record["timings"]["total_seconds"]
    assert expected_seconds([SPEC, OTHER], committed, workers=2) == pytest.approx(total / 2)
    assert expected_seconds([SPEC, RunSpec("Levy-Synthetic-v0", "GA", profile="smoke")], committed, 2) is None


def test_fresh_run_computes_compares_and_counts_failures(tmp_path, record):
    lines = []
    committed = RecordStore(tmp_path / "committed")
    committed.save(SPEC, record)
    run = FreshRun(tmp_path / "fresh", committed.root, workers=1, out=lines.append)
    run.begin([("00_quickstart.ipynb", {"profile": "smoke", "seeds": [0], "tasks": ["Ackley-Synthetic-v0"]})])
    assert lines[0].startswith("computing 1 runs (GA on Ackley-Synthetic-v0, seeds 0, smoke profile) in 1 worker")
    assert str(tmp_path / "fresh") in lines[0]
    assert json.loads(RecordStore(tmp_path / "fresh").path(SPEC).read_text())["key"] == SPEC.key
    assert run.finish() == 0
    assert lines[-1].startswith(f"compared with the committed records in {committed.root}: 1 of 1 runs bit-identical")
    with pytest.raises(InvalidInputError, match="workers"):
        FreshRun(tmp_path / "x", committed.root, workers=0)


def test_sharpness_across_cpu_kernel_paths_is_identical_within_tolerance_and_said(tmp_path, record):
    committed = copy.deepcopy(record)
    committed["environment"]["cpu_capability"] = "OTHER"
    committed["environment"]["numerics"] = {**committed["environment"].get("numerics", {}), "cpu_capability": "OTHER"}
    committed["surrogate_grad_norm_on_candidates"] = record["surrogate_grad_norm_on_candidates"] * (1 + 2e-6)
    fresh, store = _stores(tmp_path, {SPEC: record}, {SPEC: committed})
    [c] = compare_stores(fresh, store)
    assert c.status == "identical" and "record OTHER" in c.detail
    assert "1 of 1 runs bit-identical (result, curve, sharpness on candidates; 1 of them with the sharpness within " \
           "0.0001 relative across CPU kernel paths)" in summary_line([c], store.root)
    from mbo_lib.experiments.reproduce import detail_lines
    assert detail_lines([c]) == [f"  identical  {SPEC.relpath}: {c.detail}"]
