"""REINFORCE over designs: a learned search distribution and the score-function (policy-gradient) estimator.

Williams (1992); design-baselines ``reinforce/__init__.py`` and ``reinforce/nets.py``. With a search
distribution ``p_phi(x)`` and a reward ``r(x)`` (the surrogate ensemble's mean prediction), REINFORCE ascends
``J(phi) = E_{x ~ p_phi} r(x)`` with ``grad J = E[grad_phi log p_phi(x) * r(x)]``, estimated on a batch of
``B`` samples with the batch-mean baseline and, as design-baselines does, rewards divided by their batch std:

    loss(phi) = - mean_i log p_phi(x_i) * stop_gradient((r_i - mean r) / std r).

Search distributions (design-baselines' final ``nets.py``):

- :class:`GaussianSearch`: ``N(mu, diag(sigma^2))`` over model inputs; ``mu`` learned (initialised at the
  mean of the top designs), ``sigma`` fixed at the exploration std (0.1).
- :class:`CategoricalSearch`: independent categoricals per position, logits learned, initialised at the log of
  the per-position class frequencies of the top designs (absent classes get ``log(min_prob)`` instead of
  design-baselines' ``log(0) = -inf``). Samples are integer designs.

Randomness comes from an explicit ``torch.Generator``.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def reinforce_loss(log_prob: torch.Tensor, reward: torch.Tensor, standardize: bool = True) -> torch.Tensor:
    """Score-function surrogate loss whose gradient estimates ``-grad J``.

    Args:
        log_prob: ``B`` log-probabilities of the samples (differentiable in the distribution's parameters).
        reward: ``B`` rewards (treated as constants).
        standardize: divide the centred rewards by their (population) std, as design-baselines does.

    Returns:
        scalar ``-mean_i log_prob_i * advantage_i`` with ``advantage = r - mean r`` (``/ std r``).
    """
    advantage = reward.detach() - reward.detach().mean()
    if standardize:
        advantage = advantage / advantage.std(unbiased=False).clamp_min(1e-12)
    return -(log_prob * advantage).mean()


class GaussianSearch(nn.Module):
    """``N(mean, std^2 I)`` over ``D``-dim model inputs; ``mean`` is a parameter, ``std`` a constant."""

    def __init__(self, mean: torch.Tensor, std: float):
        super().__init__()
        self.mean = nn.Parameter(mean.detach().clone())
        self.std = float(std)

    def sample(self, num: int, generator: torch.Generator) -> torch.Tensor:
        """``num x D`` samples (no gradient)."""
        noise = torch.randn(num, self.mean.shape[0], generator=generator, device=self.mean.device)
        return self.mean.detach() + self.std * noise

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``n x D -> n``: the joint log-density (sum over dimensions)."""
        return torch.distributions.Normal(self.mean, self.std).log_prob(x).sum(-1)


class CategoricalSearch(nn.Module):
    """Independent categoricals over ``L`` positions with ``C`` classes; ``logits`` (``L x C``) is a parameter."""

    def __init__(self, logits: torch.Tensor):
        super().__init__()
        self.logits = nn.Parameter(logits.detach().clone())

    @classmethod
    def from_designs(cls, designs: np.ndarray, num_classes: int, min_prob: float = 1e-8, device="cpu"):
        """Logits = log of the per-position class frequencies of ``designs`` (``n x L`` integers)."""
        one_hot = np.eye(num_classes, dtype=np.float64)[np.asarray(designs)]  # n x L x C
        freq = one_hot.mean(0)
        return cls(torch.as_tensor(np.log(np.maximum(freq, min_prob)), dtype=torch.float32, device=device))

    def probs(self) -> torch.Tensor:
        return torch.softmax(self.logits, -1)

    def sample(self, num: int, generator: torch.Generator) -> torch.Tensor:
        """``num x L`` int64 samples (no gradient)."""
        return torch.multinomial(self.probs().detach(), num, replacement=True, generator=generator).T

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``n x L`` integers -> ``n``: sum over positions of the log-probability of each position's class."""
        logp = torch.log_softmax(self.logits, -1)  # L x C
        return logp.gather(1, x.T).T.sum(-1)
