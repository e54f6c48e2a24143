"""Task kwargs are checked strictly, one way for ``make`` and ``canonical_task_kwargs``; designs handed to a task
(``predict``, ``to_integers``) must be finite and of the task's width."""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError, UnknownTaskError
from mbo_lib.tasks import canonical_task_kwargs, make, task_defaults, task_ids, to_integers
from mbo_lib.tasks.registry import TASK_BUILDERS, TASK_PARAMS

SYNTHETIC = ["Ackley-Synthetic-v0", "Rosenbrock-Synthetic-v0", "Levy-Synthetic-v0", "Shekel-Synthetic-v0"]


# ----- canonical_task_kwargs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [3.5, 3.0, "3", True, np.float64(3.0), None, [3]])
def test_int_fields_refuse_floats_strings_bools(value):
    with pytest.raises(InvalidInputError, match=r"Ackley-Synthetic-v0: dim must be an int with dim >= 1, got"):
        canonical_task_kwargs("Ackley-Synthetic-v0", {"dim": value})
    with pytest.raises(InvalidInputError, match="dim must be an int"):
        make("Ackley-Synthetic-v0", dim=value)  # make uses the same check: dim=3.5 used to build a 3-D task


@pytest.mark.parametrize("task_id, kwargs, pattern", [
    ("Ackley-Synthetic-v0", {"dim": 0}, r"dim >= 1, got 0"),
    ("Ackley-Synthetic-v0", {"num_samples": 9}, r"num_samples >= 10, got 9"),
    ("Ackley-Synthetic-v0", {"seed": -1}, r"seed >= 0, got -1"),
    ("Shekel-Synthetic-v0", {"dim": 5}, r"Shekel is defined only in dimension 4, got dim=5"),
    ("TFBind8-Exact-v0", {"max_percentile": 100.5}, r"max_percentile must be a number in \[0, 100\], got 100.5"),
    ("TFBind8-Exact-v0", {"max_percentile": float("nan")}, r"max_percentile must be a number in \[0, 100\], got nan"),
    ("TFBind8-Exact-v0", {"max_percentile": "50"}, r"max_percentile must be a number .*got '50' \(str\)"),
    ("TFBind8-Exact-v0", {"min_percentile": True}, r"min_percentile must be a number .*got True \(bool\)"),
    ("TFBind8-Exact-v0", {"min_percentile": 60}, r"need 0 <= min_percentile <= max_percentile <= 100, got 60, 50"),
    ("TFBind8-Exact-v0", {"max_samples": 0}, r"max_samples must be an int with max_samples >= 1, got 0"),
    ("TFBind8-Exact-v0", {"max_samples": 10.0}, r"max_samples must be an int.*got 10.0 \(float\)"),
    ("TFBind10-Exact-v0", {"transcription_factor": "gal4"}, r"must be one of \['cbf1', 'pho4'\].*got 'gal4'"),
    ("TFBind10-Exact-v0", {"data_dir": 3}, r"data_dir must be a folder path"),
])
def test_ranges_and_kinds(task_id, kwargs, pattern):
    with pytest.raises(InvalidInputError, match=pattern):
        canonical_task_kwargs(task_id, kwargs)


def test_unknown_kwarg_lists_the_allowed_ones():
    with pytest.raises(InvalidInputError) as info:
        canonical_task_kwargs("Levy-Synthetic-v0", {"dims": 3})
    assert "Levy-Synthetic-v0 does not take ['dims']; it takes ['dim', 'max_percentile', 'num_samples', 'seed']" in str(
        info.value)
    with pytest.raises(UnknownTaskError):
        canonical_task_kwargs("Levy-v9", {})


def test_defaults_are_dropped_and_numpy_scalars_become_plain_python():
    assert canonical_task_kwargs("Ackley-Synthetic-v0", {"dim": 10}) == canonical_task_kwargs("Ackley", {}) == {}
    assert canonical_task_kwargs("TFBind8", {"max_percentile": 50, "min_percentile": np.int64(0),
                                             "max_samples": None, "subsample_seed": 0,
                                             "transcription_factor": "SIX6_REF_R1"}) == {}
    out = canonical_task_kwargs("Ackley-Synthetic-v0", {"dim": np.int64(20), "max_percentile": np.float32(30),
                                                        "seed": np.uint8(2)})
    assert out == {"dim": 20, "max_percentile": 30.0, "seed": 2}
    assert [type(v) for v in out.values()] == [int, float, int]
    assert json.dumps(out) == '{"dim": 20, "max_percentile": 30.0, "seed": 2}'
    # TF-Bind-10's default max_samples is 10000: None (the full filtered set) is not the default and is kept.
    assert canonical_task_kwargs("TFBind10-Exact-v0", {"max_samples": None}) == {"max_samples": None}
    assert canonical_task_kwargs("TFBind10-Exact-v0", {"max_samples": 10000, "data_dir": Path("/d")}) == {
        "data_dir": "/d"}
    assert canonical_task_kwargs("Ant", {"max_percentile": 40}) == {}  # the registry's filter is Ant's default
    assert canonical_task_kwargs("Ant", {"max_percentile": 50}) == {"max_percentile": 50.0}


def test_canonical_kwargs_build_the_same_task_as_the_original():
    kwargs = {"dim": np.int64(3), "num_samples": 100, "max_percentile": 50, "seed": np.int32(4)}
    a = make("Levy-Synthetic-v0", **kwargs)
    b = make("Levy-Synthetic-v0", **canonical_task_kwargs("Levy-Synthetic-v0", kwargs))
    np.testing.assert_array_equal(a.x, b.x)
    assert a.x.shape == (50, 3)


def test_design_bench_dataset_kwargs_form():
    plain = canonical_task_kwargs("TFBind8-Exact-v0", {"transcription_factor": "PAX6_REF_R1", "max_samples": 100})
    nested = canonical_task_kwargs("TFBind8-Exact-v0", {"dataset_kwargs": dict(
        max_samples=100, distribution=None, max_percentile=50, min_percentile=0, transcription_factor="PAX6_REF_R1")})
    assert plain == nested == {"max_samples": 100, "transcription_factor": "PAX6_REF_R1"}
    with pytest.raises(InvalidInputError, match="max_samples given twice, as 5 and as dataset_kwargs 100"):
        canonical_task_kwargs("TFBind8-Exact-v0", {"max_samples": 5, "dataset_kwargs": {"max_samples": 100}})
    with pytest.raises(InvalidInputError, match="distribution=.* is not supported; only None"):
        canonical_task_kwargs("TFBind8-Exact-v0", {"dataset_kwargs": {"distribution": "linear"}})
    with pytest.raises(InvalidInputError, match="dataset_kwargs must be a dict"):
        canonical_task_kwargs("TFBind8-Exact-v0", {"dataset_kwargs": ["transcription_factor"]})


@pytest.mark.parametrize("task_id", task_ids())
def test_declared_params_match_the_builders(task_id):
    """TASK_PARAMS (checked kinds and defaults) and the builders' signatures must not drift apart."""
    builder = TASK_BUILDERS[task_id]
    signature = inspect.signature(builder).parameters
    names = set(signature) - {"name", "task_id"}
    assert set(TASK_PARAMS[task_id]) == names
    for name, default in task_defaults(task_id).items():
        declared = signature[name].default
        if declared is not None:  # None stands for the registry's value (file tasks) or the function's dim
            assert default == declared and type(default) is type(declared), (task_id, name)
        assert canonical_task_kwargs(task_id, {name: default}) == {}  # each default is valid and dropped


# ----- designs at the task boundary ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic_tasks():
    return {tid: make(tid, num_samples=100) for tid in SYNTHETIC}


@pytest.mark.parametrize("task_id", SYNTHETIC)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_synthetic_predict_refuses_non_finite_designs(synthetic_tasks, task_id, bad):
    task = synthetic_tasks[task_id]
    x = task.x[:5].copy()
    x[1, 0] = bad
    x[3, -1] = bad
    pattern = rf"{task_id}: designs contain NaN or inf .* in 2 of 5 rows \(first: row 1\)"
    with pytest.raises(InvalidInputError, match=pattern):
        task.predict(x)
    np.testing.assert_array_equal(task.predict(task.x[:5]), task.oracle(task.x[:5]))  # finite designs unchanged


def test_float64_designs_beyond_float32_range_are_refused(synthetic_tasks):
    task = synthetic_tasks["Ackley-Synthetic-v0"]
    x = task.x[:2].astype(np.float64)
    x[0, 0] = 1e300  # float32(1e300) is inf
    with pytest.raises(InvalidInputError, match="in 1 of 2 rows"):
        task.predict(x)


@pytest.fixture(scope="module")
def tfbind8():
    return make("TFBind8-Exact-v0")


def test_discrete_predict_refuses_infinite_logits(tfbind8):
    logits = tfbind8.to_logits(tfbind8.x[:6])
    logits[4, 0, 2] = np.inf
    with pytest.raises(InvalidInputError, match=r"TFBind8-Exact-v0: designs contain NaN or inf .* in 1 of 6 rows"):
        tfbind8.predict(logits)


@pytest.mark.parametrize("shape, pattern", [
    ((4, 8, 4), r"expects logits of shape \(n, 8, 3\) or integers \(n, 8\), got \(4, 8, 4\) \(8 positions; 3 logits"),
    ((4, 7, 3), r"expects logits of shape \(n, 8, 3\) .*got \(4, 7, 3\)"),
    ((4, 24), r"expects logits of shape \(n, 8, 3\) .*got \(4, 24\)"),
])
def test_task_to_integers_checks_width(tfbind8, shape, pattern):
    # (4, 8, 4) used to give class 4 of a 4-class task; (4, 7, 3) seven-position designs.
    with pytest.raises(InvalidInputError, match=pattern):
        tfbind8.to_integers(np.zeros(shape, dtype=np.float32))


def test_to_integers_refuses_nan(tfbind8):
    logits = tfbind8.to_logits(tfbind8.x[:3])
    logits[2, 5, 0] = np.nan
    with pytest.raises(InvalidInputError, match=r"designs contain NaN .*in 1 of 3 rows \(first: row 2\)"):
        tfbind8.to_integers(logits)
    with pytest.raises(InvalidInputError, match=r"to_integers: designs contain NaN in 1 of 3 rows"):
        to_integers(logits)  # the module-level function too
    with pytest.raises(InvalidInputError, match=r"to_integers expects numeric logits"):
        to_integers(np.array([["a", "b"]]))


def test_valid_logits_are_unchanged(tfbind8):
    noisy = np.random.default_rng(0).normal(size=(50, 8, 3)).astype(np.float32)
    padded = np.concatenate([np.zeros((50, 8, 1), dtype=np.float32), noisy], axis=-1)
    np.testing.assert_array_equal(tfbind8.to_integers(noisy), np.argmax(padded, axis=-1))  # design-bench's rule
