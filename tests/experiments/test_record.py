"""The typed record and the one records-to-table function."""
import json

import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments.record import Record, records_frame, regularizer_params

T8 = "TFBind8-Exact-v0"


def rec(seed=0, p100=0.9, reg=None, version=1, **extra):
    r = {"record_version": version, "spec": {"task": T8, "method": "GA", "profile": "quick", "seed": seed,
                                             "overrides": {"epochs": 5}, "task_kwargs": {}, "regularizer": reg or {}},
         "result": {"norm_p100": p100, "norm_p80": p100 - 0.1, "norm_p50": p100 - 0.2, "raw_p100": 10 * p100,
                    "scores": [1.0, 2.0]},
         "curve": [{"step": 0, "norm_p100": 0.1}, {"step": 5, "norm_p100": p100}],
         "surrogate_grad_norm_on_candidates": 4.0, "timings": {"total_seconds": 3.0}}
    r.update(extra)
    return r


def test_from_dict_reads_versions_1_and_2():
    one = Record.from_dict(rec())
    assert one.version == 1 and one.method_version is None and one.spec.seed == 0 and one.task_id == T8
    two = Record.from_dict(rec(version=2, method_version="GA-2", timings={"total_seconds": 3.0, "cpu_seconds": 5.0}))
    assert two.method_version == "GA-2" and two.timings["cpu_seconds"] == 5.0
    assert one.scores == {"norm_p100": 0.9, "norm_p80": pytest.approx(0.8), "norm_p50": pytest.approx(0.7),
                          "raw_p100": 9.0}
    assert one.sharpness() == pytest.approx(0.2)
    with pytest.raises(Exception):  # frozen
        one.key = "x"


@pytest.mark.parametrize("drop, field", [("result", "'result'"), ("spec.seed", "'spec.seed'"),
                                         ("spec.task", "'spec.task'")])
def test_from_dict_names_the_missing_field(drop, field):
    r = rec()
    if "." in drop:
        del r["spec"][drop.split(".")[1]]
    else:
        del r[drop]
    with pytest.raises(InvalidInputError, match=f"run.json: missing field {field}"):
        Record.from_dict(r, source="run.json")
    with pytest.raises(InvalidInputError, match="record_version 9"):
        Record.from_dict(rec(version=9))


def test_records_frame_runs_has_one_row_per_run_with_every_column():
    f = records_frame([rec(0, 0.9), rec(1, 0.8, {"name": "ignite", "epsilon": 0.2}),
                       rec(2, 0.7, version=2, method_version="v2", timings={"total_seconds": 1.0, "cpu_seconds": 2.0})])
    assert len(f) == 3 and list(f.seed) == [0, 1, 2]
    assert list(f.regularizer) == ["", "ignite", ""] and f.task_short[0] == "TFBind8"
    assert f.epsilon[1] == 0.2 and f.eta_lambda[1] == 1e-3 and np.isnan(f.epsilon[0])  # defaults filled in
    assert json.loads(f.overrides[0]) == {"epochs": 5} and json.loads(f.regularizer_params[1])["epsilon"] == 0.2
    assert f.raw_p100[0] == 9.0 and f.sharpness[0] == pytest.approx(0.2) and f.seconds[0] == 3.0
    assert np.isnan(f.cpu_seconds[0]) and f.cpu_seconds[2] == 2.0 and f.method_version[2] == "v2"
    assert "scores" not in f.columns  # per-candidate lists stay in the record
    assert records_frame([]).empty and "norm_p100" in records_frame([]).columns


def test_records_frame_curve_and_checkpoints():
    c = records_frame([rec(0), rec(1)], kind="curve")
    assert len(c) == 4 and list(c.step) == [0, 5, 0, 5] and c.norm_p100.iloc[1] == 0.9
    pgs = rec(0, curve=[{"step": 0, "norm_p100": 0.4}, {"step": 1, "norm_p100": 0.6}],
              extras={"checkpoints": [{"key": 0, "top_p": 10, "rl_steps": 5, "osel_score": 1.0, "surrogate_max": 2.0,
                                       "selected": False},
                                      {"key": 1, "top_p": 20, "rl_steps": 5, "osel_score": 3.0, "surrogate_max": 2.0,
                                       "selected": True}]})
    k = records_frame([pgs], kind="checkpoints", short_names=True)
    assert list(k.norm_p100) == [0.4, 0.6] and list(k.selected) == [False, True] and set(k.task) == {"TFBind8"}
    with pytest.raises(InvalidInputError, match="kind"):
        records_frame([], kind="steps")


def test_regularizer_params_fill_defaults():
    assert regularizer_params({"name": "ignite2"})["lambda_init"] == 0.01
    assert regularizer_params({"name": "ignite", "epsilon": 0.2})["epsilon"] == 0.2
    assert regularizer_params({}) == {}
