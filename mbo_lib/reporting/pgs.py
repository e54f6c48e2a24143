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
from .tables import fmt_pm

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
    return pd.DataFrame(rows, columns=keys + [f"oracle p{percentile}", "OSEL score", "n", "OSEL picks"])


def osel_regret(ckpt: pd.DataFrame, percentile: int = 100, reference_p: float = 20) -> pd.DataFrame:
    """Per task and seed: OSEL's pick (p, RL steps) and its oracle score, the oracle-best (p, checkpoint) of the
    run and the best p at the last checkpoint, the regrets ``best - pick`` (>= 0), and the official fixed choice
    (``reference_p`` at the last checkpoint) for comparison. Oracle values are normalized ``percentile``."""
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
                     "regret vs best p (last ckpt)": best_last[value] - pick[value],
                     f"p={reference_p:g} (last ckpt)": float(ref[value].iloc[0]) if len(ref) else np.nan})
    return pd.DataFrame(rows)


def regret_summary(regret: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Per task: mean ± population std over seeds of OSEL's pick, the oracle-best (p, checkpoint), the regret,
    the fixed ``p`` column of :func:`osel_regret`, and how often OSEL picked the oracle-best p."""
    if regret.empty:
        return pd.DataFrame(columns=["task", "n"])
    fixed = [c for c in regret.columns if c.startswith("p=")][0]
    rows = []
    for task, sub in regret.groupby("task", sort=False):
        rows.append({"task": task, "n": len(sub), "OSEL pick": _pm(sub["OSEL pick"], digits),
                     "best (p, ckpt)": _pm(sub["best"], digits), "regret": _pm(sub["regret"], digits),
                     "regret vs best p (last ckpt)": _pm(sub["regret vs best p (last ckpt)"], digits),
                     fixed: _pm(sub[fixed].dropna(), digits),
                     "OSEL picked the best p": f"{int((sub['OSEL pick p'] == sub['best p']).sum())}/{len(sub)}"})
    return pd.DataFrame(rows)


def plot_sweep(ckpt: pd.DataFrame, task: str, percentile: int = 100, axes: Sequence | None = None):
    """Two panels for ``task``: the oracle's normalized ``percentile`` and the OSEL score against p, one line per
    RL checkpoint (mean over seeds, error bars = population std); OSEL's picks as black crosses (per seed, on the
    oracle panel). Returns the axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    sub = ckpt[ckpt.task == SHORT_NAMES.get(task, task)]
    value = f"norm_p{percentile}"
    for panel, column, label in ((axes[0], value, f"oracle, normalized {percentile}th pct."),
                                 (axes[1], "osel_score", "OSEL score (max k-NN prediction, z-scored y)")):
        for steps, line in sub.groupby("rl_steps"):
            stats = line.groupby("top_p")[column].agg(["mean", lambda v: v.std(ddof=0)])
            panel.errorbar(stats.index, stats["mean"], yerr=stats.iloc[:, 1], marker="o", capsize=3,
                           label=f"{steps} RL steps")
        panel.set_xlabel("top p (%) of the data used for the trajectories")
        panel.set_ylabel(label)
    picks = sub[sub.selected]
    axes[0].scatter(picks.top_p, picks[value], marker="x", color="black", zorder=5, label="OSEL pick (per seed)")
    axes[0].legend(fontsize=7)
    return axes
