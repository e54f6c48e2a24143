"""A run record as a typed value (:class:`Record`) and the one function that flattens records into a table.

A record is the JSON the runner writes per run (:mod:`mbo_lib.experiments.runner`). :meth:`Record.from_dict`
reads versions 1 to 3 (version 2 adds ``method_version`` and ``timings.cpu_seconds``, both ``None`` for version 1;
version 3 adds the resolved ``regularizer`` and ``environment.numerics``) and names the missing field when a record
lacks one it needs.

:func:`records_frame` is the only place records become rows; every table and figure starts from it:

- ``kind="runs"`` (default): one row per run;
- ``kind="curve"``: one row per (run, recorded search step) from the record's ``curve``;
- ``kind="checkpoints"``: one row per (PGS run, checkpoint) from ``extras["checkpoints"]``, with the oracle
  scores of that checkpoint's candidates (the curve point whose ``step`` is the checkpoint's ``key``).

Example:
    >>> from mbo_lib.experiments import RecordStore
    >>> from mbo_lib.experiments.record import records_frame
    >>> frame = records_frame(RecordStore().records())  # doctest: +SKIP
    >>> frame.groupby(["method", "task"]).norm_p100.mean()  # doctest: +SKIP
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from .spec import RunSpec

SUPPORTED_VERSIONS = (1, 2, 3)
REQUIRED_FIELDS = ("spec", "result")
REQUIRED_SPEC_FIELDS = ("task", "method", "seed")  # profile etc. take RunSpec's defaults
RHO = 0.05  # IGNITE's sharpness scale: sharpness = RHO * ||grad_w h|| on the candidates (IgniteConfig().rho)
KINDS = ("runs", "curve", "checkpoints")
RUN_COLUMNS = ["task", "task_short", "method", "regularizer", "profile", "seed", "overrides", "task_kwargs",
               "regularizer_params", "method_version", "norm_p100", "norm_p80", "norm_p50", "sharpness", "seconds",
               "cpu_seconds", "key"]
ID_COLUMNS = ["task", "task_short", "method", "regularizer", "profile", "seed", "overrides"]
SCORE_COLUMNS = ["norm_p100", "norm_p80", "norm_p50"]  # the columns an empty frame still has
CHECKPOINT_FIELDS = ["key", "top_p", "rl_steps", "osel_score", "surrogate_max", "selected"]


def _short(task: str) -> str:
    from ..tasks import SHORT_NAMES

    return SHORT_NAMES.get(task, task)


@dataclass(frozen=True)
class Record:
    """One finished run.

    Attributes:
        spec: the run's :class:`RunSpec`.
        key: the spec's key (names the record file).
        version: the record format version (1 or 2).
        task_id: the task the run scored on.
        hyperparameters: the method's settings as run.
        result: scores of the final 128 candidates: ``norm_p{100,80,50}``, ``raw_p*``, ``scores``, ``normalized``.
        curve: one dict per recorded search step (``step`` plus ``norm_p*`` / ``raw_p*``).
        train: one list of per-epoch logs per surrogate trained.
        extras: method-specific facts (PGS: ``checkpoints``, ...).
        grad_norm_on_candidates: ``||grad_w h||`` of the surrogate on the final candidates (None if not stored).
        timings: ``total_seconds``, ``method_seconds`` ... (``cpu_seconds`` from version 2).
        environment: versions, device, git commit.
        task_info: the task's data facts.
        method_version: the method implementation's version (version 2; None before).
        regularizer_resolved: the regularizer as run: ``name``, ``version``, ``config`` (every parameter),
            ``source`` (version 3; None before, and ``{}`` for a run without one).
    """

    spec: RunSpec
    key: str
    version: int
    task_id: str
    hyperparameters: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    curve: tuple = ()
    train: tuple = ()
    extras: dict = field(default_factory=dict)
    grad_norm_on_candidates: float | None = None
    timings: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    task_info: dict = field(default_factory=dict)
    method_version: int | None = None
    regularizer_resolved: dict | None = None

    @classmethod
    def from_dict(cls, d: Mapping, source: str = "record") -> "Record":
        """Validate and wrap a record dict (as stored). ``source`` (e.g. the file name) goes into error messages.

        Raises:
            InvalidInputError: a required field is missing or the version is unknown; the message names it.
        """
        if isinstance(d, Record):
            return d
        if not isinstance(d, Mapping):
            raise InvalidInputError(f"{source}: a record is a dict, got {type(d).__name__}")
        version = d.get("record_version", 1)
        if version not in SUPPORTED_VERSIONS:
            raise InvalidInputError(f"{source}: record_version {version!r} is not one of {SUPPORTED_VERSIONS}")
        for name in REQUIRED_FIELDS:
            if name not in d:
                raise InvalidInputError(f"{source}: missing field {name!r} (has {sorted(d)})")
        for name in REQUIRED_SPEC_FIELDS:
            if name not in d["spec"]:
                raise InvalidInputError(f"{source}: missing field 'spec.{name}' (spec has {sorted(d['spec'])})")
        spec = RunSpec.from_dict(d["spec"])
        norm = d.get("surrogate_grad_norm_on_candidates")
        return cls(spec=spec, key=d.get("key", spec.key), version=int(version), task_id=d.get("task_id", spec.task),
                   hyperparameters=dict(d.get("hyperparameters") or {}), result=dict(d["result"]),
                   curve=tuple(d.get("curve") or ()), train=tuple(d.get("train") or ()),
                   extras=dict(d.get("extras") or {}), grad_norm_on_candidates=None if norm is None else float(norm),
                   timings=dict(d.get("timings") or {}), environment=dict(d.get("environment") or {}),
                   task_info=dict(d.get("task_info") or {}), method_version=d.get("method_version"),
                   regularizer_resolved=d.get("regularizer") if isinstance(d.get("regularizer"), dict) else None)

    @property
    def regularizer(self) -> str:
        """The regularizer's name, ``""`` for none."""
        return (self.spec.regularizer or {}).get("name", "")

    @property
    def scores(self) -> dict:
        """The ``norm_p*`` and ``raw_p*`` summaries of the final candidates."""
        return {k: v for k, v in self.result.items() if k.startswith(("norm_p", "raw_p"))}

    def sharpness(self, rho: float = RHO) -> float:
        """``rho * ||grad_w h||`` on the final candidates (IGNITE's sharpness); NaN when not stored."""
        return np.nan if self.grad_norm_on_candidates is None else rho * self.grad_norm_on_candidates


def regularizer_params(regularizer: dict, stored: dict | None = None) -> dict:
    """Every parameter of a ``RunSpec.regularizer`` as run; ``{}`` for none.

    ``stored`` is the record's resolved regularizer (record version 3): its ``config`` is what the run used and is
    returned as is. Without it (older records) the regularizer's current defaults are filled in.
    """
    if not regularizer:
        return {}
    if stored and isinstance(stored.get("config"), dict):
        return dict(stored["config"])
    from ..objectives.regularizers import regularizer_defaults

    return {**regularizer_defaults(regularizer["name"]), **{k: v for k, v in regularizer.items() if k != "name"}}


def _dumps(d: dict) -> str:
    return json.dumps(d or {}, sort_keys=True)


def _run_row(r: Record, rho: float) -> dict:
    s = r.spec
    params = regularizer_params(s.regularizer, r.regularizer_resolved)
    return {"task": s.task, "task_short": _short(s.task), "method": s.method, "regularizer": r.regularizer,
            "profile": s.profile, "seed": s.seed, "overrides": _dumps(s.overrides), "task_kwargs": _dumps(s.task_kwargs),
            "regularizer_params": _dumps(params), **params, "method_version": r.method_version,
            **r.scores, "sharpness": r.sharpness(rho), "seconds": r.timings.get("total_seconds", np.nan),
            "cpu_seconds": r.timings.get("cpu_seconds", np.nan), "key": r.key}


def _ids(r: Record) -> dict:
    s = r.spec
    return {"task": s.task, "task_short": _short(s.task), "method": s.method, "regularizer": r.regularizer,
            "profile": s.profile, "seed": s.seed, "overrides": _dumps(s.overrides)}


def _checkpoint_rows(r: Record) -> list[dict]:
    curve = {c["step"]: c for c in r.curve}
    rows = []
    for c in r.extras.get("checkpoints", []):
        scores = {k: v for k, v in curve.get(c["key"], {}).items() if k.startswith(("norm_p", "raw_p"))}
        rows.append({**_ids(r), **{k: c.get(k) for k in CHECKPOINT_FIELDS}, **scores})
    return rows


def records_frame(records: Iterable[Mapping | Record], kind: str = "runs", rho: float = RHO,
                  short_names: bool = False) -> pd.DataFrame:
    """Run records -> a long table (the one flattener; every table and figure starts here).

    Args:
        records: record dicts (as stored / returned by ``run_grid``) or :class:`Record` objects.
        kind: the row unit:
            ``"runs"``: one row per run with ``task`` (id), ``task_short``, ``method``, ``regularizer`` (name, ""
            for none), ``profile``, ``seed``, ``overrides`` / ``task_kwargs`` / ``regularizer_params`` (sorted
            JSON), one column per regularizer parameter (defaults filled in; NaN without a regularizer, e.g.
            ``epsilon``, ``eta_lambda``), ``method_version``, every ``norm_p*`` / ``raw_p*`` score,
            ``sharpness`` (``rho * ||grad_w h||`` on the candidates; NaN if not stored), ``seconds``,
            ``cpu_seconds`` (NaN before record version 2) and ``key``;
            ``"curve"``: one row per (run, recorded step): the run's ids, ``step`` and the step's scores;
            ``"checkpoints"``: one row per (PGS run, checkpoint): the run's ids, ``key``, ``top_p``,
            ``rl_steps``, ``osel_score``, ``surrogate_max``, ``selected`` and that checkpoint's scores.
        rho: the sharpness scale (IGNITE's 0.05).
        short_names: put the short task name (``"TFBind8"``) in ``task`` (the id stays in no column).

    Raises:
        InvalidInputError: unknown ``kind``, or a record lacking a required field (the message names it).
    """
    if kind not in KINDS:
        raise InvalidInputError(f"records_frame: kind must be one of {KINDS}, got {kind!r}")
    recs = [Record.from_dict(r, source=f"record {i}") for i, r in enumerate(records)]
    if kind == "runs":
        rows = [_run_row(r, rho) for r in recs]
        cols = RUN_COLUMNS
    elif kind == "curve":
        rows = [{**_ids(r), **p} for r in recs for p in r.curve]
        cols = ID_COLUMNS + ["step"] + SCORE_COLUMNS
    else:
        rows = [row for r in recs for row in _checkpoint_rows(r)]
        cols = ID_COLUMNS + CHECKPOINT_FIELDS + SCORE_COLUMNS
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=cols)
    if short_names and len(frame):
        frame["task"] = frame["task_short"]
    return frame
