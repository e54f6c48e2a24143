"""Every notebook has an up-to-date golden smoke copy in tests/golden/ (which nbval re-executes).

These checks are static and fast; executing the golden copies is nbval's job
(``pytest --nbval-lax --nbval-current-env tests/golden``, see tests/golden/conftest.py).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
run_all = sys.modules["run_all"]  # loaded once by tests/conftest.py (a script, not in the package)

NOTEBOOKS = run_all.NOTEBOOKS_DIR
GOLDEN = run_all.GOLDEN_DIR
FIX = "regenerate them with `python tools/regenerate_golden.py` (or `python run_all.py --profile smoke --update-golden`)"


def rel(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix()


def notebook_names() -> list[str]:
    return [rel(p, NOTEBOOKS) for p in run_all.discover(NOTEBOOKS)]


def source_cells(nb) -> list[tuple[str, str]]:
    """(cell type, source) of every cell except papermill's injected parameters."""
    return [(c.cell_type, c.source) for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]


def test_every_notebook_has_a_golden_copy():
    missing = [n for n in notebook_names() if not (GOLDEN / n).exists()]
    assert not missing, f"notebooks without a golden smoke copy in tests/golden/: {missing}; {FIX}"


def test_no_golden_copy_without_its_notebook():
    sources = set(notebook_names())
    orphans = [rel(p, GOLDEN) for p in run_all.discover(GOLDEN) if rel(p, GOLDEN) not in sources]
    assert not orphans, f"golden copies whose notebook is gone: {orphans}; {FIX}"


SOURCES = NOTEBOOKS / "src"  # jupytext percent scripts: tools/build_notebooks.py writes notebooks/<name>.ipynb


@pytest.mark.parametrize("name", sorted(p.stem for p in SOURCES.glob("*.py")))
def test_notebook_is_built_from_its_source(name):
    """An edit made in the .ipynb alone is lost at the next build: the notebook's cells must be its source's."""
    jupytext = pytest.importorskip("jupytext")
    notebook = NOTEBOOKS / f"{name}.ipynb"
    assert notebook.exists(), f"notebooks/src/{name}.py has no notebook: python tools/build_notebooks.py {name}"
    assert source_cells(nbformat.read(notebook, as_version=4)) == source_cells(jupytext.read(SOURCES / f"{name}.py")), (
        f"notebooks/{name}.ipynb differs from notebooks/src/{name}.py: edit the source, then "
        f"python tools/build_notebooks.py {name} --no-compute")


@pytest.mark.parametrize("name", [n for n in notebook_names() if (GOLDEN / n).exists()])
def test_golden_copy_is_current_smoke_run(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    golden = nbformat.read(GOLDEN / name, as_version=4)
    assert source_cells(golden) == source_cells(notebook), f"{name} changed since its golden copy was made; {FIX}"
    declared = {k.lower() for k in run_all.declared_parameters(NOTEBOOKS / name)}
    if "profile" in declared:
        injected = [c.source for c in golden.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and 'profile = "smoke"' in injected[0], f"golden copy of {name} was not run at smoke; {FIX}"
        assert "records_dir" not in injected[0], "golden copies must not bake in a record store path"


def test_nbval_harness_sanitizes_isolates_and_catches_changed_outputs(tmp_path):
    """The golden set-up itself: a fresh temporary record store per kernel, paths sanitized, and a changed
    output in a ``# NBVAL_CHECK_OUTPUT`` cell fails (run on a toy golden folder in a pytest subprocess)."""
    import shutil
    import subprocess

    from nbformat.v4 import new_code_cell, new_notebook, new_output

    golden = tmp_path / "golden"
    golden.mkdir()
    for name in ("conftest.py", "sanitize.cfg"):
        shutil.copy(GOLDEN / name, golden / name)
    stdout = lambda text: [new_output("stream", name="stdout", text=text)]  # noqa: E731
    nb = new_notebook(cells=[
        new_code_cell("# NBVAL_CHECK_OUTPUT\nimport os\nstore = os.environ['MBO_RECORDS_DIR']\n"
                      "print(os.path.basename(store).startswith('mbo-golden-records-'), os.listdir(store), store)",
                      outputs=stdout("True [] /tmp/mbo-golden-records-abc123\n")),  # other path: sanitized away
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(os.environ['MBO_PROGRESS'], round(2 / 3, 3))",
                      outputs=stdout("0 0.667\n")),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1 + 1)", outputs=stdout("3\n")),  # stale golden output
        new_code_cell("# NBVAL_CHECK_OUTPUT\nimport torch\n"
                      "print(os.environ['OMP_NUM_THREADS'], os.environ['MBO_THREADS'], torch.get_num_threads())",
                      outputs=stdout("1 1 1\n")),  # explicit threads, not the parent's OMP_NUM_THREADS=7
        new_code_cell("print('unchecked output may change')", outputs=stdout("something else\n")),
    ])
    for i, cell in enumerate(nb.cells):
        cell.execution_count = i + 1
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, golden / "toy.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("MBO_RECORDS_DIR", "MBO_GOLDEN_THREADS")}
    env.update(OMP_NUM_THREADS="7", MBO_THREADS="7")  # what an earlier test or the caller might leave
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
                           "no:cacheprovider", "-q", str(golden)], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 4 passed" in proc.stdout, proc.stdout
    assert "toy.ipynb::Cell 2" in proc.stdout  # the cell with the stale output, and only that one


@pytest.mark.parametrize("threads", ["1", "2"])
def test_golden_pgs_notebook_is_identical_with_1_and_2_threads(threads):
    """Issue 17: PGS's scores changed with the kernel's torch thread count. The golden PGS+IGNITE notebook must
    reproduce its checked outputs with 1 and with 2 threads (MBO_GOLDEN_THREADS sets the kernel's count)."""
    env = {k: v for k, v in os.environ.items() if k != "MBO_RECORDS_DIR"}
    env["MBO_GOLDEN_THREADS"] = threads
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
                           "no:cacheprovider", "-q", str(GOLDEN / "pgs_ignite.ipynb")], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=1800)  # 469 s seen beside two workers
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
