"""Tables and figures of the IGNITE notebooks: gains with vs without the regularizer, sharpness on unseen
designs, sensitivity to epsilon / eta_lambda, and score along the ascent.

Every function reads run records (``run_grid`` / ``RecordStore.records``) or the frames built from them; the
paper's aggregates come from ``mbo_lib/reference/ignite_headline.json`` (:func:`ignite_headline`). Missing
numbers are ``NaN`` in frames and ``"—"`` in display tables (missing is not zero).

Gain (IGNITE, Sec. 5): ``(with - without) / without * 100`` of the mean over seeds of the normalized score,
computed only on the seeds present with AND without the regularizer (paired seeds).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..evaluation import gain_percent
from ..objectives.ignite import IGNITE2_DEFAULTS, IgniteConfig
from ..tasks import SHORT_NAMES
from .tables import fmt_pm
from .notebook import load_records  # noqa: F401  (re-exported: the notebooks call ig.load_records)

HEADLINE_PATH = Path(__file__).resolve().parent.parent / "reference" / "ignite_headline.json"
UNCHANGED_TOL = 0.1  # percent: a cell "stayed" when |gain| < this (the paper states no threshold)
RHO = IgniteConfig().rho  # IGNITE's sharpness scale (0.05)


@lru_cache(maxsize=1)
def ignite_headline() -> dict:
    """The IGNITE paper's aggregate claims (counts, average / peak gain, sharpness reduction) with their source."""
    with open(HEADLINE_PATH) as f:
        return json.load(f)


def ignite_params(regularizer: dict) -> dict:
    """The full IGNITE settings of a ``RunSpec.regularizer`` (defaults filled in); ``{}`` for none."""
    if not regularizer:
        return {}
    defaults = IGNITE2_DEFAULTS if regularizer["name"] == "ignite2" else {}
    params = {k: v for k, v in regularizer.items() if k != "name"}
    return {"name": regularizer["name"], **IgniteConfig.from_dict(params, **defaults).as_dict()}


def run_frame(records: list[dict], rho: float = RHO) -> pd.DataFrame:
    """One row per run: task, method, seed, ``regularizer`` name ("" for none), the IGNITE settings
    (``epsilon``, ``eta_lambda``; NaN without), scores ``norm_p*`` and ``sharpness`` = ``rho`` x the record's
    ``surrogate_grad_norm_on_candidates`` (NaN where the record lacks it) and the run's seconds."""
    rows = []
    for r in records:
        reg = r["spec"].get("regularizer") or {}
        params = ignite_params(reg)
        norm = r.get("surrogate_grad_norm_on_candidates")
        rows.append({"task": r["spec"]["task"], "method": r["spec"]["method"], "seed": r["spec"]["seed"],
                     "regularizer": reg.get("name", ""), "epsilon": params.get("epsilon", np.nan),
                     "eta_lambda": params.get("eta_lambda", np.nan),
                     **{k: v for k, v in r["result"].items() if k.startswith("norm_p")},
                     "sharpness": np.nan if norm is None else rho * float(norm),
                     "seconds": r.get("timings", {}).get("total_seconds", np.nan)})
    cols = ["task", "method", "seed", "regularizer", "epsilon", "eta_lambda", "sharpness", "seconds"]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=cols)


def paired_stats(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], value: str,
                 variant: str = "ignite") -> pd.DataFrame:
    """Per (method, task): mean and population std of ``value`` over the seeds present both without a
    regularizer and with ``variant``; ``n`` those seeds; NaN where a side is missing.

    ``frame`` is :func:`run_frame` restricted to the runs to compare (one config per variant).
    """
    rows = []
    for method in methods:
        for task in tasks:
            sub = frame[(frame.method == method) & (frame.task == task)] if len(frame) else frame
            base = sub[sub.regularizer == ""].set_index("seed")[value].dropna() if len(sub) else pd.Series(dtype=float)
            reg = sub[sub.regularizer == variant].set_index("seed")[value].dropna() if len(sub) else pd.Series(dtype=float)
            seeds = sorted(set(base.index) & set(reg.index))
            b, w = base.loc[seeds].to_numpy(float), reg.loc[seeds].to_numpy(float)
            rows.append({"method": method, "task": task, "n": len(seeds),
                         "without_mean": b.mean() if seeds else np.nan, "without_std": b.std() if seeds else np.nan,
                         "with_mean": w.mean() if seeds else np.nan, "with_std": w.std() if seeds else np.nan})
    return pd.DataFrame(rows)


def gains(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], percentile: int = 100,
          variant: str = "ignite") -> pd.DataFrame:
    """:func:`paired_stats` of ``norm_p{percentile}`` plus ``gain`` (percent, of the means)."""
    out = paired_stats(frame, methods, tasks, f"norm_p{percentile}", variant)
    out["gain"] = gain_percent(out["with_mean"], out["without_mean"]) if len(out) else []
    return out


def gain_table(g: pd.DataFrame, not_run: dict[str, str] | None = None, digits: int = 3,
               wide: bool = False) -> pd.DataFrame:
    """Display form of :func:`gains`: without / with as mean ± std, gain as ``+1.23%``, ``n`` paired seeds;
    tasks in ``not_run`` show ``"not run: <reason>"``; missing cells ``"—"``. ``wide``: one row per method,
    columns (task, without / with / gain % / n) as in the paper's table."""
    rows = []
    for _, r in g.iterrows():
        short = SHORT_NAMES.get(r["task"], r["task"])
        row = {"method": r["method"], "task": short}
        reason = (not_run or {}).get(r["task"]) or (not_run or {}).get(short)
        if reason:
            row.update({"without": f"not run: {reason}", "with": "—", "gain %": "—", "n": 0})
        else:
            row.update({"without": fmt_pm(r["without_mean"], r["without_std"], digits),
                        "with": fmt_pm(r["with_mean"], r["with_std"], digits),
                        "gain %": "—" if np.isnan(r["gain"]) else f"{r['gain']:+.2f}%", "n": int(r["n"])})
        rows.append(row)
    table = pd.DataFrame(rows, columns=["method", "task", "without", "with", "gain %", "n"])
    if not wide:
        return table
    order = list(dict.fromkeys(table.task))
    out = table.set_index(["method", "task"]).unstack("task").swaplevel(axis=1)
    out = out.reindex(columns=pd.MultiIndex.from_product([order, ["without", "with", "gain %", "n"]]))
    return out.reindex(list(dict.fromkeys(table.method)))


def gain_summary(g: pd.DataFrame, tol: float = UNCHANGED_TOL) -> dict:
    """The paper's summary of a gain table: cells with a gain, how many improved (gain >= ``tol`` %),
    decreased (gain <= -``tol`` %) or stayed (|gain| < ``tol`` %), the mean gain of the improved / decreased
    cells, the peak and worst gain (and where), and the mean over all cells."""
    v = g.dropna(subset=["gain"])
    up, down = v[v.gain >= tol], v[v.gain <= -tol]
    where = lambda row: f"{row['method']} / {SHORT_NAMES.get(row['task'], row['task'])}"  # noqa: E731
    return {"cells": len(v), "improved": len(up), "decreased": len(down), "unchanged": len(v) - len(up) - len(down),
            "improved_avg_gain_percent": up.gain.mean() if len(up) else np.nan,
            "decreased_avg_gain_percent": down.gain.mean() if len(down) else np.nan,
            "peak_gain_percent": v.gain.max() if len(v) else np.nan,
            "peak_where": where(v.loc[v.gain.idxmax()]) if len(v) else "—",
            "worst_gain_percent": v.gain.min() if len(v) else np.nan,
            "worst_where": where(v.loc[v.gain.idxmin()]) if len(v) else "—",
            "mean_gain_percent": v.gain.mean() if len(v) else np.nan, "tol_percent": tol}


def headline_table(summary: dict, headline: dict | None = None) -> pd.DataFrame:
    """Our :func:`gain_summary` next to the paper's headline (:func:`ignite_headline`), one row per statistic."""
    h = headline or ignite_headline()
    pct = lambda x: "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:+.2f}%"  # noqa: E731
    frac = lambda k, d: f"{d[k]}/{d['cells']}"  # noqa: E731
    rows = [
        ("improved", frac("improved", summary), frac("improved", h)),
        ("decreased", frac("decreased", summary), frac("decreased", h)),
        (f"unchanged (ours: |gain| < {summary['tol_percent']:g}%)", frac("unchanged", summary),
         f"{frac('unchanged', h)} (threshold {h['unchanged_threshold']})"),
        ("average gain of the improved cells", pct(summary["improved_avg_gain_percent"]),
         pct(h["improved_avg_gain_percent"])),
        ("peak gain", f"{pct(summary['peak_gain_percent'])} ({summary['peak_where']})",
         f"{pct(h['peak_gain_percent'])} ({h['peak_where']})"),
        ("average gain of the decreased cells", pct(summary["decreased_avg_gain_percent"]),
         pct(h["decreased_avg_gain_percent"])),
        ("worst gain", f"{pct(summary['worst_gain_percent'])} ({summary['worst_where']})", pct(h["worst_gain_percent"])),
        ("average gain over all cells", pct(summary["mean_gain_percent"]), "—"),
    ]
    return pd.DataFrame(rows, columns=["statistic", "ours", "IGNITE paper"])


def sharpness_table(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str],
                    variant: str = "ignite") -> pd.DataFrame:
    """Sharpness ``rho * ||grad_w h||`` on the final candidates without / with ``variant`` (mean ± std over
    paired seeds) and the reduction ``(1 - with / without) * 100`` of the means (NaN where missing)."""
    s = paired_stats(frame, methods, tasks, "sharpness", variant)
    s["reduction %"] = (1.0 - s["with_mean"] / s["without_mean"]) * 100.0
    s["task"] = s["task"].map(lambda t: SHORT_NAMES.get(t, t))
    s["without"] = [fmt_pm(m, sd, 4) for m, sd in zip(s.without_mean, s.without_std)]
    s["with"] = [fmt_pm(m, sd, 4) for m, sd in zip(s.with_mean, s.with_std)]
    return s


def sensitivity_frame(frame: pd.DataFrame, param: str, percentile: int = 100) -> pd.DataFrame:
    """Per (task, method, ``param`` value): mean and population std over seeds of the per-seed gain (%) of
    IGNITE runs over the plain run with the same seed, and ``n`` seeds.

    Runs enter when the OTHER swept parameter is at its default (epsilon 0.1 / eta_lambda 1e-3), so the
    epsilon curve and the eta_lambda curve share only the default run.
    """
    value, defaults = f"norm_p{percentile}", IgniteConfig()
    other = {"epsilon": "eta_lambda", "eta_lambda": "epsilon"}[param]
    base = frame[frame.regularizer == ""].set_index(["task", "method", "seed"])[value]
    reg = frame[(frame.regularizer == "ignite") & np.isclose(frame[other], getattr(defaults, other))]
    rows = []
    for (task, method, p), g in reg.groupby(["task", "method", param]):
        keys = [(task, method, s) for s in g.seed if (task, method, s) in base.index]
        if not keys:
            continue
        per_seed = gain_percent(g.set_index("seed").loc[[k[2] for k in keys], value].to_numpy(float),
                                base.loc[keys].to_numpy(float))
        rows.append({"task": task, "method": method, param: p, "gain_mean": per_seed.mean(),
                     "gain_std": per_seed.std(), "n": len(keys)})
    return pd.DataFrame(rows, columns=["task", "method", param, "gain_mean", "gain_std", "n"])


def plot_sensitivity(sens: pd.DataFrame, param: str, ax=None, label: str | None = None):
    """Gain (%) vs ``param`` (log x), one line per method, mean ± std band over seeds; a zero line."""
    ax = ax or plt.subplots(figsize=(4.5, 3.2))[1]
    for method, g in sens.groupby("method"):
        g = g.sort_values(param)
        line, = ax.plot(g[param], g.gain_mean, marker="o", ms=4, label=f"{method} (n={int(g.n.min())}-{int(g.n.max())})")
        ax.fill_between(g[param], g.gain_mean - g.gain_std, g.gain_mean + g.gain_std, alpha=0.2, color=line.get_color())
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(label or param)
    ax.set_ylabel("gain of IGNITE over plain (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return ax


def steps_frame(records: list[dict], percentile: int = 100) -> pd.DataFrame:
    """Score along the search: one row per (run, recorded step) with ``method``, ``task``, ``seed``,
    ``regularizer`` ("" / "ignite" / "ignite2"), ``step`` and ``norm_p{percentile}``."""
    value = f"norm_p{percentile}"
    rows = [{"task": r["spec"]["task"], "method": r["spec"]["method"], "seed": r["spec"]["seed"],
             "regularizer": (r["spec"].get("regularizer") or {}).get("name", ""), "step": p["step"], value: p[value]}
            for r in records for p in r.get("curve", [])]
    return pd.DataFrame(rows, columns=["task", "method", "seed", "regularizer", "step", value])


def paired_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`steps_frame` whose (task, method, seed) has a run with every regularizer present for that
    (task, method), so plain and regularized curves average over the same seeds."""
    if steps.empty:
        return steps
    per_seed = steps.groupby(["task", "method", "seed"]).regularizer.transform("nunique")
    per_method = steps.groupby(["task", "method"]).regularizer.transform("nunique")
    return steps[per_seed == per_method]


def plot_steps(steps: pd.DataFrame, method: str, ax=None, percentile: int = 100, task: str | None = None):
    """Normalized score vs step for ``method`` (on ``task``; default: all rows, i.e. one task), one line per
    regularizer (mean ± std band over seeds)."""
    value = f"norm_p{percentile}"
    ax = ax or plt.subplots(figsize=(4.5, 3.2))[1]
    rows = steps[(steps.method == method) & ((steps.task == task) if task is not None else True)]
    for reg, g in rows.groupby("regularizer"):
        stats = g.groupby("step")[value].agg(["mean", lambda s: s.std(ddof=0), "count"]).reset_index()
        stats.columns = ["step", "mean", "std", "n"]
        line, = ax.plot(stats.step, stats["mean"], marker="o", ms=3, label=f"{reg or 'plain'} (n={int(stats.n.max())})")
        ax.fill_between(stats.step, stats["mean"] - stats["std"], stats["mean"] + stats["std"], alpha=0.2,
                        color=line.get_color())
    ax.set_title(method)
    ax.set_xlabel("gradient-ascent step")
    ax.set_ylabel(f"normalized score ({percentile}th pct.)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return ax


def steps_table(steps: pd.DataFrame, percentile: int = 100) -> pd.DataFrame:
    """Mean ± std over seeds of the score at each recorded step: rows (task, method, regularizer), columns steps."""
    value = f"norm_p{percentile}"
    if steps.empty:
        return pd.DataFrame()
    steps = steps.assign(task=steps.task.map(lambda t: SHORT_NAMES.get(t, t)),
                         regularizer=steps.regularizer.replace("", "plain"))
    agg = steps.groupby(["task", "method", "regularizer", "step"])[value].agg(["mean", lambda s: s.std(ddof=0)])
    agg.columns = ["mean", "std"]
    cells = agg.apply(lambda r: fmt_pm(r["mean"], r["std"]), axis=1).unstack("step")
    return cells.fillna("—")


def records_with_grad_norm(specs, compute_missing: bool = True, device="auto") -> tuple[list[dict], pd.DataFrame]:
    """Records of ``specs`` that carry ``surrogate_grad_norm_on_candidates``.

    Records written before the runner stored that field lack it; with ``compute_missing`` such a spec is re-run
    and its record replaced (same spec, same code path: the scores must agree, and ``reruns`` shows both);
    without, it is left out. Returns ``(records, reruns)``: ``reruns`` has one row per replaced record with the
    old and the new 100th-percentile score.
    """
    from ..experiments import RecordStore, run_spec

    store = RecordStore()
    found = {r["key"]: r for r in load_records(specs, compute_missing, device, store)}
    out, rows = [], []
    for spec in specs:
        r = found.get(spec.key)
        if r is not None and r.get("surrogate_grad_norm_on_candidates") is None:
            if not compute_missing:
                continue
            store.path(spec).unlink()
            again = run_spec(spec, store, device=device)
            rows.append({"method": spec.method, "task": spec.task, "seed": spec.seed,
                         "stored norm_p100": r["result"]["norm_p100"], "rerun norm_p100": again["result"]["norm_p100"]})
            r = again
        if r is not None:
            out.append(r)
    return out, pd.DataFrame(rows, columns=["method", "task", "seed", "stored norm_p100", "rerun norm_p100"])


def ignite_training_end(records: list[dict], name: str = "ignite") -> pd.DataFrame:
    """Where IGNITE's BDMM ended: per (method, task), over the runs with ``regularizer.name == name``, the mean of the
    last epoch's multiplier ``ignite_lambda_end`` and minibatch sharpness ``ignite_sharpness`` (rho times the
    weight-gradient norm of the mean prediction; the constraint asks for <= epsilon), averaged over every surrogate
    a run trained (ensemble members each have their own multiplier), and ``n`` runs."""
    rows = []
    for r in records:
        logs = [log for log in (r.get("train") or []) if log and "ignite_lambda_end" in log[-1]]
        if (r["spec"].get("regularizer") or {}).get("name") != name or not logs:
            continue
        rows.append({"method": r["spec"]["method"], "task": SHORT_NAMES.get(r["spec"]["task"], r["spec"]["task"]),
                     "epochs": max(log[-1].get("epoch", 0) for log in logs),
                     "lambda_end": float(np.mean([log[-1]["ignite_lambda_end"] for log in logs])),
                     "sharpness": float(np.mean([log[-1].get("ignite_sharpness", np.nan) for log in logs]))})
    cols = ["method", "task", "n", "epochs", "lambda_end", "sharpness"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows).groupby(["method", "task"], sort=False)
    return df.agg(n=("epochs", "size"), epochs=("epochs", "max"), lambda_end=("lambda_end", "mean"),
                  sharpness=("sharpness", "mean")).reset_index()[cols]


def identical_cells(frame: pd.DataFrame, variant: str = "ignite", percentile: int = 100) -> list[tuple[str, str, int]]:
    """``(method, task, n)`` of the cells where every paired seed scored exactly the same without and with
    ``variant``: the regularizer did not change the method's candidates' score at all there."""
    value = f"norm_p{percentile}"
    base = frame[frame.regularizer == ""].set_index(["method", "task", "seed"])[value]
    reg = frame[frame.regularizer == variant].set_index(["method", "task", "seed"])[value]
    both = base.to_frame("without").join(reg.to_frame("with"), how="inner")
    out = []
    for (method, task), g in both.groupby(level=["method", "task"], sort=False):
        if (g["without"] == g["with"]).all():
            out.append((method, SHORT_NAMES.get(task, task), len(g)))
    return out

