import numpy as np
import pytest
import torch
from torch.nn import functional as F

from mbo_lib.errors import InvalidInputError
from mbo_lib.surrogates.sequence_vae import (LatentCoordinates, SequenceVAE, VAEConfig, _SameConv1d, decode_integers,
                                             encode_means, positional_embedding, train_sequence_vae)


def test_same_conv_equals_torch_conv1d():
    torch.manual_seed(0)
    conv = _SameConv1d(6, 3)
    x = torch.randn(4, 5, 6)
    weight = conv.weight.reshape(3, 6, 6).permute(2, 1, 0)  # (out, in, k) for F.conv1d
    reference = F.conv1d(x.transpose(1, 2), weight, conv.bias, padding="same").transpose(1, 2)
    torch.testing.assert_close(conv(x), reference)


@pytest.mark.parametrize("length", [8, 10, 13])
def test_shapes_round_trip_for_odd_intermediate_lengths(length):
    vae = SequenceVAE(num_classes=4, length=length, hidden=8, latent=5)
    x = torch.randint(0, 4, (3, length))
    mean, std = vae.encode(x)
    assert mean.shape == (3, 5) and torch.all(std > 0)
    assert vae.decode(mean).shape == (3, length, 4)
    assert decode_integers(vae, mean.detach()).shape == (3, length)


def test_positional_embedding_is_sin_cos():
    pe = positional_embedding(5, 4)
    assert pe.shape == (5, 4)
    torch.testing.assert_close(pe[3], torch.tensor([np.sin(3.0), np.sin(3 / 100.0), np.cos(3.0), np.cos(3 / 100.0)],
                                                   dtype=torch.float32))


def test_loss_is_nll_plus_beta_kl():
    torch.manual_seed(0)
    vae = SequenceVAE(4, 8, hidden=8, latent=3)
    x = torch.randint(0, 4, (6, 8))
    mean, std = vae.encode(x)
    kl = torch.distributions.kl_divergence(torch.distributions.Normal(mean, std), torch.distributions.Normal(0, 1))
    nll = F.cross_entropy(vae.decode(mean).reshape(-1, 4), x.reshape(-1))
    loss, logs = vae.loss(x, beta=0.5)
    torch.testing.assert_close(loss, nll + 0.5 * kl.sum(1).mean())
    assert logs["kl"] == pytest.approx(float(kl.sum(1).mean()), rel=1e-5)


def test_reconstructs_better_than_chance_after_a_few_epochs():
    rng = np.random.default_rng(0)
    motifs = rng.integers(0, 4, size=(16, 8))  # toy sequences: 16 motifs with one random mutation each
    x = motifs[rng.integers(0, 16, 1024)]
    x[np.arange(1024), rng.integers(0, 8, 1024)] = rng.integers(0, 4, 1024)
    # chance is 0.25; always predicting each position's most frequent letter scores ~0.34 here
    per_position_mode = sum(np.bincount(x[:, j], minlength=4).max() for j in range(8)) / x.size
    torch.manual_seed(0)
    vae = SequenceVAE(4, 8, hidden=32, latent=8)
    log = train_sequence_vae(vae, x, VAEConfig(epochs=4, batch_size=32, val_size=128), seed=0, progress=False)
    z = encode_means(vae, x)
    accuracy = (decode_integers(vae, z) == x).mean()
    assert accuracy > per_position_mode + 0.2, (accuracy, per_position_mode)
    assert log.epochs[-1]["val_accuracy"] > per_position_mode + 0.1 and log.epochs[-1]["train_loss"] < log.epochs[0]["train_loss"]
    assert z.shape == (1024, 8) and z.dtype == np.float32


def _trained_toy_vae():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, size=(512, 8))
    torch.manual_seed(0)
    vae = SequenceVAE(4, 8, hidden=16, latent=6)
    train_sequence_vae(vae, x, VAEConfig(epochs=2, batch_size=64, val_size=64), seed=0, progress=False)
    return vae, x


def test_standardized_latent_coordinates_have_unit_scale_and_round_trip():
    vae, x = _trained_toy_vae()
    means = encode_means(vae, x)
    coords = LatentCoordinates(vae, x, standardize=True)
    np.testing.assert_allclose(coords.data.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(coords.data.std(0), 1.0, rtol=1e-4)
    np.testing.assert_allclose(coords.raw_std, means.std(0), rtol=1e-5)
    np.testing.assert_allclose(coords.data, (means - means.mean(0)) / means.std(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(coords.encode(x[:50]), coords.data[:50], rtol=1e-6, atol=1e-6)
    # decoding goes back through the standardization: same latents, same designs as decoding the raw means
    np.testing.assert_allclose(coords.to_latent(torch.as_tensor(coords.data)), means, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(coords.decode(coords.data), decode_integers(vae, means))


def test_raw_latent_coordinates_are_the_posterior_means():
    vae, x = _trained_toy_vae()
    coords = LatentCoordinates(vae, x, standardize=False)
    np.testing.assert_array_equal(coords.data, encode_means(vae, x))
    np.testing.assert_array_equal(coords.decode(coords.data), decode_integers(vae, coords.data))


def test_a_constant_latent_dimension_keeps_std_one():
    vae, x = _trained_toy_vae()
    with torch.no_grad():  # make latent dim 0 ignore the input: its posterior mean is the bias for every design
        vae.to_mean.weight[0].zero_()
    coords = LatentCoordinates(vae, x)
    assert coords.raw_std[0] == 0 and coords.std[0] == 1.0 and np.all(coords.data[:, 0] == 0)


def test_bad_inputs():
    with pytest.raises(InvalidInputError, match="too short"):
        SequenceVAE(4, 6, num_blocks=4)
    with pytest.raises(InvalidInputError):
        SequenceVAE(4, 8, hidden=7)
    vae = SequenceVAE(4, 8, hidden=8, latent=2)
    with pytest.raises(InvalidInputError, match="integer"):
        train_sequence_vae(vae, np.zeros((10, 8), np.float32), VAEConfig(epochs=1))
    with pytest.raises(InvalidInputError, match="length 8"):
        train_sequence_vae(vae, np.zeros((10, 7), np.int32), VAEConfig(epochs=1))
    with pytest.raises(InvalidInputError):
        train_sequence_vae(vae, np.full((10, 8), 4, np.int32), VAEConfig(epochs=1))
    with pytest.raises(InvalidInputError):
        VAEConfig(batch_size=0)


def test_vae_gradients_do_not_depend_on_the_thread_count():
    """LayerNorm weight/bias gradients are summed over n * L rows; PyTorch's own CPU kernel sums them per thread
    in float32, which made PGS's scores change with torch.set_num_threads (issue 17). Ours are bit-identical."""
    from mbo_lib.surrogates.sequence_vae import SequenceVAE

    torch.manual_seed(0)
    vae = SequenceVAE(4, 8, hidden=16, latent=8)
    x = torch.as_tensor(np.random.default_rng(0).integers(0, 4, (512, 8)))
    before = torch.get_num_threads()

    def grads(threads):
        torch.set_num_threads(threads)
        vae.zero_grad()
        vae.loss(x)[0].backward()
        return {name: p.grad.clone() for name, p in vae.named_parameters()}

    try:
        one, two = grads(1), grads(2)
    finally:
        torch.set_num_threads(before)
    assert [k for k in one if not torch.equal(one[k], two[k])] == []
    reference = torch.nn.LayerNorm(16, eps=1e-3)  # same forward as PyTorch's LayerNorm, gradients to float32 accuracy
    ln = vae.encoder_ln
    h = torch.randn(64, 8, 16, requires_grad=True)
    assert torch.equal(ln(h), torch.nn.functional.layer_norm(h, (16,), ln.weight, ln.bias, ln.eps))
    reference.load_state_dict(ln.state_dict())
    w = torch.randn(64, 8, 16)
    vae.zero_grad(set_to_none=True)
    (ln(h) * w).sum().backward()
    g_ours = (h.grad.clone(), ln.weight.grad.clone(), ln.bias.grad.clone())
    h.grad = None
    (reference(h) * w).sum().backward()
    assert torch.equal(g_ours[0], h.grad)
    torch.testing.assert_close(g_ours[1], reference.weight.grad, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(g_ours[2], reference.bias.grad, rtol=1e-5, atol=1e-5)
