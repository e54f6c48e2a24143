"""The GPU campaign script (tools/gpu_campaign.py) at the smoke profile on the CPU: it runs, writes records that
name their device, copies them to --out, respects the budget and resumes without recomputing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SMALL = json.dumps({"max_samples": 2000})


def _run(tmp_path: Path, out: Path, budget: float) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, "MBO_RECORDS_DIR": str(tmp_path / "store"), "MBO_PROGRESS": "0"}
    return subprocess.run([sys.executable, str(REPO / "tools" / "gpu_campaign.py"), "--profile", "smoke", "--device", "cpu",
                           "--seeds", "1", "--skip-tests", "--budget-s", str(budget), "--out", str(out),
                           "--task-kwargs", SMALL], capture_output=True, text=True, env=env, timeout=600)


def test_gpu_campaign_smoke_on_cpu(tmp_path):
    out = tmp_path / "out"
    proc = _run(tmp_path, out, 600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((out / "gpu_campaign.json").read_text())
    methods = [r["relpath"].split("/")[1] for r in summary["runs"]]
    assert methods == ["GA-Ensemble-Mean", "GA-Ensemble-Min", "GA-Ensemble-Mean+ignite", "GA-Ensemble-Min+ignite", "PGS"]
    shared = [r["training_shared_with"] for r in summary["runs"]]  # each Min run searched its Mean run's ensemble
    assert shared[0] is None and shared[2] is None and shared[4] is None
    assert shared[1] in summary["runs"][0]["relpath"] and shared[3] in summary["runs"][2]["relpath"]
    copies = sorted((out / "records").rglob("*.json"))
    assert len(copies) == 5
    assert all(json.loads(p.read_text())["environment"]["device"] == "cpu" for p in copies)
    # a second call finds every record and runs nothing
    again = _run(tmp_path, tmp_path / "out2", 600)
    assert again.returncode == 0 and json.loads((tmp_path / "out2" / "gpu_campaign.json").read_text())["runs"] == []


class FakeClock:
    """``time.perf_counter`` that moves only when a unit runs (10 s per unit), so the budget logic is tested
    without depending on how fast this machine is."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


@pytest.mark.parametrize("budget,units", [(5, 1), (15, 1), (25, 2), (0.0001, 1)])
def test_gpu_campaign_starts_a_unit_only_if_the_longest_so_far_fits(tmp_path, monkeypatch, load_tool, budget, units):
    gc = load_tool("gpu_campaign")
    clock = FakeClock()
    monkeypatch.setattr(gc, "time", clock)
    monkeypatch.setenv("MBO_RECORDS_DIR", str(tmp_path / "store"))
    ran = []

    def fake_unit(specs):
        clock.now += 10.0
        ran.append([s.method for s in specs])
        records = [{"timings": {"total_seconds": 10.0}, "environment": {"device": "cpu"}, "result": {"norm_p100": 0.5},
                    "extras": {}} for _ in specs]
        for s, r in zip(specs, records):  # where the real runner saves it (the script copies it to --out)
            path = gc.RecordStore().path(s)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(r))
        return records

    def fake_shared(group, *a, on_record=None, **k):
        records = fake_unit(group)
        for spec, record in zip(group, records):
            on_record(spec, record)
        return records

    monkeypatch.setattr(gc, "run_shared", fake_shared)
    monkeypatch.setattr(gc, "run_spec", lambda spec, *a, **k: fake_unit([spec])[0])
    assert gc.main(["--profile", "smoke", "--device", "cpu", "--seeds", "1", "--skip-tests", "--budget-s",
                    str(budget), "--out", str(tmp_path / "out")]) == 0
    # the first unit always starts (nothing measured yet: a GA-Ensemble-Mean/-Min pair); a later one only if the
    # elapsed time plus the longest unit so far (10 s) fits the budget
    assert ran[:1] == [["GA-Ensemble-Mean", "GA-Ensemble-Min"]] and len(ran) == units
    summary = json.loads((tmp_path / "out" / "gpu_campaign.json").read_text())
    assert "budget" in summary["stopped"] and len(summary["runs"]) == sum(len(u) for u in ran)
