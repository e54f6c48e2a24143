"""Regression objectives. A loss term is ``term(model, x, y) -> (scalar loss, dict of floats to log)``."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..surrogates.models import GaussianMLP


def gaussian_nll(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """Mean negative log-likelihood of ``y`` under ``N(mean(x), exp(logstd(x))^2)`` (design-baselines' GA loss).

    For a model without a variance head this reduces to ``0.5 * MSE`` (plus a constant).
    """
    if isinstance(model, GaussianMLP):
        mean, logstd = model.mean_logstd(x)
        nll = 0.5 * ((y - mean) / logstd.exp()) ** 2 + logstd + 0.5 * math.log(2 * math.pi)
        loss = nll.mean()
    else:
        mean = model(x)
        loss = 0.5 * ((y - mean) ** 2).mean()
    return loss, {"nll": loss.item(), "mse": ((y - mean) ** 2).mean().item()}


def mse(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """Mean squared error of ``model(x)`` against ``y`` (both ``n x 1``)."""
    loss = ((model(x) - y) ** 2).mean()
    return loss, {"mse": loss.item()}


LOSSES = {"gaussian_nll": gaussian_nll, "mse": mse}
