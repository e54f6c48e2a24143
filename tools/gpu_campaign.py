"""The GPU part of the paper-settings campaign (issue 12, item 5): one short script for a lent GPU machine.

1. Runs the CUDA tests (every test whose name mentions cuda; they are skipped on machines without CUDA).
2. Runs the cells the CPU cannot afford, TF-Bind-8 at the ``paper`` profile with IGNITE's settings, seed by seed:
   GA-Ensemble-Mean and GA-Ensemble-Min (plain and IGNITE, paired seeds; the two share one training per seed and
   regularizer, :func:`mbo_lib.experiments.run_shared`, so a Mean/Min pair costs about one run), then PGS (plain),
   until the time budget would be exceeded (a unit, a pair or a single run, is started only if the elapsed time
   plus the longest unit so far fits the budget).
3. Writes the new records into the record store (``MBO_RECORDS_DIR`` or ``records/``); records say their device
   (``environment.device``, ``environment.device_name``). With ``--out DIR`` it also copies them there, keeping
   their relative paths (on the device tool: ``--out $OUT``), and writes ``DIR/gpu_campaign.json`` (what ran, how
   long, failures, the CUDA tests' result).

Usage:
    python tools/gpu_campaign.py --budget-s 480 --out "$OUT"   # on the GPU machine (run with timeout_s 600: the budget
                                                                # leaves room for the run in flight; every finished
                                                                # record is in $OUT as soon as it lands)
    python tools/gpu_campaign.py --profile smoke --device cpu --budget-s 120   # its CPU test (tests/test_gpu_campaign.py)

Cost estimates that decided what runs here (CPU, one thread, measured): GA-Ensemble at 5 x 2x2048 trains five
paper-size GA surrogates (~30 CPU-minutes each on TF-Bind-8, 3x that with IGNITE); PGS at the paper profile runs
401k CQL steps per p (about 80 CPU-hours). Neither fits a CPU session; on one GPU a GA-Ensemble pair takes minutes
(trained once for Mean and Min: half the training of two separate runs).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("MBO_PROGRESS", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mbo_lib.experiments import RecordStore, RunSpec, run_shared, run_spec  # noqa: E402
from mbo_lib.experiments.runner import shared_groups  # noqa: E402

TASK = "TFBind8-Exact-v0"
IGNITE = {"name": "ignite"}


def specs(profile: str, seeds: int, task_kwargs: dict | None = None) -> list[RunSpec]:
    """Seed-major: GA-Ensemble-Mean and -Min plain, then both with IGNITE (paired seeds; each Mean/Min pair trains
    one ensemble, :func:`mbo_lib.experiments.run_shared`), then PGS, for seeds 0..seeds-1."""
    out = []
    for seed in range(seeds):
        for reg in ({}, IGNITE):
            out += [RunSpec(TASK, method, profile, seed, regularizer=reg, task_kwargs=task_kwargs or {})
                    for method in ("GA-Ensemble-Mean", "GA-Ensemble-Min")]
    out += [RunSpec(TASK, "PGS", profile, seed, task_kwargs=task_kwargs or {}) for seed in range(seeds)]
    return out


def cuda_tests(timeout_s: float) -> dict:
    """Run the CUDA tests (pytest -k cuda) and return their exit code and last lines."""
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "tests", "-k", "cuda", "-q", "-p", "no:cacheprovider",
                               "--no-header", "-rs"], cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return {"returncode": "timeout", "seconds": time.perf_counter() - start, "tail": out.splitlines()[-15:]}
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
    return {"returncode": proc.returncode, "seconds": time.perf_counter() - start, "tail": tail}


def _deliver(out: Path | None, store: RecordStore, path: Path | None, summary: dict) -> None:
    """Copy one new record to ``out`` (keeping its path in the store) and rewrite the summary there, at once: a run
    stopped by the machine's time limit loses only the run in flight."""
    if out is None:
        return
    if path is not None:
        dest = out / "records" / path.relative_to(store.root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_campaign.json").write_text(json.dumps(summary, indent=1))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget-s", type=float, default=600, help="wall-clock budget for everything (default 600)")
    ap.add_argument("--profile", default="paper", choices=["smoke", "quick", "paper"])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=None, help="copy new records and a summary here (e.g. $OUT)")
    ap.add_argument("--skip-tests", action="store_true")
    ap.add_argument("--task-kwargs", default="{}", help="JSON task kwargs (tests use a small TF-Bind-8 subset)")
    args = ap.parse_args(argv)
    if args.budget_s <= 0:
        ap.error("--budget-s must be positive")
    start = time.perf_counter()
    summary = {"profile": args.profile, "budget_s": args.budget_s, "runs": [], "failures": []}
    if not args.skip_tests:
        summary["cuda_tests"] = cuda_tests(timeout_s=args.budget_s / 3)
        print("CUDA tests:", summary["cuda_tests"]["returncode"], *summary["cuda_tests"]["tail"][-2:], flush=True)
    store, longest = RecordStore(), 0.0
    out = Path(args.out) if args.out else None

    def landed(spec, record):  # each record is copied to --out as soon as it is saved (a pair's first too)
        summary["runs"].append({"relpath": spec.relpath, "seconds": record["timings"]["total_seconds"],
                                "device": record["environment"]["device"],
                                "norm_p100": record["result"]["norm_p100"],
                                "training_shared_with": record["extras"].get("training_shared_with")})
        _deliver(out, store, store.path(spec), summary)
        print(f"ok {spec.method}{'+ignite' if spec.regularizer else ''} seed {spec.seed}: "
              f"{record['timings']['total_seconds']:.0f} s, p100 {record['result']['norm_p100']:.3f} on "
              f"{record['environment']['device']}", flush=True)

    _deliver(out, store, None, summary)
    todo = [s for s in specs(args.profile, args.seeds, json.loads(args.task_kwargs)) if not store.has(s)]
    for group in shared_groups(todo):  # a GA-Ensemble-Mean/-Min pair is one unit: one training, two searches
        elapsed = time.perf_counter() - start
        if longest and elapsed + longest > args.budget_s:  # the first unit starts: nothing is measured yet
            summary["stopped"] = f"budget: {elapsed:.0f} s elapsed, longest unit {longest:.0f} s"
            break
        t0 = time.perf_counter()
        try:
            if len(group) > 1:
                run_shared(group, store, device=args.device, progress=False, on_record=landed)
            else:
                landed(group[0], run_spec(group[0], store, device=args.device, progress=False))
        except Exception as exc:  # noqa: BLE001  (report and go on; a pair's delivered first record is kept)
            summary["failures"].append({"specs": [s.as_dict() for s in group], "error": repr(exc)})
            _deliver(out, store, None, summary)
            print("FAIL", "/".join(s.method for s in group), group[0].seed, repr(exc), flush=True)
            continue
        longest = max(longest, time.perf_counter() - t0)
    summary["seconds"] = time.perf_counter() - start
    _deliver(out, store, None, summary)
    print(f"{len(summary['runs'])} runs, {len(summary['failures'])} failures, {summary['seconds']:.0f} s", flush=True)
    tests_failed = summary.get("cuda_tests", {}).get("returncode", 0) not in (0, 5)  # 5: no CUDA test collected
    return 1 if summary["failures"] or tests_failed else 0


if __name__ == "__main__":
    sys.exit(main())
