"""Recompute every record of the store that the stale-record rule refuses (changed configuration or version).

The records are recomputed by the normal runner (``run_spec``), which says why each one is recomputed and
overwrites it atomically; nothing else is touched. Cheapest cells first, one torch thread, one process:

    nice -n 10 .venv/bin/python tools/recompute_stale.py [--match 'quick/GA*'] [--dry-run]

Prints one line per record (reason, then the new normalized 100th percentile next to the old one) and a summary.
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import time

os.environ.setdefault("MBO_PROGRESS", "0")
os.environ.setdefault("MBO_THREADS", "1")  # one torch thread per worker process (the runner's thread policy reads it)

from mbo_lib.experiments import RecordStore, RunSpec, run_spec  # noqa: E402
from mbo_lib.errors import MBOError  # noqa: E402
from mbo_lib.experiments.store import check_record, read_record  # noqa: E402


def stale_records(store: RecordStore, pattern: str, everything: bool = False) -> list[tuple[RunSpec, dict, str]]:
    out = []
    for path in sorted(store.root.rglob("*.json")):
        rel = str(path.relative_to(store.root))
        if not fnmatch.fnmatch(rel, pattern):
            continue
        try:
            record = read_record(path)
            spec = RunSpec.from_dict(record["spec"])
        except MBOError as exc:  # reported, not fatal: the store's own rules move such files aside when they run
            print(f"skipping {rel}: {exc}", flush=True)
            continue
        reason = check_record(record, spec)
        if everything and reason is None:
            reason = "asked to (--all: e.g. a cell whose records `mbo verify` found to differ)"
        if reason is not None:
            out.append((spec, record, reason))
    return sorted(out, key=lambda t: t[1].get("timings", {}).get("total_seconds", 0.0))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--match", default="*", help="fnmatch pattern on the path inside the store")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--all", action="store_true", help="recompute every matching record, reusable or not (a cell "
                                                       "where `python -m mbo_lib verify` found a record that differs)")
    ap.add_argument("--reverse", action="store_true", help="dearest first (a second worker takes the list from the "
                                                           "other end; a record another worker just made is reused)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    store = RecordStore()
    started = time.time()
    todo = stale_records(store, args.match, args.all)
    todo = todo[::-1] if args.reverse else todo
    print(f"{len(todo)} stale records", flush=True)
    failed = 0
    for spec, old, reason in todo:
        if args.dry_run:
            print(f"stale {spec.relpath}: {reason}")
            continue
        start = time.perf_counter()
        if not args.all and store.has(spec):  # another worker made it meanwhile
            continue
        if args.all and store.path(spec).exists() and store.path(spec).stat().st_mtime > started:
            continue  # --all: another worker re-made it after this one started
        try:
            new = run_spec(spec, store, device="cpu", progress=False, force=args.all)
        except Exception as exc:  # noqa: BLE001  (report, go on)
            failed += 1
            print(f"FAIL {spec.relpath}: {exc!r}", flush=True)
            continue
        print(f"{time.strftime('%H:%M:%S')} {spec.relpath}: {reason}; p100 {old['result']['norm_p100']:.3f} -> "
              f"{new['result']['norm_p100']:.3f} ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"done: {len(todo) - failed} recomputed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
