"""The paper-settings evidence campaign (issue 12): the decisive cells, run on CPU as a resumable grid.

Every cell is a list of run specs at the ``paper`` profile, with the settings of the paper whose claim it tests
(:mod:`mbo_lib.methods.settings`): IGNITE's run scripts for the IGNITE cells (design-baselines' settings, except COMs with 2
forward-model epochs, baseline and IGNITE alike), MATCH-OPT's code for the MATCH-OPT cells. Plain and regularized
runs of a cell share their seeds (paired). The order interleaves cells seed by seed (each cell gets its first
paired seeds before any cell gets many), cheapest information first.

Usage (niced, one torch thread, at most two workers; each worker is a loop of short child processes so code fixed
while the grid runs is picked up by the next child; a lock file per spec keeps workers off the same run):

    while nice -n 10 .venv/bin/python tools/campaign.py --run --max-runs 2; [ $? -eq 3 ]; do sleep 1; done
    .venv/bin/python tools/campaign.py --progress      # rewrite records/paper/PROGRESS.md (done / left / cost)

Exit codes: 0 nothing left (for the selected cells), 3 more to run. ``--only PATTERN`` restricts to cells whose
name matches PATTERN (fnmatch; a plain word: contains it); ``--exclude PATTERN`` (repeatable) leaves cells out, e.g.
``--exclude 'CbAS*' --exclude 'GA *'`` for the cheap cells first. Records land in the normal store
(``records/paper/...``): commit them as they land.

Cost of what is left, priced per kind of run (plain, IGNITE, IGNITE-2: a regularized run costs 2-3x a plain one):
the kind's measured CPU minutes per run in the cell, else the same kind in the cell with the same method, settings
and regularizers on the other task, scaled by the two cells' measured ratio for a kind both have run (GA plain:
3.9x), or without one by the tasks' training rows (TF-Bind-8 32,898 / TF-Bind-10 10,000 = 3.29x, the ratio the
issue measured), else (a regularized kind) the same method's regularized runs on the same task,
else an a priori estimate (:data:`ESTIMATE_MIN`); the progress table says which.
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("MBO_PROGRESS", "0")
os.environ.setdefault("MBO_THREADS", "1")  # one torch thread per worker process (the runner's thread policy reads it)

from mbo_lib.experiments import RecordStore, RunSpec, run_spec  # noqa: E402
from mbo_lib.experiments.locks import take_lock  # noqa: E402
from mbo_lib.methods.settings import settings_overrides  # noqa: E402
from mbo_lib.reporting.campaign import CAMPAIGN_CELLS  # noqa: E402

TF8, TF10 = "TFBind8-Exact-v0", "TFBind10-Exact-v0"
ROWS = {TF8: 32898, TF10: 10000}  # training rows: a run's cost scales with them (the issue: TF-Bind-8 ~3.3x TF-Bind-10)

IGNITE = {"name": "ignite"}
IGNITE2 = {"name": "ignite2"}

# A priori CPU-minutes per run (one thread), used until a cell has measured runs. From benchmarks and the issue:
# GA paper TF-Bind-10 511 s plain; an IGNITE run ~3x; TF-Bind-8 ~3.3x TF-Bind-10; COMs 2 epochs ~1.75 s/step.
ESTIMATE_MIN = {("GA", TF10): 9, ("GA", TF8): 30, ("COMs", TF10): 5, ("COMs", TF8): 15, ("MATCH-OPT", TF8): 20,
                ("MATCH-OPT", TF10): 6, ("GA-diag", TF10): 0.7,
                ("REINFORCE", TF10): 3, ("CMA-ES", TF10): 3, ("BO-qEI", TF10): 5, ("CbAS", TF10): 5}


@dataclass
class Cell:
    """One cell of the campaign: a method on a task with and/or without a regularizer, ``seeds`` paired seeds."""

    name: str
    task: str
    method: str
    settings: str
    seeds: int
    variants: list = field(default_factory=lambda: [{}, IGNITE])  # regularizers; {} = plain
    extra_overrides: dict = field(default_factory=dict)

    def estimate(self, regularizer: dict) -> float:
        """A priori CPU-minutes per run of this cell with ``regularizer`` ({} = plain; a regularized run ~3x a plain
        one, benchmarks/results/ignite.md)."""
        base = ESTIMATE_MIN.get(("GA-diag" if self.settings == "diagnostic" else self.method, self.task), 10)
        return base * (3 if regularizer else 1)

    def overrides(self) -> dict:
        return {**settings_overrides(self.settings, self.method), **self.extra_overrides}

    def specs(self, seed: int) -> list[RunSpec]:
        return [RunSpec(self.task, self.method, "paper", seed, overrides=self.overrides(), regularizer=reg)
                for reg in self.variants]


def _name(c) -> str:
    task = "TF-Bind-8" if c.task == TF8 else "TF-Bind-10"
    if c.settings == "diagnostic":
        return f"diag {c.method} 256x256 100ep {task}"
    extra = "".join(f" {k}={v:g}" if isinstance(v, float) else f" {k}={v}" for k, v in c.extra_overrides)
    regs = "" if tuple(c.regularizers) in (("", "ignite"), ("",)) else " " + "/".join(r or "plain" for r in c.regularizers)
    where = f" ({c.settings} settings)" if c.settings != "baselines" else ""
    return f"{c.method}{extra}{regs} {task}{where}"


def cells() -> list[Cell]:
    """The decisive cells of issue 12 in priority order: :data:`mbo_lib.reporting.campaign.CAMPAIGN_CELLS` (one
    definition, which the notebooks read too)."""
    return [Cell(_name(c), c.task, c.method, c.settings, c.seeds,
                 variants=[{"name": r} if r else {} for r in c.regularizers], extra_overrides=dict(c.extra_overrides))
            for c in CAMPAIGN_CELLS]


MAX_FAILURES = 2  # attempts before a failing spec is left out (see the log; delete its .failed file to retry)
CHEAP_FIRST = 3  # the first cells of cells() (the diagnostic and MATCH-OPT on TF-Bind-10: minutes per run) go first


def queue(selected: list[Cell]) -> list[tuple[Cell, RunSpec]]:
    """Seed-major interleaving (seed 0 of every cell, then seed 1, ...), the cheap cells of :data:`CHEAP_FIRST`
    complete before the others start."""
    cheap_names = {c.name for c in cells()[:CHEAP_FIRST]}
    out = []
    for group in ([c for c in selected if c.name in cheap_names], [c for c in selected if c.name not in cheap_names]):
        most = max((c.seeds for c in group), default=0)
        out += [(c, s) for seed in range(most) for c in group if seed < c.seeds for s in c.specs(seed)]
    return out


def select(all_cells: list[Cell], only: str = "*", exclude: list[str] = ()) -> list[Cell]:
    """The cells whose name matches ``only`` (fnmatch; a plain word: contains it) and none of ``exclude``."""
    def pattern(p):
        return p if any(ch in p for ch in "*?[") else f"*{p}*"

    return [c for c in all_cells if fnmatch.fnmatch(c.name, pattern(only))
            and not any(fnmatch.fnmatch(c.name, pattern(x)) for x in exclude)]


def _minutes(record: dict) -> float:
    t = record.get("timings", {})
    return (t.get("cpu_seconds") or t.get("total_seconds") or 0.0) / 60


def _twin(c: Cell, cells: list[Cell]) -> Cell | None:
    """The cell with ``c``'s method, settings, regularizers and overrides on the other task, if any."""
    return next((o for o in cells if o.task != c.task and (o.method, o.settings, o.variants, o.extra_overrides)
                 == (c.method, c.settings, c.variants, c.extra_overrides)), None)


def _variant(reg: dict) -> str:
    """A run's variant key: its regularizer's name, "" for a plain run."""
    return (reg or {}).get("name", "")


def _siblings(c: Cell, cells: list[Cell]) -> list[Cell]:
    """The other cells with ``c``'s method, task, settings and overrides (GA IGNITE-2 and GA plain/IGNITE): their
    regularized runs do the same work per step as ``c``'s (IGNITE-2 differs from IGNITE only in lambda_0 and rho)."""
    return [o for o in cells if o is not c and (o.task, o.method, o.settings, o.extra_overrides)
            == (c.task, c.method, c.settings, c.extra_overrides)]


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _task_ratio(c: Cell, twin: Cell, measured: dict[tuple[str, str], list[float]]) -> tuple[float, str]:
    """Cost of a run of ``c`` over one of its ``twin`` (other task), and what it rests on: the two cells' measured
    minutes for the first kind both have run (the method's own ratio, GA plain 3.9x: it prices better than the
    rows do), else the tasks' training rows (3.29x)."""
    for u in map(_variant, c.variants):
        if measured.get((c.name, u)) and measured.get((twin.name, u)):
            return _mean(measured[c.name, u]) / _mean(measured[twin.name, u]), f" ({u or 'plain'} runs' ratio)"
    return ROWS[c.task] / ROWS[twin.task], ""


def estimates(cells: list[Cell], measured: dict[tuple[str, str], list[float]]) -> dict[tuple[str, str], tuple[float, str]]:
    """CPU minutes per run for every (cell name, variant) of ``cells``, a variant being a regularizer's name or ""
    for the plain runs (a plain run and an IGNITE run of one cell differ ~2-3x, so each is priced on its own).
    ``measured``: ``{(cell name, variant): minutes of its finished runs}``. Returns ``{(cell name, variant):
    (minutes, how)}``: the variant's own measured runs (``how`` = ""), else the same variant of its twin on the
    other task times the ratio of the two cells' measured minutes for another variant both have (``how`` =
    "from TF-Bind-<n> x <ratio> (<variant> runs' ratio)"), or, without one, the training rows ratio (``how`` =
    "from TF-Bind-<n> x <ratio>"; :func:`_task_ratio`), else, for a regularized variant, a sibling's regularized runs
    on the same task (``how`` = "from <sibling>'s <variant> runs"), else :meth:`Cell.estimate`'s a priori minutes
    for the variant (``how`` = "a priori")."""
    out = {}
    for c in cells:
        twin = _twin(c, cells)
        for reg in c.variants:
            v = _variant(reg)
            if measured.get((c.name, v)):
                out[c.name, v] = (_mean(measured[c.name, v]), "")
                continue
            if twin is not None and measured.get((twin.name, v)):
                ratio, of = _task_ratio(c, twin, measured)
                out[c.name, v] = (_mean(measured[twin.name, v]) * ratio,
                                  f"from {'TF-Bind-8' if twin.task == TF8 else 'TF-Bind-10'} x {ratio:.2f}{of}")
                continue
            found = next(((o, ov, measured[o.name, ov]) for o in _siblings(c, cells) for ov in map(_variant, o.variants)
                          if ov and measured.get((o.name, ov))), None) if v else None  # regularized kinds only
            if found:
                o, ov, mins = found
                out[c.name, v] = (_mean(mins), f"from {o.name}'s {ov} runs")
            else:
                out[c.name, v] = (c.estimate(reg), "a priori")
    return out


def progress_table(selected: list[Cell], store: RecordStore) -> str:
    """Markdown: per cell, seeds done / left, measured minutes per run of each variant, core-hours spent and left."""
    rows, spent_total, left_total = [], 0.0, 0.0
    state, measured = {}, {}
    for c in selected:
        done_pairs, spent, missing = 0, 0.0, []
        for seed in range(c.seeds):
            specs = c.specs(seed)
            recs = [store.load(s) if store.has(s) else None for s in specs]
            done_pairs += all(r is not None for r in recs)
            for s, r in zip(specs, recs):
                if r is None:
                    missing.append(_variant(s.regularizer))
                else:
                    measured.setdefault((c.name, _variant(s.regularizer)), []).append(_minutes(r))
                    spent += _minutes(r)
        state[c.name] = (done_pairs, spent, missing)
    est = estimates(selected, measured)
    for c in selected:
        done_pairs, spent, missing = state[c.name]
        left = sum(est[c.name, v][0] for v in missing)
        spent_total, left_total = spent_total + spent / 60, left_total + left / 60
        shown = " / ".join("%.1f" % est[c.name, v][0] if not est[c.name, v][1] else
                           "(est. %.1f, %s)" % est[c.name, v] for v in map(_variant, c.variants))
        rows.append(f"| {c.name} | {c.settings} | {len(c.variants)} | {done_pairs} / {c.seeds} | {c.seeds - done_pairs} "
                    f"| {shown} | {spent / 60:.2f} | {left / 60:.2f} |")
    head = ("# Paper-settings campaign: progress\n\n"
            "Generated by `python tools/campaign.py --progress` from the records in `records/paper/` (do not edit).\n"
            "Minutes per run: measured CPU time (wall time for records older than `timings.cpu_seconds`), one torch\n"
            "thread, niced, on the 2-core development machine with other work beside it; one number per kind of run of\n"
            "the cell, in its order (plain / IGNITE: a regularized run costs 2-3x a plain one, so each is priced on its\n"
            "own). '(est.)': no run of that kind yet, so the same kind's measured minutes on the other task scaled by\n"
            "the two tasks' measured ratio for another kind of run of the cell, else by the training rows (TF-Bind-8\n"
            "32,898 / TF-Bind-10 10,000); for a regularized kind without either, the same method's regularized runs on\n"
            "the same task (IGNITE-2 does IGNITE's work per step); else an a priori estimate (benchmarks and the issue).\n\n"
            "| cell | settings | runs per seed | seeds done / target | seeds left | minutes per run | core-hours spent "
            "| core-hours left (est.) |\n|---|---|---|---|---|---|---|---|\n")
    return head + "\n".join(rows) + f"\n| **total** | | | | | | **{spent_total:.2f}** | **{left_total:.2f}** |\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", action="store_true", help="run missing specs")
    ap.add_argument("--progress", action="store_true", help="rewrite records/paper/PROGRESS.md")
    ap.add_argument("--only", default="*", help="fnmatch pattern on cell names (default: all)")
    ap.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                    help="fnmatch pattern on cell names to leave out (repeatable)")
    ap.add_argument("--max-runs", type=int, default=2, help="runs per child process before exiting with 3")
    ap.add_argument("--locks", default="/tmp/mbo-campaign/locks")
    ap.add_argument("--log", default="/tmp/mbo-campaign/campaign.log")
    args = ap.parse_args()
    selected = select(cells(), args.only, args.exclude)
    store = RecordStore()
    if args.progress:
        out = store.root / "paper" / "PROGRESS.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(progress_table(cells(), store))
        print(out.read_text())
    if not args.run:
        return 0
    import torch

    torch.set_num_threads(1)
    Path(args.locks).mkdir(parents=True, exist_ok=True)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    ran = 0
    for cell, spec in queue(selected):
        if store.has(spec):
            continue
        if ran >= args.max_runs:
            return 3
        lock = Path(args.locks) / f"{spec.key}.lock"
        failed = lock.with_suffix(".failed")  # one line per failed attempt: a spec that fails twice is left out
        if failed.exists() and len(failed.read_text().splitlines()) >= MAX_FAILURES:
            continue
        if not take_lock(lock):
            continue
        start = time.perf_counter()
        try:
            record = run_spec(spec, store, device="cpu", progress=False)
            line = (f"{time.strftime('%H:%M:%S')} ok [{cell.name}] {spec.method}{'+' + spec.regularizer['name'] if spec.regularizer else ''} "
                    f"seed{spec.seed} wall={time.perf_counter() - start:.0f}s p100={record['result']['norm_p100']:.3f}")
        except Exception as exc:  # noqa: BLE001  (log it, keep going with the next spec)
            line = f"{time.strftime('%H:%M:%S')} FAIL [{cell.name}] {spec.method} seed{spec.seed}: {exc!r}"
            with open(failed, "a") as f:
                f.write(line + "\n")
        with open(args.log, "a") as f:
            f.write(line + "\n")
        print(line, flush=True)
        ran += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
