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

Profiles (paper = design-baselines' run scripts; ``../shared/reference/hyperparameters.md``). Shared by all:
5 models, ensemble lr 3e-4, batch 100 (ensemble and VAE), 200 validation rows, latent 32, VAE lr 3e-4,
beta 1, 1000 samples and 10 online epochs per round, percentile 80, 128 candidates, LeakyReLU 0.3,
std bounds 0.2 / 0.1.

=========  ======  =========  ============  ============  ==========  =================================
profile    hidden  embedding  ens. epochs   VAE epochs    iterations  record_iterations
=========  ======  =========  ============  ============  ==========  =================================
smoke      16      8          1             1             2           0, 1, 2 (200 samples per round,
                                                                      1 online epoch)
quick      64      32         10            5             20          0, 5, 10, 15, 20
paper      256     256        100           200 (TF-Bind  20          0, 2, 4, ..., 20
                                            -10: 100)
=========  ======  =========  ============  ============  ==========  =================================

Deviations from design-baselines (all small; see also :mod:`mbo_lib.search.vae`):

- bootstrap: each member trains on a resample (with replacement) of all rows, from which the shared trainer then
  holds out its validation rows; design-baselines holds out 200 rows first and weights the rest by bootstrap
  counts. Same estimator in expectation.
- surrogate init: PyTorch's default ``nn.Linear`` init (the project's surrogate convention); the embedding and the
  VAEs use Keras' initialisers, as the TensorFlow code. Adam's epsilon is PyTorch's 1e-8 (Keras: 1e-7).
- ``gamma`` uses ``torch.quantile(..., interpolation="nearest")`` (tfp.stats.percentile's default is also
  "nearest"; ties at the half-way index may round differently).
- the 1000 samples of a round are drawn in one batch (design-baselines: 10 batches of 100; same distribution).
"""
from __future__ import annotations

import copy
import math

import numpy as np
import torch

from ..design_space import DesignSpace
from ..errors import InvalidInputError
from ..objectives.regression import gaussian_nll
from ..search.vae import CategoricalVAE, DesignVAE, GaussianVAE, fit_vae
from ..surrogates.embedding import EmbeddingGaussianMLP, one_hot_flat
from ..surrogates.ensemble import Ensemble, train_ensemble
from ..surrogates.models import GaussianMLP
from ..surrogates.trainer import TrainConfig
from .base import Method, MethodOutput, no_hooks
from .registry import register
from .task_overrides import apply_task_overrides

_COMMON = dict(num_models=5, ensemble_lr=3e-4, ensemble_batch_size=100, val_size=200, latent_size=32, vae_lr=3e-4,
               vae_beta=1.0, vae_batch_size=100, samples_per_iteration=1000, online_epochs=10, percentile=80.0,
               num_candidates=128, negative_slope=0.3, initial_max_std=0.2, initial_min_std=0.1, task_overrides={})
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


@register
class CbAS(Method):
    name = "CbAS"
    profiles = {
        "smoke": dict(_COMMON, hidden=[16], embedding_size=8, ensemble_epochs=1, offline_epochs=1, iterations=2,
                      samples_per_iteration=200, online_epochs=1, record_iterations=[0, 1, 2]),
        "quick": dict(_COMMON, hidden=[64], embedding_size=32, ensemble_epochs=10, offline_epochs=5, iterations=20,
                      record_iterations=[0, 5, 10, 15, 20]),
        "paper": dict(_COMMON, hidden=[256], embedding_size=256, ensemble_epochs=100, offline_epochs=200,
                      iterations=20, record_iterations=list(range(0, 21, 2)),
                      task_overrides={"TFBind10-Exact-v0": {"offline_epochs": 100}}),
    }
    ranges = dict(num_models=(1, 100), hidden=(1, 65536), embedding_size=(1, 65536), ensemble_epochs=(0, 10000),
                  ensemble_lr=(1e-8, 1.0), ensemble_batch_size=(1, 1 << 20), val_size=(0, 1 << 30),
                  latent_size=(1, 4096), vae_lr=(1e-8, 1.0), vae_beta=(0.0, 1000.0), vae_batch_size=(1, 1 << 20),
                  offline_epochs=(0, 10000), iterations=(0, 10000), samples_per_iteration=(2, 1 << 24),
                  online_epochs=(0, 10000), percentile=(0.0, 100.0), num_candidates=(1, 100000),
                  negative_slope=(0.0, 1.0), initial_max_std=(1e-6, 1e6), initial_min_std=(1e-6, 1e6),
                  record_iterations=(0, 10000))

    def run(self, task, hp, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        hp = apply_task_overrides(self, hp, task.task_id)
        if any(i > hp["iterations"] for i in hp["record_iterations"]):
            raise InvalidInputError(f"CbAS: record_iterations {hp['record_iterations']} must lie in "
                                    f"[0, iterations={hp['iterations']}]")
        device = torch.device(device)
        space = DesignSpace(task, normalize_x=not task.is_discrete, normalize_y=True)
        y = space.encode_y(task.y)

        # 1. the bootstrap ensemble, through the shared trainer
        if task.is_discrete:
            length, classes = task.sequence_length, task.num_classes
            x_vae = torch.as_tensor(task.x, dtype=torch.long, device=device)
            to_surrogate = lambda x: one_hot_flat(x, classes)  # noqa: E731
            make_model = lambda i: EmbeddingGaussianMLP(  # noqa: E731
                length, classes, hp["embedding_size"], hp["hidden"], hp["negative_slope"], hp["initial_max_std"],
                hp["initial_min_std"])
        else:
            x_vae = torch.as_tensor(space.encode(task.x), device=device)
            to_surrogate = lambda x: x  # noqa: E731
            make_model = lambda i: GaussianMLP(  # noqa: E731
                space.dim, hp["hidden"], "leaky_relu", hp["negative_slope"], hp["initial_max_std"], hp["initial_min_std"])
        config = TrainConfig(epochs=hp["ensemble_epochs"], batch_size=hp["ensemble_batch_size"], lr=hp["ensemble_lr"],
                             val_size=hp["val_size"])
        ensemble, logs = train_ensemble(make_model, hp["num_models"], to_surrogate(x_vae).cpu().numpy(), y,
                                        gaussian_nll, config, seed=seed, hooks=hooks, bootstrap=True, device=device,
                                        progress=progress, desc=f"CbAS ensemble {task.task_id}")

        # 2. the data VAE p, and the search VAE q initialised from it
        torch.manual_seed(seed * 1000 + 900)
        if task.is_discrete:
            p_vae: DesignVAE = CategoricalVAE(length, classes, hp["latent_size"], hp["hidden"], hp["embedding_size"],
                                              hp["negative_slope"], hp["initial_max_std"], hp["initial_min_std"])
        else:
            p_vae = GaussianVAE(space.dim, hp["latent_size"], hp["hidden"], hp["negative_slope"], hp["initial_max_std"],
                                hp["initial_min_std"])
        p_vae.to(device)
        gen = torch.Generator(device=device).manual_seed(seed)
        fit = dict(batch_size=hp["vae_batch_size"], generator=gen, beta=hp["vae_beta"], val_size=hp["val_size"])
        offline_log = fit_vae(p_vae, x_vae, torch.optim.Adam(p_vae.parameters(), lr=hp["vae_lr"]),
                              epochs=hp["offline_epochs"], **fit)
        q_vae = copy.deepcopy(p_vae)
        q_optimizer = torch.optim.Adam(q_vae.parameters(), lr=hp["vae_lr"])

        def candidates(vae: DesignVAE) -> torch.Tensor:
            noise = torch.Generator(device=device).manual_seed(seed + _CANDIDATE_NOISE)
            return vae.sample(hp["num_candidates"], noise)

        # 3. adaptive sampling
        snapshots = {0: candidates(q_vae)} if 0 in hp["record_iterations"] else {}
        rounds = []
        for it in range(1, hp["iterations"] + 1):
            with torch.no_grad():
                z = q_vae.prior_sample(hp["samples_per_iteration"], gen)
                xs = q_vae.sample_given(z, gen)
                log_ratio = p_vae.log_prob(z, xs) - q_vae.log_prob(z, xs)
                means, stds = member_gaussians(ensemble, to_surrogate(xs))
                w, gamma = cbas_weights(log_ratio, means, stds, hp["percentile"])
            if not torch.isfinite(w).all():
                raise InvalidInputError(f"CbAS round {it}: {int((~torch.isfinite(w)).sum())} importance weights are "
                                        "not finite (the density ratio overflowed); lower vae_lr or the round count")
            online_log = fit_vae(q_vae, xs, q_optimizer, epochs=hp["online_epochs"], weights=w, **fit)
            rounds.append({"iteration": it, "gamma": float(gamma), "gamma_raw": float(space.decode_y(float(gamma))),
                           "mean_prediction": float(means.mean()), "weight_mean": float(w.mean()),
                           "weight_max": float(w.max()), "weight_ess": float(w.sum() ** 2 / (w ** 2).sum().clamp_min(1e-30)),
                           **({f"vae_{k}": v for k, v in online_log[-1].items() if k != "epoch"} if online_log else {})})
            if it in hp["record_iterations"]:
                snapshots[it] = candidates(q_vae)

        # 4. candidates of the final search distribution
        final = snapshots.get(hp["iterations"], None)
        final = candidates(q_vae) if final is None else final
        with torch.no_grad():
            predicted = member_gaussians(ensemble, to_surrogate(final))[0].mean(0)

        def decode(x: torch.Tensor) -> np.ndarray:
            x = x.cpu().numpy()
            return x.astype(np.int32) if task.is_discrete else space.decode(x)

        extras = {"rounds": rounds, "vae_offline": offline_log,
                  "predicted_mean_raw": float(space.decode_y(float(predicted.mean()))),
                  "effective_hyperparameters": {k: v for k, v in hp.items() if k != "task_overrides"}}
        return MethodOutput(designs=decode(final), steps={k: decode(v) for k, v in snapshots.items()},
                            train_logs=logs, extras=extras, surrogate=ensemble)
