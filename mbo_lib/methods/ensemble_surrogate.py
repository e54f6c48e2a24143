"""The 5-member Gaussian ensemble that design-baselines' REINFORCE, BO-qEI and CMA-ES optimize against.

design-baselines (``reinforce/``, ``bo_qei/``, ``cma_es/``: ``nets.ForwardModel``, ``trainers.Ensemble``, run
scripts ``experiments.py``): 5 ``ForwardModel`` members, each ``Dense(256) -> LeakyReLU -> Dense(2)`` (Keras'
``LeakyReLU()`` default slope 0.3; log-std soft-clamped between learned bounds initialised at 0.2 / 0.1),
Gaussian NLL, Adam lr 1e-3, batch 100, 100 epochs, 200 validation rows, each member on its own bootstrap
resample; the search objective is the mixture mean = the members' mean prediction.

Every member goes through :func:`~mbo_lib.surrogates.train_ensemble` with the runner's hook factory.
"""
from __future__ import annotations

from ..design_space import DesignSpace
from ..objectives.regression import gaussian_nll
from ..surrogates import GaussianMLP, TrainConfig, train_ensemble
from ..surrogates.ensemble import Ensemble

ENSEMBLE_PAPER = dict(num_members=5, ensemble_hidden=[256], ensemble_epochs=100, ensemble_batch_size=100,
                      ensemble_lr=1e-3, val_size=200, bootstrap=True, negative_slope=0.3)
ENSEMBLE_RANGES = dict(num_members=(1, 100), ensemble_hidden=(1, 65536), ensemble_epochs=(0, 10000),
                       ensemble_batch_size=(1, 1 << 20), ensemble_lr=(1e-8, 1.0), val_size=(0, 1 << 30),
                       bootstrap=(0, 1), negative_slope=(0.0, 1.0))


def train_search_ensemble(space: DesignSpace, x, y, hp: dict, *, seed: int, device, progress, hooks,
                          desc: str) -> tuple[Ensemble, list]:
    """Train the ensemble on model inputs ``x: n x D`` and normalized ``y: n x 1`` (``hp``: the keys of ``ENSEMBLE_PAPER``)."""
    config = TrainConfig(epochs=hp["ensemble_epochs"], batch_size=hp["ensemble_batch_size"], lr=hp["ensemble_lr"],
                         val_size=hp["val_size"])
    return train_ensemble(lambda i: GaussianMLP(space.dim, hp["ensemble_hidden"], "leaky_relu", hp["negative_slope"]),
                          hp["num_members"], x, y, gaussian_nll, config, seed=seed, hooks=hooks,
                          bootstrap=bool(hp["bootstrap"]), device=device, progress=progress, desc=desc)
