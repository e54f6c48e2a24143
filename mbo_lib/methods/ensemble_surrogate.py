"""The 5-member Gaussian ensemble that design-baselines' REINFORCE, BO-qEI and CMA-ES optimize against.

design-baselines (``reinforce/``, ``bo_qei/``, ``cma_es/``: ``nets.ForwardModel``, ``trainers.Ensemble``, run
scripts ``experiments.py``): 5 ``ForwardModel`` members, each ``Dense(256) -> LeakyReLU -> Dense(2)`` (Keras'
``LeakyReLU()`` default slope 0.3; log-std soft-clamped between learned bounds initialised at 0.2 / 0.1),
Gaussian NLL, Adam lr 1e-3, batch 100, 100 epochs, 200 validation rows, each member on its own bootstrap
resample; the search objective is the mixture mean = the members' mean prediction.

``init="keras"`` starts every member from Keras' ``Dense`` initialisation (design-baselines'), ``"torch"``
(smoke, quick) from PyTorch's default; the ``paper`` profiles use ``"keras"``. Every member goes through
:func:`~mbo_lib.surrogates.train_ensemble` with the runner's hook factory.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..design_space import DesignSpace
from ..objectives.regression import gaussian_nll
from ..surrogates import GaussianMLP, TrainConfig, train_ensemble
from ..surrogates.ensemble import Ensemble
from ..surrogates.models import INITS, initialize_
from .base import MethodConfig, knob


@dataclass(frozen=True)
class SearchEnsembleConfig(MethodConfig):
    """The search ensemble's fields, shared by REINFORCE, BO-qEI and CMA-ES (defaults: design-baselines)."""

    legacy_defaults: ClassVar[dict] = {"init": "torch"}

    num_members: int = knob(5, "ensemble members", low=1, high=100)
    ensemble_hidden: tuple[int, ...] = knob((256,), "hidden widths of each Gaussian member", low=1, high=65536)
    ensemble_epochs: int = knob(100, "training epochs per member", low=0, high=10000)
    ensemble_batch_size: int = knob(100, "ensemble minibatch size", low=1, high=1 << 20)
    ensemble_lr: float = knob(1e-3, "ensemble Adam learning rate", low=1e-8, high=1.0)
    val_size: int = knob(200, "validation rows held out per member", low=0, high=1 << 30)
    bootstrap: bool = knob(True, "train each member on its own bootstrap resample of the rows")
    negative_slope: float = knob(0.3, "LeakyReLU slope of the members (Keras' default 0.3)", low=0.0, high=1.0)
    init: str = knob("torch", "member weight init: PyTorch's default or Keras' Dense default", choices=INITS)


def train_search_ensemble(space: DesignSpace, x, y, config: SearchEnsembleConfig, *, seed: int, device, progress,
                          hooks, desc: str) -> tuple[Ensemble, list]:
    """Train the ensemble on model inputs ``x: n x D`` and normalized ``y: n x 1``."""
    train_config = TrainConfig(epochs=config.ensemble_epochs, batch_size=config.ensemble_batch_size,
                               lr=config.ensemble_lr, val_size=config.val_size)
    make_model = lambda i: initialize_(GaussianMLP(space.dim, config.ensemble_hidden, "leaky_relu",  # noqa: E731
                                                   config.negative_slope), config.init)
    return train_ensemble(make_model, config.num_members, x, y, gaussian_nll, train_config, seed=seed, hooks=hooks,
                          bootstrap=config.bootstrap, device=device, progress=progress, desc=desc)
