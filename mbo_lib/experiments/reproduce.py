"""Recompute a notebook's runs into a fresh record store and compare them with the committed records.

This is what ``make run`` (``python run_all.py --compute``) does around the notebooks it executes:

1. :meth:`FreshRun.begin` empties the fresh store (only one this module made: it carries a
   :data:`MARKER` file), says in one line what it computes, where, how many runs and the expected time, and
   computes the runs of the notebooks it knows (:data:`NOTEBOOK_METHODS`) in worker processes with one torch
   thread each (the committed records were made with one thread), before the notebooks render them.
2. The notebooks run against the fresh store (``MBO_RECORDS_DIR``), so they show the numbers just computed;
   :func:`describe_store` is the line they print about where their records come from.
3. :meth:`FreshRun.finish` compares every record of the fresh store with the committed record at the same path
   (:func:`compare_stores`): every stored score (``result``, ``curve``, sharpness on the candidates) must be
   bit-identical (the sharpness across CPU kernel paths within a float32 tolerance, said in the line:
   :func:`~mbo_lib.experiments.verify.score_differences`). A committed record that
   :func:`~mbo_lib.experiments.store.check_record` rejects is reported as stale (its configuration is not what
   the code runs now), one that is absent as missing. Differences are reported, not fatal; a run that failed is.

Example:
    >>> fresh = FreshRun("runs/quick/records", "records", workers=2)  # doctest: +SKIP
    >>> fresh.begin([("00_quickstart.ipynb", {"profile": "quick", "seeds": [0, 1], "tasks": ["TFBind8"]})])
    ... # doctest: +SKIP
    >>> fresh.finish()  # doctest: +SKIP
    0
"""
from __future__ import annotations

import ast
import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..errors import CorruptRecordError, InvalidInputError, MBOError
from .spec import RunSpec
from .store import RecordStore, check_record, read_record
from .verify import SHARPNESS_RTOL, difference_reason, kernel_path_note, score_differences

MARKER = ".mbo-fresh-store"  # a JSON file in the root of a store made by FreshRun (no .json suffix: not a record)
# The methods each notebook runs (its tasks and seeds are its parameters), so its runs can be computed in worker
# processes before it renders them. A notebook not listed here computes its runs itself, into the same store.
NOTEBOOK_METHODS = {"00_quickstart": ("GA",)}
STATUSES = ("identical", "differs", "stale", "missing", "failed")


# ------------------------------------------------------------------------------------------ the fresh store
def start_fresh_store(root: str | Path, by: str = "run_all.py --compute") -> RecordStore:
    """Create (or empty) the record store ``root`` and mark it as freshly computed.

    Args:
        root: the folder. An existing, non-empty folder is emptied only if it carries :data:`MARKER` (a store
            this function made); any other content raises :class:`InvalidInputError`, so committed or hand-made
            records are never deleted.
        by: what computes into it (stored in the marker, shown by :func:`describe_store`).
    """
    root = Path(root).expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise InvalidInputError(f"{root} is not empty and is not a fresh store made by run_all.py --compute "
                                    f"(no {MARKER} file): choose an empty or new folder")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    (root / MARKER).write_text(json.dumps({"created": stamp, "by": by}) + "\n")
    return RecordStore(root)


def describe_store(root: str | Path, committed: str | Path | None = None) -> str:
    """Where the records of ``root`` come from, in words: computed now (a fresh store), the committed records,
    or another store.

    Args:
        root: the record store folder.
        committed: the committed records' folder (default ``<repo>/records``).
    """
    from ..config import REPO_ROOT

    root = Path(root).expanduser().resolve()
    committed = Path(committed or REPO_ROOT / "records").expanduser().resolve()
    marker = root / MARKER
    if marker.is_file():
        try:
            info = json.loads(marker.read_text())
        except (OSError, json.JSONDecodeError):
            info = {}
        return (f"computed now: a fresh store made by {info.get('by', '?')} at {info.get('created', '?')} "
                f"(committed records not used)")
    if root == committed:
        return "loaded from committed records (missing or stale runs are computed into it unless told not to)"
    return "a record store of your own (MBO_RECORDS_DIR): records found there are loaded, missing ones computed"


# ------------------------------------------------------------------------------------------ planning
def declared_defaults(declared: dict) -> dict:
    """``{name: value}`` of a notebook's ``parameters`` cell from ``papermill.inspect_notebook``'s answer
    (defaults are source text: literals are evaluated, anything else is skipped)."""
    out = {}
    for name, info in declared.items():
        try:
            out[name] = ast.literal_eval(str(info.get("default")))
        except (ValueError, SyntaxError):
            continue
    return out


def notebook_specs(name: str, parameters: dict) -> list[RunSpec]:
    """The runs notebook ``name`` (file name or relative path; ``.ipynb`` optional) makes with ``parameters``
    (its declared defaults updated with what it is given): the runnable ``tasks`` x its methods
    (:data:`NOTEBOOK_METHODS`) x ``seeds`` at ``profile``, as the notebook builds them. Empty for a notebook not
    listed."""
    from ..reporting.availability import split_available
    from ..reporting.notebook import seeds_for
    from .runner import grid

    stem = Path(name).name.removesuffix(".ipynb")
    methods = NOTEBOOK_METHODS.get(stem)
    if not methods:
        return []
    missing = [k for k in ("profile", "seeds", "tasks") if k not in parameters]
    if missing:
        raise InvalidInputError(f"notebook {name}: parameter(s) {missing} not declared or given")
    profile = parameters["profile"]
    runnable, _ = split_available(parameters["tasks"])
    return grid(runnable, methods, seeds_for(profile, parameters["seeds"]), profile)


def expected_seconds(specs: Sequence[RunSpec], committed: RecordStore, workers: int) -> float | None:
    """Wall time the committed records of ``specs`` took (their ``timings.total_seconds``, stale or not), divided
    over ``workers``; ``None`` when any of them has no committed record with a timing."""
    total = 0.0
    for spec in specs:
        try:
            total += float(read_record(committed.path(spec))["timings"]["total_seconds"])
        except (OSError, CorruptRecordError, KeyError, TypeError, ValueError):
            return None
    return total / max(1, min(workers, len(specs) or 1))


def compute(specs: Sequence[RunSpec], store: RecordStore, workers: int = 2, device: str = "cpu"):
    """Compute ``specs`` into ``store``: ``workers`` local processes (one is this process), one torch thread each.

    Returns the :class:`~mbo_lib.experiments.executors.SweepResult` (failures are in ``.failed``, not raised).
    """
    import os

    from .. import threads
    from .executors import run_specs

    if workers > 1:
        return run_specs(specs, store, executor="local", workers=workers, device=device, torch_threads=1,
                         raise_on_error=False, progress=False)
    before = os.environ.get(threads.ENV_THREADS)
    os.environ[threads.ENV_THREADS] = "1"  # the runner's thread policy reads it (a set_num_threads would be undone)
    try:
        return run_specs(specs, store, executor="serial", device=device, raise_on_error=False, progress=False)
    finally:
        if before is None:
            os.environ.pop(threads.ENV_THREADS, None)
        else:
            os.environ[threads.ENV_THREADS] = before


# ------------------------------------------------------------------------------------------ comparing
@dataclass
class Comparison:
    """One fresh run against its committed record.

    Attributes:
        relpath: ``<profile>/<method>/<task>/seed<k>-<key>.json`` in both stores.
        status: ``identical`` | ``differs`` | ``stale`` (the committed record is not valid for the code now) |
            ``missing`` (no committed record) | ``failed`` (no fresh record: the run failed).
        detail: why, in words (the differing fields, the stale reason, the error).
        max_delta: the largest ``|fresh - committed|`` over differing scores (``nan``: values of another kind).
        why: for ``differs``: the kernel paths when they are not the same or the committed one is unknown
            (:func:`~mbo_lib.experiments.verify.difference_reason`), ``""`` on the same kernel path (a change
            of behaviour).
        percentiles_equal: for ``differs``: whether the 100th and 50th percentiles still match exactly.
    """

    relpath: str
    status: str
    detail: str = ""
    max_delta: float | None = None
    why: str = ""
    percentiles_equal: bool | None = None


def compare_record(fresh: dict, committed_path: Path, spec: RunSpec) -> Comparison:
    """Compare one fresh record with the committed file at ``committed_path`` (see :class:`Comparison`)."""
    rel = spec.relpath
    if not committed_path.is_file():
        return Comparison(rel, "missing", "no committed record")
    try:
        committed = read_record(committed_path)
    except CorruptRecordError as exc:
        return Comparison(rel, "stale", f"unreadable: {exc}")
    reason = check_record(committed, spec)
    if reason is not None:
        return Comparison(rel, "stale", reason)
    diffs = score_differences(committed, fresh)
    if not diffs:
        return Comparison(rel, "identical", kernel_path_note(committed, fresh))
    deltas = [d for _, d in diffs if not math.isnan(d)]
    fields = ", ".join(name for name, _ in diffs[:4]) + (f" and {len(diffs) - 4} more" if len(diffs) > 4 else "")
    why = difference_reason(committed, fresh)
    same_pct = all(committed.get("result", {}).get(k) == fresh.get("result", {}).get(k)
                   for k in ("norm_p100", "norm_p50"))
    detail = (f"{fields}; 100th and 50th pct. {'equal' if same_pct else 'differ'}; "
              f"{why or 'same kernel path: a change of behaviour'}")
    return Comparison(rel, "differs", detail, max(deltas) if deltas else math.nan, why, same_pct)


def compare_stores(fresh: RecordStore, committed: RecordStore, failed: dict[str, str] | None = None,
                   specs: Iterable[RunSpec] = ()) -> list[Comparison]:
    """Every record of ``fresh`` against ``committed``, sorted by path; plus a ``failed`` entry for each spec of
    ``specs`` whose key is in ``failed`` (``{key: error}``) or that has no fresh record."""
    out = []
    for path in sorted(fresh.root.rglob("*.json")):
        rel = path.relative_to(fresh.root).as_posix()
        try:
            record = read_record(path)
            spec = RunSpec.from_dict(record["spec"])
        except (CorruptRecordError, MBOError) as exc:
            out.append(Comparison(rel, "failed", f"fresh record unusable: {exc}"))
            continue
        out.append(compare_record(record, committed.root / rel, spec))
    failed = failed or {}
    seen = {c.relpath for c in out}
    for spec in specs:
        if spec.relpath not in seen:
            out.append(Comparison(spec.relpath, "failed", failed.get(spec.key, "no fresh record")))
    return sorted(out, key=lambda c: c.relpath)


def summary_line(comparisons: Sequence[Comparison], committed_root: str | Path) -> str:
    """The one line that ends ``make run``: counts per status, the largest difference, what is not fatal."""
    n = {s: sum(c.status == s for c in comparisons) for s in STATUSES}
    deltas = [c.max_delta for c in comparisons if c.status == "differs" and c.max_delta is not None]
    finite = [d for d in deltas if not math.isnan(d)]
    size = f" (max |delta| {max(finite):.3g})" if finite else (" (values of another kind)" if deltas else "")
    within = sum(c.status == "identical" and bool(c.detail) for c in comparisons)
    within = (f"; {within} of them with the sharpness within {SHARPNESS_RTOL:g} relative across CPU kernel paths"
              if within else "")
    differs = [c for c in comparisons if c.status == "differs"]
    why = ""
    if differs:
        other = [c for c in differs if c.why]
        why = (f": {len(other)} made on another or an unknown kernel path (not a change of the code; 100th and 50th "
               f"pct. equal in {sum(bool(c.percentiles_equal) for c in other)}), {len(differs) - len(other)} on the "
               f"same kernel path (a change of behaviour)")
    return (f"compared with the committed records in {committed_root}: {n['identical']} of {len(comparisons)} "
            f"runs bit-identical (result, curve, sharpness on candidates{within}); {n['differs']} differ{size}{why}; "
            f"committed record stale: {n['stale']}, missing: {n['missing']}; failed runs: {n['failed']}. "
            f"Differences, stale and missing records are reported, not fatal; a failed run is.")


def detail_lines(comparisons: Sequence[Comparison]) -> list[str]:
    """One line per run that is not identical, or identical with a note (the sharpness across kernel paths)."""
    lines = []
    for c in comparisons:
        if c.status == "identical" and not c.detail:
            continue
        size = f" max |delta| {c.max_delta:.3g};" if c.status == "differs" and c.max_delta is not None else ""
        lines.append(f"  {c.status:>8}  {c.relpath}:{size} {c.detail}")
    return lines


# ------------------------------------------------------------------------------------------ the whole job
class FreshRun:
    """``run_all.py --compute``: a fresh store, the notebooks' runs computed first, a comparison last.

    Args:
        root: the fresh store's folder (emptied by :meth:`begin` if it is a fresh store already).
        committed: the committed records' folder (only read).
        workers: processes computing the runs (1: this process).
        out: where lines go.
    """

    def __init__(self, root: str | Path, committed: str | Path, workers: int = 2,
                 out: Callable[[str], object] = print):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidInputError(f"workers must be a positive int, got {workers!r}")
        self.root = Path(root).expanduser().resolve()
        self.committed = RecordStore(committed)
        self.workers = workers
        self.out = out
        self.specs: list[RunSpec] = []
        self.failed: dict[str, str] = {}
        self.store: RecordStore | None = None

    def begin(self, notebooks: Sequence[tuple]) -> "FreshRun":
        """Empty the store, announce the job in one line and compute the runs of ``notebooks``: ``(name,
        parameters)`` or ``(name, parameters, defaults)`` each, parameters including the declared defaults; with
        ``defaults``, the line says which seeds or tasks were narrowed from the notebook's own."""
        self.store = start_fresh_store(self.root)
        narrowed = []
        for name, parameters, *defaults in notebooks:
            self.specs += [s for s in notebook_specs(name, parameters) if s not in self.specs]
            for key in ("seeds", "tasks"):
                default = defaults[0].get(key) if defaults else None
                if default is not None and parameters.get(key) != default:
                    narrowed.append(f"{key} {_join(parameters.get(key))} instead of the notebook's {_join(default)}")
        names = ", ".join(Path(n[0]).name.removesuffix(".ipynb") for n in notebooks)
        expected = expected_seconds(self.specs, self.committed, self.workers)
        what = (f"{len(self.specs)} runs ({_describe_specs(self.specs)}) in {self.workers} worker process(es), "
                f"1 torch thread each, expected ~{_minutes(expected)} (the committed records' run times / "
                f"{self.workers})" if self.specs else "the runs the notebooks make themselves")
        what += f" ({'; '.join(narrowed)})" if narrowed else ""
        self.out(f"computing {what} for {names} into the fresh store {self.root}, then rendering the "
                 f"notebooks from it and comparing with the committed records in {self.committed.root}")
        if self.specs:
            start = time.perf_counter()
            result = compute(self.specs, self.store, self.workers)
            self.failed = dict(result.failed)
            self.out(f"computed {len(result.computed)} runs in {time.perf_counter() - start:.0f} s"
                     + (f"; {len(self.failed)} failed" if self.failed else ""))
        return self

    def finish(self) -> int:
        """Compare the fresh store with the committed records, print the details and the summary line last.
        Returns the number of failed runs."""
        if self.store is None:
            raise InvalidInputError("FreshRun.finish() before begin()")
        comparisons = compare_stores(self.store, self.committed, self.failed, self.specs)
        for line in detail_lines(comparisons):
            self.out(line)
        self.out(summary_line(comparisons, self.committed.root))
        return sum(c.status == "failed" for c in comparisons)


def _describe_specs(specs: Sequence[RunSpec]) -> str:
    methods = sorted({s.method for s in specs})
    tasks = sorted({s.task for s in specs}, key=[s.task for s in specs].index)
    seeds = sorted({s.seed for s in specs})
    profiles = sorted({s.profile for s in specs})
    return (f"{'/'.join(methods)} on {', '.join(tasks)}, seeds {', '.join(map(str, seeds))}, "
            f"{'/'.join(profiles)} profile")


def _join(values) -> str:
    return ", ".join(map(str, values)) if isinstance(values, (list, tuple)) else str(values)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "? (no committed timings)"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
