"""Embedding layers and design-baselines' CbAS forward model for sequences.

design-baselines' CbAS nets (``design_baselines/cbas/nets.py``) read integer sequences through
``Embedding(num_classes, embedding_size) -> Flatten`` before their dense layers. Our surrogates take flat float
inputs (the shared trainer's ``n x D``), so the sequence arrives one-hot encoded, ``n x (L * C)``, and
:class:`OneHotEmbedding` multiplies each position's one-hot vector by the embedding matrix: for exact one-hot rows
that *is* the embedding lookup, and it also accepts soft (relaxed) one-hot rows.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from .models import GaussianMLP


def one_hot_flat(x: np.ndarray | torch.Tensor, num_classes: int) -> np.ndarray | torch.Tensor:
    """Integers ``n x L`` -> one-hot float32 ``n x (L * C)`` (numpy in, numpy out; torch in, torch out)."""
    if torch.is_tensor(x):
        return nn.functional.one_hot(x.long(), num_classes).to(torch.float32).reshape(x.shape[0], -1)
    x = np.asarray(x)
    return np.eye(num_classes, dtype=np.float32)[x].reshape(x.shape[0], -1)


class OneHotEmbedding(nn.Module):
    """``n x (L * C)`` one-hot rows -> ``n x (L * E)``: each position's class embedding, flattened.

    Args:
        length: L, positions per sequence.
        num_classes: C.
        embedding_size: E.

    Initialised like Keras' ``Embedding`` (uniform in [-0.05, 0.05]), as design-baselines' TensorFlow code.
    """

    def __init__(self, length: int, num_classes: int, embedding_size: int):
        super().__init__()
        self.length, self.num_classes = length, num_classes
        self.weight = nn.Parameter(torch.empty(num_classes, embedding_size).uniform_(-0.05, 0.05))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], self.length, self.num_classes)
        return (x @ self.weight).reshape(x.shape[0], -1)


class EmbeddingGaussianMLP(GaussianMLP):
    """design-baselines' CbAS ``ForwardModel`` for discrete tasks: a Gaussian over y given a one-hot sequence.

    ``n x (L * C) -> OneHotEmbedding(E) -> [Linear, LeakyReLU] x len(hidden) -> (mean, soft-clamped logstd)``.
    ``forward`` returns the mean ``n x 1``; :meth:`mean_logstd` both (trained by ``gaussian_nll``).

    Args:
        length, num_classes: the sequence shape (L, C).
        embedding_size: E (design-baselines: 256).
        hidden: widths of the hidden layers (CbAS: ``(256,)``).
        negative_slope: LeakyReLU slope (Keras' default 0.3 in design-baselines' CbAS nets).
        initial_max_std, initial_min_std: initial bounds of the predicted std (0.2, 0.1).
    """

    def __init__(self, length: int, num_classes: int, embedding_size: int = 256, hidden: Sequence[int] = (256,),
                 negative_slope: float = 0.3, initial_max_std: float = 0.2, initial_min_std: float = 0.1):
        super().__init__(length * embedding_size, hidden, "leaky_relu", negative_slope, initial_max_std, initial_min_std)
        self.net = nn.Sequential(OneHotEmbedding(length, num_classes, embedding_size), *self.net)
