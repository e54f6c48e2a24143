import math

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
