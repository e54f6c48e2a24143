import numpy as np

from mbo_lib.design_space import DesignSpace
from mbo_lib.tasks import make


def test_discrete_roundtrip_and_normalization():
    task = make("TFBind8-Exact-v0")
    space = DesignSpace(task)
    z = space.encode(task.x)
    assert z.shape == (task.x.shape[0], 24) and space.dim == 24
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-3)
    back = space.decode(z[:100])
    assert back.shape == (100, 8, 3)
    np.testing.assert_array_equal(task.to_integers(back), task.x[:100])
    np.testing.assert_array_equal(task.predict(back), task.predict(task.x[:100]))


def test_continuous_roundtrip_and_y():
    task = make("Ackley-Synthetic-v0", dim=3, num_samples=200)
    space = DesignSpace(task)
    z = space.encode(task.x)
    np.testing.assert_allclose(space.decode(z), task.x, rtol=1e-5, atol=1e-4)
    y = space.encode_y(task.y)
    assert abs(y.mean()) < 1e-5 and abs(y.std() - 1) < 1e-4
    np.testing.assert_allclose(space.decode_y(y), task.y, rtol=1e-5)


def test_top_k_are_the_best_rows():
    task = make("Levy-Synthetic-v0", dim=2, num_samples=100)
    idx = DesignSpace(task).top_k(5)
    assert np.all(task.y[idx, 0] == np.sort(task.y[:, 0])[::-1][:5])
