"""Tables of ours next to published numbers (never typed in: both come from files)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..evaluation import aggregate
from ..reference import published_scores
from ..tasks import SHORT_NAMES


def fmt_pm(mean: float, std: float | None = None, digits: int = 3) -> str:
    """``"0.912 ± 0.013"``; ``"—"`` for a missing mean (missing is not zero)."""
    if mean is None or (isinstance(mean, float) and np.isnan(mean)):
        return "—"
    if std is None or (isinstance(std, float) and np.isnan(std)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def ours_summary(frame: pd.DataFrame, value: str = "norm_p100") -> pd.DataFrame:
    """Mean, population std and n of ``value`` per (method, task short name) from a record frame."""
    if frame.empty:
        return pd.DataFrame(columns=["method", "task", "mean", "std", "n"])
    df = frame.assign(task=frame["task"].map(lambda t: SHORT_NAMES.get(t, t)))
    return aggregate(df, value=value, by=("method", "task")).reset_index()


def comparison_table(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], percentile: int = 100,
                     sources: Sequence[str] = ("design-bench", "ROOT", "Offline-RaM"),
                     not_run: dict[str, str] | None = None, k_std: float = 2.0) -> pd.DataFrame:
    """One row per (method, task): ours (mean ± std over seeds, n) and each source's published mean ± std,
    our difference from it, and whether our mean lies within the published mean ± ``k_std`` std.

    Args:
        frame: records (``RecordStore.frame()``) with columns method, task (ids), seed, norm_p{percentile}.
        methods: our method names; tasks: task ids or short names.
        not_run: ``{task: reason}`` for tasks whose data/oracle are absent (shown instead of numbers).
    """
    ours = ours_summary(frame, f"norm_p{percentile}").set_index(["method", "task"]) if len(frame) else None
    rows = []
    for method in methods:
        for task in tasks:
            short = SHORT_NAMES.get(task, task)
            row = {"method": method, "task": short}
            if not_run and (task in not_run or short in not_run):
                row["ours"] = "not run: " + (not_run.get(task) or not_run.get(short))
                m = s = np.nan
                row["n"] = 0
            elif ours is not None and (method, short) in ours.index:
                m, s, n = ours.loc[(method, short), ["mean", "std", "n"]]
                row["ours"], row["n"] = fmt_pm(m, s), int(n)
            else:
                m = s = np.nan
                row["ours"], row["n"] = "—", 0
            for src in sources:
                pub = published_scores(method, short, percentile, src)
                if pub.empty:
                    row[src] = "—"
                    continue
                pm, ps = float(pub["mean"].iloc[0]), float(pub["std"].iloc[0])
                row[src] = fmt_pm(pm, ps)
                if not np.isnan(m):
                    row[f"Δ vs {src}"] = f"{m - pm:+.3f}"
                    if not np.isnan(ps):
                        row[f"within ±{k_std:g}σ {src}"] = "yes" if abs(m - pm) <= k_std * ps else "no"
            rows.append(row)
    return pd.DataFrame(rows).fillna("—")


def describe_differences(table: pd.DataFrame, sources: Sequence[str] = ("design-bench", "ROOT", "Offline-RaM"),
                         k_std: float = 2.0) -> str:
    """Markdown bullets saying, per row of :func:`comparison_table`, how far ours is from each source."""
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
            verdict = {"yes": f"within ±{k_std:g}σ", "no": f"outside ±{k_std:g}σ"}.get(inside, "no published std")
            parts.append(f"{src} {row[src]} (Δ {delta}, {verdict})")
        pubs = "; ".join(parts) if parts else "no published value"
        lines.append(f"- {row['method']} on {row['task']}: ours {row['ours']} (n={row['n']}) vs {pubs}.")
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
    """Ours per task and percentile for each variant of a method (e.g. MATCH-OPT with alpha = 1 vs 0), with the
    difference of every variant from the first. Cells: mean ± population std over seeds (n in its own column)."""
    rows = []
    df = frame.assign(task=frame["task"].map(lambda t: SHORT_NAMES.get(t, t)))
    for task in df["task"].unique():
        for p in percentiles:
            row = {"task": task, "percentile": p}
            means = {}
            for v in variants:
                vals = df[(df.task == task) & (df[variant_col] == v)][f"norm_p{p}"]
                row[v] = fmt_pm(vals.mean(), vals.std(ddof=0), digits) if len(vals) else "—"
                row[f"n ({v})"] = len(vals)
                means[v] = vals.mean() if len(vals) else np.nan
            for v in variants[1:]:
                d = means[v] - means[variants[0]]
                row[f"Δ {v} − {variants[0]}"] = "—" if np.isnan(d) else f"{d:+.{digits}f}"
            rows.append(row)
    return pd.DataFrame(rows)
