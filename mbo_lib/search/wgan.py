"""A y-conditioned Wasserstein GAN with gradient penalty: MINs' inverse model ``x = G(z, y)`` (Kumar & Levine 2020).

Mirrors design-baselines' ``design_baselines/mins/nets.py`` (``DiscreteGenerator``, ``ContinuousGenerator``,
``Discriminator`` with ``method="wasserstein"``) and ``WeightedGAN`` (``mins/trainers.py``):

- both networks embed y with a linear layer (``1 -> hidden``) and concatenate that embedding to the input of
  every layer: three blocks ``LeakyReLU_0.2(LayerNorm(Linear([h, y_emb])))`` and an output ``Linear([h, y_emb])``
  (Keras initialisers and LayerNorm epsilon 1e-3, as the TensorFlow code);
- discrete designs live in one-hot space ``n x (L * C)``: the generator's logits are turned into a
  Gumbel-softmax (relaxed one-hot) sample at temperature ``temp``; real one-hot rows are corrupted the same way
  (:func:`disc_noise`, ``keep`` of the mass on the true class);
- critic loss ``mean(w * (-D(x_real, y) + D(x_fake, y) + lambda * (1 - ||grad_x D(x_interp, y)||)^2))`` on random
  interpolations (Gulrajani et al. 2017, Eq. 3), per-row importance weights ``w``; the generator steps every
  ``critic_frequency`` critic steps on ``mean(w * -D(G(z, y), y))``; Adam with ``beta1 = 0, beta2 = 0.9``;
- the temperature is annealed linearly from ``start_temp`` to ``final_temp`` over the epochs.

All randomness comes from an explicit ``torch.Generator``; nothing loops over samples.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .vae import keras_init_


def gumbel_like(shape: Sequence[int], generator: torch.Generator, device) -> torch.Tensor:
    """Standard Gumbel noise ``-log(-log U)``."""
    u = torch.rand(tuple(shape), generator=generator, device=device).clamp_(1e-20, 1.0 - 1e-7)
    return -torch.log(-torch.log(u))


def relaxed_one_hot(log_probs: torch.Tensor, temp: float, generator: torch.Generator) -> torch.Tensor:
    """A Gumbel-softmax sample ``softmax((log_probs + G) / temp)`` over the last axis (tfp's RelaxedOneHotCategorical)."""
    return torch.softmax((log_probs + gumbel_like(log_probs.shape, generator, log_probs.device)) / temp, dim=-1)


def disc_noise(x: torch.Tensor, keep: float, temp: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """design-baselines' ``disc_noise``: move ``1 - keep`` of each one-hot row's mass to uniform, then draw a
    relaxed one-hot sample at ``temp``. ``x: ... x C`` probabilities -> same shape.

    ``generator=None`` draws from torch's global RNG (used inside the shared trainer's loss).
    """
    p = keep * x + (1.0 - keep) / x.shape[-1]
    if generator is None:
        u = torch.rand(p.shape, device=p.device).clamp_(1e-20, 1.0 - 1e-7)
        return torch.softmax((torch.log(p) - torch.log(-torch.log(u))) / temp, dim=-1)
    return relaxed_one_hot(torch.log(p), temp, generator)


class YConditionedMLP(nn.Module):
    """``(h: n x in_dim, y: n x 1) -> n x out_dim``, y's embedding concatenated to every layer's input.

    Args:
        in_dim: width of the non-y input (latent size for the generator, design size for the critic).
        out_dim: output width.
        hidden: width of the y-embedding and of every block (design-baselines: 1024).
        num_blocks: hidden blocks (design-baselines: 3).
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: int, num_blocks: int = 3):
        super().__init__()
        self.embed = nn.Linear(1, hidden)
        self.blocks = nn.ModuleList([nn.Linear((in_dim if i == 0 else hidden) + hidden, hidden) for i in range(num_blocks)])
        self.norms = nn.ModuleList([nn.LayerNorm(hidden, eps=1e-3) for _ in range(num_blocks)])
        self.out = nn.Linear(hidden + hidden, out_dim)
        keras_init_(self)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        e = self.embed(y)
        for linear, norm in zip(self.blocks, self.norms):
            h = F.leaky_relu(norm(linear(torch.cat([h, e], 1))), 0.2)
        return self.out(torch.cat([h, e], 1))


class ConditionalGenerator(nn.Module):
    """``G(z, y)``: continuous designs ``n x D`` or, with ``num_classes``, relaxed one-hot sequences ``n x (L * C)``.

    Args:
        design_dim: D (continuous) or L (discrete: the sequence length).
        latent_size: size of z (design-baselines: 32).
        hidden: block width (design-baselines: 1024).
        num_classes: C for discrete designs, None for continuous ones.
    """

    def __init__(self, design_dim: int, latent_size: int = 32, hidden: int = 1024, num_classes: int | None = None):
        super().__init__()
        self.design_dim, self.latent_size, self.num_classes = design_dim, latent_size, num_classes
        self.body = YConditionedMLP(latent_size, design_dim * (num_classes or 1), hidden)

    @property
    def out_dim(self) -> int:
        return self.design_dim * (self.num_classes or 1)

    def log_probs(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Discrete: per-position log-probabilities ``n x L x C``."""
        return torch.log_softmax(self.body(z, y).reshape(z.shape[0], self.design_dim, self.num_classes), dim=-1)

    def sample(self, y: torch.Tensor, generator: torch.Generator, temp: float = 1.0) -> torch.Tensor:
        """One design per row of ``y: n x 1``: ``n x D`` floats, or relaxed one-hot ``n x (L * C)`` at ``temp``."""
        z = torch.randn((y.shape[0], self.latent_size), generator=generator, device=y.device)
        if self.num_classes is None:
            return self.body(z, y)
        return relaxed_one_hot(self.log_probs(z, y), temp, generator).reshape(y.shape[0], -1)


def gradient_penalty(critic: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor,
                     y: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's per-row penalty ``(1 - ||grad_x D(x, y)||_2)^2``: ``n x 1`` (differentiable in D's parameters).

    One backward pass of ``sum_i D(x_i, y_i)`` gives every row's own input gradient, because rows do not interact
    (LayerNorm normalizes within a row).
    """
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x, y).sum(), x, create_graph=True)
    return (1.0 - grad.reshape(x.shape[0], -1).norm(dim=-1, keepdim=True)) ** 2


def temperature_schedule(epoch: int, epochs: int, start_temp: float, final_temp: float) -> float:
    """design-baselines' linear schedule ``final * e / (E - 1) + start * (1 - e / (E - 1))``; ``final`` if ``E == 1``."""
    if epochs <= 1:
        return final_temp
    frac = epoch / (epochs - 1)
    return final_temp * frac + start_temp * (1.0 - frac)


def train_wgan(gen: ConditionalGenerator, critic: YConditionedMLP, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor,
               *, epochs: int, batch_size: int, generator: torch.Generator, critic_frequency: int = 10,
               penalty_weight: float = 10.0, generator_lr: float = 2e-4, generator_betas=(0.0, 0.9),
               critic_lr: float = 2e-4, critic_betas=(0.0, 0.9), val_size: int = 200, keep: float = 0.99,
               start_temp: float = 5.0, final_temp: float = 1.0, noise_std: float = 0.0,
               on_epoch_end: Callable[[int], None] | None = None) -> list[dict]:
    """Train the conditional WGAN-GP on ``(x, y)`` with importance weights ``w`` (design-baselines' ``WeightedGAN``).

    Data order as design-baselines' ``build_pipeline(..., buffer=1)``: one shuffle, the first
    ``min(val_size, n // 2)`` rows held out, the rest visited in the same order every epoch.

    Args:
        gen, critic: the networks (trained in place).
        x: ``n x D`` designs (one-hot rows ``n x (L * C)`` if ``gen.num_classes``); y: ``n x 1``; w: ``n x 1``.
        epochs, batch_size: passes and rows per critic step.
        generator: source of all randomness.
        critic_frequency: a generator step after every ``critic_frequency``-th critic step of an epoch
            (batch index ``i % critic_frequency == 0``).
        penalty_weight: lambda.
        val_size: held-out rows (their critic estimate is logged).
        keep, start_temp, final_temp: discrete designs' corruption and annealed Gumbel-softmax temperature.
        noise_std: Gaussian noise added to real continuous designs.
        on_epoch_end: called with the number of finished epochs (for recording samples).

    Returns:
        one dict per epoch with the mean critic terms, penalty, generator loss, temperature and validation critic
        estimate ``val_wasserstein = mean D(real) - mean D(fake)``.
    """
    n = x.shape[0]
    perm = torch.randperm(n, generator=generator, device=x.device)
    n_val = min(val_size, n // 2)
    val, train = perm[:n_val], perm[n_val:]
    opt_g = torch.optim.Adam(gen.parameters(), lr=generator_lr, betas=tuple(generator_betas))
    opt_d = torch.optim.Adam(critic.parameters(), lr=critic_lr, betas=tuple(critic_betas))
    discrete = gen.num_classes is not None

    def corrupt(xb: torch.Tensor, temp: float) -> torch.Tensor:
        if discrete:
            return disc_noise(xb.reshape(xb.shape[0], gen.design_dim, gen.num_classes), keep, temp, generator
                              ).reshape(xb.shape[0], -1)
        if noise_std > 0:
            return xb + noise_std * torch.randn(xb.shape, generator=generator, device=xb.device)
        return xb

    logs = []
    for epoch in range(epochs):
        temp = temperature_schedule(epoch, epochs, start_temp, final_temp)
        gen.train(), critic.train()
        sums = {"d_real": 0.0, "d_fake": 0.0, "penalty": 0.0, "critic_loss": 0.0, "generator_loss": 0.0}
        steps = gen_steps = 0
        for i, start in enumerate(range(0, train.numel(), batch_size)):
            idx = train[start:start + batch_size]
            x_real, y_b, w_b = corrupt(x[idx], temp), y[idx], w[idx]
            with torch.no_grad():
                x_fake = gen.sample(y_b, generator, temp)
            d_real, d_fake = -critic(x_real, y_b), critic(x_fake, y_b)
            e = torch.rand((idx.numel(), 1), generator=generator, device=x.device)
            penalty = gradient_penalty(critic, x_real * e + x_fake * (1 - e), y_b)
            loss_d = (w_b * (d_real + d_fake + penalty_weight * penalty)).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            for k, v in (("d_real", d_real), ("d_fake", d_fake), ("penalty", penalty)):
                sums[k] += float(v.detach().mean())
            sums["critic_loss"] += float(loss_d.detach())
            steps += 1
            if i % critic_frequency == 0:
                loss_g = (w_b * -critic(gen.sample(y_b, generator, temp), y_b)).mean()
                opt_g.zero_grad(set_to_none=True)
                loss_g.backward(inputs=list(gen.parameters()))
                opt_g.step()
                sums["generator_loss"] += float(loss_g.detach())
                gen_steps += 1
        entry = {"epoch": epoch + 1, "temp": temp, "generator_steps": gen_steps,
                 **{k: v / max(gen_steps if k == "generator_loss" else steps, 1) for k, v in sums.items()}}
        if n_val:
            gen.eval(), critic.eval()
            with torch.no_grad():
                xv, yv = corrupt(x[val], temp), y[val]
                entry["val_wasserstein"] = float(critic(xv, yv).mean() - critic(gen.sample(yv, generator, temp), yv).mean())
        logs.append(entry)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1)
    gen.eval(), critic.eval()
    return logs
