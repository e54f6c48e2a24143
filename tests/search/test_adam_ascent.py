import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.search.adam_ascent import adam_ascent


def test_each_candidate_moves_as_if_optimized_alone():
    c = torch.tensor([1.0, -2.0, 0.5])
    objective = lambda x: -((x - c) ** 2).sum(-1) * torch.arange(1, x.shape[0] + 1)  # noqa: E731
    x0 = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    x, snaps = adam_ascent(objective, x0, lr=0.05, steps=30, record_at=[0, 10, 30])
    assert sorted(snaps) == [0, 10, 30]
    torch.testing.assert_close(snaps[0], x0)
    torch.testing.assert_close(snaps[30], x)
    for i in range(4):  # Adam is per coordinate: the scale of each candidate's objective cancels out
        xi = x0[i:i + 1].clone().requires_grad_(True)
        opt = torch.optim.Adam([xi], lr=0.05)
        for _ in range(30):
            opt.zero_grad()
            (-objective(xi).sum()).backward()
            opt.step()
        torch.testing.assert_close(x[i:i + 1], xi.detach())
    assert ((x - c) ** 2).sum() < ((x0 - c) ** 2).sum()


def test_does_not_touch_model_gradients_and_validates():
    model = torch.nn.Linear(3, 1)
    x, _ = adam_ascent(model, torch.zeros(2, 3), lr=0.1, steps=1)
    assert all(p.grad is None for p in model.parameters())
    # one Adam step moves every coordinate by lr in the sign of the gradient (the weight)
    torch.testing.assert_close(x, 0.1 * torch.sign(model.weight.detach()).expand(2, 3))
    with pytest.raises(InvalidInputError):
        adam_ascent(model, torch.zeros(2, 3), lr=0.0, steps=1)
