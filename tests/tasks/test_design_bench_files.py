"""Tests of ``mbo_lib/tasks/design_bench_tasks.py`` and ``files.py`` on small FAKE files in design-bench's layout.

The real Ant/D'Kitty/Superconductor/Hopper files are not obtainable on the project's machines, so we write tiny ones
with the real shapes and shard counts, and check that our loader and registry filter give exactly what
design-bench's own dataset classes give on the same files.
"""
from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from mbo_lib.errors import MissingDataError, MissingDependencyError
from mbo_lib.tasks import make
from mbo_lib.tasks.design_bench_compat import import_design_bench, set_design_bench_data_dir

# task id -> (folder/prefix, input dim, shards, rows per shard). Dims from the design-bench datasets: Ant 60,
# D'Kitty 56, Superconductor 86 (5 shards), Hopper 5126 = the weights of an 11-64-64-3 tanh MLP plus a 1x3 log-std.
FAKE = {
    "AntMorphology-Exact-v0": ("ant_morphology", 60, 1, 120),
    "DKittyMorphology-Exact-v0": ("dkitty_morphology", 56, 1, 120),
    "Superconductor-RandomForest-v0": ("superconductor", 86, 5, 40),
    "HopperController-Exact-v0": ("hopper_controller", 5126, 1, 30),
}
HOPPER_DIM = 11 * 64 + 64 + 64 * 64 + 64 + 64 * 3 + 3 + 3


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory):
    """Fake files for the four tasks; y has ties (rounded) so the percentile cut's ``<=`` matters."""
    root = tmp_path_factory.mktemp("fake_design_bench")
    rng = np.random.default_rng(0)
    for name, dim, shards, rows in FAKE.values():
        (root / name).mkdir()
        for i in range(shards):
            np.save(root / name / f"{name}-x-{i}.npy", rng.normal(size=(rows, dim)).astype(np.float32))
            np.save(root / name / f"{name}-y-{i}.npy", np.round(rng.normal(size=(rows, 1)), 1).astype(np.float32))
    return root


def full_arrays(root, task_id):
    name, _, shards, _ = FAKE[task_id]
    x = np.concatenate([np.load(root / name / f"{name}-x-{i}.npy") for i in range(shards)])
    y = np.concatenate([np.load(root / name / f"{name}-y-{i}.npy") for i in range(shards)])
    return x, y


def really_installed(name: str) -> bool:
    """Whether a real (not stubbed by the compatibility layer) module ``name`` is importable."""
    module = sys.modules.get(name)
    if module is not None:
        return not getattr(module, "__mbo_stub__", False)
    return importlib.util.find_spec(name) is not None


def test_hopper_dim_is_design_bench_policy_size():
    assert HOPPER_DIM == FAKE["HopperController-Exact-v0"][1] == 5126


@pytest.mark.parametrize("task_id", list(FAKE))
def test_loader_equals_design_bench_dataset_class(fake_root, task_id):
    design_bench = import_design_bench(fake_root)
    from design_bench.task import import_name

    spec = design_bench.spec(task_id)
    set_design_bench_data_dir(fake_root)
    reference = import_name(spec.dataset)(**spec.dataset_kwargs)  # design-bench's class with its registry filter
    ours = make(task_id, data_dir=fake_root)
    np.testing.assert_array_equal(ours.x, reference.x)
    np.testing.assert_array_equal(ours.y, reference.y)
    assert ours.x.dtype == np.float32 and ours.y.dtype == np.float32
    x, y = full_arrays(fake_root, task_id)
    assert ours.info["full_size"] == x.shape[0]
    assert (ours.y_min, ours.y_max) == (float(y.min()), float(y.max()))
    assert not ours.is_discrete and ours.x.shape[1] == FAKE[task_id][1]
    if spec.dataset_kwargs["max_percentile"] < 100:
        assert ours.dataset_size < x.shape[0]


def test_registry_filter_percentiles_match_design_bench(fake_root):
    design_bench = import_design_bench(fake_root)
    for task_id in FAKE:
        ours = make(task_id, data_dir=fake_root)
        assert ours.info["max_percentile"] == design_bench.spec(task_id).dataset_kwargs["max_percentile"]
        assert ours.info["min_percentile"] == design_bench.spec(task_id).dataset_kwargs["min_percentile"]


def test_max_samples_on_file_tasks_is_a_seeded_subset(fake_root):
    full = make("AntMorphology-Exact-v0", data_dir=fake_root)
    a = make("AntMorphology-Exact-v0", data_dir=fake_root, max_samples=10, subsample_seed=3)
    b = make("AntMorphology-Exact-v0", data_dir=fake_root, max_samples=10, subsample_seed=3)
    assert a.x.shape == (10, 60)
    np.testing.assert_array_equal(a.x, b.x)
    assert all((row == full.x).all(axis=1).any() for row in a.x)


@pytest.mark.parametrize("task_id", ["AntMorphology-Exact-v0", "DKittyMorphology-Exact-v0"])
def test_morphology_scoring_without_simulator_names_what_is_missing(fake_root, task_id):
    if really_installed("morphing_agents"):
        pytest.skip("morphing_agents is installed here; this test checks the error when it is not")
    task = make(task_id, data_dir=fake_root)
    with pytest.raises(MissingDependencyError) as info:
        task.predict(task.x[:2])
    message = str(info.value)
    assert task_id in message and "MuJoCo" in message and "morphing_agents" in message
    # The data stay usable without the simulator.
    assert task.x.shape[0] > 0


@pytest.mark.parametrize("task_id", list(FAKE))
def test_missing_files_name_the_files_and_the_mirror(tmp_path, task_id):
    name, dim, shards, rows = FAKE[task_id]
    with pytest.raises(MissingDataError) as info:
        make(task_id, data_dir=tmp_path)  # exists but empty
    message = str(info.value)
    assert f"{name}/{name}-x-0.npy" in message and "beckhamc/design_bench_data" in message
    assert isinstance(info.value, FileNotFoundError)


def test_one_missing_shard_is_named(fake_root, tmp_path):
    name = "superconductor"
    (tmp_path / name).mkdir()
    for i in range(5):
        for kind in "xy":
            if (i, kind) != (3, "y"):
                shard = f"{name}-{kind}-{i}.npy"
                (tmp_path / name / shard).write_bytes((fake_root / name / shard).read_bytes())
    with pytest.raises(MissingDataError) as info:
        make("Superconductor-RandomForest-v0", data_dir=tmp_path)
    message = str(info.value)
    assert "superconductor-y-3.npy" in message and "lacks 1 of 10 files" in message
    assert "superconductor-x-3.npy" not in message


def test_missing_data_directory_is_reported(tmp_path):
    with pytest.raises(MissingDataError, match="does not exist"):
        make("HopperController-Exact-v0", data_dir=tmp_path / "nowhere")
