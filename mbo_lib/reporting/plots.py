"""Plots shared by the notebooks."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import stats
from ..reference import published_scores
from ..tasks import SHORT_NAMES
from .tables import ours_summary

SOURCE_MARKERS = {"design-bench": "D", "ROOT": "^", "Offline-RaM": "s"}


def plot_ours_vs_published(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], percentile: int = 100,
                           sources: Sequence[str] = ("design-bench", "ROOT", "Offline-RaM"), ax=None):
    """Bars: our mean over seeds per (task, method) with its 95% interval (none for one seed); markers: each
    source's published mean ± std."""
    summary = ours_summary(frame, f"norm_p{percentile}").set_index(["method", "task"]) if len(frame) else None
    shorts = [SHORT_NAMES.get(t, t) for t in tasks]
    ax = ax or plt.subplots(figsize=(max(4, 1.6 * len(shorts) * max(1, len(methods)) ** 0.5), 3.2))[1]
    width = 0.8 / max(len(methods), 1)
    for j, method in enumerate(methods):
        xs = np.arange(len(shorts)) + (j - (len(methods) - 1) / 2) * width
        means = [summary.loc[(method, s), "mean"] if summary is not None and (method, s) in summary.index else np.nan
                 for s in shorts]
        bounds = [summary.loc[(method, s), ["low", "high"]].to_numpy(float)
                  if summary is not None and (method, s) in summary.index else np.array([np.nan, np.nan]) for s in shorts]
        err = np.nan_to_num(np.array([[m - b[0], b[1] - m] for m, b in zip(means, bounds)], dtype=float).T)
        ax.bar(xs, means, width * 0.9, yerr=err, capsize=3, label=f"{method} (ours, 95% CI)", alpha=0.75)
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
    """Mean of ``y`` vs ``x`` per ``hue`` group (rows = seeds), band = 95% interval of the mean
    (:func:`mbo_lib.stats.summarize`; none where one seed)."""
    ax = ax or plt.subplots(figsize=(4.5, 3.2))[1]
    for name, g in frame.groupby(hue):
        cells = stats.summarize(g, y, by=(x,)).sort_values(x)
        ax.plot(cells[x], cells["mean"], marker="o", ms=3, label=f"{name} (n={int(cells.n.max())})")
        ax.fill_between(cells[x], cells["low"].astype(float), cells["high"].astype(float), alpha=0.2)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax
