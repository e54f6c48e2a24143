"""PGS: policy-guided gradient search (Chemingui et al., AAAI 2024; official code ``yassineCh/PGS``).

1. Search space. Continuous tasks: z-scored x. Discrete tasks: ``space="latent"`` (paper) trains the sequence VAE
   of :mod:`mbo_lib.surrogates.sequence_vae` and works on its posterior means, z-scored per dimension with the
   data's latent mean/std when ``latent_standardize=True`` (default; the official code does not z-score, see
   below), decoding candidates with the decoder's argmax (:class:`~mbo_lib.surrogates.sequence_vae.LatentCoordinates`);
   ``space="logits"`` skips the VAE and works on z-scored design-bench logits (flattened ``L * (C-1)``), decoded by
   :class:`~mbo_lib.design_space.DesignSpace`. y is z-scored.
2. Surrogate: ``MLP`` (2 x 2048 ReLU) trained by MSE through the shared trainer (with the runner's ``hooks``),
   holding out ``val_fraction`` of the rows.
3. For each ``p`` in ``top_ps``: synthesize ``num_trajectories`` trajectories of ``traj_length`` steps from the
   top-p% designs (:mod:`mbo_lib.search.pgs_trajectories`), train CQL on them (:mod:`mbo_lib.rl.cql`) and, at
   every checkpoint (official: after epochs 50, 100, ..., 400), run the policy-guided search
   ``x <- x + alpha(x) * scale * grad f(x)`` for ``search_steps`` steps from the top-``num_candidates`` designs of
   the data with the deterministic policy (:mod:`mbo_lib.search.policy_guided`). ``scale = factor * sqrt(d)`` with
   ``factor`` = ``search_scale`` or, when it is ``None``, 0.05 in every unit-scale space (continuous, logits,
   standardized latent) or 2.0 in raw latents (``latent_standardize=False``, the official value).
4. OSEL (:mod:`mbo_lib.search.osel`): a k-NN regressor (k = ``osel_k``) on the offline data in an embedding picks
   the (p, checkpoint) whose candidates have the highest max prediction; those are ``MethodOutput.designs``.
   ``osel_embedding="surrogate"`` (default) embeds designs with the surrogate's penultimate layer (its last hidden
   ReLU features, on search-space inputs); ``"design"`` uses the search-space coordinates themselves. The paper
   instead trains a value-prediction-network encoder on the trajectories (``embed.py``; latent 8 for TF-Bind-8,
   32 otherwise); we reuse the already trained surrogate, a learned, value-aware embedding at no extra cost.

Outputs: ``designs`` = the OSEL choice; ``steps`` = the candidates of **every** (p, checkpoint), keyed
``0, 1, 2, ...`` in order of ``extras["checkpoints"]`` (each entry: ``key``, ``top_p``, ``epoch`` (0-based),
``rl_steps``, ``osel_score``, ``surrogate_max`` (max predicted normalized y), ``selected``), so the runner's
oracle curve gives the score of each checkpoint and the percentile sweep without the method ever seeing the
oracle. ``extras`` also holds the OSEL choice, per-p CQL logs and speeds, trajectory-synthesis seconds and the
VAE log. ``train_logs`` = ``[surrogate log]``; ``candidate_inputs`` = the chosen candidates in search space.

Profiles (paper = official settings, ``../shared/reference/hyperparameters.md``):

.. profile-table

====================  =========  ==============  ==============
field                 smoke      quick           paper
====================  =========  ==============  ==============
space                 latent     latent          latent
policy                learned    learned         learned
vae_lr                0.0003     0.0003          0.0003
vae_beta              1          1               1
vae_kernel_size       3          3               3
vae_num_blocks        4          4               4
vae_val_size          200        200             200
vae_hidden            16         64              64
vae_latent            8          32              32
vae_epochs            1          3               50
vae_batch_size        512        128             32
latent_standardize    True       True            True
surrogate_hidden      32, 32     256, 256        2048, 2048
surrogate_epochs      1          20              50
surrogate_lr          0.0003     0.0003          0.0003
surrogate_batch_size  128        128             128
val_fraction          0.1        0.1             0.1
top_ps                20, 40     10, 20, 30, 40  10, 20, 30, 40
num_trajectories      200        20000           20000
traj_length           10         50              50
action_divisor        10         10              10
action_clip           0.999      0.999           0.999
rl_hidden             32, 32     128, 128        256, 256
rl_batch_size         64         128             256
rl_epochs             3          4               401
rl_steps_per_epoch    5          250             1000
checkpoint_every      1          1               50
discount              0.99       0.99            0.99
rl_lr                 0.0003     0.0003          0.0003
tau                   0.005      0.005           0.005
min_q_weight          5          5               5
cql_num_actions       10         10              10
td_broadcast          False      False           False
search_steps          5          50              50
search_scale          None       None            None
num_candidates        128        128             128
osel_k                10         10              10
osel_embedding        surrogate  surrogate       surrogate
====================  =========  ==============  ==============

.. end profile-table

Every profile standardizes the latents (so the latent step factor is 0.05).
The quick profile's CQL is smaller (128-128, batch 128, 1,000 steps per p) so a run fits in minutes on one
CPU core (benchmarks/results/pgs.md); its checkpoints are after RL epochs 1, 2, 3 (500, 750, 1000 steps).

**Ablation of the learned policy (claim P3).** ``policy="constant"`` replaces the learned step-size policy by
the constant action ``alpha(x) = 1`` in every coordinate, i.e. plain gradient ascent
``x <- x + scale * grad f(x)`` with the very step factor ``scale`` the policy's actions multiply (the largest
step the Tanh policy can take). Everything else is the same run (search space, surrogate, start designs, number
of steps); no trajectories or CQL are needed, so ``steps`` and ``extras["checkpoints"]`` hold a single entry
(key 0, ``top_p=None``, ``rl_steps=0``), which OSEL trivially selects. ``policy="learned"`` is the method.

Differences from the official code (``yassineCh/PGS``), all deliberate:

- Latent step scale (also in the ``paper`` profile): the official code searches the raw posterior means with
  ``scale = 2 * sqrt(32) = 11.3``. The absolute size of a step only means something relative to the spread of the
  data in the search space, and that spread is a property of the VAE (its KL term and training length), not of the
  method: in our PyTorch VAE (quick, 3 epochs) the posterior means have per-dim std about 0.06 on TF-Bind-8, so
  steps of ``11.3 * alpha * |grad f|`` jump far outside the data within a few of the 50 steps and the
  candidates collapse onto a few decoded sequences (see "Observed" below). We therefore z-score the latent
  coordinates with the data's per-dim latent mean/std, exactly as continuous x and the logits are z-scored, and
  use the same factor 0.05 as those unit-scale spaces. This choice was made from the latent statistics alone,
  without looking at oracle scores. ``latent_standardize=False`` restores the official raw latents and with it the
  official default factor 2.0 (``search_scale`` still overrides the factor in both cases).
- OSEL embedding: the surrogate's penultimate layer (or the raw search space) instead of a separately trained
  value-prediction-network encoder; the k-NN is fitted on all offline data in that embedding.
- TD target: per-sample by default. The official ``conservative_sac.py`` adds ``B x 1`` rewards to ``B`` Q values,
  which broadcasts to ``B x B`` (each Q regresses on the batch-mean reward); ``td_broadcast=True`` reproduces it.
- One run sweeps every ``p`` of ``top_ps`` and lets OSEL choose (the official scripts run one ``p`` per launch and
  choose afterwards with ``knn_evaluate.py``); seeds are per run (official: 42 only).
- The VAE (TensorFlow in the official code) is a PyTorch port trained by its own loop (it is not a surrogate, so
  the runner's hooks are not applied to it); the surrogate's 10% validation split is drawn by the shared trainer.
- CQL is our own PyTorch implementation of the official loss (same networks, init, importance-sampled CQL(H),
  ``-d`` target entropy, update order); d3rlpy's CQL runs at the same speed on CPU here (benchmarks/results/pgs.md)
  but differs in details and needs materialized ``N T x d`` arrays and pinned gym packages.

Observed (quick profile, records made before the standardization, since replaced): the VAE's KL term keeps the posterior means small (per-dim std about
0.06 on TF-Bind-8 after 3 epochs) while the official latent scale ``2 * sqrt(32) = 11.3`` multiplies gradients of
norm about 7, so 50 steps leave the data region and most candidates decode to the same few sequences (50th = 100th
percentile in 3 of 4 TF-Bind-8 seeds). ``search_scale=0.05`` in latent space (single diagnostic run, seed 0, not
stored) raised TF-Bind-8's 100th percentile from 0.525 to 0.904. That diagnostic motivated looking at the
scale, but the fix above is not tuned on it: 0.05 is the factor the official code uses in unit-scale spaces.
``extras["vae"]["raw_std"]`` records the per-dim std of the raw posterior means of every run.

Observed with standardized latents (quick, seed 0, diagnostic runs not stored): the 50-step search moves the
top-128 by about 1.1-1.2 data stds on TF-Bind-8 (0.4-0.5 on TF-Bind-10) and changes the decoded design of 20-38%
of them; the official raw-latent scale moved them by 400-1500 raw units (raw std ~0.06) and collapsed the 128
candidates onto 1-9 designs. Part of the score comes from the quick (3-epoch) VAE itself: decoding the top-128's
latents without any search already scores 0.750 (TF-Bind-8; the data's best is 0.439) and 0.643 (TF-Bind-10, where
only 2% of them decode back to themselves; the search's final 0.643 adds nothing on that seed).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..design_space import DesignSpace
from ..objectives.regression import mse
from ..rl.cql import CQLConfig, train_cql
from ..search.osel import KNNRegressor, osel_select
from ..search.pgs_trajectories import synthesize_trajectories, top_percent_indices
from ..search.policy_guided import policy_guided_search
from ..surrogates.models import MLP
from ..surrogates.sequence_vae import LatentCoordinates, SequenceVAE, VAEConfig, train_sequence_vae
from ..surrogates.trainer import TrainConfig, train_surrogate
from .base import Method, MethodConfig, MethodOutput, knob, no_hooks
from .registry import register

SPACES = ("latent", "logits")
OSEL_EMBEDDINGS = ("surrogate", "design")
POLICIES = ("learned", "constant")


@dataclass(frozen=True)
class PGSConfig(MethodConfig):
    """PGS' hyperparameters (defaults: the paper profile)."""

    method_name: ClassVar[str] = "PGS"
    legacy_defaults: ClassVar[dict] = {"policy": "learned"}

    space: str = knob("latent", "search space of discrete tasks: VAE latents (paper) or logits", choices=SPACES)
    policy: str = knob("learned", "step-size policy: learned by CQL (PGS) or constant 1 (ablation)", choices=POLICIES)
    vae_lr: float = knob(3e-4, "VAE Adam learning rate", low=1e-8, high=1.0)
    vae_beta: float = knob(1.0, "weight of the VAE's KL term", low=0.0, high=1e6)
    vae_kernel_size: int = knob(3, "VAE convolution kernel size", low=1, high=99)
    vae_num_blocks: int = knob(4, "VAE residual blocks", low=1, high=16)
    vae_val_size: int = knob(200, "VAE validation rows", low=0, high=1 << 30)
    vae_hidden: int = knob(64, "VAE channels", low=2, high=65536)
    vae_latent: int = knob(32, "VAE latent size", low=1, high=65536)
    vae_epochs: int = knob(50, "VAE training epochs", low=0, high=100000)
    vae_batch_size: int = knob(32, "VAE minibatch size", low=1, high=1 << 20)
    latent_standardize: bool = knob(True, "z-score the latent coordinates (official: raw)")
    surrogate_hidden: tuple[int, ...] = knob((2048, 2048), "hidden widths of the ReLU surrogate", low=1, high=65536)
    surrogate_epochs: int = knob(50, "surrogate training epochs", low=0, high=100000)
    surrogate_lr: float = knob(3e-4, "surrogate Adam learning rate", low=1e-8, high=1.0)
    surrogate_batch_size: int = knob(128, "surrogate minibatch size", low=1, high=1 << 20)
    val_fraction: float = knob(0.1, "fraction of rows held out from surrogate training", low=0.0, high=0.5)
    top_ps: tuple[float, ...] = knob((10, 20, 30, 40), "top-p percents swept (OSEL picks)", low=1e-6, high=100.0,
                                     min_len=1, distinct=True)
    num_trajectories: int = knob(20000, "synthetic trajectories per p", low=1, high=1 << 30)
    traj_length: int = knob(50, "transitions per trajectory", low=1, high=100000)
    action_divisor: float = knob(10.0, "divisor of the trajectory actions", low=1e-12, high=1e12)
    action_clip: float = knob(0.999, "clip of the trajectory actions", low=1e-6, high=1.0)
    rl_hidden: tuple[int, ...] = knob((256, 256), "hidden widths of CQL's policy and Q networks", low=1, high=65536)
    rl_batch_size: int = knob(256, "CQL minibatch size", low=1, high=1 << 20)
    rl_epochs: int = knob(401, "CQL epochs", low=1, high=1 << 20)
    rl_steps_per_epoch: int = knob(1000, "CQL gradient steps per epoch", low=1, high=1 << 30)
    checkpoint_every: int = knob(50, "CQL epochs between policy checkpoints", low=1, high=1 << 20)
    discount: float = knob(0.99, "CQL discount", low=0.0, high=1.0)
    rl_lr: float = knob(3e-4, "CQL learning rate (policy and Q)", low=1e-8, high=1.0)
    tau: float = knob(5e-3, "target-network update rate", low=1e-8, high=1.0)
    min_q_weight: float = knob(5.0, "weight of the conservative (min-Q) term", low=0.0, high=1e6)
    cql_num_actions: int = knob(10, "sampled actions of the CQL(H) term", low=1, high=100000)
    td_broadcast: bool = knob(False, "reproduce the official B x B TD-target broadcast")
    search_steps: int = knob(50, "policy-guided search steps", low=0, high=100000)
    search_scale: float | None = knob(None, "step factor (None: 0.05, or 2.0 in raw latents); step = factor * sqrt(d)",
                                      low=1e-12)
    num_candidates: int = knob(128, "designs returned (the top-k of the data are the starts)", low=1, high=100000)
    osel_k: int = knob(10, "neighbours of OSEL's k-NN regressor", low=1, high=100000)
    osel_embedding: str = knob("surrogate", "OSEL's embedding: surrogate features or design coordinates",
                               choices=OSEL_EMBEDDINGS)


def _scale_factor(task, config: PGSConfig) -> float:
    """``search_scale`` or its default: 2.0 in raw (official, unstandardized) latents, else 0.05 (unit-scale spaces)."""
    if config.search_scale is not None:
        return float(config.search_scale)
    raw_latent = task.is_discrete and config.space == "latent" and not config.latent_standardize
    return 2.0 if raw_latent else 0.05


@register
class PGS(Method):
    name = "PGS"
    config_class = PGSConfig
    # 2: the sequence VAE's LayerNorm sums its weight/bias gradients in float64, so PGS is bit-identical across torch
    # thread counts (issue 17); latent-space scores change in the last bits, so version-1 records are recomputed.
    version = 2
    profiles = {
        "smoke": PGSConfig(vae_hidden=16, vae_latent=8, vae_epochs=1, vae_batch_size=512, surrogate_hidden=(32, 32),
                           surrogate_epochs=1, top_ps=(20, 40), num_trajectories=200, traj_length=10,
                           rl_hidden=(32, 32), rl_batch_size=64, rl_epochs=3, rl_steps_per_epoch=5, checkpoint_every=1,
                           search_steps=5),
        "quick": PGSConfig(vae_epochs=3, vae_batch_size=128, surrogate_hidden=(256, 256), surrogate_epochs=20,
                           rl_hidden=(128, 128), rl_batch_size=128, rl_epochs=4, rl_steps_per_epoch=250,
                           checkpoint_every=1),
        "paper": PGSConfig(),
    }

    def run(self, task, config: PGSConfig, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        device = torch.device(device)
        extras: dict = {"space": "continuous" if not task.is_discrete else config.space}

        # 1. search space
        y = task.y.astype(np.float64)
        y_norm = ((y - y.mean()) / (y.std() if y.std() > 0 else 1.0)).astype(np.float32)
        if task.is_discrete and config.space == "latent":
            torch.manual_seed(seed)
            vae = SequenceVAE(task.num_classes, task.sequence_length, config.vae_hidden, config.vae_latent,
                              config.vae_kernel_size, config.vae_num_blocks)
            vae_config = VAEConfig(config.vae_epochs, config.vae_batch_size, config.vae_lr, config.vae_beta, config.vae_val_size)
            vae_log = train_sequence_vae(vae, task.x, vae_config, seed=seed, device=device, progress=progress,
                                         desc=f"PGS VAE {task.task_id}")
            coords = LatentCoordinates(vae, task.x, standardize=config.latent_standardize, device=device)
            x = coords.data
            decode = coords.decode
            extras["vae"] = {"seconds": vae_log.seconds, "epochs": vae_log.epochs,
                             "standardize": config.latent_standardize,
                             "raw_std": [round(float(v), 6) for v in coords.raw_std]}
        else:
            space = DesignSpace(task, normalize_x=True, normalize_y=True)
            x = space.encode(task.x)
            decode = lambda z: space.decode(z.cpu().numpy() if torch.is_tensor(z) else z)  # noqa: E731
        d = x.shape[1]

        # 2. surrogate
        torch.manual_seed(seed)
        model = MLP(d, config.surrogate_hidden, activation="relu")
        train_config = TrainConfig(epochs=config.surrogate_epochs, batch_size=config.surrogate_batch_size,
                                   lr=config.surrogate_lr, val_size=int(config.val_fraction * x.shape[0]))
        log = train_surrogate(model, x, y_norm, mse, train_config, seed=seed, hooks=hooks(), device=device, progress=progress,
                              desc=f"PGS surrogate {task.task_id}")
        model.eval()
        xt = torch.as_tensor(x, device=device)
        num_candidates = min(config.num_candidates, x.shape[0])
        start = xt[torch.as_tensor(np.argsort(-y[:, 0], kind="stable")[:num_candidates], device=device)]
        scale = _scale_factor(task, config) * math.sqrt(d)
        extras.update(dim=d, search_scale=scale)

        # 3. per p: trajectories, CQL, policy-guided search at each checkpoint (ablation: one constant-step search)
        cql_config = CQLConfig(policy_hidden=list(config.rl_hidden), q_hidden=list(config.rl_hidden),
                               batch_size=config.rl_batch_size, discount=config.discount, policy_lr=config.rl_lr,
                               q_lr=config.rl_lr, tau=config.tau, min_q_weight=config.min_q_weight,
                               num_actions=config.cql_num_actions, td_broadcast=config.td_broadcast)
        candidates, checkpoints, rl_info = {}, [], {}
        if config.policy == "constant":
            final, _ = policy_guided_search(torch.ones_like, model, start, scale, config.search_steps)
            candidates[0] = final
            with torch.no_grad():
                pred = float(model(final).max())
            checkpoints.append({"key": 0, "top_p": None, "epoch": None, "rl_steps": 0, "surrogate_max": pred})
        else:
            for i, p in enumerate(config.top_ps):
                rows = top_percent_indices(y_norm, p)
                t0 = time.perf_counter()
                dataset = synthesize_trajectories(xt[torch.as_tensor(rows, device=device)], y_norm[rows, 0], model,
                                                  num_trajectories=config.num_trajectories, length=config.traj_length,
                                                  seed=seed * 1000 + i, divisor=config.action_divisor,
                                                  clip=config.action_clip, device=device)
                t_traj = time.perf_counter() - t0
                _, policies, rl_log = train_cql(dataset, cql_config, epochs=config.rl_epochs,
                                                steps_per_epoch=config.rl_steps_per_epoch,
                                                checkpoint_every=config.checkpoint_every, seed=seed * 1000 + i,
                                                device=device, progress=progress, desc=f"PGS CQL p={p}")
                rl_info[str(p)] = {"num_top": int(rows.size), "trajectory_seconds": t_traj, "rl_seconds": rl_log.seconds,
                                   "rl_steps_per_second": rl_log.epochs[-1]["rl_steps"] / max(rl_log.seconds, 1e-9),
                                   "log": rl_log.epochs}
                for epoch, rl_steps, policy in policies:
                    final, _ = policy_guided_search(lambda z, pol=policy: pol.act(z, deterministic=True), model, start,
                                                    scale, config.search_steps)
                    key = len(checkpoints)
                    candidates[key] = final
                    with torch.no_grad():
                        pred = float(model(final).max())
                    checkpoints.append({"key": key, "top_p": p, "epoch": epoch, "rl_steps": rl_steps,
                                        "surrogate_max": pred})

        # 4. OSEL
        embed = model.net[:-1] if config.osel_embedding == "surrogate" else torch.nn.Identity()
        with torch.no_grad():
            knn = KNNRegressor(config.osel_k).fit(_batched(embed, xt), y_norm)
            best, scores = osel_select(knn, {k: _batched(embed, v) for k, v in candidates.items()})
        for c in checkpoints:
            c["osel_score"] = scores[c["key"]]
            c["selected"] = c["key"] == best
        chosen = checkpoints[best]
        extras.update(checkpoints=checkpoints, rl=rl_info,
                      osel={"embedding": config.osel_embedding, "k": config.osel_k, "selected_key": best,
                            "selected_top_p": chosen["top_p"], "selected_rl_steps": chosen["rl_steps"]})
        return MethodOutput(designs=decode(candidates[best]), steps={k: decode(v) for k, v in candidates.items()},
                            train_logs=[log], extras=extras, surrogate=model,
                            candidate_inputs=candidates[best].cpu().numpy())


def _batched(fn, x: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    return torch.cat([fn(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)])
