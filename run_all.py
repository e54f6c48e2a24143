#!/usr/bin/env python
"""Execute every notebook headlessly with papermill, then write one report page.

Each notebook runs in its own ``python -m papermill`` subprocess (kernel ``python3`` of this environment), with
only the parameters it declares in its ``parameters`` cell (read with ``papermill.inspect_notebook``):
``profile`` always, ``seeds`` / ``tasks`` / ``device`` / ``data_dir`` / ``records_dir`` when given here, and any
``-p NAME VALUE``. Executed copies go to ``runs/<profile>/`` (same names as in ``notebooks/``), with a ``.log`` of
each notebook's output; failures do not stop the batch. At the end: a summary table (status, wall time, peak
memory of the notebook's process tree), ``summary.json``, and ``report.md`` / ``report.html`` collecting the
outputs of every cell tagged ``report`` (see ``mbo_lib/reporting/report.py``). The exit code is 1 when any
notebook failed, and the summary says which and why (the exception from the executed notebook).

Records: at the ``smoke`` profile the notebooks write to a fresh temporary record store (``MBO_RECORDS_DIR``),
deleted afterwards (``--keep-records`` keeps it), so smoke runs never use or touch committed records; with
``--update-golden`` each notebook gets its own empty store inside it, as nbval gives each golden copy
(``tests/golden/conftest.py``), so no golden output can depend on another notebook's smoke runs. At
``quick``/``paper`` the default store (``<repo>/records`` or your ``MBO_RECORDS_DIR``) is used, so finished runs
are loaded, not recomputed. ``--records-dir`` / ``--data-dir`` set ``MBO_RECORDS_DIR`` / ``MBO_DATA_DIR``; a
relative path there (or in those variables) is resolved against the current directory before kernels start.

Threads: each kernel applies the thread policy of ``mbo_lib/threads.py`` (1 torch thread for small models),
capped at cores / ``--jobs`` (``MBO_MAX_THREADS``); ``MBO_THREADS=N`` forces N. A notebook that cannot be read
is reported as failed (file and reason) and the others still run.

Examples:
    python run_all.py --profile smoke --jobs 2          # what CI runs (each kernel: <= cores/2 torch threads)
    python run_all.py --profile quick --only quickstart  # one notebook (glob or substring)
    python run_all.py --profile quick --seeds 0 1 --tasks TFBind8-Exact-v0
    python run_all.py --profile quick --only quickstart --seeds 0 1 --compute  # make run: fresh store, compare
    python run_all.py --profile quick --only quickstart --committed  # make report: committed records, no compute
    python run_all.py --profile quick --report-only      # rebuild runs/quick/report.md from executed notebooks
    python run_all.py --profile smoke --update-golden    # regenerate tests/golden/ after an intentional change
    python run_all.py --list                             # notebooks and the parameters they declare
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
NOTEBOOKS_DIR = ROOT / "notebooks"
GOLDEN_DIR = ROOT / "tests" / "golden"
COMMITTED_RECORDS = ROOT / "records"  # what --compute compares with and --committed renders
PROFILES = ("smoke", "quick", "paper")
DEFAULT_TIMEOUT = {"smoke": 900, "quick": 3 * 3600, "paper": 0}  # seconds per notebook; 0 = none
# CLI option -> notebook parameter name (notebooks use lower-case parameter names, see /notebooks conventions)
CLI_PARAMETERS = ("profile", "seeds", "tasks", "device", "data_dir", "records_dir")
# Cells whose outputs nbval compares (kept in golden copies; every other output is dropped there)
CHECK_MARKERS = ("NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION")
CHECK_TAGS = ("nbval-check-output", "nbval-raises-exception", "raises-exception")


# ----------------------------------------------------------------------------------------------- discovery
def discover(notebooks_dir: Path = NOTEBOOKS_DIR, only: list[str] | None = None,
             exclude: list[str] | None = None) -> list[Path]:
    """Every ``.ipynb`` under ``notebooks_dir`` (recursively, no checkpoints, no ``_``-prefixed names), sorted,
    filtered by ``only`` / ``exclude`` patterns (a glob or a substring of the relative path)."""
    found = sorted(p for p in Path(notebooks_dir).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts and not p.name.startswith(("_", ".")))
    rel = lambda p: p.relative_to(notebooks_dir).as_posix()  # noqa: E731
    if only:
        found = [p for p in found if any(matches(rel(p), pat) for pat in only)]
    if exclude:
        found = [p for p in found if not any(matches(rel(p), pat) for pat in exclude)]
    return found


def matches(relpath: str, pattern: str) -> bool:
    """``pattern`` as a glob on the relative path or the file name, or a substring of the relative path."""
    name = relpath.rsplit("/", 1)[-1]
    return (fnmatch.fnmatch(relpath, pattern) or fnmatch.fnmatch(name, pattern)
            or fnmatch.fnmatch(name, pattern + ".ipynb") or pattern in relpath)


def declared_parameters(notebook: Path) -> dict:
    """``{name: {"inferred_type_name", "default", "help"}}`` of the notebook's ``parameters`` cell."""
    import papermill as pm

    return dict(pm.inspect_notebook(str(notebook)))


def notebook_parameters(declared: dict, given: dict) -> dict:
    """The subset of ``given`` (parameter name -> value, None = not given) that the notebook declares.

    Matching is case-insensitive (``profile`` fills ``PROFILE`` too). A list given for a declared scalar
    of type ``int``/``str`` with exactly one element is passed as that element.
    """
    by_lower = {name.lower(): name for name in declared}
    out = {}
    for key, value in given.items():
        name = by_lower.get(key.lower())
        if name is None or value is None:
            continue
        kind = (declared[name].get("inferred_type_name") or "").lower()
        if isinstance(value, list) and kind in ("int", "str", "float") and len(value) == 1:
            value = value[0]
        out[name] = value
    return out


# ----------------------------------------------------------------------------------------------- running
@dataclass
class NotebookResult:
    """The outcome of one notebook."""

    notebook: str  # path relative to the notebooks folder
    output: str  # executed copy
    status: str = "pending"  # ok | failed | timeout
    seconds: float | None = None
    peak_mib: float | None = None  # peak RSS of papermill + kernel process tree
    error: str | None = None  # "ValueError: ..." for a failure
    parameters: dict | None = None
    log: str | None = None


def _tree_rss(proc) -> int:
    """Resident memory (bytes) of a psutil process and all its descendants (the papermill process + kernel)."""
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _kill_tree(pid: int) -> None:
    """SIGKILL the papermill process we started and its descendants (the kernel), by pid."""
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = parent.children(recursive=True) + [parent]
    except psutil.Error:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=10)


def error_from_output(path: Path) -> str | None:
    """``"<ename>: <evalue>"`` of the first error in an executed notebook (None if it has none or is absent)."""
    if not path.exists():
        return None
    try:
        import nbformat

        from mbo_lib.reporting.report import notebook_error

        return notebook_error(nbformat.read(path, as_version=4))
    except Exception as exc:  # an unreadable, half-written notebook must not crash the batch
        return f"(could not read {path.name}: {type(exc).__name__}: {exc})"


def _last_lines(path: Path, n: int = 3) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-n:])


def run_notebook(source: Path, output: Path, parameters: dict, env: dict, timeout: float = 0,
                 name: str | None = None, poll: float = 0.25) -> NotebookResult:
    """Execute ``source`` into ``output`` with papermill in a subprocess, watching time and memory.

    Args:
        source: the notebook; it runs with its own folder as working directory.
        output: where the executed copy goes (created; a ``.log`` with papermill's log goes beside it).
        parameters: papermill parameters (only names the notebook declares).
        env: the subprocess environment.
        timeout: wall-clock seconds before the notebook (papermill and its kernel) is killed; 0 = none.
    """
    import psutil

    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    log_path = output.with_suffix(".log")
    result = NotebookResult(notebook=name or source.name, output=str(output), parameters=parameters,
                            log=str(log_path))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(parameters, f)  # JSON is YAML: papermill's -f reads it with the right types
        params_file = f.name
    cmd = [sys.executable, "-m", "papermill", str(source), str(output), "-f", params_file, "-k", "python3",
           "--cwd", str(source.parent), "--no-progress-bar", "--log-output", "--log-level", "INFO"]
    start = time.perf_counter()
    peak = 0
    try:
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(source.parent))
            ps = psutil.Process(proc.pid)
            timed_out = False
            while proc.poll() is None:
                peak = max(peak, _tree_rss(ps))
                if timeout and time.perf_counter() - start > timeout:
                    _kill_tree(proc.pid)
                    timed_out = True
                    break
                time.sleep(poll)
            proc.wait()
    except BaseException:  # Ctrl-C: take the notebook's processes down with us
        if "proc" in locals() and proc.poll() is None:
            _kill_tree(proc.pid)
        raise
    finally:
        os.unlink(params_file)
    result.seconds = time.perf_counter() - start
    result.peak_mib = peak / 2**20 if peak else None
    if timed_out:
        result.status = "timeout"
        result.error = f"TimeoutError: killed after {timeout:.0f} s (--timeout)"
    elif proc.returncode == 0:
        result.status = "ok"
    else:
        result.status = "failed"
        result.error = (error_from_output(output)
                        or f"papermill exited with code {proc.returncode}: {_last_lines(log_path)}")
    return result


def child_env(records_dir: str | None, data_dir: str | None, jobs: int, base: dict | None = None,
              cwd: Path | None = None) -> dict:
    """The notebooks' environment: ``base`` (default ours), plus the repo on ``PYTHONPATH``, ``MBO_*`` folders as
    absolute paths, quiet progress bars and the thread cap of each of ``jobs`` kernels.

    Kernels run in their notebook's folder, so a relative ``MBO_DATA_DIR`` / ``MBO_RECORDS_DIR`` (given here or
    already in the environment) is resolved against ``cwd`` (default: the caller's working directory) first.
    Every kernel may use ``cores // jobs`` torch threads (``MBO_MAX_THREADS``, see ``mbo_lib/threads.py``).
    """
    from mbo_lib import threads

    env = dict(os.environ if base is None else base)
    cwd = Path.cwd() if cwd is None else Path(cwd)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("MBO_PROGRESS", "0")
    for var, given in (("MBO_RECORDS_DIR", records_dir), ("MBO_DATA_DIR", data_dir)):
        value = given or env.get(var)
        if value:
            env[var] = str((cwd / Path(value).expanduser()).resolve())
    return threads.child_env(env, threads.share(jobs))


def run_notebooks(jobs_spec: list[tuple[Path, Path, dict, str]], env: dict, jobs: int = 1, timeout: float = 0,
                  progress: bool = True, store_per_notebook: Path | None = None) -> list[NotebookResult]:
    """Run ``(source, output, parameters, name)`` items, ``jobs`` at a time; results in input order.

    ``store_per_notebook``: a folder; each notebook's kernel then gets its own empty record store in it
    (``MBO_RECORDS_DIR`` = that folder / the notebook's name), instead of ``env``'s one store shared by all.
    """
    from tqdm.auto import tqdm

    results: dict[int, NotebookResult] = {}
    running: set[str] = set()
    lock = threading.Lock()
    bar = tqdm(total=len(jobs_spec), desc="notebooks", unit="nb", disable=not progress, file=sys.stderr)

    def one(i, item):
        source, output, params, name = item
        with lock:
            running.add(name)
            bar.set_postfix_str(", ".join(sorted(running)))
        own_env = env
        if store_per_notebook is not None:
            store = Path(store_per_notebook) / name.replace("/", "__").removesuffix(".ipynb")
            store.mkdir(parents=True)  # new and empty: two notebooks never share one
            own_env = {**env, "MBO_RECORDS_DIR": str(store)}
        try:
            return i, run_notebook(source, output, params, own_env, timeout, name=name)
        finally:
            with lock:
                running.discard(name)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, i, item) for i, item in enumerate(jobs_spec)]
        try:
            for fut in as_completed(futures):
                i, res = fut.result()
                results[i] = res
                with lock:
                    bar.update(1)
                    bar.set_postfix_str(", ".join(sorted(running)))
                    if progress:
                        bar.write(f"{res.status:>7}  {res.notebook}  ({res.seconds:.1f} s)"
                                  + (f"  {res.error}" if res.error else ""))
        except KeyboardInterrupt:
            for fut in futures:
                fut.cancel()
            raise
    bar.close()
    return [results[i] for i in range(len(jobs_spec))]


# ----------------------------------------------------------------------------------------------- output
def summary_table(results: list[NotebookResult]) -> str:
    """A fixed-width table: notebook, status, wall time, peak memory, error."""
    rows = [("notebook", "status", "wall time", "peak memory", "error")]
    for r in results:
        rows.append((r.notebook, r.status, f"{r.seconds:.1f} s" if r.seconds is not None else "—",
                     f"{r.peak_mib:.0f} MiB" if r.peak_mib is not None else "—", r.error or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + ("  " + row[4] if row[4] else ""))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  -----")
    return "\n".join(lines)


def golden_outputs_only(nb) -> None:
    """Prepare an executed notebook as a golden copy, in place: keep the outputs of cells nbval compares
    (``# NBVAL_CHECK_OUTPUT`` / raises-exception cells; images dropped, nbval does not compare them), clear every
    other output, and drop papermill's timing metadata, so golden diffs show only real changes."""
    nb.metadata.pop("widgets", None)
    pm_meta = nb.metadata.get("papermill")
    if pm_meta is not None:
        nb.metadata["papermill"] = {"parameters": pm_meta.get("parameters", {})}
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        markers = {line.strip().lstrip("#").strip() for line in source.splitlines() if line.strip().startswith("#")}
        checked = bool(markers & set(CHECK_MARKERS)) or bool(set(cell.metadata.get("tags", [])) & set(CHECK_TAGS))
        if not checked:
            cell.outputs = []
            continue
        for out in cell.outputs:
            for mime in ("image/png", "image/jpeg", "image/svg+xml"):
                out.get("data", {}).pop(mime, None)


def update_golden(results: list[NotebookResult], notebooks_dir: Path, golden_dir: Path,
                  prune: bool) -> tuple[list[Path], list[Path]]:
    """Copy the successful executed notebooks to ``golden_dir`` (via :func:`golden_outputs_only`).

    With ``prune``, golden copies without a notebook in ``notebooks_dir`` are deleted. Failed notebooks keep their
    old golden copy. Returns ``(written, removed)``.
    """
    import nbformat

    written, removed = [], []
    for r in results:
        if r.status != "ok":
            continue
        nb = nbformat.read(r.output, as_version=4)
        golden_outputs_only(nb)
        dst = golden_dir / r.notebook
        dst.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dst)
        written.append(dst)
    if prune:
        sources = {p.relative_to(notebooks_dir).as_posix() for p in discover(notebooks_dir)}
        for g in discover(golden_dir):
            if g.relative_to(golden_dir).as_posix() not in sources:
                g.unlink()
                removed.append(g)
    return written, removed


# ----------------------------------------------------------------------------------------------- CLI
def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


# Notebook parameters that are booleans (``-p compute_missing no`` must mean False, not the truthy string "no")
BOOL_PARAMETERS = ("compute_missing", "paper_settings", "shekel")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def check_parameter(name: str, text: str):
    """The value of ``-p NAME TEXT``, parsed and checked where the parameter's form is known.

    Booleans (:data:`BOOL_PARAMETERS`, or any TEXT spelling a boolean) accept true/false, yes/no, 1/0 in any
    case; ``seeds`` must be a JSON list of integers; ``tasks`` a JSON list of task ids (or short names), which
    are resolved to full ids. Anything else is parsed as JSON, else kept as a string.

    Raises:
        InvalidInputError: the value does not have the parameter's form; the message names both and the
            accepted form.
    """
    from mbo_lib.errors import InvalidInputError, UnknownTaskError

    lowered = text.strip().lower()
    if name.lower() in BOOL_PARAMETERS or lowered in ("true", "false", "yes", "no"):
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InvalidInputError(f"-p {name} {text!r}: not a boolean; use true/false, yes/no or 1/0")
    value = _parse_value(text)
    if name.lower() == "seeds":
        if not isinstance(value, list) or not value or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
            raise InvalidInputError(f"-p seeds {text!r}: must be a JSON list of integers >= 0, e.g. '[0, 1]' "
                                    "(or use --seeds 0 1)")
    elif name.lower() == "tasks":
        if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
            raise InvalidInputError(f"-p tasks {text!r}: must be a JSON list of task ids, e.g. "
                                    "'[\"TFBind8-Exact-v0\"]' (or use --tasks TFBind8-Exact-v0)")
        try:
            value = resolve_tasks(value)
        except UnknownTaskError as exc:
            raise InvalidInputError(f"-p tasks {text!r}: {exc}") from None
    return value


def resolve_tasks(tasks: list[str]) -> list[str]:
    """Full task ids of ``tasks`` (ids or short names such as ``Ackley``).

    Raises:
        UnknownTaskError: a name that is not a registered task; the message lists the known tasks.
    """
    from mbo_lib.tasks.registry import resolve_task_id

    return [resolve_task_id(t) for t in tasks]


def write_summary(path: Path, results: list) -> None:
    """Write ``summary.json`` atomically (a temporary file in the same folder, then :func:`os.replace`): a full
    disk leaves the previous summary (or none), never a truncated one.

    Raises:
        OSError: the file cannot be written (the temporary file is removed).
    """
    text = json.dumps([asdict(r) for r in results], indent=1) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _timeout(text: str) -> float:
    """argparse type of ``--timeout``: seconds > 0, or 0 for no limit."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0 seconds (or 0 for no limit), got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_all.py", description=__doc__.split("\n\n")[0],
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=PROFILES, default="quick",
                   help="sizes of every method (smoke: seconds, CI; quick: CPU laptop; paper: official). Default quick")
    p.add_argument("--only", action="append", metavar="PATTERN",
                   help="run only notebooks matching PATTERN (glob or substring of the name); repeatable")
    p.add_argument("--exclude", action="append", metavar="PATTERN", help="skip notebooks matching PATTERN; repeatable")
    p.add_argument("--seeds", nargs="+", type=int, help="seeds (passed to notebooks declaring `seeds`)")
    p.add_argument("--tasks", nargs="+", help="task ids (passed to notebooks declaring `tasks`)")
    p.add_argument("--device", help="auto | cpu | cuda[:N] (passed to notebooks declaring `device`)")
    p.add_argument("--data-dir", help="design-bench data folder: sets MBO_DATA_DIR (and `data_dir` if declared)")
    p.add_argument("--records-dir", help="run-record store: sets MBO_RECORDS_DIR (and `records_dir` if declared); "
                                         "default: a temporary folder at smoke, the repo's records/ otherwise")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                   help="any other notebook parameter (VALUE parsed as JSON, else a string); passed where declared")
    p.add_argument("--output-dir", help="where executed notebooks, logs, summary and report go (default runs/<profile>/)")
    p.add_argument("--notebooks-dir", default=str(NOTEBOOKS_DIR), help="folder to discover notebooks in (default notebooks/)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="notebooks executed in parallel (default 1)")
    p.add_argument("--timeout", type=_timeout, help="seconds per notebook before it is killed; 0 = none "
                                                 f"(default by profile: {DEFAULT_TIMEOUT})")
    p.add_argument("--compute", nargs="?", const=2, type=int, metavar="WORKERS",
                   help="recompute the notebooks' runs into a fresh record store (--records-dir, default "
                        "runs/<profile>/records) in WORKERS processes (default 2), render the notebooks from it and "
                        "compare every run with the committed records bit for bit (what `make run` does)")
    p.add_argument("--committed", action="store_true",
                   help="render from the committed records (<repo>/records) without computing: "
                        "compute_missing=False where declared (what `make report` does)")
    p.add_argument("--keep-records", action="store_true", help="keep the temporary smoke record store (path printed)")
    p.add_argument("--no-report", action="store_true", help="do not write report.md/.html after the run")
    p.add_argument("--report-only", "--report", dest="report_only", action="store_true",
                   help="do not execute: rebuild the report from the executed notebooks in the output dir")
    p.add_argument("--update-golden", action="store_true",
                   help="(smoke only) copy the executed notebooks to tests/golden/ as nbval golden copies")
    p.add_argument("--golden-dir", default=str(GOLDEN_DIR), help=argparse.SUPPRESS)
    p.add_argument("--list", action="store_true", help="list the notebooks and their declared parameters, then exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        import papermill  # noqa: F401
        import psutil  # noqa: F401
    except ImportError as exc:
        print(f"run_all.py needs papermill and psutil ({exc}): pip install papermill psutil "
              "(or pip install -e '.[notebooks]')", file=sys.stderr)
        return 2
    notebooks_dir = Path(args.notebooks_dir).resolve()
    if args.update_golden and args.profile != "smoke":
        print("--update-golden needs --profile smoke (golden copies are smoke runs)", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"--jobs must be >= 1, got {args.jobs}", file=sys.stderr)
        return 2
    output_dir = Path(args.output_dir or ROOT / "runs" / args.profile).resolve()
    notebooks = discover(notebooks_dir, args.only, args.exclude)
    if not notebooks:
        print(f"no notebooks in {notebooks_dir} match --only {args.only} / --exclude {args.exclude}", file=sys.stderr)
        return 2
    rel = lambda p: p.relative_to(notebooks_dir).as_posix()  # noqa: E731

    if args.list:
        for nb in notebooks:
            try:
                declared = declared_parameters(nb)
            except Exception as exc:  # noqa: BLE001
                print(f"{rel(nb)}: could not read it: {type(exc).__name__}: {exc}")
                continue
            print(f"{rel(nb)}: " + (", ".join(f"{k}={v.get('default')}" for k, v in declared.items()) or "(no parameters)"))
        return 0

    if args.report_only:
        return _write_report(output_dir, [output_dir / rel(nb) for nb in notebooks], args.profile, None)

    if args.compute is not None and (args.compute < 1 or args.committed):
        print("--compute WORKERS needs WORKERS >= 1 and excludes --committed", file=sys.stderr)
        return 2
    given = {"profile": args.profile, "seeds": args.seeds, "tasks": args.tasks, "device": args.device,
             "data_dir": args.data_dir and str(Path(args.data_dir).resolve()),
             "records_dir": args.records_dir and str(Path(args.records_dir).resolve())}
    from mbo_lib.errors import MBOError

    try:  # checked up front: a bad value must not surface as a raw error inside some notebook
        if args.tasks:
            try:
                given["tasks"] = resolve_tasks(args.tasks)
            except MBOError as exc:
                raise type(exc)(f"--tasks {' '.join(args.tasks)}: {exc}") from None
        given.update({name: check_parameter(name, value) for name, value in args.parameter})
    except MBOError as exc:
        print(f"run_all.py: error: {exc}", file=sys.stderr)
        return 2
    if args.committed:
        given["compute_missing"] = False
    if args.committed or args.compute:  # the store reaches the notebooks as MBO_RECORDS_DIR
        args.records_dir = args.records_dir or str(COMMITTED_RECORDS if args.committed
                                                   else ROOT / "runs" / args.profile / "records")

    temp_records = None
    records_dir = args.records_dir
    if records_dir is None and args.profile == "smoke":
        temp_records = tempfile.mkdtemp(prefix="mbo-smoke-records-")
        records_dir = temp_records
    run_dir = Path(tempfile.mkdtemp(prefix="mbo-golden-run-")) if args.update_golden else output_dir
    env = child_env(records_dir, args.data_dir, args.jobs)
    timeout = DEFAULT_TIMEOUT[args.profile] if args.timeout is None else args.timeout

    items, unreadable = [], []
    for nb in notebooks:
        try:
            params = notebook_parameters(declared_parameters(nb), given)
        except Exception as exc:  # noqa: BLE001 - one broken notebook is reported, the others still run
            unreadable.append(NotebookResult(notebook=rel(nb), output=str(run_dir / rel(nb)), status="failed",
                                             error=f"could not read {nb}: {type(exc).__name__}: {exc}"))
            continue
        items.append((nb, run_dir / rel(nb), params, rel(nb)))
    unused = sorted(k for k in given if given[k] is not None and not any(
        k.lower() in {n.lower() for n in params} for _, _, params, _ in items))
    if unused:
        print(f"note: no selected notebook declares {', '.join(unused)}; not passed", file=sys.stderr)
    for r in unreadable:
        print(f"failed  {r.notebook}: {r.error}", file=sys.stderr)
    fresh = None
    if args.compute:
        from mbo_lib.errors import MBOError
        from mbo_lib.experiments.reproduce import FreshRun, declared_defaults

        try:
            fresh = FreshRun(args.records_dir, COMMITTED_RECORDS, workers=args.compute).begin(
                [(name, {**defaults, **params}, defaults) for nb, _, params, name in items
                 for defaults in [declared_defaults(declared_parameters(nb))]])
        except MBOError as exc:  # e.g. --records-dir holds records this job did not make
            print(f"--compute: {exc}", file=sys.stderr)
            return 2
    per_notebook = temp_records is not None and args.update_golden
    store_text = (f"a fresh store per notebook in {temp_records}" if per_notebook
                  else env.get('MBO_RECORDS_DIR', '(default store)'))
    print(f"{len(items)} notebook(s), profile {args.profile}, {args.jobs} job(s), torch threads per kernel <= "
          f"{env['MBO_MAX_THREADS']}, output: {run_dir}\n  records: {store_text}"
          f"\n  data: {env.get('MBO_DATA_DIR', '(default data folder)')}", file=sys.stderr)
    try:
        results = run_notebooks(items, env, jobs=args.jobs, timeout=timeout, progress=not args.no_progress,
                                store_per_notebook=Path(temp_records) if per_notebook else None)
        results = _in_discovery_order(results + unreadable, [rel(nb) for nb in notebooks])
    finally:
        if temp_records and not args.keep_records:
            shutil.rmtree(temp_records, ignore_errors=True)
        elif temp_records:
            print(f"smoke records kept in {temp_records}", file=sys.stderr)

    print("\n" + summary_table(results))
    try:
        write_summary(run_dir / "summary.json", results)
    except OSError as exc:
        print(f"run_all.py: error: cannot write {run_dir / 'summary.json'}: {exc.strerror or exc} "
              "(disk full or not writable?); the executed notebooks are in " f"{run_dir}", file=sys.stderr)
        return 2
    failed = [r for r in results if r.status != "ok"]

    if args.update_golden:
        golden_dir = Path(args.golden_dir).resolve()
        written, removed = update_golden(results, notebooks_dir, golden_dir, prune=not (args.only or args.exclude))
        for path in written:
            print(f"golden: wrote {path.relative_to(golden_dir.parent.parent) if ROOT in path.parents else path}")
        for path in removed:
            print(f"golden: removed {path} (its notebook is gone)")
        shutil.rmtree(run_dir, ignore_errors=True)
    elif not args.no_report:
        _write_report(output_dir, [Path(r.output) for r in results], args.profile, results)

    if failed:
        print(f"\n{len(failed)} of {len(results)} notebook(s) failed:", file=sys.stderr)
        for r in failed:
            print(f"  {r.notebook}: {r.error}  (log: {r.log})", file=sys.stderr)
    else:
        print(f"\nall {len(results)} notebook(s) ran" + ("" if args.update_golden else f"; executed copies in {output_dir}"))
    runs_failed = fresh.finish() if fresh is not None else 0  # the comparison line comes last
    return 1 if failed or runs_failed else 0


def _in_discovery_order(results: list[NotebookResult], names: list[str]) -> list[NotebookResult]:
    order = {name: i for i, name in enumerate(names)}
    return sorted(results, key=lambda r: order.get(r.notebook, len(order)))


def _write_report(output_dir: Path, executed: list[Path], profile: str, results: list[NotebookResult] | None) -> int:
    from mbo_lib.reporting.report import write_report

    summary = None
    if results is None and (output_dir / "summary.json").exists():
        by_name = {r["output"]: r for r in json.loads((output_dir / "summary.json").read_text())}
        summary = [by_name[str(p)] for p in executed if str(p) in by_name] or None
    elif results is not None:
        summary = [asdict(r) for r in results]
    present = [p for p in executed if p.exists()]
    if not present:
        print(f"no executed notebooks in {output_dir}; run without --report-only first", file=sys.stderr)
        return 2
    path = write_report(present, output_dir / "report.md", title=f"Reproduction report ({profile} profile)",
                        summary=summary)
    print(f"report: {path}" + (f" and {path.with_suffix('.html').name}" if path.with_suffix(".html").exists() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
