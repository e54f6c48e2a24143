"""Published numbers, kept as data with their sources (never typed into notebooks).

- ``published_scores.csv``: normalized scores (mean, std) per source, percentile, method and task, from the
  design-bench README (8 trials), ROOT (NeurIPS 2025, Table 1) and Offline-RaM (ICLR 2025, Tables 2 and 7).
  Gathered in the project's ``shared/reference`` folder; the sources disagree (e.g. PGS on Ant: 0.949 vs 0.715),
  so tables show ours next to each source, never one "true" number.
- ``normalization_bounds.json``: design-bench's full-dataset ``(y_min, y_max)`` per task.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

# Source labels -> our method names (the label each source used is kept in column ``label``).
METHOD_ALIASES = {
    "Grad.": "GA", "Grad. Ascent": "GA", "GA": "GA",
    "Grad. Mean": "GA-Ensemble-Mean", "Grad. Ascent Mean": "GA-Ensemble-Mean",
    "Grad. Min": "GA-Ensemble-Min", "Grad. Ascent Min": "GA-Ensemble-Min",
    "Match-OPT": "MATCH-OPT", "MATCH-OPT": "MATCH-OPT",
}
SOURCE_SHORT = {
    "design-bench README (8 trials)": "design-bench",
    "ROOT, NeurIPS 2025, Table 1 (8 runs)": "ROOT",
    "Offline-RaM, ICLR 2025, Table 2 (8 seeds, official code re-runs)": "Offline-RaM",
    "Offline-RaM, ICLR 2025, Table 7 (8 seeds)": "Offline-RaM",
}


@lru_cache(maxsize=1)
def _published() -> pd.DataFrame:
    df = pd.read_csv(HERE / "published_scores.csv")
    df["label"] = df["method"]
    df["method"] = df["method"].map(lambda m: METHOD_ALIASES.get(m, m))
    df["source_short"] = df["source"].map(lambda s: SOURCE_SHORT.get(s, s))
    return df


def published_scores(method: str | None = None, task: str | None = None, percentile: int | None = 100,
                     source: str | None = None) -> pd.DataFrame:
    """Published rows filtered by our method name, short task name (``"TFBind8"``), percentile and source.

    Columns: source, source_short, percentile, method (ours), label (theirs), task, mean, std (NaN if not given).
    """
    df = _published()
    if method is not None:
        df = df[df["method"] == method]
    if task is not None:
        df = df[df["task"] == task]
    if percentile is not None:
        df = df[df["percentile"] == percentile]
    if source is not None:
        df = df[(df["source_short"] == source) | (df["source"] == source)]
    return df.reset_index(drop=True).copy()


@lru_cache(maxsize=1)
def normalization_bounds() -> dict[str, tuple[float, float]]:
    """design-bench's full-dataset bounds ``{task_id: (y_min, y_max)}``."""
    with open(HERE / "normalization_bounds.json") as f:
        return {k: tuple(v) for k, v in json.load(f).items()}
