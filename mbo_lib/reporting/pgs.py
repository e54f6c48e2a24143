"""Reporting for PGS (Chemingui et al., AAAI 2024): the percentile sweep, OSEL's choice and its regret.

One PGS run (:mod:`mbo_lib.methods.pgs`) sweeps every ``p`` of ``top_ps``, keeps the candidates of every
(p, checkpoint) as ``steps`` (scored by the runner as the record's ``curve``; ``curve[i]["step"] ==
extras["checkpoints"][i]["key"]``) and lets OSEL pick one without the oracle. The per-checkpoint rows come from
``records_frame(records, kind="checkpoints", short_names=True)`` (:mod:`mbo_lib.experiments.record`); these
helpers drop the constant-policy ablation runs (``policy="constant"``, claim P3; :func:`learned_policy_rows`) and
summarize the rest with :mod:`mbo_lib.stats` (cells: ``mean ± population std [95% CI]`` over seeds, n) and
never recompute anything.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .. import stats
from ..tasks import SHORT_NAMES
from .tables import ours_summary

TIE_TOL = 1e-9  # oracle scores closer than this are the same design's score
CONSTANT = "constant"  # PGS's ``policy`` ablation (claim P3): no learned policy, one constant-step search


def record_policy(record: dict) -> str:
    """A PGS record's step-size policy: ``hyperparameters["policy"]`` (``"learned"`` for records made before the
    field existed)."""
    return (record.get("hyperparameters") or {}).get("policy", "learned")


def learned_policy_records(records: Sequence[dict]) -> list[dict]:
    """The records of ``records`` that are not constant-policy ablation runs (claim P3 reads those separately)."""
    return [r for r in records if record_policy(r) != CONSTANT]


def learned_policy_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of a records frame (any kind) that are not constant-policy PGS runs: the ablation's spec carries
    ``{"policy": "constant"}`` in its overrides (the learned policy is every profile's default, so it never does),
    and its single checkpoint has ``top_p`` None. Used by every table here, so the ablation never enters them."""
    if frame.empty or "overrides" not in frame.columns:
        return frame
    constant = frame["overrides"].map(lambda o: _override(o, "policy") == CONSTANT)
    out = frame[~constant]
    p = out["top_p"] if constant.any() and "top_p" in out.columns else None
    if p is not None and p.notna().all() and (p.astype(float) % 1 == 0).all():
        out = out.assign(top_p=p.astype("int64"))  # the ablation's None had made the column float
    return out


def _override(overrides: str, name: str):
    import json

    try:
        return json.loads(overrides or "{}").get(name)
    except (TypeError, ValueError):
        return None


def _pm(values: pd.Series, digits: int) -> str:
    """``mean ± population std [95% CI]`` of one cell (:func:`mbo_lib.stats.fmt_inline`)."""
    return stats.fmt_inline(stats.cell_stats(values), digits)


def sweep_table(ckpt: pd.DataFrame, percentile: int = 100, by_checkpoint: bool = True, digits: int = 3) -> pd.DataFrame:
    """Per task and p (and RL checkpoint when ``by_checkpoint``): the oracle's normalized ``percentile`` and
    the OSEL score, each ``mean ± population std [95% CI]`` over seeds, ``n`` seeds and how many seeds OSEL
    picked the cell. ``ckpt``: ``records_frame(records, kind="checkpoints", short_names=True)``.

    Without ``by_checkpoint`` each p is summarized by its **last** checkpoint (the fully trained policy) and
    ``OSEL picks`` counts picks of any checkpoint of that p.
    """
    value = f"norm_p{percentile}"
    ckpt = learned_policy_rows(ckpt)
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
    ckpt = learned_policy_rows(ckpt)
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
    """Per task: ``mean ± population std [95% CI]`` over seeds of OSEL's pick, the oracle-best (p, checkpoint), the regret,
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
    RL checkpoint (mean over seeds, error bars = 95% interval of the mean, none for one seed; lines shifted by
    +-0.6 on x to stay apart);
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
            cells = stats.summarize(line, column, by=("top_p",)).sort_values("top_p")
            shift = 0.6 * (i - (len(groups) - 1) / 2)  # side by side, so the error bars do not hide each other
            err = np.vstack([cells["mean"] - cells["low"], cells["high"] - cells["mean"]]).astype(float)
            panel.errorbar(cells.top_p + shift, cells["mean"], yerr=np.nan_to_num(err), marker="o", capsize=3,
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
    """Ours only, one row per method, one column per (task, percentile): normalized score
    ``mean ± population std [95% CI] (n)`` over seeds; ``"—"`` without records, ``"not run"`` for tasks in
    ``not_run``."""
    frame = learned_policy_rows(frame)
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
                    cell = summaries[p].loc[(method, short)]
                    row[col] = f"{stats.fmt_inline(cell, digits)} ({int(cell['n'])})"
                else:
                    row[col] = "—"
        out[method] = row
    return pd.DataFrame.from_dict(out, orient="index")


def rank_sentences(frame: pd.DataFrame, method: str, methods: Sequence[str], tasks: Sequence[str],
                   percentile: int = 100) -> str:
    """Markdown bullets: per task, ``method``'s mean normalized ``percentile`` score (n, 95% CI) and its rank
    among the ``methods`` that have records there (by mean), with the best other method and the gap to it."""
    frame = learned_policy_rows(frame)
    summary = ours_summary(frame[frame.method.isin(methods)] if len(frame) else frame, f"norm_p{percentile}")
    lines = []
    for task in tasks:
        short = SHORT_NAMES.get(task, task)
        cells = summary[summary.task == short].sort_values("mean", ascending=False, kind="stable").set_index("method")
        if method not in cells.index:
            lines.append(f"- {short}: no {method} record.")
            continue
        c = cells.loc[method]
        ours = f"{method} {c['mean']:.3f} (n={int(c['n'])}, 95% CI {stats.fmt_ci(c['low'], c['high'])})"
        others = cells.drop(method)
        if others.empty:
            lines.append(f"- {short}: {ours}; no other method has records here.")
            continue
        rank = int(list(cells.index).index(method)) + 1
        best, b = others.index[0], others.iloc[0]
        lines.append(f"- {short}: {ours}, rank {rank} of {len(cells)}; best other {best} {b['mean']:.3f} "
                     f"(n={int(b['n'])}) (Δ {c['mean'] - b['mean']:+.3f}).")
    return "\n".join(lines)


def regret_sentences(regret: pd.DataFrame, reference_p: float = 20) -> str:
    """Markdown, one bullet per task of :func:`osel_regret`: OSEL's pick, the oracle-best (p, checkpoint), the
    regret (each mean with its 95% interval over seeds), how often OSEL's pick tied the best, and the fixed
    ``reference_p`` at the last checkpoint against OSEL's pick (paired over seeds: the verdict of
    :func:`mbo_lib.stats.paired_gain`)."""
    fixed = f"p={reference_p:g} (last ckpt)"
    lines = []
    for task, sub in regret.groupby("task", sort=False):
        c = {k: stats.cell_stats(sub[k]) for k in ("OSEL pick", "best", "regret")}
        vs = stats.paired_gain(sub[fixed], sub["OSEL pick"])
        word = {"improves": "better than", "worsens": "worse than"}.get(vs.verdict, "not detectably different from")
        ci = lambda x: stats.fmt_ci(x.low, x.high)  # noqa: E731
        lines.append(f"- {task} (n={len(sub)}): OSEL's pick scores {c['OSEL pick'].mean:.3f} (95% CI "
                     f"{ci(c['OSEL pick'])}), the oracle-best (p, checkpoint) {c['best'].mean:.3f} ({ci(c['best'])}); "
                     f"mean regret {c['regret'].mean:.3f} ({ci(c['regret'])}), max {sub['regret'].max():.3f}; OSEL's "
                     f"pick scored as high as the oracle-best in {int((sub['regret'] <= TIE_TOL).sum())} of {len(sub)} "
                     f"seeds; the fixed p = {reference_p:g} at the last checkpoint scores {vs.with_mean:.3f}, {word} "
                     f"OSEL's pick (paired difference {vs.diff:+.3f}, 95% CI {stats.fmt_ci(vs.diff_low, vs.diff_high)}).")
    return "\n".join(lines) if lines else "No PGS records."
