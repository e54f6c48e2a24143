"""Tables of ours next to published numbers (never typed in: both come from files).

Every statistic comes from :mod:`mbo_lib.stats`: a cell shows mean ± population std over seeds (design-baselines'
column, kept for continuity), ``n`` and the 95% interval on the mean (t-interval below 10 seeds, seeded BCa
bootstrap above, none for n = 1).

Ours vs a published ``mean ± std`` (:func:`comparison_table`): every source's ``±`` is the std over its trials
(``mbo_lib.stats.PUBLISHED_N``: 8 for design-bench, ROOT and Offline-RaM). The difference of the means gets a
Welch 95% interval from both sides' uncertainty (our sample std over our n seeds, the published std over its
n trials; :func:`mbo_lib.stats.compare_to_published`): ``consistent`` when that interval holds 0, ``differs``
when it does not, ``—`` when a side has no spread (our n = 1, or no published std). The older column "within
±2σ" (our mean within the published mean ± 2 published std) is kept.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .. import stats
from ..errors import InvalidInputError
from ..reference import published_scores
from ..stats import fmt_ci, fmt_pm  # noqa: F401  (fmt_pm re-exported: notebooks call rep.fmt_pm)
from ..tasks import SHORT_NAMES


def _short_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(task=frame["task"].map(lambda t: SHORT_NAMES.get(t, t)))


def ours_summary(frame: pd.DataFrame, value: str = "norm_p100") -> pd.DataFrame:
    """:func:`mbo_lib.stats.summarize` of ``value`` per (method, task short name) of a record frame: columns
    method, task, mean, std (ddof=0), n, low, high (95% interval), ci (how it was computed)."""
    if frame.empty:
        return stats.summarize(frame, value)
    return stats.summarize(_short_frame(frame), value, by=("method", "task"))


def _published_n(source: str) -> int | None:
    return stats.PUBLISHED_N.get(source)


def comparison_table(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], percentile: int = 100,
                     sources: Sequence[str] = ("design-bench", "ROOT", "Offline-RaM"),
                     not_run: dict[str, str] | None = None, k_std: float = 2.0) -> pd.DataFrame:
    """One row per (method, task): ours (mean ± std over seeds), ``n``, our ``95% CI``, and per source its published
    mean ± std, ``Δ vs <src>`` (ours − theirs), ``Δ 95% CI vs <src>`` and ``vs <src>`` (consistent / differs:
    the module docstring's rule), and ``within ±2σ <src>`` (the older check, kept).

    Args:
        frame: :func:`mbo_lib.reporting.records_frame` rows with columns method, task (ids), seed, norm_p{percentile}.
        methods: our method names; tasks: task ids or short names.
        not_run: ``{task: reason}`` for tasks whose data/oracle are absent (shown instead of numbers).
    """
    value = f"norm_p{percentile}"
    df = _short_frame(frame) if len(frame) else frame
    rows = []
    for method in methods:
        for task in tasks:
            short = SHORT_NAMES.get(task, task)
            row = {"method": method, "task": short}
            values = df[(df.method == method) & (df.task == short)][value].dropna() if len(df) else pd.Series(dtype=float)
            reason = (not_run or {}).get(task) or (not_run or {}).get(short)
            if reason:
                row.update({"ours": "not run: " + reason, "n": 0, "95% CI": "—"})
                values = pd.Series(dtype=float)
            else:
                c = stats.cell_stats(values)
                row.update({"ours": fmt_pm(c.mean, c.std), "n": c.n, "95% CI": fmt_ci(c.low, c.high)})
            for src in sources:
                pub = published_scores(method, short, percentile, src)
                if pub.empty:
                    row[src] = "—"
                    continue
                pm, ps = float(pub["mean"].iloc[0]), float(pub["std"].iloc[0])
                row[src] = fmt_pm(pm, ps)
                if len(values):
                    cmp = stats.compare_to_published(values, pm, ps, _published_n(src), k_std=k_std)
                    row[f"Δ vs {src}"] = f"{cmp['diff']:+.3f}"
                    row[f"Δ 95% CI vs {src}"] = fmt_ci(cmp["low"], cmp["high"])
                    row[f"vs {src}"] = cmp["verdict"]
                    if cmp["within_k_std"] is not None:
                        row[f"within ±{k_std:g}σ {src}"] = "yes" if cmp["within_k_std"] else "no"
            rows.append(row)
    return pd.DataFrame(rows).fillna("—")


def describe_differences(table: pd.DataFrame, sources: Sequence[str] = ("design-bench", "ROOT", "Offline-RaM"),
                         k_std: float = 2.0) -> str:
    """Markdown bullets saying, per row of :func:`comparison_table`, how far ours is from each source: the
    difference, its 95% interval from both sides' uncertainty with the verdict, and the ±2σ check."""
    lines = []
    for _, row in table.iterrows():
        if row["ours"] in ("—",) or str(row["ours"]).startswith("not run"):
            lines.append(f"- {row['method']} on {row['task']}: {row['ours']}.")
            continue
        parts = []
        for src in sources:
            delta = row.get(f"Δ vs {src}", "—")
            if delta == "—" or pd.isna(delta):
                continue
            inside = row.get(f"within ±{k_std:g}σ {src}", "—")
            two_sigma = {"yes": f"within ±{k_std:g}σ", "no": f"outside ±{k_std:g}σ"}.get(inside, "no published std")
            ci, verdict = row.get(f"Δ 95% CI vs {src}", "—"), row.get(f"vs {src}", "—")
            both = (f"95% CI of Δ {ci}: {verdict}" if verdict in ("consistent", "differs")
                    else "no interval (a side has no spread)")
            parts.append(f"{src} {row[src]} (Δ {delta}, {both}; {two_sigma})")
        pubs = "; ".join(parts) if parts else "no published value"
        lines.append(f"- {row['method']} on {row['task']}: ours {row['ours']} (n={row['n']}, 95% CI {row['95% CI']}) "
                     f"vs {pubs}.")
    return "\n".join(lines)


def top_k_start_scores(task_id: str, k: int = 128) -> dict:
    """The ``k`` designs with the largest dataset labels (where GA, its ensembles, COMs, CMA-ES and MATCH-OPT (except
    on TF-Bind-8, where it starts from noise) start, and BO-qEI's initial pool; REINFORCE fits its start distribution
    to them): ``dbest`` (normalized best label), ``oracle_p100`` (the normalized oracle 100th percentile of those
    designs: what a method scores by returning them unchanged), and how many the oracle scores ``above`` /
    ``below`` their labels (TF-Bind-10: most; its exact oracle keeps the last of a 10-mer's several measurements)."""
    from ..experiments.runner import load_task

    task = load_task(task_id)
    y = task.y.reshape(-1)
    idx = np.argsort(-y, kind="stable")[:k]
    oracle = task.predict(task.x[idx]).reshape(-1)
    return {"dbest": float(task.normalize_score(y.max())), "oracle_p100": float(task.normalize_score(oracle.max())),
            "above": int((oracle > y[idx] + 1e-6).sum()), "below": int((oracle < y[idx] - 1e-6).sum())}


def dataset_best_table(task_ids: Sequence[str], not_run: dict[str, str] | None = None,
                       sources: Sequence[str] = ("ROOT", "Offline-RaM"), k: int = 128) -> pd.DataFrame:
    """D(best): the best normalized score already in each task's offline data, ours (computed from the data)
    next to the published D(best) rows (a check that our data and normalization match theirs), and
    ``top-k starts (oracle p100)``: the oracle's 100th percentile of the ``k`` designs with the best labels, the
    score of a method that returns those designs unchanged (:func:`top_k_start_scores`; above D(best) where the
    oracle disagrees with the labels, as on TF-Bind-10)."""
    rows = []
    for tid in task_ids:
        short = SHORT_NAMES.get(tid, tid)
        row = {"task": short}
        if not_run and tid in not_run:
            row["ours"] = "not run: " + not_run[tid]
            row[f"top-{k} starts (oracle p100)"] = "—"
        else:
            st = top_k_start_scores(tid, k)
            row["ours"] = f"{st['dbest']:.3f}"
            row[f"top-{k} starts (oracle p100)"] = f"{st['oracle_p100']:.3f}"
        for src in sources:
            pub = published_scores("D(best)", short, 100, src)
            row[src] = "—" if pub.empty else f"{float(pub['mean'].iloc[0]):.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def start_floor_table(frame: pd.DataFrame, by: Sequence[str] = ("method", "regularizer"), k: int = 128,
                      tol: float = 1e-6) -> pd.DataFrame:
    """Per task and ``by`` group of a runs frame: how many runs' 100th percentile equals (within ``tol``) the oracle
    100th percentile of the data's top-``k`` designs (:func:`top_k_start_scores`, the score of returning them
    unchanged) and how many are not above it. Where most runs of both sides sit at that score, a paired gain at the
    100th percentile is near zero by construction, whatever the regularizer did to the surrogate.

    Columns: ``task`` (short name), the ``by`` columns, ``n``, ``start p100``, ``mean p100``, ``= start``,
    ``<= start``."""
    missing = [c for c in ("task", "norm_p100", *by) if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"start_floor_table: the frame lacks column(s) {missing} (a records_frame has them)")
    starts = {tid: top_k_start_scores(tid, k)["oracle_p100"] for tid in frame["task"].unique()}  # once per task
    rows = []
    for keys, sub in frame.groupby(["task", *by], sort=False, dropna=False):
        tid = keys[0]
        start = starts[tid]
        p100 = sub["norm_p100"].to_numpy(dtype=float)
        rows.append({"task": SHORT_NAMES.get(tid, tid), **dict(zip(by, keys[1:])), "n": len(p100),
                     "start p100": round(start, 3), "mean p100": round(float(p100.mean()), 3),
                     "= start": int((np.abs(p100 - start) <= tol).sum()), "<= start": int((p100 <= start + tol).sum())})
    return pd.DataFrame(rows, columns=["task", *by, "n", "start p100", "mean p100", "= start", "<= start"])


def variant_table(frame: pd.DataFrame, variant_col: str, variants: Sequence[str], percentiles: Sequence[int] = (100, 50),
                  digits: int = 3) -> pd.DataFrame:
    """Ours per task and percentile for each variant of a method (e.g. MATCH-OPT with alpha = 1 vs 0): per variant
    mean ± population std over seeds, ``n`` and ``95% CI``; per later variant the paired difference from the first
    on the seeds both have (:func:`mbo_lib.stats.paired_gain`): ``Δ``, its 95% interval and the verdict."""
    rows = []
    df = _short_frame(frame)
    for task in df["task"].unique():
        for p in percentiles:
            row = {"task": task, "percentile": p}
            sub = df[df.task == task]
            for v in variants:
                c = stats.cell_stats(sub[sub[variant_col] == v][f"norm_p{p}"])
                row.update({v: fmt_pm(c.mean, c.std, digits), f"n ({v})": c.n,
                            f"95% CI ({v})": fmt_ci(c.low, c.high, digits)})
            for v in variants[1:]:
                pair = stats.paired_frame(sub, f"norm_p{p}", variant_col, v, variants[0], by=("task",)).iloc[0]
                name = f"Δ {v} − {variants[0]}"
                row[name] = "—" if pair["n"] == 0 else f"{pair['diff']:+.{digits}f}"
                row[f"{name} 95% CI"] = fmt_ci(pair["diff_low"], pair["diff_high"], digits)
                row[f"{name} verdict (n={int(pair['n'])} paired)"] = pair["verdict"]
            rows.append(row)
    return pd.DataFrame(rows)
