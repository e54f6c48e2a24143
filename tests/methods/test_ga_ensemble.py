import numpy as np
import pytest
import torch

from mbo_lib.design_space import DesignSpace
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute, load_task
from mbo_lib.methods import get_method
from mbo_lib.surrogates import Ensemble, ensemble_objective

SMALL = {"dim": 3, "num_samples": 400}


@pytest.mark.parametrize("name", ["GA-Ensemble-Mean", "GA-Ensemble-Min"])
def test_end_to_end_on_tfbind8(name):
    record, out = execute(RunSpec("TFBind8-Exact-v0", name, "smoke", 0), progress=False)
    assert out.designs.shape == (128, 8, 3)
    assert len(record["result"]["scores"]) == 128 and np.isfinite(record["result"]["scores"]).all()
    assert isinstance(out.surrogate, Ensemble) and len(out.surrogate) == 5
    assert len(record["train"]) == 5
    assert [c["step"] for c in record["curve"]] == [0, 10, 20]
    assert record["curve"][0]["norm_p100"] == pytest.approx(0.4393, abs=1e-3)  # the top-128 of the data


@pytest.mark.parametrize("name,reduction", [("GA-Ensemble-Mean", "mean"), ("GA-Ensemble-Min", "min")])
def test_climbs_its_own_objective_on_a_synthetic_task_and_is_deterministic(name, reduction):
    spec = RunSpec("Ackley-Synthetic-v0", name, "smoke", 2, task_kwargs=SMALL)
    rec1, out = execute(spec, progress=False)
    rec2, _ = execute(spec, progress=False)
    assert out.designs.shape == (128, 3)
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    assert rec1["extras"]["reduction"] == reduction
    space = DesignSpace(load_task(spec.task, SMALL))
    objective = ensemble_objective(out.surrogate, reduction)
    with torch.no_grad():
        start = objective(torch.as_tensor(space.encode(out.steps[0]))).mean()
        end = objective(torch.as_tensor(space.encode(out.designs))).mean()
    assert end > start
    np.testing.assert_allclose(out.candidate_inputs, space.encode(out.designs), atol=1e-4)


def test_mean_and_min_variants_search_differently():
    spec = dict(task="Ackley-Synthetic-v0", profile="smoke", seed=0, task_kwargs=SMALL)
    _, out_mean = execute(RunSpec(method="GA-Ensemble-Mean", **spec), progress=False)
    _, out_min = execute(RunSpec(method="GA-Ensemble-Min", **spec), progress=False)
    np.testing.assert_allclose(out_mean.steps[0], out_min.steps[0])  # same ensemble, same start
    assert not np.allclose(out_mean.designs, out_min.designs)


def test_every_member_gets_its_own_ignite_hook():
    spec = RunSpec("Ackley-Synthetic-v0", "GA-Ensemble-Mean", "smoke", 0, task_kwargs=SMALL,
                   regularizer={"name": "ignite"})
    record, _ = execute(spec, progress=False)
    assert len(record["train"]) == 5
    assert all(any(k.startswith("ignite") for k in member[-1]) for member in record["train"])


def test_bad_hyperparameters_raise():
    with pytest.raises(InvalidInputError, match="out of range"):
        execute(RunSpec("TFBind8-Exact-v0", "GA-Ensemble-Min", "smoke", 0, overrides={"num_members": 0}), progress=False)
    with pytest.raises(InvalidInputError, match="no hyperparameter"):
        get_method("GA-Ensemble-Mean").hyperparameters("smoke", {"aggregation": "min"})
    paper = get_method("GA-Ensemble-Mean").hyperparameters("paper")
    assert paper["hidden"] == [2048, 2048] and paper["epochs"] == 100 and paper["num_members"] == 5
