import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.search.policy_guided import policy_guided_search

C = torch.tensor([[1.0, -2.0, 0.5]])


def quadratic(x):  # f(x) = -|x - c|^2 / 2, grad = c - x
    return -0.5 * ((x - C) ** 2).sum(1, keepdim=True)


def test_fixed_policy_matches_closed_form():
    a = torch.tensor([0.5, -0.25, 0.9])
    x0 = torch.randn(7, 3, generator=torch.Generator().manual_seed(0))
    scale, steps = 0.3, 4
    final, snaps = policy_guided_search(lambda x: a.expand_as(x), quadratic, x0, scale, steps, record_at=[0, 1, 4])
    # x_{k+1} - c = (1 - a * scale) (x_k - c)  =>  x_k = c + (1 - a s)^k (x_0 - c)
    for k in (0, 1, 4):
        torch.testing.assert_close(snaps[k], C + (1 - a * scale) ** k * (x0 - C))
    torch.testing.assert_close(final, snaps[4])


def test_state_dependent_policy_matches_explicit_loop():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    policy = lambda x: torch.tanh(2 * x)  # noqa: E731
    x0 = torch.randn(5, 3)
    final, _ = policy_guided_search(policy, net, x0, 0.7, 3)
    x = x0.clone()
    for _ in range(3):
        rows = []
        for r in range(5):  # one design at a time: each row's own gradient
            xr = x[r:r + 1].clone().requires_grad_(True)
            net(xr).sum().backward()
            rows.append(x[r] + policy(x[r]) * 0.7 * xr.grad[0])
        x = torch.stack(rows)
    torch.testing.assert_close(final, x)


def test_zero_steps_and_bad_steps():
    x0 = torch.ones(2, 3)
    final, snaps = policy_guided_search(lambda x: x, quadratic, x0, 1.0, 0, record_at=[0])
    assert torch.equal(final, x0) and torch.equal(snaps[0], x0)
    with pytest.raises(InvalidInputError):
        policy_guided_search(lambda x: x, quadratic, x0, 1.0, -1)
    assert np.isfinite(final.numpy()).all()
