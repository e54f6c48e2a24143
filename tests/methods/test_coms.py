import math

import numpy as np
import pytest
import torch

from mbo_lib.design_space import DesignSpace
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute, load_task
from mbo_lib.methods import get_method

SMALL = {"dim": 3, "num_samples": 400}


def test_end_to_end_on_tfbind8_uses_raw_logits_and_the_discrete_settings():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "COMs", "smoke", 0), progress=False)
    assert out.designs.shape == (128, 8, 3)
    assert len(record["result"]["scores"]) == 128
    assert record["extras"]["normalize_x"] is False
    assert record["extras"]["overestimation_limit"] == 2.0
    assert record["extras"]["particle_lr"] == pytest.approx(2.0 * math.sqrt(24))
    (epoch,) = record["train"][0]
    assert {"train_mse", "train_coms_gap", "train_coms_alpha", "coms_alpha_end"} <= set(epoch)
    # raw logits: the model inputs of the start are design-bench's logits themselves
    task = load_task("TFBind8-Exact-v0")
    np.testing.assert_allclose(out.steps[0], task.to_logits(task.x[DesignSpace(task).top_k(128)]), atol=1e-6)


def test_continuous_task_settings_climbing_and_determinism():
    spec = RunSpec("Ackley-Synthetic-v0", "COMs", "smoke", 1, task_kwargs=SMALL)
    rec1, out = execute(spec, progress=False)
    rec2, _ = execute(spec, progress=False)
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    assert out.designs.shape == (128, 3)
    assert rec1["extras"]["normalize_x"] is True and rec1["extras"]["overestimation_limit"] == 0.5
    assert rec1["extras"]["particle_lr"] == pytest.approx(0.05 * math.sqrt(3))
    space = DesignSpace(load_task(spec.task, SMALL))
    with torch.no_grad():
        start = out.surrogate(torch.as_tensor(space.encode(out.steps[0]))).mean()
        end = out.surrogate(torch.as_tensor(space.encode(out.designs))).mean()
    assert end > start


def test_ignite_hooks_combine_with_the_conservative_term():
    spec = RunSpec("Ackley-Synthetic-v0", "COMs", "smoke", 0, task_kwargs=SMALL, regularizer={"name": "ignite"})
    record, _ = execute(spec, progress=False)
    (epoch,) = record["train"][0]
    assert "coms_alpha_end" in epoch and any(k.startswith("ignite") for k in epoch)


def test_bad_hyperparameters_raise():
    with pytest.raises(InvalidInputError, match="out of range"):
        execute(RunSpec("TFBind8-Exact-v0", "COMs", "smoke", 0, overrides={"particle_train_steps": -1}), progress=False)
    with pytest.raises(InvalidInputError, match="out of range"):
        get_method("COMs").hyperparameters("smoke", {"alpha": 0.0})
    paper = get_method("COMs").hyperparameters("paper")
    assert (paper["hidden"], paper["epochs"], paper["particle_train_steps"], paper["search_steps"]) == ([2048, 2048], 50, 50, 50)
