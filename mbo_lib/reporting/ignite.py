"""Tables and figures of the IGNITE notebooks: gains with vs without the regularizer, sharpness on unseen
designs, sensitivity to epsilon / eta_lambda, and score along the ascent.

Every function reads :func:`mbo_lib.reporting.records_frame` rows (``kind="runs"``; ``kind="curve"`` for the
steps); all statistics come from :mod:`mbo_lib.stats`; the paper's aggregates come from
``mbo_lib/reference/ignite_headline.json`` (:func:`ignite_headline`). Missing numbers are ``NaN`` in frames and
``"—"`` in display tables (missing is not zero).

Gain (IGNITE, Sec. 5): ``(with - without) / without * 100`` of the means over seeds of the normalized score,
computed only on the seeds present with AND without the regularizer (paired seeds). Each cell also gets the
paired 95% interval of the gain and a verdict (:func:`mbo_lib.stats.paired_gain`): "improves" / "worsens" when
the interval of the mean paired difference excludes 0, else "no detectable change" (no threshold); "—" with
fewer than 2 paired seeds. The paper-form summary counts these verdicts and adds a sign test and a Wilcoxon
signed-rank test over the cells' mean gains, and the minimum gain a cell's n can detect.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import stats
from ..errors import InvalidInputError
from ..objectives.ignite import IgniteConfig
from ..tasks import SHORT_NAMES
from .notebook import load_records  # noqa: F401  (re-exported: the notebooks call ig.load_records)
from .tables import fmt_ci, fmt_pm

HEADLINE_PATH = Path(__file__).resolve().parent.parent / "reference" / "ignite_headline.json"
RHO = IgniteConfig().rho  # IGNITE's sharpness scale (0.05)
EFFECT_PERCENT = 2.0  # the gain size the power line asks about (the paper's improved cells average +1.91%)
PAIRED_COLUMNS = ["method", "task"] + list(stats.PairedGain.__dataclass_fields__)


@lru_cache(maxsize=1)
def ignite_headline() -> dict:
    """The IGNITE paper's aggregate claims (counts, average / peak gain, sharpness reduction) with their source."""
    with open(HEADLINE_PATH) as f:
        return json.load(f)


def paired_stats(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], value: str,
                 variant: str = "ignite") -> pd.DataFrame:
    """Per (method, task), in the order given: :func:`mbo_lib.stats.paired_gain` of ``value`` with ``variant``
    against no regularizer on the seeds both have (``n``; 0 and NaN where a side is missing).

    ``frame`` is :func:`mbo_lib.reporting.records_frame` restricted to the runs to compare (one config per variant).
    """
    if frame.empty or value not in frame.columns:
        got = pd.DataFrame(columns=PAIRED_COLUMNS)
    else:
        got = stats.paired_frame(frame[frame.regularizer.isin(["", variant])], value, "regularizer", variant, "")
    index = pd.MultiIndex.from_product([list(methods), list(tasks)], names=["method", "task"])
    out = got.set_index(["method", "task"]).reindex(index).reset_index()
    out["n"] = out["n"].fillna(0).astype(int)
    out["verdict"] = out["verdict"].fillna(stats.NO_VERDICT)
    return out[PAIRED_COLUMNS]


def gains(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], percentile: int = 100,
          variant: str = "ignite") -> pd.DataFrame:
    """:func:`paired_stats` of ``norm_p{percentile}``: ``gain`` (percent, of the means), ``gain_low`` /
    ``gain_high`` (paired 95% interval), ``gain_std`` (spread of the per-seed gains) and ``verdict`` per cell."""
    return paired_stats(frame, methods, tasks, f"norm_p{percentile}", variant)


def _pct(x: float, digits: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:+.{digits}f}%"


def _gain_ci(low: float, high: float) -> str:
    return "—" if np.isnan(low) or np.isnan(high) else f"[{low:+.2f}, {high:+.2f}]%"


GAIN_TABLE_COLUMNS = ["without", "with", "gain %", "gain 95% CI", "verdict", "n"]


def gain_table(g: pd.DataFrame, not_run: dict[str, str] | None = None, digits: int = 3,
               wide: bool = False) -> pd.DataFrame:
    """Display form of :func:`gains`: without / with as mean ± population std, ``gain %`` of the means, its
    paired ``gain 95% CI``, the ``verdict`` and ``n`` paired seeds; tasks in ``not_run`` show
    ``"not run: <reason>"``; missing cells ``"—"``. ``wide``: one row per method, columns (task, the six above)."""
    rows = []
    for _, r in g.iterrows():
        short = SHORT_NAMES.get(r["task"], r["task"])
        row = {"method": r["method"], "task": short}
        reason = (not_run or {}).get(r["task"]) or (not_run or {}).get(short)
        if reason:
            row.update({"without": f"not run: {reason}", "with": "—", "gain %": "—", "gain 95% CI": "—",
                        "verdict": "—", "n": 0})
        else:
            row.update({"without": fmt_pm(r["without_mean"], r["without_std"], digits),
                        "with": fmt_pm(r["with_mean"], r["with_std"], digits), "gain %": _pct(r["gain"]),
                        "gain 95% CI": _gain_ci(r["gain_low"], r["gain_high"]), "verdict": r["verdict"],
                        "n": int(r["n"])})
        rows.append(row)
    table = pd.DataFrame(rows, columns=["method", "task"] + GAIN_TABLE_COLUMNS)
    if not wide:
        return table
    order = list(dict.fromkeys(table.task))
    out = table.set_index(["method", "task"]).unstack("task").swaplevel(axis=1)
    out = out.reindex(columns=pd.MultiIndex.from_product([order, GAIN_TABLE_COLUMNS]))
    return out.reindex(list(dict.fromkeys(table.method)))


def gain_summary(g: pd.DataFrame, effect_percent: float = EFFECT_PERCENT) -> dict:
    """The paper-form summary of a gain table, by paired verdicts (no threshold).

    Returns:
        dict with ``cells`` (cells with >= 2 paired seeds, i.e. with a verdict), ``improves`` / ``worsens`` /
        ``no detectable change`` counts, ``no_verdict`` (cells with a gain but < 2 seeds), the mean gain of the
        improving / worsening cells, peak and worst gain (and where), the mean gain over all cells with a gain;
        ``sign_test`` and ``wilcoxon`` (:mod:`mbo_lib.stats` dicts) over the cells' mean gains; ``n_seeds``
        (median paired n), ``paired_sd_percent`` (median over the cells whose paired differences vary of their
        sample std in percent of the baseline mean; identical cells, with zero spread, are left out), ``mde_percent`` (the gain a paired t-test detects at that n and spread,
        alpha 0.05 two-sided, power 0.8), ``effect_percent`` and ``n_for_effect`` (n needed to detect it).
    """
    have = g.dropna(subset=["gain"])
    v = have[have.verdict.isin(stats.VERDICTS)]
    counts = stats.count_verdicts(v.verdict)
    up, down = v[v.verdict == "improves"], v[v.verdict == "worsens"]
    where = lambda row: f"{row['method']} / {SHORT_NAMES.get(row['task'], row['task'])}"  # noqa: E731
    spread = v.diff_sd * 100.0 / v.without_mean
    spread = spread[spread > 0]  # cells where the regularizer changed nothing have no spread to speak of
    sd = spread.median() if len(spread) else np.nan
    n = int(v.n.median()) if len(v) else 0
    return {**counts, "no_verdict": len(have) - len(v), "gain_cells": len(have),
            "improved_avg_gain_percent": up.gain.mean() if len(up) else np.nan,
            "decreased_avg_gain_percent": down.gain.mean() if len(down) else np.nan,
            "peak_gain_percent": have.gain.max() if len(have) else np.nan,
            "peak_where": where(have.loc[have.gain.idxmax()]) if len(have) else "—",
            "worst_gain_percent": have.gain.min() if len(have) else np.nan,
            "worst_where": where(have.loc[have.gain.idxmin()]) if len(have) else "—",
            "mean_gain_percent": have.gain.mean() if len(have) else np.nan,
            "sign_test": stats.sign_test(have.gain), "wilcoxon": stats.wilcoxon_test(have.gain),
            "n_seeds": n, "paired_sd_percent": sd, "mde_percent": stats.minimum_detectable_effect(sd, n),
            "effect_percent": effect_percent, "n_for_effect": stats.required_n(sd, effect_percent)}


def power_line(summary: dict) -> str:
    """:func:`mbo_lib.stats.power_sentence` for a :func:`gain_summary` ("n = 4 cannot detect a 2% gain here ...")."""
    if not summary["n_seeds"] or np.isnan(summary["paired_sd_percent"]):
        return "No cell has two paired seeds: no power statement."
    return stats.power_sentence(summary["paired_sd_percent"], summary["n_seeds"], summary["effect_percent"])


def headline_table(summary: dict, headline: dict | None = None) -> pd.DataFrame:
    """Our :func:`gain_summary` next to the paper's headline (:func:`ignite_headline`), one row per statistic."""
    h = headline or ignite_headline()
    frac = lambda k: f"{summary[k]}/{summary['cells']}"  # noqa: E731
    sign, wil = summary["sign_test"], summary["wilcoxon"]
    p = lambda x: "—" if np.isnan(x) else f"{x:.3g}"  # noqa: E731
    rows = [
        ("improves (paired 95% CI above 0)", frac("improves"), f"{h['improved']}/{h['cells']} improved"),
        ("worsens (paired 95% CI below 0)", frac("worsens"), f"{h['decreased']}/{h['cells']} decreased"),
        ("no detectable change (CI holds 0)", frac("no detectable change"),
         f"{h['unchanged']}/{h['cells']} unchanged (threshold {h['unchanged_threshold']})"),
        ("cells with < 2 paired seeds (no verdict)", str(summary["no_verdict"]), "—"),
        ("average gain of the improving cells", _pct(summary["improved_avg_gain_percent"]),
         _pct(h["improved_avg_gain_percent"])),
        ("peak gain", f"{_pct(summary['peak_gain_percent'])} ({summary['peak_where']})",
         f"{_pct(h['peak_gain_percent'])} ({h['peak_where']})"),
        ("average gain of the worsening cells", _pct(summary["decreased_avg_gain_percent"]),
         _pct(h["decreased_avg_gain_percent"])),
        ("worst gain", f"{_pct(summary['worst_gain_percent'])} ({summary['worst_where']})", _pct(h["worst_gain_percent"])),
        ("average gain over all cells", _pct(summary["mean_gain_percent"]), "—"),
        ("sign test over cells' mean gains (two-sided)",
         f"p = {p(sign['pvalue'])} ({sign['n_positive']} +, {sign['n_negative']} −, {sign['n_zero']} zero)", "—"),
        ("Wilcoxon signed-rank over cells' mean gains", f"W = {p(wil['statistic'])}, p = {p(wil['pvalue'])}", "—"),
        ("minimum detectable gain per cell (median paired n, power 0.8)",
         f"{_pct(summary['mde_percent'])} at n = {summary['n_seeds']}; a {summary['effect_percent']:g}% gain needs "
         f"about n = {summary['n_for_effect']}", f"{h['trials']} trials"),
    ]
    return pd.DataFrame(rows, columns=["statistic", "ours", "IGNITE paper"])


def settings_headline_table(gains_by_label: Mapping[str, pd.DataFrame], headline: dict | None = None,
                            restrict_to: str | None = None) -> pd.DataFrame:
    """:func:`headline_table` with one column of ours per settings label, then the paper's.

    Each label's column is the :func:`gain_summary` of its own :func:`gains` (never pooled across labels).

    Args:
        gains_by_label: ``{label: gains frame}``, e.g. ``{"quick": ..., "ignite": ...}``.
        restrict_to: a label; every other label then gets a second column, ``"<label>, <restrict_to>'s cells"``,
            over only the (method, task) cells that label has a verdict for, so counts compare like with like.
    """
    if restrict_to is not None and restrict_to not in gains_by_label:
        raise InvalidInputError(f"restrict_to={restrict_to!r} is not one of the labels {list(gains_by_label)}")
    decided = None
    if restrict_to is not None:
        ref = gains_by_label[restrict_to]
        decided = ref.loc[ref.verdict.isin(stats.VERDICTS), ["method", "task"]]
    columns = {}
    for label, g in gains_by_label.items():
        columns[label] = g
        if decided is not None and label != restrict_to:
            columns[f"{label}, {restrict_to}'s cells"] = g.merge(decided, on=["method", "task"])
    tables = {label: headline_table(gain_summary(g), headline) for label, g in columns.items()}
    first = next(iter(tables.values()))
    out = pd.DataFrame({"statistic": first["statistic"]})
    for label, t in tables.items():
        out[f"ours ({label})"] = t["ours"].to_numpy()
    out["IGNITE paper"] = first["IGNITE paper"].to_numpy()
    return out


SHARPNESS_WORDS = {"improves": "higher with IGNITE", "worsens": "lower with IGNITE"}


def sharpness_table(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str],
                    variant: str = "ignite") -> pd.DataFrame:
    """Sharpness ``rho * ||grad_w h||`` on the final candidates without / with ``variant`` (mean ± std over
    paired seeds, ``n``), the reduction ``(1 - with / without) * 100`` of the means (= minus the gain), its paired
    95% interval and the verdict ("lower with IGNITE" / "higher with IGNITE" / "no detectable change")."""
    s = paired_stats(frame, methods, tasks, "sharpness", variant)
    s["reduction %"] = -s["gain"]
    s["reduction 95% CI"] = [_gain_ci(-hi, -lo) for lo, hi in zip(s.gain_low, s.gain_high)]
    s["verdict"] = s["verdict"].map(lambda v: SHARPNESS_WORDS.get(v, v))
    s["task"] = s["task"].map(lambda t: SHORT_NAMES.get(t, t))
    s["without"] = [fmt_pm(m, sd, 4) for m, sd in zip(s.without_mean, s.without_std)]
    s["with"] = [fmt_pm(m, sd, 4) for m, sd in zip(s.with_mean, s.with_std)]
    return s


SENSITIVITY_COLUMNS = ["gain_mean", "gain_std", "gain_low", "gain_high", "verdict", "n"]


def sensitivity_frame(frame: pd.DataFrame, param: str, percentile: int = 100) -> pd.DataFrame:
    """Per (task, method, ``param`` value): the paired gain (%) of IGNITE runs over the plain runs with the same
    seeds (:func:`mbo_lib.stats.paired_gain`): ``gain_mean`` (of the means), ``gain_std`` (spread of the per-seed
    gains), ``gain_low`` / ``gain_high`` (95% interval), ``verdict`` and ``n`` seeds.

    Runs enter when the OTHER swept parameter is at its default (epsilon 0.1 / eta_lambda 1e-3), so the
    epsilon curve and the eta_lambda curve share only the default run.
    """
    value, defaults = f"norm_p{percentile}", IgniteConfig()
    other = {"epsilon": "eta_lambda", "eta_lambda": "epsilon"}[param]
    cols = ["task", "method", param] + SENSITIVITY_COLUMNS
    if frame.empty or param not in frame.columns:
        return pd.DataFrame(columns=cols)
    base = frame[frame.regularizer == ""]
    reg = frame[(frame.regularizer == "ignite") & np.isclose(frame[other], getattr(defaults, other))]
    rows = []
    for (task, method, p), g in reg.groupby(["task", "method", param]):
        both = pd.concat([g, base[(base.task == task) & (base.method == method)]])
        pair = stats.paired_frame(both, value, "regularizer", "ignite", "", by=("task", "method")).iloc[0]
        if pair["n"]:
            rows.append({"task": task, "method": method, param: p, "gain_mean": pair["gain"],
                         "gain_std": pair["gain_std"], "gain_low": pair["gain_low"], "gain_high": pair["gain_high"],
                         "verdict": pair["verdict"], "n": int(pair["n"])})
    return pd.DataFrame(rows, columns=cols)


def plot_sensitivity(sens: pd.DataFrame, param: str, ax=None, label: str | None = None):
    """Gain (%) vs ``param`` (log x), one line per method: the gain of the means, band = paired 95% interval
    (none where n < 2); a zero line."""
    ax = ax or plt.subplots(figsize=(4.5, 3.2))[1]
    for method, g in sens.groupby("method"):
        g = g.sort_values(param)
        line, = ax.plot(g[param], g.gain_mean, marker="o", ms=4, label=f"{method} (n={int(g.n.min())}-{int(g.n.max())})")
        ax.fill_between(g[param], g.gain_low.astype(float), g.gain_high.astype(float), alpha=0.2, color=line.get_color())
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(label or param)
    ax.set_ylabel("gain of IGNITE over plain (%), 95% CI")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return ax


def paired_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``records_frame(records, kind="curve")`` whose (task, method, seed) has a run with every
    regularizer present for that (task, method), so plain and regularized curves average over the same seeds."""
    if steps.empty:
        return steps
    per_seed = steps.groupby(["task", "method", "seed"]).regularizer.transform("nunique")
    per_method = steps.groupby(["task", "method"]).regularizer.transform("nunique")
    return steps[per_seed == per_method]


def plot_steps(steps: pd.DataFrame, method: str, ax=None, percentile: int = 100, task: str | None = None):
    """Normalized score vs step for ``method`` (on ``task``; default: all rows, i.e. one task), one line per
    regularizer: mean over seeds, band = 95% interval of the mean (:func:`mbo_lib.stats.summarize`)."""
    value = f"norm_p{percentile}"
    ax = ax or plt.subplots(figsize=(4.5, 3.2))[1]
    rows = steps[(steps.method == method) & ((steps.task == task) if task is not None else True)]
    for reg, g in rows.groupby("regularizer"):
        cells = stats.summarize(g, value, by=("step",)).sort_values("step")
        line, = ax.plot(cells.step, cells["mean"], marker="o", ms=3, label=f"{reg or 'plain'} (n={int(cells.n.max())})")
        ax.fill_between(cells.step, cells["low"].astype(float), cells["high"].astype(float), alpha=0.2,
                        color=line.get_color())
    ax.set_title(method)
    ax.set_xlabel("gradient-ascent step")
    ax.set_ylabel(f"normalized score ({percentile}th pct.)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return ax


def steps_table(steps: pd.DataFrame, percentile: int = 100) -> pd.DataFrame:
    """Score at each recorded step, ``mean ± std [95% CI]`` over seeds (:func:`mbo_lib.stats.fmt_inline`):
    rows (task, method, regularizer) with ``n`` (most seeds at any step), columns steps."""
    value = f"norm_p{percentile}"
    if steps.empty:
        return pd.DataFrame()
    steps = steps.assign(task=steps.task.map(lambda t: SHORT_NAMES.get(t, t)),
                         regularizer=steps.regularizer.replace("", "plain"))
    cells = stats.summarize(steps, value, by=("task", "method", "regularizer", "step"))
    cells["cell"] = [stats.fmt_inline(c) for c in cells.to_dict("records")]
    table = cells.set_index(["task", "method", "regularizer", "step"])["cell"].unstack("step").fillna("—")
    table.insert(0, "n", cells.groupby(["task", "method", "regularizer"], sort=False)["n"].max())
    return table


def records_with_grad_norm(specs, compute_missing: bool = True, device="auto") -> tuple[list[dict], pd.DataFrame]:
    """Records of ``specs`` that carry ``surrogate_grad_norm_on_candidates``.

    Records written before the runner stored that field lack it; with ``compute_missing`` such a spec is re-run
    and its record replaced (same spec, same code path: the scores must agree, and ``reruns`` shows both);
    without, it is left out. Returns ``(records, reruns)``: ``reruns`` has one row per replaced record with the
    old and the new 100th-percentile score.
    """
    from ..experiments import RecordStore, run_spec

    store = RecordStore()
    found = {r["key"]: r for r in load_records(specs, compute_missing, device, store)}
    out, rows = [], []
    for spec in specs:
        r = found.get(spec.key)
        if r is not None and r.get("surrogate_grad_norm_on_candidates") is None:
            if not compute_missing:
                continue
            store.path(spec).unlink()
            again = run_spec(spec, store, device=device)
            rows.append({"method": spec.method, "task": spec.task, "seed": spec.seed,
                         "stored norm_p100": r["result"]["norm_p100"], "rerun norm_p100": again["result"]["norm_p100"]})
            r = again
        if r is not None:
            out.append(r)
    return out, pd.DataFrame(rows, columns=["method", "task", "seed", "stored norm_p100", "rerun norm_p100"])


def ignite_training_end(records: list[dict], name: str = "ignite") -> pd.DataFrame:
    """Where IGNITE's BDMM ended: per (method, task), over the runs with ``regularizer.name == name``, the mean of the
    last epoch's multiplier ``ignite_lambda_end`` and minibatch sharpness ``ignite_sharpness`` (rho times the
    weight-gradient norm of the mean prediction; the constraint asks for <= epsilon), averaged over every surrogate
    a run trained (ensemble members each have their own multiplier), ``n`` runs and the 95% interval of each mean
    over runs (:func:`mbo_lib.stats.summarize`)."""
    rows = []
    for r in records:
        logs = [log for log in (r.get("train") or []) if log and "ignite_lambda_end" in log[-1]]
        if (r["spec"].get("regularizer") or {}).get("name") != name or not logs:
            continue
        rows.append({"method": r["spec"]["method"], "task": SHORT_NAMES.get(r["spec"]["task"], r["spec"]["task"]),
                     "epochs": max(log[-1].get("epoch", 0) for log in logs),
                     "lambda_end": float(np.mean([log[-1]["ignite_lambda_end"] for log in logs])),
                     "sharpness": float(np.mean([log[-1].get("ignite_sharpness", np.nan) for log in logs]))})
    cols = ["method", "task", "n", "epochs", "lambda_end", "lambda_end 95% CI", "sharpness", "sharpness 95% CI"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    lam, sharp = (stats.summarize(df, c, by=("method", "task")) for c in ("lambda_end", "sharpness"))
    out = lam[["method", "task", "n"]].assign(
        epochs=df.groupby(["method", "task"], sort=False)["epochs"].max().to_numpy(), lambda_end=lam["mean"],
        sharpness=sharp["mean"])
    out["lambda_end 95% CI"] = [fmt_ci(lo, hi, 4) for lo, hi in zip(lam.low, lam.high)]
    out["sharpness 95% CI"] = [fmt_ci(lo, hi, 4) for lo, hi in zip(sharp.low, sharp.high)]
    return out[cols]


def identical_cells(frame: pd.DataFrame, variant: str = "ignite", percentile: int = 100) -> list[tuple[str, str, int]]:
    """``(method, task, n)`` of the cells where every paired seed scored exactly the same without and with
    ``variant``: the regularizer did not change the method's candidates' score at all there."""
    value = f"norm_p{percentile}"
    base = frame[frame.regularizer == ""].set_index(["method", "task", "seed"])[value]
    reg = frame[frame.regularizer == variant].set_index(["method", "task", "seed"])[value]
    both = base.to_frame("without").join(reg.to_frame("with"), how="inner")
    out = []
    for (method, task), g in both.groupby(level=["method", "task"], sort=False):
        if (g["without"] == g["with"]).all():
            out.append((method, SHORT_NAMES.get(task, task), len(g)))
    return out



def describe_gains(gains_by_percentile: dict[int, pd.DataFrame]) -> str:
    """Markdown, one bullet per cell with paired runs: without / with means, the gain, its paired 95% interval
    and the verdict, per percentile (``{100: gains(...), 50: gains(...)}``)."""
    lines = []
    for p, g in gains_by_percentile.items():
        for _, r in g[g.n > 0].iterrows():
            lines.append(f"- {SHORT_NAMES.get(r['task'], r['task'])} / {r['method']}, {p}th percentile "
                         f"(n={int(r['n'])} paired seeds): without {r['without_mean']:.3f}, with {r['with_mean']:.3f}, "
                         f"gain {_pct(r['gain'])} (95% CI {_gain_ci(r['gain_low'], r['gain_high'])}): {r['verdict']}.")
    return "\n".join(lines) if lines else "No paired runs yet."


def describe_summary(summary: dict, headline: dict | None = None) -> str:
    """One paragraph: our verdict counts, gains, aggregate tests and power next to the paper's headline."""
    s, h = summary, headline or ignite_headline()
    if not s["gain_cells"]:
        return "No cell has paired runs yet."
    sign, wil = s["sign_test"], s["wilcoxon"]
    counts = (f"{s['improves']}/{s['cells']} improve, {s['worsens']} worsen, {s['no detectable change']} show no "
              f"detectable change (paired 95% interval)" if s["cells"] else "no cell has 2 paired seeds")
    return (f"Ours: {counts}; {s['no_verdict']} cells have fewer than 2 paired seeds. Paper: {h['improved']}/"
            f"{h['cells']} improved, {h['decreased']} decreased, {h['unchanged']} unchanged ({h['trials']} trials, "
            f"threshold not stated). Mean gain over our {s['gain_cells']} cells {_pct(s['mean_gain_percent'])}, peak "
            f"{_pct(s['peak_gain_percent'])} ({s['peak_where']}), worst {_pct(s['worst_gain_percent'])} "
            f"({s['worst_where']}); paper: improved cells {_pct(h['improved_avg_gain_percent'])} on average, peak "
            f"{_pct(h['peak_gain_percent'])} ({h['peak_where']}). Across cells, {sign['n_positive']} mean gains are "
            f"positive and {sign['n_negative']} negative (sign test p = {sign['pvalue']:.3g}; Wilcoxon signed-rank "
            f"p = {wil['pvalue']:.3g}). {power_line(s)}")


def steps_sentences(steps: pd.DataFrame, percentile: int = 100) -> str:
    """Markdown, one bullet per (task, method, regularizer) of a curve frame: the mean score at the first step,
    the best step and the last step (each with its 95% interval) and n seeds."""
    value = f"norm_p{percentile}"
    lines = []
    for (task, method, reg), g in steps.groupby(["task", "method", "regularizer"]):
        cells = stats.summarize(g, value, by=("step",)).sort_values("step").reset_index(drop=True)
        first, best, last = cells.iloc[0], cells.loc[cells["mean"].idxmax()], cells.iloc[-1]
        at = lambda c: f"{c['mean']:.3f} {fmt_ci(c['low'], c['high'])} at step {int(c['step'])}"  # noqa: E731
        lines.append(f"- {SHORT_NAMES.get(task, task)}, {method} {reg or 'plain'}: {at(first)}, best {at(best)}, "
                     f"{at(last)} (the last; n={g.seed.nunique()}).")
    return "\n".join(lines) or "No runs yet."


def steps_gain_table(steps: pd.DataFrame, variant: str = "ignite2", percentile: int = 100) -> pd.DataFrame:
    """Paired gain of ``variant`` over plain at each recorded step of a curve frame (same seeds): one row per
    (task, method, step) with without / with (mean ± population std), ``gain %``, its paired ``gain 95% CI``,
    the ``verdict`` and ``n`` paired seeds (:func:`mbo_lib.stats.paired_gain`)."""
    value = f"norm_p{percentile}"
    cols = ["task", "method", "step"] + GAIN_TABLE_COLUMNS
    if steps.empty:
        return pd.DataFrame(columns=cols)
    pairs = stats.paired_frame(steps[steps.regularizer.isin(["", variant])], value, "regularizer", variant, "",
                               by=("task", "method", "step"))
    table = gain_table(pairs)  # same display rules as the gain tables
    table.insert(2, "step", pairs["step"].to_numpy())
    return table.sort_values(["task", "method", "step"], kind="stable").reset_index(drop=True)[cols]


def aggregate_table(frame: pd.DataFrame, methods: Sequence[str], tasks: Sequence[str], variant: str = "ignite",
                    percentile: int = 100, reps: int = 2000, seed: int = 0) -> pd.DataFrame:
    """rliable's aggregates over every (method, task) cell run both ways, each with a stratified-bootstrap 95%
    interval (:func:`mbo_lib.stats.stratified_bootstrap_ci`, ``seed`` fixed): the probability of improvement
    ``P(with > without)`` (per cell the fraction of (with run, without run) pairs where the with-run scores
    higher, ties 1/2, averaged over cells; 0.5 = no tendency) and the interquartile mean of the normalized score
    without and with ``variant``. A cell enters on the seeds present both ways; rows: the statistic, its value,
    the interval and the number of cells."""
    value = f"norm_p{percentile}"
    cols = ["statistic", "value", "95% CI", "cells"]
    if frame.empty or value not in frame.columns:
        return pd.DataFrame(columns=cols)
    keep = frame[frame.method.isin(methods) & frame.task.isin(tasks) & frame.regularizer.isin(["", variant])]
    keep = keep.assign(cell=keep.method + " / " + keep.task, arm=keep.regularizer.map({"": "without", variant: "with"}))
    paired = keep.groupby(["cell", "seed"]).arm.transform("nunique") == 2
    scores = stats.score_dict(keep[paired], value, method="arm", task="cell")
    if set(scores) != {"with", "without"}:
        return pd.DataFrame(columns=cols)
    with_, without = scores["with"], scores["without"]
    rows = []
    for name, fn, mats in ((f"P({variant} > plain)", stats.probability_of_improvement, (with_, without)),
                           ("IQM plain", stats.iqm, (without,)), (f"IQM {variant}", stats.iqm, (with_,))):
        point, low, high = stats.stratified_bootstrap_ci(fn, *mats, reps=reps, seed=seed)
        rows.append({"statistic": name, "value": round(point, 4), "95% CI": fmt_ci(low, high, 4),
                     "cells": with_.shape[1]})
    return pd.DataFrame(rows, columns=cols)


# ------------------------------------------------------------------ quick next to the paper settings (issue 12)

def settings_gain_table(frames: Mapping[str, pd.DataFrame], methods: Sequence[str], tasks: Sequence[str],
                        variant: str = "ignite", percentile: int = 100,
                        not_run: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`gain_table` per settings label, stacked with a ``settings`` column first (never mixed: each label's
    gains pair only its own runs). At a paper settings label a cell with no paired seed says why in ``without``:
    the runs each side has, and :func:`mbo_lib.reporting.campaign.cell_note` (not yet run / GPU work / not in the
    campaign).

    Args:
        frames: ``{settings label: records_frame}``, e.g. ``{"quick": ..., "diagnostic": ..., "ignite": ...}``;
            paper labels are settings names (:data:`mbo_lib.methods.settings.SETTINGS`).
    """
    from .campaign import QUICK_LABELS, cell_note

    out = []
    for label, frame in frames.items():
        table = gain_table(gains(frame, methods, tasks, percentile, variant), dict(not_run or {}))
        if label not in QUICK_LABELS:
            for i, r in table[table.n == 0].iterrows():
                if str(r["without"]).startswith("not run"):
                    continue
                tid = next(t for t in tasks if SHORT_NAMES.get(t, t) == r["task"])
                cell = (frame.method == r["method"]) & (frame.task == tid) if len(frame) else None
                have = {reg: int((cell & (frame.regularizer == reg)).sum()) if len(frame) else 0 for reg in ("", variant)}
                note = cell_note(r["method"], tid, label, variant, 0) or cell_note(r["method"], tid, label, "", 0)
                if any(have.values()):
                    note = f"unpaired ({have['']} plain, {have[variant]} {variant}); {note or 'the rest not run'}"
                table.loc[i, "without"] = note
        out.append(table.assign(settings=label))
    cols = ["settings", "method", "task"] + GAIN_TABLE_COLUMNS
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)


END_COLUMNS = ["settings", "method", "task", "n", "epochs", "lambda_end", "lambda_end 95% CI", "sharpness",
               "sharpness 95% CI", "epsilon", "sharpness / epsilon"]


def training_end_by_settings(records_by_settings: Mapping[str, list[dict]], name: str = "ignite") -> pd.DataFrame:
    """:func:`ignite_training_end` per settings label, stacked with a ``settings`` column, plus the constraint's
    ``epsilon`` (the runs' regularizer parameter) and ``sharpness / epsilon`` (above 1: the constraint is violated
    at the last epoch)."""
    from ..experiments.record import regularizer_params

    out = []
    for label, records in records_by_settings.items():
        end = ignite_training_end(records, name)
        if end.empty:
            continue
        eps = {}
        for r in records:
            reg = r["spec"].get("regularizer") or {}
            if reg.get("name") == name:
                key = (r["spec"]["method"], SHORT_NAMES.get(r["spec"]["task"], r["spec"]["task"]))
                eps.setdefault(key, regularizer_params(reg).get("epsilon", np.nan))
        end["epsilon"] = [eps.get((m, t), np.nan) for m, t in zip(end.method, end.task)]
        end["sharpness / epsilon"] = end.sharpness / end.epsilon
        out.append(end.assign(settings=label))
    return pd.concat(out, ignore_index=True)[END_COLUMNS] if out else pd.DataFrame(columns=END_COLUMNS)


def _gain_clause(r) -> str:
    n = int(r["n"])
    if n == 0:
        return f"no paired seed ({r['without']})" if str(r["without"]) not in ("—", "") else "no paired seed"
    if n == 1:
        return f"gain {r['gain %']} on 1 paired seed (no interval, no verdict)"
    return f"gain {r['gain %']} (95% CI {r['gain 95% CI']}, {n} paired seeds): {r['verdict']}"


def _end_clause(e) -> str:
    if e is None:
        return "no IGNITE training log"
    runs = "1 run" if int(e["n"]) == 1 else f"{int(e['n'])} runs"
    side = "above" if e["sharpness / epsilon"] > 1 else "at or below"
    return (f"at the last epoch ({int(e['epochs'])}) lambda {e['lambda_end']:.4g} and minibatch sharpness "
            f"{e['sharpness']:.3g}, {e['sharpness / epsilon']:.2g}x epsilon {e['epsilon']:g} ({side} the threshold; "
            f"{runs})")


def settings_gain_wide(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`settings_gain_table` with one row per (method, task) and one column per settings label: the gain,
    its paired 95% interval, the verdict and ``n`` in one cell (``"gain +1.2% (n=1)"`` from one paired seed); a cell
    without paired seeds shows its reason."""
    def cell(r) -> str:
        n = int(r["n"])
        if n == 0:
            return str(r["without"])
        if n == 1:
            return f"{r['gain %']} (n=1, no interval)"
        return f"{r['gain %']} {r['gain 95% CI']} {r['verdict']} (n={n})"

    if table.empty:
        return pd.DataFrame()
    out = table.assign(cell=[cell(r) for _, r in table.iterrows()])
    wide = out.pivot_table(index=["method", "task"], columns="settings", values="cell", aggfunc="first", sort=False)
    return wide[list(dict.fromkeys(table.settings))]


def _across(g: pd.DataFrame, e_cell: pd.DataFrame) -> str:
    """" Across settings: gain a (quick) → b (ignite); ..." over the labels that have the number (2 or more)."""
    gains_ = [f"{r['gain %']} ({r['settings']})" for _, r in g.iterrows() if int(r["n"]) > 0]
    parts = [f"gain {' → '.join(gains_)}"] if len(gains_) > 1 else []
    if len(e_cell) > 1:
        parts.append("last-epoch lambda " + " → ".join(f"{e['lambda_end']:.3g} ({e['settings']})"
                                                       for _, e in e_cell.iterrows()))
        parts.append("sharpness / epsilon " + " → ".join(f"{e['sharpness / epsilon']:.2g} ({e['settings']})"
                                                         for _, e in e_cell.iterrows()))
    return f" Across settings: {'; '.join(parts)}." if parts else ""


def describe_settings_effect(table: pd.DataFrame, ends: pd.DataFrame) -> str:
    """Markdown, one bullet per (method, task) of a :func:`settings_gain_table` with a paired seed or an IGNITE
    training log at some settings label: per label the gain (with its interval and verdict from 2 paired seeds,
    the bare gain from 1, the reason from 0) and, from :func:`training_end_by_settings`, where IGNITE's multiplier
    and minibatch sharpness ended, and, where two labels or more have them, how the gain, the multiplier and the
    sharpness moved across settings; then one line naming the cells with nothing at any label. Generated from the
    records; reads correctly at any n."""
    lines, empty = [], []
    for (method, task), g in table.groupby(["method", "task"], sort=False):
        if all(str(w).startswith("not run") for w in g["without"]):
            continue
        e_cell = ends[(ends.method == method) & (ends.task == task)] if len(ends) else ends
        if (g.n == 0).all() and not len(e_cell):
            empty.append(f"{method} / {task}")
            continue
        parts = []
        for _, r in g.iterrows():
            e = e_cell[e_cell.settings == r["settings"]] if len(e_cell) else e_cell
            parts.append(f"{r['settings']}: {_gain_clause(r)}; {_end_clause(e.iloc[0] if len(e) else None)}")
        lines.append(f"- {method} / {task}: " + " | ".join(parts) + "." + _across(g, e_cell))
    if empty:
        lines.append(f"- No paired seed and no IGNITE training log at any settings ({', '.join(dict.fromkeys(table.settings))}): "
                     + ", ".join(empty) + ".")
    return "\n".join(lines) or "No cells."


def settings_sharpness_table(frames: Mapping[str, pd.DataFrame], methods: Sequence[str], tasks: Sequence[str],
                             variant: str = "ignite") -> pd.DataFrame:
    """:func:`sharpness_table` per settings label, stacked with a ``settings`` column (each label pairs only its
    own runs); at a paper settings label a cell with no paired seed says why in ``without``
    (:func:`mbo_lib.reporting.campaign.cell_note`). Columns: settings, method, task, without, with, reduction %,
    reduction 95% CI, verdict, n."""
    from .campaign import QUICK_LABELS, cell_note

    cols = ["settings", "method", "task", "without", "with", "reduction %", "reduction 95% CI", "verdict", "n"]
    out = []
    for label, frame in frames.items():
        s = sharpness_table(frame, methods, tasks, variant).assign(settings=label)
        s["reduction %"] = s["reduction %"].astype(float).round(1)
        if label not in QUICK_LABELS:
            for i, r in s[s.n == 0].iterrows():
                tid = next(t for t in tasks if SHORT_NAMES.get(t, t) == r["task"])
                s.loc[i, "without"] = cell_note(r["method"], tid, label, variant, 0) or cell_note(r["method"], tid, label, "", 0)
        out.append(s[cols])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)
