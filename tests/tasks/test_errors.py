"""Bad input to ``mbo_lib.tasks`` raises ``mbo_lib.errors`` classes with messages that say what was wrong."""
from __future__ import annotations

import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError, MBOError, MissingDataError, UnknownTaskError
from mbo_lib.tasks import Task, make, percentile_filter, resolve_task_id, subsample_indices, task_ids


@pytest.fixture(scope="module")
def tfbind8():
    return make("TFBind8-Exact-v0")


@pytest.fixture(scope="module")
def ackley():
    return make("Ackley-Synthetic-v0", dim=3, num_samples=100)


def test_unknown_task_lists_known_ids_and_suggests_a_close_match():
    with pytest.raises(UnknownTaskError) as info:
        make("TFBind8-Exact-v1")
    message = str(info.value)
    assert "Unknown task 'TFBind8-Exact-v1'" in message
    assert "Did you mean 'TFBind8-Exact-v0'?" in message
    assert all(tid in message for tid in task_ids())
    assert isinstance(info.value, MBOError) and isinstance(info.value, KeyError)


def test_unknown_task_without_close_match_still_lists_ids():
    with pytest.raises(UnknownTaskError) as info:
        make("zzz")
    assert "Did you mean" not in str(info.value) and "Known tasks: TFBind8-Exact-v0" in str(info.value)


def test_short_names_resolve():
    assert resolve_task_id("TFBind8") == "TFBind8-Exact-v0"
    assert resolve_task_id("ant") == "AntMorphology-Exact-v0"


def test_unknown_kwarg_names_it_and_lists_accepted_ones():
    with pytest.raises(InvalidInputError) as info:
        make("TFBind8-Exact-v0", max_sample=10)
    message = str(info.value)
    assert "TFBind8-Exact-v0 does not take ['max_sample']" in message
    assert "'max_samples'" in message and "'subsample_seed'" in message
    with pytest.raises(InvalidInputError, match=r"does not take \['name'\]"):
        make("Ackley-Synthetic-v0", name="Levy")  # the bound builder argument is not a kwarg either


@pytest.mark.parametrize("bad, pattern", [
    (np.zeros((5, 7), dtype=np.int32), r"expects integer designs of shape \(n, 8\), got shape \(5, 7\)"),
    (np.zeros((5,), dtype=np.int32), r"expects integer designs of shape \(n, 8\), got shape \(5,\)"),
    (np.zeros((5, 8), dtype=bool), r"dtype bool"),
    (np.full((5, 8), 4, dtype=np.int32), r"must lie in \[0, 4\), got values in \[4, 4\]"),
    (np.full((5, 8), -1, dtype=np.int64), r"must lie in \[0, 4\), got values in \[-1, -1\]"),
    (np.zeros((5, 8, 4), dtype=np.float32),
     r"expects logits of shape \(n, 8, 3\) or integers \(n, 8\), got \(5, 8, 4\)"),
    (np.zeros((5, 8), dtype=np.float32), r"expects logits of shape \(n, 8, 3\)"),  # floats are taken as logits
])
def test_discrete_predict_rejects_bad_designs(tfbind8, bad, pattern):
    with pytest.raises(InvalidInputError, match=pattern):
        tfbind8.predict(bad)


def test_discrete_predict_rejects_nan_logits(tfbind8):
    logits = tfbind8.to_logits(tfbind8.x[:4])
    logits[2, 3, 1] = np.nan
    with pytest.raises(InvalidInputError, match="TFBind8-Exact-v0: designs contain NaN"):
        tfbind8.predict(logits)


def test_to_logits_rejects_out_of_range_integers(tfbind8):
    with pytest.raises(InvalidInputError, match=r"must lie in \[0, 4\)"):
        tfbind8.to_logits(np.full((2, 8), 7))


@pytest.mark.parametrize("bad, pattern", [
    (np.zeros((5, 4), dtype=np.float32), r"expects designs of shape \(n, 3\), got \(5, 4\)"),
    (np.zeros((3,), dtype=np.float32), r"expects designs of shape \(n, 3\), got \(3,\)"),
    (np.array([["a", "b", "c"]]), r"expects numeric designs, got dtype <U1"),
    (np.array([[0.0, np.nan, 1.0]]), r"designs contain NaN"),
])
def test_continuous_predict_rejects_bad_designs(ackley, bad, pattern):
    with pytest.raises(InvalidInputError, match=pattern):
        ackley.predict(bad)


def test_logit_methods_on_a_continuous_task_are_refused(ackley):
    with pytest.raises(InvalidInputError, match="only defined for discrete tasks; Ackley-Synthetic-v0 is continuous"):
        ackley.to_logits(ackley.x)


def test_nan_or_misshaped_y_at_task_construction():
    x = np.zeros((4, 2), dtype=np.float32)
    y = np.array([[0.0], [np.nan], [1.0], [np.nan]], dtype=np.float32)
    with pytest.raises(InvalidInputError, match="toy: y contains 2 NaN values"):
        Task("toy", x, y, 0.0, 1.0, oracle=lambda d: d[:, :1])
    with pytest.raises(InvalidInputError, match=r"need y of shape \(n, 1\) matching x"):
        Task("toy", x, np.zeros(4, dtype=np.float32), 0.0, 1.0, oracle=lambda d: d[:, :1])
    with pytest.raises(InvalidInputError, match=r"need y of shape \(n, 1\) matching x"):
        Task("toy", x, np.zeros((3, 1), dtype=np.float32), 0.0, 1.0, oracle=lambda d: d[:, :1])


def test_bad_filter_arguments():
    y = np.arange(10, dtype=np.float32)
    with pytest.raises(InvalidInputError, match="need 0 <= min_percentile <= max_percentile <= 100, got 60, 40"):
        percentile_filter(y, 60, 40)
    with pytest.raises(InvalidInputError, match="max_samples must be positive, got -3"):
        subsample_indices(np.arange(10), -3)
    with pytest.raises(InvalidInputError, match="max_percentile"):
        make("TFBind8-Exact-v0", max_percentile=120)


@pytest.mark.parametrize("empty", ["missing", "empty"])
def test_tfbind10_missing_data_directory(monkeypatch, tmp_path, empty):
    root = tmp_path / "data"
    if empty == "empty":
        root.mkdir()
    monkeypatch.setenv("MBO_DATA_DIR", str(root))
    with pytest.raises(MissingDataError) as info:
        make("TFBind10-Exact-v0")
    message = str(info.value)
    assert str(root) in message and "tf_bind_10-pho4/tf_bind_10-x-0.npy" in message
    assert ("does not exist" if empty == "missing" else "lacks 168 of 168 files") in message
    assert "beckhamc/design_bench_data" in message and "MBO_DATA_DIR" in message
    assert isinstance(info.value, FileNotFoundError)
