"""Tests of mbo_lib/methods/cbas.py (CbAS, Brookes et al. 2019, as in design-baselines)."""
import numpy as np
import pytest
import torch
from scipy.stats import norm

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute, load_task
from mbo_lib.methods import get_method
from mbo_lib.methods.cbas import cbas_weights, gaussian_tail_probability, member_gaussians, mixture_tail_probability
from mbo_lib.methods.task_overrides import apply_task_overrides
from mbo_lib.surrogates import Ensemble, TrainingHook
from mbo_lib.surrogates.embedding import EmbeddingGaussianMLP, one_hot_flat

TFBIND8_SMALL = {"max_samples": 2000}
ACKLEY_SMALL = {"dim": 4, "num_samples": 1000}


def test_tail_probability_is_the_gaussian_survival_function():
    rng = np.random.default_rng(0)
    mean, std, t = rng.normal(size=50), rng.uniform(0.05, 3.0, 50), rng.normal(size=50)
    ours = gaussian_tail_probability(torch.as_tensor(mean), torch.as_tensor(std), torch.as_tensor(t)).numpy()
    np.testing.assert_allclose(ours, norm.sf(t, loc=mean, scale=std), rtol=1e-10, atol=1e-14)
    # the mixture's tail is 1 - the mixture CDF, i.e. the members' average tail
    means, stds = rng.normal(size=(5, 7)), rng.uniform(0.1, 2.0, (5, 7))
    mix = mixture_tail_probability(torch.as_tensor(means), torch.as_tensor(stds), 0.3).numpy()
    np.testing.assert_allclose(mix, 1.0 - norm.cdf(0.3, loc=means, scale=stds).mean(0), rtol=1e-10)


def test_cbas_weights_closed_form():
    rng = np.random.default_rng(1)
    n = 101
    means, stds = rng.normal(size=(3, n)), rng.uniform(0.1, 1.0, (3, n))
    log_ratio = rng.normal(scale=0.5, size=n)
    w, gamma = cbas_weights(torch.as_tensor(log_ratio), torch.as_tensor(means), torch.as_tensor(stds), 80.0)
    mixture_mean = means.mean(0)
    expected_gamma = np.sort(mixture_mean)[80]  # "nearest" 80th percentile of 101 values: index 0.8 * 100
    assert float(gamma) == pytest.approx(expected_gamma)
    expected = np.exp(log_ratio) * norm.sf(expected_gamma, loc=means, scale=stds).mean(0)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-10)


def test_cbas_end_to_end_on_tfbind8_returns_128_valid_sequences():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "CbAS", "smoke", 0, task_kwargs=TFBIND8_SMALL), device="cpu")
    assert out.designs.shape == (128, 8) and out.designs.dtype == np.int32
    assert out.designs.min() >= 0 and out.designs.max() < 4
    assert len(record["result"]["scores"]) == 128 and np.isfinite(record["result"]["norm_p100"])
    assert [c["step"] for c in record["curve"]] == [0, 1, 2]
    np.testing.assert_array_equal(out.steps[2], out.designs)  # the score is read at the last iteration
    assert isinstance(out.surrogate, Ensemble) and len(out.surrogate) == 5 and len(out.train_logs) == 5
    assert all(isinstance(m, EmbeddingGaussianMLP) for m in out.surrogate.members)
    rounds = record["extras"]["rounds"]
    assert [r["iteration"] for r in rounds] == [1, 2]
    assert all(np.isfinite(r["gamma"]) and r["weight_mean"] > 0 for r in rounds)


def test_cbas_end_to_end_on_a_synthetic_task():
    record, out = execute(RunSpec("Ackley-Synthetic-v0", "CbAS", "smoke", 0, task_kwargs=ACKLEY_SMALL), device="cpu")
    assert out.designs.shape == (128, 4) and out.designs.dtype == np.float32
    assert np.isfinite(out.designs).all() and np.isfinite(record["result"]["scores"]).all()


def test_cbas_is_deterministic():
    spec = RunSpec("TFBind8-Exact-v0", "CbAS", "smoke", 3, task_kwargs=TFBIND8_SMALL)
    rec1, out1 = execute(spec, device="cpu")
    rec2, out2 = execute(spec, device="cpu")
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    np.testing.assert_array_equal(out1.designs, out2.designs)
    rec3, _ = execute(RunSpec("TFBind8-Exact-v0", "CbAS", "smoke", 4, task_kwargs=TFBIND8_SMALL), device="cpu")
    assert rec3["result"]["scores"] != rec1["result"]["scores"]


def test_every_ensemble_member_trains_through_the_shared_trainer_with_the_hooks():
    calls = []

    class Counter(TrainingHook):
        def setup(self, model, optimizer):
            calls.append(model)

        def after_backward(self, model, x, y, loss):
            assert x.shape[1] == 8 * 4  # one-hot sequences

    method = get_method("CbAS")
    task = load_task("TFBind8-Exact-v0", TFBIND8_SMALL)
    out = method.run(task, method.config("smoke"), seed=0, device=torch.device("cpu"), progress=False,
                     hooks=lambda: [Counter()])
    assert calls == list(out.surrogate.members)
    # the ensemble's Gaussian predictive is what weights the samples
    x = torch.as_tensor(one_hot_flat(task.x[:10], 4))
    means, stds = member_gaussians(out.surrogate, x)
    assert means.shape == stds.shape == (5, 10) and (stds > 0).all()


def test_bad_hyperparameters_raise_clear_errors():
    for overrides, match in [({"percentile": 150.0}, "out of range"), ({"latent_size": 0}, "out of range"),
                             ({"hidden": [0]}, "out of range"), ({"vae_lr": -1e-3}, "out of range"),
                             ({"record_iterations": [0, 5]}, "record_iterations"), ({"temperature": 1.0}, "no hyperparameter")]:
        with pytest.raises(InvalidInputError, match=match):
            execute(RunSpec("TFBind8-Exact-v0", "CbAS", "smoke", 0, overrides=overrides, task_kwargs=TFBIND8_SMALL),
                    device="cpu")


def test_paper_profile_uses_design_baselines_per_task_settings():
    method = get_method("CbAS")
    paper = method.hyperparameters("paper")
    assert (paper["num_models"], paper["hidden"], paper["latent_size"], paper["iterations"], paper["percentile"],
            paper["ensemble_lr"], paper["ensemble_epochs"]) == (5, [256], 32, 20, 80.0, 3e-4, 100)
    assert apply_task_overrides(method, paper, "TFBind8-Exact-v0")["offline_epochs"] == 200
    assert apply_task_overrides(method, paper, "TFBind10-Exact-v0")["offline_epochs"] == 100
    with pytest.raises(InvalidInputError, match="out of range"):
        apply_task_overrides(method, {**paper, "task_overrides": {"X": {"offline_epochs": -1}}}, "X")
    with pytest.raises(InvalidInputError, match="unknown"):
        apply_task_overrides(method, {**paper, "task_overrides": {"X": {"epochs": 1}}}, "X")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cbas_runs_on_cuda():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "CbAS", "smoke", 0, task_kwargs=TFBIND8_SMALL), device="cuda")
    assert out.designs.shape == (128, 8) and record["environment"]["device"].startswith("cuda")
