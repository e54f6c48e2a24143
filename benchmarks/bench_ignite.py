"""Benchmark: the cost of one IGNITE training step relative to the plain step (same model, same trainer).

Model: ``GaussianMLP`` (design-baselines' ForwardModel) at the quick size 256 x 256 and the paper size
2048 x 2048; input dim 24 (TF-Bind-8 logits: 8 positions x 3); batch 128; Gaussian NLL; Adam. A "step" is what
``train_surrogate`` does per minibatch: forward, backward, hooks, Adam step. Each timing is one epoch of
``--batches`` minibatches through ``train_surrogate`` (no validation), divided by the number of minibatches;
plain, finite-difference and double-backward epochs are interleaved ``--reps`` times and the median is kept,
so slow drifts of a shared machine hit all three alike. Goal: IGNITE at most 3x the plain step.

Usage: python benchmarks/bench_ignite.py [--reps 5] [--batches 20] [--threads N]
Writes benchmarks/results/ignite.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("MBO_PROGRESS", "0")

from mbo_lib.objectives import gaussian_nll, regularizer_factory  # noqa: E402
from mbo_lib.surrogates import GaussianMLP, TrainConfig, train_surrogate  # noqa: E402

IN_DIM, BATCH = 24, 128
VARIANTS = {"plain": None, "IGNITE finite difference": {"name": "ignite", "hvp": "finite_difference"},
            "IGNITE double backward": {"name": "ignite", "hvp": "double_backward"}}


def seconds_per_step(hidden: int, regularizer: dict | None, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(wall seconds, CPU seconds of this process)`` per minibatch step."""
    torch.manual_seed(0)
    model = GaussianMLP(IN_DIM, (hidden, hidden))
    hooks = regularizer_factory(regularizer)() if regularizer else []
    config = TrainConfig(epochs=1, batch_size=BATCH, val_size=0)
    wall, cpu = time.perf_counter(), time.process_time()
    train_surrogate(model, x, y, gaussian_nll, config, seed=0, hooks=hooks, progress=False)
    steps = x.shape[0] // BATCH
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 2048])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH * args.batches, IN_DIM)).astype(np.float32)
    y = rng.normal(size=(x.shape[0], 1)).astype(np.float32)
    load_before = os.getloadavg()[0]
    rows = []
    for hidden in args.sizes:
        seconds_per_step(hidden, None, x[:BATCH * 2], y[:BATCH * 2])  # warm-up
        wall, cpu = {name: [] for name in VARIANTS}, {name: [] for name in VARIANTS}
        for _ in range(args.reps):
            for name, reg in VARIANTS.items():
                w, c = seconds_per_step(hidden, reg, x, y)
                wall[name].append(w)
                cpu[name].append(c)
        plain_wall, plain_cpu = statistics.median(wall["plain"]), statistics.median(cpu["plain"])
        for name in VARIANTS:
            w, c = statistics.median(wall[name]), statistics.median(cpu[name])
            rows.append(f"| {hidden} x {hidden} | {name} | {1e3 * w:.1f} | {w / plain_wall:.2f} | {1e3 * c:.1f} | "
                        f"{c / plain_cpu:.2f} |")
            print(rows[-1], flush=True)
    lines = ["# IGNITE training step vs plain step (GaussianMLP, input dim 24, batch 128, Gaussian NLL, Adam)", "",
             f"Per-step time = one `train_surrogate` epoch of {args.batches} minibatches / {args.batches}; median "
             f"over {args.reps} interleaved repetitions; ratio = median / plain median. Wall = `time.perf_counter`; "
             "CPU = `time.process_time` of this process, which on a shared machine is far less sensitive to other "
             "processes taking the cores (with one torch thread it is the work done). "
             f"torch {torch.__version__}, threads: {args.threads}, cpu count: {os.cpu_count()}, "
             f"1-min load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f}.", "",
             "| hidden | step | wall ms/step | wall ratio | CPU ms/step | CPU ratio |", "|---|---|---|---|---|---|",
             *rows, "",
             "Finite difference = the official IGNITE update: two extra gradient evaluations of the mean prediction "
             "(at w and at w + r d/||d||) plus a parameter save/restore. Double backward = one gradient with "
             "create_graph plus the backward of its norm (exact H d / ||d||).", ""]
    out = Path(__file__).resolve().parent / "results" / "ignite.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
