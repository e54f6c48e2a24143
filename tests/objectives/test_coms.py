import math

import numpy as np
import pytest
import torch
from torch import nn

from mbo_lib.errors import InvalidInputError
from mbo_lib.objectives.coms import ConservativeTerm, adversarial_particles
from mbo_lib.objectives.regression import mse
from mbo_lib.surrogates import MLP, TrainConfig, train_surrogate


class Quadratic(nn.Module):
    """f(x) = c * ||x||^2 (one parameter), so grad_x f = 2 c x and every particle step is x <- (1 + 2 c lr) x."""

    def __init__(self, c=0.5):
        super().__init__()
        self.c = nn.Parameter(torch.tensor(c))

    def forward(self, x):
        return self.c * (x ** 2).sum(-1, keepdim=True)


def test_particles_and_gap_match_a_hand_computation():
    x = torch.tensor([[1.0, -2.0], [0.5, 0.0], [3.0, 1.0]])
    model, lr, steps = Quadratic(0.5), 0.1, 3
    factor = (1 + 2 * 0.5 * lr) ** steps  # each step multiplies x by 1 + 2 c lr
    torch.testing.assert_close(adversarial_particles(model, x, lr, steps), x * factor)
    term = ConservativeTerm(particle_lr=lr, particle_steps=steps, overestimation_limit=0.5, alpha=0.3)
    value, logs = term(model, x, None)
    sq = (x ** 2).sum(-1)
    gap = 0.5 * (sq * factor ** 2).mean() - 0.5 * sq.mean()
    assert logs["coms_gap"] == pytest.approx(float(gap), rel=1e-6)
    assert float(value) == pytest.approx(0.3 * float(gap), rel=1e-6)
    assert logs["coms_alpha"] == pytest.approx(0.3)


def test_particles_are_constants_for_the_model_gradient():
    # f = w.x + b: particles x + T lr w; d(alpha * gap)/dw = alpha * (mean x_adv - mean x) = alpha T lr w (not 2x)
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x = torch.randn(5, 3)
    term = ConservativeTerm(particle_lr=0.2, particle_steps=4, overestimation_limit=1.0, alpha=0.1)
    value, _ = term(model, x, None)
    assert model.weight.grad is None  # the particle ascent did not touch the parameters' grads
    (grad_w,) = torch.autograd.grad(value, model.weight)
    torch.testing.assert_close(grad_w, 0.1 * 4 * 0.2 * model.weight.detach())
    assert float(value) == pytest.approx(0.1 * 4 * 0.2 * float((model.weight ** 2).sum()), rel=1e-5)


@pytest.mark.parametrize("gap_above_limit", [True, False])
def test_dual_step_moves_alpha_towards_the_constraint(gap_above_limit):
    x = torch.ones(4, 2)
    term = ConservativeTerm(particle_lr=0.1, particle_steps=2, overestimation_limit=0.0 if gap_above_limit else 100.0,
                            alpha=0.1, alpha_lr=0.01)
    term(Quadratic(0.5), x, None)
    term.dual_step()
    # Adam's first step has size lr in the direction of -sign(grad); grad = alpha * (limit - gap)
    expected = math.log(0.1) + (0.01 if gap_above_limit else -0.01)
    assert float(term.log_alpha) == pytest.approx(expected, abs=1e-6)


def test_term_and_hook_plug_into_the_shared_trainer():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = x[:, :1] ** 2
    torch.manual_seed(0)
    model = MLP(4, [16, 16])
    term = ConservativeTerm(particle_lr=0.1, particle_steps=3, overestimation_limit=0.2, alpha=0.1)
    log = train_surrogate(model, x, y, mse, TrainConfig(epochs=2, batch_size=64, val_size=50), seed=0,
                          terms=[(1.0, term)], hooks=[term.dual_hook()], progress=False)
    last = log.last()
    assert {"train_mse", "train_coms_gap", "train_coms_alpha", "coms_alpha_end"} <= set(last)
    assert last["coms_alpha_end"] == pytest.approx(term.alpha)
    assert term.alpha != pytest.approx(0.1)  # the multiplier moved
    assert last["train_loss"] != pytest.approx(last["train_mse"])  # the term is part of the training loss


def test_bad_arguments_raise():
    with pytest.raises(InvalidInputError, match="particle_steps"):
        ConservativeTerm(particle_lr=0.1, particle_steps=-1, overestimation_limit=0.5)
    with pytest.raises(InvalidInputError, match="alpha"):
        ConservativeTerm(particle_lr=0.1, particle_steps=1, overestimation_limit=0.5, alpha=0.0)
