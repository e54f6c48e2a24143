"""Reporting for PGS (Chemingui et al., AAAI 2024): the percentile sweep, OSEL's choice and its regret.

One PGS run (:mod:`mbo_lib.methods.pgs`) sweeps every ``p`` of ``top_ps``, keeps the candidates of every
(p, checkpoint) as ``steps`` (scored by the runner as the record's ``curve``; ``curve[i]["step"] ==
extras["checkpoints"][i]["key"]``) and lets OSEL pick one without the oracle. These helpers turn such records into
per-checkpoint rows and summaries; they never recompute anything.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..tasks import SHORT_NAMES
from .tables import fmt_pm, ours_summary

TIE_TOL = 1e-9  # oracle scores closer than this are the same design's score

CHECKPOINT_COLUMNS = ["task", "seed", "regularizer", "key", "top_p", "rl_steps", "osel_score", "surrogate_max",
                      "selected"]


def checkpoint_frame(records: list[dict]) -> pd.DataFrame:
    """One row per (PGS run, checkpoint): task (short name), seed, regularizer name ("" for none), ``key``,
    ``top_p``, ``rl_steps``, ``osel_score`` (max k-NN prediction, normalized y), ``surrogate_max``, ``selected``
    (OSEL's pick) and the oracle's ``norm_p*`` of that checkpoint's 128 candidates (from the record's curve)."""
    rows = []
    for r in records:
        curve = {c["step"]: c for c in r.get("curve", [])}
        reg = (r["spec"].get("regularizer") or {}).get("name", "")
        task = SHORT_NAMES.get(r["spec"]["task"], r["spec"]["task"])
        for c in r["extras"].get("checkpoints", []):
            scores = {k: v for k, v in curve.get(c["key"], {}).items() if k.startswith("norm_p")}
            rows.append({"task": task, "seed": r["spec"]["seed"], "regularizer": reg,
                         **{k: c[k] for k in CHECKPOINT_COLUMNS[3:]}, **scores})
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=CHECKPOINT_COLUMNS + ["norm_p100", "norm_p50"])


def _pm(values: pd.Series, digits: int) -> str:
    return fmt_pm(values.mean(), values.std(ddof=0), digits) if len(values) else "—"


def sweep_table(ckpt: pd.DataFrame, percentile: int = 100, by_checkpoint: bool = True, digits: int = 3) -> pd.DataFrame:
    """Per task and p (and RL checkpoint when ``by_checkpoint``): the oracle's normalized ``percentile`` and
    the OSEL score, each mean ± population std over seeds, ``n`` seeds and how many seeds OSEL picked the cell.

    Without ``by_checkpoint`` each p is summarized by its **last** checkpoint (the fully trained policy) and
    ``OSEL picks`` counts picks of any checkpoint of that p.
    """
    value = f"norm_p{percentile}"
    if not by_checkpoint and len(ckpt):
        last = ckpt.groupby(["task", "seed", "top_p"])["rl_steps"].transform("max")
        picks = ckpt.groupby(["task", "top_p"])["selected"].sum()
        ckpt = ckpt[ckpt.rl_steps == last]
    keys = ["task", "top_p"] + (["rl_steps"] if by_checkpoint else [])
    rows = []
    for group, sub in (ckpt.groupby(keys, sort=True) if len(ckpt) else []):
        row = dict(zip(keys, group))
        row[f"oracle p{percentile}"] = _pm(sub[value], digits)
        row["OSEL score"] = _pm(sub["osel_score"], digits)
        row["n"] = int(sub["seed"].nunique())
        row["OSEL picks"] = int(sub["selected"].sum() if by_checkpoint else picks.loc[(row["task"], row["top_p"])])
        rows.append(row)
    out = pd.DataFrame(rows, columns=keys + [f"oracle p{percentile}", "OSEL score", "n", "OSEL picks"])
    return _in_task_order(out, ckpt, keys[1:])


def osel_regret(ckpt: pd.DataFrame, percentile: int = 100, reference_p: float = 20) -> pd.DataFrame:
    """Per task and seed: OSEL's pick (p, RL steps) and its oracle score, the oracle-best (p, checkpoint) of the
    run (the first one on ties) and ``regret = best - pick`` (>= 0; 0 when OSEL's pick ties the best), the best p
    among the last checkpoints and ``best p (last ckpt) − pick`` (negative when OSEL's earlier checkpoint beats
    every fully trained policy), and the official fixed choice (``reference_p`` at the last checkpoint).
    Oracle values are normalized ``percentile``."""
    value = f"norm_p{percentile}"
    rows = []
    for (task, seed), sub in (ckpt.groupby(["task", "seed"], sort=True) if len(ckpt) else []):
        pick = sub[sub.selected].iloc[0]
        best = sub.loc[sub[value].idxmax()]
        last = sub[sub.rl_steps == sub.rl_steps.max()]
        best_last = last.loc[last[value].idxmax()]
        ref = last[last.top_p == reference_p]
        rows.append({"task": task, "seed": int(seed), "OSEL pick p": pick.top_p, "OSEL pick RL steps": int(pick.rl_steps),
                     "OSEL pick": pick[value], "best p": best.top_p, "best RL steps": int(best.rl_steps),
                     "best": best[value], "regret": best[value] - pick[value], "best p (last ckpt)": best_last.top_p,
                     "best p (last ckpt) − pick": best_last[value] - pick[value],
                     f"p={reference_p:g} (last ckpt)": float(ref[value].iloc[0]) if len(ref) else np.nan})
    return _in_task_order(pd.DataFrame(rows), ckpt, ["seed"])


def _in_task_order(table: pd.DataFrame, ckpt: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    """Rows ordered by the order in which tasks first appear in ``ckpt`` (the notebook's task order), then ``then``."""
    if table.empty:
        return table
    order = {t: i for i, t in enumerate(dict.fromkeys(ckpt["task"]))}
    return (table.assign(_o=table["task"].map(order)).sort_values(["_o", *then], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def regret_summary(regret: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Per task: mean ± population std over seeds of OSEL's pick, the oracle-best (p, checkpoint), the regret,
    the fixed ``p`` column of :func:`osel_regret`, and in how many seeds OSEL's pick scored as high as the
    oracle-best (p, checkpoint) (ties count: several checkpoints often decode to the same best design)."""
    if regret.empty:
        return pd.DataFrame(columns=["task", "n"])
    fixed = [c for c in regret.columns if c.startswith("p=")][0]
    rows = []
    for task, sub in regret.groupby("task", sort=False):
        rows.append({"task": task, "n": len(sub), "OSEL pick": _pm(sub["OSEL pick"], digits),
                     "best (p, ckpt)": _pm(sub["best"], digits), "regret": _pm(sub["regret"], digits),
                     "best p (last ckpt) − pick": _pm(sub["best p (last ckpt) − pick"], digits),
                     fixed: _pm(sub[fixed].dropna(), digits),
                     "OSEL pick = best": f"{int((sub['regret'] <= TIE_TOL).sum())}/{len(sub)}"})
    return pd.DataFrame(rows)


def plot_sweep(ckpt: pd.DataFrame, task: str, percentile: int = 100, axes: Sequence | None = None):
    """Two panels for ``task``: the oracle's normalized ``percentile`` and the OSEL score against p, one line per
    RL checkpoint (mean over seeds, error bars = population std; lines shifted by +-0.6 on x to stay apart);
    OSEL's picks as black crosses (per seed, at its p, on the oracle panel). Returns the axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    sub = ckpt[ckpt.task == SHORT_NAMES.get(task, task)]
    value = f"norm_p{percentile}"
    for panel, column, label in ((axes[0], value, f"oracle, normalized {percentile}th pct."),
                                 (axes[1], "osel_score", "OSEL score (max k-NN prediction, z-scored y)")):
        groups = list(sub.groupby("rl_steps"))
        for i, (steps, line) in enumerate(groups):
            stats = line.groupby("top_p")[column].agg(["mean", lambda v: v.std(ddof=0)])
            shift = 0.6 * (i - (len(groups) - 1) / 2)  # side by side, so the error bars do not hide each other
            panel.errorbar(stats.index + shift, stats["mean"], yerr=stats.iloc[:, 1], marker="o", capsize=3,
                           label=f"{steps} RL steps")
        panel.set_xlabel("top p (%) of the data used for the trajectories")
        panel.set_ylabel(label)
    picks = sub[sub.selected]
    axes[0].scatter(picks.top_p, picks[value], marker="x", color="black", zorder=5, label="OSEL pick (per seed)")
    axes[0].legend(fontsize=7)
    return axes


def method_task_table(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str],
                      percentiles: Sequence[int] = (100, 50), not_run: dict[str, str] | None = None,
                      digits: int = 3) -> pd.DataFrame:
    """Ours only, one row per method, one column per (task, percentile): normalized score mean ± population std
    over seeds with ``(n)``; ``"—"`` without records, ``"not run"`` for tasks in ``not_run``."""
    summaries = {p: ours_summary(frame, f"norm_p{p}").set_index(["method", "task"]) for p in percentiles}
    out = {}
    for method in methods:
        row = {}
        for task in tasks:
            short = SHORT_NAMES.get(task, task)
            for p in percentiles:
                col = f"{short} p{p}"
                if not_run and (task in not_run or short in not_run):
                    row[col] = "not run"
                elif (method, short) in summaries[p].index:
                    mean, std, n = summaries[p].loc[(method, short), ["mean", "std", "n"]]
                    row[col] = f"{fmt_pm(mean, std, digits)} ({int(n)})"
                else:
                    row[col] = "—"
        out[method] = row
    return pd.DataFrame.from_dict(out, orient="index")


def rank_sentences(frame: pd.DataFrame, method: str, methods: Sequence[str], tasks: Sequence[str],
                   percentile: int = 100) -> str:
    """Markdown bullets: per task, ``method``'s mean normalized ``percentile`` score and its rank among the
    ``methods`` that have records there, with the best other method and the gap to it."""
    df = frame.assign(task=frame["task"].map(lambda t: SHORT_NAMES.get(t, t))) if len(frame) else frame
    lines = []
    for task in tasks:
        short = SHORT_NAMES.get(task, task)
        sub = df[(df.task == short) & df.method.isin(methods)] if len(df) else df
        means = sub.groupby("method")[f"norm_p{percentile}"].mean().sort_values(ascending=False) if len(sub) else None
        if means is None or method not in means.index:
            lines.append(f"- {short}: no {method} record.")
            continue
        rank = int(list(means.index).index(method)) + 1
        others = means.drop(method)
        if others.empty:
            lines.append(f"- {short}: {method} {means[method]:.3f}; no other method has records here.")
            continue
        best_other = others.index[0]
        lines.append(f"- {short}: {method} {means[method]:.3f}, rank {rank} of {len(means)}; best other "
                     f"{best_other} {others.iloc[0]:.3f} (Δ {means[method] - others.iloc[0]:+.3f}).")
    return "\n".join(lines)
