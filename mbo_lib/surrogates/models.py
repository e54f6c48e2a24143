"""Surrogate models. Every model maps inputs ``n x D`` to predictions ``n x 1`` with ``model(x)``.

- :class:`MLP`: plain fully connected net (MATCH-OPT's 512-128-32-1, PGS's 2048-2048-1, CbAS's 256).
- :class:`GaussianMLP`: design-baselines' ``ForwardModel`` (2 x 2048, LeakyReLU, a mean and a soft-clamped
  log-std head), trained by Gaussian NLL; ``model(x)`` returns the mean, which gradient ascent climbs.
- :func:`keras_init_`: re-initialize every ``nn.Linear`` as Keras' ``Dense`` defaults (design-baselines' layers).

Two details of design-baselines' ``ForwardModel`` that PyTorch defaults do not match: its activation is the
Keras class ``tfkl.LeakyReLU`` instantiated without argument, i.e. slope **0.3** (``nn.LeakyReLU``'s default is
0.01; ours is the explicit ``negative_slope`` argument, whose default 0.2 is kept for old callers, so the methods
pass the slope explicitly), and its ``Dense`` layers start from ``glorot_uniform`` weights and zero biases
(PyTorch's ``nn.Linear``: Kaiming-uniform weights with ``a = sqrt(5)`` and uniform biases), see :func:`keras_init_`.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

INITS = ("torch", "keras")
ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU}


def _activation(name: str, negative_slope: float) -> nn.Module:
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    return ACTIVATIONS[name]()


def mlp_layers(in_dim: int, hidden: Sequence[int], out_dim: int, activation: str = "relu",
               negative_slope: float = 0.2) -> nn.Sequential:
    layers, width = [], in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), _activation(activation, negative_slope)]
        width = h
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


@torch.no_grad()
def keras_init_(module: nn.Module) -> nn.Module:
    """Keras' ``Dense`` defaults in place: ``glorot_uniform`` weights, zero biases, for every ``nn.Linear`` inside.

    ``glorot_uniform`` draws ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))`` (``nn.init.xavier_uniform_``),
    from torch's global RNG: seed it (``torch.manual_seed``) before calling, as before building the model. Other
    parameters (e.g. :class:`GaussianMLP`'s log-std bounds, an embedding) are left as they are.

    Returns:
        ``module`` (for chaining).
    """
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def initialize_(module: nn.Module, init: str) -> nn.Module:
    """``init="torch"``: leave PyTorch's default init; ``"keras"``: :func:`keras_init_`. Returns ``module``."""
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    return keras_init_(module) if init == "keras" else module


class MLP(nn.Module):
    """``n x D -> n x 1``: Linear/activation stack.

    Args:
        in_dim: D.
        hidden: widths of the hidden layers, e.g. ``(2048, 2048)``.
        activation: ``relu``, ``leaky_relu``, ``tanh`` or ``elu``.
        negative_slope: LeakyReLU slope (MATCH-OPT uses 0.3).
    """

    def __init__(self, in_dim: int, hidden: Sequence[int] = (2048, 2048), activation: str = "relu",
                 negative_slope: float = 0.2):
        super().__init__()
        self.net = mlp_layers(in_dim, hidden, 1, activation, negative_slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class GaussianMLP(nn.Module):
    """design-baselines' ``ForwardModel``: a Gaussian over y given x.

    ``x -> [Linear, LeakyReLU(negative_slope)] x len(hidden) -> (mean, logstd)``; the log-std is soft-clamped
    between learned bounds initialised at ``log(0.2)`` (max) and ``log(0.1)`` (min), as in design-baselines.
    ``forward`` returns the mean ``n x 1``; :meth:`mean_logstd` returns both.

    Args:
        in_dim: D.
        hidden: widths of the hidden layers.
        activation: ``leaky_relu`` (design-baselines) or another name of ``ACTIVATIONS``.
        negative_slope: the LeakyReLU slope. design-baselines' ``ForwardModel`` uses Keras' ``LeakyReLU()``
            default, 0.3; the default here, 0.2, is the one this class had before the slope was made explicit
            (every method passes its slope explicitly).
        initial_max_std, initial_min_std: initial bounds of the predicted std.
    """

    def __init__(self, in_dim: int, hidden: Sequence[int] = (2048, 2048), activation: str = "leaky_relu",
                 negative_slope: float = 0.2, initial_max_std: float = 0.2, initial_min_std: float = 0.1):
        super().__init__()
        self.net = mlp_layers(in_dim, hidden, 2, activation, negative_slope)
        self.max_logstd = nn.Parameter(torch.full((1, 1), math.log(initial_max_std)))
        self.min_logstd = nn.Parameter(torch.full((1, 1), math.log(initial_min_std)))

    def mean_logstd(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.net(x)
        mean, logstd = out[:, :1], out[:, 1:]
        logstd = self.max_logstd - F.softplus(self.max_logstd - logstd)
        logstd = self.min_logstd + F.softplus(logstd - self.min_logstd)
        return mean, logstd

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mean_logstd(x)[0]


def build_surrogate(kind: str, in_dim: int, hidden: Sequence[int], activation: str | None = None,
                    negative_slope: float = 0.2) -> nn.Module:
    """``kind``: ``"gaussian"`` (design-baselines ForwardModel) or ``"mlp"``."""
    if kind == "gaussian":
        return GaussianMLP(in_dim, hidden, activation or "leaky_relu", negative_slope)
    if kind == "mlp":
        return MLP(in_dim, hidden, activation or "relu", negative_slope)
    raise ValueError(f"unknown surrogate kind {kind!r}; use 'gaussian' or 'mlp'")
