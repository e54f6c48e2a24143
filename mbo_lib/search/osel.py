"""OSEL: oracle-free selection of PGS's top-p and policy checkpoint (Chemingui et al., AAAI 2024, Sec. 4.4).

A k-nearest-neighbour regressor (k = 10) is fitted on the offline data ``(embed(x), y)``; a checkpoint's OSEL
score is the **maximum** k-NN prediction over its candidate designs; OSEL picks the (p, checkpoint) with the
highest score. The official code embeds designs with a value-prediction-network encoder trained on the
trajectories (``embed.py``, TensorFlow); mbo_lib passes any embedding function (PGS uses the surrogate's
penultimate layer by default, see :mod:`mbo_lib.methods.pgs`).

The k-NN prediction is the mean y of the k nearest data points in Euclidean distance (scikit-learn's
``KNeighborsRegressor`` with uniform weights); exact distance ties are broken by ``torch.topk``.
"""
from __future__ import annotations

from typing import Hashable, Mapping

import numpy as np
import torch

from ..errors import InvalidInputError


class KNNRegressor:
    """Uniform-weight k-NN regression, vectorized in torch (query blocks x all data).

    Args:
        k: neighbours (PGS: 10).

    Example:
        >>> knn = KNNRegressor(k=2).fit(np.array([[0.], [1.], [10.]]), np.array([0., 1., 10.]))
        >>> knn.predict(np.array([[0.4]])).tolist()
        [0.5]
    """

    def __init__(self, k: int = 10):
        if k < 1:
            raise InvalidInputError(f"k must be >= 1, got {k}")
        self.k = k

    def fit(self, x, y) -> "KNNRegressor":
        """``x``: ``n x e`` embeddings; ``y``: ``n`` or ``n x 1`` targets."""
        self.x = torch.as_tensor(np.asarray(x, dtype=np.float32) if not torch.is_tensor(x) else x).float()
        self.y = torch.as_tensor(np.asarray(y, dtype=np.float32) if not torch.is_tensor(y) else y).float().reshape(-1)
        if self.x.ndim != 2 or self.y.shape[0] != self.x.shape[0]:
            raise InvalidInputError(f"need x (n, e) and y (n,), got {tuple(self.x.shape)} and {tuple(self.y.shape)}")
        if self.x.shape[0] < self.k:
            raise InvalidInputError(f"need at least k={self.k} data points, got {self.x.shape[0]}")
        self.sq_norms = (self.x ** 2).sum(1)
        return self

    def predict(self, q, block: int = 256) -> np.ndarray:
        """``m x e`` queries -> ``m`` predictions (mean y of the k nearest data points)."""
        q = torch.as_tensor(np.asarray(q, dtype=np.float32) if not torch.is_tensor(q) else q).float().to(self.x.device)
        if q.ndim != 2 or q.shape[1] != self.x.shape[1]:
            raise InvalidInputError(f"queries must be (m, {self.x.shape[1]}), got {tuple(q.shape)}")
        out = []
        for i in range(0, q.shape[0], block):
            qb = q[i:i + block]
            d2 = (qb ** 2).sum(1, keepdim=True) - 2.0 * qb @ self.x.T + self.sq_norms[None]
            idx = torch.topk(d2, self.k, dim=1, largest=False, sorted=True).indices
            out.append(self.y[idx].mean(1))
        return torch.cat(out).cpu().numpy() if out else np.zeros(0, np.float32)


def osel_score(knn: KNNRegressor, embedded_designs) -> float:
    """OSEL score of one checkpoint: the max k-NN prediction over its (embedded) designs (``m x e``)."""
    return float(np.max(knn.predict(embedded_designs)))


def osel_select(knn: KNNRegressor, embedded: Mapping[Hashable, np.ndarray]) -> tuple[Hashable, dict]:
    """Score every candidate set and pick the best.

    Args:
        knn: fitted regressor.
        embedded: ``{key: m x e embedded designs}``, e.g. keys ``(top_p, rl_steps)``; ties go to the first key.

    Returns:
        ``(best_key, {key: score})``.
    """
    if not embedded:
        raise InvalidInputError("OSEL needs at least one candidate set")
    scores = {key: osel_score(knn, designs) for key, designs in embedded.items()}
    best = max(scores, key=lambda key: scores[key])  # first maximum in insertion order
    return best, scores
