import numpy as np
import pytest
import torch

from mbo_lib.design_space import DesignSpace
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute, load_task
from mbo_lib.methods import get_method
from mbo_lib.methods import matchopt as matchopt_module
from mbo_lib.methods.docs import current_block, expected_block
from mbo_lib.surrogates import TrainingHook

TINY = {"dim": 3, "num_samples": 256}  # bottom 50% -> exactly 128 designs: one per bin


def test_end_to_end_on_tfbind8_starts_from_noise():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "MATCH-OPT", "smoke", 0), progress=False)
    assert out.designs.shape == (128, 8, 3)
    assert len(record["result"]["scores"]) == 128
    assert [c["step"] for c in record["curve"]] == [0, 5, 10]
    assert record["extras"] == {"search_init": "noise", "paths_per_epoch": 32898 // 128}
    task = load_task("TFBind8-Exact-v0")
    space = DesignSpace(task)
    noise = torch.randn(128, space.dim, generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_allclose(space.encode(out.steps[0]), noise, atol=1e-5)
    (epoch,) = record["train"][0]
    assert {"train_grad_match", "train_mse", "train_loss"} <= set(epoch)


def test_synthetic_task_with_128_designs_starts_from_the_data_and_climbs():
    spec = RunSpec("Ackley-Synthetic-v0", "MATCH-OPT", "smoke", 1, task_kwargs=TINY)
    record, out = execute(spec, progress=False)
    task = load_task(spec.task, TINY)
    assert task.x.shape == (128, 3)
    assert record["extras"] == {"search_init": "top_k", "paths_per_epoch": 1}
    np.testing.assert_allclose(np.sort(out.steps[0], 0), np.sort(task.x, 0), atol=1e-5)
    space = DesignSpace(task)
    with torch.no_grad():
        start = out.surrogate(torch.as_tensor(space.encode(out.steps[0]))).mean()
        end = out.surrogate(torch.as_tensor(space.encode(out.designs))).mean()
    assert end > start


def test_deterministic_and_seed_dependent():
    spec = RunSpec("Ackley-Synthetic-v0", "MATCH-OPT", "smoke", 2, task_kwargs=TINY)
    rec1, _ = execute(spec, progress=False)
    rec2, _ = execute(spec, progress=False)
    rec3, _ = execute(RunSpec("Ackley-Synthetic-v0", "MATCH-OPT", "smoke", 3, task_kwargs=TINY), progress=False)
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    assert rec1["train"] == rec2["train"]
    assert rec1["result"]["scores"] != rec3["result"]["scores"]


def test_alpha_zero_ablation_trains_on_gradient_matching_only():
    base = dict(task="Ackley-Synthetic-v0", method="MATCH-OPT", profile="smoke", seed=0, task_kwargs=TINY)
    with_reg, _ = execute(RunSpec(**base, overrides={"epochs": 3}), progress=False)
    ablation, out = execute(RunSpec(**base, overrides={"epochs": 3, "alpha": 0.0}), progress=False)
    assert len(ablation["result"]["scores"]) == 128
    for epoch in ablation["train"][0]:
        assert epoch["train_loss"] == pytest.approx(epoch["train_grad_match"])
    for epoch in with_reg["train"][0]:
        assert epoch["train_loss"] == pytest.approx(epoch["train_grad_match"] + epoch["train_mse"])
    assert ablation["result"]["scores"] != with_reg["result"]["scores"]


class CountingHook(TrainingHook):
    def __init__(self):
        self.steps = 0

    def after_step(self, model, x, y):
        self.steps += 1
        assert x.shape[0] == 128 and torch.all(y[1:] >= y[:-1])  # every batch is a monotone path


def test_training_goes_through_the_hooks_factory():
    method = get_method("MATCH-OPT")
    task = load_task("Ackley-Synthetic-v0", {"dim": 3, "num_samples": 1100})  # 550 designs -> 4 paths per epoch
    config = method.config("smoke", {"epochs": 2, "search_steps": 1, "record_steps": [1]})
    made = []

    def factory():
        made.append(CountingHook())
        return made[-1:]

    method.run(task, config, seed=0, device="cpu", progress=False, hooks=factory)
    assert len(made) == 1 and made[0].steps == 2 * (550 // 128)


@pytest.mark.parametrize("overrides, match", [
    ({"init": "bogus"}, "init"),
    ({"num_points": 0}, "out of range"),
    ({"num_points": 2.5}, "integer"),
    ({"epochs": 1.5}, "integer"),
    ({"alpha": -1.0}, "out of range"),
    ({"num_bins": 200}, "num_bins"),
    ({"num_bins": 1}, "out of range"),
    ({"lr": 0.0}, "out of range"),
])
def test_bad_hyperparameters_raise(overrides, match):
    with pytest.raises(InvalidInputError, match=match):
        execute(RunSpec("Ackley-Synthetic-v0", "MATCH-OPT", "smoke", 0, overrides=overrides, task_kwargs=TINY),
                progress=False)


def test_profiles_follow_the_official_settings_and_are_documented():
    method = get_method("MATCH-OPT")
    paper = method.hyperparameters("paper")
    assert paper["hidden"] == [512, 128, 32] and paper["negative_slope"] == 0.3 and paper["lr"] == 1e-4
    assert (paper["num_bins"], paper["num_points"], paper["alpha"]) == (128, 5, 1.0)
    assert (paper["search_lr"], paper["search_steps"], paper["num_candidates"]) == (1e-3, 150, 128)
    assert current_block(matchopt_module.__name__) == expected_block("MATCH-OPT")  # the docstring's table
    assert matchopt_module.resolve_init("auto", "TFBind8-Exact-v0") == "noise"
    assert matchopt_module.resolve_init("auto", "TFBind10-Exact-v0") == "top_k"


def test_record_stores_the_surrogate_weight_gradient_norm_on_the_final_candidates():
    from mbo_lib.objectives.ignite import sharpness

    spec = RunSpec("Ackley-Synthetic-v0", "MATCH-OPT", "smoke", 0, task_kwargs=TINY)
    record, out = execute(spec, progress=False)
    space = DesignSpace(load_task(spec.task, TINY))
    assert out.candidate_inputs.shape == (128, 3)
    np.testing.assert_allclose(space.decode(out.candidate_inputs), out.designs, rtol=1e-6)
    z = torch.as_tensor(out.candidate_inputs).requires_grad_(False)
    out.surrogate.zero_grad()
    out.surrogate(z).mean().backward()  # closed chain: ||grad_w mean_i g(z_i)|| by plain autograd
    expected = torch.cat([p.grad.reshape(-1) for p in out.surrogate.parameters()]).norm().item()
    assert record["surrogate_grad_norm_on_candidates"] == pytest.approx(expected, rel=1e-5)
    assert record["surrogate_grad_norm_on_candidates"] == pytest.approx(sharpness(out.surrogate, out.candidate_inputs, 1.0))
