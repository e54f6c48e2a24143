"""``verify_records`` / ``mbo verify``: recomputed scores must be bit-identical; stale records are not recomputed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mbo_lib.cli import main
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RecordStore, RunSpec, runner
from mbo_lib.experiments.verify import select_records, verify_records

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"dim": 2, "num_samples": 300}


def small_spec(seed=0) -> RunSpec:
    return RunSpec("Ackley-Synthetic-v0", "GA", "smoke", seed, task_kwargs=SMALL)


@pytest.fixture
def store(tmp_path):
    store = RecordStore(tmp_path / "records")
    runner.run_spec(small_spec(), store, device="cpu", progress=False)
    return store


def run_verify(store, **kw):
    lines = []
    code = verify_records(store, out=lines.append, **kw)
    return code, lines


def alter(store, spec, change):
    path = store.path(spec)
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record, indent=1, sort_keys=True))


def test_a_fresh_record_verifies_identical_and_is_not_touched(store):
    path = store.path(small_spec())
    before = path.read_bytes(), path.stat().st_mtime_ns
    files = sorted(store.root.rglob("*"))
    code, lines = run_verify(store)
    assert code == 0
    assert lines[0] == f"{small_spec().relpath}: identical"
    assert lines[-1].startswith(
        "verify: 1 identical, 0 differ, 0 stale, of 1 records (profile any, match all, sample all)")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(store.root.rglob("*")) == files  # nothing written into the committed store


@pytest.mark.parametrize("change, field", [
    (lambda r: r["result"].update(norm_p100=r["result"]["norm_p100"] + 1e-12), "result.norm_p100"),
    (lambda r: r["curve"][-1].update(raw_p50=r["curve"][-1]["raw_p50"] * 2), "curve[2].raw_p50"),
    (lambda r: r.update(surrogate_grad_norm_on_candidates=None), "surrogate_grad_norm_on_candidates"),
])
def test_an_altered_score_fails_verification(store, change, field):
    alter(store, small_spec(), change)
    code, lines = run_verify(store)
    assert code == 1
    assert lines[0].startswith(f"{small_spec().relpath}: differs (max |delta| = ") and field in lines[0]
    assert lines[-1].startswith("verify: 0 identical, 1 differ, 0 stale, of 1 records")


def test_a_stale_record_is_reported_not_recomputed(store, monkeypatch):
    alter(store, small_spec(), lambda r: r["hyperparameters"].update(lr=0.123))
    monkeypatch.setattr(runner, "execute", lambda *a, **k: pytest.fail("a stale record was recomputed"))
    code, lines = run_verify(store)
    assert code == 1
    assert lines[0].startswith(f"{small_spec().relpath}: stale configuration (configuration changed (lr: 0.123 -> ")
    assert "0 identical, 0 differ, 1 stale, of 1 records" in lines[-1]


def test_match_profile_and_sample_select_records(store):
    for seed in (1, 2, 3):
        runner.run_spec(small_spec(seed), store, device="cpu", progress=False)
    every = select_records(store)
    assert len(every) == 4
    assert select_records(store, match="*/seed2-*") == [small_spec(2).relpath]
    assert select_records(store, match="seed3-") == [small_spec(3).relpath]  # no wildcard: substring
    assert select_records(store, profile="quick") == []
    a, b = select_records(store, sample=2, seed=5), select_records(store, sample=2, seed=5)
    assert a == b and len(a) == 2 and set(a) <= set(every)
    assert {tuple(select_records(store, sample=2, seed=s)) for s in range(10)} != {tuple(a)}  # the seed matters
    code, lines = run_verify(store, match="seed3-")
    assert code == 0 and len(lines) == 2 and "match seed3-" in lines[-1]
    code, lines = run_verify(store, profile="paper")
    assert code == 1 and "of 0 records" in lines[-1]  # nothing verified is not a pass


def test_cli_verifies_in_a_subprocess(store):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MBO_PROGRESS": "0"}
    done = subprocess.run([sys.executable, "-m", "mbo_lib", "verify", "--records", str(store.root)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify: 1 identical, 0 differ, 0 stale, of 1 records" in done.stdout


def test_cli_fails_when_a_score_differs(store, capsys):
    alter(store, small_spec(), lambda r: r["result"].update(norm_p100=0.0))
    assert main(["verify", "--records", str(store.root)]) == 1
    assert "differs (max |delta| = " in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    ([], "choose a subcommand"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["verify", "--sample", "0"], "--sample: expected a positive integer, got 0"),
    (["verify", "--sample", "many"], "--sample: expected a positive integer, got 'many'"),
    (["verify", "--profile", "fast"], "--profile: invalid choice: 'fast'"),
    (["verify", "--records", "/no/such/folder"], "--records /no/such/folder: no such folder"),
    (["verify", "--device", "tpu"], "device='tpu' is not a torch device"),
])
def test_cli_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert err.startswith("usage: mbo")


def test_cli_help_exits_0(capsys):
    assert main(["verify", "--help"]) == 0
    assert "--match PATTERN" in capsys.readouterr().out


def test_dirty_and_per_cell_select_one_record_of_every_cell_made_from_a_dirty_checkout(store):
    for seed in (1, 2):
        runner.run_spec(small_spec(seed), store, device="cpu", progress=False)
    other = RunSpec("Levy-Synthetic-v0", "GA", "smoke", 0, task_kwargs=SMALL)
    runner.run_spec(other, store, device="cpu", progress=False)

    def stamp(commit, seconds):
        def change(record):
            record["environment"]["git_commit"] = commit
            record["timings"]["total_seconds"] = seconds
        return change

    alter(store, small_spec(0), stamp("abc1234-dirty", 9.0))
    alter(store, small_spec(1), stamp("abc1234-dirty", 2.0))  # the cheapest dirty record of the Ackley cell
    alter(store, small_spec(2), stamp("abc1234", 1.0))  # clean: never selected with dirty=True
    alter(store, other, stamp("def5678", 1.0))  # a cell without dirty records
    assert select_records(store, dirty=True) == sorted([small_spec(0).relpath, small_spec(1).relpath])
    assert select_records(store, dirty=True, per_cell=True) == [small_spec(1).relpath]
    assert select_records(store, per_cell=True) == sorted([small_spec(2).relpath, other.relpath])
    code, lines = run_verify(store, dirty=True, per_cell=True)
    assert code == 0 and len(lines) == 2 and "dirty only, one per cell" in lines[-1]


def _pair(sharp_stored, sharp_fresh, cap_stored, cap_fresh, p100=(0.9, 0.9)):
    def rec(sharp, cap, p):
        env = {"device": "cpu", **({"cpu_capability": cap} if cap is not None else {})}
        return {"result": {"norm_p100": p}, "curve": [{"step": 0, "norm_p100": 0.5}],
                "surrogate_grad_norm_on_candidates": sharp, "environment": env}
    return rec(sharp_stored, cap_stored, p100[0]), rec(sharp_fresh, cap_fresh, p100[1])


def test_sharpness_is_exact_on_one_kernel_path_and_within_tolerance_across_paths():
    from mbo_lib.experiments.verify import SHARPNESS_RTOL, kernel_path_note, score_differences
    off = 4.129318714141846 * (1 + 4e-6)  # the size seen between an AVX2 machine and a committed record
    # same kernel path: bit for bit, so even this is a difference
    stored, fresh = _pair(4.129318714141846, off, "AVX2", "AVX2")
    assert [f for f, _ in score_differences(stored, fresh)] == ["surrogate_grad_norm_on_candidates"]
    # across kernel paths (or a record made before the field existed): within the tolerance, with a note
    for cap in ("AVX512", None):
        stored, fresh = _pair(4.129318714141846, off, cap, "AVX2")
        assert score_differences(stored, fresh) == []
        note = kernel_path_note(stored, fresh)
        assert "scores bit-identical" in note and "4e-06 relative" in note and "here AVX2" in note
        assert ("record AVX512" if cap else "record not stored") in note
    # beyond the tolerance, an infinite or a missing value, or any score: still differences
    for sharp in (4.129318714141846 * (1 + 10 * SHARPNESS_RTOL), float("inf"), None):
        stored, fresh = _pair(4.129318714141846, sharp, "AVX512", "AVX2")
        assert [f for f, _ in score_differences(stored, fresh)] == ["surrogate_grad_norm_on_candidates"]
    stored, fresh = _pair(1.0, 1.0, "AVX512", "AVX2", p100=(0.9, 0.9 + 1e-15))
    assert [f for f, _ in score_differences(stored, fresh)] == ["result.norm_p100"]
    assert kernel_path_note(*_pair(1.0, 1.0, "AVX512", "AVX2")) == ""  # bit-identical: nothing to say


def test_records_store_the_cpu_kernel_path(store):
    import torch
    record = json.loads(store.path(small_spec()).read_text())
    assert record["environment"]["cpu_capability"] == torch.backends.cpu.get_cpu_capability()


def test_verify_line_says_when_the_sharpness_matched_only_within_tolerance(store):
    def older_machine(r):  # as if made on another kernel path: a float32-noise-sized change of the sharpness
        r["environment"]["cpu_capability"] = "OTHER"
        r["environment"]["numerics"] = {**r["environment"].get("numerics", {}), "cpu_capability": "OTHER"}
        r["surrogate_grad_norm_on_candidates"] *= 1 + 2e-6
    alter(store, small_spec(), older_machine)
    code, lines = run_verify(store)
    assert code == 0
    assert lines[0].startswith(f"{small_spec().relpath}: identical (scores bit-identical; "
                               "surrogate_grad_norm_on_candidates off by 2e-06 relative") and "record OTHER" in lines[0]
    assert lines[-1].startswith("verify: 1 identical, 0 differ")


# ------------------------------------------------------------------ issue 30 (6): --match '' and a pattern matching none
FAKE = "smoke/GA/Ackley-Synthetic-v0/seed0-0123abcd.json"


@pytest.fixture
def fake_store(tmp_path):
    """A store holding one (unread) record file: selecting never opens it, so no run is needed."""
    (tmp_path / "records" / FAKE).parent.mkdir(parents=True)
    (tmp_path / "records" / FAKE).write_text("{}")
    return RecordStore(tmp_path / "records")


def test_an_empty_match_is_refused_not_every_record(fake_store, capsys):
    with pytest.raises(InvalidInputError, match=r"match '': an empty pattern would select every record"):
        select_records(fake_store, match="")
    assert select_records(fake_store, match="seed0-") == [FAKE]
    assert main(["verify", "--records", str(fake_store.root), "--match", ""]) == 2
    captured = capsys.readouterr()
    assert ("error: --match '': an empty pattern would select every record; give a pattern such as 'quick/GA/*' "
            "or leave --match out") in captured.err
    assert "verify:" not in captured.out


def test_a_match_that_selects_nothing_names_the_pattern_and_the_store(fake_store, capsys):
    with pytest.raises(InvalidInputError, match=r"match 'quick/GA/\*': no record in .* matches"):
        select_records(fake_store, match="quick/GA/*")
    assert main(["verify", "--records", str(fake_store.root), "--match", "TFBind9"]) == 2
    err = capsys.readouterr().err
    assert (f"mbo: error: match 'TFBind9': no record in {fake_store.root} matches (the pattern is '*TFBind9*' on "
            f"the path inside the store; paths look like {FAKE!r})") in err
