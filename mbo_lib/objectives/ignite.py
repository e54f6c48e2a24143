"""IGNITE: a constraint on the surrogate's gradient norm, solved by BDMM during training.

Dao et al., "Incorporating Surrogate Gradient Norm to Improve Offline Optimization Techniques", NeurIPS 2024
(official code: cuong-dm/IGNITE, TensorFlow, on design-baselines). We follow the official code, summarised in
``../shared/reference/hyperparameters.md``.

With ``h(w) = mean_i f_w(x_i)`` the surrogate's mean prediction over the current minibatch, IGNITE trains

    min_w L(w)   subject to   rho * ||grad_w h(w)|| <= epsilon,

where ``||.||`` is the global L2 norm over ALL parameters (a weight gradient, not an input gradient). Its
basic differential multiplier method (BDMM) does, every minibatch:

1. ``g = grad_w L(w)`` (the trainer's ``loss.backward()``);
2. ``d = grad_w h(w)``, ``n = ||d||``;
3. ``grad_w ||grad_w h|| = H d / n`` (``H`` the Hessian of ``h``), either by the paper's finite difference
   ``(grad_w h(w + r d / n) - d) / r`` (``hvp="finite_difference"``, three gradient evaluations per step in
   total) or exactly by double backward (``hvp="double_backward"``);
4. descent on the weights with ``g + lambda * rho * grad_w ||grad_w h||`` (Adam);
5. ascent on the multiplier: ``lambda <- lambda + eta_lambda * (rho * n - epsilon)``.

The official code does not clip ``lambda`` at 0 in step 5, so a slack constraint drives ``lambda`` negative and
the constraint gradient then *raises* the gradient norm; that is our default (``clip_lambda=False``);
``clip_lambda=True`` projects ``lambda`` onto ``[0, inf)`` after each dual step, the textbook dual ascent.

IGNITE-2 (:func:`ignite2_hook`): a fixed penalty ``lambda = 0.01`` with ``rho = r = 0.2`` and no dual step.

Where we differ from the official code (none of it changes the default update):

- ``hvp="double_backward"`` and ``clip_lambda=True`` are options the official code does not have.
- The finite difference restores the weights by copying the saved values back (bit-for-bit), not by
  subtracting the perturbation again.
- ``||grad_w h|| = 0`` (e.g. an untrained all-zero net) gives a zero constraint gradient instead of a division
  by zero.
- ``g`` is the gradient of whatever the shared trainer minimised (base loss plus any ``terms``), i.e. the
  method's own full loss, as in the official code where IGNITE wraps each baseline's training step.
- IGNITE-2 keeps ``epsilon`` (0.1) only for the logged violation; it plays no role in its update.

Cost: the finite difference needs two extra forward+backward passes per step on top of the loss's one, so an
IGNITE step costs about 3x a plain step, a bit less where the Adam update is a visible share of the step;
``benchmarks/bench_ignite.py`` measures it (``benchmarks/results/ignite.md``).

Shapes: ``x`` is ``n x D``; ``model(x)`` is ``n x 1`` (any shape works: ``h`` is the mean of all outputs).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
import numpy as np
import torch
from torch import nn

from ..errors import InvalidInputError
from ..surrogates.trainer import TrainingHook

HVP_METHODS = ("finite_difference", "double_backward")
LOG_KEYS = ("ignite_grad_norm", "ignite_sharpness", "ignite_lambda", "ignite_violation", "ignite_lambda_end")


def trainable_parameters(model: nn.Module) -> list[torch.Tensor]:
    """The parameters IGNITE constrains: all of them that require grad."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise InvalidInputError(f"{type(model).__name__} has no trainable parameters")
    return params


def mean_prediction_gradient(model: nn.Module, x: torch.Tensor, params: list[torch.Tensor],
                             create_graph: bool = False) -> list[torch.Tensor]:
    """``d = grad_w h(w)`` with ``h = model(x).mean()``, one tensor per parameter (zeros where unused)."""
    h = model(x).mean()
    grads = torch.autograd.grad(h, params, allow_unused=True, create_graph=create_graph)
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]


def global_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    """``sqrt(sum_k ||t_k||^2)`` as a 0-d tensor (differentiable; no parameter-sized temporaries)."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in tensors]))


def norm_gradient(model: nn.Module, x: torch.Tensor, *, r: float = 0.05, hvp: str = "finite_difference",
                  params: list[torch.Tensor] | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
    """``grad_w ||grad_w h(w)||`` and ``||grad_w h(w)||`` for ``h = model(x).mean()``.

    Args:
        model: the surrogate, ``n x D -> n x 1``.
        x: the minibatch, ``n x D``.
        r: finite-difference radius (IGNITE: 0.05; IGNITE-2: 0.2); ignored by ``double_backward``.
        hvp: ``"finite_difference"``: ``(grad_w h(w + r d/n) - d) / r`` with ``d = grad_w h(w)``, ``n = ||d||``
            (the official code; parameters are restored bit-for-bit afterwards); ``"double_backward"``: the
            exact ``H d / n`` by differentiating ``||d||`` through autograd.
        params: the parameters (default: :func:`trainable_parameters`).

    Returns:
        ``(list of tensors shaped like params, n)``; all zeros when ``n == 0`` (the norm is not differentiable
        there).
    """
    if hvp not in HVP_METHODS:
        raise InvalidInputError(f"hvp must be one of {HVP_METHODS}, got {hvp!r}")
    params = trainable_parameters(model) if params is None else params
    if hvp == "double_backward":
        with torch.enable_grad():
            d = mean_prediction_gradient(model, x, params, create_graph=True)
            n = global_norm(d)
            if float(n.detach()) == 0.0 or not n.requires_grad:  # zero norm, or h linear in w (H = 0)
                return [torch.zeros_like(p) for p in params], n.detach()
            grads = torch.autograd.grad(n, params, allow_unused=True)
        return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)], n.detach()
    with torch.enable_grad():
        d = mean_prediction_gradient(model, x, params)
    n = global_norm(d)
    if float(n) == 0.0:
        return [torch.zeros_like(p) for p in params], n
    saved = [p.detach().clone() for p in params]
    with torch.no_grad():
        torch._foreach_add_(params, d, alpha=r / float(n))
    try:
        with torch.enable_grad():
            d_shift = mean_prediction_gradient(model, x, params)
    finally:
        with torch.no_grad():
            for p, s in zip(params, saved):
                p.copy_(s)
    torch._foreach_sub_(d_shift, d)  # in place: these are parameter-sized (4M floats at the paper size)
    torch._foreach_div_(d_shift, r)
    return d_shift, n


def stacked_norm_gradient(member_means, params: list[torch.Tensor], *, r: float = 0.05,
                          hvp: str = "finite_difference") -> tuple[list[torch.Tensor], torch.Tensor]:
    """:func:`norm_gradient` for M members stored as stacked tensors (a batched ensemble), all at once.

    Args:
        member_means: ``() -> M`` tensor, ``h_m(w)`` = member m's mean prediction over its own minibatch.
        params: tensors with leading dimension M; slice ``[m]`` may only affect ``h_m`` (disjoint members).
        r, hvp: as in :func:`norm_gradient`.

    Returns:
        ``(list shaped like params, n)`` with ``[m]`` slices ``grad ||grad h_m|| = H_m d_m / n_m`` and ``n`` the
        M per-member norms ``n_m = ||grad_{w_m} h_m||`` (zero gradient for a member with ``n_m = 0``).
    """
    if hvp not in HVP_METHODS:
        raise InvalidInputError(f"hvp must be one of {HVP_METHODS}, got {hvp!r}")

    def per_member_norm(grads):  # M: sqrt(sum_k ||g_k[m]||^2), no cross-member terms
        return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads]), dim=0)

    def member_view(v, like):  # M -> M x 1 x ... to broadcast over a stacked tensor
        return v.view(-1, *([1] * (like.ndim - 1)))

    with torch.enable_grad():
        d = torch.autograd.grad(member_means().sum(), params, create_graph=hvp == "double_backward")
        n = per_member_norm(d)
        alive = n.detach() > 0
        if hvp == "double_backward":
            if not n.requires_grad:  # h linear in w: H = 0
                return [torch.zeros_like(p) for p in params], n.detach()
            out = torch.autograd.grad(torch.where(alive, n, torch.zeros_like(n)).sum(), params, allow_unused=True)
            return [torch.zeros_like(p) if g is None else g for g, p in zip(out, params)], n.detach()
    step = torch.where(alive, r / torch.where(alive, n, torch.ones_like(n)), torch.zeros_like(n))
    saved = [p.detach().clone() for p in params]
    with torch.no_grad():
        for p, g in zip(params, d):
            p.add_(g * member_view(step, p))
    try:
        with torch.enable_grad():
            d_shift = torch.autograd.grad(member_means().sum(), params)
    finally:
        with torch.no_grad():
            for p, sv in zip(params, saved):
                p.copy_(sv)
    keep = alive.to(n.dtype)
    return [(ds - g) / r * member_view(keep, g) for ds, g in zip(d_shift, d)], n


def sharpness(model: nn.Module, x, rho: float = 0.05) -> float:
    """``rho * ||grad_w mean(model(x))||``: IGNITE's sharpness measure, e.g. on the optimizer's candidates.

    The paper tabulates it on unseen designs to show IGNITE lowers it there too. For an ensemble
    (``model(x)`` of shape ``M x n x 1``) this is the norm over all members' parameters of the gradient of the
    ensemble mean; call it on each member for per-member values.

    Args:
        model: the surrogate, ``n x D -> n x 1``.
        x: ``n x D`` designs (numpy or torch), in the surrogate's input space (``DesignSpace.encode``).
        rho: the scale (IGNITE: 0.05).

    Returns:
        a float.

    Example:
        >>> m = nn.Linear(3, 1); x = torch.randn(5, 3)
        >>> abs(sharpness(m, x, 1.0) - float(torch.cat([x.mean(0), torch.ones(1)]).norm())) < 1e-5
        True
    """
    params = trainable_parameters(model)
    ref = params[0]
    x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x).to(device=ref.device, dtype=ref.dtype)
    if x.ndim != 2 or x.shape[0] == 0:
        raise InvalidInputError(f"need x of shape (n, D) with n >= 1, got {tuple(x.shape)=}")
    if not math.isfinite(rho) or rho < 0:
        raise InvalidInputError(f"rho must be finite and >= 0, got {rho!r}")
    with torch.enable_grad():
        d = mean_prediction_gradient(model, x, params)
    return rho * float(global_norm(d))


@dataclass(frozen=True)
class IgniteConfig:
    """IGNITE's settings (defaults: the paper's run scripts).

    Attributes:
        epsilon: constraint level on ``rho * ||grad_w h||`` (0.1).
        lambda_init: initial multiplier (0.001; IGNITE-2: the fixed 0.01).
        eta_lambda: dual ascent rate (1e-3).
        rho: scale of the gradient norm in the constraint (0.05; IGNITE-2: 0.2).
        r: finite-difference radius (0.05; IGNITE-2: 0.2).
        dual_update: take the dual step every minibatch (IGNITE-2: False, lambda stays fixed).
        clip_lambda: keep lambda >= 0 after each dual step (official code: False).
        hvp: ``"finite_difference"`` (official) or ``"double_backward"`` (exact).
    """

    epsilon: float = 0.1
    lambda_init: float = 1e-3
    eta_lambda: float = 1e-3
    rho: float = 0.05
    r: float = 0.05
    dual_update: bool = True
    clip_lambda: bool = False
    hvp: str = "finite_difference"

    def __post_init__(self):
        for name in ("epsilon", "lambda_init", "eta_lambda", "rho", "r"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidInputError(f"IGNITE {name} must be a finite number, got {value!r}")
        for name in ("epsilon", "eta_lambda", "lambda_init"):
            if getattr(self, name) < 0:
                raise InvalidInputError(f"IGNITE {name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("rho", "r"):
            if getattr(self, name) <= 0:
                raise InvalidInputError(f"IGNITE {name} must be > 0, got {getattr(self, name)!r}")
        for name in ("dual_update", "clip_lambda"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInputError(f"IGNITE {name} must be True or False, got {getattr(self, name)!r}")
        if self.hvp not in HVP_METHODS:
            raise InvalidInputError(f"IGNITE hvp must be one of {HVP_METHODS}, got {self.hvp!r}")

    @classmethod
    def from_dict(cls, params: dict, **defaults) -> "IgniteConfig":
        """Build from user parameters over ``defaults``; unknown keys raise :class:`InvalidInputError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise InvalidInputError(f"IGNITE has no parameter(s) {unknown}; it has {sorted(known)}")
        return cls(**{**defaults, **params})

    def as_dict(self) -> dict:
        return asdict(self)


IGNITE2_DEFAULTS = dict(lambda_init=0.01, rho=0.2, r=0.2, dual_update=False)


class IgniteHook(TrainingHook):
    """IGNITE as a :class:`~mbo_lib.surrogates.trainer.TrainingHook` of the shared trainer.

    ``after_backward`` adds ``lambda * rho * grad_w ||grad_w h||`` to every parameter's ``.grad``;
    ``after_step`` takes the dual step. One hook = one multiplier: give each ensemble member its own hook
    (:func:`mbo_lib.objectives.regularizer_factory` does).

    Per-epoch logs (means over the epoch's minibatches): ``ignite_grad_norm`` (``||grad_w h||`` before the
    step), ``ignite_sharpness`` (``rho * ||grad_w h||``), ``ignite_lambda`` (the multiplier each step used),
    ``ignite_violation`` (``rho * ||grad_w h|| - epsilon``; positive = constraint violated), and
    ``ignite_lambda_end`` (the multiplier after the epoch's last dual step).

    Example:
        >>> hook = IgniteHook(IgniteConfig(epsilon=0.1))
        >>> # train_surrogate(model, x, y, gaussian_nll, TrainConfig(), hooks=[hook])
    """

    def __init__(self, config: IgniteConfig | None = None):
        self.config = config or IgniteConfig()
        self.lam = float(self.config.lambda_init)
        self._norm: float | None = None
        self._params: tuple[int, list[torch.Tensor]] | None = None  # (id(model), the parameters h depends on)
        self._reset()

    def _constrained_parameters(self, model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
        """The trainable parameters ``h`` depends on (found once per model). The others have a zero constraint
        gradient; leaving them out keeps ``p.grad is None`` (Adam skips them) exactly as in plain training."""
        if self._params is None or self._params[0] != id(model):
            params = trainable_parameters(model)
            with torch.enable_grad():
                grads = torch.autograd.grad(model(x).mean(), params, allow_unused=True)
            self._params = (id(model), [p for p, g in zip(params, grads) if g is not None])
        return self._params[1]

    def _reset(self):
        self._sums = dict.fromkeys(("grad_norm", "lambda"), 0.0)
        self._count = 0

    def after_backward(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: torch.Tensor) -> None:
        cfg = self.config
        params = self._constrained_parameters(model, x)
        grads, n = norm_gradient(model, x, r=cfg.r, hvp=cfg.hvp, params=params)
        scale = self.lam * cfg.rho
        with torch.no_grad():
            for p in params:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            torch._foreach_add_([p.grad for p in params], grads, alpha=scale)
        self._record(float(n))

    def _record(self, norm: float) -> None:
        self._norm = norm
        self._sums["grad_norm"] += norm
        self._sums["lambda"] += self.lam
        self._count += 1

    @staticmethod
    def stacked_after_backward(hooks: list["IgniteHook"], member_means, params: list[torch.Tensor]) -> None:
        """:meth:`after_backward` for a batched ensemble: ``hooks[m]`` (its own ``lambda``) acts on slice ``[m]``
        of the stacked ``params`` (which already hold the loss gradients); ``member_means() -> M`` gives
        ``h_m``. All hooks must share one config apart from their multipliers (see :func:`same_update_rule`)."""
        cfg = hooks[0].config
        grads, n = stacked_norm_gradient(member_means, params, r=cfg.r, hvp=cfg.hvp)
        scale = torch.tensor([h.lam * cfg.rho for h in hooks], dtype=params[0].dtype, device=params[0].device)
        with torch.no_grad():
            for p, g in zip(params, grads):
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                p.grad.add_(g * scale.view(-1, *([1] * (g.ndim - 1))))
        for hook, norm in zip(hooks, n.tolist()):
            hook._record(norm)

    def after_step(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
        cfg = self.config
        if self._norm is None or not cfg.dual_update:
            return
        self.lam += cfg.eta_lambda * (cfg.rho * self._norm - cfg.epsilon)
        if cfg.clip_lambda:
            self.lam = max(self.lam, 0.0)
        self._norm = None

    def epoch_logs(self) -> dict:
        count = max(self._count, 1)
        grad_norm = self._sums["grad_norm"] / count if self._count else float("nan")
        logs = {"ignite_grad_norm": grad_norm, "ignite_sharpness": self.config.rho * grad_norm,
                "ignite_lambda": self._sums["lambda"] / count if self._count else float("nan"),
                "ignite_violation": self.config.rho * grad_norm - self.config.epsilon,
                "ignite_lambda_end": self.lam}
        self._reset()
        return logs


def same_update_rule(hooks) -> bool:
    """True when ``hooks`` are all :class:`IgniteHook` with one config (each may hold its own multiplier), so a
    batched ensemble can apply them together (:meth:`IgniteHook.stacked_after_backward`)."""
    hooks = list(hooks)
    return bool(hooks) and all(type(h) is IgniteHook for h in hooks) and all(h.config == hooks[0].config for h in hooks)


def ignite_hook(**params) -> IgniteHook:
    """A fresh IGNITE hook; ``params`` override the paper's values (see :class:`IgniteConfig`)."""
    return IgniteHook(IgniteConfig.from_dict(params))


def ignite2_hook(**params) -> IgniteHook:
    """A fresh IGNITE-2 hook: fixed ``lambda = 0.01``, ``rho = r = 0.2``, no dual step (overridable)."""
    return IgniteHook(IgniteConfig.from_dict(params, **IGNITE2_DEFAULTS))



# The update rule's version, stored in every record of a run that uses it (with the resolved IgniteConfig): bump it
# when IGNITE's behaviour changes without a config field, so the record store recomputes the runs it changes.
ignite_hook.version = 1
ignite2_hook.version = 1
