import numpy as np
import pytest
import torch

from mbo_lib.design_space import DesignSpace
from mbo_lib.experiments import load_task

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute
from mbo_lib.methods import get_method
from mbo_lib.search.cma_es import cma_es_search

SMALL = {"dim": 3, "num_samples": 400}


def test_end_to_end_on_tfbind8():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "CMA-ES", "smoke", 0), progress=False)
    assert out.designs.shape == (128, 8, 3)
    assert len(record["result"]["scores"]) == 128
    assert record["extras"]["generations_mean"] == 5.0
    assert record["curve"][0]["norm_p100"] == pytest.approx(0.4393, abs=1e-3)


def test_synthetic_task_is_deterministic_and_improves_the_ensemble_prediction():
    spec = RunSpec("Ackley-Synthetic-v0", "CMA-ES", "smoke", 2, task_kwargs=SMALL)
    rec1, out = execute(spec, progress=False)
    rec2, _ = execute(spec, progress=False)
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    assert out.designs.shape == (128, 3)
    space = DesignSpace(load_task(spec.task, SMALL))
    with torch.no_grad():
        start = out.surrogate(torch.as_tensor(space.encode(out.steps[0])))[..., 0].mean(0)
        end = out.surrogate(torch.as_tensor(space.encode(out.designs)))[..., 0].mean(0)
    assert (end > start).float().mean() > 0.9  # nearly every run found a design its ensemble rates higher


def test_independent_runs_find_the_optimum_and_do_not_interact():
    def fitness(x):
        return -((x - np.array([1.0, -2.0, 0.5])) ** 2).sum(-1)

    x0 = np.zeros((3, 3)) + np.arange(3)[:, None]
    best, f_best, info = cma_es_search(fitness, x0, sigma=0.5, max_iterations=60, seed=0, record_at=[0, 30, 60])
    np.testing.assert_allclose(best, np.tile([1.0, -2.0, 0.5], (3, 1)), atol=1e-2)
    np.testing.assert_allclose(f_best, fitness(best))
    assert sorted(info["snapshots"]) == [0, 30, 60] and np.allclose(info["snapshots"][0], x0)
    # run 0 alone follows exactly the same path: the batched fitness call does not couple the runs
    best0, _, _ = cma_es_search(fitness, x0[:1], sigma=0.5, max_iterations=60, seed=0)
    np.testing.assert_array_equal(best0[0], best[0])
    again, _, _ = cma_es_search(fitness, x0, sigma=0.5, max_iterations=60, seed=0)
    np.testing.assert_array_equal(again, best)
    other, _, _ = cma_es_search(fitness, x0, sigma=0.5, max_iterations=5, seed=1)
    assert not np.array_equal(other, cma_es_search(fitness, x0, sigma=0.5, max_iterations=5, seed=0)[0])


def test_bad_hyperparameters_raise():
    with pytest.raises(InvalidInputError, match="out of range"):
        execute(RunSpec("TFBind8-Exact-v0", "CMA-ES", "smoke", 0, overrides={"sigma": -0.5}), progress=False)
    paper = get_method("CMA-ES").hyperparameters("paper")
    assert (paper["sigma"], paper["max_iterations"], paper["num_members"]) == (0.5, 100, 5)
