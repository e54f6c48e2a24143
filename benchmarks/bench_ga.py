"""Benchmark: one GA run at the quick profile on TF-Bind-8 (time and score), records not reused.

Usage: python benchmarks/bench_ga.py [--seeds 0 1] [--threads N]
Writes benchmarks/results/ga.md.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

os.environ.setdefault("MBO_PROGRESS", "0")

from mbo_lib.experiments import RunSpec, execute, load_task  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ["MBO_THREADS"] = str(args.threads)  # execute() applies the thread policy (mbo_lib/threads.py)
    load_task("TFBind8-Exact-v0")  # build once; the task build is timed by bench_tasks.py
    lines = ["# GA, quick profile, TF-Bind-8 (one run = train the surrogate + 200 ascent steps + scoring)", "",
             f"torch threads: {args.threads}; cpu count: {os.cpu_count()}", "",
             "| seed | wall time (s) | surrogate training (s) | norm. 100th pct. | norm. 50th pct. |", "|---|---|---|---|---|"]
    for seed in args.seeds:
        start = time.perf_counter()
        record, _ = execute(RunSpec("TFBind8-Exact-v0", "GA", "quick", seed), progress=False)
        wall = time.perf_counter() - start
        r = record["result"]
        lines.append(f"| {seed} | {wall:.1f} | {record['timings']['train_seconds'][0]:.1f} | {r['norm_p100']:.3f} | "
                     f"{r['norm_p50']:.3f} |")
        print(lines[-1], flush=True)
    out = Path(__file__).resolve().parent / "results" / "ga.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
