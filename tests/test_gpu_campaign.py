"""The GPU campaign script (tools/gpu_campaign.py) at the smoke profile on the CPU: it runs, writes records that
name their device, copies them to --out, respects the budget and resumes without recomputing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    assert methods == ["GA-Ensemble-Mean", "GA-Ensemble-Mean+ignite", "GA-Ensemble-Min", "GA-Ensemble-Min+ignite", "PGS"]
    copies = sorted((out / "records").rglob("*.json"))
    assert len(copies) == 5
    assert all(json.loads(p.read_text())["environment"]["device"] == "cpu" for p in copies)
    # a second call finds every record and runs nothing
    again = _run(tmp_path, tmp_path / "out2", 600)
    assert again.returncode == 0 and json.loads((tmp_path / "out2" / "gpu_campaign.json").read_text())["runs"] == []


def test_gpu_campaign_stops_at_the_budget(tmp_path):
    proc = _run(tmp_path, tmp_path / "out", 0.001)
    summary = json.loads((tmp_path / "out" / "gpu_campaign.json").read_text())
    # the first run starts (nothing measured yet) and nothing after it fits a 1 ms budget
    assert len(summary["runs"]) == 1 and "budget" in summary["stopped"], proc.stdout
