"""Background grid for the IGNITE notebooks: quick-profile records with a regularizer, one by one, in priority order.

(a) IGNITE on the nine baselines x TF-Bind-8, TF-Bind-10 x seeds 0-3 (seed-major, so every cell gets seeds early);
(b) IGNITE-2 on GA and COMs x TF-Bind-8, TF-Bind-10 x seeds 0-3;
(d) IGNITE-2 on the other seven baselines x TF-Bind-10, then TF-Bind-8, x seeds 0-3 (last: the gain table's
    IGNITE-2 section);
(c) the sensitivity grid (epsilon, eta_lambda) for GA and COMs on TF-Bind-10 (the paper's task), seeds 0-3;
(r) re-runs of plain GA (TF-Bind-8, TF-Bind-10, seeds 0-3) whose committed record predates the runner's
    ``surrogate_grad_norm_on_candidates`` field, which the sharpness notebook needs (same spec, same code path:
    the scores come out identical; the old record is replaced).

Run as a loop of short child processes (each runs at most ``--max-runs`` specs, then exits with 3) so a method
registered or fixed while the grid runs is picked up by the next child:

    while nice .venv/bin/python tools/ignite_grid.py --worker 0; [ $? -ne 0 ]; do sleep 1; done

Exit codes: 0 all done; 3 more to run; 4 only unregistered methods left (retry later). Worker 1 takes (r) and
(b) for seeds 0-1 first, then helps with (a), then the rest. A lock file per spec keeps two workers off the same
run. One line per run goes to ``--log`` (wall time of the whole ``run_spec`` call, including building the task).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MBO_PROGRESS", "0")

import torch  # noqa: E402

from mbo_lib.experiments import RecordStore, RunSpec, run_spec  # noqa: E402
from mbo_lib.methods import method_names  # noqa: E402

BASELINES = ["GA", "COMs", "REINFORCE", "GA-Ensemble-Mean", "GA-Ensemble-Min", "CMA-ES", "BO-qEI", "CbAS", "MINs"]
TASKS = ["TFBind8-Exact-v0", "TFBind10-Exact-v0"]
EPSILONS = [0.01, 0.05, 0.1, 0.2, 0.5]
ETAS = [1e-4, 1e-3, 1e-2]


def sensitivity_regularizers() -> list[dict]:
    """The sensitivity configs; the default (epsilon 0.1, eta 1e-3) is the plain ``{"name": "ignite"}`` of (a)."""
    regs = [{"name": "ignite", "epsilon": e} for e in EPSILONS if e != 0.1]
    regs += [{"name": "ignite", "eta_lambda": e} for e in ETAS if e != 1e-3]
    return regs


def queues(profile: str = "quick") -> tuple[list[RunSpec], list[RunSpec], list[RunSpec]]:
    a = [RunSpec(task=t, method=m, profile=profile, seed=s, regularizer={"name": "ignite"})
         for s in range(4) for t in TASKS for m in BASELINES]
    b = [RunSpec(task=t, method=m, profile=profile, seed=s, regularizer={"name": "ignite2"})
         for s in range(4) for t in TASKS[::-1] for m in ["GA", "COMs"]]
    c = [RunSpec(task=TASKS[1], method=m, profile=profile, seed=s, regularizer=reg)
         for s in range(4) for reg in sensitivity_regularizers() for m in ["GA", "COMs"]]
    return a, b, c


def ignite2_rest(profile: str = "quick") -> list[RunSpec]:
    return [RunSpec(task=t, method=m, profile=profile, seed=s, regularizer={"name": "ignite2"})
            for t in TASKS[::-1] for s in range(4) for m in BASELINES if m not in ("GA", "COMs")]


def reruns(profile: str = "quick") -> list[RunSpec]:
    return [RunSpec(task=t, method="GA", profile=profile, seed=s) for t in TASKS for s in range(4)]


def lacks_candidate_grad_norm(store: RecordStore, spec: RunSpec) -> bool:
    """A finished record without the runner's ``surrogate_grad_norm_on_candidates`` (older code)."""
    if not store.has(spec):
        return False
    return "surrogate_grad_norm_on_candidates" not in json.dumps(store.load(spec))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", type=int, default=0, choices=[0, 1])
    ap.add_argument("--max-runs", type=int, default=3)
    ap.add_argument("--log", default="/tmp/ignite-notebooks/grid.log")
    ap.add_argument("--locks", default="/tmp/ignite-notebooks/locks")
    args = ap.parse_args()
    torch.set_num_threads(1)
    a, b, c = queues()
    main_store, known = RecordStore(), set(method_names())
    r = [(spec, main_store) for spec in reruns() if lacks_candidate_grad_norm(main_store, spec)]
    d = [(spec, main_store) for spec in ignite2_rest()]
    a, b, c = ([(spec, main_store) for spec in q] for q in (a, b, c))
    two = lambda q: [x for x in q if x[0].seed < 2]  # noqa: E731  (seeds 0-1 of a queue first)
    rest = lambda q: [x for x in q if x[0].seed >= 2]  # noqa: E731
    cheap = lambda q: [x for x in q if x[0].task == TASKS[1]]  # noqa: E731  (TF-Bind-10 runs take seconds)
    dear = lambda q: [x for x in q if x[0].task != TASKS[1]]  # noqa: E731
    order = (two(a) + cheap(b) + cheap(c) + r + rest(a) + dear(b) + d if args.worker == 0 else two(r) + two(b) + a + rest(r) + rest(b) + c + d)
    Path(args.locks).mkdir(parents=True, exist_ok=True)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    ran, unregistered = 0, 0
    for spec, store in order:
        rerun = (spec, store) in r
        if store.has(spec) and not rerun:
            continue
        if spec.method not in known:
            unregistered += 1
            continue
        if ran >= args.max_runs:
            return 3
        lock = Path(args.locks) / f"{spec.key}{'-rerun' if rerun else ''}.lock"
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.close(fd)
        start = time.perf_counter()
        if rerun and store.has(spec):
            store.path(spec).unlink()
        try:
            record = run_spec(spec, store, device="cpu", progress=False)
            wall = time.perf_counter() - start
            line = (f"{time.strftime('%H:%M:%S')} ok {spec.method}+{spec.regularizer} {spec.task} seed{spec.seed} "
                    f"wall={wall:.1f}s method={record['timings']['method_seconds']:.1f}s "
                    f"p100={record['result']['norm_p100']:.3f}")
        except Exception as exc:  # noqa: BLE001  (log and go on with the next spec)
            line = f"{time.strftime('%H:%M:%S')} FAIL {spec.method}+{spec.regularizer} {spec.task} seed{spec.seed}: {exc!r}"
        with open(args.log, "a") as f:
            f.write(line + "\n")
        ran += 1
    return 4 if unregistered else 0


if __name__ == "__main__":
    sys.exit(main())
