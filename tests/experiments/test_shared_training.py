"""Train once, search twice (issue 12): GA-Ensemble-Mean and -Min with the same settings train the same ensemble, so
``run_shared`` trains it once; each record must equal the one a separate run makes, bit for bit."""
from __future__ import annotations

import json

import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RecordStore, RunSpec, execute, run_grid, run_shared, shares_training
from mbo_lib.experiments.runner import shared_groups
from mbo_lib.methods import get_method

SMALL = {"dim": 3, "num_samples": 400}  # continuous: the mean and the min searches end at different designs
IG = {"name": "ignite"}


def spec(method, seed=0, regularizer=None, overrides=None, task="Ackley-Synthetic-v0", kwargs=SMALL):
    return RunSpec(task, method, "smoke", seed, task_kwargs=kwargs, regularizer=regularizer or {},
                   overrides=overrides or {})


def _same(a: dict, b: dict) -> None:
    assert a["result"] == b["result"]
    assert a["curve"] == b["curve"]
    assert a["surrogate_grad_norm_on_candidates"] == b["surrogate_grad_norm_on_candidates"]
    assert a["train"] == b["train"] and a["hyperparameters"] == b["hyperparameters"] and a["key"] == b["key"]


def test_the_two_ensemble_methods_declare_one_training_group_and_others_none():
    assert get_method("GA-Ensemble-Mean").training_group == get_method("GA-Ensemble-Min").training_group
    assert get_method("GA").training_group is None and get_method("COMs").training_group is None


def test_shares_training_only_for_the_same_surrogate():
    mean, mn = spec("GA-Ensemble-Mean"), spec("GA-Ensemble-Min")
    assert shares_training(mean, mn) and shares_training(mn, mean)
    assert shares_training(spec("GA-Ensemble-Mean", regularizer=IG), spec("GA-Ensemble-Min", regularizer=IG))
    assert not shares_training(mean, spec("GA-Ensemble-Mean"))  # one method: nothing to share
    assert not shares_training(mean, spec("GA-Ensemble-Min", seed=1))
    assert not shares_training(mean, spec("GA-Ensemble-Min", regularizer=IG))
    assert not shares_training(mean, spec("GA-Ensemble-Min", overrides={"epochs": 2}))
    assert not shares_training(mean, spec("GA-Ensemble-Min", kwargs={"dim": 3, "num_samples": 300}))
    assert not shares_training(spec("GA"), spec("GA-Ensemble-Min"))
    # the same resolved configuration reached two ways still shares
    assert shares_training(spec("GA-Ensemble-Mean", overrides={"epochs": 2}), spec("GA-Ensemble-Min", overrides={"epochs": 2}))


@pytest.mark.parametrize("regularizer", [None, IG], ids=["plain", "ignite"])
def test_shared_records_equal_separate_runs_bit_for_bit(tmp_path, monkeypatch, regularizer):
    from mbo_lib.methods.ga_ensemble import _GAEnsemble

    mean, mn = spec("GA-Ensemble-Mean", regularizer=regularizer), spec("GA-Ensemble-Min", regularizer=regularizer)
    separate = [execute(s, device="cpu", progress=False)[0] for s in (mean, mn)]
    trainings, train = [], _GAEnsemble.train
    monkeypatch.setattr(_GAEnsemble, "train", lambda self, *a, **k: trainings.append(self.name) or train(self, *a, **k))
    store = RecordStore(tmp_path)
    landed = []  # on_record sees each record when it is saved: the first before the second search starts
    shared = run_shared([mean, mn], store, device="cpu", progress=False,
                        on_record=lambda s, r: landed.append((s.method, store.has(s), store.has(mn))))
    assert trainings == ["GA-Ensemble-Mean"]  # one training for both records
    assert landed == [("GA-Ensemble-Mean", True, False), ("GA-Ensemble-Min", True, True)]
    for a, b in zip(shared, separate):
        _same(a, b)
    assert shared[0]["result"] != shared[1]["result"]  # mean and min searches differ (else the test proves nothing)
    assert shared[1]["extras"]["training_shared_with"] == mean.key
    assert "training_shared_with" not in shared[0]["extras"]
    # both were saved, and a second call loads them without running anything
    assert store.has(mean) and store.has(mn)
    again = run_shared([mean, mn], store, device="cpu", progress=False)
    assert [r["timings"] for r in again] == [r["timings"] for r in shared]


def test_run_shared_rejects_specs_that_do_not_share(tmp_path):
    with pytest.raises(InvalidInputError, match="do not train the same surrogate"):
        run_shared([spec("GA-Ensemble-Mean"), spec("GA-Ensemble-Min", seed=1)], RecordStore(tmp_path))
    assert not list(tmp_path.rglob("*.json"))


def test_when_the_first_exists_the_others_run_on_their_own(tmp_path):
    mean, mn = spec("GA-Ensemble-Mean", seed=1), spec("GA-Ensemble-Min", seed=1)
    store = RecordStore(tmp_path)
    run_shared([mean], store, device="cpu", progress=False)
    rec = run_shared([mean, mn], store, device="cpu", progress=False)[1]
    assert "training_shared_with" not in rec["extras"]
    _same(rec, execute(mn, device="cpu", progress=False)[0])


def test_run_grid_groups_missing_pairs_and_keeps_the_rest_single(tmp_path, monkeypatch):
    specs = [spec("GA-Ensemble-Mean"), spec("GA"), spec("GA-Ensemble-Min"), spec("GA-Ensemble-Min", seed=1),
             spec("GA-Ensemble-Mean", regularizer=IG), spec("GA-Ensemble-Min", regularizer=IG)]
    groups = shared_groups(specs)
    assert [[s.key for s in g] for g in groups] == [[specs[0].key, specs[2].key], [specs[1].key], [specs[3].key],
                                                    [specs[4].key, specs[5].key]]
    calls = []
    import mbo_lib.experiments.runner as runner

    monkeypatch.setattr(runner, "run_shared", lambda g, *a, **k: calls.append(("shared", [s.method for s in g])))
    monkeypatch.setattr(runner, "run_spec", lambda s, *a, **k: calls.append(("single", s.method)))
    run_grid(specs[:3], RecordStore(tmp_path), device="cpu", progress=False)
    assert calls == [("shared", ["GA-Ensemble-Mean", "GA-Ensemble-Min"]), ("single", "GA")]
    calls.clear()
    run_grid(specs[:3], RecordStore(tmp_path), device="cpu", progress=False, force=True)  # force: one by one
    assert [c[0] for c in calls] == ["single"] * 3


def test_shared_record_passes_verify(tmp_path, monkeypatch):
    """verify recomputes the second record on its own (a separate training) and finds it identical."""
    from mbo_lib.experiments.verify import verify_records

    monkeypatch.setenv("MBO_RECORDS_DIR", str(tmp_path))
    store = RecordStore(tmp_path)
    mean, mn = spec("GA-Ensemble-Mean", seed=2), spec("GA-Ensemble-Min", seed=2)
    run_shared([mean, mn], store, device="cpu", progress=False)
    rec = json.loads(store.path(mn).read_text())
    assert rec["extras"]["training_shared_with"] == mean.key
    lines = []
    assert verify_records(store, match="*GA-Ensemble-Min*", device="cpu", out=lines.append) == 0, lines
    assert lines[-1].startswith("verify: 1 identical, 0 differ"), lines
