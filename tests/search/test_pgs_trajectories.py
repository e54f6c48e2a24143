import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.search.pgs_trajectories import (link_actions, sample_without_replacement, synthesize_trajectories,
                                             top_percent_indices)

W = torch.tensor([2.0, 0.5, 0.0])  # f(x) = x . W, so grad f = W everywhere (the third coordinate has a zero gradient)


def linear(x):
    return (x * W).sum(1, keepdim=True)


def official_link(diff, grad):
    """The official ``link`` + ``np.clip(., -0.999, 0.999)``, in numpy float32."""
    with np.errstate(divide="ignore", invalid="ignore"):
        action = np.nan_to_num(diff / grad) / 10
    action[np.abs(action) > 1] = 0
    return np.clip(action, -0.999, 0.999)


def test_hand_checked_actions_rewards_and_dones():
    x_top = np.array([[0, 0, 0], [1, 10, 5], [19.99, -1, 0]], np.float32)
    y_top = np.array([0.0, 1.0, 3.0], np.float32)
    ds = synthesize_trajectories(x_top, y_top, linear, num_trajectories=60, length=2, seed=0)
    arr = ds.arrays()
    assert arr["observations"].shape == (120, 3) and arr["rewards"].shape == (120,)
    # hand values: a -> b: diff [1, 10, 5] / [2, .5, 0] / 10 = [0.05, 2 (> 1 -> 0), inf (-> 0)]
    #              a -> c: diff [19.99, -1, 0] -> [0.9995 (clip 0.999), -0.2, nan (-> 0)]
    expected = {(0, 1): [0.05, 0.0, 0.0], (0, 2): [0.999, -0.2, 0.0]}
    seen = set()
    idx = ds.index.numpy()
    for traj in range(60):
        assert len(set(idx[traj])) == 3  # no repeats within a trajectory
        seen.add(tuple(idx[traj]))
        for t in range(2):
            row, i, j = traj * 2 + t, idx[traj, t], idx[traj, t + 1]
            np.testing.assert_array_equal(arr["observations"][row], x_top[i])
            np.testing.assert_array_equal(arr["next_observations"][row], x_top[j])
            assert arr["rewards"][row] == pytest.approx(y_top[j] - y_top[i])
            assert arr["dones"][row] == (1.0 if t == 1 else 0.0)
            np.testing.assert_allclose(arr["actions"][row], official_link(x_top[j] - x_top[i], W.numpy()), atol=1e-6)
            if (i, j) in expected:
                np.testing.assert_allclose(arr["actions"][row], expected[(i, j)], atol=1e-6)
    assert len(seen) == 6  # all orders occur: designs are not sorted by y


def test_link_actions_rules():
    diff = torch.tensor([[1.0, 10.0, 5.0, 0.0, -19.99, -3.0]])
    grad = torch.tensor([[2.0, 0.5, 0.0, 0.0, 2.0, -1.0]])
    np.testing.assert_allclose(link_actions(diff, grad).numpy(), [[0.05, 0.0, 0.0, 0.0, -0.999, 0.3]], atol=1e-6)
    assert torch.all(link_actions(torch.randn(100, 4) * 100, torch.randn(100, 4)).abs() <= 0.999)


@pytest.mark.parametrize("n,k", [(10, 3), (10, 8), (51, 51)])  # rejection path, random-keys path, permutations
def test_sample_without_replacement_is_distinct_and_uniform(n, k):
    draws = sample_without_replacement(np.random.default_rng(1), n, 20000, k)
    assert draws.shape == (20000, k) and draws.min() >= 0 and draws.max() < n
    srt = np.sort(draws, axis=1)
    assert not (srt[:, 1:] == srt[:, :-1]).any()
    for col in (0, k - 1):  # every position is uniform over range(n)
        freq = np.bincount(draws[:, col], minlength=n) / 20000
        assert np.abs(freq - 1 / n).max() < 0.02
    with pytest.raises(InvalidInputError, match="distinct"):
        sample_without_replacement(np.random.default_rng(0), 3, 2, 4)


def test_gradients_are_the_surrogate_gradients_at_the_states():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    x_top = torch.randn(30, 4)
    ds = synthesize_trajectories(x_top, torch.randn(30), net, num_trajectories=5, length=6, seed=2)
    x = x_top[:3].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(net(x).sum(), x)
    torch.testing.assert_close(ds.grad_top[:3], g)
    batch = ds.transitions(torch.tensor([0, 7, 29]))
    assert batch["actions"].shape == (3, 4) and batch["dones"].tolist() == [0.0, 0.0, 1.0]


def test_many_trajectories_are_cheap_and_seeded():
    x_top, y_top = np.random.default_rng(0).normal(size=(500, 8)).astype(np.float32), np.arange(500.0)
    f = lambda x: (x ** 2).sum(1, keepdim=True)  # noqa: E731
    a = synthesize_trajectories(x_top, y_top, f, num_trajectories=20000, length=50, seed=3)
    b = synthesize_trajectories(x_top, y_top, f, num_trajectories=20000, length=50, seed=3)
    assert a.num_transitions == 1_000_000 and torch.equal(a.index, b.index)


def test_top_percent_and_bad_inputs():
    y = np.arange(100.0).reshape(-1, 1)
    np.testing.assert_array_equal(top_percent_indices(y, 20), np.arange(80, 100))
    with pytest.raises(InvalidInputError):
        top_percent_indices(y, 0)
    with pytest.raises(InvalidInputError, match="distinct"):
        synthesize_trajectories(np.zeros((5, 2)), np.zeros(5), linear, num_trajectories=2, length=5)
    with pytest.raises(InvalidInputError):
        synthesize_trajectories(np.zeros((5, 2)), np.zeros(4), linear, num_trajectories=2, length=2)
    with pytest.raises(InvalidInputError):
        synthesize_trajectories(np.zeros((5, 2)), np.zeros(5), linear, num_trajectories=2, length=2, clip=1.5)
