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
    p.set_defaults(handler=_verify, parser=p)


def _verify(args) -> int:
    from pathlib import Path

    from .config import pick_device
    from .errors import InvalidInputError
    from .experiments.verify import verify_records

    if args.records is not None and not Path(args.records).expanduser().is_dir():
        args.parser.error(f"--records {args.records}: no such folder")
    try:
        device = pick_device(args.device)
    except InvalidInputError as exc:
        args.parser.error(f"--device: {exc}")
    return verify_records(args.records, match=args.match, sample=args.sample, profile=args.profile, seed=args.seed,
                          device=device, out=functools.partial(print, flush=True))


SUBCOMMANDS: list[Callable] = [_add_verify]


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
