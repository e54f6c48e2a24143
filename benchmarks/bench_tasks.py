"""Benchmark: building TF-Bind-10 and querying the TF-Bind oracles, ours vs design-bench 2.0.20 on the same files.

(a) Build ``TFBind10-Exact-v0`` from the 84 pho4 shards (8.3M rows): ours with ``max_samples=None`` (the full
    filtered set, what design-bench gives) and with the default ``max_samples=10000``, against
    ``design_bench.make("TFBind10-Exact-v0")`` (then reading ``task.x`` / ``task.y``, which design-bench loads
    lazily). Each build runs in a fresh subprocess that reports its own import time and RSS after imports (the
    baseline: importing ``mbo_lib`` pulls torch and BoTorch, in both cases), the build's wall and CPU time, and
    the process's peak RSS (``VmHWM``). The issue's aim: ours at least 5x faster and at most half the memory.
(b) Oracle throughput on random designs: ours on 1M designs (integers, and logits); design-bench's per-row dict
    oracles on a smaller number of designs, extrapolated to 1M (labelled as such).

Usage: ``python benchmarks/bench_tasks.py [--data-dir DIR] [--repeats 3] [--out benchmarks/results/tasks.md]``.
design-bench's TF-Bind-10 build takes minutes (pure-Python loops over every row).
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
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


# ----- measurements inside a fresh child process ------------------------------------------------------------------
def _vm(field: str) -> float:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _random_designs(n: int, length: int, seed: int):
    import numpy as np

    return np.random.default_rng(seed).integers(0, 4, size=(n, length), dtype=np.int32)


def _oracle_rate(predict, x, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        with Clock() as c:
            predict(x)
        best = min(best, c.wall)
    return x.shape[0] / best


def child(kind: str, data_dir: str, designs: int, db_designs: int, repeats: int) -> dict:
    """One measurement; returns a JSON-able dict."""
    with Clock() as imp:
        sys.path.insert(0, str(REPO))
        import numpy as np  # noqa: F401

        from mbo_lib.tasks import make
        from mbo_lib.tasks.design_bench_compat import import_design_bench
        from mbo_lib.tasks.tfbind8 import build_tfbind8_arrays
        if kind.startswith("db"):
            db = import_design_bench(data_dir)
    out = dict(kind=kind, import_wall=imp.wall, import_rss_mb=_vm("VmRSS"))

    if kind in ("ours_full", "ours_default"):
        with Clock() as c:
            task = make("TFBind10-Exact-v0", max_samples=None if kind == "ours_full" else 10000, data_dir=data_dir)
        out.update(build_wall=c.wall, build_cpu=c.cpu, rows=int(task.x.shape[0]), peak_rss_mb=_vm("VmHWM"))
    elif kind == "db_tfbind10":
        with Clock() as c:
            task = db.make("TFBind10-Exact-v0")
        out.update(make_wall=c.wall, make_cpu=c.cpu)
        with Clock() as c2:
            x, y = task.x, task.y
        out.update(xy_wall=c2.wall, xy_cpu=c2.cpu, build_wall=c.wall + c2.wall, build_cpu=c.cpu + c2.cpu,
                   rows=int(x.shape[0]), peak_rss_mb=_vm("VmHWM"))
        q = _random_designs(db_designs, 10, 1)
        out.update(oracle_designs=db_designs, oracle_rate=_oracle_rate(task.predict, q, 1))
    elif kind == "ours_oracles":
        x8 = _random_designs(designs, 8, 1)
        x10 = _random_designs(designs, 10, 1)
        t8, t10 = make("TFBind8-Exact-v0"), make("TFBind10-Exact-v0", data_dir=data_dir)
        out.update(oracle_designs=designs,
                   tfbind8_int=_oracle_rate(t8.predict, x8, repeats),
                   tfbind8_logits=_oracle_rate(t8.predict, t8.to_logits(x8), repeats),
                   tfbind10_int=_oracle_rate(t10.predict, x10, repeats),
                   tfbind10_logits=_oracle_rate(t10.predict, t10.to_logits(x10), repeats))
    elif kind == "db_tfbind8":
        x, y = build_tfbind8_arrays()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "tf_bind_8-SIX6_REF_R1"
            folder.mkdir()
            np.save(folder / "tf_bind_8-x-0.npy", x)
            np.save(folder / "tf_bind_8-y-0.npy", y)
            import_design_bench(tmp)
            task = db.make("TFBind8-Exact-v0")
        q = _random_designs(db_designs, 8, 1)
        out.update(oracle_designs=db_designs, oracle_rate=_oracle_rate(task.predict, q, 1))
    else:
        raise ValueError(kind)
    return out


def run_child(kind: str, args) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--data-dir", str(args.data_dir), "--designs", str(args.designs),
           "--db-designs", str(args.db_designs), "--repeats", str(args.repeats)]
    env = dict(os.environ, MBO_PROGRESS="0")
    print(f"  running {kind} ...", file=sys.stderr, flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ----- report -------------------------------------------------------------------------------------------------
def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def report(builds: dict, oracles: dict, args, load_before: tuple, load_after: tuple) -> str:
    import numpy as np
    from importlib import metadata

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [
        "# Tasks: building TF-Bind-10 and querying the TF-Bind oracles (ours vs design-bench)",
        "",
        f"Generated by `benchmarks/bench_tasks.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"commit `{commit}`.",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, "
        f"NumPy {np.__version__}, design-bench {metadata.version('design-bench')}. "
        f"Load average (1 min) before / after: {load_before[0]:.1f} / {load_after[0]:.1f}"
        + (" -- the machine was shared with other jobs, so wall times are inflated; CPU times are the steadier "
           "measure." if max(load_before[0], load_after[0]) > os.cpu_count() else "."),
        "",
        "## (a) Building TFBind10-Exact-v0 from the 84 pho4 shards (8,321,066 rows)",
        "",
        "Each build in a fresh subprocess. *Import* = importing `mbo_lib` (torch, BoTorch; plus design-bench through",
        "`import_design_bench` for design-bench) and its RSS, the baseline every row pays. *Build* = after imports:",
        "ours `make(...)`; design-bench `design_bench.make(\"TFBind10-Exact-v0\")` then reading `task.x`, `task.y`",
        "(design-bench reads them lazily from the shards). *Peak RSS* = the process's high-water mark (`VmHWM`).",
        f"Ours: median of {args.repeats} runs; design-bench: one run.",
        "",
        "| build | rows | import s | import RSS MB | build wall s | build CPU s | peak RSS MB | peak above import MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"ours_full": "ours, `max_samples=None`", "ours_default": "ours, default `max_samples=10000`",
              "db_tfbind10": "design-bench `make` + `.x`/`.y`"}
    summary = {}
    for kind, runs in builds.items():
        s = {k: median([r[k] for r in runs]) for k in ("import_wall", "import_rss_mb", "build_wall", "build_cpu",
                                                        "peak_rss_mb")}
        s["rows"] = runs[0]["rows"]
        summary[kind] = s
        lines.append(f"| {labels[kind]} | {s['rows']:,} | {s['import_wall']:.1f} | {s['import_rss_mb']:.0f} | "
                     f"{s['build_wall']:.1f} | {s['build_cpu']:.1f} | {s['peak_rss_mb']:.0f} | "
                     f"{s['peak_rss_mb'] - s['import_rss_mb']:.0f} |")
    if "db_tfbind10" in builds:
        d = builds["db_tfbind10"][0]
        lines += ["", f"design-bench split: `make` {d['make_wall']:.1f} s wall / {d['make_cpu']:.1f} s CPU, "
                      f"reading `.x`/`.y` {d['xy_wall']:.1f} s wall / {d['xy_cpu']:.1f} s CPU.", ""]
        db = summary["db_tfbind10"]
        lines.append("Ours against design-bench (aim: at least 5x faster, at most half the peak memory):")
        lines.append("")
        for kind in ("ours_full", "ours_default"):
            o = summary[kind]
            speed_wall, speed_cpu = db["build_wall"] / o["build_wall"], db["build_cpu"] / o["build_cpu"]
            mem = o["peak_rss_mb"] / db["peak_rss_mb"]
            mem_above = (o["peak_rss_mb"] - o["import_rss_mb"]) / (db["peak_rss_mb"] - db["import_rss_mb"])
            ok = speed_cpu >= 5 and mem <= 0.5
            lines.append(f"- {labels[kind]}: {speed_wall:.1f}x faster (wall), {speed_cpu:.1f}x (CPU); peak RSS "
                         f"{mem:.2f} of design-bench's ({mem_above:.2f} counting only memory above the import "
                         f"baseline) -> aim {'met' if ok else 'NOT met'}.")
    lines += ["", f"## (b) Oracle throughput on random designs (best of {args.repeats} for ours)", "",
              "| oracle | designs timed | designs / s | time for 1M designs |", "|---|---:|---:|---:|"]
    o = oracles["ours_oracles"]
    for name, key in [("ours TFBind8, integers", "tfbind8_int"), ("ours TFBind8, logits", "tfbind8_logits"),
                      ("ours TFBind10, integers", "tfbind10_int"), ("ours TFBind10, logits", "tfbind10_logits")]:
        lines.append(f"| {name} | {o['oracle_designs']:,} | {o[key]:,.0f} | {1e6 / o[key]:.3f} s |")
    for name, kind in [("design-bench TFBind8 (dict, per row)", "db_tfbind8"),
                       ("design-bench TFBind10 (dict, per row)", "db_tfbind10")]:
        if kind in oracles:
            r = oracles[kind]
            lines.append(f"| {name} | {r['oracle_designs']:,} | {r['oracle_rate']:,.0f} | "
                         f"{1e6 / r['oracle_rate']:.1f} s (extrapolated) |")
    lines += ["", "Both oracles give identical values on the same designs (tests/tasks/test_tfbind.py).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="design-bench-layout folder holding tf_bind_10-pho4/ (default: MBO_DATA_DIR)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each of our builds / oracle timings")
    parser.add_argument("--designs", type=int, default=1_000_000, help="random designs for our oracles")
    parser.add_argument("--db-designs", type=int, default=20_000, help="random designs for design-bench's oracles")
    parser.add_argument("--skip-design-bench", action="store_true", help="only measure ours (fast)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "tasks.md",
                        help="the Markdown results file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, str(args.data_dir), args.designs, args.db_designs, args.repeats)))
        return

    if args.data_dir is None:
        from mbo_lib.config import data_dir

        args.data_dir = data_dir()
    load_before = os.getloadavg()
    builds = {"ours_full": [run_child("ours_full", args) for _ in range(args.repeats)],
              "ours_default": [run_child("ours_default", args) for _ in range(args.repeats)]}
    oracles = {"ours_oracles": run_child("ours_oracles", args)}
    if not args.skip_design_bench:
        oracles["db_tfbind8"] = run_child("db_tfbind8", args)
        db10 = run_child("db_tfbind10", args)
        builds["db_tfbind10"], oracles["db_tfbind10"] = [db10], db10
    text = report(builds, oracles, args, load_before, os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
