"""A convolutional sequence VAE for discrete designs (PGS's latent space; a PyTorch port of COMs' ``SequentialVAE``).

PGS (Chemingui et al., AAAI 2024) searches discrete tasks in the latent space of the VAE of COMs'
``coms_cleaned/nets.py`` trained with its ``VAETrainer``; both are TensorFlow. This module re-implements them:

- Encoder: ``Embedding(C, H)`` + sinusoidal positions -> LayerNorm -> ``num_blocks`` residual blocks
  (``[AvgPool(2), ] Conv1d -> LN -> act -> Conv1d -> LN -> act``, added to the input) -> flatten ->
  ``Linear -> mean`` and ``Linear -> exp -> std`` of a diagonal Gaussian over ``latent`` dims.
- Decoder: ``Linear -> (L // 2^(num_blocks-1)) x H``, then ``num_blocks`` residual blocks that upsample by
  repetition (plus one repeated last position when the target length is odd, TF's ``SYMMETRIC`` pad), each
  ``h = LN(x + positions) -> Conv1d -> LN -> act -> Conv1d -> LN -> act; x = x + h`` -> ``Linear -> C`` logits.
- Loss (COMs' ``VAETrainer.train_step``): the decoder reads the posterior **mean** (no reparameterised sample),
  ``nll`` = cross-entropy averaged over batch *and positions*, ``kl`` = KL(q(z|x) || N(0, I)) summed over latent
  dims and averaged over the batch, ``loss = nll + beta * kl``. Keras LayerNorm's ``eps = 1e-3`` is kept.

Shapes: integer designs ``n x L`` in ``[0, C)``; latents ``n x latent``; logits ``n x L x C``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..errors import InvalidInputError
from .trainer import TrainingLog, progress_enabled

_LN_EPS = 1e-3  # Keras LayerNormalization default


class _LayerNormFunction(torch.autograd.Function):
    """``native_layer_norm`` whose weight/bias gradients are summed over rows in float64.

    PyTorch's CPU kernel sums those gradients over the ``n * L`` rows in float32 in one chunk per thread, so the
    trained VAE (and every PGS score after it) changed with the thread count. Summed in float64 and rounded once to
    float32, the result no longer depends on the summation order (barring a float64 error at a float32 rounding
    boundary, ~1e-9 per element). The forward pass and the input gradient are PyTorch's own (per row, exact).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        out, mean, rstd = torch.native_layer_norm(x, weight.shape, weight, bias, eps)
        ctx.save_for_backward(x, weight, bias, mean, rstd)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, bias, mean, rstd = ctx.saved_tensors
        grad_x = torch.ops.aten.native_layer_norm_backward(grad, x, weight.shape, mean, rstd, weight, bias,
                                                          [True, False, False])[0]
        rows = grad.reshape(-1, weight.numel()).double()
        x_hat = ((x - mean) * rstd).reshape(-1, weight.numel()).double()
        grad_w = (rows * x_hat).sum(0).to(weight.dtype).reshape(weight.shape)
        return grad_x, grad_w, rows.sum(0).to(bias.dtype).reshape(bias.shape), None


class _LayerNorm(nn.LayerNorm):
    """``nn.LayerNorm`` (same parameters and outputs) whose parameter gradients do not depend on the thread count."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _LayerNormFunction.apply(x, self.weight, self.bias, self.eps)


def positional_embedding(length: int, hidden: int, device=None) -> torch.Tensor:
    """COMs' sinusoidal positions ``length x hidden``: ``[sin(pos * w), cos(pos * w)]``, ``w = 10000^(-2i/H)``."""
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0.0, hidden, 2.0, device=device) / hidden))
    pos = torch.arange(0.0, length, 1.0, device=device)[:, None]
    return torch.cat([torch.sin(pos * inv_freq), torch.cos(pos * inv_freq)], dim=1)


class _SameConv1d(nn.Module):
    """Keras ``Conv1D(padding="same")`` on channels-last ``n x len x H``: zero-padded windows, one matmul.

    Same maths as ``nn.Conv1d(H, H, k, padding="same")`` (weights ``k*H x H``); written as a matmul because
    PyTorch's CPU convolution backward is slow for these tiny sequences.
    """

    def __init__(self, hidden: int, kernel_size: int):
        super().__init__()
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(kernel_size * hidden, hidden))
        self.bias = nn.Parameter(torch.empty(hidden))
        bound = 1.0 / math.sqrt(kernel_size * hidden)  # nn.Conv1d's default init
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, length = self.kernel_size, x.shape[1]
        left = (k - 1) // 2
        xp = F.pad(x, (0, 0, left, k - 1 - left))
        windows = torch.cat([xp[:, i:i + length] for i in range(k)], dim=-1)
        return windows @ self.weight + self.bias


class _ConvBlock(nn.Module):
    """``Conv1d -> LN -> act -> Conv1d -> LN -> act`` on ``n x len x H`` (channels last, as Keras)."""

    def __init__(self, hidden: int, kernel_size: int):
        super().__init__()
        self.conv1 = _SameConv1d(hidden, kernel_size)
        self.conv2 = _SameConv1d(hidden, kernel_size)
        self.ln1 = _LayerNorm(hidden, eps=_LN_EPS)
        self.ln2 = _LayerNorm(hidden, eps=_LN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.ln1(self.conv1(x)))
        return F.relu(self.ln2(self.conv2(h)))


class SequenceVAE(nn.Module):
    """COMs' ``SequentialVAE`` in PyTorch.

    Args:
        num_classes: C, categories per position.
        length: L, sequence length (needs ``L >= 2^(num_blocks-1)``).
        hidden: H, channels (PGS: 64).
        latent: latent dims (PGS: 32).
        kernel_size: convolution width (3).
        num_blocks: residual blocks in encoder and decoder (4).

    Example:
        >>> vae = SequenceVAE(num_classes=4, length=8)
        >>> mean, std = vae.encode(torch.zeros(5, 8, dtype=torch.long))
        >>> tuple(mean.shape), tuple(vae.decode(mean).shape)
        ((5, 32), (5, 8, 4))
    """

    def __init__(self, num_classes: int, length: int, hidden: int = 64, latent: int = 32, kernel_size: int = 3,
                 num_blocks: int = 4):
        super().__init__()
        if num_classes < 2 or hidden < 2 or hidden % 2 or latent < 1 or num_blocks < 1:
            raise InvalidInputError(f"need num_classes >= 2, an even hidden >= 2, latent >= 1 and num_blocks >= 1, got "
                                    f"{num_classes=}, {hidden=}, {latent=}, {num_blocks=}")
        if length < 2 ** (num_blocks - 1):
            raise InvalidInputError(f"length {length} is too short for {num_blocks} blocks (needs >= {2 ** (num_blocks - 1)})")
        self.num_classes, self.length, self.hidden, self.latent, self.num_blocks = num_classes, length, hidden, latent, num_blocks
        self.embedding = nn.Embedding(num_classes, hidden)
        self.encoder_ln = _LayerNorm(hidden, eps=_LN_EPS)
        self.encoder_blocks = nn.ModuleList(_ConvBlock(hidden, kernel_size) for _ in range(num_blocks))
        encoded_length = length
        for _ in range(num_blocks - 1):
            encoded_length = math.ceil(encoded_length / 2)
        self.to_mean = nn.Linear(encoded_length * hidden, latent)
        self.to_std = nn.Linear(encoded_length * hidden, latent)
        self.start_length = length // 2 ** (num_blocks - 1)
        self.from_latent = nn.Linear(latent, self.start_length * hidden)
        self.decoder_lns = nn.ModuleList(_LayerNorm(hidden, eps=_LN_EPS) for _ in range(num_blocks))
        self.decoder_blocks = nn.ModuleList(_ConvBlock(hidden, kernel_size) for _ in range(num_blocks))
        self.to_logits = nn.Linear(hidden, num_classes)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Integers ``n x L`` -> posterior ``(mean, std)``, each ``n x latent``."""
        h = self.embedding(x) + positional_embedding(x.shape[1], self.hidden, x.device)
        h = self.encoder_ln(h)
        for i, block in enumerate(self.encoder_blocks):
            if i > 0:
                h = F.avg_pool1d(h.transpose(1, 2), 2, 2, ceil_mode=True).transpose(1, 2)
            h = h + block(h)
        flat = h.reshape(h.shape[0], -1)
        return self.to_mean(flat), torch.exp(self.to_std(flat))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``n x latent`` -> logits ``n x L x C``."""
        x = self.from_latent(z).reshape(z.shape[0], self.start_length, self.hidden)
        for j, (ln, block) in enumerate(zip(self.decoder_lns, self.decoder_blocks)):
            i = self.num_blocks - 1 - j
            if i > 0:
                x = x.repeat_interleave(2, dim=1)
                if (self.length // 2 ** (i - 1)) % 2:
                    x = torch.cat([x, x[:, -1:]], dim=1)
            h = ln(x + positional_embedding(x.shape[1], self.hidden, x.device))
            x = x + block(h)
        return self.to_logits(x)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``n x latent`` -> most likely integers ``n x L`` (int64)."""
        return self.decode(z).argmax(dim=-1)

    def loss(self, x: torch.Tensor, beta: float = 1.0) -> tuple[torch.Tensor, dict]:
        """COMs' VAE objective on integers ``x``: ``nll + beta * kl`` (decoding the posterior mean)."""
        mean, std = self.encode(x)
        logits = self.decode(mean)
        nll = F.cross_entropy(logits.reshape(-1, self.num_classes), x.reshape(-1))
        kl = (0.5 * (mean ** 2 + std ** 2 - 1.0) - torch.log(std)).sum(dim=1).mean()
        accuracy = (logits.argmax(-1) == x).float().mean()
        return nll + beta * kl, {"nll": nll.item(), "kl": kl.item(), "accuracy": accuracy.item()}


@dataclass
class VAEConfig:
    """Training sizes of the sequence VAE (PGS / COMs: lr 3e-4, beta 1, batch 32, 200 validation rows, 50 epochs)."""

    epochs: int = 50
    batch_size: int = 32
    lr: float = 3e-4
    beta: float = 1.0
    val_size: int = 200

    def __post_init__(self):
        if self.epochs < 0 or self.batch_size < 1 or self.lr <= 0 or self.beta < 0 or self.val_size < 0:
            raise InvalidInputError(f"invalid VAE config {self}")


def train_sequence_vae(vae: SequenceVAE, x: np.ndarray, config: VAEConfig, *, seed: int = 0, device="cpu",
                       progress: bool | None = None, desc: str = "VAE") -> TrainingLog:
    """Train ``vae`` in place with Adam on integer designs ``x`` (``n x L``); returns per-epoch logs.

    Validation rows (``config.val_size``, at most half) are held out; their nll, kl and per-position
    reconstruction accuracy are logged as ``val_*``. Model init is seeded by the caller.
    """
    x = np.asarray(x)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
        raise InvalidInputError(f"need integer designs of shape (n, L), got dtype {x.dtype} and shape {x.shape}")
    if x.shape[1] != vae.length or x.min() < 0 or x.max() >= vae.num_classes:
        raise InvalidInputError(f"designs must have length {vae.length} and values in [0, {vae.num_classes}), got "
                                f"shape {x.shape} and range [{x.min()}, {x.max()}]")
    device = torch.device(device)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(x.shape[0])
    val_size = min(config.val_size, x.shape[0] // 2)
    xt = torch.as_tensor(x, dtype=torch.long, device=device)
    val_rows, train_rows = perm[:val_size], perm[val_size:]
    vae.to(device).train()
    optimizer = torch.optim.Adam(vae.parameters(), lr=config.lr)
    log, start = TrainingLog(), time.perf_counter()
    bar = tqdm(range(config.epochs), desc=desc, disable=not progress_enabled(progress), leave=False)
    for epoch in bar:
        order = train_rows[rng.permutation(train_rows.size)]
        sums, count = {}, 0
        for i in range(0, order.size, config.batch_size):
            loss, logs = vae.loss(xt[torch.as_tensor(order[i:i + config.batch_size], device=device)], config.beta)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for k, v in {"loss": loss.item(), **logs}.items():
                sums[k] = sums.get(k, 0.0) + v
            count += 1
        entry = {"epoch": epoch + 1, **{f"train_{k}": v / max(count, 1) for k, v in sums.items()}}
        if val_size:
            with torch.no_grad():
                loss, logs = vae.loss(xt[torch.as_tensor(val_rows, device=device)], config.beta)
            entry.update({"val_loss": loss.item(), **{f"val_{k}": v for k, v in logs.items()}})
        log.epochs.append(entry)
        bar.set_postfix(loss=f"{entry.get('train_loss', float('nan')):.3f}")
    vae.eval()
    log.seconds = time.perf_counter() - start
    return log


def encode_means(vae: SequenceVAE, x: np.ndarray, device="cpu", batch_size: int = 8192) -> np.ndarray:
    """Posterior means ``n x latent`` (float32) of integer designs ``n x L``, in batches."""
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = torch.as_tensor(np.asarray(x[i:i + batch_size]), dtype=torch.long, device=device)
            out.append(vae.encode(xb)[0].cpu().numpy())
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, vae.latent), np.float32)


def decode_integers(vae: SequenceVAE, z: np.ndarray | torch.Tensor, device="cpu") -> np.ndarray:
    """Latents ``n x latent`` -> integer designs ``n x L`` (int32), the argmax of the decoder's logits."""
    with torch.no_grad():
        zt = torch.as_tensor(np.asarray(z, dtype=np.float32) if not torch.is_tensor(z) else z, device=device)
        return vae.generate(zt.float()).cpu().numpy().astype(np.int32)


class LatentCoordinates:
    """Search coordinates in a trained VAE's latent space: posterior means, optionally z-scored per dimension.

    With ``standardize=True`` a design ``x`` maps to ``(mu(x) - m) / s``, where ``m`` and ``s`` are the per-dimension
    mean and standard deviation of the posterior means of the data ``x_data`` (``s == 0`` is replaced by 1, as
    design-bench's ``normalize_x``), so the data have zero mean and unit std per dimension, the same scale as the
    z-scored continuous and logit spaces. With ``standardize=False`` the coordinates are the raw posterior means
    (``m = 0``, ``s = 1``; the official PGS code).

    Args:
        vae: trained :class:`SequenceVAE` (in eval mode).
        x_data: integer designs ``n x L`` whose posterior means define ``m`` and ``s``.
        standardize: z-score the coordinates.
        device: where the VAE runs.

    Attributes:
        mean, std: ``latent`` float32 arrays ``m``, ``s``.
        raw_std: per-dimension std of the raw posterior means of ``x_data`` (before the zero-std rule).
        data: coordinates of ``x_data``, ``n x latent`` float32.
    """

    def __init__(self, vae: SequenceVAE, x_data: np.ndarray, *, standardize: bool = True, device="cpu"):
        self.vae, self.device, self.standardize = vae, device, standardize
        means = encode_means(vae, x_data, device)
        stats = means.astype(np.float64)  # exact zero std for a constant dimension (float32 sums round)
        self.raw_std = stats.std(axis=0).astype(np.float32)
        if standardize:
            self.mean = stats.mean(axis=0).astype(np.float32)
            self.std = np.where(self.raw_std == 0, 1.0, self.raw_std).astype(np.float32)
        else:
            self.mean = np.zeros(vae.latent, np.float32)
            self.std = np.ones(vae.latent, np.float32)
        self.data = ((means - self.mean) / self.std).astype(np.float32)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Integer designs ``n x L`` -> coordinates ``n x latent`` (float32)."""
        return ((encode_means(self.vae, x, self.device) - self.mean) / self.std).astype(np.float32)

    def to_latent(self, z: np.ndarray | torch.Tensor) -> np.ndarray:
        """Coordinates ``n x latent`` -> raw VAE latents ``z * s + m`` (float32)."""
        z = z.detach().cpu().numpy() if torch.is_tensor(z) else np.asarray(z)
        return (z.astype(np.float32) * self.std + self.mean).astype(np.float32)

    def decode(self, z: np.ndarray | torch.Tensor) -> np.ndarray:
        """Coordinates ``n x latent`` -> integer designs ``n x L`` (int32), the decoder's argmax."""
        return decode_integers(self.vae, self.to_latent(z), self.device)
