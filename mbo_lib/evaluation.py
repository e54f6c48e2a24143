"""Scoring candidates and aggregating runs, as design-bench / design-baselines report them.

Protocol: 128 candidates per run are scored by the oracle; a run reports the 100th, 80th and 50th percentile
of the raw scores, each normalized with the task's full-dataset bounds ``(y - y_min) / (y_max - y_min)``.
Across seeds we report mean and the population std (``ddof=0``, as design-baselines' ``make_table``), and n.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InvalidInputError
from .tasks.base import Task

PERCENTILES = (100, 80, 50)


def score_candidates(task: Task, designs: np.ndarray) -> dict:
    """Oracle-score candidate designs and summarize them.

    Args:
        task: the task whose oracle scores the designs.
        designs: ``128 x ...`` designs in a format ``task.predict`` accepts (integers, logits, floats).

    Returns:
        dict with ``scores`` (raw, list of floats), ``normalized`` (list), and for each percentile p
        ``raw_p{p}`` and ``norm_p{p}`` (floats).
    """
    designs = np.asarray(designs)
    if designs.shape[0] == 0:
        raise InvalidInputError("no candidates to score")
    raw = task.predict(designs).reshape(-1).astype(np.float64)
    if not np.isfinite(raw).all():
        raise InvalidInputError(f"the oracle returned {int((~np.isfinite(raw)).sum())} non-finite scores")
    norm = task.normalize_score(raw)
    out = {"scores": raw.tolist(), "normalized": norm.tolist()}
    for p in PERCENTILES:
        out[f"raw_p{p}"] = float(np.percentile(raw, p))
        out[f"norm_p{p}"] = float(np.percentile(norm, p))
    return out


def aggregate(records: pd.DataFrame, value: str = "norm_p100", by=("method", "task")) -> pd.DataFrame:
    """Mean, population std and n of ``value`` over seeds for each group.

    Args:
        records: one row per run with columns ``by`` and ``value``.
    Returns:
        DataFrame indexed by ``by`` with columns ``mean``, ``std`` (ddof=0), ``n``.
    """
    grouped = records.groupby(list(by))[value]
    return pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=0), "n": grouped.count()})


def gain_percent(with_reg, without_reg):
    """IGNITE's gain: ``(with - without) / without * 100`` on normalized scores (elementwise)."""
    with_reg, without_reg = np.asarray(with_reg, dtype=float), np.asarray(without_reg, dtype=float)
    return (with_reg - without_reg) / without_reg * 100.0


def normalized_ranks(table: pd.DataFrame) -> pd.DataFrame:
    """Rank methods within each task (column), best = 1, divided by the number of ranked methods.

    Args:
        table: methods x tasks of mean scores (NaN = not run; not ranked).
    Returns:
        the same shape, each entry ``rank / n_methods_ranked_on_that_task`` (ties share the average rank).
    """
    ranks = table.rank(axis=0, ascending=False, method="average")
    return ranks / table.notna().sum(axis=0)


def mean_normalized_rank(table: pd.DataFrame) -> pd.Series:
    """Mean normalized rank (MNR) per method over the tasks it ran on (lower is better)."""
    return normalized_ranks(table).mean(axis=1, skipna=True).sort_values()


def within_published(ours_mean: float, pub_mean: float, pub_std: float, k: float = 2.0) -> bool:
    """Whether our mean lies within the published mean +- k std."""
    return bool(abs(ours_mean - pub_mean) <= k * pub_std)
