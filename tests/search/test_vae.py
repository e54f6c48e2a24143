"""Tests of mbo_lib/search/vae.py (CbAS's search distributions)."""
import math

import numpy as np
import pytest
import torch
from torch.distributions import Categorical, Normal, kl_divergence

from mbo_lib.search.vae import CategoricalVAE, GaussianVAE, fit_vae, gaussian_kl_to_standard


def toy_sequences(n=600, length=6, classes=4, seed=0):
    """Two motifs with 10% per-position noise."""
    rng = np.random.default_rng(seed)
    motifs = np.array([[0, 1, 2, 3, 0, 1], [3, 3, 2, 2, 1, 1]])[:, :length]
    x = motifs[rng.integers(0, 2, n)]
    flip = rng.random(x.shape) < 0.1
    x[flip] = rng.integers(0, classes, flip.sum())
    return torch.as_tensor(x, dtype=torch.long)


def test_categorical_vae_elbo_decreases_on_a_toy_dataset():
    torch.manual_seed(0)
    x = toy_sequences()
    vae = CategoricalVAE(6, 4, latent_size=4, hidden=(32,), embedding_size=8)
    gen = torch.Generator().manual_seed(0)
    logs = fit_vae(vae, x, torch.optim.Adam(vae.parameters(), lr=3e-3), epochs=30, batch_size=50, generator=gen,
                   val_size=100)
    first, last = logs[0]["val_neg_elbo"], logs[-1]["val_neg_elbo"]
    assert last < first - 2.0
    assert last < 6 * math.log(4)  # beats the uniform code length on held-out rows
    train = [e["train_loss"] for e in logs]
    assert np.mean(train[-5:]) < np.mean(train[:5])
    # samples resemble the data: most are within 2 positions of a motif
    samples = vae.sample(500, torch.Generator().manual_seed(1))
    motifs = torch.tensor([[0, 1, 2, 3, 0, 1], [3, 3, 2, 2, 1, 1]])
    dist = (samples[:, None, :] != motifs[None]).sum(-1).min(1).values
    assert samples.shape == (500, 6) and (dist <= 2).float().mean() > 0.8


def test_gaussian_vae_elbo_decreases_on_a_toy_dataset():
    torch.manual_seed(0)
    z = torch.randn(600, 1)
    x = torch.cat([z, -z, 0.5 * z], 1) + 0.1 * torch.randn(600, 3)
    vae = GaussianVAE(3, latent_size=2, hidden=(32,))
    logs = fit_vae(vae, x, torch.optim.Adam(vae.parameters(), lr=3e-3), epochs=30, batch_size=50,
                   generator=torch.Generator().manual_seed(0), val_size=100)
    assert logs[-1]["val_neg_elbo"] < logs[0]["val_neg_elbo"] - 1.0


def test_vae_terms_match_torch_distributions():
    torch.manual_seed(0)
    vae = CategoricalVAE(5, 3, latent_size=4, hidden=(8,), embedding_size=4)
    x = torch.randint(0, 3, (7, 5))
    z = torch.randn(7, 4)
    expected = Categorical(logits=vae.decoder(z).reshape(7, 5, 3)).log_prob(x).sum(-1)
    torch.testing.assert_close(vae.log_prob(z, x), expected)
    mean, std = torch.randn(7, 4), torch.rand(7, 4) + 0.1
    torch.testing.assert_close(gaussian_kl_to_standard(mean, std),
                               kl_divergence(Normal(mean, std), Normal(0.0, 1.0)).sum(-1))
    g = GaussianVAE(3, latent_size=4, hidden=(8,))
    xc = torch.randn(7, 3)
    m, s = g.mean_std(z)
    torch.testing.assert_close(g.log_prob(z, xc), Normal(m, s).log_prob(xc).sum(-1))
    assert ((s > 0.05) & (s < 0.5)).all()  # soft-clamped around the initial bounds [0.1, 0.2]


def test_weights_scale_each_rows_loss():
    torch.manual_seed(0)
    vae = CategoricalVAE(4, 3, latent_size=2, hidden=(8,), embedding_size=4)
    x = torch.randint(0, 3, (10, 4))
    state = {k: v.clone() for k, v in vae.state_dict().items()}
    zero = fit_vae(vae, x, torch.optim.SGD(vae.parameters(), lr=0.1), epochs=1, batch_size=10,
                   generator=torch.Generator().manual_seed(0), weights=torch.zeros(10), val_size=0)
    assert zero[0]["train_loss"] == 0.0
    assert all(torch.equal(state[k], v) for k, v in vae.state_dict().items())  # zero weights: no update


def test_sampling_is_reproducible_with_a_generator():
    vae = CategoricalVAE(4, 3, latent_size=2, hidden=(8,), embedding_size=4)
    a = vae.sample(20, torch.Generator().manual_seed(3))
    b = vae.sample(20, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.dtype == torch.long and a.min() >= 0 and a.max() < 3


@pytest.mark.parametrize("cls,args", [(CategoricalVAE, (4, 3)), (GaussianVAE, (3,))])
def test_encoder_std_is_softplus_of_the_clamped_logstd(cls, args):
    torch.manual_seed(0)
    vae = cls(*args, latent_size=2, hidden=(8,))
    x = torch.randint(0, 3, (5, 4)) if cls is CategoricalVAE else torch.randn(5, 3)
    _, std = vae.encode(x)
    # design-baselines: scale = softplus(logstd); the soft clamp keeps logstd in (min, min + softplus(max - min))
    lo, hi = math.log(0.1), math.log(0.1) + math.log1p(2.0)  # softplus(log 0.2 - log 0.1) = log(1 + 2)
    softplus = torch.nn.functional.softplus
    assert ((std > softplus(torch.tensor(lo))) & (std < softplus(torch.tensor(hi)))).all()
    assert not ((std - softplus(torch.tensor(math.log(0.15)))).abs() < 1e-6).all()  # depends on the input
