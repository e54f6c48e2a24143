"""``mbo run`` / ``mbo tasks`` / ``mbo methods`` driven as a user would: ``python -m mbo_lib ...`` in a subprocess
(a few argument errors also in-process through ``main``, which is the same code without the interpreter start)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mbo_lib.cli import main
from mbo_lib.experiments import RunSpec
from mbo_lib.experiments.store import RecordStore

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^runs: (\d+) \| done (\d+) \| reused (\d+) \| failed (\d+) \|", re.M)
# A small TF-Bind-8 subset, so a smoke run takes a fraction of a second
TFBIND8_SUBSET = '{"max_samples": 300}'


def _env(records: Path, **extra) -> dict:
    env = dict(os.environ, MBO_RECORDS_DIR=str(records), MBO_PROGRESS="0", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def mbo(*args: str, records: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mbo_lib", *args], cwd=ROOT, env=_env(records, **env),
                          capture_output=True, text=True, timeout=300)


def summary(stdout: str) -> dict:
    match = list(SUMMARY.finditer(stdout))
    assert match, f"no summary line in:\n{stdout}"
    runs, done, reused, failed = map(int, match[-1].groups())
    return dict(runs=runs, done=done, reused=reused, failed=failed)


def record_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("seed*.json"))


def test_run_then_rerun_reuses_every_record(tmp_path):
    args = ("run", "--task", "TFBind8", "--task-kwargs", TFBIND8_SUBSET, "--method", "GA", "--profile", "smoke",
            "--seeds", "0,2", "--device", "cpu")
    first = mbo(*args, records=tmp_path)
    assert first.returncode == 0, first.stderr
    assert summary(first.stdout) == dict(runs=2, done=2, reused=0, failed=0)
    files = record_files(tmp_path)
    assert [json.loads(p.read_text())["spec"]["seed"] for p in files] == [0, 2]
    assert all(json.loads(p.read_text())["spec"]["task_kwargs"] == {"max_samples": 300} for p in files)
    again = mbo(*args, records=tmp_path)
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout) == dict(runs=2, done=0, reused=2, failed=0)
    assert record_files(tmp_path) == files


def test_set_and_reg_set_reach_the_record(tmp_path):
    out = mbo("run", "--task", "Ackley-Synthetic-v0", "--method", "ga", "--profile", "smoke", "--seeds", "1",
              "--set", "search_steps=5", "--set", "record_steps=[0,5]", "--regularizer", "ignite",
              "--reg-set", "epsilon=0.05", "--device", "cpu", records=tmp_path)
    assert out.returncode == 0, out.stderr
    (path,) = record_files(tmp_path)
    spec = json.loads(path.read_text())["spec"]
    assert spec["overrides"] == {"search_steps": 5, "record_steps": [0, 5]}
    assert spec["regularizer"]["name"] == "ignite" and spec["regularizer"]["epsilon"] == 0.05
    assert "/smoke/GA+ignite/Ackley-Synthetic-v0/seed1-" in path.as_posix()
    expected = RunSpec("Ackley-Synthetic-v0", "GA", "smoke", 1, overrides={"search_steps": 5, "record_steps": [0, 5]},
                       regularizer={"name": "ignite", "epsilon": 0.05})
    assert RecordStore(tmp_path).has(expected)


def test_killed_sweep_resumes_with_only_the_missing_runs(tmp_path):
    """SIGKILL the sweep as soon as its first record lands; the rerun reuses exactly what was saved."""
    n = 6
    args = ["run", "--task", "TFBind8", "--task-kwargs", TFBIND8_SUBSET, "--method", "GA", "--profile", "smoke",
            "--seeds", f"0-{n - 1}", "--set", "epochs=3", "--device", "cpu"]
    proc = subprocess.Popen([sys.executable, "-m", "mbo_lib", *args], cwd=ROOT, env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not record_files(tmp_path):
            assert proc.poll() is None, "the sweep ended before writing any record"
            assert time.monotonic() < deadline, "no record after 240 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    saved = len(record_files(tmp_path))
    assert 1 <= saved < n, f"{saved} of {n} records before the kill: the kill came too late to test a resume"
    rerun = mbo(*args, records=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert summary(rerun.stdout) == dict(runs=n, done=n - saved, reused=saved, failed=0)
    assert len(record_files(tmp_path)) == n


def test_failed_run_is_named_with_its_reason_and_exits_1(tmp_path):
    """A task whose data are missing fails at run time: the other runs finish, the summary names the failure."""
    out = mbo("run", "--task", "Ant", "--task", "Ackley", "--method", "GA", "--profile", "smoke", "--seeds", "0",
              "--device", "cpu", records=tmp_path / "records", MBO_DATA_DIR=str(tmp_path / "no-data"))
    assert out.returncode == 1, out.stdout + out.stderr
    assert summary(out.stdout) == dict(runs=2, done=1, reused=0, failed=1)
    failed = [ln for ln in out.stdout.splitlines() if ln.startswith("FAILED")]
    assert len(failed) == 1 and "AntMorphology-Exact-v0, seed 0" in failed[0] and "MissingDataError" in failed[0]
    assert "Traceback" not in out.stdout + out.stderr


def _one_error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if "error:" in ln]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("args, named", [
    (["--task", "TFBind9", "--method", "GA", "--profile", "smoke", "--seeds", "0"], "'TFBind9'"),
    (["--task", "TFBind8", "--method", "GA", "--profile", "smoke", "--seeds", "0", "--set", "no_such_hp=3"],
     "no_such_hp"),
    (["--task", "TFBind8", "--method", "GA", "--profile", "smoke", "--seeds", "5-2"], "'5-2'"),
    (["--task", "TFBind8", "--method", "GA", "--profile", "smoke", "--seeds", "0", "--reg-set", "epsilon=0.1"],
     "--reg-set"),
])
def test_bad_arguments_subprocess_exit_2_one_line(tmp_path, args, named):
    out = mbo("run", *args, records=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert named in _one_error_line(out.stderr)
    assert not record_files(tmp_path)


@pytest.mark.parametrize("args, named", [
    (["--method", "GAA"], "'GAA'"),
    (["--set", "epochs"], "'epochs'"),
    (["--set", "epochs=-1"], "epochs"),
    (["--regularizer", "ignit"], "ignit"),
    (["--regularizer", "ignite", "--reg-set", "epsilonn=0.1"], "epsilonn"),
    (["--task-kwargs", "{max_samples: 3}"], "JSON"),
    (["--task-kwargs", '{"no_such_kwarg": 3}'], "no_such_kwarg"),
    (["--seeds", "a"], "'a'"),
    (["--executor", "dask"], "--scheduler"),
    (["--workers", "2"], "--executor local"),
    (["--device", "tpu"], "tpu"),
])
def test_bad_arguments_in_process_exit_2_one_line(tmp_path, capsys, monkeypatch, args, named):
    monkeypatch.setenv("MBO_RECORDS_DIR", str(tmp_path))
    base = {"--task": "TFBind8", "--method": "GA", "--profile": "smoke", "--seeds": "0"}
    given = dict(zip(args[::2], args[1::2]))
    argv = ["run"] + [w for k, v in base.items() if k not in given for w in (k, v)] + args
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert named in _one_error_line(err)
    assert not record_files(tmp_path)


def test_tasks_and_methods_list_what_runs_here(tmp_path):
    empty = tmp_path / "no-data"
    tasks = mbo("tasks", records=tmp_path, MBO_DATA_DIR=str(empty))
    assert tasks.returncode == 0, tasks.stderr
    rows = {ln.split()[0]: ln for ln in tasks.stdout.splitlines() if ln.split() and ln.split()[0].endswith("-v0")}
    assert set(rows) >= {"TFBind8-Exact-v0", "TFBind10-Exact-v0", "AntMorphology-Exact-v0", "Ackley-Synthetic-v0"}
    assert re.search(r"discrete\s+embedded\s+yes", rows["TFBind8-Exact-v0"])
    assert re.search(r"discrete\s+data files\s+no\s+data files not found under MBO_DATA_DIR", rows["TFBind10-Exact-v0"])
    assert re.search(r"continuous\s+data files\s+no", rows["AntMorphology-Exact-v0"])
    methods = mbo("methods", records=tmp_path, MBO_DATA_DIR=str(empty))
    assert methods.returncode == 0, methods.stderr
    ga = next(ln for ln in methods.stdout.splitlines() if ln.startswith("GA "))
    assert "smoke,quick,paper" in ga and "TFBind8" in ga and "TFBind10" not in ga and "Ackley" in ga
    assert re.search(r"Not runnable here.*TFBind10.*Ant", methods.stdout)


# ------------------------------------------------------------------ issue 30 (7): huge seed ranges refused at once
@pytest.mark.parametrize("seeds, message", [
    ("0-4294967296", "seeds '0-4294967296': 4294967296 is out of range; a seed is an int in [0, 2**32) = "
                     "[0, 4294967295] (NumPy's seed range)"),
    ("4294967296", "seeds '4294967296': 4294967296 is out of range"),
    ("0-99999999999999999999", "seeds '0-99999999999999999999': 99999999999999999999 is out of range"),
    ("0-4294967295", "seeds '0-4294967295': more than 10,000 seeds in one run; give a smaller range (e.g. 0-7)"),
    ("0-5000,10000-20000", "more than 10,000 seeds in one run"),
])
def test_huge_seed_ranges_are_refused_before_the_list_is_built(tmp_path, capsys, monkeypatch, seeds, message):
    monkeypatch.setenv("MBO_RECORDS_DIR", str(tmp_path))
    start = time.perf_counter()
    assert main(["run", "--task", "TFBind8", "--method", "GA", "--profile", "smoke", "--seeds", seeds]) == 2
    assert time.perf_counter() - start < 2  # the old code hung building 4 billion seeds
    assert message in _one_error_line(capsys.readouterr().err)
    assert not record_files(tmp_path)
