"""Damaged design-bench-layout shards are refused with errors that name the shard and what is wrong with it.

Small FAKE folders in tmp: TF-Bind-10's 84-shard layout (5 rows a shard) and Ant's one-shard layout. Each test damages
one file the way a broken download or a bad copy would.
"""
from __future__ import annotations

import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError, MissingDataError
from mbo_lib.tasks import Task, make
from mbo_lib.tasks.files import load_npy
from mbo_lib.tasks.tfbind import TFBIND10_SHARDS
from mbo_lib.tasks.tfbind8 import decode_base4

ROWS = 5


@pytest.fixture
def tfbind10_root(tmp_path):
    """A valid miniature TF-Bind-10 folder (84 shards of 5 rows) under tmp."""
    folder = tmp_path / "tf_bind_10-pho4"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(TFBIND10_SHARDS):
        np.save(folder / f"tf_bind_10-x-{i}.npy", decode_base4(rng.integers(0, 4 ** 10, ROWS), 10))
        np.save(folder / f"tf_bind_10-y-{i}.npy", rng.normal(size=(ROWS, 1)).astype(np.float32))
    return tmp_path


def shard(root, kind: str, i: int):
    return root / "tf_bind_10-pho4" / f"tf_bind_10-{kind}-{i}.npy"


def build(root):
    return make("TFBind10-Exact-v0", data_dir=root, max_samples=None)


def test_the_fake_folder_itself_builds(tfbind10_root):
    task = build(tfbind10_root)
    assert task.info["full_size"] == TFBIND10_SHARDS * ROWS and np.isfinite([task.y_min, task.y_max]).all()


def test_garbled_magic_names_the_shard_and_says_not_npy(tfbind10_root):
    path = shard(tfbind10_root, "x", 7)
    data = bytearray(path.read_bytes())
    data[:6] = b"GARBLE"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidInputError) as info:
        build(tfbind10_root)
    message = str(info.value)
    assert str(path) in message and "not a NumPy .npy file" in message
    assert "pickle" not in message  # numpy's own message was "Cannot load file containing pickled data ..."


def test_garbled_header_dict_names_the_shard(tfbind10_root):
    path = shard(tfbind10_root, "y", 12)
    data = path.read_bytes()
    start = data.index(b"{")
    path.write_bytes(data[:start] + b"{'descr': <f4, 'fortran" + data[start + 23:])
    with pytest.raises(InvalidInputError, match="unreadable .npy header") as info:
        build(tfbind10_root)
    assert str(path) in str(info.value)


def test_truncated_shard_names_the_shard(tfbind10_root):
    path = shard(tfbind10_root, "x", 3)
    path.write_bytes(path.read_bytes()[:-17])
    with pytest.raises(InvalidInputError, match=r"truncated or corrupt data for shape \(5, 10\)") as info:
        build(tfbind10_root)
    assert str(path) in str(info.value)


def test_short_y_shard_is_a_row_count_mismatch_not_an_index_error(tfbind10_root):
    path = shard(tfbind10_root, "y", 40)
    np.save(path, np.zeros((ROWS - 1, 1), dtype=np.float32))
    with pytest.raises(InvalidInputError) as info:
        build(tfbind10_root)
    assert f"{path} has 4 rows but its x shard tf_bind_10-x-40.npy has 5" in str(info.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_y_is_refused_naming_shard_and_rows(tfbind10_root, bad):
    path = shard(tfbind10_root, "y", 83)
    y = np.load(path)
    y[[1, 3]] = bad
    np.save(path, y)
    with pytest.raises(InvalidInputError) as info:
        build(tfbind10_root)
    assert f"{path}: 2 of 5 rows of this y shard are not finite (NaN or inf; first at row 1)" in str(info.value)


@pytest.mark.parametrize("x, pattern", [
    (np.zeros((ROWS, 10), dtype=np.float32), r"x shard of dtype float32, expected integers in \[0, 4\)"),
    (np.full((ROWS, 10), 7, dtype=np.int32), r"5 rows hold values outside \[0, 4\) \(first at row 0"),
    (np.zeros((ROWS, 9), dtype=np.int32), r"x shard of shape \(5, 9\), expected \(n, 10\)"),
    (np.zeros((ROWS,), dtype=np.int32), r"x shard of shape \(5,\), expected \(n, 10\)"),
    (np.array([["a"] * 10] * ROWS), r"holds dtype <U1, expected integer or floating-point numbers"),
])
def test_wrong_x_dtype_shape_or_values(tfbind10_root, x, pattern):
    path = shard(tfbind10_root, "x", 20)
    np.save(path, x)
    with pytest.raises(InvalidInputError, match=pattern) as info:
        build(tfbind10_root)
    assert str(path) in str(info.value)


def test_pickled_object_shard_is_refused_without_unpickling(tfbind10_root):
    path = shard(tfbind10_root, "y", 5)
    np.save(path, np.array([[object()]] * ROWS, dtype=object), allow_pickle=True)
    with pytest.raises(InvalidInputError, match="holds dtype object") as info:
        load_npy(path)
    assert str(path) in str(info.value)


def test_wrong_y_shape(tfbind10_root):
    path = shard(tfbind10_root, "y", 9)
    np.save(path, np.zeros((ROWS, 2), dtype=np.float32))
    with pytest.raises(InvalidInputError, match=r"y shard of shape \(5, 2\), expected \(n, 1\)"):
        build(tfbind10_root)


def test_all_empty_shards_never_build_an_empty_task(tfbind10_root):
    for i in range(TFBIND10_SHARDS):
        np.save(shard(tfbind10_root, "x", i), np.zeros((0, 10), dtype=np.int32))
        np.save(shard(tfbind10_root, "y", i), np.zeros((0, 1), dtype=np.float32))
    with pytest.raises(InvalidInputError, match="hold no rows"):
        build(tfbind10_root)


def test_a_missing_shard_is_still_missing_data(tfbind10_root):
    shard(tfbind10_root, "y", 2).unlink()
    with pytest.raises(MissingDataError, match="tf_bind_10-y-2.npy"):
        build(tfbind10_root)


# ----- the generic loader behind Ant / D'Kitty / Superconductor / Hopper ---------------------------------------------
@pytest.fixture
def ant_root(tmp_path):
    folder = tmp_path / "ant_morphology"
    folder.mkdir()
    rng = np.random.default_rng(1)
    np.save(folder / "ant_morphology-x-0.npy", rng.normal(size=(30, 60)).astype(np.float32))
    np.save(folder / "ant_morphology-y-0.npy", rng.normal(size=(30, 1)).astype(np.float32))
    return tmp_path


@pytest.mark.parametrize("kind, array, pattern", [
    ("x", np.full((30, 60), np.nan, dtype=np.float32), r"30 of 30 rows of this x shard are not finite"),
    ("x", np.zeros((30, 59), dtype=np.float32), r"x shard of shape \(30, 59\), expected \(n, 60\)"),
    ("y", np.zeros((29, 1), dtype=np.float32), r"has 29 rows but its x shard ant_morphology-x-0.npy has 30"),
    ("y", np.array([[np.nan]] + [[0.5]] * 29, dtype=np.float32), r"1 of 30 rows of this y shard are not finite"),
])
def test_file_task_shards_are_checked_too(ant_root, kind, array, pattern):
    path = ant_root / "ant_morphology" / f"ant_morphology-{kind}-0.npy"
    np.save(path, array)
    with pytest.raises(InvalidInputError, match=pattern) as info:
        make("AntMorphology-Exact-v0", data_dir=ant_root)
    assert str(path) in str(info.value)


# ----- the Task itself refuses what no loader should hand it ----------------------------------------------------------
@pytest.mark.parametrize("n, y_min, y_max, pattern", [
    (0, 0.0, 1.0, r"hold no rows \(n = 0\)"),
    (3, float("nan"), 1.0, r"bounds must be finite with y_min < y_max, got \(nan, 1.0\)"),
    (3, 0.0, float("inf"), r"bounds must be finite"),
    (3, 1.0, 1.0, r"y_min < y_max, got \(1.0, 1.0\)"),
])
def test_task_refuses_empty_data_and_bad_bounds(n, y_min, y_max, pattern):
    x, y = np.zeros((n, 2), dtype=np.float32), np.zeros((n, 1), dtype=np.float32)
    with pytest.raises(InvalidInputError, match=pattern):
        Task("toy", x, y, y_min, y_max, oracle=lambda d: d[:, :1])


def test_task_refuses_infinite_y():
    x, y = np.zeros((3, 2), dtype=np.float32), np.array([[0.0], [np.inf], [1.0]], dtype=np.float32)
    with pytest.raises(InvalidInputError, match="toy: y contains 1 infinite values"):
        Task("toy", x, y, 0.0, 1.0, oracle=lambda d: d[:, :1])
