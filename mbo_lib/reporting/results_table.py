"""``mbo table``: design-baselines' ``make-table`` from the record store, with n, intervals and published values.

One row per method, one column group per task. A cell is every stored, reusable record of that (method, task)
at the chosen profile, settings and regularizer (:func:`select_records`); nothing is ever computed here.

A cell shows (statistics from :mod:`mbo_lib.stats`, :func:`mbo_lib.stats.cell_stats`):

- ``mean ± std``: the mean over seeds and the population std (``ddof=0``, design-baselines' column);
- ``95% CI``: the interval on the mean (t-interval for 2 <= n < 10, seeded BCa bootstrap from 10, none for n = 1);
- ``n``: the number of seeds (runs) in the cell;
- one column per published source (design-bench README, ROOT, Offline-RaM; ``mean ± std`` over their 8 trials,
  from ``mbo_lib/reference/published_scores.csv``), ``"—"`` where the source has no value.

Missing is never zero: a cell without records shows ``"—"`` (and ``n`` 0). A reference row ``D(best)`` gives the
best normalized score already in each task's offline data (read from the task's data; ``"—"`` with a note when the
data are not here) beside the published D(best) rows. Records that the current code would not reuse (stale: a
changed method version or configuration; see :func:`mbo_lib.experiments.store.check_record`) are left out and
counted in a note, so a table never mixes what the code runs now with what it ran before.

Which records form a cell (:func:`select_records`):
    the profile; regularizer none, or the named one at its default parameters (the sensitivity sweeps' other
    values are left out); default task arguments; overrides: none at ``smoke`` / ``quick``, at ``paper`` exactly
    the named settings' overrides (:mod:`mbo_lib.methods.settings`: ``baselines`` by default, ``ignite``,
    ``diagnostic``). Runs with other overrides (ablations, e.g. MATCH-OPT's ``alpha = 0``) never enter.

Example:
    >>> table = results_table(profile="quick", methods=["GA", "COMs"], tasks=["TFBind8"])  # doctest: +SKIP
    >>> print(render(table, "md"))  # doctest: +SKIP
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .. import stats
from ..errors import CorruptRecordError, InvalidInputError, MissingDataError

PERCENTILES = (100, 80, 50)
FORMATS = ("md", "csv", "latex")
SOURCES = ("design-bench", "ROOT", "Offline-RaM")
REGULARIZERS = ("none", "ignite", "ignite2")
DBEST = "D(best)"
MISSING = "—"
CELL_COLUMNS = ("mean ± std", "95% CI", "n")
DIGITS = 3


# ------------------------------------------------------------------------------------------ selecting records
@dataclass
class Selection:
    """The records of a table, and what was left out.

    Attributes:
        records: the reusable records that match (record dicts, as stored).
        stale: ``(path inside the store, reason)`` per matching record the current code would not reuse.
        unreadable: the error message per file that is not a well-formed record.
    """

    records: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)


def target_overrides(method: str, profile: str, settings: str | None) -> dict:
    """The (normalized) overrides a record of ``method`` must have to enter a table at ``profile`` / ``settings``:
    ``{}`` at ``smoke`` / ``quick``; at ``paper`` those of the named settings (default ``baselines``)."""
    from ..experiments.spec import plain
    from ..methods import get_method
    from ..methods.settings import settings_overrides

    if profile != "paper":
        return {}
    m = get_method(method)
    return plain(m.normalize_overrides("paper", settings_overrides(settings or "baselines", m.name)))


def _folders(root: Path, profile: str, regularizer: str, methods: Sequence[str] | None,
             tasks: Sequence[str] | None) -> list[Path]:
    """The store's ``<profile>/<method>[+reg]/<task>`` folders that can hold the table's records."""
    suffix = "" if regularizer in ("", "none") else f"+{regularizer}"
    base = root / profile
    if methods is None:
        method_dirs = sorted(p for p in base.glob("*") if p.is_dir() and "+" not in p.name) if not suffix else \
            sorted(p for p in base.glob(f"*{suffix}") if p.is_dir() and p.name.endswith(suffix))
    else:
        method_dirs = [base / f"{m}{suffix}" for m in methods]
    out = []
    for d in method_dirs:
        task_dirs = sorted(p for p in d.glob("*") if p.is_dir()) if tasks is None else [d / t for t in tasks]
        out += [t for t in task_dirs if t.is_dir()]
    return out


def select_records(store=None, *, profile: str, settings: str | None = None, regularizer: str = "",
                   methods: Sequence[str] | None = None, tasks: Sequence[str] | None = None) -> Selection:
    """The stored records of one table (see the module docstring for the rule); reads only, never computes.

    Args:
        store: a :class:`~mbo_lib.experiments.RecordStore` or a folder (default: ``MBO_RECORDS_DIR`` or
            ``<repo>/records``).
        profile: ``smoke`` | ``quick`` | ``paper``.
        settings: at ``paper`` only: ``baselines`` (default) | ``ignite`` | ``diagnostic``.
        regularizer: ``""`` / ``"none"``, ``"ignite"`` or ``"ignite2"`` (at its default parameters).
        methods: method names (canonical, as :func:`mbo_lib.methods.get_method` gives); None: every method found.
        tasks: task ids; None: every task found.

    Raises:
        InvalidInputError: ``settings`` given for a profile other than ``paper``, or an unknown name.
    """
    from ..experiments import RecordStore
    from ..experiments.spec import RunSpec, plain, same_value
    from ..experiments.store import diagnose_record, read_record
    from ..methods.settings import SETTINGS

    if settings is not None and profile != "paper":
        raise InvalidInputError(f"settings {settings!r} are named settings of the paper profile; "
                                f"profile {profile!r} has none (leave settings out)")
    if settings is not None and settings not in SETTINGS:
        raise InvalidInputError(f"unknown settings {settings!r}; use one of {sorted(SETTINGS)}")
    reg = "" if regularizer in ("", "none", None) else regularizer
    want_reg = {"name": reg} if reg else {}
    store = store if isinstance(store, RecordStore) else RecordStore(store)
    out = Selection()
    wanted: dict[str, dict] = {}
    for folder in _folders(store.root, profile, reg, methods, tasks):
        for path in sorted(folder.glob("seed*.json")):
            rel = path.relative_to(store.root).as_posix()
            try:
                record = read_record(path)
                spec = RunSpec.from_dict(record["spec"])
            except (CorruptRecordError, InvalidInputError) as exc:
                out.unreadable.append(str(exc))
                continue
            if spec.profile != profile or spec.task_kwargs or not same_value(spec.regularizer, want_reg):
                continue
            if spec.method not in wanted:
                wanted[spec.method] = target_overrides(spec.method, profile, settings)
            if not same_value(plain(spec.overrides), wanted[spec.method]):
                continue
            kind, reason = diagnose_record(record, spec)
            if kind is None:
                out.records.append(record)
            else:
                out.stale.append((rel, reason))
    return out


# ------------------------------------------------------------------------------------------ the table
@dataclass
class ResultsTable:
    """The numbers of one ``mbo table`` and how to caption them (rendered by :func:`render`).

    Attributes:
        methods: row order (method names). tasks: column groups (short task names).
        cells: ``{(method, task): CellStats}`` for every row x column (n = 0 where no record).
        published: ``{(method or "D(best)", task, source): (mean, std)}`` where the source has a value.
        sources: the published sources shown (those that give this percentile).
        dataset_best: ``{task: D(best)}`` (None where the data are not here); empty when not asked for.
        percentile, profile, settings, regularizer: what was selected.
        notes: caption lines (protocol, what was left out and why).
    """

    methods: list
    tasks: list
    cells: dict
    published: dict
    sources: tuple
    dataset_best: dict
    percentile: int
    profile: str
    settings: str | None
    regularizer: str
    notes: list


def dataset_best(task_ids: Sequence[str]) -> tuple[dict, list[str]]:
    """``({short name: D(best) or None}, notes)``: the best normalized score in each task's offline data (read
    from the data, no oracle call); None and a note naming the reason where the data are not here."""
    from ..experiments.runner import load_task
    from ..tasks import SHORT_NAMES

    values, notes = {}, []
    for tid in task_ids:
        short = SHORT_NAMES.get(tid, tid)
        try:
            task = load_task(tid)
            values[short] = float(task.normalize_score(task.y.max()))
        except MissingDataError:
            values[short] = None
            notes.append(f"D(best) of {short} not shown: its data files are not under MBO_DATA_DIR "
                         f"(see the README, section Data).")
        except Exception as exc:  # noqa: BLE001 - a task that cannot be built becomes a note, the table goes on
            values[short] = None
            notes.append(f"D(best) of {short} not shown: the task cannot be built here "
                         f"({type(exc).__name__}: {str(exc)[:200]}).")
    return values, notes


def _order(found: Sequence[str], registry: Sequence[str]) -> list[str]:
    known = [x for x in registry if x in found]
    return known + sorted(x for x in found if x not in known)


def _caption(t: "ResultsTable", n_stale: int, stale_reasons: list[str], unreadable: int) -> list[str]:
    setting = f"profile {t.profile}" + (f", settings {t.settings or 'baselines'}" if t.profile == "paper" else "")
    reg = t.regularizer or "none"
    notes = [
        f"Normalized score at the {t.percentile}th percentile of each run's 128 candidates (min-max with "
        f"design-bench's full-dataset bounds, mbo_lib/reference/normalization_bounds.json); {setting}; "
        f"regularizer {reg}; from stored records only.",
        "mean ± std: mean and population std (ddof=0, design-baselines' column) over n seeds; 95% CI: of the mean "
        "(t-interval for n < 10, seeded BCa bootstrap from 10, none for n = 1); —: no record (missing, not zero).",
    ]
    if t.sources:
        notes.append("Published: mean ± std over 8 trials, from mbo_lib/reference/published_scores.csv ("
                     + "; ".join(SOURCE_NAMES[s] for s in t.sources) + "); —: the source gives none."
                     + (f" They are of the methods without a regularizer (no source runs them with {reg})."
                        if t.regularizer else ""))
    else:
        notes.append(f"No published source gives the {t.percentile}th percentile.")
    if t.dataset_best:
        notes.append("D(best): the best normalized score in the task's offline data (ours, read from the data), "
                     "beside the published D(best).")
    if n_stale:
        notes.append(f"Left out: {n_stale} stale record(s) the current code would recompute "
                     f"(e.g. {stale_reasons[0]}); mbo run recomputes them.")
    if unreadable:
        notes.append(f"Skipped: {unreadable} unreadable record file(s).")
    return notes


SOURCE_NAMES = {"design-bench": "design-bench README", "ROOT": "ROOT, NeurIPS 2025, Table 1",
                "Offline-RaM": "Offline-RaM, ICLR 2025, Tables 2 and 7"}


def results_table(store=None, *, profile: str, methods: Sequence[str] | None = None,
                  tasks: Sequence[str] | None = None, settings: str | None = None, regularizer: str = "",
                  percentile: int = 100, sources: Sequence[str] = SOURCES,
                  with_dataset_best: bool = True) -> ResultsTable:
    """Build one table from the record store (see the module docstring).

    Args:
        store: a :class:`~mbo_lib.experiments.RecordStore` or a folder (default: ``MBO_RECORDS_DIR`` or
            ``<repo>/records``).
        profile, settings, regularizer: which records (:func:`select_records`).
        methods: method names, any case (None: every method with a matching record, in registry order).
        tasks: task ids or short names (None: every task with a matching record, in registry order).
        percentile: 100, 80 or 50.
        sources: published sources to show (only those that give ``percentile`` are kept).
        with_dataset_best: add the ``D(best)`` reference row (reads each task's data).

    Raises:
        InvalidInputError: an unknown method, task, percentile, regularizer or settings (the message names it).
    """
    from ..methods import get_method, method_names
    from ..reference import published_scores
    from ..tasks import SHORT_NAMES, resolve_task_id, task_ids

    if percentile not in PERCENTILES:
        raise InvalidInputError(f"percentile must be one of {PERCENTILES}, got {percentile!r}")
    reg = "" if regularizer in ("", "none", None) else regularizer
    if reg and reg not in REGULARIZERS:
        raise InvalidInputError(f"unknown regularizer {regularizer!r}; use one of {REGULARIZERS}")
    method_list = None if methods is None else list(dict.fromkeys(get_method(m).name for m in methods))
    task_list = None if tasks is None else list(dict.fromkeys(resolve_task_id(t) for t in tasks))
    sel = select_records(store, profile=profile, settings=settings, regularizer=reg, methods=method_list,
                         tasks=task_list)
    from ..experiments.record import records_frame

    frame = records_frame(sel.records)
    value = f"norm_p{percentile}"
    if method_list is None:
        method_list = _order(set(frame["method"]) if len(frame) else set(), method_names())
    if task_list is None:
        task_list = _order(set(frame["task"]) if len(frame) else set(), task_ids())
    cells = {}
    for m in method_list:
        for tid in task_list:
            values = frame[(frame.method == m) & (frame.task == tid)][value] if len(frame) else []
            cells[(m, SHORT_NAMES.get(tid, tid))] = stats.cell_stats(values)
    shorts = [SHORT_NAMES.get(t, t) for t in task_list]
    shown = tuple(s for s in sources if not published_scores(task=None, percentile=percentile, source=s).empty)
    published = {}
    for row in method_list + ([DBEST] if with_dataset_best else []):
        for short in shorts:
            for src in shown:
                pub = published_scores(row, short, percentile, src)
                if not pub.empty:
                    published[(row, short, src)] = (float(pub["mean"].iloc[0]), float(pub["std"].iloc[0]))
    best, best_notes = dataset_best(task_list) if with_dataset_best else ({}, [])
    table = ResultsTable(method_list, shorts, cells, published, shown, best, percentile, profile,
                         settings, reg, [])
    table.notes = _caption(table, len(sel.stale), [r for _, r in sel.stale], len(sel.unreadable)) + best_notes
    return table


# ------------------------------------------------------------------------------------------ rendering
def row_label(table: ResultsTable, method: str) -> str:
    """A row's name: the method, with ``+<regularizer>`` when the table is of regularized runs."""
    return f"{method}+{table.regularizer}" if table.regularizer else method


def _pub_text(table: ResultsTable, row: str, task: str, src: str) -> str:
    got = table.published.get((row, task, src))
    if got is None:
        return MISSING
    return stats.fmt_pm(got[0], None if math.isnan(got[1]) else got[1], DIGITS)


def display_rows(table: ResultsTable) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of display strings: ``method``, then per task its ``mean ± std``, ``95% CI``, ``n`` and
    one column per shown source; the ``D(best)`` reference row last (when asked for)."""
    header = ["method"] + [f"{t} {c}" for t in table.tasks for c in CELL_COLUMNS + table.sources]
    rows = []
    for m in table.methods:
        row = [row_label(table, m)]
        for t in table.tasks:
            c = table.cells[(m, t)]
            row += [stats.fmt_pm(c.mean, c.std, DIGITS), stats.fmt_ci(c.low, c.high, DIGITS), str(c.n)]
            row += [_pub_text(table, m, t, s) for s in table.sources]
        rows.append(row)
    if table.dataset_best:
        row = [DBEST]
        for t in table.tasks:
            v = table.dataset_best.get(t)
            row += [MISSING if v is None else f"{v:.{DIGITS}f}", MISSING, MISSING]
            row += [_pub_text(table, DBEST, t, s) for s in table.sources]
        rows.append(row)
    return header, rows


def _markdown(table: ResultsTable) -> str:
    header, rows = display_rows(table)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n\n" + "\n".join(table.notes) + "\n"


def _latex_text(text: str) -> str:
    text = text.replace("\\", "\\textbackslash{}")
    for ch in "&%$#_{}":
        text = text.replace(ch, "\\" + ch)
    return text.replace(" ± ", " $\\pm$ ").replace("—", "---")


def _latex(table: ResultsTable) -> str:
    _, rows = display_rows(table)
    per = len(CELL_COLUMNS) + len(table.sources)
    cols = "l" + ("|" + "c" * per) * len(table.tasks)
    top = " & ".join([""] + [f"\\multicolumn{{{per}}}{{c}}{{{_latex_text(t)}}}" for t in table.tasks])
    sub = " & ".join(["method"] + [_latex_text(c) for _ in table.tasks for c in CELL_COLUMNS + table.sources])
    body = [" & ".join(_latex_text(x) for x in r) + " \\\\" for r in rows]
    notes = ["% " + n for n in table.notes]
    return "\n".join(notes + [f"\\begin{{tabular}}{{{cols}}}", "\\toprule", top + " \\\\", sub + " \\\\",
                              "\\midrule", *body, "\\bottomrule", "\\end{tabular}"]) + "\n"


def _num(x) -> str:
    return MISSING if x is None or (isinstance(x, float) and math.isnan(x)) else repr(float(x))


def _csv(table: ResultsTable) -> str:
    """Numbers at full precision (``repr``), one row per method, ``"—"`` where missing (never 0)."""
    header = ["method"]
    for t in table.tasks:
        header += [f"{t} mean", f"{t} std", f"{t} n", f"{t} ci_low", f"{t} ci_high"]
        header += [f"{t} {s} {k}" for s in table.sources for k in ("mean", "std")]
    rows = []
    for m in table.methods:
        row = [row_label(table, m)]
        for t in table.tasks:
            c = table.cells[(m, t)]
            row += [_num(c.mean), _num(c.std), str(c.n), _num(c.low), _num(c.high)]
            for s in table.sources:
                pub = table.published.get((m, t, s), (None, None))
                row += [_num(pub[0]), _num(pub[1])]
        rows.append(row)
    if table.dataset_best:
        row = [DBEST]
        for t in table.tasks:
            row += [_num(table.dataset_best.get(t)), MISSING, MISSING, MISSING, MISSING]
            for s in table.sources:
                pub = table.published.get((DBEST, t, s), (None, None))
                row += [_num(pub[0]), _num(pub[1])]
        rows.append(row)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def render(table: ResultsTable, fmt: str = "md") -> str:
    """The table as Markdown (with its caption below), LaTeX (caption as ``%`` comments; booktabs rules) or CSV
    (numbers only, full precision; the caption is :attr:`ResultsTable.notes`)."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"format must be one of {FORMATS}, got {fmt!r}")
    return {"md": _markdown, "latex": _latex, "csv": _csv}[fmt](table)
