"""CMA-ES: one covariance-matrix-adaptation evolution strategy per starting design, against a surrogate ensemble.

design-baselines' ``cma_es`` baseline (``cma_es/__init__.py``, final run scripts in ``cma_es/experiments.py``):

1. Train the search ensemble (:mod:`mbo_lib.methods.ensemble_surrogate`: 5 x ``Dense(256)`` LeakyReLU(0.3)
   Gaussian members, bootstrap rows) on z-scored inputs (z-scored logits for discrete tasks) and y.
2. Start one ``cma.CMAEvolutionStrategy(x_i, sigma)`` from each of the top-128 designs (``solver_samples`` =
   128 independent runs, ``cma``'s default population ``4 + floor(3 ln D)``), fitness = the ensemble's mean
   prediction, at most ``max_iterations`` generations each (:func:`mbo_lib.search.cma_es.cma_es_search`
   evaluates all runs' populations in one batched call per generation).
3. The 128 candidates are the runs' ``es.result.xbest``: each run's best-ever solution by the ensemble.

``record_steps`` are generations: each run's best-so-far after that many generations (0 = the top-128 of the data).
Unconstrained search in the model's input space, as design-baselines (decoded logits are argmaxed by the oracle).

Profiles (paper = design-baselines' run scripts):

.. profile-table

===================  =====  ==================  ==================
field                smoke  quick               paper
===================  =====  ==================  ==================
num_members          5      5                   5
ensemble_hidden      32     256                 256
ensemble_epochs      1      10                  100
ensemble_batch_size  100    100                 100
ensemble_lr          0.001  0.001               0.001
val_size             200    200                 200
bootstrap            True   True                True
negative_slope       0.3    0.3                 0.3
init                 torch  torch               keras
sigma                0.5    0.5                 0.5
num_candidates       128    128                 128
max_iterations       5      100                 100
record_steps         0, 5   0, 25, 50, 75, 100  0, 25, 50, 75, 100
===================  =====  ==================  ==================

.. end profile-table

Ensemble training in every profile: Adam lr 1e-3, batch 100, 200 validation rows, LeakyReLU slope 0.3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..design_space import DesignSpace
from ..search.cma_es import cma_es_search
from ..surrogates import ensemble_objective
from .base import Method, MethodOutput, knob, no_hooks
from .ensemble_surrogate import SearchEnsembleConfig, train_search_ensemble
from .registry import register

@dataclass(frozen=True)
class CMAESConfig(SearchEnsembleConfig):
    """CMA-ES's hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "CMA-ES"

    sigma: float = knob(0.5, "initial step size of every CMA-ES run", low=1e-8, high=1e3)
    num_candidates: int = knob(128, "independent runs from the top designs (= designs returned)", low=1, high=100000)
    max_iterations: int = knob(100, "most generations per run", low=0, high=100000)
    record_steps: tuple[int, ...] = knob((0, 25, 50, 75, 100), "generations whose best-so-far is scored", low=0,
                                         at_most="max_iterations")


@register
class CMAES(Method):
    name = "CMA-ES"
    config_class = CMAESConfig
    profiles = {
        "smoke": CMAESConfig(ensemble_hidden=(32,), ensemble_epochs=1, max_iterations=5, record_steps=(0, 5)),
        "quick": CMAESConfig(ensemble_epochs=10),
        "paper": CMAESConfig(init="keras"),
    }

    def run(self, task, config: CMAESConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        space = DesignSpace(task, normalize_x=True, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        ensemble, logs = train_search_ensemble(space, x, y, config, seed=seed, device=device, progress=progress,
                                               hooks=hooks, desc=f"CMA-ES ensemble {task.task_id}")
        objective = ensemble_objective(ensemble, "mean")

        def fitness(z: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return objective(torch.as_tensor(z, dtype=torch.float32, device=device)).cpu().numpy()

        x0 = x[space.top_k(config.num_candidates)]
        best, _, info = cma_es_search(fitness, x0, config.sigma, config.max_iterations, seed,
                                      record_at=config.record_steps)
        snapshots = info.pop("snapshots")
        decode = lambda z: space.decode(np.asarray(z, dtype=np.float32))  # noqa: E731
        return MethodOutput(designs=decode(best), steps={k: decode(v) for k, v in snapshots.items()},
                            train_logs=logs, extras={"generations_mean": float(np.mean(info["generations"])),
                                                     "stop_reasons": info["stop_reasons"]},
                            surrogate=ensemble, candidate_inputs=best.astype(np.float32))
