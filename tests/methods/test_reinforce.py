import numpy as np
import pytest
import torch

from mbo_lib.design_space import DesignSpace
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute, load_task
from mbo_lib.methods import get_method
from mbo_lib.methods.reinforce import DiscreteEncoder
from mbo_lib.search.reinforce import CategoricalSearch, GaussianSearch, reinforce_loss

SMALL = {"dim": 3, "num_samples": 400}


def test_end_to_end_on_tfbind8_samples_integer_designs():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "REINFORCE", "smoke", 0), progress=False)
    assert out.designs.shape == (128, 8) and np.issubdtype(out.designs.dtype, np.integer)
    assert out.designs.min() >= 0 and out.designs.max() < 4
    assert len(record["result"]["scores"]) == 128
    assert record["extras"]["batch_size"] == 64 and len(record["extras"]["mean_reward_per_iteration"]) == 10
    task = load_task("TFBind8-Exact-v0")
    np.testing.assert_allclose(out.candidate_inputs, DesignSpace(task).encode(out.designs), atol=1e-5)


def test_synthetic_task_determinism_and_rising_reward():
    spec = RunSpec("Ackley-Synthetic-v0", "REINFORCE", "smoke", 3, task_kwargs=SMALL,
                   overrides={"iterations": 30, "record_steps": [0, 30]})
    rec1, out = execute(spec, progress=False)
    rec2, _ = execute(spec, progress=False)
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    assert out.designs.shape == (128, 3)
    rewards = rec1["extras"]["mean_reward_per_iteration"]
    assert np.mean(rewards[-5:]) > np.mean(rewards[:5])
    np.testing.assert_allclose(out.steps[30], out.designs)  # the final sample is the last snapshot


def test_discrete_encoder_matches_the_design_space():
    task = load_task("TFBind8-Exact-v0")
    space = DesignSpace(task)
    designs = task.x[:50]
    enc = DiscreteEncoder(space, "cpu")(torch.as_tensor(designs, dtype=torch.long))
    np.testing.assert_allclose(enc.numpy(), space.encode(designs), atol=1e-5)


def test_score_function_estimator_is_unbiased_up_to_the_mean_baseline_factor_gaussian():
    # r(x) = a.x under N(mu, s^2 I): grad_mu E r = a; the batch-mean baseline scales the expectation by (1 - 1/B)
    a, B, R = torch.tensor([1.0, -2.0, 0.5]), 8, 4000
    search = GaussianSearch(torch.tensor([0.5, -1.0, 2.0]), std=0.7)
    gen = torch.Generator().manual_seed(0)
    total = torch.zeros(3)
    for _ in range(R):
        x = search.sample(B, gen)
        (g,) = torch.autograd.grad(reinforce_loss(search.log_prob(x), x @ a, standardize=False), search.mean)
        total -= g
    estimate = total / R
    torch.testing.assert_close(estimate, (1 - 1 / B) * a, atol=0.08, rtol=0)
    assert (estimate - a).abs().max() > 0.1  # the (1 - 1/B) factor is visible: the check can tell them apart


def test_score_function_estimator_is_unbiased_up_to_the_mean_baseline_factor_categorical():
    torch.manual_seed(1)
    w = torch.randn(2, 3)  # r(x) = w[0, x_0] + w[1, x_1]
    search = CategoricalSearch(torch.randn(2, 3))
    p = search.probs().detach()
    exact = p * (w - (p * w).sum(-1, keepdim=True))  # d E r / d logits
    B, R = 16, 3000
    gen = torch.Generator().manual_seed(0)
    total = torch.zeros(2, 3)
    for _ in range(R):
        x = search.sample(B, gen)
        reward = w[0, x[:, 0]] + w[1, x[:, 1]]
        (g,) = torch.autograd.grad(reinforce_loss(search.log_prob(x), reward, standardize=False), search.logits)
        total -= g
    torch.testing.assert_close(total / R, (1 - 1 / B) * exact, atol=0.03, rtol=0)


def test_standardized_loss_and_the_design_baselines_broadcast():
    torch.manual_seed(0)
    search = CategoricalSearch(torch.randn(8, 4))
    x = search.sample(256, torch.Generator().manual_seed(0))
    reward = torch.randn(256)
    adv = (reward - reward.mean()) / reward.std(unbiased=False)
    torch.testing.assert_close(reinforce_loss(search.log_prob(x), reward), -(search.log_prob(x) * adv).mean())
    # design-baselines' discrete loss: log_probs (B x L)[:, None] * adv (B x 1) broadcasts to B x B x L
    logp_per_position = torch.log_softmax(search.logits, -1).gather(1, x.T).T  # B x L
    buggy = (-logp_per_position[:, None] * adv[:, None]).mean()
    (g_bug,) = torch.autograd.grad(buggy, search.logits)
    (g_ours,) = torch.autograd.grad(reinforce_loss(search.log_prob(x), reward), search.logits)
    assert g_bug.abs().max() < 1e-5 < g_ours.abs().max()


def test_bad_hyperparameters_raise():
    with pytest.raises(InvalidInputError, match="out of range"):
        execute(RunSpec("TFBind8-Exact-v0", "REINFORCE", "smoke", 0, overrides={"exploration_std": 0.0}), progress=False)
    with pytest.raises(InvalidInputError, match="out of range"):
        get_method("REINFORCE").hyperparameters("smoke", {"reinforce_batch_size_discrete": 1})
    paper = get_method("REINFORCE").hyperparameters("paper")
    assert (paper["iterations"], paper["reinforce_lr"], paper["reinforce_batch_size_continuous"]) == (200, 0.01, 2048)
