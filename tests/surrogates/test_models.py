import math

import pytest
import torch

from mbo_lib.objectives import gaussian_nll, mse
from mbo_lib.surrogates import MLP, GaussianMLP


def test_gaussian_logstd_soft_clamp_limits():
    """design-baselines' soft clamp: upper = max - softplus(max - s), then min + softplus(upper - min).

    As the raw log-std goes to +inf the result tends to min + softplus(max - min) = log(0.1) + log(3);
    as it goes to -inf, to min = log(0.1).
    """
    torch.manual_seed(0)
    model = GaussianMLP(4, [8])
    assert math.isclose(model.max_logstd.item(), math.log(0.2), rel_tol=1e-6)
    assert math.isclose(model.min_logstd.item(), math.log(0.1), rel_tol=1e-6)
    with torch.no_grad():
        model.net[-1].weight.zero_()
        model.net[-1].bias.copy_(torch.tensor([0.0, 50.0]))
    _, high = model.mean_logstd(torch.randn(16, 4))
    assert torch.allclose(high, torch.full_like(high, math.log(0.1) + math.log(3.0)), atol=1e-5)
    with torch.no_grad():
        model.net[-1].bias.copy_(torch.tensor([0.0, -50.0]))
    _, low = model.mean_logstd(torch.randn(16, 4))
    assert torch.allclose(low, torch.full_like(low, math.log(0.1)), atol=1e-5)


def test_gaussian_nll_equals_torch_normal_log_prob():
    torch.manual_seed(0)
    model = GaussianMLP(3, [5])
    x, y = torch.randn(10, 3), torch.randn(10, 1)
    loss, logs = gaussian_nll(model, x, y)
    mean, logstd = model.mean_logstd(x)
    expected = -torch.distributions.Normal(mean, logstd.exp()).log_prob(y).mean()
    assert torch.allclose(loss, expected, atol=1e-6)
    assert logs["mse"] == ((mean - y) ** 2).mean().item()


def test_mse_and_plain_mlp_shapes():
    model = MLP(3, [4, 4], activation="leaky_relu", negative_slope=0.3)
    x, y = torch.randn(7, 3), torch.randn(7, 1)
    assert model(x).shape == (7, 1)
    loss, _ = mse(model, x, y)
    assert torch.allclose(loss, ((model(x) - y) ** 2).mean())


# ----- initialization: Keras' Dense defaults (design-baselines) vs PyTorch's -------------------------------------

def _digest(model: torch.nn.Module) -> str:
    import hashlib

    return hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()


def test_torch_init_is_unchanged_bit_for_bit():
    """Digests of the weights the code made before ``keras_init_`` existed (commit fdfa17f), seed 0."""
    from mbo_lib.surrogates import initialize_

    torch.manual_seed(0)
    gaussian = initialize_(GaussianMLP(8, [16, 16], "leaky_relu", 0.3), "torch")
    torch.manual_seed(0)
    mlp = initialize_(MLP(8, [16, 16]), "torch")
    assert _digest(gaussian) == "d10057fa8e0af023a9331c45778b749b3ee9b324c7563d1b17543bad4db95f21"
    assert _digest(mlp) == "24e40838d71e382ce03c863e98b5bba1bba9af8861fb4b4175257a598d57ff98"


def test_keras_init_is_glorot_uniform_with_zero_biases():
    from mbo_lib.surrogates import keras_init_

    torch.manual_seed(0)
    layer = keras_init_(torch.nn.Linear(2048, 2048))
    w = layer.weight.detach().double()
    limit = math.sqrt(6.0 / (2048 + 2048))
    assert torch.count_nonzero(layer.bias) == 0
    assert w.abs().max() <= limit and w.abs().max() > 0.999 * limit  # fills U(-a, a)
    # U(-a, a) has mean 0 and variance a^2 / 3; with 4.2M draws the sample moments are within a few 1e-4 relative
    assert abs(w.mean()) < 5 * math.sqrt(limit ** 2 / 3 / w.numel())
    assert w.var().item() == pytest.approx(limit ** 2 / 3, rel=5e-3)
    # PyTorch's default (Kaiming-uniform, a = sqrt(5)) has bound 1/sqrt(fan_in): a different distribution
    torch.manual_seed(0)
    default = torch.nn.Linear(2048, 2048).weight.detach().double()
    assert default.var().item() == pytest.approx((1 / math.sqrt(2048)) ** 2 / 3, rel=5e-3)
    assert abs(default.var().item() / w.var().item() - 1 / 3) < 0.01  # glorot: 2 / (in + out) = 3x 1 / (3 in)


def test_keras_init_touches_only_linear_layers_and_is_seeded():
    from mbo_lib.surrogates import keras_init_

    def build(seed):
        torch.manual_seed(seed)
        return keras_init_(GaussianMLP(5, [7, 3], "leaky_relu", 0.3, initial_max_std=0.5, initial_min_std=0.05))

    a, b, c = build(1), build(1), build(2)
    assert _digest(a) == _digest(b) and _digest(a) != _digest(c)
    linears = [m for m in a.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3 and all(torch.count_nonzero(m.bias) == 0 for m in linears)
    for m in linears:
        fan_out, fan_in = m.weight.shape
        assert m.weight.abs().max() <= math.sqrt(6.0 / (fan_in + fan_out))
    assert a.max_logstd.item() == pytest.approx(math.log(0.5)) and a.min_logstd.item() == pytest.approx(math.log(0.05))


def test_initialize_rejects_unknown_init():
    from mbo_lib.surrogates import initialize_

    with pytest.raises(ValueError, match="init"):
        initialize_(MLP(3, [4]), "xavier")
