"""Variational autoencoders over designs: CbAS's search distribution (Brookes et al., ICML 2019).

Mirrors design-baselines' ``design_baselines/cbas/nets.py`` (Encoder, DiscreteDecoder, ContinuousDecoder) and
``WeightedVAE`` (``cbas/trainers.py``):

- encoder ``x -> [Linear, LeakyReLU(0.3)] x len(hidden) -> (mean, logstd)`` of a diagonal Gaussian over z; the
  log-std is soft-clamped between learned bounds (initialised at ``log 0.2`` / ``log 0.1``) and, as in
  design-baselines, the std is ``softplus(logstd)`` (not ``exp``);
- discrete decoder: a categorical distribution per position (``z -> hidden -> L x C`` logits); discrete inputs
  enter the encoder through an embedding (:class:`~mbo_lib.surrogates.embedding.OneHotEmbedding`);
- continuous decoder: a diagonal Gaussian over normalized x with soft-clamped log-std (``exp`` here);
- weighted negative ELBO per row ``w * (-log p(x|z) + beta * KL(q(z|x) || N(0, I)))`` with one reparameterized
  z per row, averaged over the minibatch (``tf.reduce_mean`` in design-baselines, not divided by ``sum w``).

Linear layers are initialised like Keras' ``Dense`` (Glorot-uniform weights, zero biases).
All randomness comes from an explicit ``torch.Generator``.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..surrogates.embedding import OneHotEmbedding
from ..surrogates.models import mlp_layers


def keras_init_(module: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases for every ``nn.Linear`` in ``module`` (Keras' ``Dense`` default)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return module


def soft_clamp(logstd: torch.Tensor, max_logstd: torch.Tensor, min_logstd: torch.Tensor) -> torch.Tensor:
    """design-baselines' smooth clamp of a log-std between learned bounds."""
    logstd = max_logstd - F.softplus(max_logstd - logstd)
    return min_logstd + F.softplus(logstd - min_logstd)


def gaussian_kl_to_standard(mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``KL(N(mean, diag std^2) || N(0, I))`` per row: ``n x k -> n``."""
    return (0.5 * (std ** 2 + mean ** 2 - 1.0) - torch.log(std)).sum(-1)


class DesignVAE(nn.Module):
    """Common machinery; subclasses define the input layer and the decoder's distribution.

    Args:
        in_dim: width of the encoder's input after its input layer.
        out_dim: width of the decoder's raw output.
        latent_size: k, the latent dimension (design-baselines: 32).
        hidden: hidden widths of encoder and decoder (design-baselines: ``(256,)``).
        negative_slope: LeakyReLU slope (Keras' default 0.3).
        initial_max_std, initial_min_std: initial soft-clamp bounds of the stds (0.2, 0.1).
    """

    def __init__(self, in_dim: int, out_dim: int, latent_size: int, hidden: Sequence[int], negative_slope: float = 0.3,
                 initial_max_std: float = 0.2, initial_min_std: float = 0.1):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = keras_init_(mlp_layers(in_dim, hidden, 2 * latent_size, "leaky_relu", negative_slope))
        self.decoder = keras_init_(mlp_layers(latent_size, hidden, out_dim, "leaky_relu", negative_slope))
        self.enc_max_logstd = nn.Parameter(torch.full((1, 1), math.log(initial_max_std)))
        self.enc_min_logstd = nn.Parameter(torch.full((1, 1), math.log(initial_min_std)))

    # ----- subclass interface -------------------------------------------------------------------------------
    def encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def log_prob(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``log p(x | z)`` summed over the design's entries: ``n``."""
        raise NotImplementedError

    def sample_given(self, z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One draw of ``x ~ p(x | z)`` per row."""
        raise NotImplementedError

    # ----- shared -------------------------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``q(z | x)``'s mean and std, each ``n x k``."""
        mean, logstd = self.encoder(self.encoder_input(x)).chunk(2, dim=-1)
        return mean, F.softplus(soft_clamp(logstd, self.enc_max_logstd, self.enc_min_logstd))

    def neg_elbo_terms(self, x: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-row reconstruction NLL ``-log p(x|z)`` (one reparameterized z) and ``KL(q(z|x) || N(0, I))``."""
        mean, std = self.encode(x)
        z = mean + std * torch.randn(mean.shape, generator=generator, device=mean.device)
        return -self.log_prob(z, x), gaussian_kl_to_standard(mean, std)

    def prior_sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``z ~ N(0, I)``: ``n x k``."""
        device = next(self.parameters()).device
        return torch.randn((n, self.latent_size), generator=generator, device=device)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` designs from the generative model ``z ~ N(0, I), x ~ p(x | z)``."""
        return self.sample_given(self.prior_sample(n, generator), generator)


class CategoricalVAE(DesignVAE):
    """VAE over integer sequences ``n x L`` (values in ``[0, C)``): embedding encoder, categorical decoder.

    Args:
        length: L; num_classes: C; embedding_size: E (design-baselines: 256). Other args as :class:`DesignVAE`.
    """

    def __init__(self, length: int, num_classes: int, latent_size: int = 32, hidden: Sequence[int] = (256,),
                 embedding_size: int = 256, negative_slope: float = 0.3, initial_max_std: float = 0.2,
                 initial_min_std: float = 0.1):
        super().__init__(length * embedding_size, length * num_classes, latent_size, hidden, negative_slope,
                         initial_max_std, initial_min_std)
        self.length, self.num_classes = length, num_classes
        self.embedding = OneHotEmbedding(length, num_classes, embedding_size)

    def encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        one_hot = F.one_hot(x.long(), self.num_classes).to(self.embedding.weight.dtype)
        return self.embedding(one_hot.reshape(x.shape[0], -1))

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """Normalized log-probabilities ``n x L x C`` of ``p(x | z)``."""
        return torch.log_softmax(self.decoder(z).reshape(z.shape[0], self.length, self.num_classes), dim=-1)

    def log_prob(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.logits(z).gather(-1, x.long().unsqueeze(-1)).squeeze(-1).sum(-1)

    def sample_given(self, z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        probs = self.logits(z).exp().reshape(-1, self.num_classes)
        return torch.multinomial(probs, 1, generator=generator).reshape(z.shape[0], self.length)


class GaussianVAE(DesignVAE):
    """VAE over continuous (normalized) designs ``n x D``: diagonal Gaussian decoder with soft-clamped log-std.

    Args:
        dim: D. Other args as :class:`DesignVAE`.
    """

    def __init__(self, dim: int, latent_size: int = 32, hidden: Sequence[int] = (256,), negative_slope: float = 0.3,
                 initial_max_std: float = 0.2, initial_min_std: float = 0.1):
        super().__init__(dim, 2 * dim, latent_size, hidden, negative_slope, initial_max_std, initial_min_std)
        self.dim = dim
        self.dec_max_logstd = nn.Parameter(torch.full((1, 1), math.log(initial_max_std)))
        self.dec_min_logstd = nn.Parameter(torch.full((1, 1), math.log(initial_min_std)))

    def encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def mean_std(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``p(x | z)``'s mean and std, each ``n x D``."""
        out = self.decoder(z).reshape(z.shape[0], self.dim, 2)
        logstd = soft_clamp(out[..., 1], self.dec_max_logstd, self.dec_min_logstd)
        return out[..., 0], logstd.exp()

    def log_prob(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        mean, std = self.mean_std(z)
        return (-0.5 * ((x - mean) / std) ** 2 - torch.log(std) - 0.5 * math.log(2 * math.pi)).sum(-1)

    def sample_given(self, z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        mean, std = self.mean_std(z)
        return mean + std * torch.randn(mean.shape, generator=generator, device=mean.device)


def fit_vae(vae: DesignVAE, x: torch.Tensor, optimizer: torch.optim.Optimizer, *, epochs: int, batch_size: int,
            generator: torch.Generator, weights: torch.Tensor | None = None, beta: float = 1.0,
            val_size: int = 200) -> list[dict]:
    """Weighted maximum likelihood (negative ELBO) on ``x``, as design-baselines' ``WeightedVAE.launch``.

    The rows are shuffled once and the first ``min(val_size, n // 2)`` held out (design-baselines'
    ``build_pipeline``); the rest are reshuffled every epoch and cut into minibatches.

    Args:
        vae: the model (trained in place).
        x: ``n x L`` integers or ``n x D`` floats, on the model's device.
        optimizer: its optimizer (kept by the caller: CbAS's q-VAE keeps one Adam across iterations).
        epochs, batch_size: passes and rows per step.
        generator: source of all randomness (split, order, reparameterization noise).
        weights: ``n`` importance weights (default: ones).
        beta: KL weight.
        val_size: held-out rows for the logged validation ELBO.

    Returns:
        one dict per epoch: ``train_loss`` (weighted), ``train_nll``, ``train_kl`` and, with a validation split,
        ``val_nll``, ``val_kl``, ``val_neg_elbo`` (unweighted, one z sample per row).
    """
    n = x.shape[0]
    w = torch.ones(n, device=x.device) if weights is None else weights.reshape(n).to(x.device, torch.float32)
    perm = torch.randperm(n, generator=generator, device=x.device)
    n_val = min(val_size, n // 2)
    val, train = perm[:n_val], perm[n_val:]
    logs = []
    for epoch in range(epochs):
        vae.train()
        order = train[torch.randperm(train.numel(), generator=generator, device=x.device)]
        sums, steps = {"train_loss": 0.0, "train_nll": 0.0, "train_kl": 0.0}, 0
        for start in range(0, order.numel(), batch_size):
            idx = order[start:start + batch_size]
            nll, kl = vae.neg_elbo_terms(x[idx], generator)
            loss = (w[idx] * (nll + beta * kl)).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sums["train_loss"] += float(loss.detach())
            sums["train_nll"] += float(nll.detach().mean())
            sums["train_kl"] += float(kl.detach().mean())
            steps += 1
        entry = {"epoch": epoch + 1, **{k: v / max(steps, 1) for k, v in sums.items()}}
        if n_val:
            vae.eval()
            with torch.no_grad():
                nll, kl = vae.neg_elbo_terms(x[val], generator)
            entry.update(val_nll=float(nll.mean()), val_kl=float(kl.mean()), val_neg_elbo=float((nll + beta * kl).mean()))
        logs.append(entry)
    vae.eval()
    return logs
