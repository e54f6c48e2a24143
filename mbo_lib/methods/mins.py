"""MINs: Model Inversion Networks (Kumar & Levine, NeurIPS 2020), as in design-baselines (offline setting).

Follows ``design_baselines/mins`` (``__init__.py``, ``trainers.py``, ``nets.py``, ``utils.py`` and the run scripts
in ``experiments.py``, which set ``offline=True``, ``method="wasserstein"``, ``iterations=0``):

1. Forward model: one Gaussian surrogate (``bootstraps=1``: trained on a bootstrap resample) through the shared
   trainer (:func:`~mbo_lib.surrogates.ensemble.train_ensemble` with the runner's hooks), Gaussian NLL on z-scored y.
   Discrete tasks feed it one-hot rows corrupted by :func:`~mbo_lib.search.wgan.disc_noise` (``keep`` 0.99,
   temperature ``forward_noise_temp`` 0.001), continuous ones add ``N(0, noise_std^2)`` (0 in every run
   script), as design-baselines' ``Ensemble.train_step``.
2. Inverse model: a y-conditioned WGAN-GP ``x = G(z, y)`` (:mod:`mbo_lib.search.wgan`) trained for ``gan_epochs`` on
   the data (discrete: one-hot space, Gumbel-softmax outputs, temperature annealed ``start_temp -> final_temp``),
   each row weighted by :func:`mins_weights` (the paper's reweighting towards high y, Section 3.2: a 20-bin
   histogram of y re-weighted by ``softmax(bin_edge / base_temp)``, clipped at 5).
3. Inference: condition on ``y* = max`` of the data's (z-scored) y, as design-baselines' default, and draw
   ``num_candidates`` designs at temperature ``sample_temp`` (discrete: argmax -> integers).
   design-baselines' exploration/Thompson-sampling loop has ``iterations=0`` in every run script, so the forward
   model never chooses y* or the candidates there; it does not here either (the paper's optimized-y* inference
   is not what the official baseline runs). It is trained and exposed (``MethodOutput.surrogate``) and its mean
   prediction of the candidates is recorded (``extras["predicted_mean_raw"]``). Consequently a surrogate
   regularizer passed through ``hooks`` changes the forward model but not MINs' candidates.

``steps`` holds candidates after the GAN epochs in ``record_epochs`` (same latent noise each time).

Profiles (paper = design-baselines' run scripts; ``../shared/reference/hyperparameters.md``):

.. profile-table

==================  ======  ==============  ======================================
field               smoke   quick           paper
==================  ======  ==============  ======================================
forward_hidden      16      256             1024
forward_epochs      1       10              100
forward_lr          0.001   0.001           0.001
forward_batch_size  128     128             128
init                torch   torch           keras
val_size            200     200             200
latent_size         32      32              32
gan_hidden          16      128             1024
gan_epochs          1       10              200
gan_batch_size      128     128             128
critic_frequency    10      10              10
penalty_weight      10      10              10
generator_lr        0.0002  0.0002          0.0002
generator_beta1     0       0               0
generator_beta2     0.9     0.9             0.9
critic_lr           0.0002  0.0002          0.0002
critic_beta1        0       0               0
critic_beta2        0.9     0.9             0.9
base_temp           0.1     0.1             0.1
keep                0.99    0.99            0.99
start_temp          5       5               5
final_temp          1       1               1
forward_noise_temp  0.001   0.001           0.001
noise_std           0       0               0
sample_temp         0.001   0.001           0.001
num_candidates      128     128             128
negative_slope      0.3     0.3             0.3
initial_max_std     0.2     0.2             0.2
initial_min_std     0.1     0.1             0.1
record_epochs       1       2, 4, 6, 8, 10  0, 25, 50, 75, 100, 125, 150, 175, 200
==================  ======  ==============  ======================================
task_overrides (paper, TFBind10-Exact-v0): gan_epochs=100; record_epochs=0, 25, 50, 75, 100
task_overrides (paper, HopperController-Exact-v0): gan_epochs=500; record_epochs=0, 50, 100, 150, 200, 250, 300,
  350, 400, 450, 500

.. end profile-table

``init="keras"`` starts the forward model's ``nn.Linear`` layers from Keras' ``Dense`` initialisation (every
profile: PyTorch's default, see below).

Deviations from design-baselines:

- the second ("exploration") GAN that design-baselines also trains is not trained: with ``iterations=0`` its
  output is never used.
- bootstrap: the member trains on a resample of all rows, from which the shared trainer holds out its validation
  rows (design-baselines: 200 rows out first, bootstrap counts on the rest). Forward-model init is PyTorch's
  default with ``init="torch"`` (smoke, quick; ``paper``: ``"keras"``; ``"keras"``: design-baselines' glorot-uniform weights and
  zero biases); the GAN nets use Keras' initialisers. Adam epsilon 1e-8 (Keras 1e-7).
- with ``gan_epochs == 1`` the temperature is ``final_temp`` (design-baselines divides by zero there).
- the adaptive temperature of ``get_weights`` (``base_temp=None``) is not offered; every run script sets 0.1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..design_space import DesignSpace
from ..objectives.regression import gaussian_nll
from ..search.wgan import ConditionalGenerator, YConditionedMLP, disc_noise, train_wgan
from ..surrogates.embedding import one_hot_flat
from ..surrogates.ensemble import train_ensemble
from ..surrogates.models import INITS, GaussianMLP, initialize_
from ..surrogates.trainer import TrainConfig
from .base import Method, MethodConfig, MethodOutput, knob, no_hooks
from .registry import register

_CANDIDATE_NOISE = 7919


def mins_weights(y: np.ndarray, base_temp: float = 0.1, bins: int = 20) -> np.ndarray:
    """MINs' per-row weights (design-baselines ``mins/utils.py: get_weights``; Kumar & Levine 2020, Sec. 3.2).

    A ``bins``-bin histogram of y gives the empirical ``p(bin)``; the target is
    ``softmax(upper_bin_edge / base_temp) * p / (p + 1e-3)`` (renormalized); each row gets
    ``target(bin) / p(bin)``, clipped to [0, 5].

    Args:
        y: ``n x 1`` scores (design-baselines passes z-scored y).
        base_temp: softmax temperature over bin edges (smaller: more mass on the top bins).
        bins: number of histogram bins (20).

    Returns:
        ``n x 1`` float32 weights.
    """
    scores = np.asarray(y, dtype=np.float64).reshape(-1)
    hist, edges = np.histogram(scores, bins=bins)
    hist = hist / np.sum(hist)
    upper = edges[1:]
    soft = np.exp((upper - upper.max()) / base_temp)
    soft = soft / soft.sum()
    target = soft * (hist / (hist + 1e-3))
    target = target / (np.sum(target) + 1e-7)
    index = np.minimum(np.digitize(scores, upper), bins - 1)
    weights = target[index] / (hist[index] + 1e-7)
    return np.clip(weights, 0.0, 5.0).astype(np.float32)[:, None]


def noisy_one_hot_nll(length: int, num_classes: int, keep: float, temp: float):
    """``gaussian_nll`` on one-hot rows corrupted by :func:`disc_noise` (global RNG; design-baselines' forward model)."""

    def loss(model, x, y):
        noisy = disc_noise(x.reshape(x.shape[0], length, num_classes), keep, temp).reshape(x.shape)
        return gaussian_nll(model, noisy, y)

    loss.__name__ = "noisy_one_hot_gaussian_nll"
    return loss


def noisy_continuous_nll(noise_std: float):
    """``gaussian_nll`` on inputs plus ``N(0, noise_std^2)`` noise (global RNG; design-baselines' ``cont_noise``)."""

    def loss(model, x, y):
        return gaussian_nll(model, x + noise_std * torch.randn_like(x), y)

    loss.__name__ = "noisy_gaussian_nll"
    return loss


@dataclass(frozen=True)
class MINsConfig(MethodConfig):
    """MINs' hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "MINs"
    legacy_defaults: ClassVar[dict] = {"init": "torch"}

    forward_hidden: tuple[int, ...] = knob((1024,), "hidden widths of the forward model", low=1, high=65536)
    forward_epochs: int = knob(100, "forward-model training epochs", low=0, high=10000)
    forward_lr: float = knob(1e-3, "forward-model Adam learning rate", low=1e-8, high=1.0)
    forward_batch_size: int = knob(128, "forward-model minibatch size", low=1, high=1 << 20)
    init: str = knob("torch", "forward-model Linear init: PyTorch's default or Keras' Dense default", choices=INITS)
    val_size: int = knob(200, "validation rows (forward model and GAN)", low=0, high=1 << 30)
    latent_size: int = knob(32, "generator noise size", low=1, high=4096)
    gan_hidden: int = knob(1024, "hidden width of the generator and the critic", low=1, high=65536)
    gan_epochs: int = knob(200, "WGAN-GP training epochs", low=0, high=100000)
    gan_batch_size: int = knob(128, "WGAN-GP minibatch size", low=1, high=1 << 20)
    critic_frequency: int = knob(10, "critic steps per generator step", low=1, high=100000)
    penalty_weight: float = knob(10.0, "gradient-penalty weight", low=0.0, high=1e6)
    generator_lr: float = knob(2e-4, "generator Adam learning rate", low=1e-8, high=1.0)
    generator_beta1: float = knob(0.0, "generator Adam beta1", low=0.0, high=0.999999)
    generator_beta2: float = knob(0.9, "generator Adam beta2", low=0.0, high=0.999999)
    critic_lr: float = knob(2e-4, "critic Adam learning rate", low=1e-8, high=1.0)
    critic_beta1: float = knob(0.0, "critic Adam beta1", low=0.0, high=0.999999)
    critic_beta2: float = knob(0.9, "critic Adam beta2", low=0.0, high=0.999999)
    base_temp: float = knob(0.1, "softmax temperature of the reweighting over y bins", low=1e-6, high=1e6)
    keep: float = knob(0.99, "kept mass of a one-hot row in disc_noise", low=0.0, high=1.0)
    start_temp: float = knob(5.0, "initial Gumbel-softmax temperature", low=1e-6, high=1e6)
    final_temp: float = knob(1.0, "final Gumbel-softmax temperature", low=1e-6, high=1e6)
    forward_noise_temp: float = knob(0.001, "temperature of the forward model's input noise (discrete)",
                                     low=1e-6, high=1e6)
    noise_std: float = knob(0.0, "std of the forward model's input noise (continuous)", low=0.0, high=1e6)
    sample_temp: float = knob(0.001, "temperature when drawing the candidates", low=1e-6, high=1e6)
    num_candidates: int = knob(128, "designs returned", low=1, high=100000)
    negative_slope: float = knob(0.3, "LeakyReLU slope of the forward model (Keras' default)", low=0.0, high=1.0)
    initial_max_std: float = knob(0.2, "initial upper bound of the predicted std", low=1e-6, high=1e6)
    initial_min_std: float = knob(0.1, "initial lower bound of the predicted std", low=1e-6, high=1e6)
    record_epochs: tuple[int, ...] = knob(tuple(range(0, 201, 25)), "GAN epochs whose candidates are scored", low=0,
                                          at_most="gan_epochs")
    task_overrides: dict = knob({}, "{task_id: {field: value}} merged over the profile for that task")


@register
class MINs(Method):
    name = "MINs"
    config_class = MINsConfig
    profiles = {
        "smoke": MINsConfig(forward_hidden=(16,), forward_epochs=1, gan_hidden=16, gan_epochs=1, record_epochs=(1,)),
        "quick": MINsConfig(forward_hidden=(256,), forward_epochs=10, gan_hidden=128, gan_epochs=10,
                            record_epochs=(2, 4, 6, 8, 10)),
        "paper": MINsConfig(init="keras", task_overrides={
            "TFBind10-Exact-v0": {"gan_epochs": 100, "record_epochs": list(range(0, 101, 25))},
            "HopperController-Exact-v0": {"gan_epochs": 500, "record_epochs": list(range(0, 501, 50))}}),
    }

    def run(self, task, config: MINsConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        config = config.for_task(task.task_id)
        device = torch.device(device)
        space = DesignSpace(task, normalize_x=not task.is_discrete, normalize_y=True)
        y = space.encode_y(task.y)
        if task.is_discrete:
            length, classes = task.sequence_length, task.num_classes
            x = one_hot_flat(task.x, classes)
            loss = noisy_one_hot_nll(length, classes, config.keep, config.forward_noise_temp)
        else:
            length, classes = space.dim, None
            x = space.encode(task.x)
            loss = gaussian_nll if config.noise_std == 0 else noisy_continuous_nll(config.noise_std)

        # 1. the forward model, through the shared trainer
        train_config = TrainConfig(epochs=config.forward_epochs, batch_size=config.forward_batch_size,
                                   lr=config.forward_lr, val_size=config.val_size)
        make_model = lambda i: initialize_(GaussianMLP(  # noqa: E731
            x.shape[1], config.forward_hidden, "leaky_relu", config.negative_slope, config.initial_max_std,
            config.initial_min_std), config.init)
        forward, logs = train_ensemble(make_model, 1, x, y, loss, train_config, seed=seed, hooks=hooks, bootstrap=True,
                                       device=device, progress=progress, desc=f"MINs forward model {task.task_id}")
        forward_model = forward.members[0]

        # 2. the inverse model
        torch.manual_seed(seed * 1000 + 901)
        gen = ConditionalGenerator(length, config.latent_size, config.gan_hidden, classes).to(device)
        critic = YConditionedMLP(gen.out_dim, 1, config.gan_hidden).to(device)
        x_t, y_t = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
        w = mins_weights(y, config.base_temp)
        w_t = torch.as_tensor(w, device=device)
        y_star = float(y.max())
        condition = torch.full((config.num_candidates, 1), y_star, device=device)

        def candidates() -> torch.Tensor:
            noise = torch.Generator(device=device).manual_seed(seed + _CANDIDATE_NOISE)
            with torch.no_grad():
                return gen.sample(condition, noise, config.sample_temp)

        snapshots = {0: candidates()} if 0 in config.record_epochs else {}

        def record(epoch: int) -> None:
            if epoch in config.record_epochs:
                snapshots[epoch] = candidates()

        gan_log = train_wgan(gen, critic, x_t, y_t, w_t, epochs=config.gan_epochs, batch_size=config.gan_batch_size,
                             generator=torch.Generator(device=device).manual_seed(seed),
                             critic_frequency=config.critic_frequency, penalty_weight=config.penalty_weight,
                             generator_lr=config.generator_lr, generator_betas=(config.generator_beta1, config.generator_beta2),
                             critic_lr=config.critic_lr, critic_betas=(config.critic_beta1, config.critic_beta2),
                             val_size=config.val_size, keep=config.keep, start_temp=config.start_temp,
                             final_temp=config.final_temp, noise_std=config.noise_std, on_epoch_end=record)

        # 3. candidates conditioned on the best score in the data
        final = snapshots.get(config.gan_epochs)
        final = candidates() if final is None else final

        def decode(samples: torch.Tensor) -> np.ndarray:
            samples = samples.cpu().numpy()
            if task.is_discrete:
                return samples.reshape(samples.shape[0], length, classes).argmax(-1).astype(np.int32)
            return space.decode(samples)

        designs = decode(final)
        with torch.no_grad():
            inputs = torch.as_tensor(one_hot_flat(designs, classes), device=device) if task.is_discrete else final
            predicted = forward_model(inputs)[:, 0]

        extras = {"condition_y": y_star, "condition_y_raw": float(space.decode_y(y_star)),
                  "predicted_mean_raw": float(space.decode_y(float(predicted.mean()))),
                  "weights": {"max": float(w.max()), "mean": float(w.mean()),
                              "ess": float(w.sum() ** 2 / max(float((w ** 2).sum()), 1e-30))},
                  "gan": gan_log, "effective_hyperparameters": {k: v for k, v in config.to_dict().items() if k != "task_overrides"}}
        return MethodOutput(designs=designs, steps={k: decode(v) for k, v in snapshots.items()},
                            train_logs=logs, extras=extras, surrogate=forward_model)
