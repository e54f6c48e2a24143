"""Tests of mbo_lib/search/wgan.py (MINs' conditional WGAN-GP)."""
import numpy as np
import pytest
import torch

from mbo_lib.search.wgan import (ConditionalGenerator, YConditionedMLP, disc_noise, gradient_penalty,
                                 relaxed_one_hot, temperature_schedule, train_wgan)


def test_gradient_penalty_matches_a_direct_per_row_autograd_computation():
    torch.manual_seed(0)
    critic = YConditionedMLP(6, 1, hidden=16).double()
    x, y = torch.randn(9, 6, dtype=torch.float64), torch.randn(9, 1, dtype=torch.float64)
    ours = gradient_penalty(critic, x, y)
    direct = []
    for i in range(9):
        xi = x[i:i + 1].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(xi, y[i:i + 1]).sum(), xi, create_graph=True)
        direct.append((1.0 - torch.sqrt((g ** 2).sum())) ** 2)
    direct = torch.stack(direct)[:, None]
    torch.testing.assert_close(ours, direct)
    # and its gradient with respect to the critic's parameters (double backward) agrees too
    params = list(critic.parameters())
    # (the output bias does not move the input gradient: its entry is zero)
    g_ours = torch.autograd.grad(ours.mean(), params, materialize_grads=True)
    g_direct = torch.autograd.grad(direct.mean(), params, materialize_grads=True)
    for a, b in zip(g_ours, g_direct):
        torch.testing.assert_close(a, b)
    assert sum(float(g.abs().sum()) for g in g_ours) > 0


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    w = torch.tensor([[3.0, 4.0]])
    critic = lambda x, y: x @ w.T + y  # noqa: E731  ||grad_x|| = 5 everywhere
    pen = gradient_penalty(critic, torch.randn(4, 2), torch.randn(4, 1))
    torch.testing.assert_close(pen, torch.full((4, 1), 16.0))


def test_relaxed_one_hot_samples_the_categorical_at_low_temperature():
    probs = torch.tensor([0.1, 0.2, 0.7])
    s = relaxed_one_hot(torch.log(probs).expand(20000, 3), 1e-3, torch.Generator().manual_seed(0))
    torch.testing.assert_close(s.sum(-1), torch.ones(20000))
    assert (s.max(-1).values > 0.99).float().mean() > 0.99  # nearly one-hot
    freq = torch.bincount(s.argmax(-1), minlength=3).double() / 20000
    np.testing.assert_allclose(freq.numpy(), probs.numpy(), atol=0.015)


def test_disc_noise_moves_mass_off_the_true_class():
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (5000, 3)), 4).float()
    kept = disc_noise(x, keep=1.0, temp=1e-3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(kept.argmax(-1), x.argmax(-1))
    noisy = disc_noise(x, keep=0.5, temp=1e-3, generator=torch.Generator().manual_seed(0))
    changed = float((noisy.argmax(-1) != x.argmax(-1)).float().mean())
    assert changed == pytest.approx(0.5 * 3 / 4, abs=0.02)  # half the mass is uniform over 4 classes


def test_temperature_schedule_is_linear_from_start_to_final():
    temps = [temperature_schedule(e, 5, 5.0, 1.0) for e in range(5)]
    assert temps == pytest.approx([5.0, 4.0, 3.0, 2.0, 1.0])
    assert temperature_schedule(0, 1, 5.0, 1.0) == 1.0


def test_discrete_generator_outputs_relaxed_one_hot_rows():
    torch.manual_seed(0)
    gen = ConditionalGenerator(5, latent_size=3, hidden=8, num_classes=4)
    out = gen.sample(torch.zeros(7, 1), torch.Generator().manual_seed(0), temp=0.5)
    assert out.shape == (7, 20)
    torch.testing.assert_close(out.reshape(7, 5, 4).sum(-1), torch.ones(7, 5))


def toy_data(n=256, seed=0):
    torch.manual_seed(seed)
    y = torch.where(torch.arange(n)[:, None] < n // 2, -1.0, 1.0)
    return 2 * y + 0.1 * torch.randn(n, 1), y


def test_zero_weights_leave_both_networks_unchanged_and_generator_steps_follow_critic_frequency():
    x, y = toy_data()
    gen, critic = ConditionalGenerator(1, latent_size=2, hidden=8), YConditionedMLP(1, 1, hidden=8)
    before = [p.detach().clone() for p in [*gen.parameters(), *critic.parameters()]]
    logs = train_wgan(gen, critic, x, y, torch.zeros(256, 1), epochs=2, batch_size=32,
                      generator=torch.Generator().manual_seed(0), critic_frequency=3, val_size=32)
    after = [*gen.parameters(), *critic.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # every loss term is multiplied by w
    assert [e["generator_steps"] for e in logs] == [3, 3]  # 224 training rows = 7 batches: steps at i = 0, 3, 6
    assert all(np.isfinite(e["val_wasserstein"]) for e in logs)


def test_critic_learns_to_separate_real_designs_from_a_frozen_generator():
    x, y = toy_data()
    torch.manual_seed(0)
    gen, critic = ConditionalGenerator(1, latent_size=2, hidden=16), YConditionedMLP(1, 1, hidden=16)
    logs = train_wgan(gen, critic, x, y, torch.ones(256, 1), epochs=15, batch_size=32,
                      generator=torch.Generator().manual_seed(0), critic_frequency=1000, generator_lr=1e-12,
                      critic_lr=3e-3, val_size=0)
    wasserstein = [-(e["d_real"] + e["d_fake"]) for e in logs]  # mean D(real) - mean D(fake)
    assert wasserstein[-1] > wasserstein[0] + 0.3
    assert logs[-1]["penalty"] < logs[0]["penalty"]
