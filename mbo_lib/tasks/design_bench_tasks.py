"""Continuous design-bench tasks read from design-bench-layout files, scored by design-bench's own oracles.

Data: ``<data_dir>/<folder>/<prefix>-{x,y}-<i>.npy`` with the design-bench 2.0.20 registry's percentile filters.
Oracles: built lazily by ``design_bench`` (installed with what it needs: MuJoCo and ``morphing_agents`` for
Ant/D'Kitty, gym + MuJoCo for Hopper, the random-forest oracle files for Superconductor). When that stack is
missing, scoring raises :class:`MissingDependencyError` saying what is missing; the data still load, so
surrogates can be trained and searched.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import data_dir as default_data_dir
from ..errors import MissingDependencyError
from .base import Task, percentile_filter, subsample_indices
from .files import load_shards, shard_paths


@dataclass(frozen=True)
class FileTaskSpec:
    folder: str
    prefix: str
    num_shards: int
    max_percentile: float
    needs: str  # what the oracle needs, for error messages
    dim: int  # width of x (design-bench's input_shape)


# Widths of x from design-bench's datasets: Ant 60, D'Kitty 56, Superconductor 86, Hopper 5126 (the weights of an
# 11-64-64-3 tanh MLP plus a 1x3 log-std).
DESIGN_BENCH_FILE_TASKS = {
    "AntMorphology-Exact-v0": FileTaskSpec(
        "ant_morphology", "ant_morphology", 1, 40.0,
        "MuJoCo, mujoco-py and morphing_agents, plus ant_oracle.pkl in the data directory", dim=60),
    "DKittyMorphology-Exact-v0": FileTaskSpec(
        "dkitty_morphology", "dkitty_morphology", 1, 40.0,
        "MuJoCo, mujoco-py and morphing_agents, plus dkitty_oracle.pkl in the data directory", dim=56),
    "Superconductor-RandomForest-v0": FileTaskSpec(
        "superconductor", "superconductor", 5, 80.0,
        "scikit-learn and design-bench's random-forest oracle files", dim=86),
    "HopperController-Exact-v0": FileTaskSpec(
        "hopper_controller", "hopper_controller", 1, 100.0, "gym with MuJoCo (Hopper-v2)", dim=5126),
}


class DesignBenchOracle:
    """Scores designs with ``design_bench.make(task_id).predict`` (built on first use)."""

    def __init__(self, task_id: str, root: Path, needs: str):
        self.task_id, self.root, self.needs = task_id, root, needs
        self._task = None

    def _build(self):
        from .design_bench_compat import import_design_bench, stubbed_modules

        db = import_design_bench(self.root)
        stubs = [m for m in stubbed_modules() if m.split(".")[0] in {"gym", "morphing_agents"}]
        if stubs and self.task_id != "Superconductor-RandomForest-v0":
            raise MissingDependencyError(
                f"The {self.task_id} oracle is a simulator: it needs {self.needs}. Missing here: "
                f"{sorted({s.split('.')[0] for s in stubs})}. The task's data load without it; scoring designs does not.")
        try:
            return db.make(self.task_id)
        except Exception as exc:  # design-bench raises many kinds of errors for a missing stack
            raise MissingDependencyError(f"design-bench could not build the {self.task_id} oracle ({type(exc).__name__}: "
                                         f"{exc}). It needs {self.needs}.") from exc

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self._task is None:
            self._task = self._build()
        return np.asarray(self._task.predict(x.astype(np.float32)), dtype=np.float32).reshape(-1, 1)


def make_design_bench_file_task(task_id: str, max_percentile: float | None = None, min_percentile: float = 0.0,
                                max_samples: int | None = None, subsample_seed: int = 0,
                                data_dir: str | Path | None = None) -> Task:
    """A continuous design-bench task from its files (registry filter unless ``max_percentile`` is given)."""
    spec = DESIGN_BENCH_FILE_TASKS[task_id]
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    x, y = load_shards(shard_paths(spec.folder, spec.prefix, spec.num_shards, root), x_width=spec.dim)
    max_percentile = spec.max_percentile if max_percentile is None else max_percentile
    keep = subsample_indices(percentile_filter(y, min_percentile, max_percentile), max_samples, subsample_seed)
    return Task(task_id, x[keep].astype(np.float32), y[keep], float(y.min()), float(y.max()),
                DesignBenchOracle(task_id, root, spec.needs),
                info=dict(source=f"design-bench files {root / spec.folder}", full_size=int(x.shape[0]),
                          min_percentile=min_percentile, max_percentile=max_percentile, max_samples=max_samples,
                          subsample_seed=subsample_seed, oracle_needs=spec.needs))
