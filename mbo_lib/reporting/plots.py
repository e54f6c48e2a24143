"""Plots shared by the notebooks."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..reference import published_scores
from ..tasks import SHORT_NAMES
from .tables import ours_summary

SOURCE_MARKERS = {"design-bench": "D", "ROOT": "^", "Offline-RaM": "s"}


def plot_ours_vs_published(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], percentile: int = 100,
                           sources: Sequence[str] = ("design-bench", "ROOT", "Offline-RaM"), ax=None):
    """Bars: our mean ± std over seeds per (task, method); markers: each source's published mean ± std."""
    summary = ours_summary(frame, f"norm_p{percentile}").set_index(["method", "task"]) if len(frame) else None
    shorts = [SHORT_NAMES.get(t, t) for t in tasks]
    ax = ax or plt.subplots(figsize=(max(4, 1.6 * len(shorts) * max(1, len(methods)) ** 0.5), 3.2))[1]
    width = 0.8 / max(len(methods), 1)
    for j, method in enumerate(methods):
        xs = np.arange(len(shorts)) + (j - (len(methods) - 1) / 2) * width
        means = [summary.loc[(method, s), "mean"] if summary is not None and (method, s) in summary.index else np.nan
                 for s in shorts]
        stds = [summary.loc[(method, s), "std"] if summary is not None and (method, s) in summary.index else np.nan
                for s in shorts]
        ax.bar(xs, means, width * 0.9, yerr=stds, capsize=3, label=f"{method} (ours)", alpha=0.75)
        for k, src in enumerate(sources):
            for x, s in zip(xs, shorts):
                pub = published_scores(method, s, percentile, src)
                if not pub.empty:
                    ax.errorbar(x + (k - 1) * width * 0.2, pub["mean"].iloc[0], yerr=np.nan_to_num(pub["std"].iloc[0]),
                                fmt=SOURCE_MARKERS.get(src, "o"), color="k", ms=4, capsize=2,
                                label=f"{src} (published)" if j == 0 and x == xs[0] else None)
    ax.set_xticks(np.arange(len(shorts)), shorts)
    ax.set_ylabel(f"normalized score, {percentile}th pct.")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_curves(frame: pd.DataFrame, x: str, y: str, hue: str, ax=None, xlabel=None, ylabel=None):
    """Mean ± std bands of ``y`` vs ``x`` per ``hue`` group (rows = seeds)."""
    ax = ax or plt.subplots(figsize=(4.5, 3.2))[1]
    for name, g in frame.groupby(hue):
        stats = g.groupby(x)[y].agg(["mean", "std"]).reset_index()
        ax.plot(stats[x], stats["mean"], marker="o", ms=3, label=str(name))
        ax.fill_between(stats[x], stats["mean"] - stats["std"].fillna(0), stats["mean"] + stats["std"].fillna(0), alpha=0.2)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax
