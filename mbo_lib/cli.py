"""The ``mbo`` command line: ``mbo <subcommand> ...`` (also ``python -m mbo_lib ...``).

Each subcommand is one ``_add_<name>(subparsers)`` function that adds its parser and sets ``handler`` (a
function of the parsed arguments returning the exit code); register it in :data:`SUBCOMMANDS`.

Exit codes: 0 success, 1 the command ran and found a problem (e.g. a record that differs), 2 bad arguments or
input (one line on stderr, never a traceback).

Example:
    >>> main(["verify", "--match", "smoke/GA/*", "--sample", "2"])  # doctest: +SKIP
"""
from __future__ import annotations

import argparse
import functools
import sys
from typing import Callable, Sequence

PROG = "mbo"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


# ------------------------------------------------------------------------------------------ verify
def _add_verify(subparsers) -> None:
    from .experiments.spec import PROFILES

    p = subparsers.add_parser(
        "verify", help="recompute committed records and compare their scores bit for bit",
        description="Recompute records into a temporary store (the committed ones are only read) and compare "
                    "every stored score exactly. One line per record, a summary last; exit 1 on any difference "
                    "or stale record.")
    p.add_argument("--match", metavar="PATTERN",
                   help="fnmatch pattern on the path inside the store, e.g. 'quick/GA/*' (no wildcard: substring)")
    p.add_argument("--sample", metavar="N", type=_positive_int, help="verify N matching records, drawn at random")
    p.add_argument("--profile", choices=PROFILES, help="only records of this profile")
    p.add_argument("--seed", metavar="S", type=_non_negative_int, default=0, help="seeds --sample (default 0)")
    p.add_argument("--records", metavar="DIR", help="the record store (default: MBO_RECORDS_DIR or <repo>/records)")
    p.add_argument("--device", default="cpu", help="where to recompute: cpu (default), cuda, auto")
    p.add_argument("--dirty", action="store_true",
                   help="only records made from a checkout with uncommitted changes (git_commit '...-dirty')")
    p.add_argument("--per-cell", action="store_true",
                   help="one record per <profile>/<method>/<task> cell (the cheapest to recompute)")
    p.set_defaults(handler=_verify, parser=p)


def _verify(args) -> int:
    from pathlib import Path

    from .config import pick_device
    from .errors import InvalidInputError
    from .experiments.verify import verify_records

    if args.records is not None and not Path(args.records).expanduser().is_dir():
        args.parser.error(f"--records {args.records}: no such folder")
    if args.match is not None and not args.match.strip():
        args.parser.error(f"--match {args.match!r}: an empty pattern would select every record; give a pattern "
                          "such as 'quick/GA/*' or leave --match out")
    try:
        device = pick_device(args.device)
    except InvalidInputError as exc:
        args.parser.error(f"--device: {exc}")
    return verify_records(args.records, match=args.match, sample=args.sample, profile=args.profile, seed=args.seed,
                          device=device, out=functools.partial(print, flush=True), dirty=args.dirty,
                          per_cell=args.per_cell)


# --------------------------------------------------------------------------------------------- run
_RUN_EPILOG = """\
Settings: --set KEY=VALUE overrides a METHOD hyperparameter (e.g. --set epochs=5 --set hidden=[64,64]) and
applies to every --method given, so each must have it; --reg-set KEY=VALUE sets a REGULARIZER parameter and
needs --regularizer (e.g. --regularizer ignite --reg-set epsilon=0.05). Order does not matter. VALUE is read as
JSON when it is valid JSON (numbers, true/false, null, lists such as [64,64]; True/False/None too), else as a
string. --task-kwargs takes one JSON object of arguments to mbo_lib.tasks.make, for every task
(e.g. '{"max_samples": 500}').

Runs whose record is already in the store are reused, not recomputed, so a killed sweep resumes with only the
missing runs. The last line is a summary: done (computed now) / reused / failed; exit 1 when any run failed.

Examples:
  mbo run --task TFBind8 --method GA --profile smoke --seeds 0-7
  mbo run --task TFBind8 --task TFBind10 --method GA --method COMs --profile quick --seeds 0,2,5 \\
          --regularizer ignite --reg-set epsilon=0.05 --executor local --workers 2
"""


MAX_SEEDS_PER_RUN = 10_000  # more seeds than this in one ``mbo run`` is a typo, not a sweep


def _check_seed_bounds(text: str) -> None:
    """Refuse ``--seeds`` whose bounds are out of NumPy's seed range, or that name too many seeds, *before* the
    list is built (``0-4294967296`` would otherwise build a list of 4 billion ints first).

    Raises:
        InvalidInputError: naming the value, the bad item and the accepted range.
    """
    import re

    from .errors import InvalidInputError
    from .experiments.spec import MAX_SEED

    total = 0
    for item in str(text).split(","):
        bounds = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", item) or re.fullmatch(r"\s*(\d+)\s*", item)
        if not bounds:
            continue  # parse_seeds names the malformed item
        low, high = int(bounds[1]), int(bounds[bounds.lastindex])
        for value in (low, high):
            if value >= MAX_SEED:
                raise InvalidInputError(f"seeds {text!r}: {value} is out of range; a seed is an int in "
                                        f"[0, 2**32) = [0, {MAX_SEED - 1}] (NumPy's seed range)")
        total += max(0, high - low + 1)
        if total > MAX_SEEDS_PER_RUN:
            raise InvalidInputError(f"seeds {text!r}: more than {MAX_SEEDS_PER_RUN:,} seeds in one run; "
                                    "give a smaller range (e.g. 0-7)")


def _seeds_arg(text: str) -> list[int]:
    from .errors import InvalidInputError
    from .experiments.sweep import parse_seeds

    try:
        _check_seed_bounds(text)
        return parse_seeds(text)
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _json_object_arg(text: str) -> dict:
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc.msg}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object such as '{\"max_samples\": 500}', got " + repr(text))
    return value


def _add_run(subparsers) -> None:
    from .experiments.executors import EXECUTORS
    from .experiments.spec import PROFILES

    p = subparsers.add_parser(
        "run", help="run a grid of tasks x methods x seeds into the record store (resumable)",
        description="Run every task x method x seed (finished runs are reused), with one progress bar over "
                    "runs and a summary at the end.",
        epilog=_RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", action="append", required=True, metavar="T",
                   help="task id or short name (TFBind8, Ackley-Synthetic-v0, ...); repeatable. See: mbo tasks")
    p.add_argument("--method", action="append", required=True, metavar="M",
                   help="method name (GA, COMs, PGS, ...); repeatable. See: mbo methods")
    p.add_argument("--profile", required=True, choices=PROFILES, help="the methods' sizes")
    p.add_argument("--seeds", required=True, type=_seeds_arg, metavar="SEEDS", help="e.g. 0-7, 0,2,5 or 3")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="method hyperparameter override (every method); repeatable")
    p.add_argument("--regularizer", metavar="NAME", help="surrogate regularizer for every run, e.g. ignite")
    p.add_argument("--reg-set", dest="reg_params", action="append", default=[], metavar="KEY=VALUE",
                   help="regularizer parameter, e.g. epsilon=0.05 (needs --regularizer); repeatable")
    p.add_argument("--task-kwargs", type=_json_object_arg, metavar="JSON",
                   help="arguments to mbo_lib.tasks.make for every task, as a JSON object")
    p.add_argument("--executor", choices=EXECUTORS, default="serial",
                   help="serial: one run after another here (default); local: --workers processes on this "
                        "machine; dask: a running Dask scheduler (--scheduler)")
    p.add_argument("--workers", type=_positive_int, metavar="N", help="worker processes (--executor local)")
    p.add_argument("--scheduler", metavar="ADDR", help="tcp://host:port of a Dask scheduler (--executor dask)")
    p.add_argument("--records", metavar="DIR", help="the record store (default: MBO_RECORDS_DIR or <repo>/records)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    p.set_defaults(handler=_run, parser=p)


def _run(args) -> int:
    from .config import pick_device
    from .errors import InvalidInputError
    from .experiments.store import RecordStore
    from .experiments.sweep import parse_assignments, run_sweep, summary_lines, sweep_specs

    if args.reg_params and not args.regularizer:
        args.parser.error("--reg-set needs --regularizer NAME (e.g. --regularizer ignite --reg-set epsilon=0.05)")
    if args.executor == "dask" and not args.scheduler:
        args.parser.error("--executor dask needs --scheduler tcp://host:port")
    if args.scheduler and args.executor != "dask":
        args.parser.error("--scheduler is for --executor dask")
    if args.workers and args.executor != "local":
        args.parser.error("--workers is for --executor local")
    try:
        pick_device(args.device)
    except InvalidInputError as exc:
        args.parser.error(f"--device: {exc}")
    specs = sweep_specs(args.task, args.method, args.profile, args.seeds,
                        overrides=parse_assignments(args.overrides, "--set"), regularizer=args.regularizer,
                        regularizer_params=parse_assignments(args.reg_params, "--reg-set"),
                        task_kwargs=args.task_kwargs)
    result = run_sweep(specs, RecordStore(args.records), executor=args.executor, workers=args.workers,
                       scheduler_address=args.scheduler, device=args.device)
    for line in summary_lines(result):
        print(line, flush=True)
    return 0 if result.ok else 1


# --------------------------------------------------------------------------------------------- tasks / methods
def _add_tasks(subparsers) -> None:
    p = subparsers.add_parser("tasks", help="the registered tasks: kind, where their data come from, whether "
                                            "they run here and why not",
                              description="Every registered task; builds each once to check its data and oracle.")
    p.set_defaults(handler=_tasks, parser=p)


def _add_methods(subparsers) -> None:
    p = subparsers.add_parser("methods", help="the registered methods: task kinds, profiles, tasks they can run here",
                              description="Every registered method with its task kinds and profiles, and the "
                                          "tasks of those kinds that run here (see mbo tasks for the others).")
    p.set_defaults(handler=_methods, parser=p)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    fmt = lambda row: "  ".join([str(c).ljust(w) for c, w in zip(row, widths)] + [str(row[-1])]).rstrip()  # noqa: E731
    return "\n".join([fmt(header), fmt(["-" * w for w in widths] + ["-" * len(header[-1])])] + [fmt(r) for r in rows])


def _tasks(args) -> int:
    from .reporting.availability import task_catalog

    rows = [(t.task_id, t.short_name, t.kind, t.source, "yes" if t.runs_here else "no", t.reason)
            for t in task_catalog()]
    print(_table(("task", "short name", "kind", "source", "runs here", "why not"), rows))
    print(f"\n{sum(t[4] == 'yes' for t in rows)} of {len(rows)} tasks run here.")
    return 0


def _methods(args) -> int:
    from .reporting.availability import method_catalog, task_catalog

    tasks = task_catalog()
    short = {t.task_id: t.short_name for t in tasks}
    rows = [(m.name, "+".join(m.task_kinds), ",".join(m.profiles), str(m.version),
             ", ".join(short[t] for t in m.tasks_here) or "none") for m in method_catalog(tasks)]
    print(_table(("method", "task kinds", "profiles", "version", "tasks that run here"), rows))
    absent = [t.short_name for t in tasks if not t.runs_here]
    if absent:
        print("\nNot runnable here (why: mbo tasks): " + ", ".join(absent))
    return 0

# --------------------------------------------------------------------------------------------- table
_TABLE_EPILOG = """\
From stored records only (nothing is computed): one row per method, one column group per task with the mean and
population std over seeds (design-baselines' column), the 95% interval of the mean, n, and the published values
(design-bench README, ROOT, Offline-RaM) beside ours; "—" where there is none (missing is never 0). A D(best)
row gives the best normalized score in each task's offline data (left out with a note when the data are not
here; --no-dataset-best skips it). Stale records (the current code would recompute them) are left out and
counted in a note. CSV goes to stdout with numbers at full precision, its caption to stderr.

Examples:
  mbo table --profile quick --method GA --method COMs --task TFBind8 --task TFBind10
  mbo table --profile quick --percentile 50 --regularizer ignite --format latex
  mbo table --profile paper --settings ignite --method COMs --format csv > coms.csv
"""


def _add_table(subparsers) -> None:
    from .experiments.spec import PROFILES
    from .methods.settings import SETTINGS
    from .reporting.results_table import FORMATS, PERCENTILES, REGULARIZERS

    p = subparsers.add_parser(
        "table", help="make-table: mean ± std, 95%% interval, n and published values per method and task",
        description="Print one table of the stored records (design-baselines' make-table, with n, intervals and "
                    "the published numbers beside ours).",
        epilog=_TABLE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", action="append", metavar="M",
                   help="method name; repeatable (default: every method with a matching record)")
    p.add_argument("--task", action="append", metavar="T",
                   help="task id or short name; repeatable (default: every task with a matching record)")
    p.add_argument("--profile", required=True, choices=PROFILES, help="the records' profile")
    p.add_argument("--settings", choices=sorted(SETTINGS),
                   help="paper profile only: whose settings (default baselines; see mbo_lib/methods/settings.py)")
    p.add_argument("--percentile", type=int, choices=PERCENTILES, default=100,
                   help="score percentile of the 128 candidates (default 100)")
    p.add_argument("--regularizer", choices=REGULARIZERS, default="none",
                   help="runs with this surrogate regularizer at its default parameters (default none)")
    p.add_argument("--format", choices=FORMATS, default="md", help="md (default), csv or latex")
    p.add_argument("--no-dataset-best", dest="dataset_best", action="store_false",
                   help="leave out the D(best) reference row (it reads each task's data)")
    p.add_argument("--records", metavar="DIR", help="the record store (default: MBO_RECORDS_DIR or <repo>/records)")
    p.set_defaults(handler=_table_command, parser=p)


def _table_command(args) -> int:
    from pathlib import Path

    from .reporting.results_table import render, results_table

    if args.records is not None and not Path(args.records).expanduser().is_dir():
        args.parser.error(f"--records {args.records}: no such folder")
    if args.settings and args.profile != "paper":
        args.parser.error(f"--settings is for --profile paper (named paper settings), not --profile {args.profile}")
    table = results_table(args.records, profile=args.profile, methods=args.method, tasks=args.task,
                          settings=args.settings, regularizer=args.regularizer, percentile=args.percentile,
                          with_dataset_best=args.dataset_best)
    if not table.methods or not table.tasks:
        print(f"{PROG} table: no record matches (profile {args.profile}, regularizer {args.regularizer}"
              + (f", settings {args.settings}" if args.settings else "") + "); nothing to show", file=sys.stderr)
        return 1
    text = render(table, args.format)
    print(text, end="", flush=True)
    if args.format == "csv":
        print("\n".join(table.notes), file=sys.stderr)
    return 0


SUBCOMMANDS: list[Callable] = [_add_verify, _add_run, _add_table, _add_tasks, _add_methods]


def build_parser() -> argparse.ArgumentParser:
    """The ``mbo`` parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(prog=PROG, description="mbo-companion command line")
    subparsers = parser.add_subparsers(title="subcommands", metavar="<subcommand>")
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mbo`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    from .errors import MBOError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not hasattr(args, "handler"):
            parser.error("choose a subcommand")
        return args.handler(args)
    except SystemExit as exc:  # argparse: --help (0) or a bad argument (2), message already printed
        return exc.code if isinstance(exc.code, int) else 2
    except MBOError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
