"""COMs: conservative objective models (Trabucco, Kumar, Geng, Levine, ICML 2021).

1. Train an ``MLP`` (2 x 2048, ReLU, one output) by MSE plus the conservative term of
   :mod:`mbo_lib.objectives.coms` (adversarial particles from every minibatch, Lagrange multiplier ``alpha``
   with its own Adam step), through :func:`~mbo_lib.surrogates.train_surrogate` with the runner's hooks.
2. From the top-128 designs take ``search_steps`` gradient-ascent steps with the particle step size; score at
   the last step (design-baselines' ``make_table`` reads COMs at step 50).

Task-kind settings of the paper's run scripts (design-baselines ``coms_cleaned``):

- continuous tasks: z-scored x, ``particle_lr = 0.05 * sqrt(D)``, overestimation limit 0.5;
- discrete tasks (TF-Bind-8/10): raw logits (``normalize_x`` off), ``particle_lr = 2.0 * sqrt(D)``, limit 2.0.

y is z-scored in both. The ``*_continuous`` / ``*_discrete`` fields below hold these pairs; ``particle_lr_*`` is
multiplied by ``sqrt(D)`` at run time.

Profiles:

.. profile-table

===============================  ========  =====================  =====================
field                            smoke     quick                  paper
===============================  ========  =====================  =====================
hidden                           32, 32    128, 128               2048, 2048
init                             torch     torch                  keras
epochs                           1         3                      50
batch_size                       128       128                    128
lr                               0.0003    0.0003                 0.0003
val_size                         500       500                    500
alpha                            0.1       0.1                    0.1
alpha_lr                         0.01      0.01                   0.01
particle_lr_continuous           0.05      0.05                   0.05
particle_lr_discrete             2         2                      2
overestimation_limit_continuous  0.5       0.5                    0.5
overestimation_limit_discrete    2         2                      2
normalize_x_continuous           True      True                   True
normalize_x_discrete             False     False                  False
num_candidates                   128       128                    128
particle_train_steps             2         50                     50
search_steps                     10        50                     50
record_steps                     0, 5, 10  0, 10, 20, 30, 40, 50  0, 10, 20, 30, 40, 50
===============================  ========  =====================  =====================

.. end profile-table

Overestimation limit 0.5 (continuous) / 2.0 (discrete) in every profile. The quick profile keeps the inner loop
(50 particle steps: it sets how far the adversarial designs go) and shrinks the network and the epochs instead;
COMs costs about ``2 + particle_train_steps`` forward/backward passes per minibatch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch

from ..design_space import DesignSpace
from ..objectives.coms import ConservativeTerm
from ..objectives.regression import mse
from ..search.gradient_ascent import gradient_ascent
from ..surrogates import MLP, TrainConfig, train_surrogate
from ..surrogates.models import INITS, initialize_
from .base import Method, MethodConfig, MethodOutput, knob, no_hooks
from .registry import register

@dataclass(frozen=True)
class COMsConfig(MethodConfig):
    """COMs' hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "COMs"
    legacy_defaults: ClassVar[dict] = {"init": "torch"}

    hidden: tuple[int, ...] = knob((2048, 2048), "hidden widths of the ReLU surrogate", low=1, high=65536)
    init: str = knob("torch", "surrogate weight init: PyTorch's default or Keras' Dense default", choices=INITS)
    epochs: int = knob(50, "surrogate training epochs", low=0, high=10000)
    batch_size: int = knob(128, "minibatch size", low=1, high=1 << 20)
    lr: float = knob(3e-4, "surrogate Adam learning rate", low=1e-8, high=1.0)
    val_size: int = knob(500, "validation rows held out", low=0, high=1 << 30)
    alpha: float = knob(0.1, "initial Lagrange multiplier of the conservative term", low=1e-8, high=1e6)
    alpha_lr: float = knob(0.01, "Adam learning rate of the multiplier", low=0.0, high=10.0)
    particle_lr_continuous: float = knob(0.05, "particle step / sqrt(D), continuous tasks", low=0.0, high=100.0)
    particle_lr_discrete: float = knob(2.0, "particle step / sqrt(D), discrete tasks", low=0.0, high=100.0)
    overestimation_limit_continuous: float = knob(0.5, "overestimation limit, continuous tasks", low=-1e6, high=1e6)
    overestimation_limit_discrete: float = knob(2.0, "overestimation limit, discrete tasks", low=-1e6, high=1e6)
    normalize_x_continuous: bool = knob(True, "z-score x on continuous tasks")
    normalize_x_discrete: bool = knob(False, "z-score the logits on discrete tasks")
    num_candidates: int = knob(128, "designs returned (the top-k of the data are the starts)", low=1, high=100000)
    particle_train_steps: int = knob(50, "adversarial particle steps per minibatch during training", low=0,
                                     high=10000)
    search_steps: int = knob(50, "gradient-ascent steps of the final search", low=0, high=100000)
    record_steps: tuple[int, ...] = knob((0, 10, 20, 30, 40, 50), "search steps whose designs are scored", low=0,
                                         at_most="search_steps")


@register
class COMs(Method):
    name = "COMs"
    config_class = COMsConfig
    profiles = {
        "smoke": COMsConfig(hidden=(32, 32), epochs=1, particle_train_steps=2, search_steps=10,
                            record_steps=(0, 5, 10)),
        "quick": COMsConfig(hidden=(128, 128), epochs=3),
        "paper": COMsConfig(init="keras"),
    }

    def run(self, task, config: COMsConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        discrete = task.is_discrete
        normalize_x = config.normalize_x_discrete if discrete else config.normalize_x_continuous
        limit = config.overestimation_limit_discrete if discrete else config.overestimation_limit_continuous
        space = DesignSpace(task, normalize_x=normalize_x, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        particle_factor = config.particle_lr_discrete if discrete else config.particle_lr_continuous
        particle_lr = particle_factor * math.sqrt(space.dim)
        term = ConservativeTerm(particle_lr, config.particle_train_steps, limit, alpha=config.alpha,
                                alpha_lr=config.alpha_lr)
        torch.manual_seed(seed)
        model = initialize_(MLP(space.dim, config.hidden, activation="relu"), config.init)
        train_config = TrainConfig(epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                                   val_size=config.val_size)
        log = train_surrogate(model, x, y, mse, train_config, seed=seed, terms=[(1.0, term)],
                              hooks=[term.dual_hook(), *hooks()], device=device, progress=progress,
                              desc=f"COMs surrogate {task.task_id}")
        x0 = torch.as_tensor(x[space.top_k(config.num_candidates)], device=device)
        final, snaps = gradient_ascent(model, x0, particle_lr, config.search_steps, record_at=config.record_steps)
        decode = lambda z: space.decode(z.cpu().numpy())  # noqa: E731
        return MethodOutput(designs=decode(final), steps={k: decode(v) for k, v in snaps.items()}, train_logs=[log],
                            extras={"particle_lr": particle_lr, "overestimation_limit": limit,
                                    "normalize_x": normalize_x, "final_alpha": term.alpha},
                            surrogate=model, candidate_inputs=final.cpu().numpy())
