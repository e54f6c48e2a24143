import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.objectives import mse
from mbo_lib.surrogates import MLP, TrainConfig, TrainingHook, train_surrogate


def _linear_data(n=512, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = np.array([[1.5], [-2.0], [0.5]], dtype=np.float32)
    return x, x @ w + 0.3


def test_fits_a_linear_function():
    x, y = _linear_data()
    torch.manual_seed(0)
    model = MLP(3, [])  # a single linear layer: least squares
    log = train_surrogate(model, x, y, mse, TrainConfig(epochs=60, batch_size=64, lr=0.05, val_size=50), progress=False)
    w = model.net[0].weight.detach().numpy()
    np.testing.assert_allclose(w, [[1.5, -2.0, 0.5]], atol=0.02)
    assert log.epochs[-1]["val_mse"] < 1e-3 and len(log.epochs) == 60


def test_same_seed_same_model_different_seed_different_order():
    x, y = _linear_data()

    def train(seed):
        torch.manual_seed(0)
        m = MLP(3, [8])
        train_surrogate(m, x, y, mse, TrainConfig(epochs=2, batch_size=32, lr=1e-2), seed=seed, progress=False)
        return torch.cat([p.detach().flatten() for p in m.parameters()])

    assert torch.equal(train(1), train(1))
    assert not torch.equal(train(1), train(2))


class _Recorder(TrainingHook):
    def __init__(self, zero_grads=False):
        self.calls, self.zero_grads = [], zero_grads

    def setup(self, model, optimizer):
        self.calls.append("setup")

    def after_backward(self, model, x, y, loss):
        self.calls.append("after_backward")
        if self.zero_grads:
            for p in model.parameters():
                p.grad.zero_()

    def after_step(self, model, x, y):
        self.calls.append("after_step")

    def epoch_logs(self):
        return {"hook_value": 42.0}


def test_hooks_are_called_in_order_and_can_change_gradients():
    x, y = _linear_data(n=64)
    torch.manual_seed(0)
    model = MLP(3, [4])
    before = [p.detach().clone() for p in model.parameters()]
    hook = _Recorder(zero_grads=True)
    log = train_surrogate(model, x, y, mse, TrainConfig(epochs=1, batch_size=16, lr=0.1, val_size=0), hooks=[hook],
                          progress=False)
    assert hook.calls[:3] == ["setup", "after_backward", "after_step"] and hook.calls.count("after_step") == 4
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # zero grads -> Adam does not move
    assert log.epochs[0]["hook_value"] == 42.0


def test_extra_terms_are_added_with_their_weight():
    x, y = _linear_data(n=64)
    const = lambda model, xb, yb: (torch.tensor(2.0), {"const": 2.0})  # noqa: E731
    torch.manual_seed(0)
    log = train_surrogate(MLP(3, [4]), x, y, mse, TrainConfig(epochs=1, batch_size=64, lr=1e-9, val_size=0),
                          terms=[(0.5, const)], progress=False)
    e = log.epochs[0]
    assert e["train_loss"] == pytest.approx(e["train_mse"] + 1.0, rel=1e-5)


def test_custom_batches_are_used():
    x, y = _linear_data(n=64)
    seen = []

    def sampler(rng, rows):
        seen.append(rows.size)
        return [rows[:8]]

    train_surrogate(MLP(3, [4]), x, y, mse, TrainConfig(epochs=3, val_size=10), batches=sampler, progress=False)
    assert seen == [54, 54, 54]


def test_bad_input_is_reported():
    x, y = _linear_data(n=32)
    with pytest.raises(InvalidInputError, match="shape"):
        train_surrogate(MLP(3, [4]), x, y[:, 0], mse, TrainConfig(epochs=1), progress=False)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(InvalidInputError, match="NaN"):
        train_surrogate(MLP(3, [4]), x, y_nan, mse, TrainConfig(epochs=1), progress=False)
    with pytest.raises(InvalidInputError):
        TrainConfig(epochs=-1)
