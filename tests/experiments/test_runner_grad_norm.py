"""The runner's surrogate gradient norm on the final candidates (IGNITE's sharpness with rho = 1)."""
import numpy as np
import pytest
import torch

from mbo_lib.experiments import RunSpec, execute
from mbo_lib.objectives.ignite import sharpness


def test_record_grad_norm_is_the_explicit_weight_gradient_norm_of_the_mean_prediction():
    record, out = execute(RunSpec(task="TFBind8-Exact-v0", method="GA", profile="smoke", seed=0), device="cpu",
                          progress=False)
    x = torch.as_tensor(np.asarray(out.candidate_inputs, dtype=np.float32))
    params = [p for p in out.surrogate.parameters() if p.requires_grad]
    grads = torch.autograd.grad(out.surrogate(x).mean(), params, allow_unused=True)
    explicit = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads if g is not None)))
    assert explicit > 0
    assert record["surrogate_grad_norm_on_candidates"] == pytest.approx(explicit, rel=1e-5)
    assert record["surrogate_grad_norm_on_candidates"] == pytest.approx(sharpness(out.surrogate, x, 1.0), rel=1e-12)
