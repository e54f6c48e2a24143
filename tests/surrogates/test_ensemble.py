import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.objectives.regression import gaussian_nll, mse
from mbo_lib.surrogates import MLP, Ensemble, GaussianMLP, TrainConfig, TrainingHook, ensemble_objective, train_ensemble
from mbo_lib.surrogates.ensemble import _batched_is_faster, batched_max_width_cpu, batched_unsupported_reason


def data(n=600, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (np.sin(x[:, :1]) + x[:, 1:2] ** 2 - x[:, 2:3]).astype(np.float32)
    return x, y


CONFIG = TrainConfig(epochs=2, batch_size=64, lr=1e-3, val_size=50)


@pytest.mark.parametrize("kind,loss,bootstrap", [("gaussian", gaussian_nll, True), ("gaussian", gaussian_nll, False),
                                                 ("mlp", mse, True), ("mlp", gaussian_nll, False)])
def test_batched_and_sequential_training_give_the_same_models_and_logs(kind, loss, bootstrap):
    x, y = data()
    make = (lambda i: GaussianMLP(6, [16, 16])) if kind == "gaussian" else (lambda i: MLP(6, [16], activation="tanh"))
    runs = {}
    for batched in (False, True):
        ens, logs = train_ensemble(make, 3, x, y, loss, CONFIG, seed=4, bootstrap=bootstrap, progress=False,
                                   batched=batched)
        with torch.no_grad():
            runs[batched] = (ens(torch.as_tensor(x[:100])), logs)
    (pred_seq, logs_seq), (pred_bat, logs_bat) = runs[False], runs[True]
    assert pred_seq.shape == (3, 100, 1)
    torch.testing.assert_close(pred_bat, pred_seq, atol=1e-5, rtol=1e-5)
    for a, b in zip(logs_seq, logs_bat):
        assert len(a.epochs) == len(b.epochs) == CONFIG.epochs
        for ea, eb in zip(a.epochs, b.epochs):
            assert set(ea) == set(eb)
            for key in ea:
                assert eb[key] == pytest.approx(ea[key], rel=1e-4, abs=1e-5), key
    # members differ from each other (own seeds / bootstrap rows), so the comparison above is not vacuous
    assert not torch.allclose(pred_seq[0], pred_seq[1])


def test_one_batched_step_equals_one_step_per_member():
    x, y = data(n=200)
    one_step = TrainConfig(epochs=1, batch_size=512, lr=1e-2, val_size=0)  # a single full-batch Adam step
    seq, _ = train_ensemble(lambda i: GaussianMLP(6, [8]), 2, x, y, gaussian_nll, one_step, seed=1, batched=False)
    bat, _ = train_ensemble(lambda i: GaussianMLP(6, [8]), 2, x, y, gaussian_nll, one_step, seed=1, batched=True)
    for ps, pb in zip(seq.parameters(), bat.parameters()):
        torch.testing.assert_close(pb, ps, atol=1e-6, rtol=1e-6)


class CountingHook(TrainingHook):
    def __init__(self):
        self.steps = 0

    def after_step(self, model, x, y):
        self.steps += 1


def test_hooks_fall_back_to_sequential_and_each_member_gets_fresh_hooks():
    x, y = data(n=300)
    made = []

    def factory():
        made.append(CountingHook())
        return [made[-1]]

    train_ensemble(lambda i: GaussianMLP(6, [8]), 3, x, y, gaussian_nll, CONFIG, hooks=factory, progress=False)
    steps_per_epoch = int(np.ceil((300 - 50) / 64))
    assert [h.steps for h in made] == [CONFIG.epochs * steps_per_epoch] * 3
    with pytest.raises(InvalidInputError, match="hooks"):
        train_ensemble(lambda i: GaussianMLP(6, [8]), 2, x, y, gaussian_nll, CONFIG, hooks=factory, batched=True)


def test_a_single_member_trains_sequentially_by_default(monkeypatch):
    import mbo_lib.surrogates.ensemble as ensemble_module

    def fail(*args, **kwargs):
        raise AssertionError("batched path used")

    monkeypatch.setattr(ensemble_module, "_train_batched", fail)
    x, y = data(n=200)
    train_ensemble(lambda i: GaussianMLP(6, [8]), 1, x, y, gaussian_nll, CONFIG, progress=False)
    with pytest.raises(AssertionError, match="batched path used"):
        train_ensemble(lambda i: GaussianMLP(6, [8]), 2, x, y, gaussian_nll, CONFIG, progress=False)


def test_batched_path_is_chosen_only_where_it_applies():
    small = [GaussianMLP(6, [256, 256]) for _ in range(2)]
    wide = [GaussianMLP(6, [2048, 2048]) for _ in range(2)]
    assert batched_unsupported_reason(small, gaussian_nll) == ""
    assert _batched_is_faster(small, torch.device("cpu"))
    assert batched_max_width_cpu() == min(512 * torch.get_num_threads(), 1024)
    assert not _batched_is_faster(wide, torch.device("cpu"))
    assert _batched_is_faster(wide, torch.device("cuda"))
    assert "loss" in batched_unsupported_reason(small, lambda m, x, y: (m(x).mean(), {}))
    assert "differ" in batched_unsupported_reason([GaussianMLP(6, [8]), GaussianMLP(6, [9])], gaussian_nll)
    assert "GaussianMLP or MLP" in batched_unsupported_reason([torch.nn.Linear(6, 1)], mse)
    x, y = data(n=100)
    with pytest.raises(InvalidInputError, match="not possible"):
        train_ensemble(lambda i: torch.nn.Linear(6, 1), 2, x, y, mse, CONFIG, batched=True)
    with pytest.raises(InvalidInputError, match="batched must be"):
        train_ensemble(lambda i: GaussianMLP(6, [8]), 2, x, y, mse, CONFIG, batched="yes")


def test_ensemble_objectives_are_the_members_mean_and_min():
    torch.manual_seed(0)
    members = [MLP(4, [5]) for _ in range(3)]
    ens = Ensemble(members)
    x = torch.randn(7, 4)
    with torch.no_grad():
        direct = torch.stack([m(x)[:, 0] for m in members])  # 3 x 7
        torch.testing.assert_close(ensemble_objective(ens, "mean")(x), direct.mean(0))
        torch.testing.assert_close(ensemble_objective(ens, "min")(x), direct.min(0).values)
    assert not torch.allclose(direct.mean(0), direct.min(0).values)
    with pytest.raises(InvalidInputError, match="mean' or 'min"):
        ensemble_objective(ens, "median")


@pytest.mark.parametrize("kind,hvp,name", [("gaussian", "finite_difference", "ignite"),
                                           ("mlp", "double_backward", "ignite"), ("gaussian", "finite_difference", "ignite2")])
def test_batched_ignite_equals_one_hook_per_member_trained_one_after_another(kind, hvp, name):
    from mbo_lib.objectives import regularizer_factory

    x, y = data(n=400)
    # a tight constraint and a fast dual step so the multipliers move and the constraint gradient matters
    reg = {"name": name, "hvp": hvp, "lambda_init": 20.0, **({"epsilon": 0.01, "eta_lambda": 0.5} if name == "ignite" else {})}
    make = (lambda i: GaussianMLP(6, [16, 16])) if kind == "gaussian" else (lambda i: MLP(6, [16], activation="tanh"))
    runs = {}
    for batched in (False, True):
        ens, logs = train_ensemble(make, 3, x, y, gaussian_nll if kind == "gaussian" else mse, CONFIG, seed=2,
                                   bootstrap=True, progress=False, batched=batched, hooks=regularizer_factory(reg))
        with torch.no_grad():
            runs[batched] = (ens(torch.as_tensor(x[:100])), logs)
    (pred_seq, logs_seq), (pred_bat, logs_bat) = runs[False], runs[True]
    torch.testing.assert_close(pred_bat, pred_seq, atol=1e-4, rtol=1e-4)
    for a, b in zip(logs_seq, logs_bat):
        for ea, eb in zip(a.epochs, b.epochs):
            assert set(ea) == set(eb) and "ignite_lambda_end" in ea
            for key in ea:
                assert eb[key] == pytest.approx(ea[key], rel=1e-3, abs=1e-5), key
    # the regularizer acted, differently per member: otherwise the comparison above would prove little
    plain, _ = train_ensemble(make, 3, x, y, gaussian_nll if kind == "gaussian" else mse, CONFIG, seed=2,
                              bootstrap=True, progress=False, batched=True)
    with torch.no_grad():
        assert not torch.allclose(plain(torch.as_tensor(x[:100])), pred_bat, atol=1e-4)
    if name == "ignite":
        ends = [log.epochs[-1]["ignite_lambda_end"] for log in logs_bat]
        assert len(set(ends)) == 3 and all(e != 20.0 for e in ends)


def test_batched_and_sequential_agree_with_keras_init():
    """Members built with ``keras_init_`` inside ``make_model`` (as the methods do): the batched path stacks the
    very member modules, so both paths start from the same glorot weights / zero biases and train alike."""
    from mbo_lib.surrogates import keras_init_

    x, y = data()
    make = lambda i: keras_init_(GaussianMLP(6, [16, 16], "leaky_relu", 0.3))  # noqa: E731
    starts, preds = {}, {}
    for batched in (False, True):
        zero = TrainConfig(epochs=0, batch_size=64, lr=1e-3, val_size=50)
        ens0, _ = train_ensemble(make, 3, x, y, gaussian_nll, zero, seed=4, bootstrap=True, progress=False,
                                 batched=batched)
        starts[batched] = [p.detach().clone() for p in ens0.parameters()]
        ens, _ = train_ensemble(make, 3, x, y, gaussian_nll, CONFIG, seed=4, bootstrap=True, progress=False,
                                batched=batched)
        with torch.no_grad():
            preds[batched] = ens(torch.as_tensor(x[:100]))
    for a, b in zip(starts[False], starts[True]):
        assert torch.equal(a, b)
    biases = [m.bias for m in ens0.modules() if isinstance(m, torch.nn.Linear)]
    assert len(biases) == 9 and all(torch.count_nonzero(b) == 0 for b in biases)
    torch.testing.assert_close(preds[True], preds[False], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(preds[False][0], preds[False][1])
