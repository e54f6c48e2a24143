"""BO-qEI: batch Bayesian optimization (GP + q-Expected Improvement) against a surrogate ensemble.

design-baselines' ``bo_qei`` baseline:

1. Train the search ensemble (:mod:`mbo_lib.methods.ensemble_surrogate`: 5 x ``Dense(256)`` LeakyReLU(0.3)
   Gaussian members, bootstrap rows) on z-scored inputs (z-scored logits for discrete tasks) and y; the black
   box is the ensemble's mean prediction.
2. Start the GP from the ``gp_samples`` (500) best designs of the data with their (z-scored) dataset labels.
3. ``iterations`` (10) rounds of :func:`mbo_lib.search.bo_qei.bo_qei_search`: fit the GP, maximize qEI for a
   batch of ``bo_batch_size`` (32) candidates inside the data's box (per-dimension min / max of the model
   inputs), observe the ensemble mean plus N(0, ``noise_se``^2) noise.
4. Final 128 candidates (``select_by``):

   - ``"observations"`` (default, design-baselines): the 128 largest values among all the GP's training targets,
     i.e. the 500 initial designs with their dataset labels and the proposed ones with their noisy ensemble
     observations;
   - ``"ensemble"``: the 128 designs, among the same pool, with the largest noiseless ensemble mean prediction.

``record_steps`` are rounds: the selection rule applied to the points known after that round (round 0 = the
top-128 of the data).

Acquisition: ``qEI`` (``qExpectedImprovement``), as design-baselines, so our numbers describe the published
algorithm; ``acquisition="qLogEI"`` switches to BoTorch's ``qLogExpectedImprovement``, whose log-space smoothing
keeps gradients alive where qEI is flat (BoTorch recommends it and warns about qEI). The GP is BoTorch 0.18's
``SingleTaskGP`` with known noise, ``Normalize`` inputs and ``Standardize`` outcomes, each round's fit warm-started
from the previous round's hyperparameters (design-baselines: the older ``FixedNoiseGP`` without transforms, also
warm-started).

Profiles (paper = design-baselines' run scripts):

.. profile-table

===================  ============  ============  =================
field                smoke         quick         paper
===================  ============  ============  =================
num_members          5             5             5
ensemble_hidden      32            256           256
ensemble_epochs      1             10            100
ensemble_batch_size  100           100           100
ensemble_lr          0.001         0.001         0.001
val_size             200           200           200
bootstrap            True          True          True
negative_slope       0.3           0.3           0.3
init                 torch         torch         keras
noise_se             0.1           0.1           0.1
acquisition          qEI           qEI           qEI
select_by            observations  observations  observations
num_candidates       128           128           128
gp_samples           128           256           500
bo_batch_size        8             32            32
num_restarts         2             4             10
raw_samples          16            64            128
batch_limit          2             4             5
maxiter              10            50            200
mc_samples           16            64            128
iterations           2             10            10
record_steps         0, 1, 2       0, 5, 10      0, 2, 4, 6, 8, 10
===================  ============  ============  =================

.. end profile-table

Ensemble training in every profile: 5 members, Adam lr 1e-3, batch 100, 200 validation rows, LeakyReLU 0.3.
The quick profile starts the GP from 256 designs instead of 500: the exact GP's fit is cubic in its points and
took ~85% of a quick run's CPU time with 500 (TF-Bind-8, one thread).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..design_space import DesignSpace
from ..errors import InvalidInputError
from ..search.bo_qei import ACQUISITIONS, bo_qei_search
from ..surrogates import ensemble_objective
from .base import Method, MethodOutput, knob, no_hooks
from .ensemble_surrogate import SearchEnsembleConfig, train_search_ensemble
from .registry import register

SELECTIONS = ("observations", "ensemble")


@dataclass(frozen=True)
class BOqEIConfig(SearchEnsembleConfig):
    """BO-qEI's hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "BO-qEI"

    noise_se: float = knob(0.1, "std of the noise added to the ensemble's observations", low=1e-6, high=1e3)
    acquisition: str = knob("qEI", "acquisition function (qEI: design-baselines)", choices=ACQUISITIONS)
    select_by: str = knob("observations", "how the final candidates are chosen (see above)", choices=SELECTIONS)
    num_candidates: int = knob(128, "designs returned", low=1, high=100000)
    gp_samples: int = knob(500, "best designs of the data the GP starts from", low=2, high=100000)
    bo_batch_size: int = knob(32, "candidates proposed per round (q)", low=1, high=10000)
    num_restarts: int = knob(10, "restarts of the acquisition optimizer", low=1, high=10000)
    raw_samples: int = knob(128, "raw samples for the restarts' initialization", low=1, high=1 << 20)
    batch_limit: int = knob(5, "restarts optimized jointly", low=1, high=10000)
    maxiter: int = knob(200, "L-BFGS iterations of the acquisition optimizer", low=1, high=1 << 20)
    mc_samples: int = knob(128, "quasi-MC samples of the acquisition", low=1, high=1 << 20)
    iterations: int = knob(10, "BO rounds", low=0, high=10000)
    record_steps: tuple[int, ...] = knob((0, 2, 4, 6, 8, 10), "rounds whose selection is scored", low=0,
                                         at_most="iterations")

    def check(self) -> None:
        if self.gp_samples < self.num_candidates:
            self._fail("gp_samples", self.gp_samples, f"is below num_candidates={self.num_candidates}",
                       "at least num_candidates (the candidates are chosen among the GP's points)")


@register
class BOqEI(Method):
    name = "BO-qEI"
    config_class = BOqEIConfig
    profiles = {
        "smoke": BOqEIConfig(ensemble_hidden=(32,), ensemble_epochs=1, gp_samples=128, bo_batch_size=8,
                             num_restarts=2, raw_samples=16, batch_limit=2, maxiter=10, mc_samples=16, iterations=2,
                             record_steps=(0, 1, 2)),
        "quick": BOqEIConfig(ensemble_epochs=10, gp_samples=256, bo_batch_size=32, num_restarts=4, raw_samples=64,
                             batch_limit=4, maxiter=50, mc_samples=64, iterations=10, record_steps=(0, 5, 10)),
        "paper": BOqEIConfig(init="keras"),
    }

    def run(self, task, config: BOqEIConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        space = DesignSpace(task, normalize_x=True, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        if x.shape[0] < config.num_candidates:
            raise InvalidInputError(f"BO-qEI needs at least num_candidates={config.num_candidates} data points, "
                                    f"{task.task_id} has {x.shape[0]}")
        ensemble, logs = train_search_ensemble(space, x, y, config, seed=seed, device=device, progress=progress,
                                               hooks=hooks, desc=f"BO-qEI ensemble {task.task_id}")
        objective = ensemble_objective(ensemble, "mean")
        black_box = lambda z: objective(z.float())  # noqa: E731  (the GP works in float64)
        start = space.top_k(min(config.gp_samples, x.shape[0]))
        bounds = torch.as_tensor(np.stack([x.min(0), x.max(0)]), device=device)
        all_x, all_y, info = bo_qei_search(
            black_box, torch.as_tensor(x[start], device=device), torch.as_tensor(y[start], device=device), bounds,
            iterations=config.iterations, batch_size=config.bo_batch_size, noise_se=config.noise_se,
            num_restarts=config.num_restarts, raw_samples=config.raw_samples, batch_limit=config.batch_limit,
            maxiter=config.maxiter, mc_samples=config.mc_samples, seed=seed, acquisition=config.acquisition)
        all_x = all_x.float()
        with torch.no_grad():
            predicted = objective(all_x)
        scores = all_y[:, 0].float() if config.select_by == "observations" else predicted

        def select(num_rows: int) -> torch.Tensor:
            k = min(config.num_candidates, num_rows)
            return all_x[torch.topk(scores[:num_rows], k).indices]

        decode = lambda z: space.decode(z.cpu().numpy())  # noqa: E731
        steps = {r: decode(select(len(start) + r * config.bo_batch_size)) for r in config.record_steps
                 if r <= info["rounds"]}
        final = select(all_x.shape[0])
        proposed = all_x.shape[0] - len(start)
        num_proposed_selected = int((torch.topk(scores, min(config.num_candidates, all_x.shape[0])).indices
                                     >= len(start)).sum())
        return MethodOutput(designs=decode(final), steps=steps, train_logs=logs,
                            extras={**info, "proposed": proposed, "selected_from_proposed": num_proposed_selected},
                            surrogate=ensemble, candidate_inputs=final.cpu().numpy())
