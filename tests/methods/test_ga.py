import numpy as np
import pytest
import torch

from mbo_lib.design_space import DesignSpace
from mbo_lib.errors import InvalidInputError, UnknownMethodError
from mbo_lib.experiments import RunSpec, execute
from mbo_lib.methods import get_method

SMALL = {"dim": 3, "num_samples": 400}


def test_ga_end_to_end_on_tfbind8():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "GA", "smoke", 0), progress=False)
    assert out.designs.shape == (128, 8, 3)
    assert len(record["result"]["scores"]) == 128
    assert [c["step"] for c in record["curve"]] == [0, 10, 20]
    # step 0 is the top-128 of the data: its best is the data's best (0.439 normalized)
    assert record["curve"][0]["norm_p100"] == pytest.approx(0.4393, abs=1e-3)


def test_ga_climbs_its_surrogate_and_is_deterministic():
    spec = RunSpec("Ackley-Synthetic-v0", "GA", "smoke", 3, task_kwargs=SMALL)
    rec1, out = execute(spec, progress=False)
    rec2, _ = execute(spec, progress=False)
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    from mbo_lib.experiments import load_task

    space = DesignSpace(load_task(spec.task, SMALL))
    with torch.no_grad():
        start = out.surrogate(torch.as_tensor(space.encode(out.steps[0]))).mean()
        end = out.surrogate(torch.as_tensor(space.encode(out.designs))).mean()
    assert end > start


def test_unknown_method_and_bad_hyperparameters():
    with pytest.raises(UnknownMethodError, match="Known methods"):
        get_method("GradientAscent")
    with pytest.raises(InvalidInputError, match="out of range"):
        execute(RunSpec("TFBind8-Exact-v0", "GA", "smoke", 0, overrides={"lr": -1.0}), progress=False)
    with pytest.raises(InvalidInputError, match="no hyperparameter"):
        execute(RunSpec("TFBind8-Exact-v0", "GA", "smoke", 0, overrides={"learning_rate": 1.0}), progress=False)
    assert np.isclose(get_method("ga").hyperparameters("paper")["lr_scale"], 0.01)
