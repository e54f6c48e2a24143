"""GA: gradient ascent on design-baselines' Gaussian surrogate (the "Grad." row of the design-bench table).

1. Train ``GaussianMLP`` (2 x 2048, LeakyReLU) by Gaussian NLL on z-scored x (logits for discrete tasks) and y.
2. From the top-128 designs, take ``search_steps`` steps ``x <- x + lr * grad_x mean(x)``, ``lr = lr_scale * sqrt(D)``.
3. Score the designs at the last step (and at ``record_steps`` for score-vs-step curves).

Profiles (paper = design-baselines' settings, ``../shared/reference/hyperparameters.md``):

=========  ============  ======  =====  ========  =====  ======  =========
profile    hidden        epochs  batch  lr        val    steps   lr_scale
=========  ============  ======  =====  ========  =====  ======  =========
smoke      32, 32        1       128    3e-4      200    20      0.01
quick      256, 256      20      128    3e-4      200    200     0.01
paper      2048, 2048    100     128    3e-4      200    200     0.01
=========  ============  ======  =====  ========  =====  ======  =========
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..design_space import DesignSpace
from ..objectives.regression import gaussian_nll
from ..search.gradient_ascent import gradient_ascent
from ..surrogates.models import GaussianMLP
from ..surrogates.trainer import TrainConfig, train_surrogate
from .base import Method, MethodOutput, no_hooks
from .registry import register

_COMMON = dict(batch_size=128, lr=3e-4, val_size=200, lr_scale=0.01, num_candidates=128)


@register
class GA(Method):
    name = "GA"
    profiles = {
        "smoke": dict(_COMMON, hidden=[32, 32], epochs=1, search_steps=20, record_steps=[0, 10, 20]),
        "quick": dict(_COMMON, hidden=[256, 256], epochs=20, search_steps=200, record_steps=[0, 50, 100, 150, 200]),
        "paper": dict(_COMMON, hidden=[2048, 2048], epochs=100, search_steps=200,
                      record_steps=[0, 25, 50, 75, 100, 125, 150, 175, 200]),
    }
    ranges = dict(hidden=(1, 65536), epochs=(0, 10000), batch_size=(1, 1 << 20), lr=(1e-8, 1.0),
                  val_size=(0, 1 << 30), lr_scale=(0.0, 100.0), num_candidates=(1, 100000),
                  search_steps=(0, 100000), record_steps=(0, 100000))

    def run(self, task, hp, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        space = DesignSpace(task, normalize_x=True, normalize_y=True)
        x, y = space.encode(task.x), space.encode_y(task.y)
        torch.manual_seed(seed)
        model = GaussianMLP(space.dim, hp["hidden"])
        config = TrainConfig(epochs=hp["epochs"], batch_size=hp["batch_size"], lr=hp["lr"], val_size=hp["val_size"])
        log = train_surrogate(model, x, y, gaussian_nll, config, seed=seed, hooks=hooks(), device=device,
                              progress=progress, desc=f"GA surrogate {task.task_id}")
        x0 = torch.as_tensor(x[space.top_k(hp["num_candidates"])], device=device)
        lr = hp["lr_scale"] * math.sqrt(space.dim)
        final, snaps = gradient_ascent(model, x0, lr, hp["search_steps"], record_at=hp["record_steps"])
        decode = lambda z: space.decode(z.cpu().numpy())  # noqa: E731
        return MethodOutput(designs=decode(final), steps={k: decode(v) for k, v in snaps.items()}, train_logs=[log],
                            extras={"search_lr": lr}, surrogate=model, candidate_inputs=final.cpu().numpy())
