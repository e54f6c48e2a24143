import torch

from mbo_lib.search import gradient_ascent


def test_matches_closed_form_on_a_quadratic():
    c = torch.tensor([1.0, -2.0, 0.5])
    objective = lambda x: -((x - c) ** 2).sum(-1)  # noqa: E731  grad = -2 (x - c)
    x0 = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    lr, steps = 0.1, 7
    x, snaps = gradient_ascent(objective, x0, lr, steps, record_at=[0, 3, 7])
    for t, xt in [(3, snaps[3]), (7, x)]:
        torch.testing.assert_close(xt, c + (1 - 2 * lr) ** t * (x0 - c))
    torch.testing.assert_close(snaps[0], x0)
    assert sorted(snaps) == [0, 3, 7]
