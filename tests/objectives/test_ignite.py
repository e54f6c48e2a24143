"""Tests of mbo_lib/objectives/ignite.py and mbo_lib/objectives/regularizers.py (IGNITE, NeurIPS 2024)."""
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.autograd.functional import hessian
from torch.func import functional_call

from mbo_lib.errors import InvalidInputError
from mbo_lib.objectives import IgniteConfig, IgniteHook, gaussian_nll, mse, norm_gradient, regularizer_factory, sharpness
from mbo_lib.objectives.ignite import LOG_KEYS
from mbo_lib.surrogates import MLP, GaussianMLP, TrainConfig, train_ensemble, train_surrogate


def tiny_model(seed=0, dtype=torch.float64, activation="tanh"):
    torch.manual_seed(seed)
    return MLP(3, (5, 4), activation=activation).to(dtype)


def explicit_hessian_direction(model, x):
    """``H d / ||d||`` with H the full Hessian of ``h = mean model(x)`` over the flattened parameters."""
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def h(w):
        chunks = torch.split(w, sizes)
        params = {n: c.reshape(s) for n, c, s in zip(names, chunks, shapes)}
        return functional_call(model, params, (x,)).mean()

    H = hessian(h, flat)  # row by row with autograd (torch.func.hessian costs seconds of first-call setup)
    d = torch.autograd.grad(h(flat.requires_grad_()), flat)[0]
    assert H.shape == (flat.numel(), flat.numel())
    return H @ d / d.norm(), d.norm()


def flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


@pytest.mark.parametrize("activation", ["tanh", "leaky_relu"])
def test_double_backward_equals_explicit_hessian_vector_product(activation):
    model = tiny_model(activation=activation)
    x = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    expected, expected_norm = explicit_hessian_direction(model, x)
    grads, n = norm_gradient(model, x, hvp="double_backward")
    assert float(n) == pytest.approx(float(expected_norm), rel=1e-12)
    assert expected.norm() > 1e-3  # a real, non-trivial curvature term
    torch.testing.assert_close(flat(grads), expected, rtol=1e-10, atol=1e-12)


def test_finite_difference_converges_to_double_backward_at_order_r():
    model = tiny_model()
    x = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    exact = flat(norm_gradient(model, x, hvp="double_backward")[0])
    errors = []
    for r in (1e-2, 1e-3, 1e-4):
        fd, _ = norm_gradient(model, x, r=r, hvp="finite_difference")
        errors.append(float((flat(fd) - exact).norm() / exact.norm()))
    assert errors[-1] < 1e-3
    # forward difference: the error shrinks linearly with r (ratio ~10 per decade)
    assert 5 < errors[0] / errors[1] < 20 and 5 < errors[1] / errors[2] < 20


def test_finite_difference_restores_parameters_exactly():
    model = tiny_model(dtype=torch.float32)
    before = [p.detach().clone() for p in model.parameters()]
    norm_gradient(model, torch.randn(6, 3), r=0.05)
    for a, b in zip(before, model.parameters()):
        assert torch.equal(a, b)


def test_norm_gradient_of_a_linear_model_is_zero():
    # h is linear in the weights of a linear model: the Hessian and the constraint gradient vanish
    model = nn.Linear(4, 1).double()
    x = torch.randn(9, 4, dtype=torch.float64)
    for hvp in ("finite_difference", "double_backward"):
        grads, n = norm_gradient(model, x, hvp=hvp)
        assert float(n) == pytest.approx(float(torch.cat([x.mean(0), torch.ones(1, dtype=x.dtype)]).norm()))
        assert float(flat(grads).abs().max()) < 1e-12


def test_sharpness_is_rho_times_the_weight_gradient_norm():
    model = GaussianMLP(4, (8, 8))
    x = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    xt = torch.as_tensor(x)
    model(xt).mean().backward()
    manual = math.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters() if p.grad is not None))
    assert sharpness(model, x, rho=0.05) == pytest.approx(0.05 * manual, rel=1e-5)
    with torch.no_grad():  # works inside no_grad blocks too (evaluation code)
        assert sharpness(model, xt, rho=1.0) == pytest.approx(manual, rel=1e-5)
    with pytest.raises(InvalidInputError):
        sharpness(model, x[0], rho=0.05)
    with pytest.raises(InvalidInputError):
        sharpness(model, x, rho=-1.0)


def test_after_backward_adds_lambda_rho_times_constraint_gradient():
    model = tiny_model()
    x = torch.randn(8, 3, dtype=torch.float64)
    y = torch.randn(8, 1, dtype=torch.float64)
    loss, _ = mse(model, x, y)
    loss.backward()
    g = [p.grad.clone() for p in model.parameters()]
    hook = IgniteHook(IgniteConfig(lambda_init=0.3, rho=0.7, hvp="double_backward"))
    hook.after_backward(model, x, y, loss)
    constraint, _ = norm_gradient(model, x, hvp="double_backward")
    for p, gi, ci in zip(model.parameters(), g, constraint):
        torch.testing.assert_close(p.grad, gi + 0.3 * 0.7 * ci)


def test_parameters_the_prediction_ignores_keep_no_gradient():
    # GaussianMLP's log-std bounds do not enter the mean: under MSE they get no gradient, and IGNITE adds none
    torch.manual_seed(0)
    model = GaussianMLP(3, (4,))
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    loss, _ = mse(model, x, y)
    loss.backward()
    IgniteHook(IgniteConfig(lambda_init=1.0)).after_backward(model, x, y, loss)
    assert model.max_logstd.grad is None and model.min_logstd.grad is None
    assert model.net[0].weight.grad is not None


def test_dual_step_follows_the_constraint_violation_and_clipping_is_optional():
    model = tiny_model()
    x = torch.randn(8, 3, dtype=torch.float64)
    n = float(norm_gradient(model, x)[1])
    for clip in (False, True):
        hook = IgniteHook(IgniteConfig(epsilon=10.0, lambda_init=0.001, eta_lambda=0.01, rho=0.05, clip_lambda=clip))
        hook.after_backward(model, x, None, None)
        hook.after_step(model, x, None)
        expected = 0.001 + 0.01 * (0.05 * n - 10.0)
        assert expected < 0  # slack constraint: the official update goes negative
        assert hook.lam == pytest.approx(max(expected, 0.0) if clip else expected)
    tight = IgniteHook(IgniteConfig(epsilon=0.0, lambda_init=0.001, eta_lambda=0.01, rho=0.05))
    tight.after_backward(model, x, None, None)
    tight.after_step(model, x, None)
    assert tight.lam == pytest.approx(0.001 + 0.01 * 0.05 * n)


def test_ignite2_keeps_lambda_fixed_with_its_own_defaults():
    hook = regularizer_factory({"name": "ignite2"})()[0]
    assert (hook.config.lambda_init, hook.config.rho, hook.config.r, hook.config.dual_update) == (0.01, 0.2, 0.2, False)
    model = tiny_model()
    x = torch.randn(8, 3, dtype=torch.float64)
    for _ in range(3):
        hook.after_backward(model, x, None, None)
        hook.after_step(model, x, None)
    assert hook.lam == 0.01


def test_paper_defaults():
    cfg = regularizer_factory({"name": "ignite"})()[0].config
    assert (cfg.epsilon, cfg.lambda_init, cfg.eta_lambda, cfg.rho, cfg.r) == (0.1, 1e-3, 1e-3, 0.05, 0.05)
    assert cfg.dual_update and not cfg.clip_lambda and cfg.hvp == "finite_difference"


def test_factory_returns_fresh_hooks_and_rejects_bad_specs():
    make = regularizer_factory({"name": "ignite", "epsilon": 0.2, "hvp": "double_backward"})
    a, b = make(), make()
    assert len(a) == 1 and a[0] is not b[0] and a[0].config.epsilon == 0.2
    for bad in ({"name": "sam"}, {"epsilon": 0.1}, "ignite", {"name": "ignite", "epsilon": -1},
                {"name": "ignite", "rho": 0}, {"name": "ignite", "r": float("nan")}, {"name": "ignite", "eps": 0.1},
                {"name": "ignite", "hvp": "magic"}, {"name": "ignite2", "clip_lambda": "yes"},
                {"name": "ignite", "epsilon": "0.1"}):
        with pytest.raises(InvalidInputError):
            regularizer_factory(bad)


def test_epoch_logs_are_per_epoch_means_from_the_trainer():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x[:, :1] ** 2
    model = MLP(3, (8,))
    hook = IgniteHook(IgniteConfig(eta_lambda=0.5, epsilon=0.0))
    log = train_surrogate(model, x, y, mse, TrainConfig(epochs=2, batch_size=16, val_size=0), hooks=[hook], progress=False)
    frame = log.frame()
    assert set(LOG_KEYS) <= set(frame.columns) and len(frame) == 2
    row = frame.iloc[1]
    assert row.ignite_sharpness == pytest.approx(0.05 * row.ignite_grad_norm)
    assert row.ignite_violation == pytest.approx(row.ignite_sharpness - 0.0)
    # epsilon = 0: every dual step raises lambda, so the epoch's mean lambda lies below the value after it
    assert frame.ignite_lambda_end.iloc[0] < frame.ignite_lambda_end.iloc[1]
    assert row.ignite_lambda < row.ignite_lambda_end
    assert hook.epoch_logs()["ignite_grad_norm"] != hook.epoch_logs()["ignite_grad_norm"]  # reset: NaN


def test_ensemble_members_get_one_multiplier_each():
    hooks = []
    factory = regularizer_factory({"name": "ignite", "eta_lambda": 0.1, "epsilon": 0.0})

    def recording_factory():
        made = factory()
        hooks.extend(made)
        return made

    x = np.random.default_rng(0).normal(size=(48, 3)).astype(np.float32)
    y = x[:, :1] ** 2
    _, logs = train_ensemble(lambda i: MLP(3, (8,)), 2, x, y, mse, TrainConfig(epochs=1, batch_size=16, val_size=0),
                             hooks=recording_factory, progress=False)
    assert len(hooks) == 2 and hooks[0] is not hooks[1]
    assert hooks[0].lam != hooks[1].lam  # different members, different gradient norms, separate duals
    assert all("ignite_lambda" in log.last() for log in logs)


def test_tight_epsilon_lowers_the_measured_sharpness():
    """Real behaviour on a small regression: IGNITE with a tight constraint ends flatter than plain training."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 6)).astype(np.float32)
    y = (np.sin(x[:, :1] * 2) + x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    x_unseen = (rng.normal(size=(256, 6)) * 2).astype(np.float32)
    config = TrainConfig(epochs=8, batch_size=64, lr=1e-3, val_size=0)
    rho, results = 0.05, {}
    # the paper's eta_lambda = 1e-3 barely moves lambda in 64 steps; a fast dual step makes the constraint bite
    tight = IgniteHook(IgniteConfig(epsilon=0.01, eta_lambda=5.0, rho=rho))
    for name, hooks in (("plain", []), ("ignite", [tight])):
        torch.manual_seed(0)
        model = GaussianMLP(6, (64, 64))
        log = train_surrogate(model, x, y, gaussian_nll, config, seed=0, hooks=hooks, progress=False)
        results[name] = (sharpness(model, x, rho), sharpness(model, x_unseen, rho), log)
    plain, ignite = results["plain"], results["ignite"]
    assert ignite[0] < 0.8 * plain[0]  # on the training designs (measured: 0.087 vs 0.146)
    assert ignite[1] < 0.8 * plain[1]  # and on unseen, wider-spread designs (0.130 vs 0.220)
    frame = ignite[2].frame()
    assert frame.ignite_lambda_end.iloc[-1] > 1.0  # the constraint stayed violated, so lambda kept rising
    assert frame.train_mse.iloc[-1] < 1.1 * plain[2].frame().train_mse.iloc[-1]  # at little cost in fit


def test_runner_executes_ga_with_ignite(monkeypatch, tmp_path):
    monkeypatch.setenv("MBO_PROGRESS", "0")
    from mbo_lib.experiments import RunSpec, execute

    spec = RunSpec("TFBind8-Exact-v0", "GA", "smoke", 0, regularizer={"name": "ignite"})
    record, output = execute(spec, device="cpu", progress=False)
    (epochs,) = record["train"]
    assert set(LOG_KEYS) <= set(epochs[-1])
    assert epochs[-1]["ignite_grad_norm"] > 0 and np.isfinite(epochs[-1]["ignite_lambda_end"])
    assert record["spec"]["regularizer"] == {"name": "ignite"}
    assert spec.relpath.startswith("smoke/GA+ignite/")
