"""Many independent CMA-ES runs with one vectorized fitness call per generation (the ``cma`` package).

design-baselines' ``cma_es`` baseline starts one ``cma.CMAEvolutionStrategy(x_i, sigma)`` from each of the
top-128 designs, runs each for at most ``cma_max_iterations`` generations (or until it stops itself) and keeps
each run's ``es.result.xbest`` (the best solution it ever evaluated). It evaluates one solution at a time; here
every generation asks all running instances, evaluates the union of their populations in one batched call and
tells each instance its own values, which changes nothing but the speed.

Each instance draws its Gaussian samples from its own ``numpy.random.Generator`` (``cma``'s ``randn`` option,
``seed=nan`` so ``cma`` never reseeds NumPy's global RNG), so runs are reproducible and independent.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import MissingDependencyError


def cma_es_search(fitness: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, sigma: float, max_iterations: int,
                  seed: int, popsize: int | None = None, record_at: Sequence[int] = ()
                  ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Maximize ``fitness`` with one CMA-ES instance per row of ``x0``.

    Args:
        fitness: ``m x D -> m`` values to maximize (called once per generation on all populations).
        x0: ``n x D`` starting means.
        sigma: initial step size of every instance.
        max_iterations: generations per instance (design-baselines: 100).
        seed: instance ``i`` samples from ``numpy.random.default_rng([seed, i])``.
        popsize: population size (default: ``cma``'s ``4 + floor(3 ln D)``).
        record_at: generations (0..max_iterations) after which to keep a copy of the per-instance best solutions.

    Returns:
        ``(x_best, f_best, info)``: ``n x D`` best solution each instance evaluated (``x0`` row if none), its
        fitness ``n``, and ``info`` with generations run per instance, the stop reasons seen and ``snapshots``
        ``{generation: n x D best-so-far}``.
    """
    try:
        import cma
    except ImportError as exc:  # pragma: no cover - cma is a dependency
        raise MissingDependencyError("CMA-ES needs the 'cma' package: pip install cma") from exc
    x0 = np.asarray(x0, dtype=np.float64)
    instances = []
    for i, mean in enumerate(x0):
        rng = np.random.default_rng([seed, i])
        opts = {"seed": np.nan, "randn": lambda lam, n, rng=rng: rng.standard_normal((lam, n)), "verbose": -9,
                "verb_log": 0, "verb_disp": 0, "maxiter": max_iterations}
        if popsize is not None:
            opts["popsize"] = popsize
        instances.append(cma.CMAEvolutionStrategy(mean.tolist(), sigma, opts))
    generations = np.zeros(len(instances), dtype=int)

    def best_so_far() -> np.ndarray:
        return np.stack([x0[i] if es.result.xbest is None else np.asarray(es.result.xbest)
                         for i, es in enumerate(instances)])

    snapshots = {0: x0.copy()} if 0 in record_at else {}
    for generation in range(1, max_iterations + 1):
        active = [i for i, es in enumerate(instances) if not es.stop()]
        if not active:
            break
        populations = [instances[i].ask() for i in active]
        values = np.asarray(fitness(np.concatenate([np.asarray(p) for p in populations])), dtype=np.float64)
        offset = 0
        for i, pop in zip(active, populations):
            instances[i].tell(pop, (-values[offset:offset + len(pop)]).tolist())  # cma minimizes
            offset += len(pop)
            generations[i] += 1
        if generation in record_at:
            snapshots[generation] = best_so_far()
    for generation in record_at:  # instances that all stopped early keep their best
        if generation not in snapshots and 0 < generation <= max_iterations:
            snapshots[generation] = best_so_far()
    x_best = best_so_far()
    f_best = np.array([np.nan if es.result.fbest is None else -es.result.fbest for es in instances])
    stops = sorted({key for es in instances for key in es.stop()})
    return x_best, f_best, {"generations": generations.tolist(), "stop_reasons": stops, "snapshots": snapshots}
