"""REINFORCE: policy-gradient search against an ensemble of 5 Gaussian surrogates (design-baselines' baseline).

1. Train design-baselines' search ensemble (:mod:`mbo_lib.methods.ensemble_surrogate`: 5 x ``Dense(256)``
   LeakyReLU(0.3) Gaussian members, bootstrap rows) on z-scored inputs (logits for discrete tasks) and y.
2. Fit a search distribution by REINFORCE (:mod:`mbo_lib.search.reinforce`) with reward = the ensemble's mean
   prediction, Adam (``reinforce_lr``), ``iterations`` steps of ``reinforce_batch_size_*`` samples:

   - continuous tasks: Gaussian over z-scored inputs, mean initialised at the mean of the top-128 designs,
     fixed std ``exploration_std`` (0.1);
   - discrete tasks: independent categoricals per position initialised at the class frequencies of the top-128
     designs; sampled integers -> logits -> z-scored model inputs for the reward.
3. The 128 candidates are a fresh sample from the final distribution (as design-baselines:
   ``td.sample(solver_samples)``); ``record_steps`` snapshots are 128-sample draws at those iterations (from
   generators of their own, so recording does not change the trajectory).

Deviations from design-baselines (``reinforce/__init__.py``, ``nets.py``, ``experiments.py``):

- **Discrete gradient bug not reproduced.** design-baselines computes
  ``reduce_mean(-log_probs[:, tf.newaxis] * stop_gradient((ty - mean_y) / std_y))`` with ``log_probs`` of shape
  ``B x L`` (one term per position) and ``ty`` of shape ``B x 1``: the product broadcasts to ``B x B x L``,
  pairing every sample's log-probability with every sample's advantage. Its value is
  ``-mean(log_probs) * mean(advantage)`` and the mean advantage is 0, so the gradient is zero up to float
  rounding (which Adam then rescales into noise steps): the published discrete REINFORCE effectively samples
  from its initial distribution, the top-128's position-wise frequencies. (The continuous branch has
  ``log_probs`` of shape ``B`` and is correct.) We implement the intended per-sample estimator on both.
- The discrete surrogate reads z-scored logits (our shared design space) instead of design-baselines'
  integer-embedding ``ForwardModel`` (embedding 256).
- Classes absent from the top-128 at a position start at ``log(1e-8)`` instead of ``-inf``.

Profiles (paper = design-baselines' run scripts: batch 2048 on the continuous tasks, 256 on TF-Bind-8/10):

.. profile-table

===============================  ========  ====================  ====================
field                            smoke     quick                 paper
===============================  ========  ====================  ====================
num_members                      5         5                     5
ensemble_hidden                  32        256                   256
ensemble_epochs                  1         10                    100
ensemble_batch_size              100       100                   100
ensemble_lr                      0.001     0.001                 0.001
val_size                         200       200                   200
bootstrap                        True      True                  True
negative_slope                   0.3       0.3                   0.3
init                             torch     torch                 keras
reinforce_lr                     0.01      0.01                  0.01
exploration_std                  0.1       0.1                   0.1
num_candidates                   128       128                   128
reinforce_batch_size_continuous  256       2048                  2048
reinforce_batch_size_discrete    64        256                   256
iterations                       10        200                   200
record_steps                     0, 5, 10  0, 50, 100, 150, 200  0, 50, 100, 150, 200
===============================  ========  ====================  ====================

.. end profile-table

Ensemble training in every profile: Adam lr 1e-3, batch 100, 200 validation rows, LeakyReLU slope 0.3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..design_space import DesignSpace
from ..search.reinforce import CategoricalSearch, GaussianSearch, reinforce_loss
from ..surrogates import ensemble_objective
from ..tasks.base import to_logits
from .base import Method, MethodOutput, knob, no_hooks
from .ensemble_surrogate import SearchEnsembleConfig, train_search_ensemble
from .registry import register


class DiscreteEncoder:
    """Integer designs ``B x L`` (torch) -> z-scored flat logits ``B x D``, as ``DesignSpace.encode`` but in torch."""

    def __init__(self, space: DesignSpace, device):
        task = space.task
        table = to_logits(np.arange(task.num_classes)[:, None], task.num_classes, task.soft_interpolation)[:, 0]
        self.table = torch.as_tensor(table, device=device)  # C x (C-1): the logits of each class
        self.mean = torch.as_tensor(space.x_mean, device=device)
        self.std = torch.as_tensor(space.x_std, device=device)

    def __call__(self, designs: torch.Tensor) -> torch.Tensor:
        flat = self.table[designs].reshape(designs.shape[0], -1)
        return (flat - self.mean) / self.std


@dataclass(frozen=True)
class REINFORCEConfig(SearchEnsembleConfig):
    """REINFORCE's hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "REINFORCE"

    reinforce_lr: float = knob(0.01, "Adam learning rate of the search distribution", low=0.0, high=100.0)
    exploration_std: float = knob(0.1, "fixed std of the Gaussian search distribution (continuous tasks)",
                                  low=1e-8, high=1e3)
    num_candidates: int = knob(128, "designs returned (sampled from the final distribution)", low=1, high=100000)
    reinforce_batch_size_continuous: int = knob(2048, "samples per REINFORCE step, continuous tasks", low=2,
                                                high=1 << 20)
    reinforce_batch_size_discrete: int = knob(256, "samples per REINFORCE step, discrete tasks", low=2, high=1 << 20)
    iterations: int = knob(200, "REINFORCE steps", low=0, high=100000)
    record_steps: tuple[int, ...] = knob((0, 50, 100, 150, 200), "iterations whose samples are scored", low=0,
                                         at_most="iterations")


@register
class REINFORCE(Method):
    name = "REINFORCE"
    config_class = REINFORCEConfig
    profiles = {
        "smoke": REINFORCEConfig(ensemble_hidden=(32,), ensemble_epochs=1, reinforce_batch_size_continuous=256,
                                 reinforce_batch_size_discrete=64, iterations=10, record_steps=(0, 5, 10)),
        "quick": REINFORCEConfig(ensemble_epochs=10),
        "paper": REINFORCEConfig(init="keras"),
    }

    def run(self, task, config: REINFORCEConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        space = DesignSpace(task, normalize_x=True, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        ensemble, logs = train_search_ensemble(space, x, y, config, seed=seed, device=device, progress=progress,
                                               hooks=hooks, desc=f"REINFORCE ensemble {task.task_id}")
        reward_of_inputs = ensemble_objective(ensemble, "mean")
        top = space.top_k(config.num_candidates)
        if task.is_discrete:
            search = CategoricalSearch.from_designs(task.x[top], task.num_classes, device=device)
            encoder = DiscreteEncoder(space, device)
            batch_size = config.reinforce_batch_size_discrete
            to_inputs, to_designs = encoder, (lambda s: s.cpu().numpy().astype(np.int32))
        else:
            search = GaussianSearch(torch.as_tensor(x[top], device=device).mean(0), config.exploration_std)
            batch_size = config.reinforce_batch_size_continuous
            to_inputs, to_designs = (lambda s: s), (lambda s: space.decode(s.cpu().numpy()))
        optimizer = torch.optim.Adam(search.parameters(), lr=config.reinforce_lr)
        generator = torch.Generator(device=device).manual_seed(seed)

        def draw(tag: int) -> torch.Tensor:  # 128 candidates from a generator of their own
            return search.sample(config.num_candidates, torch.Generator(device=device).manual_seed(seed * 100003 + tag))

        snaps, mean_rewards = {}, []
        for it in range(config.iterations + 1):
            if it in config.record_steps:
                snaps[it] = to_designs(draw(it))
            if it == config.iterations:
                break
            samples = search.sample(batch_size, generator)
            with torch.no_grad():
                reward = reward_of_inputs(to_inputs(samples))
            loss = reinforce_loss(search.log_prob(samples), reward)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            mean_rewards.append(round(float(reward.mean()), 6))
        final = draw(config.iterations)
        candidate_inputs = to_inputs(final).detach().cpu().numpy()
        return MethodOutput(designs=to_designs(final), steps=snaps, train_logs=logs,
                            extras={"batch_size": batch_size, "mean_reward_per_iteration": mean_rewards},
                            surrogate=ensemble, candidate_inputs=candidate_inputs)
