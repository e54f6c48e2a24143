"""Conservative Q-learning on top of SAC (Kumar et al., 2020), as PGS's official ``conservative_sac.py`` runs it.

A lean PyTorch re-implementation (the official code is the CQL-PyTorch port ``SimpleSAC``); per update step on a
batch ``(s, a, r, s', d)`` of size B, with ``alpha = exp(log_alpha)`` (automatic entropy tuning):

1. ``a~, log pi(a~|s)`` from the Tanh-Gaussian policy; ``L_alpha = -mean(log_alpha * (log pi + H_target))``
   with ``H_target = -dim(s)`` (the official code's ``-prod((obs_dim, 1))``).
2. ``L_pi = mean(alpha * log pi(a~|s) - min(Q1, Q2)(s, a~))``.
3. TD target ``r + (1 - d) * gamma * min(Q1', Q2')(s', a'~)`` with ``a'~ ~ pi(.|s')`` (no entropy backup).
4. CQL(H) with importance sampling: for each Q, ``logsumexp`` over ``n`` uniform actions (minus their log-density
   ``log 0.5^A``), ``n`` policy actions at ``s`` and ``n`` policy actions at ``s'`` (both evaluated at ``s``,
   minus their log-probabilities) minus ``Q(s, a)``, times ``min_q_weight``;
   ``L_Q = MSE(Q1, target) + MSE(Q2, target) + CQL1 + CQL2``.
5. Adam steps on alpha, policy and both Qs (lr 3e-4); Polyak targets with rate 5e-3 every step.

Speed-ups that keep the maths: the twin Qs are one batched network (``2 x`` stacked weights, ``baddbmm``); the
policy network runs once per state batch and all ``1 + n`` samples reuse its mean and std; the ``1 + 3n`` Q
evaluations of the Q loss run as one batch; policy gradients are taken with ``autograd.grad`` w.r.t. the policy
parameters only. All noise comes from one ``torch.Generator`` (seeded), so training is deterministic.

``td_broadcast=True`` reproduces a shape bug of the official code: its rewards and dones are ``B x 1`` while Q
values are ``B``, so the TD target broadcasts to ``B x B`` and each Q value regresses on the batch-mean reward
(``mean_i r_i + gamma * mean_i (1 - d_i) * Q'_j``). Off by default.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InvalidInputError

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


@dataclass
class CQLConfig:
    """Hyperparameters of conservative SAC (defaults: PGS / CQL official values).

    Attributes:
        policy_hidden, q_hidden: hidden widths (``256-256``).
        batch_size: transitions per update (256).
        discount: gamma (0.99).
        policy_lr, q_lr: Adam learning rates (3e-4; alpha uses ``policy_lr``).
        tau: Polyak rate of the target Qs (5e-3).
        min_q_weight: CQL weight (5.0).
        num_actions: sampled actions per CQL term (10).
        temperature: CQL logsumexp temperature (1.0).
        target_entropy: ``None`` -> ``-obs_dim``.
        log_std_offset, log_std_multiplier: initial learnable affine map of the policy's log-std (-1, 1).
        td_broadcast: reproduce the official code's ``B x B`` TD-target broadcast (see module doc).
    """

    policy_hidden: list[int] = field(default_factory=lambda: [256, 256])
    q_hidden: list[int] = field(default_factory=lambda: [256, 256])
    batch_size: int = 256
    discount: float = 0.99
    policy_lr: float = 3e-4
    q_lr: float = 3e-4
    tau: float = 5e-3
    min_q_weight: float = 5.0
    num_actions: int = 10
    temperature: float = 1.0
    target_entropy: float | None = None
    log_std_offset: float = -1.0
    log_std_multiplier: float = 1.0
    td_broadcast: bool = False

    def __post_init__(self):
        if (self.batch_size < 1 or not 0 <= self.discount <= 1 or self.policy_lr <= 0 or self.q_lr <= 0
                or not 0 < self.tau <= 1 or self.min_q_weight < 0 or self.num_actions < 1 or self.temperature <= 0
                or not self.policy_hidden or not self.q_hidden or min(self.policy_hidden + self.q_hidden) < 1):
            raise InvalidInputError(f"invalid CQL config {asdict(self)}")


def _linear_init(weight: torch.Tensor, bias: torch.Tensor, fan_in: int) -> None:
    """``nn.Linear``'s default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
    bound = 1.0 / math.sqrt(fan_in)
    nn.init.uniform_(weight, -bound, bound)
    nn.init.uniform_(bias, -bound, bound)


class TwinMLP(nn.Module):
    """``M`` independent MLPs evaluated as one batched network: ``M x b x in -> M x b x out``.

    Hidden layers use ``nn.Linear``'s default init; the last layer Xavier-uniform with gain 1e-2 and zero bias
    (the official ``FullyConnectedNetwork``).
    """

    def __init__(self, members: int, in_dim: int, hidden: list[int], out_dim: int):
        super().__init__()
        dims = [in_dim, *hidden, out_dim]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for k, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
            w, bias = torch.empty(members, a, b), torch.empty(members, 1, b)
            for m in range(members):
                if k < len(dims) - 2:
                    _linear_init(w[m], bias[m], a)
                else:
                    nn.init.xavier_uniform_(w[m].T, gain=1e-2)
                    bias[m].zero_()
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if k < last:
                x = F.relu(x)
        return x


class TanhGaussianPolicy(nn.Module):
    """``s -> tanh(N(mean(s), std(s)))`` (the official ``TanhGaussianPolicy``).

    The network outputs ``mean`` and ``raw``; ``log_std = multiplier * raw + offset`` (both learnable scalars),
    clamped to ``[-20, 2]``. :meth:`act` with ``deterministic=True`` returns ``tanh(mean)`` (PGS's search).
    """

    def __init__(self, obs_dim: int, action_dim: int, hidden: list[int], log_std_multiplier: float = 1.0,
                 log_std_offset: float = -1.0):
        super().__init__()
        self.action_dim = action_dim
        self.net = TwinMLP(1, obs_dim, hidden, 2 * action_dim)
        self.log_std_multiplier = nn.Parameter(torch.tensor(float(log_std_multiplier)))
        self.log_std_offset = nn.Parameter(torch.tensor(float(log_std_offset)))

    def distribution(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``b x obs_dim`` -> ``(mean, log_std)``, each ``b x A``."""
        out = self.net(obs.unsqueeze(0))[0]
        mean, raw = out[:, :self.action_dim], out[:, self.action_dim:]
        log_std = (self.log_std_multiplier * raw + self.log_std_offset).clamp(LOG_STD_MIN, LOG_STD_MAX)
        return mean, log_std

    @staticmethod
    def sample(mean: torch.Tensor, log_std: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised Tanh-Gaussian samples ``tanh(mean + std * eps)`` and their log-probabilities.

        ``eps`` is ``... x b x A`` standard normal noise (leading dims = samples per state).
        ``log pi = sum_A [log N(u; mean, std) - log(1 - tanh(u)^2)]`` with the stable
        ``log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))`` (torch's ``TanhTransform``).
        """
        u = mean + log_std.exp() * eps
        log_normal = -0.5 * eps ** 2 - log_std - 0.5 * math.log(2 * math.pi)
        log_det = 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))
        return torch.tanh(u), (log_normal - log_det).sum(-1)

    def act(self, obs: torch.Tensor, deterministic: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
        """Actions ``b x A`` in ``(-1, 1)``: ``tanh(mean)`` or a sample."""
        mean, log_std = self.distribution(obs)
        if deterministic:
            return torch.tanh(mean)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device)
        return self.sample(mean, log_std, eps)[0]


class ConservativeSAC:
    """CQL(H)-SAC learner. ``update(batch)`` performs one gradient step on every network.

    Args:
        obs_dim, action_dim: sizes.
        config: :class:`CQLConfig`.
        seed: seeds network init and all sampling noise.
        device: torch device.
    """

    def __init__(self, obs_dim: int, action_dim: int, config: CQLConfig, seed: int = 0, device="cpu"):
        self.config, self.device = config, torch.device(device)
        self.obs_dim, self.action_dim = obs_dim, action_dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.policy = TanhGaussianPolicy(obs_dim, action_dim, config.policy_hidden, config.log_std_multiplier,
                                             config.log_std_offset).to(self.device)
            self.q = TwinMLP(2, obs_dim + action_dim, config.q_hidden, 1).to(self.device)
        self.q_target = TwinMLP(2, obs_dim + action_dim, config.q_hidden, 1).to(self.device)
        self.q_target.load_state_dict(self.q.state_dict())
        self.q_target.requires_grad_(False)
        self.log_alpha = torch.zeros((), device=self.device, requires_grad=True)
        self.policy_params = list(self.policy.parameters())
        self.policy_opt = torch.optim.Adam(self.policy_params, lr=config.policy_lr)
        self.q_opt = torch.optim.Adam(self.q.parameters(), lr=config.q_lr)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=config.policy_lr)
        self.target_entropy = -float(obs_dim) if config.target_entropy is None else float(config.target_entropy)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self.random_log_density = action_dim * math.log(0.5)
        self.steps = 0

    def _q(self, net: TwinMLP, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``obs``: ``... x b x S``, ``actions``: ``... x b x A`` -> ``2 x ... x b`` Q values."""
        inp = torch.cat([obs.expand(*actions.shape[:-1], obs.shape[-1]), actions], dim=-1)
        lead = inp.shape[:-1]
        out = net(inp.reshape(1, -1, inp.shape[-1]).expand(2, -1, -1))
        return out.reshape(2, *lead)

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """One CQL-SAC step on ``batch`` (keys ``observations``, ``actions``, ``rewards``, ``next_observations``,
        ``dones``; ``b x S``, ``b x A``, ``b``, ``b x S``, ``b``). Returns scalar metrics (no host syncs beyond them)."""
        cfg, gen = self.config, self.generator
        obs, act, rew = batch["observations"], batch["actions"], batch["rewards"]
        nxt, done = batch["next_observations"], batch["dones"]
        b, n = obs.shape[0], cfg.num_actions
        self.steps += 1

        # policy at s: one pass, 1 + n samples
        mean, log_std = self.policy.distribution(obs)
        eps = torch.randn((1 + n, b, self.action_dim), generator=gen, device=self.device)
        new_act, log_pi = self.policy.sample(mean, log_std, eps[:1])
        new_act, log_pi = new_act[0], log_pi[0]
        with torch.no_grad():
            cur_act, cur_logp = self.policy.sample(mean.detach(), log_std.detach(), eps[1:])
            mean_n, log_std_n = self.policy.distribution(nxt)
            eps_n = torch.randn((1 + n, b, self.action_dim), generator=gen, device=self.device)
            nxt_all, nxt_logp_all = self.policy.sample(mean_n, log_std_n, eps_n)
            next_act, cql_next_act, cql_next_logp = nxt_all[0], nxt_all[1:], nxt_logp_all[1:]
            rand_act = torch.rand((n, b, self.action_dim), generator=gen, device=self.device) * 2.0 - 1.0

        # alpha
        alpha_loss = -(self.log_alpha * (log_pi.detach() + self.target_entropy)).mean()
        alpha = self.log_alpha.detach().exp()

        # policy loss (gradients w.r.t. the policy parameters only)
        q_new = self._q(self.q, obs, new_act).min(dim=0).values
        policy_loss = (alpha * log_pi - q_new).mean()

        # TD target
        with torch.no_grad():
            target_q = self._q(self.q_target, nxt, next_act).min(dim=0).values
            if cfg.td_broadcast:
                td = rew[:, None] + (1.0 - done[:, None]) * cfg.discount * target_q[None, :]  # b x b, as the official
            else:
                td = rew + (1.0 - done) * cfg.discount * target_q

        # Q loss: data actions + n random + n current + n next, in one batch
        all_act = torch.cat([act[None], rand_act, cur_act, cql_next_act], dim=0)  # (1 + 3n) x b x A
        q_all = self._q(self.q, obs, all_act)  # 2 x (1 + 3n) x b
        q_data = q_all[:, 0]
        if cfg.td_broadcast:
            td_loss = ((q_data[:, None, :] - td[None]) ** 2).mean(dim=(1, 2))
        else:
            td_loss = ((q_data - td[None]) ** 2).mean(dim=1)
        densities = torch.cat([torch.full((n, b), self.random_log_density, device=self.device), cur_logp, cql_next_logp])
        ood = torch.logsumexp((q_all[:, 1:] - densities[None]) / cfg.temperature, dim=1) * cfg.temperature  # 2 x b
        cql_diff = (ood - q_data).mean(dim=1)
        q_loss = td_loss.sum() + cfg.min_q_weight * cql_diff.sum()

        self.alpha_opt.zero_grad(set_to_none=True)
        (self.log_alpha.grad,) = torch.autograd.grad(alpha_loss, [self.log_alpha])
        self.alpha_opt.step()
        grads = torch.autograd.grad(policy_loss, self.policy_params)
        for p, g in zip(self.policy_params, grads):
            p.grad = g
        self.policy_opt.step()
        self.q_opt.zero_grad(set_to_none=True)
        q_loss.backward()
        self.q_opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(list(self.q_target.parameters()), list(self.q.parameters()), cfg.tau)
        return {"policy_loss": policy_loss.detach(), "q1_loss": td_loss[0].detach(), "q2_loss": td_loss[1].detach(),
                "cql1_diff": cql_diff[0].detach(), "cql2_diff": cql_diff[1].detach(), "alpha": alpha,
                "log_pi": log_pi.detach().mean(), "q_data": q_data.detach().mean()}


def checkpoint_epochs(num_epochs: int, every: int) -> list[int]:
    """0-based epoch indices after which the official loop snapshots the policy: ``e % every == 0 and e > 0``.

    Paper: 401 epochs, every 50 -> after epochs 50, 100, ..., 400 (i.e. after 51k, ..., 401k steps).
    If that leaves none (short runs), the last epoch is used.
    """
    marks = [e for e in range(num_epochs) if e > 0 and e % every == 0]
    return marks or ([num_epochs - 1] if num_epochs > 0 else [])


def train_cql(dataset, config: CQLConfig, *, epochs: int, steps_per_epoch: int, checkpoint_every: int, seed: int = 0,
              device="cpu", progress: bool | None = None, desc: str = "CQL"):
    """Train conservative SAC on a :class:`~mbo_lib.search.pgs_trajectories.TrajectoryDataset`.

    Each step draws ``config.batch_size`` transitions uniformly (with replacement) from all ``N * T`` transitions.

    Returns:
        ``(learner, checkpoints, log)``: checkpoints are ``[(epoch, rl_steps, policy_copy)]`` at
        :func:`checkpoint_epochs`; ``log`` is a :class:`~mbo_lib.surrogates.trainer.TrainingLog` of per-epoch means.
    """
    import copy
    import time

    from tqdm.auto import tqdm

    from ..surrogates.trainer import TrainingLog, progress_enabled

    if epochs < 1 or steps_per_epoch < 1 or checkpoint_every < 1:
        raise InvalidInputError(f"need epochs, steps_per_epoch and checkpoint_every >= 1, got {epochs}, "
                                f"{steps_per_epoch}, {checkpoint_every}")
    learner = ConservativeSAC(dataset.dim, dataset.dim, config, seed=seed, device=device)
    gen = torch.Generator(device=learner.device)
    gen.manual_seed(seed + 1)
    marks, checkpoints, log = set(checkpoint_epochs(epochs, checkpoint_every)), [], TrainingLog()
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=desc, disable=not progress_enabled(progress), leave=False)
    for epoch in bar:
        sums = None
        for _ in range(steps_per_epoch):
            flat = torch.randint(dataset.num_transitions, (config.batch_size,), generator=gen, device=learner.device)
            metrics = learner.update(dataset.transitions(flat))
            sums = metrics if sums is None else {k: sums[k] + v for k, v in metrics.items()}
        entry = {"epoch": epoch + 1, "rl_steps": learner.steps,
                 **{k: float(v) / steps_per_epoch for k, v in sums.items()}, "seconds": time.perf_counter() - start}
        log.epochs.append(entry)
        if epoch in marks:
            checkpoints.append((epoch, learner.steps, copy.deepcopy(learner.policy).eval()))
        bar.set_postfix(q=f"{entry['q_data']:.3f}")
    log.seconds = time.perf_counter() - start
    return learner, checkpoints, log
