"""Benchmark: what one MINs run at the ``paper`` profile costs on CPU (issue 12: "MINs at paper settings stays GPU
work; say so with the cost estimate"), measured on the full task with shortened epochs and extrapolated per epoch.

A paper-profile MINs run trains a forward model (design-baselines: 1 x 1024, 100 epochs; the one IGNITE regularizes)
and a y-conditioned WGAN-GP (3 blocks of 1024, 200 epochs on TF-Bind-8, 100 on TF-Bind-10). Running one on CPU
costs hours, so this measures the three parts on the real task, at the real sizes and batch sizes, with only the
epoch counts cut, in one process, one torch thread (the per-epoch cost does not depend on the epoch count):

- forward model per epoch: the record's ``timings.train_seconds`` / forward epochs (plain, and with IGNITE at
  IGNITE's settings: the regularizer acts on this part only);
- GAN per epoch: CPU time of a run with 2 GAN epochs minus the same run with 1 (everything else equal), so the
  fixed parts (task, candidates, scoring) cancel;
- fixed: the 1-GAN-epoch run's CPU time minus its forward training and one GAN epoch.

Estimate per run = fixed + forward epochs x forward per epoch + GAN epochs x GAN per epoch (the paper profile's
epochs for the task). Train seconds are wall time (one thread: close to CPU time; the load is printed). Nothing is
written to the record store. Writes ``benchmarks/results/mins_paper_cost.{md,json}``; the notebooks' "GPU work" note
for MINs (:data:`mbo_lib.reporting.campaign.GPU_NOTES`) reads the JSON.

Usage: python benchmarks/bench_mins_paper.py [--task TFBind8-Exact-v0] [--forward-epochs 2] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

os.environ.setdefault("MBO_PROGRESS", "0")

from mbo_lib.experiments import RunSpec, execute, load_task  # noqa: E402
from mbo_lib.methods import get_method  # noqa: E402
from mbo_lib.methods.settings import settings_overrides  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _run(task: str, profile: str, seed: int, forward_epochs: int, gan_epochs: int, regularizer: dict) -> dict:
    overrides = {**settings_overrides("ignite", "MINs"), "forward_epochs": forward_epochs, "gan_epochs": gan_epochs,
                 "record_epochs": [gan_epochs]}
    cpu0 = time.process_time()
    record, _ = execute(RunSpec(task, "MINs", profile, seed, overrides=overrides, regularizer=regularizer),
                        device="cpu", progress=False)
    return {"cpu_s": time.process_time() - cpu0, "train_s": float(sum(record["timings"]["train_seconds"])),
            "method_s": float(record["timings"]["method_seconds"])}


def estimate(one: dict, two: dict, ignite: dict, forward_epochs: int, paper_forward_epochs: int,
             paper_gan_epochs: int) -> dict:
    """Per-part seconds from the three shortened runs (``cpu_s``, ``train_s`` each: 1 GAN epoch, 2 GAN epochs, 1 GAN
    epoch with IGNITE; ``forward_epochs`` forward epochs each) and the paper-epoch totals ``plain_s`` / ``ignite_s``."""
    forward, forward_ignite = one["train_s"] / forward_epochs, ignite["train_s"] / forward_epochs
    gan = two["cpu_s"] - one["cpu_s"]  # the fixed parts and the forward training are the same in both: they cancel
    fixed = max(one["cpu_s"] - one["train_s"] - gan, 0.0)
    return {"forward": forward, "forward_ignite": forward_ignite, "gan": gan, "fixed": fixed,
            "plain_s": fixed + paper_forward_epochs * forward + paper_gan_epochs * gan,
            "ignite_s": fixed + paper_forward_epochs * forward_ignite + paper_gan_epochs * gan}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="TFBind8-Exact-v0")
    ap.add_argument("--forward-epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", default="paper", help="smoke: a seconds-long check of this script (tests)")
    ap.add_argument("--out", default=str(RESULTS), help="folder for the .md and .json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.environ["MBO_THREADS"] = "1"
    load_task(args.task)  # build the task once, outside the timed runs
    _run(args.task, "smoke", args.seed, 1, 1, {})  # warm-up (imports, first allocations), not timed
    paper = get_method("MINs").config(args.profile, {}).for_task(args.task)
    load = os.getloadavg()[0]
    fe = args.forward_epochs
    one = _run(args.task, args.profile, args.seed, fe, 1, {})
    two = _run(args.task, args.profile, args.seed, fe, 2, {})
    ign = _run(args.task, args.profile, args.seed, fe, 1, {"name": "ignite"})
    parts = estimate(one, two, ign, fe, paper.forward_epochs, paper.gan_epochs)
    forward, forward_ignite, gan, fixed = (parts[k] for k in ("forward", "forward_ignite", "gan", "fixed"))
    plain_h, ignite_h = parts["plain_s"] / 3600, parts["ignite_s"] / 3600
    result = {"task": args.task, "profile": args.profile, "seed": args.seed, "load_1min": round(load, 2), "torch_threads": 1,
              "paper_forward_epochs": paper.forward_epochs, "paper_gan_epochs": paper.gan_epochs,
              "forward_hidden": list(paper.forward_hidden), "gan_hidden": paper.gan_hidden,
              "forward_s_per_epoch": round(forward, 2), "forward_ignite_s_per_epoch": round(forward_ignite, 2),
              "gan_s_per_epoch": round(gan, 2), "fixed_s": round(fixed, 2),
              "plain_cpu_hours": round(plain_h, 2), "ignite_cpu_hours": round(ignite_h, 2),
              "runs": {"gan1": one, "gan2": two, "gan1_ignite": ign}}
    cmd = (f"python benchmarks/bench_mins_paper.py --task {args.task} --forward-epochs {fe} --seed {args.seed}"
           + (f" --profile {args.profile}" if args.profile != "paper" else ""))
    lines = [
        f"# MINs at the {args.profile} profile on CPU: measured per epoch, extrapolated to the paper's epochs ({args.task})", "",
        f"Generated by `{cmd}` (one process, one torch thread, niced; 1-minute load average at the start {load:.2f} "
        "on the 2-core development machine). Forward model 1 x "
        f"{paper.forward_hidden[0]}, WGAN-GP 3 blocks of {paper.gan_hidden}; full training rows; only epochs cut.", "",
        "| part | seconds | epochs at the profile | seconds at the profile |", "|---|---|---|---|",
        f"| forward model, per epoch | {forward:.1f} | {paper.forward_epochs} | {paper.forward_epochs * forward:.0f} |",
        f"| forward model with IGNITE, per epoch | {forward_ignite:.1f} | {paper.forward_epochs} | "
        f"{paper.forward_epochs * forward_ignite:.0f} |",
        f"| GAN, per epoch (2-epoch run minus 1-epoch run, CPU) | {gan:.1f} | {paper.gan_epochs} | "
        f"{paper.gan_epochs * gan:.0f} |",
        f"| fixed (task, candidates, scoring) | {fixed:.1f} | 1 | {fixed:.0f} |", "",
        f"**Estimated CPU time of one paper-profile run: plain {plain_h:.1f} h, with IGNITE {ignite_h:.1f} h** "
        f"(one thread). The GAN dominates and is the same with and without IGNITE.",
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "mins_paper_cost" if args.task == "TFBind8-Exact-v0" else f"mins_paper_cost_{args.task}"
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    (out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
