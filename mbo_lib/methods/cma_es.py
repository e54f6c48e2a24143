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

=========  ===================  =======  =====  ==========  ==============
profile    ensemble             members  sigma  generations runs (= cand.)
=========  ===================  =======  =====  ==========  ==============
smoke      32, 1 epoch          5        0.5    5           128
quick      256, 10 epochs       5        0.5    100         128
paper      256, 100 epochs      5        0.5    100         128
=========  ===================  =======  =====  ==========  ==============

Ensemble training in every profile: Adam lr 1e-3, batch 100, 200 validation rows, LeakyReLU slope 0.3.
"""
from __future__ import annotations

import numpy as np
import torch

from ..design_space import DesignSpace
from ..search.cma_es import cma_es_search
from ..surrogates import ensemble_objective
from .base import Method, MethodOutput, no_hooks
from .ensemble_surrogate import ENSEMBLE_PAPER, ENSEMBLE_RANGES, train_search_ensemble
from .registry import register

_COMMON = dict(ENSEMBLE_PAPER, sigma=0.5, num_candidates=128)


@register
class CMAES(Method):
    name = "CMA-ES"
    profiles = {
        "smoke": dict(_COMMON, ensemble_hidden=[32], ensemble_epochs=1, max_iterations=5, record_steps=[0, 5]),
        "quick": dict(_COMMON, ensemble_epochs=10, max_iterations=100, record_steps=[0, 25, 50, 75, 100]),
        "paper": dict(_COMMON, ensemble_epochs=100, max_iterations=100, record_steps=[0, 25, 50, 75, 100]),
    }
    ranges = dict(ENSEMBLE_RANGES, sigma=(1e-8, 1e3), num_candidates=(1, 100000), max_iterations=(0, 100000),
                  record_steps=(0, 100000))

    def run(self, task, hp, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        space = DesignSpace(task, normalize_x=True, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        ensemble, logs = train_search_ensemble(space, x, y, hp, seed=seed, device=device, progress=progress,
                                               hooks=hooks, desc=f"CMA-ES ensemble {task.task_id}")
        objective = ensemble_objective(ensemble, "mean")

        def fitness(z: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return objective(torch.as_tensor(z, dtype=torch.float32, device=device)).cpu().numpy()

        x0 = x[space.top_k(hp["num_candidates"])]
        best, _, info = cma_es_search(fitness, x0, hp["sigma"], hp["max_iterations"], seed,
                                      record_at=hp["record_steps"])
        snapshots = info.pop("snapshots")
        decode = lambda z: space.decode(np.asarray(z, dtype=np.float32))  # noqa: E731
        return MethodOutput(designs=decode(best), steps={k: decode(v) for k, v in snapshots.items()},
                            train_logs=logs, extras={"generations_mean": float(np.mean(info["generations"])),
                                                     "stop_reasons": info["stop_reasons"]},
                            surrogate=ensemble, candidate_inputs=best.astype(np.float32))
