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

==========================  ===============  =================  ====================
hyperparameter              smoke            quick              paper
==========================  ===============  =================  ====================
VAE hidden / latent         16 / 8           64 / 32            64 / 32
VAE epochs / batch          1 / 512          3 / 128            50 / 32
surrogate hidden            32, 32           256, 256           2048, 2048
surrogate epochs            1                20                 50
top_ps (OSEL sweep)         20, 40           10, 20, 30, 40     10, 20, 30, 40
trajectories x length       200 x 10         20,000 x 50        20,000 x 50
CQL hidden / batch          32-32 / 64       128-128 / 128      256-256 / 256
RL epochs x steps/epoch     3 x 5            4 x 250            401 x 1000
checkpoint every (epochs)   1                1                  50
search steps                5                50                 50
==========================  ===============  =================  ====================

Shared by all profiles: latent_standardize True (so the latent step factor is 0.05), VAE lr 3e-4, beta 1, kernel 3, 4 blocks, 200 validation rows; surrogate Adam 3e-4,
batch 128, 10% validation; action divisor 10, clip 0.999; CQL discount 0.99, lr 3e-4, tau 5e-3, min-Q weight 5,
10 sampled actions, automatic entropy tuning (target ``-d``); 128 candidates; OSEL k = 10.
The quick profile's CQL is smaller (128-128, batch 128, 1,000 steps per p) so a run fits in minutes on one
CPU core (benchmarks/results/pgs.md); its checkpoints are after RL epochs 1, 2, 3 (500, 750, 1000 steps).

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

import numpy as np
import torch

from ..design_space import DesignSpace
from ..errors import InvalidInputError
from ..objectives.regression import mse
from ..rl.cql import CQLConfig, train_cql
from ..search.osel import KNNRegressor, osel_select
from ..search.pgs_trajectories import synthesize_trajectories, top_percent_indices
from ..search.policy_guided import policy_guided_search
from ..surrogates.models import MLP
from ..surrogates.sequence_vae import LatentCoordinates, SequenceVAE, VAEConfig, train_sequence_vae
from ..surrogates.trainer import TrainConfig, train_surrogate
from .base import Method, MethodOutput, no_hooks
from .registry import register

_COMMON = dict(space="latent", vae_lr=3e-4, vae_beta=1.0, vae_kernel_size=3, vae_num_blocks=4, vae_val_size=200,
               surrogate_lr=3e-4, surrogate_batch_size=128, val_fraction=0.1, action_divisor=10.0, action_clip=0.999,
               discount=0.99, rl_lr=3e-4, tau=5e-3, min_q_weight=5.0, cql_num_actions=10, td_broadcast=False,
               search_scale=None, latent_standardize=True, num_candidates=128, osel_k=10, osel_embedding="surrogate")

SPACES = ("latent", "logits")
OSEL_EMBEDDINGS = ("surrogate", "design")


def _scale_factor(task, hp) -> float:
    """``search_scale`` or its default: 2.0 in raw (official, unstandardized) latents, else 0.05 (unit-scale spaces)."""
    if hp["search_scale"] is not None:
        return float(hp["search_scale"])
    raw_latent = task.is_discrete and hp["space"] == "latent" and not hp["latent_standardize"]
    return 2.0 if raw_latent else 0.05


@register
class PGS(Method):
    name = "PGS"
    profiles = {
        "smoke": dict(_COMMON, vae_hidden=16, vae_latent=8, vae_epochs=1, vae_batch_size=512,
                      surrogate_hidden=[32, 32], surrogate_epochs=1, top_ps=[20, 40], num_trajectories=200,
                      traj_length=10, rl_hidden=[32, 32], rl_batch_size=64, rl_epochs=3, rl_steps_per_epoch=5,
                      checkpoint_every=1, search_steps=5),
        "quick": dict(_COMMON, vae_hidden=64, vae_latent=32, vae_epochs=3, vae_batch_size=128,
                      surrogate_hidden=[256, 256], surrogate_epochs=20, top_ps=[10, 20, 30, 40],
                      num_trajectories=20000, traj_length=50, rl_hidden=[128, 128], rl_batch_size=128, rl_epochs=4,
                      rl_steps_per_epoch=250, checkpoint_every=1, search_steps=50),
        "paper": dict(_COMMON, vae_hidden=64, vae_latent=32, vae_epochs=50, vae_batch_size=32,
                      surrogate_hidden=[2048, 2048], surrogate_epochs=50, top_ps=[10, 20, 30, 40],
                      num_trajectories=20000, traj_length=50, rl_hidden=[256, 256], rl_batch_size=256, rl_epochs=401,
                      rl_steps_per_epoch=1000, checkpoint_every=50, search_steps=50),
    }
    ranges = dict(vae_lr=(1e-8, 1.0), vae_beta=(0.0, 1e6), vae_kernel_size=(1, 99), vae_num_blocks=(1, 16),
                  vae_val_size=(0, 1 << 30), vae_hidden=(2, 65536), vae_latent=(1, 65536), vae_epochs=(0, 100000),
                  vae_batch_size=(1, 1 << 20), surrogate_lr=(1e-8, 1.0), surrogate_batch_size=(1, 1 << 20),
                  val_fraction=(0.0, 0.5), surrogate_hidden=(1, 65536), surrogate_epochs=(0, 100000),
                  action_divisor=(1e-12, 1e12), action_clip=(1e-6, 1.0), discount=(0.0, 1.0), rl_lr=(1e-8, 1.0),
                  tau=(1e-8, 1.0), min_q_weight=(0.0, 1e6), cql_num_actions=(1, 100000), num_candidates=(1, 100000),
                  osel_k=(1, 100000), top_ps=(1e-6, 100.0), num_trajectories=(1, 1 << 30), traj_length=(1, 100000),
                  rl_hidden=(1, 65536), rl_batch_size=(1, 1 << 20), rl_epochs=(1, 1 << 20),
                  rl_steps_per_epoch=(1, 1 << 30), checkpoint_every=(1, 1 << 20), search_steps=(0, 100000))

    def hyperparameters(self, profile: str, overrides: dict | None = None) -> dict:
        hp = super().hyperparameters(profile, overrides)
        if hp["space"] not in SPACES:
            raise InvalidInputError(f"PGS: space must be one of {SPACES}, got {hp['space']!r}")
        if hp["osel_embedding"] not in OSEL_EMBEDDINGS:
            raise InvalidInputError(f"PGS: osel_embedding must be one of {OSEL_EMBEDDINGS}, got {hp['osel_embedding']!r}")
        if hp["search_scale"] is not None and not (isinstance(hp["search_scale"], (int, float)) and hp["search_scale"] > 0):
            raise InvalidInputError(f"PGS: search_scale must be None or a positive number, got {hp['search_scale']!r}")
        if not isinstance(hp["top_ps"], (list, tuple)) or not hp["top_ps"] or len(set(hp["top_ps"])) != len(hp["top_ps"]):
            raise InvalidInputError(f"PGS: top_ps must be a non-empty list of distinct percents, got {hp['top_ps']!r}")
        if not isinstance(hp["latent_standardize"], bool):
            raise InvalidInputError(f"PGS: latent_standardize must be a bool, got {hp['latent_standardize']!r}")
        if not isinstance(hp["td_broadcast"], bool):
            raise InvalidInputError(f"PGS: td_broadcast must be a bool, got {hp['td_broadcast']!r}")
        return hp

    def run(self, task, hp, *, seed, device, progress=None, hooks=no_hooks) -> MethodOutput:
        device = torch.device(device)
        extras: dict = {"space": "continuous" if not task.is_discrete else hp["space"]}

        # 1. search space
        y = task.y.astype(np.float64)
        y_norm = ((y - y.mean()) / (y.std() if y.std() > 0 else 1.0)).astype(np.float32)
        if task.is_discrete and hp["space"] == "latent":
            torch.manual_seed(seed)
            vae = SequenceVAE(task.num_classes, task.sequence_length, hp["vae_hidden"], hp["vae_latent"],
                              hp["vae_kernel_size"], hp["vae_num_blocks"])
            vae_config = VAEConfig(hp["vae_epochs"], hp["vae_batch_size"], hp["vae_lr"], hp["vae_beta"], hp["vae_val_size"])
            vae_log = train_sequence_vae(vae, task.x, vae_config, seed=seed, device=device, progress=progress,
                                         desc=f"PGS VAE {task.task_id}")
            coords = LatentCoordinates(vae, task.x, standardize=hp["latent_standardize"], device=device)
            x = coords.data
            decode = coords.decode
            extras["vae"] = {"seconds": vae_log.seconds, "epochs": vae_log.epochs,
                             "standardize": hp["latent_standardize"],
                             "raw_std": [round(float(v), 6) for v in coords.raw_std]}
        else:
            space = DesignSpace(task, normalize_x=True, normalize_y=True)
            x = space.encode(task.x)
            decode = lambda z: space.decode(z.cpu().numpy() if torch.is_tensor(z) else z)  # noqa: E731
        d = x.shape[1]

        # 2. surrogate
        torch.manual_seed(seed)
        model = MLP(d, hp["surrogate_hidden"], activation="relu")
        config = TrainConfig(epochs=hp["surrogate_epochs"], batch_size=hp["surrogate_batch_size"], lr=hp["surrogate_lr"],
                             val_size=int(hp["val_fraction"] * x.shape[0]))
        log = train_surrogate(model, x, y_norm, mse, config, seed=seed, hooks=hooks(), device=device, progress=progress,
                              desc=f"PGS surrogate {task.task_id}")
        model.eval()
        xt = torch.as_tensor(x, device=device)
        num_candidates = min(hp["num_candidates"], x.shape[0])
        start = xt[torch.as_tensor(np.argsort(-y[:, 0], kind="stable")[:num_candidates], device=device)]
        scale = _scale_factor(task, hp) * math.sqrt(d)
        extras.update(dim=d, search_scale=scale)

        # 3. per p: trajectories, CQL, policy-guided search at each checkpoint
        cql_config = CQLConfig(policy_hidden=list(hp["rl_hidden"]), q_hidden=list(hp["rl_hidden"]),
                               batch_size=hp["rl_batch_size"], discount=hp["discount"], policy_lr=hp["rl_lr"],
                               q_lr=hp["rl_lr"], tau=hp["tau"], min_q_weight=hp["min_q_weight"],
                               num_actions=hp["cql_num_actions"], td_broadcast=hp["td_broadcast"])
        candidates, checkpoints, rl_info = {}, [], {}
        for i, p in enumerate(hp["top_ps"]):
            rows = top_percent_indices(y_norm, p)
            t0 = time.perf_counter()
            dataset = synthesize_trajectories(xt[torch.as_tensor(rows, device=device)], y_norm[rows, 0], model,
                                              num_trajectories=hp["num_trajectories"], length=hp["traj_length"],
                                              seed=seed * 1000 + i, divisor=hp["action_divisor"],
                                              clip=hp["action_clip"], device=device)
            t_traj = time.perf_counter() - t0
            _, policies, rl_log = train_cql(dataset, cql_config, epochs=hp["rl_epochs"],
                                            steps_per_epoch=hp["rl_steps_per_epoch"],
                                            checkpoint_every=hp["checkpoint_every"], seed=seed * 1000 + i,
                                            device=device, progress=progress, desc=f"PGS CQL p={p}")
            rl_info[str(p)] = {"num_top": int(rows.size), "trajectory_seconds": t_traj, "rl_seconds": rl_log.seconds,
                               "rl_steps_per_second": rl_log.epochs[-1]["rl_steps"] / max(rl_log.seconds, 1e-9),
                               "log": rl_log.epochs}
            for epoch, rl_steps, policy in policies:
                final, _ = policy_guided_search(lambda z, pol=policy: pol.act(z, deterministic=True), model, start,
                                                scale, hp["search_steps"])
                key = len(checkpoints)
                candidates[key] = final
                with torch.no_grad():
                    pred = float(model(final).max())
                checkpoints.append({"key": key, "top_p": p, "epoch": epoch, "rl_steps": rl_steps,
                                    "surrogate_max": pred})

        # 4. OSEL
        embed = model.net[:-1] if hp["osel_embedding"] == "surrogate" else torch.nn.Identity()
        with torch.no_grad():
            knn = KNNRegressor(hp["osel_k"]).fit(_batched(embed, xt), y_norm)
            best, scores = osel_select(knn, {k: _batched(embed, v) for k, v in candidates.items()})
        for c in checkpoints:
            c["osel_score"] = scores[c["key"]]
            c["selected"] = c["key"] == best
        chosen = checkpoints[best]
        extras.update(checkpoints=checkpoints, rl=rl_info,
                      osel={"embedding": hp["osel_embedding"], "k": hp["osel_k"], "selected_key": best,
                            "selected_top_p": chosen["top_p"], "selected_rl_steps": chosen["rl_steps"]})
        return MethodOutput(designs=decode(candidates[best]), steps={k: decode(v) for k, v in candidates.items()},
                            train_logs=[log], extras=extras, surrogate=model,
                            candidate_inputs=candidates[best].cpu().numpy())


def _batched(fn, x: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    return torch.cat([fn(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)])
