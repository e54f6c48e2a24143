"""Benchmark PGS's costly parts: trajectory synthesis, CQL steps/s (ours, and d3rlpy's CQL if importable), and the
wall time of the stored quick-profile runs.

Usage: python benchmarks/bench_pgs.py [--threads 1] [--steps 100] [--d3rlpy-path DIR] [--records-only]
Writes benchmarks/results/pgs.md (``--records-only`` keeps its timing sections and refreshes the stored-runs table). ``--d3rlpy-path`` adds a folder holding d3rlpy 2.8.1 (installed with
``pip install --target DIR --no-deps d3rlpy==2.8.1 gymnasium==1.0.0 ...``) to ``sys.path`` for the comparison;
d3rlpy is not a dependency of mbo_lib.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("MBO_PROGRESS", "0")

from mbo_lib.config import records_dir  # noqa: E402
from mbo_lib.design_space import DesignSpace  # noqa: E402
from mbo_lib.experiments import load_task  # noqa: E402
from mbo_lib.rl.cql import CQLConfig, ConservativeSAC  # noqa: E402
from mbo_lib.search.pgs_trajectories import synthesize_trajectories, top_percent_indices  # noqa: E402
from mbo_lib.surrogates.models import MLP  # noqa: E402


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def bench_synthesis(task_id: str, hidden: list[int]):
    task = load_task(task_id)
    space = DesignSpace(task)
    x, y = space.encode(task.x), space.encode_y(task.y)
    rows = top_percent_indices(y, 20)
    torch.manual_seed(0)
    model = MLP(x.shape[1], hidden).eval()
    ds, wall, cpu = timed(lambda: synthesize_trajectories(x[rows], y[rows, 0], model, num_trajectories=20000,
                                                          length=50, seed=0))
    return ds, rows.size, x.shape[1], wall, cpu


def bench_ours(ds, hidden, batch, steps):
    learner = ConservativeSAC(ds.dim, ds.dim, CQLConfig(policy_hidden=hidden, q_hidden=hidden, batch_size=batch))
    gen = torch.Generator().manual_seed(0)
    sample = lambda: ds.transitions(torch.randint(ds.num_transitions, (batch,), generator=gen))  # noqa: E731
    for _ in range(3):
        learner.update(sample())
    _, wall, cpu = timed(lambda: [learner.update(sample()) for _ in range(steps)])
    return steps / wall, steps / cpu


def bench_d3rlpy(ds, hidden, batch, steps):
    import d3rlpy

    flat = torch.arange(2000 * ds.length)  # 2,000 trajectories materialized (d3rlpy needs arrays)
    arr = {k: v.numpy() for k, v in ds.transitions(flat).items()}
    dataset = d3rlpy.dataset.MDPDataset(arr["observations"], arr["actions"], arr["rewards"][:, None],
                                        arr["dones"][:, None], action_space=d3rlpy.ActionSpace.CONTINUOUS)
    enc = d3rlpy.models.encoders.VectorEncoderFactory(hidden_units=hidden)
    cql = d3rlpy.algos.CQLConfig(batch_size=batch, actor_learning_rate=3e-4, critic_learning_rate=3e-4,
                                 temp_learning_rate=3e-4, alpha_learning_rate=0.0, initial_alpha=1.0,
                                 conservative_weight=5.0, n_action_samples=10, tau=5e-3, gamma=0.99, n_critics=2,
                                 actor_encoder_factory=enc, critic_encoder_factory=enc).create(device="cpu:0")
    fit = lambda n: cql.fit(dataset, n_steps=n, n_steps_per_epoch=n, show_progress=False, save_interval=10 ** 9,  # noqa: E731
                            logger_adapter=d3rlpy.logging.NoopAdapterFactory())
    fit(3)
    _, wall, cpu = timed(lambda: fit(steps))
    return steps / wall, steps / cpu


def stored_quick_runs():
    rows = []
    root = records_dir() / "quick" / "PGS"
    for path in sorted(root.glob("*/*.json")) if root.exists() else []:
        rec = json.loads(path.read_text())
        rl = rec["extras"]["rl"]
        rows.append((rec["task_id"], rec["spec"]["seed"], rec["timings"]["total_seconds"],
                     float(np.mean([v["rl_steps_per_second"] for v in rl.values()])),
                     float(np.mean([v["trajectory_seconds"] for v in rl.values()])),
                     rec["environment"]["torch_threads"]))
    return rows


def records_table() -> list[str]:
    runs = stored_quick_runs()
    if not runs:
        return []
    lines = ["", "## Stored quick-profile PGS runs (records/quick/PGS; wall times on the shared, overloaded machine)", "",
             "| task | seed | wall time (s) | mean CQL steps/s (wall) | mean trajectory synthesis (s) | torch threads |",
             "|---|---|---|---|---|---|"]
    return lines + [f"| {t} | {s} | {w:.0f} | {r:.1f} | {ts:.2f} | {th} |" for t, s, w, r, ts, th in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100, help="CQL steps timed per configuration")
    parser.add_argument("--d3rlpy-path", default=None)
    parser.add_argument("--records-only", action="store_true", help="only refresh the stored quick-runs table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(__file__).resolve().parent / "results" / "pgs.md"
    if args.records_only:
        kept = out.read_text().split("\n## Stored quick-profile PGS runs")[0].rstrip("\n").split("\n")
        out.write_text("\n".join(kept + records_table()) + "\n")
        print(f"wrote {out}")
        return
    lines = ["# PGS benchmark", "",
             f"torch {torch.__version__}, threads {args.threads}, cpu count {os.cpu_count()}, load average at start "
             f"{os.getloadavg()[0]:.1f} (the 2-core machine was shared: CPU-time rates are the steadier numbers).", "",
             "## Trajectory synthesis (20,000 trajectories x 50 steps, top 20%, untrained surrogate of the given size)", "",
             "| task (space) | top-20% designs | d | surrogate | wall (s) | CPU (s) |", "|---|---|---|---|---|---|"]
    datasets = {}
    for task_id, hidden in [("TFBind8-Exact-v0", [2048, 2048]), ("Ackley-Synthetic-v0", [2048, 2048])]:
        ds, n_top, d, wall, cpu = bench_synthesis(task_id, hidden)
        datasets[task_id] = ds
        lines.append(f"| {task_id} (logits / x) | {n_top} | {d} | 2 x 2048 | {wall:.2f} | {cpu:.2f} |")
        print(lines[-1], flush=True)
    lines += ["", f"## CQL update steps per second ({args.steps} steps timed after 3 warm-up steps, TF-Bind-8 logits, d = 24)", "",
              "| implementation | networks | batch | steps/s (wall) | steps/s (CPU time) | est. 1,000 steps (wall s) |",
              "|---|---|---|---|---|---|"]
    ds = datasets["TFBind8-Exact-v0"]
    configs = [([256, 256], 256, "paper"), ([128, 128], 128, "quick")]
    for hidden, batch, name in configs:
        wall_rate, cpu_rate = bench_ours(ds, hidden, batch, args.steps)
        lines.append(f"| mbo_lib ({name}) | {hidden} | {batch} | {wall_rate:.1f} | {cpu_rate:.1f} | {1000 / wall_rate:.0f} |")
        print(lines[-1], flush=True)
    if args.d3rlpy_path:
        sys.path.insert(0, args.d3rlpy_path)
    try:
        import d3rlpy
        for hidden, batch, name in configs:
            wall_rate, cpu_rate = bench_d3rlpy(ds, hidden, batch, args.steps)
            lines.append(f"| d3rlpy {d3rlpy.__version__} CQL ({name}) | {hidden} | {batch} | {wall_rate:.1f} | "
                         f"{cpu_rate:.1f} | {1000 / wall_rate:.0f} |")
            print(lines[-1], flush=True)
    except ImportError as exc:
        lines.append(f"| d3rlpy | not importable ({exc}) | | | | |")
    lines += records_table()
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
