"""The TF-Bind-8 family grid (issue 15): 24 factors x (GA, GA+IGNITE, COMs, COMs+IGNITE, MATCH-OPT) x 4 seeds at
the ``quick`` profile (480 runs), run on CPU as a resumable grid, for the ``tfbind8_family`` notebook.

The factors are :func:`mbo_lib.reporting.family.family_sample` (24, seed 0; SIX6_REF_R1 excluded). The order is
seed-major (:func:`mbo_lib.reporting.family.family_specs`): seed 0 of every factor and arm, then seed 1, ..., so
every factor gets its first paired seeds before any factor gets many.

Usage (niced, one torch thread; each worker is a loop of short child processes, so code fixed while the grid runs
is picked up by the next child; a lock file per spec keeps workers off the same run):

    while OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/family_grid.py --run --max-runs 2; [ $? -eq 3 ]; do sleep 1; done
    .venv/bin/python tools/family_grid.py --progress   # rewrite records/quick/FAMILY_PROGRESS.md (done / left / cost)

Exit codes: 0 nothing left (of the selection), 3 more to run. ``--seeds 0`` / ``--factors 3`` restrict the grid
(e.g. the first factor's seed 0 only: ``--factors 1 --seeds 0``). Records land in the normal store
(``records/quick/<method>[+ignite]/TFBind8-Exact-v0/seed<k>-<key>.json``, the factor in the spec's task kwargs):
commit them as they land.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MBO_PROGRESS", "0")
os.environ.setdefault("MBO_THREADS", "1")  # one torch thread per worker process (the runner's thread policy reads it)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's mbo_lib, not another install

from mbo_lib.experiments import RecordStore, run_spec  # noqa: E402
from mbo_lib.experiments.locks import take_lock  # noqa: E402
from mbo_lib.reporting import family  # noqa: E402

PROGRESS = "FAMILY_PROGRESS.md"


def _label(spec) -> str:
    reg = "+IGNITE" if spec.regularizer else ""
    return f"{spec.method}{reg} {spec.task_kwargs['transcription_factor']} seed{spec.seed}"


def run(specs, store: RecordStore, max_runs: int, locks: Path, log: Path) -> int:
    """Run the missing ``specs`` in order, at most ``max_runs``; 3 if some are left, else 0."""
    import torch

    torch.set_num_threads(1)
    locks.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    ran = 0
    for spec in specs:
        if store.has(spec):
            continue
        if ran >= max_runs:
            return 3
        lock = locks / f"{spec.key}.lock"
        if not take_lock(lock):
            continue
        start = time.perf_counter()
        try:
            record = run_spec(spec, store, device="cpu", progress=False)
            line = (f"{time.strftime('%H:%M:%S')} ok {_label(spec)} wall={time.perf_counter() - start:.0f}s "
                    f"cpu={record['timings'].get('cpu_seconds', 0):.0f}s p100={record['result']['norm_p100']:.3f}")
        except Exception as exc:  # noqa: BLE001  (log it, keep going with the next spec)
            line = f"{time.strftime('%H:%M:%S')} FAIL {_label(spec)}: {exc!r}"
        finally:
            lock.unlink(missing_ok=True)
        with open(log, "a") as f:
            f.write(line + "\n")
        print(line, flush=True)
        ran += 1
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", action="store_true", help="run missing specs")
    ap.add_argument("--progress", action="store_true", help=f"rewrite records/quick/{PROGRESS}")
    ap.add_argument("--max-runs", type=int, default=2, help="runs per child process before exiting with 3")
    ap.add_argument("--factors", type=int, default=family.FAMILY_SIZE,
                    help="run only the first N factors of the sample (default: all 24)")
    ap.add_argument("--seeds", type=int, nargs="*", default=list(family.SEEDS), help="seeds (default 0 1 2 3)")
    ap.add_argument("--locks", default="/tmp/mbo-family/locks")
    ap.add_argument("--log", default="/tmp/mbo-family/family.log")
    args = ap.parse_args(argv)
    factors = family.family_sample(family.FAMILY_SIZE, family.FAMILY_SEED)
    store = RecordStore()
    rc = 0
    if args.run:
        specs = family.family_specs(factors[:args.factors], args.seeds, "quick")
        rc = run(specs, store, args.max_runs, Path(args.locks), Path(args.log))
    if args.progress:
        out = store.root / "quick" / PROGRESS
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(family.progress_table(store, factors, family.SEEDS, "quick"))
        print(out.read_text())
    return rc


if __name__ == "__main__":
    sys.exit(main())
