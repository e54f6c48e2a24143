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

import pandas as pd

from .. import stats
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


def dataset_best_table(task_ids: Sequence[str], not_run: dict[str, str] | None = None,
                       sources: Sequence[str] = ("ROOT", "Offline-RaM")) -> pd.DataFrame:
    """D(best): the best normalized score already in each task's offline data, ours (computed from the data)
    next to the published D(best) rows (a check that our data and normalization match theirs)."""
    from ..experiments.runner import load_task

    rows = []
    for tid in task_ids:
        short = SHORT_NAMES.get(tid, tid)
        row = {"task": short}
        if not_run and tid in not_run:
            row["ours"] = "not run: " + not_run[tid]
        else:
            task = load_task(tid)
            row["ours"] = f"{float(task.normalize_score(task.y.max())):.3f}"
        for src in sources:
            pub = published_scores("D(best)", short, 100, src)
            row[src] = "—" if pub.empty else f"{float(pub['mean'].iloc[0]):.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


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
