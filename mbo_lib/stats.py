"""The statistics behind every table and figure: per-cell intervals, paired gains, aggregate tests, power.

One data shape (rliable's): ``scores = {method: array of shape num_runs x num_tasks}``, runs (seeds) in rows,
tasks in columns, NaN where a run is missing. A long record frame (one row per run, from
:func:`mbo_lib.experiments.record.records_frame`) converts to it with :func:`score_dict`; the per-cell functions
take the 1-d vector of one column (one method on one task over its seeds).

Per cell (:func:`cell_stats`, :func:`summarize`):
    mean, population std (``ddof=0``: design-baselines' ``make_table`` column, kept for continuity), n and a
    two-sided 95% interval on the mean. For ``2 <= n < BOOTSTRAP_MIN_N`` (10) it is Student's t-interval
    ``mean ± t_{0.975, n-1} s / sqrt(n)`` with the sample std ``s`` (``ddof=1``): exact for normal scores,
    and a bootstrap is unreliable at n = 4 (it has only 35 distinct resamples and under-covers). For
    ``n >= 10`` it is a seeded BCa bootstrap (``scipy.stats.bootstrap``, ``random_state=seed``), which needs no
    normality. ``n = 1`` gives no interval (``"—"``). A cell whose values are all equal has the zero-width
    interval ``[mean, mean]``.

Paired comparisons (:func:`paired_gain`): on the seeds present in both arms, the per-seed difference
    ``d_i = with_i - without_i``, its mean and the 95% interval of that mean (same rule as above). IGNITE's
    gain is ``(mean(with) - mean(without)) / mean(without) * 100``; its interval is the difference's interval
    times ``100 / mean(without)`` (the baseline mean taken as fixed). Verdict: ``"improves"`` when the interval
    lies above 0, ``"worsens"`` when below, ``"no detectable change"`` when it contains 0 (no threshold);
    ``"—"`` when n < 2.

Across tasks (rliable's definitions, re-implemented here; rliable is not a dependency):
    :func:`iqm` is the interquartile mean of all runs x tasks scores (``scipy.stats.trim_mean(.., 0.25)`` of the
    flattened matrix); :func:`probability_of_improvement` is ``P(X > Y)`` averaged over tasks, where per task
    it is the Mann-Whitney ``U / (n_x n_y)``: the fraction of (run of X, run of Y) pairs with ``x > y``, ties
    counting 1/2. :func:`stratified_bootstrap_ci` gives their percentile intervals by resampling runs with
    replacement within each task (independently per method), as rliable's ``StratifiedBootstrap``.

Aggregate claims over cells: :func:`sign_test` (``scipy.stats.binomtest`` on the signs) and
:func:`wilcoxon_test` (``scipy.stats.wilcoxon``), each returning statistic, p-value and the counts.

Power (paired t approximation, two-sided alpha 0.05, power 0.8): :func:`minimum_detectable_effect` at the
current n given the observed spread of the paired differences, and :func:`required_n` for a given effect;
:func:`power_sentence` says both in words.

API at a glance (each function has a short example in its docstring):

- one cell: :func:`cell_stats` (values -> :class:`CellStats`), :func:`summarize` (long frame -> one row per
  group), :func:`mean_interval`; display: :func:`fmt_pm`, :func:`fmt_ci`, :func:`fmt_inline`, :func:`fmt_cell`;
- paired: :func:`paired_gain` (two aligned vectors -> :class:`PairedGain` with verdict), :func:`paired_frame`
  (long frame -> one row per group), :func:`verdict`, :func:`count_verdicts`;
- across tasks: :func:`score_dict` (long frame -> ``{method: runs x tasks}``), :func:`iqm`,
  :func:`probability_of_improvement`, :func:`stratified_bootstrap_ci`;
- aggregate tests: :func:`sign_test`, :func:`wilcoxon_test`;
- power: :func:`minimum_detectable_effect`, :func:`required_n`, :func:`power_sentence`;
- ours vs published: :func:`compare_to_published` (with :data:`PUBLISHED_N`).

Example:
    >>> import numpy as np
    >>> from mbo_lib import stats
    >>> c = stats.cell_stats([0.90, 0.92, 0.91, 0.93])
    >>> (c.n, round(c.mean, 3), round(c.low, 3), round(c.high, 3))
    (4, 0.915, 0.894, 0.936)
    >>> g = stats.paired_gain(with_=[0.95, 0.96, 0.94, 0.97], without=[0.90, 0.92, 0.91, 0.93])
    >>> g.verdict, round(g.gain, 2)
    ('improves', 4.37)
    >>> stats.sign_test([1.0, 2.0, -0.5, 3.0])["n_positive"]
    3
    >>> round(stats.minimum_detectable_effect(sd=1.0, n=4), 2)
    2.08
    >>> scores = {"A": np.array([[0.9, 0.5], [0.8, 0.6]]), "B": np.array([[0.7, 0.5], [0.6, 0.4]])}
    >>> stats.probability_of_improvement(scores["A"], scores["B"]), stats.iqm(scores["A"])
    (0.9375, 0.7)
    >>> point, low, high = stats.stratified_bootstrap_ci(stats.iqm, scores["A"], reps=100, seed=0)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .errors import InvalidInputError

CONFIDENCE = 0.95
BOOTSTRAP_MIN_N = 10  # below this a t-interval; at and above, a seeded BCa bootstrap
N_BOOTSTRAP = 2000
ALPHA = 0.05
POWER = 0.8
VERDICTS = ("improves", "worsens", "no detectable change")
NO_VERDICT = "—"
# How many trials each published source's mean ± std is over (the "±" is the std over those trials).
PUBLISHED_N = {"design-bench": 8, "ROOT": 8, "Offline-RaM": 8, "IGNITE": 16}


def _vector(values, name: str = "values") -> np.ndarray:
    x = np.asarray(values, dtype=float).reshape(-1)
    return x[~np.isnan(x)]


# ---------------------------------------------------------------- one cell


@dataclass(frozen=True)
class CellStats:
    """Summary of one cell (one method on one task over its seeds).

    Attributes:
        mean: mean over the n values (NaN for n = 0).
        std: population std (``ddof=0``), design-baselines' column.
        n: number of non-NaN values.
        low, high: the 95% interval on the mean (NaN for n < 2).
        ci: ``"t"`` | ``"bca"`` | ``"none"`` (how the interval was computed).
    """

    mean: float
    std: float
    n: int
    low: float
    high: float
    ci: str

    def as_dict(self) -> dict:
        return asdict(self)


def mean_interval(values, confidence: float = CONFIDENCE, seed: int = 0,
                  n_resamples: int = N_BOOTSTRAP) -> tuple[float, float, str]:
    """``(low, high, method)`` of the two-sided ``confidence`` interval on the mean of ``values`` (NaN dropped).

    t-interval for ``2 <= n < BOOTSTRAP_MIN_N``, seeded BCa bootstrap (``scipy.stats.bootstrap``) above,
    ``(nan, nan, "none")`` for n < 2; all-equal values give ``(mean, mean, ...)``.

    Example:
        >>> low, high, how = mean_interval([1.0, 2.0, 3.0])
        >>> how, round(low, 3), round(high, 3)
        ('t', -0.484, 4.484)
    """
    x = _vector(values)
    n = len(x)
    if n < 2:
        return np.nan, np.nan, "none"
    mean = float(x.mean())
    if np.all(x == x[0]):
        return mean, mean, "t" if n < BOOTSTRAP_MIN_N else "bca"
    if n < BOOTSTRAP_MIN_N:
        half = sps.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
        return float(mean - half), float(mean + half), "t"
    res = sps.bootstrap((x,), np.mean, confidence_level=confidence, n_resamples=n_resamples, method="BCa",
                        random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high), "bca"


def cell_stats(values, confidence: float = CONFIDENCE, seed: int = 0) -> CellStats:
    """Mean, population std, n and 95% interval of one cell's values (see the module docstring for the rule).

    Example:
        >>> cell_stats([0.5]).n, cell_stats([0.5]).ci
        (1, 'none')
    """
    x = _vector(values)
    if len(x) == 0:
        return CellStats(np.nan, np.nan, 0, np.nan, np.nan, "none")
    low, high, how = mean_interval(x, confidence, seed)
    return CellStats(float(x.mean()), float(x.std(ddof=0)), len(x), low, high, how)


def summarize(frame: pd.DataFrame, value: str = "norm_p100", by: Sequence[str] = ("method", "task"),
              confidence: float = CONFIDENCE, seed: int = 0) -> pd.DataFrame:
    """:func:`cell_stats` of ``value`` per group of ``by`` in a long frame (one row per run).

    Returns:
        one row per group: the ``by`` columns, ``mean``, ``std`` (ddof=0), ``n``, ``low``, ``high``, ``ci``.

    Example:
        >>> df = pd.DataFrame({"method": ["A"] * 3, "task": ["t"] * 3, "norm_p100": [1.0, 2.0, 3.0]})
        >>> summarize(df)[["method", "task", "mean", "n"]].to_dict("records")
        [{'method': 'A', 'task': 't', 'mean': 2.0, 'n': 3}]
    """
    by = list(by)
    cols = by + ["mean", "std", "n", "low", "high", "ci"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    missing = [c for c in by + [value] if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"summarize: frame has no column(s) {missing}; columns: {list(frame.columns)}")
    rows = []
    for key, g in frame.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), **cell_stats(g[value], confidence, seed).as_dict()})
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------- formatting


def _missing(x) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and np.isnan(x))


def fmt_pm(mean: float, std: float | None = None, digits: int = 3) -> str:
    """``"0.912 ± 0.013"``; ``"—"`` for a missing mean (missing is not zero)."""
    if _missing(mean):
        return "—"
    if _missing(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def fmt_ci(low: float, high: float, digits: int = 3, suffix: str = "") -> str:
    """``"[0.894, 0.936]"``; ``"—"`` when there is no interval (n < 2)."""
    if _missing(low) or _missing(high):
        return "—"
    return f"[{low:.{digits}f}, {high:.{digits}f}]{suffix}"


def fmt_inline(c: CellStats | Mapping, digits: int = 3) -> str:
    """One cell as one string: ``"0.915 ± 0.011 [0.894, 0.936]"`` (mean ± population std, 95% interval);
    ``"0.700 ± 0.000 [—]"`` when n = 1 gives no interval; ``"—"`` for an empty cell."""
    c = c.as_dict() if isinstance(c, CellStats) else c
    if _missing(c["mean"]):
        return "—"
    interval = fmt_ci(c["low"], c["high"], digits) if not _missing(c["low"]) else "[—]"
    return f"{fmt_pm(c['mean'], c['std'], digits)} {interval}"


def fmt_cell(c: CellStats | Mapping, digits: int = 3) -> dict:
    """Display columns of one cell: ``mean ± std`` (population), ``n`` and ``95% CI``."""
    c = c.as_dict() if isinstance(c, CellStats) else c
    return {"mean ± std": fmt_pm(c["mean"], c["std"], digits), "n": int(c["n"]),
            "95% CI": fmt_ci(c["low"], c["high"], digits)}


# ---------------------------------------------------------------- paired differences and gains


@dataclass(frozen=True)
class PairedGain:
    """A paired comparison of two arms on the same seeds (see the module docstring).

    Attributes:
        n: paired seeds. with_mean / without_mean / with_std / without_std: per arm (std: ddof=0).
        diff, diff_low, diff_high: mean paired difference ``with - without`` and its 95% interval.
        diff_sd: sample std (ddof=1) of the paired differences (NaN for n < 2).
        gain, gain_low, gain_high: IGNITE's gain (%) of the means and its interval.
        gain_std: population std of the per-seed differences in percent of ``without_mean`` (the spread of
            the per-seed gains, shown as ``gain ± gain_std`` next to the interval).
        verdict: ``"improves"`` | ``"worsens"`` | ``"no detectable change"`` | ``"—"`` (n < 2).
    """

    n: int
    with_mean: float
    with_std: float
    without_mean: float
    without_std: float
    diff: float
    diff_low: float
    diff_high: float
    diff_sd: float
    gain: float
    gain_low: float
    gain_high: float
    gain_std: float
    verdict: str

    def as_dict(self) -> dict:
        return asdict(self)


def verdict(low: float, high: float) -> str:
    """``"improves"`` if the interval is above 0, ``"worsens"`` if below, else ``"no detectable change"``;
    ``"—"`` without an interval."""
    if _missing(low) or _missing(high):
        return NO_VERDICT
    if low > 0:
        return "improves"
    if high < 0:
        return "worsens"
    return "no detectable change"


def paired_gain(with_, without, confidence: float = CONFIDENCE, seed: int = 0) -> PairedGain:
    """Paired difference and IGNITE gain of ``with_`` over ``without`` (same seeds, same order).

    Args:
        with_: scores with the change, one per seed (length n).
        without: scores without it, the same seeds in the same order (length n). A seed with NaN on either
            side is dropped from both.

    Example:
        >>> g = paired_gain([1.1, 1.2, 1.0], [1.0, 1.0, 1.0])
        >>> g.n, round(g.diff, 3), g.verdict
        (3, 0.1, 'no detectable change')
    """
    w, b = np.asarray(with_, dtype=float).reshape(-1), np.asarray(without, dtype=float).reshape(-1)
    if w.shape != b.shape:
        raise InvalidInputError(f"paired_gain needs the same seeds on both sides: {w.shape=} vs {b.shape=}")
    keep = ~(np.isnan(w) | np.isnan(b))
    w, b = w[keep], b[keep]
    n = len(w)
    if n == 0:
        nan = np.nan
        return PairedGain(0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, NO_VERDICT)
    d = w - b
    low, high, _ = mean_interval(d, confidence, seed)
    base = float(b.mean())
    scale = 100.0 / base if base != 0 else np.nan
    return PairedGain(n, float(w.mean()), float(w.std()), base, float(b.std()), float(d.mean()), low, high,
                      float(d.std(ddof=1)) if n > 1 else np.nan, (float(w.mean()) - base) * scale,
                      *sorted((low * scale, high * scale)), float(d.std()) * scale, verdict(low, high))


def paired_frame(frame: pd.DataFrame, value: str, arm: str, with_arm, without_arm,
                 by: Sequence[str] = ("method", "task"), pair_on: str = "seed",
                 confidence: float = CONFIDENCE, seed: int = 0) -> pd.DataFrame:
    """:func:`paired_gain` per group of ``by`` in a long frame: rows with ``frame[arm] == with_arm`` against rows
    with ``frame[arm] == without_arm``, paired on ``pair_on`` (seeds present in both arms only).

    Returns:
        one row per group: the ``by`` columns and every field of :class:`PairedGain`.

    Example:
        >>> df = pd.DataFrame({"method": "GA", "task": "t", "seed": [0, 1, 0, 1],
        ...                    "regularizer": ["", "", "ignite", "ignite"], "norm_p100": [1.0, 1.0, 1.1, 1.2]})
        >>> paired_frame(df, "norm_p100", "regularizer", "ignite", "")[["n", "verdict"]].to_dict("records")
        [{'n': 2, 'verdict': 'no detectable change'}]
    """
    by = list(by)
    cols = by + list(PairedGain.__dataclass_fields__)
    if frame.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for key, g in frame.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        w = g[g[arm] == with_arm].set_index(pair_on)[value].dropna()
        b = g[g[arm] == without_arm].set_index(pair_on)[value].dropna()
        seeds = sorted(set(w.index) & set(b.index))
        rows.append({**dict(zip(by, key)), **paired_gain(w.loc[seeds], b.loc[seeds], confidence, seed).as_dict()})
    return pd.DataFrame(rows, columns=cols)


def count_verdicts(verdicts: Iterable[str]) -> dict:
    """``{"improves": k1, "worsens": k2, "no detectable change": k3, "cells": k1 + k2 + k3}`` (``"—"`` left out)."""
    v = [x for x in verdicts if x in VERDICTS]
    return {**{name: v.count(name) for name in VERDICTS}, "cells": len(v)}


# ---------------------------------------------------------------- across tasks (rliable's definitions)


def score_dict(frame: pd.DataFrame, value: str = "norm_p100", method: str = "method", task: str = "task",
               run: str = "seed", tasks: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """A long frame -> ``{method: num_runs x num_tasks}`` (runs = sorted ``run`` values; NaN where missing).

    Example:
        >>> df = pd.DataFrame({"method": "A", "task": ["t1", "t2"], "seed": [0, 0], "norm_p100": [0.1, 0.2]})
        >>> score_dict(df)["A"].tolist()
        [[0.1, 0.2]]
    """
    tasks = list(tasks) if tasks is not None else list(dict.fromkeys(frame[task]))
    out = {}
    for m, g in frame.groupby(method, sort=False):
        out[m] = g.pivot_table(index=run, columns=task, values=value, aggfunc="first").reindex(columns=tasks).to_numpy(float)
    return out


def _matrix(scores, name: str) -> np.ndarray:
    x = np.asarray(scores, dtype=float)
    if x.ndim != 2:
        raise InvalidInputError(f"{name} must be num_runs x num_tasks, got shape {x.shape}")
    return x


def iqm(scores) -> float:
    """Interquartile mean of a ``num_runs x num_tasks`` matrix: the mean of the middle 50% of all its entries
    (``scipy.stats.trim_mean(scores, 0.25, axis=None)``, rliable's ``aggregate_iqm``); NaN entries dropped.

    Example:
        >>> iqm([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
        4.5
    """
    x = _matrix(scores, "scores")
    return float(sps.trim_mean(x[~np.isnan(x)], 0.25, axis=None))


def probability_of_improvement(x, y) -> float:
    """``P(X > Y)``: per task, the fraction of pairs (run of X, run of Y) with ``x > y`` (ties count 1/2),
    averaged over tasks (rliable's ``probability_of_improvement``; Mann-Whitney ``U / (n_x n_y)`` per task).

    Args:
        x, y: ``num_runs x num_tasks`` matrices with the same tasks (run counts may differ); NaN dropped.

    Example:
        >>> probability_of_improvement([[1.0], [3.0]], [[2.0], [2.0]])
        0.5
    """
    x, y = _matrix(x, "x"), _matrix(y, "y")
    if x.shape[1] != y.shape[1]:
        raise InvalidInputError(f"x and y need the same tasks: {x.shape=} vs {y.shape=}")
    per_task = []
    for j in range(x.shape[1]):
        a, b = x[:, j][~np.isnan(x[:, j])], y[:, j][~np.isnan(y[:, j])]
        if len(a) and len(b):
            per_task.append(((a[:, None] > b[None, :]).sum() + 0.5 * (a[:, None] == b[None, :]).sum()) / (len(a) * len(b)))
    return float(np.mean(per_task)) if per_task else np.nan


def stratified_bootstrap_ci(statistic: Callable[..., float], *matrices, confidence: float = CONFIDENCE,
                            reps: int = N_BOOTSTRAP, seed: int = 0) -> tuple[float, float, float]:
    """``(point, low, high)``: ``statistic(*matrices)`` and its percentile interval over ``reps`` stratified
    bootstrap resamples: in each, every matrix's runs are resampled with replacement within each task
    (column) independently (rliable's ``StratifiedBootstrap`` + percentile interval).

    Example:
        >>> point, low, high = stratified_bootstrap_ci(iqm, np.arange(16.0).reshape(8, 2), reps=200)
        >>> point, low <= point <= high
        (7.5, True)
    """
    mats = [_matrix(m, f"matrix {i}") for i, m in enumerate(matrices)]
    rng = np.random.default_rng(seed)
    point = float(statistic(*mats))
    values = np.empty(reps)
    for r in range(reps):
        resampled = []
        for m in mats:
            idx = rng.integers(0, m.shape[0], size=m.shape)  # one draw of rows per column: stratified by task
            resampled.append(np.take_along_axis(m, idx, axis=0))
        values[r] = statistic(*resampled)
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return point, float(low), float(high)


# ---------------------------------------------------------------- aggregate tests over cells


def sign_test(values) -> dict:
    """Two-sided exact sign test that positive and negative values (e.g. per-cell mean gains) are equally likely.

    Zeros are dropped (they carry no sign). Uses ``scipy.stats.binomtest(n_positive, n_positive + n_negative)``.

    Returns:
        ``{"statistic": n_positive, "pvalue", "n_positive", "n_negative", "n_zero", "n"}``.

    Example:
        >>> r = sign_test([1.0] * 9 + [-1.0])
        >>> r["n_positive"], round(r["pvalue"], 4)
        (9, 0.0215)
    """
    x = _vector(values)
    pos, neg = int((x > 0).sum()), int((x < 0).sum())
    p = float(sps.binomtest(pos, pos + neg, 0.5).pvalue) if pos + neg else np.nan
    return {"statistic": pos, "pvalue": p, "n_positive": pos, "n_negative": neg, "n_zero": int((x == 0).sum()),
            "n": len(x)}


def wilcoxon_test(values) -> dict:
    """Two-sided Wilcoxon signed-rank test that the values (e.g. per-cell mean gains) are symmetric about 0.

    ``scipy.stats.wilcoxon(values)`` with zeros dropped (``zero_method="wilcox"``).

    Returns:
        ``{"statistic", "pvalue", "n_positive", "n_negative", "n_zero", "n"}`` (NaN statistic / p-value when
        every value is 0 or there are none).

    Example:
        >>> r = wilcoxon_test([1.0, 2.0, 3.0, 4.0, 5.0, -0.5])
        >>> r["statistic"], round(r["pvalue"], 4)
        (1.0, 0.0625)
    """
    x = _vector(values)
    counts = {"n_positive": int((x > 0).sum()), "n_negative": int((x < 0).sum()), "n_zero": int((x == 0).sum()),
              "n": len(x)}
    if counts["n_positive"] + counts["n_negative"] == 0:
        return {"statistic": np.nan, "pvalue": np.nan, **counts}
    res = sps.wilcoxon(x, zero_method="wilcox")
    return {"statistic": float(res.statistic), "pvalue": float(res.pvalue), **counts}


# ---------------------------------------------------------------- power


def minimum_detectable_effect(sd: float, n: int, alpha: float = ALPHA, power: float = POWER) -> float:
    """Smallest true mean paired difference a two-sided paired t-test at ``alpha`` detects with probability
    ``power``, given the std ``sd`` of the paired differences and ``n`` pairs:
    ``(t_{1-alpha/2, n-1} + t_{power, n-1}) * sd / sqrt(n)`` (the usual t approximation). NaN for n < 2.

    Example:
        >>> round(minimum_detectable_effect(sd=1.0, n=30), 3)
        0.529
    """
    if n < 2 or _missing(sd):
        return np.nan
    df = n - 1
    return float((sps.t.ppf(1 - alpha / 2, df) + sps.t.ppf(power, df)) * sd / np.sqrt(n))


def required_n(sd: float, effect: float, alpha: float = ALPHA, power: float = POWER, max_n: int = 100_000) -> int:
    """Smallest n (>= 2) whose :func:`minimum_detectable_effect` is at most ``|effect|``; ``max_n`` if none.

    Example:
        >>> required_n(sd=1.0, effect=0.53)
        30
    """
    effect = abs(float(effect))
    if effect == 0 or _missing(sd):
        return max_n
    if sd == 0:
        return 2
    lo, hi = 2, max_n  # the MDE decreases with n: bisect
    if minimum_detectable_effect(sd, hi, alpha, power) > effect:
        return max_n
    while lo < hi:
        mid = (lo + hi) // 2
        if minimum_detectable_effect(sd, mid, alpha, power) <= effect:
            hi = mid
        else:
            lo = mid + 1
    return lo


def power_sentence(sd_percent: float, n: int, effect_percent: float = 2.0) -> str:
    """One sentence: the gain (%) detectable at ``n`` and the n needed for ``effect_percent``, given the std of
    the paired per-seed differences expressed in percent of the baseline mean (``sd_percent``).

    Example:
        >>> power_sentence(sd_percent=3.0, n=4, effect_percent=2.0)[-65:]
        'is 6.24%: n = 4 cannot detect a 2% gain here; about n = 20 could.'
    """
    mde = minimum_detectable_effect(sd_percent, n)
    need = required_n(sd_percent, effect_percent)
    head = (f"With n = {n} paired seeds and a paired spread of {sd_percent:.2f}% (std of the differences), the "
            f"smallest gain a paired t-test detects (alpha {ALPHA:g} two-sided, power {POWER:g}) is {mde:.2f}%: ")
    if mde <= effect_percent:
        return head + f"n = {n} can detect a {effect_percent:g}% gain here (n = {need} would already do)."
    return head + f"n = {n} cannot detect a {effect_percent:g}% gain here; about n = {need} could."


# ---------------------------------------------------------------- ours vs a published number


def compare_to_published(values, pub_mean: float, pub_std: float, pub_n: int, confidence: float = CONFIDENCE,
                         k_std: float = 2.0) -> dict:
    """Our seeds against a published ``mean ± std`` over ``pub_n`` trials, using both sides' uncertainty.

    Rule: the difference ``d = mean(ours) - pub_mean`` gets a Welch interval
    ``d ± t_{0.975, df} * sqrt(s^2 / n + pub_std^2 / pub_n)`` (``s``: our sample std, ddof=1; the published
    std is read as the std over its ``pub_n`` trials, as design-bench / design-baselines report it; ``df``:
    Welch-Satterthwaite). ``"consistent"`` when the interval contains 0, ``"differs"`` when not, ``"—"`` when
    either side has no spread estimate (our n < 2, or no published std). ``within_k_std`` keeps the old column:
    ``|d| <= k_std * pub_std``.

    Example:
        >>> r = compare_to_published([0.90, 0.92, 0.91, 0.93], pub_mean=0.95, pub_std=0.02, pub_n=8)
        >>> r["verdict"], round(r["diff"], 3)
        ('differs', -0.035)
    """
    x = _vector(values)
    n = len(x)
    out = {"diff": np.nan, "low": np.nan, "high": np.nan, "verdict": NO_VERDICT, "within_k_std": None}
    if n == 0 or _missing(pub_mean):
        return out
    d = float(x.mean()) - float(pub_mean)
    out["diff"] = d
    if not _missing(pub_std):
        out["within_k_std"] = bool(abs(d) <= k_std * pub_std)
    if n < 2 or _missing(pub_std) or not pub_n or pub_n < 2:
        return out
    va, vb = x.var(ddof=1) / n, float(pub_std) ** 2 / pub_n
    se = np.sqrt(va + vb)
    if se == 0:
        out.update(low=d, high=d)
    else:
        df = (va + vb) ** 2 / (va ** 2 / (n - 1) + vb ** 2 / (pub_n - 1))
        half = sps.t.ppf(0.5 + confidence / 2, df) * se
        out.update(low=d - half, high=d + half)
    out["verdict"] = "consistent" if out["low"] <= 0 <= out["high"] else "differs"
    return out
