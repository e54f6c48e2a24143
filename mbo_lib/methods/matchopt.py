"""MATCH-OPT: a gradient-matching surrogate climbed by Adam (Hoang et al., ICML 2024; code ``azzafadhel/MatchOpt``).

1. Train an MLP ``D -> 512 -> 128 -> 32 -> 1`` (LeakyReLU 0.3) with Adam on z-scored x (z-scored logits for discrete
   tasks) and z-scored y, on MATCH-OPT's loss (:mod:`mbo_lib.objectives.matchopt`): match observed differences
   ``y_v - y_u`` along monotone trajectories (one random design per equal-count y-bin, ordered by y) with the
   m-point line integral of the surrogate's input gradient, plus ``alpha`` times the regression MSE. An epoch has
   ``N // num_bins`` trajectories (batches), as the official code.
2. Search: Adam on the 128 designs (lr 1e-3, 150 steps) maximizing the surrogate. Start: the top-128 designs,
   except TF-Bind-8 (``init="auto"``), where the official code starts from ``torch.randn`` of the designs' shape in
   the model's input space, i.e. standard Gaussian noise in z-scored logit space.
3. Score the designs at the last step (and at ``record_steps`` for score-vs-step curves). ``candidate_inputs``
   are the final designs in the surrogate's input space, so the runner stores ``||grad_w h||`` on them
   (``surrogate_grad_norm_on_candidates``, IGNITE's sharpness divided by rho).

Profiles (paper = the official code, ``../shared/reference/hyperparameters.md``):

.. profile-table

==============  =========  ============================  ============================
field           smoke      quick                         paper
==============  =========  ============================  ============================
num_bins        128        128                           128
num_points      5          5                             5
alpha           1          1                             1
lr              0.0001     0.0001                        0.0001
val_size        0          0                             0
negative_slope  0.3        0.3                           0.3
search_lr       0.001      0.001                         0.001
num_candidates  128        128                           128
init            auto       auto                          auto
hidden          32, 16, 8  512, 128, 32                  512, 128, 32
epochs          1          10                            200
search_steps    10         150                           150
record_steps    0, 5, 10   0, 25, 50, 75, 100, 125, 150  0, 25, 50, 75, 100, 125, 150
==============  =========  ============================  ============================

.. end profile-table

``alpha=0`` (``overrides={"alpha": 0.0}``) is the paper's ablation without the regression term.

Deviations from the official code (each kept small and stated):

- Epochs: the official loop runs ``range(201)`` and searches at the *start* of every 20th epoch, so its last
  search (epoch index 200) sees a surrogate trained for exactly 200 epochs; the 201st epoch never affects a score.
  ``paper`` therefore trains 200 epochs and searches once at the end (the official code also searches at epochs
  0, 20, ..., 180; those intermediate searches are not reproduced).
- The input gradients come from one vector-Jacobian product over all interpolation points instead of the full
  ``B x B x D`` Jacobian: same loss and weight gradients (tested), about 80x faster on CPU.
- ``val_size=0`` as the official code (no hold-out); a positive ``val_size`` logs validation metrics of the same
  loss on the held-out rows taken in index order (pairs not monotone).

A property of the official search worth knowing: 150 Adam steps of lr 1e-3 move a coordinate by roughly
``lr * steps = 0.15`` (z-scored units) when its gradient keeps its sign, while the one-hot logits of two letters
differ by about 1.6 z-units. From the top-128 of a discrete task (TF-Bind-10) no argmax can flip, so the
returned sequences are the starting ones (in our quick runs the step-150 scores equal the step-0 scores on every
seed). On TF-Bind-8 the start is Gaussian noise, whose near-ties do flip, so the score is mostly that of 128
random sequences plus small moves (see the ``curve`` of the records).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..design_space import DesignSpace
from ..errors import InvalidInputError
from ..objectives.matchopt import GradientMatchingLoss, monotone_trajectories
from ..search.adam_ascent import adam_ascent
from ..surrogates.models import MLP
from ..surrogates.trainer import TrainConfig, train_surrogate
from .base import Method, MethodConfig, MethodOutput, knob, no_hooks
from .registry import register

INITS = ("auto", "top_k", "noise")
NOISE_INIT_TASKS = ("TFBind8",)  # official: init='rand' for tf-bind-8 and utr (UTR is not in this project)
_RECORD = (0, 25, 50, 75, 100, 125, 150)


@dataclass(frozen=True)
class MatchOptConfig(MethodConfig):
    """MATCH-OPT's hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "MATCH-OPT"

    num_bins: int = knob(128, "y-bins per trajectory (= trajectory length = batch size)", low=2, high=1 << 20)
    num_points: int = knob(5, "points of the line integral (m)", low=1, high=10000)
    alpha: float = knob(1.0, "weight of the regression MSE term (0: the ablation)", low=0.0, high=1e6)
    lr: float = knob(1e-4, "surrogate Adam learning rate", low=1e-8, high=1.0)
    val_size: int = knob(0, "validation rows held out (official: none)", low=0, high=1 << 30)
    negative_slope: float = knob(0.3, "LeakyReLU slope of the surrogate", low=0.0, high=1.0)
    search_lr: float = knob(1e-3, "Adam learning rate of the search", low=1e-8, high=100.0)
    num_candidates: int = knob(128, "designs returned", low=1, high=100000)
    init: str = knob("auto", "search start: auto (noise on TF-Bind-8, else top_k), top_k or noise", choices=INITS)
    hidden: tuple[int, ...] = knob((512, 128, 32), "hidden widths of the surrogate", low=1, high=65536)
    epochs: int = knob(200, "surrogate training epochs", low=0, high=100000)
    search_steps: int = knob(150, "Adam steps of the search", low=0, high=100000)
    record_steps: tuple[int, ...] = knob(_RECORD, "search steps whose designs are scored", low=0,
                                         at_most="search_steps")


def resolve_init(init: str, task_id: str) -> str:
    """``"auto"`` -> ``"noise"`` for TF-Bind-8 (as the official code), ``"top_k"`` otherwise."""
    if init != "auto":
        return init
    return "noise" if task_id.startswith(NOISE_INIT_TASKS) else "top_k"


def train_matchopt_surrogate(x: np.ndarray, y: np.ndarray, config: MatchOptConfig | dict, *, seed: int, device="cpu",
                             progress: bool | None = None, hooks=(), desc: str = "MATCH-OPT surrogate"):
    """Build and train MATCH-OPT's surrogate (step 1 above) through the shared trainer.

    Args:
        x: ``n x D`` float32 model inputs; y: ``n x 1`` float32 (z-scored) scores.
        config: a :class:`MatchOptConfig` (or its ``to_dict()``, e.g. from ``MatchOpt.hyperparameters``); uses
            ``hidden``, ``negative_slope``, ``epochs``, ``num_bins``, ``lr``, ``val_size``, ``num_points``, ``alpha``.
        seed: seeds the weight initialization, the validation split and the trajectories.
        hooks: training hooks (e.g. IGNITE's), passed to :func:`train_surrogate`.

    Returns:
        ``(model, TrainingLog)``.
    """
    if isinstance(config, dict):
        config = MatchOptConfig.from_dict(config)
    torch.manual_seed(seed)
    model = MLP(x.shape[1], config.hidden, activation="leaky_relu", negative_slope=config.negative_slope)
    train_config = TrainConfig(epochs=config.epochs, batch_size=config.num_bins, lr=config.lr, val_size=config.val_size)
    log = train_surrogate(model, x, y, GradientMatchingLoss(config.num_points, config.alpha), train_config, seed=seed,
                          hooks=hooks, batches=monotone_trajectories(y, config.num_bins), device=device,
                          progress=progress, desc=desc)
    return model, log


@register
class MatchOpt(Method):
    name = "MATCH-OPT"
    config_class = MatchOptConfig
    profiles = {
        "smoke": MatchOptConfig(hidden=(32, 16, 8), epochs=1, search_steps=10, record_steps=(0, 5, 10)),
        "quick": MatchOptConfig(epochs=10),
        "paper": MatchOptConfig(),
    }

    def run(self, task, config: MatchOptConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        space = DesignSpace(task, normalize_x=True, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        num_train = x.shape[0] - min(config.val_size, x.shape[0] // 2)
        if config.num_bins > num_train:
            raise InvalidInputError(f"{self.name}: num_bins={config.num_bins} exceeds the {num_train} training designs "
                                    f"of {task.task_id}; lower num_bins")
        if config.num_candidates > x.shape[0]:
            raise InvalidInputError(f"{self.name}: num_candidates={config.num_candidates} exceeds the "
                                    f"{x.shape[0]} designs of {task.task_id}")
        model, log = train_matchopt_surrogate(x, y, config, seed=seed, device=device, progress=progress, hooks=hooks(),
                                              desc=f"MATCH-OPT surrogate {task.task_id}")
        init = resolve_init(config.init, task.task_id)
        if init == "noise":
            noise = torch.randn(config.num_candidates, space.dim, generator=torch.Generator().manual_seed(seed))
            x0 = noise.to(device)
        else:
            x0 = torch.as_tensor(x[space.top_k(config.num_candidates)], device=device)
        for p in model.parameters():
            p.requires_grad_(False)
        try:
            final, snaps = adam_ascent(model, x0, config.search_lr, config.search_steps, record_at=config.record_steps)
        finally:
            for p in model.parameters():
                p.requires_grad_(True)
        decode = lambda z: space.decode(z.cpu().numpy())  # noqa: E731
        extras = {"search_init": init, "paths_per_epoch": int(num_train // config.num_bins)}
        return MethodOutput(designs=decode(final), steps={k: decode(v) for k, v in snaps.items()}, train_logs=[log],
                            extras=extras, surrogate=model, candidate_inputs=final.cpu().numpy())
