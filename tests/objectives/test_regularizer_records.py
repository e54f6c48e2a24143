"""Issue 30: a regularizer is stored in its records (name, version, every parameter, a plug-in's source hash) and a
record whose stored regularizer differs from what the code would run now is recomputed, never reused."""
from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RecordStore, RunSpec, check_record, runner
from mbo_lib.experiments.record import records_frame
from mbo_lib.objectives import regularizers
from mbo_lib.objectives.regularizers import register_regularizer, resolved_regularizer

PLUGIN = """
import torch
from mbo_lib.surrogates.trainer import TrainingHook


class L2(TrainingHook):
    def __init__(self, weight):
        self.weight = weight

    def after_backward(self, model, x, y, loss):
        for p in model.parameters():
            p.grad.add_(p.detach(), alpha={factor} * self.weight)


def l2(weight=0.01):
    if weight < 0:
        raise ValueError("weight must be >= 0")
    return L2(weight)
"""


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A user's regularizer package ``my_l2`` on sys.path, registered as ``"l2"``; ``write(factor)`` edits its
    source and re-registers it (as a user re-running a notebook after an edit would)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(regularizers, "REGULARIZERS", dict(regularizers.REGULARIZERS))
    monkeypatch.setattr(regularizers, "_DEFAULTS", dict(regularizers._DEFAULTS))

    def write(factor: float = 1.0, **register):
        (tmp_path / "my_l2.py").write_text(textwrap.dedent(PLUGIN.format(factor=factor)))
        sys.modules.pop("my_l2", None)
        importlib.invalidate_caches()
        module = importlib.import_module("my_l2")
        return register_regularizer("l2", module.l2, replace=True, **register)

    yield write
    sys.modules.pop("my_l2", None)


def _spec(reg) -> RunSpec:
    return RunSpec("Ackley-Synthetic-v0", "GA", "smoke", 0, regularizer=reg)


def test_builtin_records_store_the_resolved_ignite_configuration():
    r = resolved_regularizer({"name": "ignite", "epsilon": 0.05})
    assert r["name"] == "ignite" and r["version"] == 1 and r["source"] is None
    assert r["config"] == {**regularizers._DEFAULTS["ignite"], "epsilon": 0.05}  # every parameter, not just the given
    assert resolved_regularizer({"name": "ignite2"})["config"]["lambda_init"] == 0.01
    assert resolved_regularizer({}) == {}


def test_a_changed_ignite_default_makes_its_records_stale(tmp_path, monkeypatch):
    store = RecordStore(tmp_path)
    spec = _spec("ignite")
    record = runner.run_spec(spec, store, device="cpu", progress=False)
    assert record["regularizer"]["config"]["epsilon"] == 0.1
    assert check_record(record, spec) is None and store.has(spec)
    monkeypatch.setitem(regularizers._DEFAULTS, "ignite", {**regularizers._DEFAULTS["ignite"], "epsilon": 0.2})
    reason = check_record(record, _spec("ignite"))
    assert reason == "regularizer ignite configuration changed (epsilon: 0.1 -> 0.2)"
    monkeypatch.setattr(regularizers.ignite_hook, "version", 2)
    assert "regularizer ignite version changed (1 -> 2)" in check_record(record, _spec("ignite"))


def test_a_record_without_a_stored_regularizer_is_stale(tmp_path):
    store = RecordStore(tmp_path)
    spec = _spec("ignite")
    record = runner.run_spec(spec, store, device="cpu", progress=False)
    old = {k: v for k, v in record.items() if k != "regularizer"}
    assert check_record(old, spec) == "its regularizer's resolved configuration is not stored"


def test_a_stronger_or_edited_plugin_is_recomputed_not_reused(tmp_path, plugin):
    """The issue's reproduction: making a plug-in regularizer 100x stronger and re-running the same spec returned
    the old record ("0 computed now, 1 loaded"). Now both a changed default and an edited source recompute."""
    store = RecordStore(tmp_path)
    plugin(1.0)
    first = runner.run_spec(_spec("l2"), store, device="cpu", progress=False)
    assert first["regularizer"]["config"] == {"weight": 0.01} and len(first["regularizer"]["source"]) == 16
    assert runner.run_spec(_spec("l2"), store, device="cpu", progress=False) == first  # unchanged: reused

    plugin(1.0, defaults={"weight": 1.0})  # 100x stronger through its default
    assert "regularizer l2 configuration changed (weight: 0.01 -> 1.0)" == store.lookup(_spec("l2")).reason
    stronger = runner.run_spec(_spec("l2"), store, device="cpu", progress=False)
    assert stronger["regularizer"]["config"] == {"weight": 1.0}
    assert stronger["timings"] != first["timings"]  # computed again, not loaded

    plugin(100.0, defaults={"weight": 1.0})  # same parameters, edited code
    reason = store.lookup(_spec("l2")).reason
    assert reason.startswith("regularizer l2's source changed") and "its code was edited" in reason
    edited = runner.run_spec(_spec("l2"), store, device="cpu", progress=False)
    assert edited["regularizer"]["source"] != stronger["regularizer"]["source"]


def test_records_frame_reports_the_stored_configuration_not_todays_defaults(tmp_path, monkeypatch):
    store = RecordStore(tmp_path)
    record = runner.run_spec(_spec("ignite"), store, device="cpu", progress=False)
    monkeypatch.setitem(regularizers._DEFAULTS, "ignite", {**regularizers._DEFAULTS["ignite"], "epsilon": 0.2})
    assert records_frame([record]).epsilon.tolist() == [0.1]  # what ran, not what the code would run now


def test_register_regularizer_refuses_builtin_and_taken_names(plugin):
    with pytest.raises(InvalidInputError, match="'ignite' is already the built-in regularizer"):
        register_regularizer("ignite", lambda: None)
    plugin(1.0)
    with pytest.raises(InvalidInputError, match=r"'l2' is already a regularizer \(pass replace=True"):
        register_regularizer("l2", lambda: None)
    with pytest.raises(InvalidInputError, match="version must be a positive int"):
        register_regularizer("l3", lambda: None, version=0)
