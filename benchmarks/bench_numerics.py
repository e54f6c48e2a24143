"""Benchmark: portable numerics (issue 30) -- do the scores keep their bits whatever kernel paths the CPU offers, and
what do the portable settings cost?

One machine cannot be three CPUs, but the two libraries that pick kernels by CPU can be told to use less:
``ATEN_CPU_CAPABILITY`` caps torch's own kernels (AVX512 / AVX2 / scalar ``default``), ``MKL_ENABLE_INSTRUCTIONS``
caps MKL's (AVX512 / AVX2 / SSE4_2). Three stand-ins for CPUs:

- ``avx512``: no cap (on an AVX-512 machine: torch AVX512, MKL's widest path);
- ``avx2``: ``ATEN_CPU_CAPABILITY=avx2``, ``MKL_ENABLE_INSTRUCTIONS=AVX2`` (an AVX2-only CPU);
- ``sse``: ``ATEN_CPU_CAPABILITY=default``, ``MKL_ENABLE_INSTRUCTIONS=SSE4_2`` (a CPU without AVX).

Each runs the make-run cell that differed across CPUs (GA, quick, TF-Bind-8, seed 0; issue 30) in a fresh process
under ``MBO_NUMERICS=native`` and ``=portable`` (``mbo_lib.numerics.PORTABLE``; on the ``sse`` stand-in the pinned
AVX2 capability of torch stands in for a CPU that has it, so that row shows MKL's side only). Reported: a hash of the
scores (``result`` and ``curve``), whether they equal the committed record's, the kernel path the record stores,
and the run's CPU time. A last part times one 128 x 2048 x 2048 float32 matrix product (the paper profile's GA
layer) in one thread under both MKL settings.

    python benchmarks/bench_numerics.py          # about 3 minutes on the 2-core machine
    python benchmarks/bench_numerics.py --tiny   # smoke-size run on Ackley: tests the script

Writes benchmarks/results/numerics.md (``--tiny``: numerics-tiny.md, or ``--out``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINES = {"avx512": {}, "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
            "sse": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}}
MODES = ("native", "portable")
RUN = """
import hashlib, json, sys, time
import mbo_lib
from mbo_lib.experiments import RunSpec, RecordStore, execute
spec = RunSpec(sys.argv[1], "GA", sys.argv[2], 0)
t = time.process_time()
r, _ = execute(spec, device="cpu", progress=False)
cpu = time.process_time() - t
path = RecordStore().path(spec)
same = None
if path.is_file():
    old = json.load(open(path))
    same = old["result"] == r["result"] and old["curve"] == r["curve"]
digest = hashlib.sha256(json.dumps([r["result"], r["curve"]], sort_keys=True).encode()).hexdigest()[:12]
print("RESULT " + json.dumps({"hash": digest, "cpu": cpu, "numerics": r["environment"]["numerics"],
                              "same_as_committed": same, "p100": r["result"]["norm_p100"]}))
"""
MATMUL = """
import sys, time, torch
torch.set_num_threads(1)
a, b = torch.randn(2048, 2048), torch.randn(128, 2048)
b @ a
t = time.process_time()
for _ in range(int(sys.argv[1])):
    b @ a
print("RESULT", (time.process_time() - t) / int(sys.argv[1]))
"""


def env_for(machine: str, mode: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "MBO_NUMERICS")}
    env.update(MACHINES[machine], MBO_NUMERICS=mode, MBO_PROGRESS="0", PYTHONPATH=str(ROOT), MBO_THREADS="1")
    if mode == "portable":  # the pinned settings replace the stand-in's torch cap (a CPU with AVX2 honours it)
        env.update({"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "COMPATIBLE"})
    return env


def result(code: str, args: list[str], env: dict):
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"run failed ({args}, {env.get('MBO_NUMERICS')}):\n{out.stderr[-3000:]}")
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[7:])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help="GA at smoke on Ackley, few matrix products")
    ap.add_argument("--out", help="where to write the markdown (default benchmarks/results/numerics.md)")
    args = ap.parse_args(argv)
    task, profile, reps = ("Ackley-Synthetic-v0", "smoke", 3) if args.tiny else ("TFBind8-Exact-v0", "quick", 30)
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / ("numerics-tiny.md" if args.tiny
                                                                            else "numerics.md")
    rows = {}
    for mode in MODES:
        for machine in MACHINES:
            rows[mode, machine] = result(RUN, [task, profile], env_for(machine, mode))
            print(mode, machine, rows[mode, machine], flush=True)
    mm = {name: result(MATMUL, [str(reps)], {**env_for("avx512", "native"), **extra})
          for name, extra in (("native", {}), ("MKL_CBWR=COMPATIBLE", {"MKL_CBWR": "COMPATIBLE"}))}
    lines = [f"# Portable numerics: same bits on any CPU path, and the cost (`benchmarks/bench_numerics.py`)", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.processor() or platform.machine()}"
             f" ({os.cpu_count()} cores; torch reports {rows['native', 'avx512']['numerics']['cpu_capability']}),"
             f" one torch thread, niced, with other work beside it (1-minute load {os.getloadavg()[0]:.1f} at the end)."
             f" Run: GA, profile `{profile}`, {task}, seed 0, each in a fresh process.", "",
             "| mode | CPU stand-in | kernel path stored | scores hash | same as committed record | norm. 100th | CPU s |",
             "|---|---|---|---|---|---|---|"]
    for (mode, machine), r in rows.items():
        n = r["numerics"]
        lines.append(f"| {mode} | {machine} | {n['cpu_capability']}+MKL:{n['mkl_cbwr']} | `{r['hash']}` | "
                     f"{r['same_as_committed']} | {r['p100']:.4f} | {r['cpu']:.1f} |")
    portable = {rows['portable', m]['hash'] for m in MACHINES}
    native = {rows['native', m]['hash'] for m in MACHINES}
    cost = sum(rows['portable', m]['cpu'] for m in MACHINES) / sum(rows['native', 'avx512']['cpu'] for _ in MACHINES)
    lines += ["", f"- native: {len(native)} distinct score hash(es) over the 3 stand-ins; portable: {len(portable)}.",
              f"- CPU time, portable (mean of 3) / native on the full-width path: {cost:.2f}x.",
              f"- One 128 x 2048 x 2048 float32 product, one thread: native {mm['native'] * 1e3:.1f} ms, "
              f"`MKL_CBWR=COMPATIBLE` {mm['MKL_CBWR=COMPATIBLE'] * 1e3:.1f} ms "
              f"({mm['MKL_CBWR=COMPATIBLE'] / mm['native']:.2f}x): the paper profile's 2048-wide surrogates pay this "
              f"on every layer."]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
