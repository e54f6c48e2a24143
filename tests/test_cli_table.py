"""``mbo table`` (design-baselines' make-table from the record store): the numbers it prints are
:mod:`mbo_lib.stats` applied to the committed records, in all three formats; selection, stale records, missing
cells and bad arguments. Driven through ``python -m mbo_lib table`` as a user would, a few cases in-process."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mbo_lib import stats
from mbo_lib.cli import main
from mbo_lib.experiments.store import RECORD_VERSION
from mbo_lib.experiments import RunSpec
from mbo_lib.experiments.spec import plain
from mbo_lib.experiments.store import RecordStore
from mbo_lib.methods import get_method
from mbo_lib.reference import published_scores
from mbo_lib.reporting.results_table import render, results_table, select_records

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"  # the committed quick records
TF8, TF10 = "TFBind8-Exact-v0", "TFBind10-Exact-v0"
SHORT = {TF8: "TFBind8", TF10: "TFBind10"}


def mbo(*args: str, records: Path = RECORDS, **env) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, MBO_PROGRESS="0", OMP_NUM_THREADS="1",
                    PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **env)
    return subprocess.run([sys.executable, "-m", "mbo_lib", "table", "--records", str(records), *args], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, timeout=300)


def expected_values(method: str, task: str, value: str = "norm_p100", regularizer: dict | None = None,
                    root: Path = RECORDS, profile: str = "quick") -> list[float]:
    """The scores ``mbo table`` must summarize, read straight from the record files: the plain (or ``regularizer``)
    runs without overrides whose record the current code would reuse."""
    store, folder = RecordStore(root), root / profile / (method + (f"+{regularizer['name']}" if regularizer else ""))
    out = []
    for path in sorted((folder / task).glob("seed*.json")):
        record = json.loads(path.read_text())
        spec = RunSpec.from_dict(record["spec"])
        if spec.overrides or spec.task_kwargs or spec.regularizer != (regularizer or {}):
            continue
        if store.lookup(spec).record is not None:
            out.append(record["result"][value])
    return out


def md_rows(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header, cells))
    return header, rows


def pub_text(method: str, short: str, percentile: int, source: str) -> str:
    pub = published_scores(method, short, percentile, source)
    return "—" if pub.empty else stats.fmt_pm(float(pub["mean"].iloc[0]), float(pub["std"].iloc[0]))


@pytest.fixture(scope="module")
def md_output():
    out = mbo("--method", "GA", "--method", "COMs", "--task", TF10, "--task", "TFBind8", "--profile", "quick")
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_markdown_numbers_are_stats_of_the_records(md_output):
    header, rows = md_rows(md_output)
    assert list(rows) == ["GA", "COMs", "D(best)"]
    assert header[:4] == ["method", "TFBind10 mean ± std", "TFBind10 95% CI", "TFBind10 n"]
    checked = 0
    for method in ("GA", "COMs"):
        for task, short in SHORT.items():
            c = stats.cell_stats(expected_values(method, task))
            row = rows[method]
            assert row[f"{short} mean ± std"] == stats.fmt_pm(c.mean, c.std)
            assert row[f"{short} 95% CI"] == stats.fmt_ci(c.low, c.high)
            assert row[f"{short} n"] == str(c.n)
            for src in ("design-bench", "ROOT", "Offline-RaM"):
                assert row[f"{short} {src}"] == pub_text(method, short, 100, src)
            checked += c.n >= 2
    assert checked >= 2, "the committed records should give at least two cells with an interval"
    assert "0.000 ± 0.000" not in md_output
    assert "population std (ddof=0" in md_output and "100th percentile" in md_output


def test_dataset_best_row_reads_the_data_or_says_why_not(md_output):
    from mbo_lib.experiments.runner import load_task
    from mbo_lib.reporting.availability import task_status

    _, rows = md_rows(md_output)
    task = load_task(TF8)
    assert rows["D(best)"]["TFBind8 mean ± std"] == f"{float(task.normalize_score(task.y.max())):.3f}"
    assert rows["D(best)"]["TFBind8 ROOT"] == pub_text("D(best)", "TFBind8", 100, "ROOT") == "0.439"
    if task_status(TF10)[0]:
        assert rows["D(best)"]["TFBind10 mean ± std"] == "0.467"
    else:
        assert rows["D(best)"]["TFBind10 mean ± std"] == "—"
        assert "D(best) of TFBind10 not shown" in md_output


def test_csv_numbers_at_full_precision_and_missing_as_dash():
    out = mbo("--method", "COMs", "--method", "PGS", "--task", TF10, "--task", "Levy", "--profile", "quick",
              "--percentile", "50", "--format", "csv", "--no-dataset-best")
    assert out.returncode == 0, out.stderr
    rows = {r["method"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    assert list(rows) == ["COMs", "PGS"]
    for method in ("COMs", "PGS"):
        c = stats.cell_stats(expected_values(method, TF10, "norm_p50"))
        assert c.n >= 2
        r = rows[method]
        assert (float(r["TFBind10 mean"]), float(r["TFBind10 std"]), int(r["TFBind10 n"])) == (c.mean, c.std, c.n)
        assert (float(r["TFBind10 ci_low"]), float(r["TFBind10 ci_high"])) == (c.low, c.high)
    # Only Offline-RaM gives the 50th percentile; PGS has no Levy record: "—" and n 0, never a 0.0 score
    assert [k for k in rows["PGS"] if "ROOT" in k or "design-bench" in k] == []
    assert float(rows["PGS"]["TFBind10 Offline-RaM mean"]) == 0.386
    assert float(rows["COMs"]["TFBind10 Offline-RaM mean"]) == published_scores("COMs", "TFBind10", 50)["mean"].iloc[0]
    assert rows["COMs"]["Levy Offline-RaM mean"] == "—"  # no source publishes Levy
    assert (rows["PGS"]["Levy mean"], rows["PGS"]["Levy std"], rows["PGS"]["Levy n"]) == ("—", "—", "0")
    assert "50th percentile" in out.stderr  # the caption goes to stderr, stdout stays a clean CSV


def test_latex_rows_carry_the_same_numbers():
    out = mbo("--method", "COMs", "--task", "TFBind10", "--profile", "quick", "--format", "latex", "--no-dataset-best")
    assert out.returncode == 0, out.stderr
    c = stats.cell_stats(expected_values("COMs", TF10))
    row = next(ln for ln in out.stdout.splitlines() if ln.startswith("COMs &"))
    assert row.startswith(f"COMs & {c.mean:.3f} $\\pm$ {c.std:.3f} & {stats.fmt_ci(c.low, c.high)} & {c.n} & --- & ")
    assert "\\begin{tabular}" in out.stdout and "\\multicolumn{6}{c}{TFBind10}" in out.stdout
    assert out.stdout.startswith("% Normalized score at the 100th percentile")


def test_regularized_cell_leaves_out_the_sensitivity_sweep():
    """COMs+ignite on TF-Bind-10 has 28 records (epsilon / eta_lambda sweeps); the table's cell has the default
    parameters only."""
    sweep = list((RECORDS / "quick" / "COMs+ignite" / TF10).glob("seed*.json"))
    expected = expected_values("COMs", TF10, regularizer={"name": "ignite"})
    assert len(sweep) > len(expected) >= 2
    table = results_table(RECORDS, profile="quick", methods=["coms"], tasks=["TFBind10"], regularizer="ignite",
                          with_dataset_best=False)
    cell = table.cells[("COMs", "TFBind10")]
    assert (cell.n, cell.mean) == (len(expected), stats.cell_stats(expected).mean)
    text = render(table, "md")
    assert "| COMs+ignite |" in text and "without a regularizer" in text


def test_stale_records_are_left_out_and_counted(tmp_path):
    src = RECORDS / "quick" / "COMs" / TF10
    dst = tmp_path / "quick" / "COMs" / TF10
    dst.mkdir(parents=True)
    files = sorted(src.glob("seed*.json"))
    for f in files:
        shutil.copy(f, dst / f.name)
    stale = json.loads((dst / files[0].name).read_text())
    stale["method_version"] = -1
    (dst / files[0].name).write_text(json.dumps(stale))
    table = results_table(tmp_path, profile="quick", methods=["COMs"], tasks=[TF10], with_dataset_best=False)
    fresh = [json.loads(f.read_text())["result"]["norm_p100"] for f in files[1:]]
    assert table.cells[("COMs", "TFBind10")].n == len(fresh) == len(files) - 1
    assert table.cells[("COMs", "TFBind10")].mean == stats.cell_stats(fresh).mean
    assert any(n.startswith("Left out: 1 stale record(s)") and "version changed" in n for n in table.notes)


def _fake_record(spec: RunSpec, score: float) -> dict:
    method = get_method(spec.method)
    from mbo_lib.objectives.regularizers import resolved_regularizer

    return {"spec": spec.as_dict(), "key": spec.key, "record_version": RECORD_VERSION,
            "method_version": method.version, "regularizer": resolved_regularizer(spec.regularizer),
            "hyperparameters": plain(method.hyperparameters(spec.profile, spec.overrides)),
            "result": {"norm_p100": score, "norm_p80": score, "norm_p50": score}}


def test_paper_settings_select_by_overrides(tmp_path):
    """At the paper profile a record enters the table of the settings whose overrides it has: COMs with 2 epochs
    is IGNITE's, without overrides design-baselines'; GA (no IGNITE-specific settings) counts for both."""
    store = RecordStore(tmp_path)
    runs = [(RunSpec(TF8, "COMs", "paper", 0), 0.5), (RunSpec(TF8, "COMs", "paper", 0, overrides={"epochs": 2}), 0.7),
            (RunSpec(TF8, "GA", "paper", 0), 0.9)]
    for spec, score in runs:
        store.save(spec, _fake_record(spec, score))
    for settings, coms in (("baselines", 0.5), ("ignite", 0.7)):
        table = results_table(tmp_path, profile="paper", settings=settings, with_dataset_best=False)
        assert table.methods == ["GA", "COMs"]
        assert table.cells[("COMs", "TFBind8")].mean == coms and table.cells[("COMs", "TFBind8")].n == 1
        assert table.cells[("GA", "TFBind8")].mean == 0.9
    # diagnostic settings change GA only (quick width, torch init): the plain GA record is not one of them
    diagnostic = select_records(tmp_path, profile="paper", settings="diagnostic").records
    assert [(r["spec"]["method"], r["result"]["norm_p100"]) for r in diagnostic] == [("COMs", 0.5)]


def test_no_matching_record_exits_1(tmp_path):
    out = mbo("--profile", "smoke", records=tmp_path)
    assert out.returncode == 1 and "no record matches" in out.stderr and out.stdout == ""


def _one_error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if "error:" in ln]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_bad_arguments_subprocess_exit_2_one_line():
    out = mbo("--profile", "quick", "--method", "GAA")
    assert out.returncode == 2 and "'GAA'" in _one_error_line(out.stderr)
    out = mbo("--profile", "quick", "--settings", "ignite")
    assert out.returncode == 2 and "--settings is for --profile paper" in _one_error_line(out.stderr)


@pytest.mark.parametrize("args, named", [
    (["--profile", "quick", "--task", "TFBind9"], "'TFBind9'"),
    (["--profile", "quick", "--percentile", "90"], "90"),
    (["--profile", "quick", "--format", "xls"], "xls"),
    (["--profile", "quick", "--regularizer", "ignit"], "ignit"),
    (["--profile", "fast"], "fast"),
    (["--method", "GA"], "--profile"),
    (["--profile", "paper", "--settings", "mine"], "mine"),
    (["--profile", "quick", "--records", "/no/such/folder"], "/no/such/folder"),
])
def test_bad_arguments_in_process_exit_2_one_line(capsys, args, named):
    argv = ["table"] + (["--records", str(RECORDS)] if "--records" not in args else []) + args
    assert main(argv) == 2
    assert named in _one_error_line(capsys.readouterr().err)
