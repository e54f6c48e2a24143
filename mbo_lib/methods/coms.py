"""COMs: conservative objective models (Trabucco, Kumar, Geng, Levine, ICML 2021).

1. Train an ``MLP`` (2 x 2048, ReLU, one output) by MSE plus the conservative term of
   :mod:`mbo_lib.objectives.coms` (adversarial particles from every minibatch, Lagrange multiplier ``alpha``
   with its own Adam step), through :func:`~mbo_lib.surrogates.train_surrogate` with the runner's hooks.
2. From the top-128 designs take ``search_steps`` gradient-ascent steps with the particle step size; score at
   the last step (design-baselines' ``make_table`` reads COMs at step 50).

Task-kind settings of the paper's run scripts (design-baselines ``coms_cleaned``):

- continuous tasks: z-scored x, ``particle_lr = 0.05 * sqrt(D)``, overestimation limit 0.5;
- discrete tasks (TF-Bind-8/10): raw logits (``normalize_x`` off), ``particle_lr = 2.0 * sqrt(D)``, limit 2.0.

y is z-scored in both. The ``*_continuous`` / ``*_discrete`` keys below hold these pairs; ``particle_lr_*`` is
multiplied by ``sqrt(D)`` at run time.

Profiles:

=========  ==========  ======  =====  ======  ===  =====  ========  =============  ==============  ======
profile    hidden      epochs  batch  lr      val  alpha  alpha_lr  particle steps  particle_lr     search
                                                                    (training)      (cont. / disc.)  steps
=========  ==========  ======  =====  ======  ===  =====  ========  =============  ==============  ======
smoke      32, 32      1       128    3e-4    500  0.1    0.01      2              0.05 / 2.0      10
quick      128, 128    3       128    3e-4    500  0.1    0.01      50             0.05 / 2.0      50
paper      2048, 2048  50      128    3e-4    500  0.1    0.01      50             0.05 / 2.0      50
=========  ==========  ======  =====  ======  ===  =====  ========  =============  ==============  ======

Overestimation limit 0.5 (continuous) / 2.0 (discrete) in every profile. The quick profile keeps the inner loop
(50 particle steps: it sets how far the adversarial designs go) and shrinks the network and the epochs instead;
COMs costs about ``2 + particle_train_steps`` forward/backward passes per minibatch.
"""
from __future__ import annotations

import math

import torch

from ..design_space import DesignSpace
from ..objectives.coms import ConservativeTerm
from ..objectives.regression import mse
from ..search.gradient_ascent import gradient_ascent
from ..surrogates import MLP, TrainConfig, train_surrogate
from .base import Method, MethodOutput, no_hooks
from .registry import register

_COMMON = dict(batch_size=128, lr=3e-4, val_size=500, alpha=0.1, alpha_lr=0.01,
               particle_lr_continuous=0.05, particle_lr_discrete=2.0,
               overestimation_limit_continuous=0.5, overestimation_limit_discrete=2.0,
               normalize_x_continuous=True, normalize_x_discrete=False, num_candidates=128)


@register
class COMs(Method):
    name = "COMs"
    profiles = {
        "smoke": dict(_COMMON, hidden=[32, 32], epochs=1, particle_train_steps=2, search_steps=10,
                      record_steps=[0, 5, 10]),
        "quick": dict(_COMMON, hidden=[128, 128], epochs=3, particle_train_steps=50, search_steps=50,
                      record_steps=[0, 10, 20, 30, 40, 50]),
        "paper": dict(_COMMON, hidden=[2048, 2048], epochs=50, particle_train_steps=50, search_steps=50,
                      record_steps=[0, 10, 20, 30, 40, 50]),
    }
    ranges = dict(hidden=(1, 65536), epochs=(0, 10000), batch_size=(1, 1 << 20), lr=(1e-8, 1.0),
                  val_size=(0, 1 << 30), alpha=(1e-8, 1e6), alpha_lr=(0.0, 10.0),
                  particle_lr_continuous=(0.0, 100.0), particle_lr_discrete=(0.0, 100.0),
                  overestimation_limit_continuous=(-1e6, 1e6), overestimation_limit_discrete=(-1e6, 1e6),
                  normalize_x_continuous=(0, 1), normalize_x_discrete=(0, 1), num_candidates=(1, 100000),
                  particle_train_steps=(0, 10000), search_steps=(0, 100000), record_steps=(0, 100000))

    def run(self, task, hp, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        kind = "discrete" if task.is_discrete else "continuous"
        space = DesignSpace(task, normalize_x=bool(hp[f"normalize_x_{kind}"]), normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        particle_lr = hp[f"particle_lr_{kind}"] * math.sqrt(space.dim)
        term = ConservativeTerm(particle_lr, hp["particle_train_steps"], hp[f"overestimation_limit_{kind}"],
                                alpha=hp["alpha"], alpha_lr=hp["alpha_lr"])
        torch.manual_seed(seed)
        model = MLP(space.dim, hp["hidden"], activation="relu")
        config = TrainConfig(epochs=hp["epochs"], batch_size=hp["batch_size"], lr=hp["lr"], val_size=hp["val_size"])
        log = train_surrogate(model, x, y, mse, config, seed=seed, terms=[(1.0, term)],
                              hooks=[term.dual_hook(), *hooks()], device=device, progress=progress,
                              desc=f"COMs surrogate {task.task_id}")
        x0 = torch.as_tensor(x[space.top_k(hp["num_candidates"])], device=device)
        final, snaps = gradient_ascent(model, x0, particle_lr, hp["search_steps"], record_at=hp["record_steps"])
        decode = lambda z: space.decode(z.cpu().numpy())  # noqa: E731
        return MethodOutput(designs=decode(final), steps={k: decode(v) for k, v in snaps.items()}, train_logs=[log],
                            extras={"particle_lr": particle_lr, "overestimation_limit": hp[f"overestimation_limit_{kind}"],
                                    "normalize_x": bool(hp[f"normalize_x_{kind}"]), "final_alpha": term.alpha},
                            surrogate=model, candidate_inputs=final.cpu().numpy())
