import json
import threading

import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RecordStore, RunSpec
from mbo_lib.experiments import runner


def test_key_is_stable_and_sensitive():
    a = RunSpec("TFBind8-Exact-v0", "GA", "quick", 0, overrides={"epochs": 3, "lr": 0.1})
    b = RunSpec("TFBind8-Exact-v0", "GA", "quick", 0, overrides={"lr": 0.1, "epochs": 3})
    assert a.key == b.key and len(a.key) == 16
    assert a.key != RunSpec("TFBind8-Exact-v0", "GA", "quick", 1, overrides={"epochs": 3, "lr": 0.1}).key
    assert a.key != RunSpec("TFBind8-Exact-v0", "GA", "quick", 0, regularizer={"name": "ignite"}).key
    assert RunSpec.from_dict(a.as_dict()) == a


def test_bad_specs_are_rejected():
    with pytest.raises(InvalidInputError):
        RunSpec("TFBind8-Exact-v0", "GA", "fast", 0)
    with pytest.raises(InvalidInputError):
        RunSpec("TFBind8-Exact-v0", "GA", "quick", -1)


def test_store_roundtrip_and_concurrent_writers(tmp_path):
    store = RecordStore(tmp_path)
    spec = RunSpec("TFBind8-Exact-v0", "GA", "smoke", 0)
    assert store.load(spec) is None and store.missing([spec]) == [spec]
    record = {"spec": spec.as_dict(), "hyperparameters": {}, "result": {"norm_p100": 0.5},
              "payload": list(range(20000))}
    threads = [threading.Thread(target=store.save, args=(spec, record)) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert json.loads(store.path(spec).read_text()) == json.loads(json.dumps(record))
    assert list(tmp_path.rglob("*.tmp")) == []  # no leftovers
    assert store.frame().loc[0, "norm_p100"] == 0.5


def test_run_spec_skips_finished_runs(tmp_path, monkeypatch):
    store = RecordStore(tmp_path)
    spec = RunSpec("Ackley-Synthetic-v0", "GA", "smoke", 0, task_kwargs={"dim": 2, "num_samples": 300})
    calls = []
    real = runner.execute

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "execute", counting)
    first = runner.run_spec(spec, store, progress=False)
    second = runner.run_spec(spec, store, progress=False)
    assert len(calls) == 1 and first == second
    runner.run_spec(spec, store, progress=False, force=True)
    assert len(calls) == 2
    for key in ("spec", "hyperparameters", "result", "timings", "environment", "curve", "train"):
        assert key in first
    assert first["environment"]["packages"]["torch"]


def test_regularizer_defaults_do_not_change_the_key():
    plain = RunSpec("TFBind8-Exact-v0", "GA", "quick", 0, regularizer={"name": "ignite"})
    spelled = RunSpec("TFBind8-Exact-v0", "GA", "quick", 0,
                      regularizer={"name": "ignite", "epsilon": 0.1, "eta_lambda": 1e-3, "clip_lambda": False})
    assert spelled.key == plain.key and spelled.regularizer == {"name": "ignite"}
    # IGNITE-2's own defaults (rho = 0.2) are dropped for ignite2 but are a real change for ignite
    assert RunSpec("TFBind8-Exact-v0", "GA", regularizer={"name": "ignite2", "rho": 0.2}).regularizer == {"name": "ignite2"}
    assert RunSpec("TFBind8-Exact-v0", "GA", regularizer={"name": "ignite", "rho": 0.2}).key != plain.key
    # a bool is not a number: clip_lambda=1 is not the default False but an invalid value, rejected at creation
    with pytest.raises(InvalidInputError, match="clip_lambda must be True or False"):
        RunSpec("TFBind8-Exact-v0", "GA", regularizer={"name": "ignite", "clip_lambda": 1})
    assert RunSpec("TFBind8-Exact-v0", "GA", regularizer={"name": "ignite", "epsilon": 0.5}).regularizer["epsilon"] == 0.5
