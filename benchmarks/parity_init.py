"""Model parity (issue 12, 2a): ||grad_w h|| of GA's surrogate under PyTorch's and Keras' default initialization.

IGNITE's constraint is rho * ||grad_w h(w)|| <= epsilon with h the mean surrogate prediction over a minibatch; epsilon
is an absolute threshold, so it depends on the weights' scale. Our ``GaussianMLP`` used PyTorch's ``nn.Linear``
default (kaiming_uniform(a=sqrt 5): U(+-1/sqrt(fan_in)), biases U(+-1/sqrt(fan_in))); the official TensorFlow
``ForwardModel`` gets Keras' defaults (glorot_uniform kernels U(+-sqrt(6/(fan_in+fan_out))), zero biases).

This script trains GA's paper-size surrogate (2 x 2048, LeakyReLU(0.3), design-baselines' settings: Gaussian NLL,
Adam 3e-4, batch 128, 100 epochs, 200 validation rows) on TF-Bind-10 under both initializations (same seed, same
minibatch order) and logs, at initialization and at the end of selected epochs:

- ``grad_norm_minibatch``: ||grad_w h|| with h = mean prediction over a fixed random minibatch of 128 training rows
  (what IGNITE constrains, times rho);
- ``grad_norm_top128``: the same over the 128 best training designs (where gradient ascent starts);
- ``sharpness_*``: rho * the above, rho = 0.05 (IGNITE's setting; epsilon = 0.1);
- the validation NLL.

Usage: python benchmarks/parity_init.py [--epochs 100] [--hidden 2048] [--out benchmarks/results/parity_init.json]
(1 torch thread; about 9 minutes per initialization at the paper size on one quiet core).
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch
from torch import nn

from mbo_lib.design_space import DesignSpace
from mbo_lib.objectives.ignite import sharpness
from mbo_lib.objectives.regression import gaussian_nll
from mbo_lib.surrogates.models import GaussianMLP
from mbo_lib.surrogates.trainer import TrainConfig, TrainingHook, train_surrogate
from mbo_lib.tasks import make

RHO = 0.05


def glorot_uniform_(model: nn.Module, generator: torch.Generator) -> None:
    """Keras' Dense defaults: glorot_uniform kernel, zero bias (every nn.Linear)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                fan_out, fan_in = m.weight.shape
                limit = math.sqrt(6.0 / (fan_in + fan_out))
                m.weight.uniform_(-limit, limit, generator=generator)
                m.bias.zero_()


class GradNormProbe(TrainingHook):
    """Logs ||grad_w h|| on fixed inputs at the end of every epoch (h = mean prediction)."""

    def __init__(self, probes: dict[str, np.ndarray], every: set[int]):
        self.probes, self.every, self.epoch, self.model = probes, every, 0, None

    def setup(self, model, optimizer):
        self.model = model

    def epoch_logs(self):
        self.epoch += 1
        if self.epoch not in self.every:
            return {}
        return {f"grad_norm_{k}": sharpness(self.model, v, 1.0) for k, v in self.probes.items()}


def run(init: str, epochs: int, hidden: int, seed: int = 0) -> dict:
    torch.set_num_threads(1)
    task = make("TFBind10-Exact-v0")
    space = DesignSpace(task, normalize_x=True, normalize_y=True)
    x, y = space.encode(task.x), space.encode_y(task.y)
    rng = np.random.default_rng(1234)
    probes = {"minibatch": x[rng.choice(len(x), 128, replace=False)], "top128": x[space.top_k(128)]}
    torch.manual_seed(seed)
    model = GaussianMLP(space.dim, [hidden, hidden], "leaky_relu", 0.3)
    if init == "keras":
        glorot_uniform_(model, torch.Generator().manual_seed(seed))
    at_init = {f"grad_norm_{k}": sharpness(model, v, 1.0) for k, v in probes.items()}
    probe = GradNormProbe(probes, {1, 2, 5, 10, 25, 50, 75, 100, epochs})
    start, cpu = time.perf_counter(), time.process_time()
    log = train_surrogate(model, x, y, gaussian_nll, TrainConfig(epochs=epochs, batch_size=128, lr=3e-4, val_size=200),
                          seed=seed, hooks=[probe], device="cpu", progress=False)
    rows = [{"epoch": 0, **at_init}] + [{"epoch": i + 1, **{k: v for k, v in e.items() if k.startswith(("grad_norm", "val"))}}
                                        for i, e in enumerate(log.epochs) if any(k.startswith("grad_norm") for k in e)]
    return {"init": init, "epochs": epochs, "hidden": hidden, "seed": seed, "rows": rows,
            "wall_seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "weight_norms": {n: float(p.detach().norm()) for n, p in model.named_parameters()}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--out", default="benchmarks/results/parity_init.json")
    args = ap.parse_args()
    out = []
    for init in ("torch", "keras"):
        res = run(init, args.epochs, args.hidden)
        out.append(res)
        print(init, json.dumps(res["rows"]), f"{res['cpu_seconds']:.0f} s CPU", flush=True)
        with open(args.out, "w") as f:
            json.dump({"rho": RHO, "task": "TFBind10-Exact-v0", "runs": out}, f, indent=1)


if __name__ == "__main__":
    main()
