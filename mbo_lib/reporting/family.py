"""The TF-Bind-8 family: do IGNITE's gains (I1) and MATCH-OPT's edge over GA (M1) hold across transcription factors?

design-bench's TF-Bind-8 is one of 200 transcription factors (``mbo_lib.tasks.tfbind8_factors()``); the papers
report only SIX6_REF_R1. Here the same five runs are made on a fixed, seeded sample of other factors
(:func:`family_sample`: 24 factors drawn without replacement from the 199 non-default ones, SIX6_REF_R1
**excluded**, so the family claim is tested on factors the papers never tuned on): GA and COMs, each plain and with
IGNITE, and MATCH-OPT (:data:`ARMS`), at the ``quick`` profile, seeds 0-3, the factor passed as a task kwarg
(``RunSpec(..., task_kwargs={"transcription_factor": f})``). ``tools/family_grid.py`` runs that grid.

Statistics (all from :mod:`mbo_lib.stats`; the score is the normalized 100th percentile, ``norm_p100``):

- per factor (:func:`factor_gains`): IGNITE's paired gain ``(mean(with) - mean(plain)) / mean(plain) * 100`` on
  the seeds both arms have, its paired 95% interval and verdict (:func:`mbo_lib.stats.paired_gain`); for
  MATCH-OPT vs GA (:func:`factor_means`) each arm's mean with its 95% interval and, per factor, ``P(MATCH-OPT > GA)``
  (the fraction of (MATCH-OPT run, GA run) pairs it wins, ties 1/2);
- across factors (:func:`ignite_aggregate`, :func:`matchopt_aggregate`): the IQM of the per-seed gains (a
  ``seeds x factors`` matrix: seed ``s``'s paired difference in percent of the factor's plain mean, so a column's
  mean is that factor's gain) and ``P(with > plain)`` / ``P(MATCH-OPT > GA)`` averaged over factors, each with a
  stratified-bootstrap 95% percentile interval (seeds resampled within each factor, :data:`N_BOOT` resamples,
  seed 0; this interval covers seed noise with the factors held fixed); and, with the factors as the units, the
  two-sided sign test and Wilcoxon signed-rank test over the factors' mean gains / mean differences (factors with
  at least :data:`MIN_SEEDS` paired seeds).

Verdicts of the family rows (:func:`family_summary`, same words as ``mbo_lib.reporting.claims``): **holds** when
the aggregate's bootstrap interval lies on the claimed side (gain > 0; probability > 0.5) AND the Wilcoxon test
over factors is significant (p < 0.05) with more factors on the claimed side; **does not hold** when both point
the other way; **inconclusive at n = k** (k: median seeds per factor) otherwise; with no factor having
:data:`MIN_SEEDS` paired seeds, **inconclusive at n = 0** and the reason says the records are missing. M1's paper
claim is the best mean normalized rank among ten methods; the family row tests the part the family grid can:
MATCH-OPT above GA.

Missing numbers are ``NaN`` in frames and ``"—"`` in display tables (missing is not zero).

Example:
    >>> from mbo_lib.reporting import family
    >>> family.family_summary(family.stored_records())[["claim", "verdict"]]  # doctest: +SKIP
    >>> factors = family.family_sample(24, seed=0)
    >>> len(factors), "SIX6_REF_R1" in factors
    (24, False)
    >>> specs = family.family_specs(factors, seeds=[0, 1, 2, 3])  # doctest: +SKIP
    >>> len(specs)  # doctest: +SKIP
    480
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import stats
from ..errors import InvalidInputError
from ..experiments.record import records_frame
from ..experiments.spec import RunSpec
from ..tasks import tfbind8_factors
from ..tasks.tfbind8 import DEFAULT_FACTOR

TASK = "TFBind8-Exact-v0"
FAMILY_SIZE = 24
FAMILY_SEED = 0
SEEDS = (0, 1, 2, 3)
VALUE = "norm_p100"
N_BOOT = 1000
MIN_SEEDS = 2  # paired seeds a factor needs to enter the across-factor tests (an interval needs 2)
ALPHA = stats.ALPHA
VERDICT_HOLDS, VERDICT_FAILS = "holds", "does not hold"
NOTEBOOK = "tfbind8_family"


@dataclass(frozen=True)
class Arm:
    """One kind of run in the family grid: a method with or without a regularizer."""

    label: str
    method: str
    regularizer: str = ""

    def spec(self, factor: str, seed: int, profile: str = "quick", task_kwargs: dict | None = None) -> RunSpec:
        """The run of this arm on ``factor`` (extra ``task_kwargs``, e.g. ``max_samples``, are added)."""
        kwargs = {**(task_kwargs or {}), "transcription_factor": factor}
        return RunSpec(TASK, self.method, profile, seed, task_kwargs=kwargs,
                       regularizer={"name": self.regularizer} if self.regularizer else {})


ARMS = (Arm("GA", "GA"), Arm("GA+IGNITE", "GA", "ignite"), Arm("COMs", "COMs"), Arm("COMs+IGNITE", "COMs", "ignite"),
        Arm("MATCH-OPT", "MATCH-OPT"))
IGNITE_METHODS = ("GA", "COMs")


# ------------------------------------------------------------------------------------------------ the grid


def family_sample(k: int = FAMILY_SIZE, seed: int = FAMILY_SEED, include_default: bool = False) -> list[str]:
    """A fixed, seeded sample of ``k`` TF-Bind-8 factors, sorted.

    Draws ``k`` factors without replacement (``numpy.random.default_rng(seed).choice``) from the sorted list
    :func:`mbo_lib.tasks.tfbind8_factors`, minus the default SIX6_REF_R1 unless ``include_default``.

    Args:
        k: how many factors, 1 <= k <= the pool size (199 without the default, 200 with it).
        seed: the sampling seed (the same seed gives the same factors on any machine).
        include_default: keep SIX6_REF_R1 in the pool.

    Raises:
        InvalidInputError: ``k`` out of range.

    Example:
        >>> family_sample(3, seed=0) == family_sample(3, seed=0), len(family_sample(3, seed=1))
        (True, 3)
    """
    pool = [f for f in tfbind8_factors() if include_default or f != DEFAULT_FACTOR]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(pool):
        raise InvalidInputError(f"family_sample: k must be an int in [1, {len(pool)}], got {k!r}")
    pick = np.random.default_rng(seed).choice(len(pool), size=int(k), replace=False)
    return sorted(pool[i] for i in pick)


def family_specs(factors: Sequence[str], seeds: Sequence[int] = SEEDS, profile: str = "quick",
                 arms: Sequence[Arm] = ARMS, task_kwargs: dict | None = None) -> list[RunSpec]:
    """The grid's run specs in seed-major order: seed 0 of every factor (all arms), then seed 1, ...

    So every factor gets its first paired seeds before any factor gets many. ``task_kwargs`` are added to each
    run's (e.g. a small ``max_samples``).
    """
    return [a.spec(f, s, profile, task_kwargs) for s in seeds for f in factors for a in arms]


def stored_records(store=None, factors: Sequence[str] | None = None, seeds: Sequence[int] = SEEDS,
                   profile: str = "quick") -> list[dict]:
    """The family grid's records that exist in ``store`` (default: ``MBO_RECORDS_DIR`` or ``records/``); nothing is
    computed. For the claims scoreboard: ``family_summary(stored_records(store), seeds=...)``."""
    from ..experiments import RecordStore

    factors = list(factors) if factors is not None else family_sample()
    return (store or RecordStore()).records(family_specs(factors, seeds, profile))


def _factor(task_kwargs: str) -> str:
    return json.loads(task_kwargs or "{}").get("transcription_factor", DEFAULT_FACTOR)


def family_frame(records: Iterable) -> pd.DataFrame:
    """:func:`mbo_lib.experiments.record.records_frame` of TF-Bind-8 records plus ``factor`` (from the task kwargs;
    SIX6_REF_R1 when none) and ``arm`` (``GA``, ``GA+IGNITE``, ...: the method, ``+IGNITE`` for the ignite
    regularizer, ``+<name>`` for another)."""
    frame = records_frame(records)
    frame = frame[frame.task == TASK].copy() if len(frame) else frame
    if frame.empty:
        return frame.assign(factor=pd.Series(dtype=str), arm=pd.Series(dtype=str))
    frame["factor"] = frame.task_kwargs.map(_factor)
    reg = frame.regularizer.map(lambda r: "" if not r else "+IGNITE" if r == "ignite" else f"+{r}")
    frame["arm"] = frame.method + reg
    return frame


# ------------------------------------------------------------------------------------------------ per factor


def _arm_values(frame: pd.DataFrame, arm: str, factor: str) -> pd.Series:
    """``VALUE`` of ``arm`` on ``factor`` indexed by seed (NaN dropped)."""
    if frame.empty:
        return pd.Series(dtype=float)
    g = frame[(frame.arm == arm) & (frame.factor == factor)]
    return g.groupby("seed")[VALUE].first().dropna()


def factor_gains(frame: pd.DataFrame, method: str, factors: Sequence[str]) -> pd.DataFrame:
    """Per factor (in the order given): :func:`mbo_lib.stats.paired_gain` of ``<method>+IGNITE`` over
    ``<method>`` on the seeds both have; ``n = 0`` and NaN where a side is missing.

    Returns:
        one row per factor: ``factor``, ``method`` and every field of :class:`mbo_lib.stats.PairedGain`.
    """
    rows = []
    for f in factors:
        w, b = _arm_values(frame, f"{method}+IGNITE", f), _arm_values(frame, method, f)
        seeds = sorted(set(w.index) & set(b.index))
        rows.append({"factor": f, "method": method,
                     **stats.paired_gain(w.loc[seeds], b.loc[seeds]).as_dict()})
    return pd.DataFrame(rows, columns=["factor", "method"] + list(stats.PairedGain.__dataclass_fields__))


def _win_rate(x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of (x run, y run) pairs with x > y, ties 1/2; NaN when a side is empty."""
    if not len(x) or not len(y):
        return np.nan
    return float(((x[:, None] > y[None, :]).sum() + 0.5 * (x[:, None] == y[None, :]).sum()) / (len(x) * len(y)))


def factor_means(frame: pd.DataFrame, factors: Sequence[str], arm: str = "MATCH-OPT",
                 against: str = "GA") -> pd.DataFrame:
    """Per factor: each arm's mean ``VALUE`` with its 95% interval (:func:`mbo_lib.stats.cell_stats`), the
    difference of the means, and ``p_improve`` = P(``arm`` run > ``against`` run) on that factor.

    Returns:
        one row per factor: ``factor``, ``{arm,against}_{mean,std,n,low,high}``, ``diff``, ``p_improve``.
    """
    rows = []
    for f in factors:
        x, y = _arm_values(frame, arm, f).to_numpy(float), _arm_values(frame, against, f).to_numpy(float)
        row = {"factor": f}
        for name, v in (("x", x), ("y", y)):
            c = stats.cell_stats(v)
            row.update({f"{name}_mean": c.mean, f"{name}_std": c.std, f"{name}_n": c.n, f"{name}_low": c.low,
                        f"{name}_high": c.high})
        row.update(diff=row["x_mean"] - row["y_mean"], p_improve=_win_rate(x, y))
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.rename(columns=lambda c: c.replace("x_", f"{arm}_", 1).replace("y_", f"{against}_", 1)
                      if c[:2] in ("x_", "y_") else c)


# ------------------------------------------------------------------------------------------------ across factors


def _matrix(frame: pd.DataFrame, arm: str, factors: Sequence[str], seeds: Sequence[int]) -> np.ndarray:
    """``seeds x factors`` matrix of ``VALUE`` for ``arm`` (NaN where a run is missing)."""
    out = np.full((len(seeds), len(factors)), np.nan)
    for j, f in enumerate(factors):
        v = _arm_values(frame, arm, f)
        for i, s in enumerate(seeds):
            if s in v.index:
                out[i, j] = v.loc[s]
    return out


def gain_matrix(frame: pd.DataFrame, method: str, factors: Sequence[str], seeds: Sequence[int]) -> np.ndarray:
    """``seeds x factors``: seed ``s``'s paired difference ``with - plain`` on a factor, in percent of that factor's
    plain mean over its paired seeds (NaN where a side is missing), so each column's mean is the factor's gain."""
    w, b = _matrix(frame, f"{method}+IGNITE", factors, seeds), _matrix(frame, method, factors, seeds)
    paired = ~(np.isnan(w) | np.isnan(b))
    out = np.full(w.shape, np.nan)
    for j in range(w.shape[1]):
        keep = paired[:, j]
        base = b[keep, j].mean() if keep.any() else np.nan
        if keep.any() and base != 0:
            out[keep, j] = (w[keep, j] - b[keep, j]) * 100.0 / base
    return out


def _tests(values: np.ndarray) -> dict:
    return {"sign_test": stats.sign_test(values), "wilcoxon": stats.wilcoxon_test(values)}


def _median_seeds(ns) -> int:
    ns = [int(n) for n in ns if n]
    return int(np.median(ns)) if ns else 0


def ignite_aggregate(frame: pd.DataFrame, method: str, factors: Sequence[str], seeds: Sequence[int] = SEEDS,
                     reps: int = N_BOOT, seed: int = 0) -> dict:
    """IGNITE on ``method`` across factors.

    Returns:
        dict with ``iqm_gain`` / ``iqm_low`` / ``iqm_high`` (IQM of :func:`gain_matrix`, stratified bootstrap
        95% interval), ``p_improve`` / ``p_low`` / ``p_high`` (P(with > plain) averaged over factors, same
        bootstrap), ``sign_test`` and ``wilcoxon`` over the factors' mean gains (factors with >= ``MIN_SEEDS``
        paired seeds), ``n_factors`` (those factors), ``n_seeds`` (their median paired seeds), ``n_improve`` /
        ``n_worsen`` (factors whose own paired interval lies above / below 0) and ``gains`` (the
        :func:`factor_gains` frame).
    """
    g = factor_gains(frame, method, factors)
    use = g[g.n >= MIN_SEEDS]
    cols = [factors.index(f) for f in use.factor] if len(use) else []
    out = {"method": method, "gains": g, "n_factors": len(use), "n_seeds": _median_seeds(use.n),
           "n_improve": int((use.verdict == "improves").sum()), "n_worsen": int((use.verdict == "worsens").sum()),
           **_tests(use.gain.to_numpy(float))}
    nan = dict(iqm_gain=np.nan, iqm_low=np.nan, iqm_high=np.nan, p_improve=np.nan, p_low=np.nan, p_high=np.nan)
    if not cols:
        return {**out, **nan}
    gm = gain_matrix(frame, method, factors, seeds)[:, cols]
    w = _matrix(frame, f"{method}+IGNITE", factors, seeds)[:, cols]
    b = _matrix(frame, method, factors, seeds)[:, cols]
    both = ~(np.isnan(w) | np.isnan(b))
    w, b = np.where(both, w, np.nan), np.where(both, b, np.nan)  # the paired seeds only, as the gains
    iqm = stats.stratified_bootstrap_ci(stats.iqm, gm, reps=reps, seed=seed)
    poi = stats.stratified_bootstrap_ci(stats.probability_of_improvement, w, b, reps=reps, seed=seed)
    return {**out, "iqm_gain": iqm[0], "iqm_low": iqm[1], "iqm_high": iqm[2], "p_improve": poi[0], "p_low": poi[1],
            "p_high": poi[2]}


def matchopt_aggregate(frame: pd.DataFrame, factors: Sequence[str], seeds: Sequence[int] = SEEDS,
                       reps: int = N_BOOT, seed: int = 0, arm: str = "MATCH-OPT", against: str = "GA") -> dict:
    """``arm`` vs ``against`` across factors: ``p_improve`` / ``p_low`` / ``p_high`` (P(arm run > against run)
    averaged over factors, stratified bootstrap 95% interval), the sign and Wilcoxon tests over the factors'
    differences of means, ``n_factors`` (factors where both arms have >= ``MIN_SEEDS`` runs), ``n_seeds`` (their
    median runs per arm), ``n_better`` (factors with P(arm > against) > 0.5) and ``means`` (:func:`factor_means`)."""
    m = factor_means(frame, factors, arm, against)
    use = m[(m[f"{arm}_n"] >= MIN_SEEDS) & (m[f"{against}_n"] >= MIN_SEEDS)]
    out = {"arm": arm, "against": against, "means": m, "n_factors": len(use),
           "n_seeds": _median_seeds(list(use[f"{arm}_n"]) + list(use[f"{against}_n"])),
           "n_better": int((use.p_improve > 0.5).sum()), **_tests(use["diff"].to_numpy(float))}
    if use.empty:
        return {**out, "p_improve": np.nan, "p_low": np.nan, "p_high": np.nan}
    cols = [factors.index(f) for f in use.factor]
    x, y = _matrix(frame, arm, factors, seeds)[:, cols], _matrix(frame, against, factors, seeds)[:, cols]
    poi = stats.stratified_bootstrap_ci(stats.probability_of_improvement, x, y, reps=reps, seed=seed)
    return {**out, "p_improve": poi[0], "p_low": poi[1], "p_high": poi[2]}


# ------------------------------------------------------------------------------------------------ verdicts


def family_verdict(low: float, high: float, null: float, wilcoxon: dict, n_seeds: int) -> tuple[str, str]:
    """``(verdict, reason)`` of a family row (rule in the module docstring).

    Args:
        low, high: the aggregate's bootstrap interval; ``null``: its no-effect value (0 for a gain, 0.5 for a
            probability of improvement).
        wilcoxon: :func:`mbo_lib.stats.wilcoxon_test` over the factors (claimed direction = positive).
        n_seeds: median seeds per factor (for the inconclusive wording).

    Example:
        >>> family_verdict(1.0, 3.0, 0.0, {"pvalue": 0.001, "n_positive": 20, "n_negative": 4}, 4)[0]
        'holds'
    """
    p, pos, neg = wilcoxon["pvalue"], wilcoxon["n_positive"], wilcoxon["n_negative"]
    significant = p is not None and not np.isnan(p) and p < ALPHA
    words = f"bootstrap interval [{low:.3g}, {high:.3g}] vs {null:g}; Wilcoxon over factors p = {p:.3g} " \
            f"({pos} +, {neg} −)" if not np.isnan(low) else "no interval"
    if not np.isnan(low) and low > null and significant and pos > neg:
        return VERDICT_HOLDS, "interval above the no-effect value and the Wilcoxon test over factors is " \
                              f"significant and positive: {words}"
    if not np.isnan(high) and high < null and significant and neg > pos:
        return VERDICT_FAILS, "interval below the no-effect value and the Wilcoxon test over factors is " \
                              f"significant and negative: {words}"
    return f"inconclusive at n = {n_seeds}", words


SUMMARY_COLUMNS = ["claim", "statement", "notebook", "tasks", "settings", "n", "statistic", "interval", "published",
                   "source", "verdict", "decide_n", "reason", "comparison", "point", "low", "high", "n_factors",
                   "n_seeds", "sign_p", "wilcoxon_p"]


def _factors(k: int) -> str:
    return f"{k} factor" if k == 1 else f"{k} factors"


def _pval(x: float) -> str:
    return "—" if x is None or np.isnan(x) else f"{x:.3g}"


def _row(claim: str, statement: str, comparison: str, n_target: int, settings: str, agg: dict, point: float,
         low: float, high: float, null: float, statistic: str, interval_suffix: str) -> dict:
    nf, ns = agg["n_factors"], agg["n_seeds"]
    row = {"claim": claim, "statement": statement, "notebook": NOTEBOOK,
           "tasks": f"TF-Bind-8 family ({n_target} factors, SIX6_REF_R1 excluded)", "settings": settings,
           "n": f"{nf} factors x {ns} seeds", "published": "—", "source": "—", "decide_n": None,
           "comparison": comparison, "point": point, "low": low, "high": high, "n_factors": nf, "n_seeds": ns,
           "sign_p": agg["sign_test"]["pvalue"], "wilcoxon_p": agg["wilcoxon"]["pvalue"]}
    if nf == 0:
        return {**row, "statistic": "—", "interval": "—", "verdict": "inconclusive at n = 0",
                "reason": f"not run: no factor of {n_target} has {MIN_SEEDS} seeds of both arms yet (tools/family_grid.py)"}
    verdict, reason = family_verdict(low, high, null, agg["wilcoxon"], ns)
    return {**row, "statistic": statistic, "interval": stats.fmt_ci(low, high, 3, interval_suffix),
            "verdict": verdict, "reason": reason}


def family_summary(records: Iterable, factors: Sequence[str] | None = None, seeds: Sequence[int] = SEEDS,
                   settings: str = "quick", reps: int = N_BOOT) -> pd.DataFrame:
    """The family rows of the claims scoreboard: I1 (IGNITE on GA, on COMs) and M1 (MATCH-OPT vs GA) across the
    TF-Bind-8 family, from stored records only (nothing is computed).

    Args:
        records: run records (dicts); only TF-Bind-8 runs of the arms are used.
        factors: the family (default :func:`family_sample`).
        seeds: the seeds looked at.
        settings: the label of the ``settings`` column (``quick``).
        reps: bootstrap resamples.

    Returns:
        one row per comparison, columns :data:`SUMMARY_COLUMNS` (the first 13 as ``claims.COLUMNS``): ``claim``,
        ``statistic`` in words, ``interval`` (95%, stratified bootstrap), ``n`` ("k factors x m seeds"),
        ``verdict`` and ``reason``; numeric ``point`` / ``low`` / ``high``, ``n_factors``, ``n_seeds``,
        ``sign_p``, ``wilcoxon_p``.
    """
    factors = list(factors) if factors is not None else family_sample()
    frame = family_frame(records)
    rows = []
    for method in IGNITE_METHODS:
        a = ignite_aggregate(frame, method, factors, seeds, reps)
        st = (f"IQM of per-seed gains {a['iqm_gain']:+.2f}% over {a['n_factors']} factors; P(with > plain) "
              f"{a['p_improve']:.3f}; {_factors(a['n_improve'])} improve / {a['n_worsen']} worsen (paired 95% CI); "
              f"sign test p = {_pval(a['sign_test']['pvalue'])}, Wilcoxon p = {_pval(a['wilcoxon']['pvalue'])}")
        whose = method + ("'" if method.endswith("s") else "'s")
        rows.append(_row("I1", f"IGNITE improves {whose} 100th-percentile score across the TF-Bind-8 family",
                         f"{method}+IGNITE vs {method}", len(factors), settings, a, a["iqm_gain"], a["iqm_low"],
                         a["iqm_high"], 0.0, st, "% (IQM gain)"))
    m = matchopt_aggregate(frame, factors, seeds, reps)
    st = (f"P(MATCH-OPT > GA) {m['p_improve']:.3f} over {m['n_factors']} factors; MATCH-OPT's mean higher on "
          f"{m['sign_test']['n_positive']}, lower on {m['sign_test']['n_negative']}; sign test p = "
          f"{_pval(m['sign_test']['pvalue'])}, Wilcoxon p = {_pval(m['wilcoxon']['pvalue'])}")
    rows.append(_row("M1", "MATCH-OPT beats GA across the TF-Bind-8 family (the part of M1's best-rank claim the "
                     "family grid tests)", "MATCH-OPT vs GA", len(factors), settings, m, m["p_improve"], m["p_low"],
                     m["p_high"], 0.5, st, " (P(improvement))"))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def reference_comparison(frame: pd.DataFrame, factors: Sequence[str], reference: str = DEFAULT_FACTOR,
                         seeds: Sequence[int] = SEEDS, reps: int = N_BOOT) -> pd.DataFrame:
    """The papers' own factor next to the family: per comparison (IGNITE on GA, on COMs; MATCH-OPT vs GA), the
    ``reference`` factor's effect with its interval, the family's aggregate, and where the reference falls among the
    family's factors.

    Args:
        frame: :func:`family_frame` of the family's records **and** the reference factor's (its runs have the same
            specs as the family's, the factor being the task's default).
        factors: the family (the reference is not one of them).
        reference: the factor the papers report (SIX6_REF_R1).

    Returns:
        one row per comparison: ``comparison``; ``reference`` (the reference factor's gain % with its paired 95%
        interval, or P(MATCH-OPT > GA) and the difference of the means), ``reference n``; ``family`` (IQM of per-seed
        gains or P(improvement), bootstrap 95% interval, as :func:`aggregate_table`); ``family median`` (the median
        factor's mean gain / difference); ``factors below reference`` ("k of m": family factors whose mean gain /
        difference is lower than the reference's; ties count half); numeric ``ref_point``, ``below``, ``m``.
    """
    rows = []
    for method in IGNITE_METHODS:
        ref = factor_gains(frame, method, [reference]).iloc[0]
        agg = ignite_aggregate(frame, method, factors, seeds, reps)
        fam_g = agg["gains"]
        fam_g = fam_g[fam_g.n >= MIN_SEEDS].gain.to_numpy(float)
        rows.append(_reference_row(f"{method}+IGNITE vs {method}",
                                   f"{_pct(ref.gain)} {_pct_ci(ref.gain_low, ref.gain_high)}" if ref.n else "—",
                                   int(ref.n), ref.gain if ref.n else np.nan,
                                   f"IQM {_pct(agg['iqm_gain'])} {_pct_ci(agg['iqm_low'], agg['iqm_high'])}",
                                   fam_g, _pct))
    ref = factor_means(frame, [reference]).iloc[0]
    agg = matchopt_aggregate(frame, factors, seeds, reps)
    m = agg["means"]
    fam_d = m[(m["MATCH-OPT_n"] >= MIN_SEEDS) & (m["GA_n"] >= MIN_SEEDS)]["diff"].to_numpy(float)
    n_ref = int(min(ref["MATCH-OPT_n"], ref["GA_n"]))
    rows.append(_reference_row(
        "MATCH-OPT vs GA",
        f"P = {ref.p_improve:.3f}, difference {ref['diff']:+.3f}" if n_ref else "—", n_ref,
        ref["diff"] if n_ref else np.nan,
        f"P = {agg['p_improve']:.3f} {stats.fmt_ci(agg['p_low'], agg['p_high'])}", fam_d,
        lambda x: "—" if np.isnan(x) else f"{x:+.3f}"))
    return pd.DataFrame(rows)


def _reference_row(comparison, ref_text, ref_n, ref_point, family_text, family_values, fmt) -> dict:
    m = len(family_values)
    below = (float((family_values < ref_point).sum() + 0.5 * (family_values == ref_point).sum())
             if m and not np.isnan(ref_point) else np.nan)
    return {"comparison": comparison, "reference": ref_text, "reference n": ref_n, "family": family_text,
            "family median": fmt(float(np.median(family_values))) if m else "—",
            "factors below reference": "—" if np.isnan(below) else f"{below:g} of {m}",
            "ref_point": ref_point, "below": below, "m": m}


# ------------------------------------------------------------------------------------------------ display


def _pct(x: float) -> str:
    return "—" if x is None or np.isnan(x) else f"{x:+.2f}%"


def _pct_ci(low: float, high: float) -> str:
    return "—" if np.isnan(low) or np.isnan(high) else f"[{low:+.2f}, {high:+.2f}]%"


def gain_table(g: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Display form of :func:`factor_gains`: plain and with IGNITE as mean ± population std, ``gain %``, its
    paired ``gain 95% CI``, ``verdict``, ``n`` paired seeds; ``"—"`` where missing."""
    return pd.DataFrame({"factor": g.factor, "plain": [stats.fmt_pm(m, s, digits) for m, s in zip(g.without_mean, g.without_std)],
                         "with IGNITE": [stats.fmt_pm(m, s, digits) for m, s in zip(g.with_mean, g.with_std)],
                         "gain %": g.gain.map(_pct), "gain 95% CI": [_pct_ci(lo, hi) for lo, hi in zip(g.gain_low, g.gain_high)],
                         "verdict": g.verdict, "n": g.n.astype(int)}).set_index("factor")


def means_table(m: pd.DataFrame, arm: str = "MATCH-OPT", against: str = "GA", digits: int = 3) -> pd.DataFrame:
    """Display form of :func:`factor_means`: each arm's ``mean [95% CI] (n)``, the difference of the means and
    P(arm > against) on the factor; ``"—"`` where missing."""
    def cell(r, a):
        if r[f"{a}_n"] == 0:
            return "—"
        ci = stats.fmt_ci(r[f"{a}_low"], r[f"{a}_high"], digits) if r[f"{a}_n"] > 1 else "[—]"
        return f"{r[f'{a}_mean']:.{digits}f} {ci} (n={int(r[f'{a}_n'])})"

    rows = [{"factor": r.factor, arm: cell(r, arm), against: cell(r, against),
             "difference": "—" if np.isnan(r["diff"]) else f"{r['diff']:+.{digits}f}",
             f"P({arm} > {against})": "—" if np.isnan(r.p_improve) else f"{r.p_improve:.3f}"}
            for _, r in m.iterrows()]
    return pd.DataFrame(rows).set_index("factor")


def aggregate_table(aggs: Sequence[dict]) -> pd.DataFrame:
    """One row per :func:`ignite_aggregate` / :func:`matchopt_aggregate` result: the IQM of the per-seed gains
    (IGNITE rows) and P(improvement), each with its stratified-bootstrap 95% interval, the sign and Wilcoxon
    tests over factors, and n."""
    rows = []
    for a in aggs:
        ignite = "method" in a
        rows.append({"comparison": f"{a['method']}+IGNITE vs {a['method']}" if ignite else f"{a['arm']} vs {a['against']}",
                     "IQM of per-seed gains": _pct(a["iqm_gain"]) if ignite else "n/a",
                     "IQM 95% CI": _pct_ci(a["iqm_low"], a["iqm_high"]) if ignite else "n/a",
                     "P(improvement)": "—" if np.isnan(a["p_improve"]) else f"{a['p_improve']:.3f}",
                     "P 95% CI": stats.fmt_ci(a["p_low"], a["p_high"]),
                     "factors + / −": f"{a['sign_test']['n_positive']} / {a['sign_test']['n_negative']}",
                     "sign test p": _pval(a["sign_test"]["pvalue"]), "Wilcoxon p": _pval(a["wilcoxon"]["pvalue"]),
                     "factors": a["n_factors"], "seeds (median)": a["n_seeds"]})
    return pd.DataFrame(rows).set_index("comparison")


def plot_forest(gains: dict[str, pd.DataFrame], means: pd.DataFrame | None = None, arm: str = "MATCH-OPT",
                against: str = "GA"):
    """Forest plot: one panel per IGNITE method (per-factor gain % with its paired 95% interval; "—" where the
    factor has no paired gain), and, with ``means``, one panel of each factor's mean score of ``arm`` and
    ``against`` with their 95% intervals. Returns the figure."""
    panels = len(gains) + (means is not None)
    factors = list(next(iter(gains.values())).factor) if gains else list(means.factor)
    fig, axes = plt.subplots(1, panels, figsize=(3.6 * panels, 0.28 * len(factors) + 1.6), sharey=True, squeeze=False)
    y = np.arange(len(factors))[::-1]
    for ax, (method, g) in zip(axes[0], gains.items()):
        g = g.set_index("factor").reindex(factors)
        err = np.vstack([g.gain - g.gain_low, g.gain_high - g.gain]).astype(float)
        ax.errorbar(g.gain, y, xerr=np.nan_to_num(err), fmt="o", ms=4, capsize=2)
        for yi, v in zip(y, g.gain):
            if np.isnan(v):
                ax.text(0, yi, "—", ha="center", va="center")
        ax.axvline(0.0, color="k", lw=0.8)
        ax.set_title(f"{method}: IGNITE gain (%)", fontsize=9)
        ax.set_xlabel("gain %, paired 95% CI")
    if means is not None:
        ax = axes[0][-1]
        m = means.set_index("factor").reindex(factors)
        for a, dy in ((arm, 0.15), (against, -0.15)):
            err = np.vstack([m[f"{a}_mean"] - m[f"{a}_low"], m[f"{a}_high"] - m[f"{a}_mean"]]).astype(float)
            ax.errorbar(m[f"{a}_mean"], y + dy, xerr=np.nan_to_num(err), fmt="o", ms=4, capsize=2, label=a)
        ax.set_title(f"{arm} vs {against}: mean score", fontsize=9)
        ax.set_xlabel("normalized 100th pct., 95% CI")
        ax.legend(fontsize=7)
    axes[0][0].set_yticks(y)
    axes[0][0].set_yticklabels(factors, fontsize=7)
    for ax in axes[0]:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ progress


# A priori CPU-minutes per quick run, used for an arm until it has a measured run: the wall time of the committed
# quick SIX6_REF_R1 records (seed 0) of each arm, before the family grid measured anything.
ESTIMATE_MIN = {"GA": 1.4, "GA+IGNITE": 7.3, "COMs": 2.7, "COMs+IGNITE": 3.2, "MATCH-OPT": 0.9}


def _minutes(record: dict) -> float:
    t = record.get("timings", {})
    return (t.get("cpu_seconds") or t.get("total_seconds") or 0.0) / 60


def _wall_minutes(record: dict) -> float:
    return record.get("timings", {}).get("total_seconds", np.nan) / 60


def progress_table(store, factors: Sequence[str], seeds: Sequence[int] = SEEDS, profile: str = "quick",
                   arms: Sequence[Arm] = ARMS, task_kwargs: dict | None = None, command: str = "") -> str:
    """Markdown progress of the family grid: per arm, runs done / left, measured CPU (and wall) minutes per run,
    core-hours spent and left; a header with the whole grid's estimate (measured CPU minutes per run where an arm
    has runs, else the a priori :data:`ESTIMATE_MIN`, marked "est.") and the wall-clock hours on one worker at the
    measured wall / CPU ratio."""
    rows, spent_all, left_all, total_all, done_all, walls, cpus = [], 0.0, 0.0, 0.0, 0, [], []
    target = len(factors) * len(seeds)
    for a in arms:
        recs = [store.load(a.spec(f, s, profile, task_kwargs)) for s in seeds for f in factors]
        recs = [r for r in recs if r is not None]
        mins, wall = [_minutes(r) for r in recs], [_wall_minutes(r) for r in recs]
        done = len(mins)
        per = sum(mins) / done if done else ESTIMATE_MIN.get(a.label, 5.0)
        wall_per = float(np.nanmean(wall)) if done and not np.isnan(wall).all() else np.nan
        walls, cpus = walls + [w for w in wall if not np.isnan(w)], cpus + [m for m, w in zip(mins, wall) if not np.isnan(w)]
        spent, left = sum(mins) / 60, (target - done) * per / 60
        spent_all, left_all = spent_all + spent, left_all + left
        total_all, done_all = total_all + target * per / 60, done_all + done
        rows.append(f"| {a.label} | {done} / {target} | {target - done} | "
                    f"{('%.2f' % per) if done else '(est. %.1f)' % per} | "
                    f"{'—' if np.isnan(wall_per) else '%.2f' % wall_per} | {spent:.2f} | {left:.2f} |")
    ratio = sum(walls) / sum(cpus) if cpus and sum(cpus) > 0 else np.nan
    wall_line = (f" At the wall / CPU ratio of the measured runs ({ratio:.1f}: the machine's load when they ran), the "
                 f"runs left take about {left_all * ratio:.1f} wall-hours on one worker." if not np.isnan(ratio) else "")
    head = ("# TF-Bind-8 family grid: progress\n\n"
            f"Generated by {command or '`python tools/family_grid.py --progress`'} from the records in "
            f"`records/{profile}/` (do not edit).\n"
            f"Grid: {len(factors)} factors (`mbo_lib.reporting.family.family_sample`) x {len(arms)} arms x "
            f"{len(seeds)} seeds = {target * len(arms)} {profile} runs.\n"
            f"Estimate for the whole grid: **{total_all:.1f} core-hours** ({done_all} runs done, {spent_all:.2f} "
            f"core-hours spent, {left_all:.1f} left), from the measured CPU minutes per run of each arm (a priori "
            f"for an arm without a run).{wall_line} Minutes per run: CPU time (`timings.cpu_seconds`) of one process "
            "with one torch thread, niced, on the 2-core development machine with other work beside it; wall: "
            "`timings.total_seconds`; '(est.)' = a priori estimate.\n\n"
            "| arm | runs done / target | runs left | CPU minutes per run | wall minutes per run | core-hours spent "
            "| core-hours left (est.) |\n|---|---|---|---|---|---|---|\n")
    return head + "\n".join(rows) + (f"\n| **total** | {done_all} / {target * len(arms)} | | | | **{spent_all:.2f}** "
                                     f"| **{left_all:.2f}** |\n")
