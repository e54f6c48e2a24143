"""benchmarks/bench_mins_paper.py: the per-epoch arithmetic (closed form) and one smoke-profile run of the script."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = ROOT / "benchmarks" / "bench_mins_paper.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_mins_paper", PATH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_estimate_separates_forward_gan_and_fixed_costs():
    bench = load_bench()
    one = {"cpu_s": 100.0, "train_s": 20.0}   # 2 forward epochs + 1 GAN epoch
    two = {"cpu_s": 150.0, "train_s": 20.0}   # 2 forward epochs + 2 GAN epochs
    ign = {"cpu_s": 140.0, "train_s": 60.0}   # IGNITE triples the forward epochs' cost
    parts = bench.estimate(one, two, ign, forward_epochs=2, paper_forward_epochs=100, paper_gan_epochs=200)
    assert parts["forward"] == 10.0 and parts["forward_ignite"] == 30.0
    assert parts["gan"] == 50.0 and parts["fixed"] == 30.0  # 100 - 20 - 50
    assert parts["plain_s"] == 30.0 + 100 * 10.0 + 200 * 50.0
    assert parts["ignite_s"] == 30.0 + 100 * 30.0 + 200 * 50.0


def test_smoke_run_writes_table_and_json(tmp_path):
    out = subprocess.run([sys.executable, str(PATH), "--profile", "smoke", "--forward-epochs", "1", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads((tmp_path / "mins_paper_cost.json").read_text())
    assert result["profile"] == "smoke" and result["task"] == "TFBind8-Exact-v0"
    assert result["paper_forward_epochs"] == 1 and result["paper_gan_epochs"] == 1  # the smoke profile's epochs
    runs = result["runs"]
    assert runs["gan1_ignite"]["train_s"] > 0 and runs["gan2"]["cpu_s"] > 0
    expected = load_bench().estimate(runs["gan1"], runs["gan2"], runs["gan1_ignite"], 1, 1, 1)
    assert abs(result["plain_cpu_hours"] - round(expected["plain_s"] / 3600, 2)) < 1e-9
    assert "Estimated CPU time of one paper-profile run" in (tmp_path / "mins_paper_cost.md").read_text()
