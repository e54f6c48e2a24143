"""COMs' conservative term: push down the surrogate on its own adversarial designs (Trabucco et al., ICML 2021).

Conservative Objective Models train ``f_theta`` by (Eq. 3 of the paper, in its Lagrangian form, Sec. 4.2 and
the official ``design_baselines/coms_cleaned/trainers.py``)

    min_theta  MSE(f_theta(x), y) + alpha * ( mean f_theta(x_adv) - mean f_theta(x) )
    max_{alpha >= 0}  alpha * ( gap - tau ),      gap = mean f_theta(x_adv) - mean f_theta(x),

where ``x_adv`` are "particles": ``T`` steps of gradient ascent ``x <- x + eta * grad_x f_theta(x)`` from the
minibatch's own designs (treated as constants: no gradient flows through the particle path into ``theta``), and
``tau`` is the overestimation limit. ``alpha = exp(log_alpha)`` stays positive; ``log_alpha`` takes an Adam step
(lr ``alpha_lr``) on ``alpha * (tau - gap)`` after every model step, using the gap of that same minibatch.

Here the conservative part is a loss *term* for :func:`~mbo_lib.surrogates.train_surrogate` plus a
:class:`~mbo_lib.surrogates.TrainingHook` doing the dual step, so other hooks (IGNITE) combine with it freely:

    term = ConservativeTerm(particle_lr=2.0 * math.sqrt(D), particle_steps=50, overestimation_limit=2.0)
    train_surrogate(model, x, y, mse, config, terms=[(1.0, term)], hooks=[term.dual_hook(), *other_hooks])

Shapes: ``x`` is ``n x D``, ``y`` is ``n x 1``, ``model(x)`` is ``n x 1``.
The official code's particle "entropy" bonus is omitted: its coefficient is 0 in the paper's run scripts.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import InvalidInputError
from ..surrogates.trainer import TrainingHook


def adversarial_particles(model: nn.Module, x: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
    """``steps`` gradient-ascent steps on ``model`` from ``x`` (detached); returns detached ``n x D`` particles.

    Uses ``torch.autograd.grad`` w.r.t. the inputs only, so the parameters' ``.grad`` are untouched.
    """
    xt = x.detach()
    for _ in range(steps):
        xt = xt.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model(xt).sum(), xt)
        xt = (xt + lr * grad).detach()
    return xt


class ConservativeTerm:
    """The loss term ``alpha * (mean f(x_adv) - mean f(x))`` with its Lagrange multiplier ``alpha`` (state).

    Args:
        particle_lr: particle step size ``eta`` (COMs: ``0.05 * sqrt(D)`` continuous, ``2.0 * sqrt(D)`` TF-Bind).
        particle_steps: ``T``, ascent steps per minibatch (COMs: 50).
        overestimation_limit: ``tau`` (COMs: 0.5 continuous, 2.0 TF-Bind).
        alpha: initial multiplier (COMs paper scripts: 0.1).
        alpha_lr: Adam learning rate of ``log_alpha`` (0.01).

    Calling the term returns ``(alpha * gap, logs)`` with ``alpha`` a constant for the model's gradient; the
    gap of the call is kept for :meth:`dual_step`.
    """

    def __init__(self, particle_lr: float, particle_steps: int, overestimation_limit: float, alpha: float = 0.1,
                 alpha_lr: float = 0.01):
        if particle_steps < 0 or particle_lr < 0 or alpha <= 0 or alpha_lr < 0:
            raise InvalidInputError(f"COMs term needs particle_steps >= 0, particle_lr >= 0, alpha > 0, alpha_lr >= 0; "
                                    f"got {particle_steps=}, {particle_lr=}, {alpha=}, {alpha_lr=}")
        self.particle_lr, self.particle_steps = float(particle_lr), int(particle_steps)
        self.overestimation_limit = float(overestimation_limit)
        self.log_alpha = torch.tensor(math.log(alpha), dtype=torch.float32, requires_grad=True)
        self.alpha_optimizer = torch.optim.Adam([self.log_alpha], lr=alpha_lr)
        self.last_gap: float | None = None

    @property
    def alpha(self) -> float:
        return float(self.log_alpha.detach().exp())

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor):
        x_adv = adversarial_particles(model, x, self.particle_lr, self.particle_steps)
        gap = model(x_adv).mean() - model(x).mean()
        self.last_gap = float(gap.detach())
        alpha = self.alpha
        return alpha * gap, {"coms_gap": self.last_gap, "coms_alpha": alpha}

    def dual_step(self) -> None:
        """One Adam step on ``log_alpha`` for ``alpha * (tau - gap)`` with the gap of the last call."""
        if self.last_gap is None:
            return
        self.alpha_optimizer.zero_grad(set_to_none=True)
        (self.log_alpha.exp() * (self.overestimation_limit - self.last_gap)).backward()
        self.alpha_optimizer.step()

    def dual_hook(self) -> "LagrangeMultiplierHook":
        return LagrangeMultiplierHook(self)


class LagrangeMultiplierHook(TrainingHook):
    """Takes the COMs dual step after every optimizer step; logs ``alpha`` at the end of each epoch."""

    def __init__(self, term: ConservativeTerm):
        self.term = term

    def after_step(self, model, x, y) -> None:
        self.term.dual_step()

    def epoch_logs(self) -> dict:
        return {"coms_alpha_end": self.term.alpha}
