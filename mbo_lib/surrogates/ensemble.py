"""Ensembles of surrogates trained through the shared trainer.

``Ensemble(models)(x)`` returns every member's prediction, ``M x n x 1``; :func:`ensemble_objective` turns that
into the per-candidate score a search climbs (``mean`` or ``min`` over members).

:func:`train_ensemble` has two execution paths with the same results (to float rounding):

- *sequential*: each member through :func:`~mbo_lib.surrogates.trainer.train_surrogate`, one after another;
- *batched*: all members at once with stacked weights (``M x in x out``, one ``torch.baddbmm`` per layer) and
  one Adam over the stacked tensors. Adam is elementwise and the summed loss gives each member's slice its own
  gradient, so every member sees exactly the updates it would get alone (same init, same bootstrap rows, same
  validation split and minibatch order from its own seed). Validation metrics are computed on the real member
  modules with the trainer's own :func:`~mbo_lib.surrogates.trainer.validation_metrics`.

The batched path covers what the baselines train: :class:`~mbo_lib.surrogates.models.GaussianMLP` /
:class:`~mbo_lib.surrogates.models.MLP` members of one architecture, with the ``gaussian_nll`` or ``mse`` loss,
and either no hooks or one IGNITE hook per member (same settings; each keeps its own multiplier, and its
gradient norm, finite difference and dual step are computed per member on the member's slice of the stacked
weights, :meth:`~mbo_lib.objectives.ignite.IgniteHook.stacked_after_backward`). Other hooks, models or losses
fall back to the sequential path. ``batched="auto"`` picks batched on CUDA and, on
CPU, when the widest hidden layer is at most :func:`batched_max_width_cpu` (512 x torch threads, at most 1024):
stacking saves per-step Python/dispatch overhead, which dominates for narrow layers; for wide layers the
per-member GEMMs already keep the cores busy and the batched matmul is slower (``benchmarks/results/ensemble.md``).
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..errors import InvalidInputError
from ..objectives.regression import gaussian_nll, mse
from .models import GaussianMLP, MLP
from .trainer import (LossTerm, TrainConfig, TrainingHook, TrainingLog, progress_enabled, shuffled_minibatches,
                      split_validation, train_surrogate, validation_metrics)

# CPU: batched iff every hidden layer is at most min(512 x torch threads, 1024) wide (benchmarks/bench_ensemble.py:
# 1 thread: width 512 -> 1.17x, 1024 -> 1.04x, 2048 -> 0.72x; 2 cores: 512 -> 1.6x, 2048 -> 0.84x).
BATCHED_WIDTH_PER_THREAD_CPU = 512
BATCHED_WIDTH_CAP_CPU = 1024
ELEMENTWISE_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.ELU)


class Ensemble(nn.Module):
    """Holds M members; ``forward(x: n x D) -> M x n x 1``."""

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def __len__(self) -> int:
        return len(self.members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members])


def ensemble_objective(ensemble: nn.Module, reduction: str = "mean") -> Callable[[torch.Tensor], torch.Tensor]:
    """``x: n x D -> n``: the members' mean or min prediction (design-baselines' ensemble-mean / ensemble-min)."""
    if reduction not in ("mean", "min"):
        raise InvalidInputError(f"ensemble reduction must be 'mean' or 'min', got {reduction!r}")

    def objective(x: torch.Tensor) -> torch.Tensor:
        preds = ensemble(x)[..., 0]  # M x n
        return preds.mean(0) if reduction == "mean" else preds.min(0).values

    return objective


def member_seed(seed: int, i: int) -> int:
    """The seed of member ``i`` (model init, bootstrap rows, validation split and minibatch order)."""
    return seed * 1000 + i


def train_ensemble(make_model: Callable[[int], nn.Module], num_members: int, x, y, loss: LossTerm,
                   config: TrainConfig, *, seed: int = 0,
                   hooks: Callable[[], list[TrainingHook]] = lambda: [], bootstrap: bool = False,
                   device="cpu", progress: bool | None = None, desc: str = "ensemble",
                   batched: bool | str = "auto") -> tuple[Ensemble, list[TrainingLog]]:
    """Train ``num_members`` surrogates, member ``i`` built by ``make_model(i)`` and trained with seed ``seed*1000+i``.

    Each member gets fresh hooks (so IGNITE keeps one dual variable per member, as the paper does) and, with
    ``bootstrap=True``, its own bootstrap resample of the rows (design-baselines' ensembles, CbAS).

    Args:
        make_model: ``i -> nn.Module`` mapping ``n x D`` to ``n x 1`` (called under ``torch.manual_seed``).
        num_members: M.
        x: ``n x D`` inputs; y: ``n x 1`` targets.
        loss: the base objective (``gaussian_nll``, ``mse`` or any loss term).
        config: epochs, batch size, learning rate, validation size (per member).
        seed: base seed.
        hooks: factory of fresh :class:`TrainingHook` lists, called once per member.
        bootstrap: resample the rows with replacement per member.
        device: where to train.
        progress: tqdm bars (default: on unless ``MBO_PROGRESS=0``).
        batched: ``"auto"`` (default; see the module docstring; a single member always trains sequentially),
            ``True`` (batched; raises if the members, loss or hooks do not allow it) or ``False`` (sequential).

    Returns:
        ``(Ensemble, [TrainingLog per member])``; the ensemble is on ``device`` in eval mode.
    """
    if num_members < 1:
        raise InvalidInputError(f"num_members must be >= 1, got {num_members}")
    if batched not in ("auto", True, False):
        raise InvalidInputError(f"batched must be 'auto', True or False, got {batched!r}")
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    device = torch.device(device)
    members = []
    for i in range(num_members):
        torch.manual_seed(member_seed(seed, i))
        members.append(make_model(i))
    member_hooks = [list(hooks()) for _ in range(num_members)]
    rows = [np.random.default_rng(member_seed(seed, i)).integers(0, x.shape[0], x.shape[0]) if bootstrap
            else None for i in range(num_members)]
    reason = batched_unsupported_reason(members, loss, member_hooks)
    if batched is True and reason:
        raise InvalidInputError(f"batched ensemble training is not possible here: {reason}")
    use_batched = batched is True or (batched == "auto" and not reason and num_members > 1
                                      and _batched_is_faster(members, device))
    if use_batched:
        logs = _train_batched(members, x, y, rows, loss, config, seed, device, progress, desc,
                              [h[0] for h in member_hooks] if any(member_hooks) else [])
    else:
        logs = []
        for i, model in enumerate(members):
            xi, yi = (x, y) if rows[i] is None else (x[rows[i]], y[rows[i]])
            logs.append(train_surrogate(model, xi, yi, loss, config, seed=member_seed(seed, i), hooks=member_hooks[i],
                                        device=device, progress=progress, desc=f"{desc} member {i + 1}/{num_members}"))
    return Ensemble(members).to(device).eval(), logs


# ----- the batched path ---------------------------------------------------------------------------------------

def _layers(model: nn.Module) -> list[nn.Module] | None:
    net = getattr(model, "net", None)
    if type(model) not in (GaussianMLP, MLP) or not isinstance(net, nn.Sequential):
        return None
    return list(net)


def batched_unsupported_reason(members: Sequence[nn.Module], loss: LossTerm,
                               member_hooks: Sequence[Sequence[TrainingHook]] = ()) -> str:
    """Why these members cannot be trained by the batched path (empty string: they can)."""
    if any(len(h) for h in member_hooks):
        from ..objectives.ignite import same_update_rule  # local: objectives imports the trainer

        if not (all(len(h) == 1 for h in member_hooks) and same_update_rule([h[0] for h in member_hooks])):
            return "hooks other than one IGNITE hook per member (with one setting) need each member's own model"
    if loss not in (gaussian_nll, mse):
        return f"loss {getattr(loss, '__name__', loss)!r} has no batched form (only gaussian_nll and mse)"
    first = _layers(members[0])
    if first is None:
        return f"{type(members[0]).__name__} is not a GaussianMLP or MLP"
    for m in members:
        layers = _layers(m)
        if layers is None or type(m) is not type(members[0]) or len(layers) != len(first):
            return "members differ in type or depth"
        for a, b in zip(layers, first):
            if isinstance(a, nn.Linear):
                if not isinstance(b, nn.Linear) or a.weight.shape != b.weight.shape or a.bias is None or b.bias is None:
                    return "members differ in layer shapes (or a layer has no bias)"
            elif not isinstance(a, ELEMENTWISE_ACTIVATIONS) or repr(a) != repr(b):
                return f"layer {a!r} is not a shared elementwise activation"
        if not all(p.requires_grad for p in m.parameters()):
            return "some parameters are frozen"
    return ""


def batched_max_width_cpu() -> int:
    """The widest hidden layer for which the batched path is used on CPU (scales with torch's thread count)."""
    return min(BATCHED_WIDTH_PER_THREAD_CPU * torch.get_num_threads(), BATCHED_WIDTH_CAP_CPU)


def _batched_is_faster(members: Sequence[nn.Module], device: torch.device) -> bool:
    if device.type == "cuda":
        return True
    widths = [layer.out_features for layer in _layers(members[0])[:-1] if isinstance(layer, nn.Linear)]
    return max(widths, default=0) <= batched_max_width_cpu()


class _StackedNet(nn.Module):
    """M copies of one GaussianMLP / MLP architecture as stacked tensors: ``M x B x D -> M x B x out``."""

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        layers = _layers(members[0])
        self.kinds, self.weights, self.biases = [], nn.ParameterList(), nn.ParameterList()
        for k, layer in enumerate(layers):
            if isinstance(layer, nn.Linear):
                self.kinds.append("linear")
                # M x in x out (contiguous): x @ W needs no transposed view, whose backward is ~1.6x slower
                self.weights.append(nn.Parameter(torch.stack([_layers(m)[k].weight.detach().T for m in members])))
                self.biases.append(nn.Parameter(torch.stack([_layers(m)[k].bias.detach() for m in members])[:, None, :].clone()))
            else:
                self.kinds.append(layer)  # shared elementwise activation module
        self.gaussian = isinstance(members[0], GaussianMLP)
        if self.gaussian:
            self.max_logstd = nn.Parameter(torch.stack([m.max_logstd.detach() for m in members]).clone())  # M x 1 x 1
            self.min_logstd = nn.Parameter(torch.stack([m.min_logstd.detach() for m in members]).clone())

    def net(self, x: torch.Tensor) -> torch.Tensor:
        k = 0
        for kind in self.kinds:
            if kind == "linear":
                x = torch.baddbmm(self.biases[k], x, self.weights[k])
                k += 1
            else:
                x = kind(x)
        return x

    def mean_logstd(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """As :meth:`GaussianMLP.mean_logstd`, per member: ``M x B x 1`` each."""
        out = self.net(x)
        mean, logstd = out[..., :1], out[..., 1:]
        logstd = self.max_logstd - nn.functional.softplus(self.max_logstd - logstd)
        logstd = self.min_logstd + nn.functional.softplus(logstd - self.min_logstd)
        return mean, logstd

    def losses(self, loss: LossTerm, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Per-member losses ``M`` and logs, mirroring ``gaussian_nll`` / ``mse`` in ``objectives/regression.py``."""
        if loss is gaussian_nll and self.gaussian:
            mean, logstd = self.mean_logstd(x)
            nll = 0.5 * ((y - mean) / logstd.exp()) ** 2 + logstd + 0.5 * np.log(2 * np.pi)
            value = nll.mean(dim=(1, 2))
            return value, {"nll": value.detach(), "mse": ((y - mean) ** 2).mean(dim=(1, 2)).detach()}
        pred = self.net(x)[..., :1]
        sq = ((pred - y) ** 2).mean(dim=(1, 2))
        if loss is gaussian_nll:
            value = 0.5 * sq
            return value, {"nll": value.detach(), "mse": sq.detach()}
        return sq, {"mse": sq.detach()}

    @torch.no_grad()
    def copy_to(self, members: Sequence[nn.Module]) -> None:
        """Write member ``i``'s slice back into ``members[i]``."""
        for i, m in enumerate(members):
            linears = [layer for layer in _layers(m) if isinstance(layer, nn.Linear)]
            for layer, w, b in zip(linears, self.weights, self.biases):
                layer.weight.copy_(w[i].T)
                layer.bias.copy_(b[i, 0])
            if self.gaussian:
                m.max_logstd.copy_(self.max_logstd[i])
                m.min_logstd.copy_(self.min_logstd[i])


def _train_batched(members, x: np.ndarray, y: np.ndarray, rows: list, loss: LossTerm, config: TrainConfig,
                   seed: int, device: torch.device, progress: bool | None, desc: str,
                   ignite_hooks: Sequence = ()) -> list[TrainingLog]:
    """All members at once; same data, splits and minibatch order per member as :func:`train_surrogate`.
    ``ignite_hooks``: one IGNITE hook per member, or empty."""
    start = time.perf_counter()
    num_members, n = len(members), x.shape[0]
    if np.isnan(x).any() or np.isnan(y).any():
        raise InvalidInputError("training data contain NaN")
    if x.ndim != 2 or y.shape != (n, 1):
        raise InvalidInputError(f"need x of shape (n, D) and y of shape (n, 1), got {x.shape=}, {y.shape=}")
    x_t, y_t = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
    rngs = [np.random.default_rng(member_seed(seed, i)) for i in range(num_members)]
    base_rows = [np.arange(n) if r is None else r for r in rows]  # member-local row -> global row
    splits = [split_validation(n, config.val_size, rng) for rng in rngs]
    sampler = shuffled_minibatches(config.batch_size)
    for m in members:
        m.to(device).train()
    stacked = _StackedNet(members).to(device)
    optimizer = torch.optim.Adam(stacked.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    logs = [TrainingLog() for _ in members]
    bar = tqdm(range(config.epochs), desc=f"{desc} (batched x{num_members})", disable=not progress_enabled(progress),
               leave=False)
    for epoch in bar:
        batches = [sampler(rng, train) for rng, (train, _) in zip(rngs, splits)]
        sums: dict[str, torch.Tensor] = {}
        for step in range(len(batches[0])):
            idx = np.stack([base[b[step]] for base, b in zip(base_rows, batches)])  # M x B global rows
            idx_t = torch.as_tensor(idx, device=device)
            xb = x_t[idx_t]
            values, step_logs = stacked.losses(loss, xb, y_t[idx_t])
            optimizer.zero_grad(set_to_none=True)
            values.sum().backward()  # member i's slice receives grad of its own loss only
            if ignite_hooks:
                # h_m = member m's mean prediction (the mean output for GaussianMLP) over its own minibatch
                ignite_hooks[0].stacked_after_backward(  # a staticmethod over all members' hooks
                    list(ignite_hooks), lambda: stacked.net(xb)[..., 0].mean(dim=1), [*stacked.weights, *stacked.biases])
            optimizer.step()
            for hook in ignite_hooks:
                hook.after_step(None, None, None)
            step_logs["loss"] = values.detach()
            for k, v in step_logs.items():
                sums[k] = sums[k] + v if k in sums else v.clone()
        stacked.copy_to(members)
        means = {k: (v / max(len(batches[0]), 1)).tolist() for k, v in sums.items()}
        for i, (m, (_, val)) in enumerate(zip(members, splits)):
            entry = {"epoch": epoch + 1, **{f"train_{k}": v[i] for k, v in means.items()}}
            if val.size:
                val_global = torch.as_tensor(base_rows[i][val], device=device)
                entry.update(validation_metrics(m, x_t[val_global], y_t[val_global], loss))
            if ignite_hooks:
                entry.update(ignite_hooks[i].epoch_logs())
            logs[i].epochs.append(entry)
        bar.set_postfix(loss=f"{np.mean(means.get('loss', [float('nan')])):.4f}")
    stacked.copy_to(members)
    seconds = time.perf_counter() - start
    for m, log in zip(members, logs):
        m.eval()
        log.seconds = seconds / num_members  # wall time shared equally, so the per-member times sum to the total
    return logs
