"""CbAS: Conditioning by Adaptive Sampling (Brookes, Park & Listgarten, ICML 2019), as in design-baselines.

Follows ``design_baselines/cbas`` (``__init__.py``, ``trainers.py``, ``nets.py``, run scripts in ``experiments.py``):

1. Train a bootstrap ensemble of ``num_models`` Gaussian surrogates (Gaussian NLL, z-scored y) through the shared
   trainer (:func:`~mbo_lib.surrogates.ensemble.train_ensemble` with ``bootstrap=True`` and the runner's hooks).
   Discrete tasks: integer sequences, one-hot encoded, read through an embedding
   (:class:`~mbo_lib.surrogates.embedding.EmbeddingGaussianMLP`); continuous tasks: z-scored x.
2. Fit a VAE ``p`` to the data (:mod:`mbo_lib.search.vae`: categorical decoder per position for sequences,
   Gaussian decoder for continuous x) for ``offline_epochs``; copy it into the search distribution ``q``.
3. For ``iterations`` rounds: draw ``samples_per_iteration`` latents ``z ~ N(0, I)`` and designs ``x ~ q(x|z)``;
   weight each by :func:`cbas_weights`,

   ``w = p(x|z) / q(x|z) * P(y > gamma | x)``,

   where ``P(y > gamma | x) = 1 - CDF_mixture(gamma)`` under the ensemble's equal-weight Gaussian mixture and
   ``gamma`` is the ``percentile``-th percentile of the samples' mixture-mean predictions. The density ratio
   ``p0(x) / q(x)`` of the paper is approximated, as design-baselines does, by the ratio of the two *decoders'*
   likelihoods at the same z (not the marginal densities). Refit ``q`` on the weighted samples for
   ``online_epochs`` (one Adam kept across rounds).
4. Candidates: ``num_candidates`` samples ``z ~ N(0, I), x ~ q(x|z)`` of the final ``q`` (integers for sequences).
   ``steps`` holds the samples of ``q`` after the rounds in ``record_iterations`` (0 = the data-fit VAE), drawn with
   the same latent noise each time, for score-vs-iteration curves; the score is read at the last round.

Profiles (paper = design-baselines' run scripts; ``../shared/reference/hyperparameters.md``):

.. profile-table

=====================  =======  ================  =====================================
field                  smoke    quick             paper
=====================  =======  ================  =====================================
num_models             5        5                 5
hidden                 16       64                256
init                   torch    torch             keras
embedding_size         8        32                256
ensemble_epochs        1        10                100
ensemble_lr            0.0003   0.0003            0.0003
ensemble_batch_size    100      100               100
val_size               200      200               200
latent_size            32       32                32
vae_lr                 0.0003   0.0003            0.0003
vae_beta               1        1                 1
vae_batch_size         100      100               100
offline_epochs         1        5                 200
iterations             2        20                20
samples_per_iteration  200      1000              1000
online_epochs          1        10                10
percentile             80       80                80
num_candidates         128      128               128
negative_slope         0.3      0.3               0.3
initial_max_std        0.2      0.2               0.2
initial_min_std        0.1      0.1               0.1
record_iterations      0, 1, 2  0, 5, 10, 15, 20  0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20
=====================  =======  ================  =====================================
task_overrides (paper, TFBind10-Exact-v0): offline_epochs=100

.. end profile-table

The smoke profile also shrinks a round (200 samples, 1 online epoch). ``init="keras"`` starts the surrogates'
``nn.Linear`` layers from Keras' ``Dense`` initialisation (every profile: PyTorch's default, see below).

Deviations from design-baselines (all small; see also :mod:`mbo_lib.search.vae`):

- bootstrap: each member trains on a resample (with replacement) of all rows, from which the shared trainer then
  holds out its validation rows; design-baselines holds out 200 rows first and weights the rest by bootstrap
  counts. Same estimator in expectation.
- surrogate init: PyTorch's default ``nn.Linear`` init with ``init="torch"`` (smoke, quick);
  ``init="keras"`` gives design-baselines' glorot-uniform weights and zero biases. The embedding and the VAEs use
  Keras' initialisers, as the TensorFlow code. Adam's epsilon is PyTorch's 1e-8 (Keras: 1e-7).
- ``gamma`` uses ``torch.quantile(..., interpolation="nearest")`` (tfp.stats.percentile's default is also
  "nearest"; ties at the half-way index may round differently).
- the 1000 samples of a round are drawn in one batch (design-baselines: 10 batches of 100; same distribution).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..design_space import DesignSpace
from ..errors import InvalidInputError
from ..objectives.regression import gaussian_nll
from ..search.vae import CategoricalVAE, DesignVAE, GaussianVAE, fit_vae
from ..surrogates.embedding import EmbeddingGaussianMLP, one_hot_flat
from ..surrogates.ensemble import Ensemble, train_ensemble
from ..surrogates.models import INITS, GaussianMLP, initialize_
from ..surrogates.trainer import TrainConfig
from .base import Method, MethodConfig, MethodOutput, knob, no_hooks
from .registry import register

_CANDIDATE_NOISE = 7919  # offset of the seed of the latent noise shared by all recorded rounds


def gaussian_tail_probability(mean: torch.Tensor, std: torch.Tensor, threshold: torch.Tensor | float) -> torch.Tensor:
    """``P(y > threshold)`` for ``y ~ N(mean, std^2)``, elementwise: ``0.5 * erfc((t - mean) / (std * sqrt 2))``."""
    return 0.5 * torch.erfc((threshold - mean) / (std * math.sqrt(2.0)))


def mixture_tail_probability(means: torch.Tensor, stds: torch.Tensor, threshold: torch.Tensor | float) -> torch.Tensor:
    """``P(y > threshold)`` under the equal-weight mixture of ``M`` Gaussians: ``M x n -> n``.

    ``1 - CDF_mixture(t) = mean_m P_m(y > t)`` (design-baselines: ``1 - MixtureSameFamily(...).cdf(gamma)``).
    """
    return gaussian_tail_probability(means, stds, threshold).mean(0)


def cbas_weights(log_density_ratio: torch.Tensor, means: torch.Tensor, stds: torch.Tensor,
                 percentile: float) -> tuple[torch.Tensor, torch.Tensor]:
    """CbAS importance weights ``w = exp(log p0(x) - log q(x)) * P(y > gamma | x)`` (Brookes et al. 2019, Eq. 7).

    Args:
        log_density_ratio: ``n``, ``log p0(x) - log q(x)`` of the samples (design-baselines: decoder likelihoods
            of the data VAE and the search VAE at the sample's own z).
        means, stds: ``M x n`` Gaussian predictions of the ensemble members for the samples.
        percentile: in [0, 100]; ``gamma`` is this percentile of the samples' mixture means ``means.mean(0)``.

    Returns:
        ``(w: n, gamma: scalar tensor)``.
    """
    gamma = torch.quantile(means.mean(0), percentile / 100.0, interpolation="nearest")
    return torch.exp(log_density_ratio) * mixture_tail_probability(means, stds, gamma), gamma


def member_gaussians(ensemble: Ensemble, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's predictive mean and std for ``x: n x D``: two ``M x n`` tensors."""
    outs = [m.mean_logstd(x) for m in ensemble.members]
    means = torch.stack([mean[:, 0] for mean, _ in outs])
    stds = torch.stack([logstd[:, 0] for _, logstd in outs]).exp()
    return means, stds


@dataclass(frozen=True)
class CbASConfig(MethodConfig):
    """CbAS' hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "CbAS"
    legacy_defaults: ClassVar[dict] = {"init": "torch"}

    num_models: int = knob(5, "ensemble members", low=1, high=100)
    hidden: tuple[int, ...] = knob((256,), "hidden widths of the surrogates and the VAEs", low=1, high=65536)
    init: str = knob("torch", "surrogate Linear init: PyTorch's default or Keras' Dense default", choices=INITS)
    embedding_size: int = knob(256, "class embedding size (discrete tasks)", low=1, high=65536)
    ensemble_epochs: int = knob(100, "training epochs per member", low=0, high=10000)
    ensemble_lr: float = knob(3e-4, "ensemble Adam learning rate", low=1e-8, high=1.0)
    ensemble_batch_size: int = knob(100, "ensemble minibatch size", low=1, high=1 << 20)
    val_size: int = knob(200, "validation rows (ensemble and VAE)", low=0, high=1 << 30)
    latent_size: int = knob(32, "VAE latent size", low=1, high=4096)
    vae_lr: float = knob(3e-4, "VAE Adam learning rate", low=1e-8, high=1.0)
    vae_beta: float = knob(1.0, "weight of the VAE's KL term", low=0.0, high=1000.0)
    vae_batch_size: int = knob(100, "VAE minibatch size", low=1, high=1 << 20)
    offline_epochs: int = knob(200, "epochs fitting the data VAE p", low=0, high=10000)
    iterations: int = knob(20, "adaptive-sampling rounds", low=0, high=10000)
    samples_per_iteration: int = knob(1000, "samples drawn per round", low=2, high=1 << 24)
    online_epochs: int = knob(10, "epochs refitting q per round", low=0, high=10000)
    percentile: float = knob(80.0, "percentile of the samples' predictions that sets gamma", low=0.0, high=100.0)
    num_candidates: int = knob(128, "designs returned (samples of the final q)", low=1, high=100000)
    negative_slope: float = knob(0.3, "LeakyReLU slope (Keras' default)", low=0.0, high=1.0)
    initial_max_std: float = knob(0.2, "initial upper bound of the predicted std", low=1e-6, high=1e6)
    initial_min_std: float = knob(0.1, "initial lower bound of the predicted std", low=1e-6, high=1e6)
    record_iterations: tuple[int, ...] = knob(tuple(range(0, 21, 2)), "rounds whose samples are scored", low=0,
                                              at_most="iterations")
    task_overrides: dict = knob({}, "{task_id: {field: value}} merged over the profile for that task")


@register
class CbAS(Method):
    name = "CbAS"
    config_class = CbASConfig
    profiles = {
        "smoke": CbASConfig(hidden=(16,), embedding_size=8, ensemble_epochs=1, offline_epochs=1, iterations=2,
                            samples_per_iteration=200, online_epochs=1, record_iterations=(0, 1, 2)),
        "quick": CbASConfig(hidden=(64,), embedding_size=32, ensemble_epochs=10, offline_epochs=5,
                            record_iterations=(0, 5, 10, 15, 20)),
        "paper": CbASConfig(init="keras", task_overrides={"TFBind10-Exact-v0": {"offline_epochs": 100}}),
    }

    def run(self, task, config: CbASConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        config = config.for_task(task.task_id)
        device = torch.device(device)
        space = DesignSpace(task, normalize_x=not task.is_discrete, normalize_y=True)
        y = space.encode_y(task.y)

        # 1. the bootstrap ensemble, through the shared trainer
        if task.is_discrete:
            length, classes = task.sequence_length, task.num_classes
            x_vae = torch.as_tensor(task.x, dtype=torch.long, device=device)
            to_surrogate = lambda x: one_hot_flat(x, classes)  # noqa: E731
            make_model = lambda i: initialize_(EmbeddingGaussianMLP(  # noqa: E731
                length, classes, config.embedding_size, config.hidden, config.negative_slope, config.initial_max_std,
                config.initial_min_std), config.init)
        else:
            x_vae = torch.as_tensor(space.encode(task.x), device=device)
            to_surrogate = lambda x: x  # noqa: E731
            make_model = lambda i: initialize_(GaussianMLP(  # noqa: E731
                space.dim, config.hidden, "leaky_relu", config.negative_slope, config.initial_max_std,
                config.initial_min_std), config.init)
        train_config = TrainConfig(epochs=config.ensemble_epochs, batch_size=config.ensemble_batch_size,
                                   lr=config.ensemble_lr, val_size=config.val_size)
        ensemble, logs = train_ensemble(make_model, config.num_models, to_surrogate(x_vae).cpu().numpy(), y,
                                        gaussian_nll, train_config, seed=seed, hooks=hooks, bootstrap=True, device=device,
                                        progress=progress, desc=f"CbAS ensemble {task.task_id}")

        # 2. the data VAE p, and the search VAE q initialised from it
        torch.manual_seed(seed * 1000 + 900)
        if task.is_discrete:
            p_vae: DesignVAE = CategoricalVAE(length, classes, config.latent_size, config.hidden, config.embedding_size,
                                              config.negative_slope, config.initial_max_std, config.initial_min_std)
        else:
            p_vae = GaussianVAE(space.dim, config.latent_size, config.hidden, config.negative_slope, config.initial_max_std,
                                config.initial_min_std)
        p_vae.to(device)
        gen = torch.Generator(device=device).manual_seed(seed)
        fit = dict(batch_size=config.vae_batch_size, generator=gen, beta=config.vae_beta, val_size=config.val_size)
        offline_log = fit_vae(p_vae, x_vae, torch.optim.Adam(p_vae.parameters(), lr=config.vae_lr),
                              epochs=config.offline_epochs, **fit)
        q_vae = copy.deepcopy(p_vae)
        q_optimizer = torch.optim.Adam(q_vae.parameters(), lr=config.vae_lr)

        def candidates(vae: DesignVAE) -> torch.Tensor:
            noise = torch.Generator(device=device).manual_seed(seed + _CANDIDATE_NOISE)
            return vae.sample(config.num_candidates, noise)

        # 3. adaptive sampling
        snapshots = {0: candidates(q_vae)} if 0 in config.record_iterations else {}
        rounds = []
        for it in range(1, config.iterations + 1):
            with torch.no_grad():
                z = q_vae.prior_sample(config.samples_per_iteration, gen)
                xs = q_vae.sample_given(z, gen)
                log_ratio = p_vae.log_prob(z, xs) - q_vae.log_prob(z, xs)
                means, stds = member_gaussians(ensemble, to_surrogate(xs))
                w, gamma = cbas_weights(log_ratio, means, stds, config.percentile)
            if not torch.isfinite(w).all():
                raise InvalidInputError(f"CbAS round {it}: {int((~torch.isfinite(w)).sum())} importance weights are "
                                        "not finite (the density ratio overflowed); lower vae_lr or the round count")
            online_log = fit_vae(q_vae, xs, q_optimizer, epochs=config.online_epochs, weights=w, **fit)
            rounds.append({"iteration": it, "gamma": float(gamma), "gamma_raw": float(space.decode_y(float(gamma))),
                           "mean_prediction": float(means.mean()), "weight_mean": float(w.mean()),
                           "weight_max": float(w.max()), "weight_ess": float(w.sum() ** 2 / (w ** 2).sum().clamp_min(1e-30)),
                           **({f"vae_{k}": v for k, v in online_log[-1].items() if k != "epoch"} if online_log else {})})
            if it in config.record_iterations:
                snapshots[it] = candidates(q_vae)

        # 4. candidates of the final search distribution
        final = snapshots.get(config.iterations, None)
        final = candidates(q_vae) if final is None else final
        with torch.no_grad():
            predicted = member_gaussians(ensemble, to_surrogate(final))[0].mean(0)

        def decode(x: torch.Tensor) -> np.ndarray:
            x = x.cpu().numpy()
            return x.astype(np.int32) if task.is_discrete else space.decode(x)

        extras = {"rounds": rounds, "vae_offline": offline_log,
                  "predicted_mean_raw": float(space.decode_y(float(predicted.mean()))),
                  "effective_hyperparameters": {k: v for k, v in config.to_dict().items() if k != "task_overrides"}}
        return MethodOutput(designs=decode(final), steps={k: decode(v) for k, v in snapshots.items()},
                            train_logs=logs, extras=extras, surrogate=ensemble)
