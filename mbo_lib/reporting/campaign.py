"""Paper-settings rows for the notebooks: the campaign's run specs, the records that exist, and why a cell is empty.

The paper-settings campaign (``tools/campaign.py``, issue 12) runs the decisive cells at the ``paper`` profile with
named settings (:mod:`mbo_lib.methods.settings`); its records land in ``records/paper/`` over days. A notebook
shows whatever exists next to its quick rows, with ``n`` per cell, and never computes a paper run (hours each):
:func:`load_paper` always loads with ``compute_missing=False``.

A cell without records says why (:func:`cell_note`): ``"not yet run — campaign: see records/paper/PROGRESS.md"``
when the campaign will run it (:data:`CAMPAIGN_CELLS`, the one definition of the campaign's cells: ``tools/campaign.py`` runs exactly
these), the GPU note with its cost estimate for the cells only
a GPU can afford (``tools/gpu_campaign.py``), and "not in the campaign" otherwise.

Example:
    >>> specs = paper_specs(["COMs"], ["TFBind10-Exact-v0"], [0, 1], "ignite", regularizers=["", "ignite"])
    >>> [(s.seed, s.overrides, s.regularizer) for s in specs][1:3]
    [(1, {'epochs': 2}, {}), (0, {'epochs': 2}, {'name': 'ignite'})]
    >>> cell_note("COMs", "TFBind10-Exact-v0", "ignite", "ignite", n=0)
    'not yet run — campaign: see records/paper/PROGRESS.md'
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from .. import stats
from ..config import REPO_ROOT
from ..errors import InvalidInputError
from ..experiments.record import records_frame
from ..experiments.spec import RunSpec, plain, same_value
from ..methods.settings import SETTINGS, settings_of, settings_overrides
from ..tasks import SHORT_NAMES, resolve_task_id
from .notebook import load_records
from .tables import fmt_ci, fmt_pm

PROGRESS = "records/paper/PROGRESS.md"
NOT_YET_RUN = f"not yet run — campaign: see {PROGRESS}"
NOT_IN_CAMPAIGN = "not in the campaign (no record; no run planned)"
TF8, TF10 = "TFBind8-Exact-v0", "TFBind10-Exact-v0"
QUICK_LABELS = ("smoke", "quick")  # labels whose rows come from a notebook's own grid, not from the campaign

# What the cells only a GPU can afford cost (tools/gpu_campaign.py's docstring; the COMs line from the
# baselines_table notebook's measurement). Keys: method names.
GPU_NOTES = {
    "GA-Ensemble-Mean": "GPU work: tools/gpu_campaign.py (five 2 x 2048 GA surrogates, ~30 CPU-minutes each on "
                        "TF-Bind-8, 3x that with IGNITE: ~2.5 / ~7.5 CPU-hours per seed for -Mean and -Min together, which "
                        "share one training; minutes on a GPU)",
    "PGS": "GPU work: tools/gpu_campaign.py (401k CQL steps per p: about 80 CPU-hours per seed)",
}
MINS_COST = "benchmarks/results/mins_paper_cost.json"  # benchmarks/bench_mins_paper.py's measurement


def mins_gpu_note(path=None) -> str:
    """MINs' GPU note with the CPU cost that ``benchmarks/bench_mins_paper.py`` measured (its JSON, ``path``;
    default :data:`MINS_COST` in the checkout), or a note saying that none was measured when the file is absent."""
    path = Path(path) if path is not None else REPO_ROOT / MINS_COST
    try:
        cost = json.loads(path.read_text())
        plain_h, ignite_h, task = float(cost["plain_cpu_hours"]), float(cost["ignite_cpu_hours"]), cost["task"]
    except (OSError, ValueError, KeyError, TypeError):
        return "GPU work: tools/gpu_campaign.py does not run it yet (paper-size GAN; no CPU cost measured)"
    return (f"GPU work: tools/gpu_campaign.py does not run it yet (paper-size GAN: ~{plain_h:.1f} CPU-hours per "
            f"run on {SHORT_NAMES.get(task, task)}, ~{ignite_h:.1f} with IGNITE; measured per epoch, {MINS_COST[:-5]}.md)")


GPU_NOTES["MINs"] = mins_gpu_note()
GPU_NOTES["GA-Ensemble-Min"] = GPU_NOTES["GA-Ensemble-Mean"]
GPU_CAMPAIGN_METHODS, GPU_CAMPAIGN_TASK = ("GA-Ensemble-Mean", "GA-Ensemble-Min", "PGS"), TF8  # what it runs
COMS_FULL_NOTE = ("GPU work: COMs with the COMs paper's 50 epochs, about 6 CPU-hours per seed "
                  "(tools/gpu_campaign.py does not run it yet)")

INIT_WORDS = {"torch": "PyTorch's nn.Linear default", "keras": "Keras' Dense default: glorot_uniform, zero biases"}
PARITY_INIT = "benchmarks/results/parity_init.md"


@dataclass(frozen=True)
class CampaignCell:
    """One cell of the campaign: ``method`` on ``task`` at ``settings`` for ``seeds`` paired seeds, once per
    regularizer name in ``regularizers`` (``""`` = plain), with ``extra_overrides`` on top of the settings."""

    method: str
    task: str
    settings: str
    seeds: int
    regularizers: tuple = ("", "ignite")
    extra_overrides: tuple = ()  # sorted (name, value) pairs

    def overrides(self) -> dict:
        return {**settings_overrides(self.settings, self.method), **dict(self.extra_overrides)}


def _cells() -> tuple[CampaignCell, ...]:
    plain_only = ("",)
    out = [CampaignCell("GA", TF10, "diagnostic", 16),
           CampaignCell("MATCH-OPT", TF10, "baselines", 4, plain_only),
           CampaignCell("MATCH-OPT", TF10, "baselines", 4, plain_only, (("alpha", 0.0),)),
           CampaignCell("COMs", TF10, "ignite", 8)]
    out += [CampaignCell(m, TF10, "ignite", 8) for m in ("REINFORCE", "CMA-ES", "BO-qEI", "CbAS")]
    out += [CampaignCell("GA", TF10, "ignite", 8),
            CampaignCell("COMs", TF10, "ignite", 4, ("ignite2",)),
            CampaignCell("GA", TF10, "ignite", 4, ("ignite2",)),
            CampaignCell("MATCH-OPT", TF8, "baselines", 4, plain_only)]
    out += [CampaignCell(m, TF8, "ignite", 4) for m in ("COMs", "REINFORCE", "CMA-ES", "BO-qEI", "CbAS")]
    out += [CampaignCell("GA", TF8, "ignite", 2)]
    # Beyond the list: MATCH-OPT's alpha = 0 ablation on TF-Bind-8 too. On TF-Bind-10 both variants sit at
    # the top-128 start floor (0.603 on every seed: `start_floor_table`), so that cell cannot show whether the
    # regression term helps (claim M2); TF-Bind-8 has no such floor (its oracle is its labels). Added before any
    # alpha = 0 run on TF-Bind-8 existed.
    out += [CampaignCell("MATCH-OPT", TF8, "baselines", 4, plain_only, (("alpha", 0.0),))]
    return tuple(out)


CAMPAIGN_CELLS = _cells()  # the campaign's cells in priority order; tools/campaign.py runs exactly these


def _reg_name(regularizer) -> str:
    if not regularizer:
        return ""
    return regularizer if isinstance(regularizer, str) else regularizer.get("name", "")


def _reg_spec(regularizer) -> dict:
    if not regularizer:
        return {}
    return {"name": regularizer} if isinstance(regularizer, str) else dict(regularizer)


def paper_specs(methods: Sequence[str], tasks: Sequence[str], seeds: Sequence[int], settings: str = "baselines",
                regularizers: Sequence = ("",), extra_overrides: dict | None = None) -> list[RunSpec]:
    """The ``paper``-profile specs of ``methods`` x ``tasks`` x ``seeds`` x ``regularizers`` at ``settings``
    (:func:`mbo_lib.methods.settings.settings_overrides` per method, plus ``extra_overrides``, e.g.
    ``{"alpha": 0.0}``): the same specs, hence the same record keys, as the campaign's.

    Args:
        regularizers: names (``"ignite"``) or regularizer dicts; ``""`` / ``{}`` / None = plain.

    Raises:
        InvalidInputError: unknown settings, method, task or override (named in the message).
    """
    return [RunSpec(task, method, "paper", seed, overrides={**settings_overrides(settings, method),
                                                             **(extra_overrides or {})},
                    regularizer=_reg_spec(reg))
            for task in tasks for method in methods for reg in regularizers for seed in seeds]


def load_paper(specs: Sequence[RunSpec], store=None) -> list[dict]:
    """The existing records of ``specs`` (never computed: ``compute_missing=False``; a line says how many lack one)."""
    return load_records(specs, compute_missing=False, store=store)


def campaign_cell(method: str, task: str, settings: str, regularizer="",
                  extra_overrides: dict | None = None) -> CampaignCell | None:
    """The campaign cell that runs ``method`` on ``task`` at ``settings`` with ``regularizer``, or None.

    Settings match by their overrides, so ``baselines`` and ``ignite`` are the same cell for methods IGNITE runs as
    design-baselines does (e.g. GA), and differ for COMs (2 vs 50 epochs).
    """
    want = {**settings_overrides(settings, method), **(extra_overrides or {})}
    task, name = resolve_task_id(task), _reg_name(regularizer)
    for cell in CAMPAIGN_CELLS:
        if (cell.method == method and cell.task == task and name in cell.regularizers
                and same_value(plain(cell.overrides()), plain(want))):
            return cell
    return None


def cell_note(method: str, task: str, settings: str, regularizer="", n: int = 0,
              extra_overrides: dict | None = None) -> str:
    """Why a paper-settings cell has ``n`` records: ``""`` when ``n > 0``; "not applicable" for a method a named
    settings does not define (``diagnostic`` is GA's only); :data:`NOT_YET_RUN` for a campaign cell;
    the GPU note with its cost for cells only a GPU affords; :data:`NOT_IN_CAMPAIGN` otherwise."""
    if n > 0:
        return ""
    if settings not in ("baselines", "ignite") and method not in SETTINGS.get(settings, {method: None}):
        return f"not applicable: the {settings} settings are defined for {', '.join(SETTINGS[settings])} only"
    if campaign_cell(method, task, settings, regularizer, extra_overrides) is not None:
        return NOT_YET_RUN
    if method in GPU_NOTES:
        if method in GPU_CAMPAIGN_METHODS and resolve_task_id(task) != GPU_CAMPAIGN_TASK:
            return GPU_NOTES[method].replace("tools/gpu_campaign.py", "tools/gpu_campaign.py runs TF-Bind-8 only; here")
        return GPU_NOTES[method]
    if method == "COMs" and settings_overrides(settings, method) == {}:
        return COMS_FULL_NOTE
    return NOT_IN_CAMPAIGN


def settings_frame(records: Iterable[dict], kind: str = "runs") -> pd.DataFrame:
    """:func:`mbo_lib.reporting.records_frame` with a ``settings`` column (:func:`settings_of` of each record's
    spec: ``quick`` / ``smoke`` / ``baselines`` / ``ignite`` / ``diagnostic`` / ``custom``)."""
    if kind not in ("runs", "curve"):
        raise InvalidInputError(f"settings_frame: kind must be 'runs' or 'curve', got {kind!r}")
    records = list(records)
    frame = records_frame(records, kind=kind)
    per_run = [settings_of(r["spec"]) for r in records]
    labels = per_run if kind == "runs" else [s for r, s in zip(records, per_run) for _ in (r.get("curve") or [])]
    return frame.assign(settings=labels) if len(frame) else frame.assign(settings=pd.Series(dtype=str))


def settings_differences(method: str, settings: str, base: str = "quick") -> list[tuple[str, object, object]]:
    """``(hyperparameter, value at base, value at settings)`` for every hyperparameter of ``method`` that differs
    between the ``base`` profile and the ``paper`` profile with ``settings`` (from the method's own profiles)."""
    from ..methods import get_method

    m = get_method(method)
    a = plain(m.hyperparameters(base))
    b = plain(m.hyperparameters("paper", settings_overrides(settings, m.name)))
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if not same_value(a.get(k), b.get(k))]


def _value_words(name: str, value) -> str:
    return f"{value} ({INIT_WORDS[value]})" if name == "init" and value in INIT_WORDS else str(value)


def describe_settings(methods: Sequence[str], settings: Sequence[str], base: str = "quick") -> str:
    """Markdown, one bullet per (method, settings): what changes from the ``base`` profile (sizes, epochs, init ...),
    generated from the methods' profiles; the init line points to the parity measurement."""
    lines, init = [], False
    for method in methods:
        for s in settings:
            diffs = settings_differences(method, s, base)
            init = init or any(k == "init" for k, _, _ in diffs)
            what = "; ".join(f"{k}: {_value_words(k, a)} → {_value_words(k, b)}" for k, a, b in diffs) or "nothing"
            lines.append(f"- {method}, {base} → paper ({s} settings): {what}.")
    if init:
        lines.append(f"- The init changes how large the surrogate's weight gradient is during training, which is "
                     f"what IGNITE's threshold compares with: see `{PARITY_INIT}`.")
    return "\n".join(lines)


def seeds_phrase(n: int, paired: bool = False) -> str:
    """``"no seed"`` / ``"1 seed"`` / ``"4 seeds"`` (``paired``: "paired seed(s)"), for sentences that must read
    correctly at any n."""
    word = "paired seed" if paired else "seed"
    return f"no {word}" if n == 0 else f"1 {word}" if n == 1 else f"{n} {word}s"


SCORE_COLUMNS = ["settings", "method", "task", "ours", "n", "95% CI"]


def settings_score_table(frames: Mapping[str, pd.DataFrame], methods: Sequence[str], tasks: Sequence[str],
                         percentile: int = 100, not_run: Mapping[str, str] | None = None,
                         extra_overrides: dict | None = None, digits: int = 3) -> pd.DataFrame:
    """One row per (settings label, method, task): ``ours`` = mean ± population std over seeds, ``n`` and the 95%
    interval (:func:`mbo_lib.stats.cell_stats`); a cell without records at a paper settings label says why
    (:func:`cell_note`), at ``quick`` / ``smoke`` ``"—"``; tasks in ``not_run`` say ``"not run: <reason>"``.

    Args:
        frames: ``{settings label: records_frame}``, e.g. ``{"quick": ..., "baselines": ...}``; the paper labels
            must be settings names (:data:`mbo_lib.methods.settings.SETTINGS`).
        extra_overrides: overrides on top of the settings (e.g. MATCH-OPT's ``{"alpha": 0.0}``), for the notes.
    """
    value, rows = f"norm_p{percentile}", []
    for label, frame in frames.items():
        for method in methods:
            for task in tasks:
                short = SHORT_NAMES.get(task, task)
                sub = frame[(frame.method == method) & (frame.task == task)] if len(frame) else frame
                values = sub[value].dropna() if len(sub) and value in sub else pd.Series(dtype=float)
                row = {"settings": label, "method": method, "task": short}
                reason = (not_run or {}).get(task) or (not_run or {}).get(short)
                c = stats.cell_stats(values)
                if reason:
                    row.update({"ours": f"not run: {reason}", "n": 0, "95% CI": "—"})
                elif c.n == 0:
                    note = "—" if label in QUICK_LABELS else cell_note(method, task, label, "", 0, extra_overrides)
                    row.update({"ours": note, "n": 0, "95% CI": "—"})
                else:
                    row.update({"ours": fmt_pm(c.mean, c.std, digits), "n": c.n,
                                "95% CI": fmt_ci(c.low, c.high, digits)})
                rows.append(row)
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def describe_presence(table: pd.DataFrame) -> str:
    """One sentence per settings label of a table with ``settings`` and ``n`` columns: how many cells have records
    and how many runs they hold (reads correctly with none or one)."""
    lines = []
    for label, g in table.groupby("settings", sort=False):
        have = g[g.n > 0]
        cells = "no cell" if len(have) == 0 else "1 cell" if len(have) == 1 else f"{len(have)} cells"
        runs = int(have.n.sum())
        run_words = "no run" if runs == 0 else "1 run" if runs == 1 else f"{runs} runs"
        lines.append(f"- {label}: {cells} of {len(g)} with records ({run_words}).")
    return "\n".join(lines)


PRESENCE_COLUMNS = ["settings", "method", "task", "regularizer", "n", "seeds", "status"]


def presence_table(records: Iterable[dict], methods: Sequence[str], tasks: Sequence[str], settings: str,
                   regularizers: Sequence = ("",), extra_overrides: dict | None = None) -> pd.DataFrame:
    """Which runs exist at ``settings``: one row per (method, task, regularizer) with ``n`` records, their
    ``seeds`` and a ``status`` (``"n runs"`` or :func:`cell_note`'s reason); ``records`` are any records: a record
    counts when it is a ``paper`` run whose overrides are exactly those of ``settings`` (+ ``extra_overrides``), so
    GA's ``baselines`` and ``ignite`` runs (the same overrides) count for both and other settings never do."""
    frame = records_frame(list(records))
    rows = []
    for method in methods:
        for task in tasks:
            spec = paper_specs([method], [task], [0], settings, extra_overrides=extra_overrides)[0]
            want = json.dumps(spec.overrides, sort_keys=True)  # as records_frame writes a record's overrides
            for reg in regularizers:
                name = _reg_name(reg)
                sub = frame[(frame.profile == "paper") & (frame.method == method) & (frame.overrides == want)
                            & (frame.task == spec.task) & (frame.regularizer == name)] if len(frame) else frame
                n = len(sub)
                seeds = sorted(int(s) for s in sub.seed) if n else []
                status = (f"{n} run" + ("s" if n > 1 else "")) if n else cell_note(method, task, settings, name, 0,
                                                                                    extra_overrides)
                rows.append({"settings": settings, "method": method, "task": SHORT_NAMES.get(task, task),
                             "regularizer": name or "plain", "n": n, "seeds": seeds, "status": status})
    return pd.DataFrame(rows, columns=PRESENCE_COLUMNS)


def settings_score_wide(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`settings_score_table` with one row per (method, task) and one column per settings label:
    ``"mean ± std [95% CI] (n=k)"`` (no interval at n = 1), or the cell's reason when it has no record."""
    def cell(r) -> str:
        if r["n"] == 0:
            return str(r["ours"])
        return f"{r['ours']} (n=1)" if r["n"] == 1 else f"{r['ours']} {r['95% CI']} (n={r['n']})"

    if table.empty:
        return pd.DataFrame()
    out = table.assign(cell=[cell(r) for _, r in table.iterrows()])
    wide = out.pivot_table(index=["method", "task"], columns="settings", values="cell", aggfunc="first", sort=False)
    return wide[list(dict.fromkeys(table.settings))]
