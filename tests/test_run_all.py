"""run_all.py on tiny throwaway notebooks: parameters passed only where declared, failures reported with their
exception, timeouts, the summary, the report, and golden copies."""
from __future__ import annotations

import base64
import shutil
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
run_all = sys.modules["run_all"]  # loaded once by tests/conftest.py (a script, not in the package)

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def write(path: Path, cells) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def params_cell(source: str):
    return new_code_cell(source, metadata={"tags": ["parameters"]})


@pytest.fixture
def notebooks(tmp_path) -> Path:
    d = tmp_path / "notebooks"
    write(d / "a_params.ipynb", [
        new_markdown_cell("# Alpha notebook"),
        params_cell('profile: str = "quick"  # smoke | quick | paper\nseeds: list = [0, 1]  # seeds\n'
                    'tasks: list = ["TFBind8-Exact-v0"]  # not given on the command line'),
        new_markdown_cell("## Table 1"),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(f'profile={profile} seeds={seeds} tasks={tasks}')",
                      metadata={"tags": ["report"]}),
        new_code_cell("from IPython.display import Image, display\n"
                      f"display(Image(data=__import__('base64').b64decode('{PNG_B64}')))",
                      metadata={"tags": ["report"]}),
        new_code_cell("print('not for the golden copy')"),
    ])
    write(d / "b_plain.ipynb", [  # declares no parameters: gets none, but sees the smoke record store
        new_code_cell("import os\nstore = os.environ['MBO_RECORDS_DIR']\nassert os.path.isdir(store)\n"
                      "assert os.environ['MBO_PROGRESS'] == '0'\nimport mbo_lib\nprint('STORE', store)"),
    ])
    write(d / "sub" / "c_fails.ipynb", [
        params_cell('PROFILE = "quick"'),
        new_code_cell("raise ValueError('boom 42')"),
        new_code_cell("print('never reached')"),
    ])
    write(d / ".ipynb_checkpoints" / "a_params-checkpoint.ipynb", [new_code_cell("raise SystemExit")])
    return d


def test_discover_and_match(notebooks):
    names = [p.relative_to(notebooks).as_posix() for p in run_all.discover(notebooks)]
    assert names == ["a_params.ipynb", "b_plain.ipynb", "sub/c_fails.ipynb"]  # no checkpoints
    only = lambda *pats: [p.name for p in run_all.discover(notebooks, list(pats))]  # noqa: E731
    assert only("a_*") == ["a_params.ipynb"]
    assert only("fails") == ["c_fails.ipynb"]  # substring
    assert only("sub/*") == ["c_fails.ipynb"]
    assert only("plain", "a_params") == ["a_params.ipynb", "b_plain.ipynb"]
    assert [p.name for p in run_all.discover(notebooks, exclude=["sub"])] == ["a_params.ipynb", "b_plain.ipynb"]


def test_only_declared_parameters_are_passed(notebooks):
    given = {"profile": "smoke", "seeds": [3], "tasks": None, "device": "cpu"}
    declared = run_all.declared_parameters(notebooks / "a_params.ipynb")
    assert run_all.notebook_parameters(declared, given) == {"profile": "smoke", "seeds": [3]}
    declared = run_all.declared_parameters(notebooks / "sub" / "c_fails.ipynb")
    assert run_all.notebook_parameters(declared, given) == {"PROFILE": "smoke"}  # case-insensitive
    assert run_all.notebook_parameters({"seed": {"inferred_type_name": "int"}}, {"seed": [7]}) == {"seed": 7}
    assert run_all.notebook_parameters(run_all.declared_parameters(notebooks / "b_plain.ipynb"), given) == {}


def test_run_reports_failures_summary_and_report(notebooks, tmp_path, capsys):
    out = tmp_path / "runs"
    code = run_all.main(["--profile", "smoke", "--seeds", "3", "4", "--notebooks-dir", str(notebooks),
                         "--output-dir", str(out), "--jobs", "2", "--timeout", "300", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "sub/c_fails.ipynb: ValueError: boom 42" in captured.err
    summary = {r["notebook"]: r for r in json.loads((out / "summary.json").read_text())}
    assert {k: v["status"] for k, v in summary.items()} == {
        "a_params.ipynb": "ok", "b_plain.ipynb": "ok", "sub/c_fails.ipynb": "failed"}
    assert all(r["seconds"] > 0 and r["peak_mib"] > 10 for r in summary.values())  # a kernel uses > 10 MiB
    assert summary["a_params.ipynb"]["parameters"] == {"profile": "smoke", "seeds": [3, 4]}
    assert summary["b_plain.ipynb"]["parameters"] == {}
    for line in ("a_params.ipynb", "b_plain.ipynb", "sub/c_fails.ipynb"):
        assert line in captured.out  # the summary table

    executed = nbformat.read(out / "a_params.ipynb", as_version=4)
    printed = [o["text"] for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("name") == "stdout"]
    assert "profile=smoke seeds=[3, 4] tasks=['TFBind8-Exact-v0']\n" in printed
    plain = nbformat.read(out / "b_plain.ipynb", as_version=4)
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in plain.cells)
    store = plain.cells[0].outputs[0]["text"].split()[1]
    assert store.startswith(tempfile_root()) and not Path(store).exists()  # temporary smoke store, removed
    assert (out / "sub" / "c_fails.ipynb").exists() and (out / "sub" / "c_fails.log").exists()

    report = (out / "report.md").read_text()
    assert "## Alpha notebook" in report and "### Table 1" in report
    assert "profile=smoke seeds=[3, 4]" in report
    assert "sub/c_fails.ipynb | failed: ValueError: boom 42" in report
    assert "**This notebook failed:** `ValueError: boom 42`" in report
    assert len(list((out / "report_files").glob("*.png"))) == 1

    (out / "report.md").unlink()
    assert run_all.main(["--profile", "smoke", "--notebooks-dir", str(notebooks), "--output-dir", str(out),
                         "--report-only"]) == 0
    assert "## Alpha notebook" in (out / "report.md").read_text()

    results = [run_all.NotebookResult(**r) for r in summary.values()]
    golden = tmp_path / "golden"
    (golden / "gone.ipynb").parent.mkdir(parents=True)
    write(golden / "gone.ipynb", [new_code_cell("1")])
    written, removed = run_all.update_golden(results, notebooks, golden, prune=True)
    assert sorted(p.name for p in written) == ["a_params.ipynb", "b_plain.ipynb"]  # not the failed one
    assert [p.name for p in removed] == ["gone.ipynb"]
    g = nbformat.read(golden / "a_params.ipynb", as_version=4)
    kept = [c for c in g.cells if c.cell_type == "code" and c.outputs]
    assert len(kept) == 1 and "NBVAL_CHECK_OUTPUT" in kept[0].source  # only the cell nbval compares
    assert all("papermill" not in c.metadata for c in g.cells)


def test_update_golden_gives_each_notebook_its_own_empty_store(tmp_path, capsys):
    """Golden copies must be what nbval will compute: nbval starts every golden notebook on an empty store
    (tests/golden/conftest.py), so regenerating them must not let one notebook read another's smoke records."""
    d = tmp_path / "notebooks"
    listing = ("# NBVAL_CHECK_OUTPUT\nimport os\nprint(sorted(os.listdir(os.environ['MBO_RECORDS_DIR'])))")
    write(d / "a_writes.ipynb", [
        new_code_cell("import os\nopen(os.path.join(os.environ['MBO_RECORDS_DIR'], 'a.json'), 'w').write('{}')"),
        new_code_cell(listing)])
    write(d / "sub" / "b_reads.ipynb", [new_code_cell("print('STORE', __import__('os').environ['MBO_RECORDS_DIR'])"),
                                        new_code_cell(listing)])
    golden = tmp_path / "golden"
    assert run_all.main(["--profile", "smoke", "--update-golden", "--notebooks-dir", str(d), "--golden-dir",
                         str(golden), "--jobs", "1", "--no-progress"]) == 0  # one job: a runs, then b

    def checked_output(path):
        cells = [c for c in nbformat.read(path, as_version=4).cells if "NBVAL_CHECK_OUTPUT" in c.source]
        return "".join(o.get("text", "") for o in cells[0].outputs)

    assert checked_output(golden / "a_writes.ipynb") == "['a.json']\n"
    assert checked_output(golden / "sub" / "b_reads.ipynb") == "[]\n"  # a's record is not in b's store
    assert "a fresh store per notebook in " + tempfile_root() in capsys.readouterr().err
    assert not list(Path(tempfile_root()).glob("mbo-golden-run-*/sub/b_reads.ipynb"))  # run folder removed


def tempfile_root() -> str:
    import tempfile

    return tempfile.gettempdir()


def test_timeout_kills_the_notebook(tmp_path, capsys):
    psutil = pytest.importorskip("psutil")
    d = tmp_path / "notebooks"
    pid_file = tmp_path / "kernel.pid"
    write(d / "sleeper.ipynb", [new_code_cell(f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
                                              "time.sleep(600)")])
    code = run_all.main(["--profile", "smoke", "--notebooks-dir", str(d), "--output-dir", str(tmp_path / "out"),
                         "--timeout", "8", "--no-progress", "--no-report"])
    assert code == 1
    assert "sleeper.ipynb: TimeoutError: killed after 8 s" in capsys.readouterr().err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary[0]["status"] == "timeout" and summary[0]["seconds"] < 60
    if pid_file.exists():  # the kernel got as far as the sleep: it must be gone now
        pid = int(pid_file.read_text())
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_cli_help_and_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        run_all.main(["--help"])
    assert info.value.code == 0 and "--profile" in capsys.readouterr().out
    assert run_all.main(["--notebooks-dir", str(tmp_path), "--no-progress"]) == 2  # nothing to run
    assert run_all.main(["--profile", "quick", "--update-golden"]) == 2


def test_relative_data_and_records_dirs_are_resolved_against_the_callers_cwd(tmp_path, monkeypatch, capsys):
    """Kernels run in the notebook's folder: a relative MBO_DATA_DIR / MBO_RECORDS_DIR must reach them absolute."""
    d = tmp_path / "notebooks"
    write(d / "where.ipynb", [new_code_cell(
        "import os\nprint('DATA', os.environ['MBO_DATA_DIR'])\nprint('RECORDS', os.environ['MBO_RECORDS_DIR'])\n"
        "print('MAX', os.environ['MBO_MAX_THREADS'])\n"
        "assert os.path.isdir(os.environ['MBO_DATA_DIR']) and os.path.isdir(os.environ['MBO_RECORDS_DIR'])")])
    (tmp_path / "caller" / "data").mkdir(parents=True)
    (tmp_path / "caller" / "recs").mkdir()
    monkeypatch.chdir(tmp_path / "caller")
    monkeypatch.setenv("MBO_DATA_DIR", "data")
    monkeypatch.setenv("MBO_RECORDS_DIR", "./recs")
    out = tmp_path / "out"
    code = run_all.main(["--profile", "quick", "--notebooks-dir", str(d), "--output-dir", str(out), "--jobs", "2",
                         "--no-progress", "--no-report"])
    err = capsys.readouterr().err
    assert code == 0, err
    printed = nbformat.read(out / "where.ipynb", as_version=4).cells[0].outputs[0]["text"].split()
    assert printed[1] == str(tmp_path / "caller" / "data") and printed[3] == str(tmp_path / "caller" / "recs")
    assert printed[5] == str(max(1, len(__import__("os").sched_getaffinity(0)) // 2))
    assert f"data: {tmp_path / 'caller' / 'data'}" in err and f"records: {tmp_path / 'caller' / 'recs'}" in err


def test_an_unreadable_notebook_is_reported_and_the_others_run(tmp_path, capsys):
    d = tmp_path / "notebooks"
    write(d / "a_good.ipynb", [new_code_cell("print('fine')")])
    (d / "b_broken.ipynb").write_text("{ this is not json")
    out = tmp_path / "out"
    code = run_all.main(["--profile", "smoke", "--notebooks-dir", str(d), "--output-dir", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1
    summary = {r["notebook"]: r for r in json.loads((out / "summary.json").read_text())}
    assert summary["a_good.ipynb"]["status"] == "ok"
    assert summary["b_broken.ipynb"]["status"] == "failed"
    assert f"could not read {d / 'b_broken.ipynb'}" in summary["b_broken.ipynb"]["error"]
    assert "b_broken.ipynb: could not read" in err
    assert "b_broken.ipynb | failed" in (out / "report.md").read_text()


@pytest.mark.parametrize("value", ["-5", "nan", "soon"])
def test_timeout_must_be_positive(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        run_all.main(["--notebooks-dir", str(tmp_path), "--timeout", value])
    assert info.value.code == 2 and "--timeout" in capsys.readouterr().err


def test_compute_writes_a_fresh_store_renders_from_it_and_compares(tmp_path, capsys, monkeypatch):
    """`make run`'s mode at the smoke profile: the quickstart's runs are computed into the fresh store before the
    notebook runs (the notebook only loads them), and the job ends with the comparison line."""
    d = tmp_path / "notebooks"
    write(d / "00_quickstart.ipynb", [  # a stand-in with the quickstart's name and parameters, loading its runs
        params_cell('profile: str = "quick"\nseeds: list = [0, 1, 2, 3]\ntasks: list = ["Ackley-Synthetic-v0"]\n'
                    'compute_missing: bool = True'),
        new_code_cell("import mbo_lib.experiments as ex, mbo_lib.reporting as rep\ndev = rep.setup(profile, 'cpu')\n"
                      "records = rep.load_records(ex.grid(tasks, ['GA'], seeds, profile), compute_missing, dev, "
                      "announce=True)"),
    ])
    committed = tmp_path / "committed"
    committed.mkdir()
    monkeypatch.setattr(run_all, "COMMITTED_RECORDS", committed)
    fresh = tmp_path / "fresh"
    code = run_all.main(["--profile", "smoke", "--seeds", "0", "--notebooks-dir", str(d), "--records-dir", str(fresh),
                         "--output-dir", str(tmp_path / "out"), "--compute", "1", "--no-progress", "--no-report"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0].startswith("computing 1 runs (GA on Ackley-Synthetic-v0, seeds 0, smoke profile) in 1 worker")
    assert "(seeds 0 instead of the notebook's 0, 1, 2, 3)" in lines[0]
    assert lines[-1].startswith(f"compared with the committed records in {committed}: 0 of 1 runs bit-identical")
    assert "missing: 1; failed runs: 0" in lines[-1]
    assert len(list(fresh.rglob("*.json"))) == 1 and not list(committed.iterdir())
    executed = nbformat.read(tmp_path / "out" / "00_quickstart.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "computed now: a fresh store made by run_all.py --compute" in text
    assert "1 runs: 0 computed now by this notebook, 1 loaded from" in text  # computed before the notebook ran
    # --committed (`make report`): the committed records are loaded, nothing is computed
    shutil.copytree(fresh / "smoke", committed / "smoke")
    assert run_all.main(["--profile", "smoke", "--seeds", "0", "--notebooks-dir", str(d), "--committed",
                         "--output-dir", str(tmp_path / "out2"), "--no-progress", "--no-report"]) == 0
    executed = nbformat.read(tmp_path / "out2" / "00_quickstart.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert f"1 runs: 1 loaded from {committed}, none computed (compute_missing=False)" in text
    # a folder of other records is refused by --compute
    assert run_all.main(["--profile", "smoke", "--notebooks-dir", str(d), "--records-dir", str(committed),
                         "--compute", "--no-progress"]) == 2
    assert "not a fresh store" in capsys.readouterr().err


# ------------------------------------------------------------------ issue 30 (5), (8): -p values, summary.json
@pytest.mark.parametrize("text, value", [("no", False), ("No", False), ("false", False), ("0", False),
                                         ("yes", True), ("TRUE", True), ("1", True)])
def test_boolean_parameters_are_parsed_not_truthy_strings(text, value):
    assert run_all.check_parameter("compute_missing", text) is value


@pytest.mark.parametrize("name, text, message", [
    ("compute_missing", "maybe", "-p compute_missing 'maybe': not a boolean; use true/false, yes/no or 1/0"),
    ("seeds", "3", "-p seeds '3': must be a JSON list of integers >= 0, e.g. '[0, 1]' (or use --seeds 0 1)"),
    ("seeds", '[0, "a"]', "-p seeds '[0, \"a\"]': must be a JSON list of integers >= 0"),
    ("tasks", "Ackley", "-p tasks 'Ackley': must be a JSON list of task ids, e.g. '[\"TFBind8-Exact-v0\"]' "
                        "(or use --tasks TFBind8-Exact-v0)"),
    ("tasks", '["Nope-v0"]', "-p tasks '[\"Nope-v0\"]': Unknown task 'Nope-v0'."),
])
def test_bad_parameter_values_are_refused_up_front(name, text, message, notebooks, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(run_all, "run_notebooks", lambda *a, **k: pytest.fail("must not run any notebook"))
    code = run_all.main(["--notebooks-dir", str(notebooks), "--output-dir", str(tmp_path / "out"),
                         "--no-progress", "-p", name, text])
    err = capsys.readouterr().err
    assert code == 2 and f"run_all.py: error: {message}" in err
    if name == "tasks" and "Nope" in text:
        assert "Known tasks: " in err and "Ackley-Synthetic-v0" in err


def test_task_names_are_resolved_and_unknown_ones_listed(notebooks, tmp_path, capsys, monkeypatch):
    assert run_all.check_parameter("tasks", '["Ackley"]') == ["Ackley-Synthetic-v0"]
    assert run_all.check_parameter("seeds", "[0, 1]") == [0, 1]
    monkeypatch.setattr(run_all, "run_notebooks", lambda *a, **k: pytest.fail("must not run any notebook"))
    assert run_all.main(["--notebooks-dir", str(notebooks), "--no-progress", "--tasks", "Ackly"]) == 2
    err = capsys.readouterr().err
    assert "run_all.py: error: --tasks Ackly: Unknown task 'Ackly'" in err and "Known tasks: " in err


def test_a_full_disk_leaves_no_truncated_summary_and_names_the_file(notebooks, tmp_path, capsys, monkeypatch):
    import errno
    import os

    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('["previous"]\n')
    fake = [run_all.NotebookResult(notebook="a_params.ipynb", output=str(out / "a_params.ipynb"), status="ok")]
    monkeypatch.setattr(run_all, "run_notebooks", lambda *a, **k: list(fake))
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(run_all.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    code = run_all.main(["--notebooks-dir", str(notebooks), "--only", "a_params", "--output-dir", str(out),
                         "--no-progress", "--no-report"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"run_all.py: error: cannot write {out / 'summary.json'}: No space left on device" in err
    assert (out / "summary.json").read_text() == '["previous"]\n'  # the old summary kept, not a 0-byte file
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]  # no temporary file left behind
