import numpy as np
import pytest
import torch
from torch import nn

from mbo_lib.errors import InvalidInputError
from mbo_lib.objectives.matchopt import (GradientMatchingLoss, equal_count_bins, gradient_matching_loss,
                                         input_gradients, monotone_trajectories, riemann_points)
from mbo_lib.surrogates import MLP


def _path(num, dim, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(num, dim, generator=g, dtype=dtype)
    y = torch.randn(num, 1, generator=g, dtype=dtype).sort(0).values
    return x, y


class Quadratic(nn.Module):
    """g(x) = 0.5 x^T A x + b^T x + c with A symmetric; grad g(p) = A p + b."""

    def __init__(self, dim, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        m = torch.randn(dim, dim, generator=g, dtype=torch.float64)
        self.A = nn.Parameter(m + m.T)
        self.b = nn.Parameter(torch.randn(dim, generator=g, dtype=torch.float64))
        self.c = nn.Parameter(torch.tensor(0.3, dtype=torch.float64))

    def forward(self, x):
        return (0.5 * ((x @ self.A) * x).sum(1) + x @ self.b + self.c).unsqueeze(1)


def test_linear_model_riemann_sum_is_exact():
    x, y = _path(9, 4)
    model = nn.Linear(4, 1).double()
    loss, logs = gradient_matching_loss(model, x, y, num_points=3, alpha=0.7)
    w = model.weight.detach()[0]
    with torch.no_grad():
        pred_diff = (x[1:] - x[:-1]) @ w  # exactly g(x_v) - g(x_u)
        matching = ((pred_diff - (y[1:] - y[:-1])[:, 0]) ** 2).mean()
        mse = ((model(x) - y) ** 2).mean()
    assert logs["grad_match"] == pytest.approx(matching.item(), rel=1e-12)
    assert logs["mse"] == pytest.approx(mse.item(), rel=1e-12)
    assert loss.item() == pytest.approx((matching + 0.7 * mse).item(), rel=1e-12)


@pytest.mark.parametrize("m", [1, 2, 5])
def test_quadratic_model_matches_left_riemann_closed_form(m):
    # (1/m) sum_k (A (x_u + k/m d) + b) . d = (A x_u + b) . d + (m - 1) / (2 m) * d^T A d,
    # while the exact integral has 1/2 in place of (m - 1) / (2 m): the rule is left Riemann, not trapezoid.
    x, y = _path(7, 3, seed=1)
    model = Quadratic(3)
    loss, logs = gradient_matching_loss(model, x, y, num_points=m, alpha=0.0)
    A, b = model.A.detach(), model.b.detach()
    d = x[1:] - x[:-1]
    pred_diff = ((x[:-1] @ A + b) * d).sum(1) + (m - 1) / (2 * m) * ((d @ A) * d).sum(1)
    expected = ((pred_diff - (y[1:] - y[:-1])[:, 0]) ** 2).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-10)
    with torch.no_grad():
        exact = (model(x[1:]) - model(x[:-1]))[:, 0]
    exact_loss = ((exact - (y[1:] - y[:-1])[:, 0]) ** 2).mean()
    assert abs(loss.item() - exact_loss.item()) > 1e-3  # a finite left sum is not the exact integral


def _full_jacobian_loss(model, x, y, m, alpha):
    """Direct implementation: full Jacobian of the batch at each Riemann point, keep its diagonal."""
    x_u, x_v = x[:-1], x[1:]
    integral = 0.0
    for k in range(m):
        point = x_u + (k / m) * (x_v - x_u)
        jac = torch.autograd.functional.jacobian(lambda inp: model(inp)[:, 0], point, create_graph=True)
        integral = integral + torch.diagonal(jac, dim1=0, dim2=1).T / m
    pred_diff = (integral * (x_v - x_u)).sum(1)
    return ((pred_diff - (y[1:] - y[:-1])[:, 0]) ** 2).mean() + alpha * ((model(x) - y) ** 2).mean()


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_mlp_loss_and_weight_gradients_match_full_jacobian(alpha):
    torch.manual_seed(0)
    model = MLP(5, [16, 8, 4], activation="leaky_relu", negative_slope=0.3).double()
    x, y = _path(12, 5, seed=2)
    ours, _ = gradient_matching_loss(model, x, y, num_points=5, alpha=alpha)
    ref = _full_jacobian_loss(model, x, y, 5, alpha)
    assert ours.item() == pytest.approx(ref.item(), rel=1e-10)
    # with alpha = 0 the output bias gets no gradient (input gradients do not depend on it)
    g_ours = torch.autograd.grad(ours, list(model.parameters()), allow_unused=True, materialize_grads=True)
    g_ref = torch.autograd.grad(ref, list(model.parameters()), allow_unused=True, materialize_grads=True)
    for a, b in zip(g_ours, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    assert any(a.abs().sum() > 0 for a in g_ours)  # the gradient-matching term trains the weights


def test_input_gradients_and_riemann_points():
    model = Quadratic(3)
    x = torch.randn(6, 3, dtype=torch.float64)
    pred, grad = input_gradients(model, x, create_graph=False)
    torch.testing.assert_close(grad, x @ model.A.detach() + model.b.detach())
    torch.testing.assert_close(pred, model(x))
    pts = riemann_points(x[:2], x[2:4], 4).view(4, 2, 3)
    for k in range(4):
        torch.testing.assert_close(pts[k], x[:2] + k / 4 * (x[2:4] - x[:2]))


def test_loss_works_under_no_grad_for_validation():
    model = MLP(3, [8], activation="leaky_relu").double()
    x, y = _path(5, 3)
    with torch.no_grad():
        loss, _ = gradient_matching_loss(model, x, y)
    assert torch.isfinite(loss)


@pytest.mark.parametrize("kwargs", [dict(num_points=0), dict(num_points=2.5), dict(num_points=True),
                                    dict(alpha=-1.0), dict(alpha=float("nan"))])
def test_bad_loss_hyperparameters_raise(kwargs):
    with pytest.raises(InvalidInputError):
        GradientMatchingLoss(**kwargs)


def test_bad_path_shapes_raise():
    model = nn.Linear(3, 1)
    with pytest.raises(InvalidInputError, match="path"):
        gradient_matching_loss(model, torch.randn(1, 3), torch.randn(1, 1))
    with pytest.raises(InvalidInputError, match="path"):
        gradient_matching_loss(model, torch.randn(4, 3), torch.randn(4))


# ----- monotone trajectories --------------------------------------------------------------------------------


def test_sampler_draws_one_point_per_bin_in_increasing_y():
    rng_data = np.random.default_rng(0)
    n, num_bins = 1037, 16  # 1037 = 16 * 64 + 13: the last bin holds 77 rows
    y = rng_data.normal(size=(n, 1))
    rows = np.arange(n)
    bins = equal_count_bins(y, rows, num_bins)
    assert [b.size for b in bins] == [64] * 15 + [77]
    bin_of = np.empty(n, int)
    for i, b in enumerate(bins):
        bin_of[b] = i
    # bins are contiguous y-ranks
    assert all(y[bins[i], 0].max() <= y[bins[i + 1], 0].min() for i in range(num_bins - 1))
    paths = monotone_trajectories(y, num_bins)(np.random.default_rng(1), rows)
    assert len(paths) == n // num_bins
    for p in paths:
        assert p.shape == (num_bins,)
        np.testing.assert_array_equal(bin_of[p], np.arange(num_bins))  # one per bin, bin order
        assert np.all(np.diff(y[p, 0]) >= 0)  # ordered by y
    used = np.concatenate(paths)
    assert np.unique(used).size == used.size  # without replacement within an epoch
    # all rows of the equal-size bins are used exactly once per epoch
    assert set(np.concatenate(bins[:-1]).tolist()) <= set(used.tolist())


def test_sampler_respects_the_training_rows_and_is_seeded():
    y = np.arange(500, dtype=float)[::-1].copy()  # y decreasing in the row index
    rows = np.arange(0, 500, 2)  # e.g. the rows left after a validation split
    sampler = monotone_trajectories(y, 10)
    paths = sampler(np.random.default_rng(3), rows)
    assert len(paths) == 25
    assert all(np.isin(p, rows).all() and np.all(np.diff(y[p]) > 0) for p in paths)
    again = sampler(np.random.default_rng(3), rows)
    assert all(np.array_equal(a, b) for a, b in zip(paths, again))
    other = sampler(np.random.default_rng(4), rows)
    assert not all(np.array_equal(a, b) for a, b in zip(paths, other))


def test_sampler_with_one_row_per_bin_returns_the_sorted_data():
    y = np.random.default_rng(0).normal(size=128)
    (path,) = monotone_trajectories(y, 128)(np.random.default_rng(0), np.arange(128))
    np.testing.assert_array_equal(path, np.argsort(y))


def test_bad_sampler_arguments_raise():
    with pytest.raises(InvalidInputError, match="num_bins"):
        monotone_trajectories(np.zeros(10), 1)
    with pytest.raises(InvalidInputError, match="num_bins"):
        monotone_trajectories(np.zeros(10), 3.0)
    with pytest.raises(InvalidInputError, match="NaN"):
        monotone_trajectories(np.array([0.0, np.nan, 1.0]), 2)
    with pytest.raises(InvalidInputError, match="num_bins"):
        monotone_trajectories(np.zeros(10), 11)(np.random.default_rng(0), np.arange(10))
