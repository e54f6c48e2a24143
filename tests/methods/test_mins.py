"""Tests of mbo_lib/methods/mins.py (MINs, Kumar & Levine 2020, as in design-baselines)."""
import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute, load_task
from mbo_lib.methods import get_method
from mbo_lib.methods.mins import mins_weights, noisy_one_hot_nll
from mbo_lib.methods.task_overrides import apply_task_overrides
from mbo_lib.objectives import gaussian_nll
from mbo_lib.surrogates import GaussianMLP, TrainingHook

TFBIND8_SMALL = {"max_samples": 2000}
ACKLEY_SMALL = {"dim": 4, "num_samples": 1000}


def test_mins_end_to_end_on_tfbind8_returns_128_valid_sequences():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "MINs", "smoke", 0, task_kwargs=TFBIND8_SMALL), device="cpu")
    assert out.designs.shape == (128, 8) and out.designs.dtype == np.int32
    assert out.designs.min() >= 0 and out.designs.max() < 4
    assert len(record["result"]["scores"]) == 128 and np.isfinite(record["result"]["norm_p100"])
    assert [c["step"] for c in record["curve"]] == [1]
    assert isinstance(out.surrogate, GaussianMLP) and len(out.train_logs) == 1
    task = load_task("TFBind8-Exact-v0", TFBIND8_SMALL)
    # conditioned on the best (z-scored) score of the data
    assert record["extras"]["condition_y_raw"] == pytest.approx(float(task.y.max()), rel=1e-5)


def test_mins_end_to_end_on_a_synthetic_task():
    record, out = execute(RunSpec("Ackley-Synthetic-v0", "MINs", "smoke", 0, task_kwargs=ACKLEY_SMALL), device="cpu")
    assert out.designs.shape == (128, 4) and out.designs.dtype == np.float32
    assert np.isfinite(out.designs).all() and np.isfinite(record["result"]["scores"]).all()


def test_mins_is_deterministic():
    spec = RunSpec("TFBind8-Exact-v0", "MINs", "smoke", 5, task_kwargs=TFBIND8_SMALL)
    rec1, out1 = execute(spec, device="cpu")
    rec2, out2 = execute(spec, device="cpu")
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    np.testing.assert_array_equal(out1.designs, out2.designs)


def test_mins_weights_closed_form():
    # 90 rows at y=0 and 10 at y=1: 20 bins of width 0.05, mass only in the first (0.9) and last (0.1) bins
    y = np.array([0.0] * 90 + [1.0] * 10)[:, None]
    w = mins_weights(y, base_temp=0.1)
    upper = np.linspace(0.0, 1.0, 21)[1:]
    soft = np.exp(upper / 0.1) / np.exp(upper / 0.1).sum()
    t0, t19 = soft[0] * 0.9 / (0.9 + 1e-3), soft[-1] * 0.1 / (0.1 + 1e-3)
    total = t0 + t19 + 1e-7
    assert w.shape == (100, 1) and w.dtype == np.float32
    np.testing.assert_allclose(w[:90, 0], t0 / total / (0.9 + 1e-7), rtol=1e-5)
    np.testing.assert_allclose(w[90:, 0], 5.0)  # t19 / total / 0.1 ~ 10, clipped at 5
    # a cooler softmax puts relatively more weight on high scores
    y = np.random.default_rng(0).normal(size=(1000, 1))
    hot, cold = mins_weights(y, 1.0), mins_weights(y, 0.1)
    top, bottom = y[:, 0] > 1.5, y[:, 0] < -1.5
    assert cold[top].mean() / cold[bottom].mean() > hot[top].mean() / hot[bottom].mean() > 1.0


def test_forward_model_noise_keeps_one_hot_rows_at_keep_one():
    torch.manual_seed(0)
    model = GaussianMLP(8, (6,))
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (16, 2)), 4).float().reshape(16, 8)
    y = torch.randn(16, 1)
    noisy, _ = noisy_one_hot_nll(2, 4, keep=1.0, temp=1e-3)(model, x, y)
    clean, _ = gaussian_nll(model, x, y)
    assert float(noisy.detach()) == pytest.approx(float(clean.detach()), rel=1e-6)


def test_the_forward_model_trains_through_the_shared_trainer_with_the_hooks():
    calls = []

    class Counter(TrainingHook):
        def setup(self, model, optimizer):
            calls.append(model)

    method = get_method("MINs")
    task = load_task("TFBind8-Exact-v0", TFBIND8_SMALL)
    out = method.run(task, method.config("smoke"), seed=0, device=torch.device("cpu"), progress=False,
                     hooks=lambda: [Counter()])
    assert calls == [out.surrogate]


def test_bad_hyperparameters_raise_clear_errors():
    for overrides, match in [({"critic_frequency": 0}, "out of range"), ({"keep": 1.5}, "out of range"),
                             ({"gan_hidden": 0}, "out of range"), ({"base_temp": 0.0}, "out of range"),
                             ({"record_epochs": [3]}, "record_epochs"), ({"method": "lsgan"}, "no hyperparameter")]:
        with pytest.raises(InvalidInputError, match=match):
            execute(RunSpec("TFBind8-Exact-v0", "MINs", "smoke", 0, overrides=overrides, task_kwargs=TFBIND8_SMALL),
                    device="cpu")


def test_paper_profile_uses_design_baselines_settings():
    method = get_method("MINs")
    paper = method.hyperparameters("paper")
    assert (paper["gan_hidden"], paper["latent_size"], paper["generator_lr"], paper["critic_lr"], paper["gan_epochs"],
            paper["forward_lr"], paper["forward_epochs"]) == (1024, 32, 2e-4, 2e-4, 200, 1e-3, 100)
    assert apply_task_overrides(method, paper, "TFBind10-Exact-v0")["gan_epochs"] == 100


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_mins_runs_on_cuda():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "MINs", "smoke", 0, task_kwargs=TFBIND8_SMALL), device="cuda")
    assert out.designs.shape == (128, 8) and record["environment"]["device"].startswith("cuda")
