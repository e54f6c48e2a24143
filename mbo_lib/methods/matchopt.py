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

Profiles (paper = the official code, ``../shared/reference/hyperparameters.md``; all share ``num_bins=128``,
``num_points=5``, ``alpha=1``, Adam ``lr=1e-4``, ``val_size=0``, ``search_lr=1e-3``, ``num_candidates=128``,
``init="auto"``, LeakyReLU slope 0.3):

=========  ==============  ======  ============  ========================================
profile    hidden          epochs  search_steps  record_steps
=========  ==============  ======  ============  ========================================
smoke      32, 16, 8       1       10            0, 5, 10
quick      512, 128, 32    10      150           0, 25, 50, 75, 100, 125, 150
paper      512, 128, 32    200     150           0, 25, 50, 75, 100, 125, 150
=========  ==============  ======  ============  ========================================

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

import numpy as np
import torch

from ..design_space import DesignSpace
from ..errors import InvalidInputError
from ..objectives.matchopt import GradientMatchingLoss, monotone_trajectories
from ..search.adam_ascent import adam_ascent
from ..surrogates.models import MLP
from ..surrogates.trainer import TrainConfig, train_surrogate
from .base import Method, MethodOutput, no_hooks
from .registry import register

INITS = ("auto", "top_k", "noise")
NOISE_INIT_TASKS = ("TFBind8",)  # official: init='rand' for tf-bind-8 and utr (UTR is not in this project)
_RECORD = [0, 25, 50, 75, 100, 125, 150]
_COMMON = dict(num_bins=128, num_points=5, alpha=1.0, lr=1e-4, val_size=0, negative_slope=0.3, search_lr=1e-3,
               num_candidates=128, init="auto")


def resolve_init(init: str, task_id: str) -> str:
    """``"auto"`` -> ``"noise"`` for TF-Bind-8 (as the official code), ``"top_k"`` otherwise."""
    if init != "auto":
        return init
    return "noise" if task_id.startswith(NOISE_INIT_TASKS) else "top_k"


def train_matchopt_surrogate(x: np.ndarray, y: np.ndarray, hp: dict, *, seed: int, device="cpu",
                             progress: bool | None = None, hooks=(), desc: str = "MATCH-OPT surrogate"):
    """Build and train MATCH-OPT's surrogate (step 1 above) through the shared trainer.

    Args:
        x: ``n x D`` float32 model inputs; y: ``n x 1`` float32 (z-scored) scores.
        hp: hyperparameters with ``hidden``, ``negative_slope``, ``epochs``, ``num_bins``, ``lr``, ``val_size``,
            ``num_points``, ``alpha`` (a profile of :class:`MatchOpt`).
        seed: seeds the weight initialization, the validation split and the trajectories.
        hooks: training hooks (e.g. IGNITE's), passed to :func:`train_surrogate`.

    Returns:
        ``(model, TrainingLog)``.
    """
    torch.manual_seed(seed)
    model = MLP(x.shape[1], hp["hidden"], activation="leaky_relu", negative_slope=hp["negative_slope"])
    config = TrainConfig(epochs=hp["epochs"], batch_size=hp["num_bins"], lr=hp["lr"], val_size=hp["val_size"])
    log = train_surrogate(model, x, y, GradientMatchingLoss(hp["num_points"], hp["alpha"]), config, seed=seed,
                          hooks=hooks, batches=monotone_trajectories(y, hp["num_bins"]), device=device,
                          progress=progress, desc=desc)
    return model, log


@register
class MatchOpt(Method):
    name = "MATCH-OPT"
    profiles = {
        "smoke": dict(_COMMON, hidden=[32, 16, 8], epochs=1, search_steps=10, record_steps=[0, 5, 10]),
        "quick": dict(_COMMON, hidden=[512, 128, 32], epochs=10, search_steps=150, record_steps=_RECORD),
        "paper": dict(_COMMON, hidden=[512, 128, 32], epochs=200, search_steps=150, record_steps=_RECORD),
    }
    ranges = dict(hidden=(1, 65536), epochs=(0, 100000), num_bins=(2, 1 << 20), num_points=(1, 10000),
                  alpha=(0.0, 1e6), lr=(1e-8, 1.0), val_size=(0, 1 << 30), negative_slope=(0.0, 1.0),
                  search_lr=(1e-8, 100.0), num_candidates=(1, 100000), search_steps=(0, 100000),
                  record_steps=(0, 100000))
    integer_keys = ("hidden", "epochs", "num_bins", "num_points", "val_size", "num_candidates", "search_steps",
                    "record_steps")

    def hyperparameters(self, profile: str, overrides: dict | None = None) -> dict:
        """The profile with ``overrides``, range-checked; also checks integer fields and ``init``."""
        hp = super().hyperparameters(profile, overrides)
        for key in self.integer_keys:
            values = hp[key] if isinstance(hp[key], (list, tuple)) else [hp[key]]
            if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
                raise InvalidInputError(f"{self.name}: {key}={hp[key]!r} must be integer(s)")
        if hp["init"] not in INITS:
            raise InvalidInputError(f"{self.name}: init={hp['init']!r} is not one of {INITS}")
        return hp

    def run(self, task, hp, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        space = DesignSpace(task, normalize_x=True, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        num_train = x.shape[0] - min(hp["val_size"], x.shape[0] // 2)
        if hp["num_bins"] > num_train:
            raise InvalidInputError(f"{self.name}: num_bins={hp['num_bins']} exceeds the {num_train} training designs "
                                    f"of {task.task_id}; lower num_bins")
        if hp["num_candidates"] > x.shape[0]:
            raise InvalidInputError(f"{self.name}: num_candidates={hp['num_candidates']} exceeds the "
                                    f"{x.shape[0]} designs of {task.task_id}")
        model, log = train_matchopt_surrogate(x, y, hp, seed=seed, device=device, progress=progress, hooks=hooks(),
                                              desc=f"MATCH-OPT surrogate {task.task_id}")
        init = resolve_init(hp["init"], task.task_id)
        if init == "noise":
            noise = torch.randn(hp["num_candidates"], space.dim, generator=torch.Generator().manual_seed(seed))
            x0 = noise.to(device)
        else:
            x0 = torch.as_tensor(x[space.top_k(hp["num_candidates"])], device=device)
        for p in model.parameters():
            p.requires_grad_(False)
        try:
            final, snaps = adam_ascent(model, x0, hp["search_lr"], hp["search_steps"], record_at=hp["record_steps"])
        finally:
            for p in model.parameters():
                p.requires_grad_(True)
        decode = lambda z: space.decode(z.cpu().numpy())  # noqa: E731
        extras = {"search_init": init, "paths_per_epoch": int(num_train // hp["num_bins"])}
        return MethodOutput(designs=decode(final), steps={k: decode(v) for k, v in snaps.items()}, train_logs=[log],
                            extras=extras, surrogate=model, candidate_inputs=final.cpu().numpy())
