"""Benchmark: torch's thread count on a quiet and on a busy machine, before and after the thread policy (issue 16).

Side by side in one run, each in a fresh process:

- ``quickstart``: ``run_all.py --profile smoke --only 00_quickstart`` (papermill + kernel);
- ``GA`` / ``COMs`` / ``MATCH-OPT``: one quick-profile run each on TF-Bind-8 (seed 0, no record store);
- each with 0, 1 and 2 busy processes beside it (niced single-threaded ``while True`` loops, one per core they
  take), under ``before`` (``MBO_THREADS=torch-default``, no ``OMP_NUM_THREADS``: torch's own default, one
  thread per core) and ``after`` (the policy of ``mbo_lib/threads.py``);
- ``GA paper step``: 20 training steps of the paper-size GA surrogate (``GaussianMLP`` 2 x 2048, batch 128, Adam,
  Gaussian NLL) in this process with 1 and with 2 torch threads, at the same loads: the measurement behind the
  policy's rule for 2048-wide models.

Reported: wall time, CPU time of the process tree (user + system), the 1-minute load average at the end, the
threads torch used (from the run's record where there is one), the ratio to the same work quiet, and the ratio
before / after. Run it on an otherwise quiet machine: ``python benchmarks/bench_threads.py`` (about half an hour on
2 cores). ``--tiny`` (smoke-size methods, 64-wide step, loads 0 and 1) only tests the script.

Writes benchmarks/results/threads.md (``--tiny``: benchmarks/results/threads-tiny.md, or ``--out``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mbo_lib import threads  # noqa: E402

METHODS = ("GA", "COMs", "MATCH-OPT")
POLICIES = {"before": {"MBO_THREADS": threads.TORCH_DEFAULT}, "after": {}}
BUSY = "import os; os.nice(10)\nwhile True: pass"
RUN_ONE = """
import json, sys
from mbo_lib.experiments import RunSpec, execute
record, _ = execute(RunSpec("TFBind8-Exact-v0", sys.argv[1], sys.argv[2], 0), device="cpu", progress=False)
print("RESULT " + json.dumps({"threads": record["environment"]["torch_threads"],
                              "norm_p100": record["result"]["norm_p100"]}))
"""


def child_env(policy: str) -> dict:
    """Our environment without thread settings, plus the policy's, quiet bars and a throwaway record store."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", threads.ENV_THREADS, threads.ENV_MAX)}
    env.update(POLICIES[policy], MBO_PROGRESS="0", PYTHONPATH=str(ROOT))
    return env


class Busy:
    """``n`` niced single-threaded busy loops (started on enter, killed by pid on exit)."""

    def __init__(self, n: int):
        self.n, self.procs = n, []

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(self.n)]
        time.sleep(1.0 if self.n else 0.0)
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


def timed_subprocess(cmd: list[str], env: dict) -> dict:
    """Wall and CPU seconds (this child and its waited-for descendants) of one command; its ``RESULT`` line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    result = next((json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")), {})
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "load": os.getloadavg()[0], **result}


def quickstart(policy: str, out_dir: Path) -> dict:
    cmd = [sys.executable, str(ROOT / "run_all.py"), "--profile", "smoke", "--only", "00_quickstart",
           "--no-progress", "--no-report", "--output-dir", str(out_dir)]
    return timed_subprocess(cmd, child_env(policy))


def method_run(method: str, profile: str, policy: str) -> dict:
    return timed_subprocess([sys.executable, "-c", RUN_ONE, method, profile], child_env(policy))


def paper_step(count: int, width: int, steps: int) -> dict:
    """``steps`` Adam steps of a ``GaussianMLP(32, [width, width])`` (TF-Bind-8 logits are 32 wide), batch 128."""
    import torch

    from mbo_lib.surrogates.models import GaussianMLP

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        torch.manual_seed(0)
        model = GaussianMLP(32, [width, width])
        opt = torch.optim.Adam(model.parameters(), lr=3e-4)
        x, y = torch.randn(128, 32), torch.randn(128, 1)

        def step():
            mean, logstd = model.mean_logstd(x)
            loss = (logstd + 0.5 * ((y - mean) / logstd.exp()) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        step()  # warm-up
        cpu0, start = time.process_time(), time.perf_counter()
        for _ in range(steps):
            step()
        return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu0, "load": os.getloadavg()[0],
                "threads": count}
    finally:
        torch.set_num_threads(previous)


def measure(args) -> list[dict]:
    rows = []
    profile = "smoke" if args.tiny else "quick"
    loads = (0, 1) if args.tiny else (0, 1, 2)
    width, steps = (64, 5) if args.tiny else (2048, 20)
    work = [w for w in args.workloads if w != "step"]
    with tempfile.TemporaryDirectory(prefix="bench-threads-") as tmp:
        for busy in loads:
            with Busy(busy):
                for name in work:
                    for policy in POLICIES:
                        if name == "quickstart":
                            r = quickstart(policy, Path(tmp) / f"{policy}-{busy}")
                        else:
                            r = method_run(name, profile, policy)
                        rows.append({"work": name if name == "quickstart" else f"{name} {profile}", "busy": busy,
                                     "policy": policy, **r})
                        print(_fmt(rows[-1]), flush=True)
                if "step" in args.workloads:
                    for count in (1, 2):
                        r = paper_step(count, width, steps)
                        rows.append({"work": f"GA step {width}x{width}", "busy": busy, "policy": f"{count} thread(s)",
                                     **r})
                        print(_fmt(rows[-1]), flush=True)
    return rows


def _fmt(r: dict) -> str:
    return (f"{r['work']:<24} busy={r['busy']} {r['policy']:<12} wall {r['wall']:9.3f} s  cpu {r['cpu']:9.3f} s  "
            f"load {r['load']:.2f}  threads {r.get('threads', '-')}")


def table(rows: list[dict]) -> list[str]:
    quiet = {(r["work"], r["policy"]): r["wall"] for r in rows if r["busy"] == 0}
    after = {(r["work"], r["busy"]): r["wall"] for r in rows if r["policy"] == "after"}
    one = {(r["work"], r["busy"]): r["wall"] for r in rows if r["policy"] == "1 thread(s)"}
    lines = ["| work | busy processes | setting | torch threads | wall (s) | CPU (s) | load (1 min) | wall / quiet | "
             "wall / after (or / 1 thread) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        base = after.get((r["work"], r["busy"])) or one.get((r["work"], r["busy"]))
        lines.append(f"| {r['work']} | {r['busy']} | {r['policy']} | {r.get('threads', '—')} | {r['wall']:.3f} | "
                     f"{r['cpu']:.3f} | {r['load']:.2f} | {r['wall'] / quiet[(r['work'], r['policy'])]:.2f} | "
                     f"{r['wall'] / base:.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="smoke-size methods, a 64-wide step, loads 0 and 1 "
                                                            "(tests the script; the numbers mean nothing)")
    parser.add_argument("--workloads", nargs="+", default=["quickstart", *METHODS, "step"],
                        choices=["quickstart", *METHODS, "step"], help="what to measure (default: all)")
    parser.add_argument("--out", help="the Markdown file to write")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / (
        "threads-tiny.md" if args.tiny else "threads.md")
    load_start = os.getloadavg()
    start = time.perf_counter()
    rows = measure(args)
    lines = ["# Torch threads, quiet and busy, before and after the thread policy (`benchmarks/bench_threads.py`)", "",
             f"{platform.processor() or platform.machine()}, {threads.allowed_cores()} allowed cores, torch "
             f"{__import__('torch').__version__}; 1-min load average at start {load_start[0]:.2f}, whole benchmark "
             f"{time.perf_counter() - start:.0f} s" + ("; **--tiny: a test of the script, not a measurement**"
                                                       if args.tiny else ""), "",
             "before = `MBO_THREADS=torch-default` (torch's default: one thread per core); after = the policy of "
             "`mbo_lib/threads.py`. Busy processes: niced single-threaded `while True` loops. CPU = user + system "
             "time of the process tree.", "", *table(rows), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
