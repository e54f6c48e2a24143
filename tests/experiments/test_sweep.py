"""Parsing of command-line words into sweeps (mbo_lib.experiments.sweep)."""
import pytest

from mbo_lib.errors import InvalidInputError, UnknownMethodError, UnknownTaskError
from mbo_lib.experiments import RunSpec
from mbo_lib.experiments.sweep import parse_assignments, parse_literal, parse_seeds, sweep_specs


@pytest.mark.parametrize("text, seeds", [("3", [3]), ("0,2,5", [0, 2, 5]), ("0-3", [0, 1, 2, 3]),
                                         ("0-2, 7 ,1", [0, 1, 2, 7]), ("4-4", [4])])
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "1,", "-1", "3-1", "a", "1.5", "0-"])
def test_parse_seeds_rejects_with_the_value(text):
    with pytest.raises(InvalidInputError, match="seeds"):
        parse_seeds(text)


@pytest.mark.parametrize("text, value", [("5", 5), ("0.05", 0.05), ("true", True), ("True", True), ("None", None),
                                         ("[64, 64]", [64, 64]), ("abc", "abc"), ('"5"', "5"), ("1e-3", 1e-3)])
def test_parse_literal(text, value):
    parsed = parse_literal(text)
    assert parsed == value and type(parsed) is type(value)


def test_parse_assignments_last_wins_and_errors_name_the_item():
    assert parse_assignments(["a=1", "b=x=y", "a=2"]) == {"a": 2, "b": "x=y"}
    with pytest.raises(InvalidInputError, match="--reg-set 'epsilon'"):
        parse_assignments(["epsilon"], "--reg-set")
    with pytest.raises(InvalidInputError, match="key=value"):
        parse_assignments(["=3"])


def test_sweep_specs_is_the_grid_with_shared_settings():
    specs = sweep_specs(["TFBind8"], ["GA", "coms"], "smoke", [0, 1], overrides={"epochs": 2}, regularizer="ignite",
                        regularizer_params={"epsilon": 0.05}, task_kwargs={"max_samples": 100})
    assert len(specs) == 4 and {s.method for s in specs} == {"GA", "COMs"}
    assert specs[0] == RunSpec("TFBind8-Exact-v0", "GA", "smoke", 0, overrides={"epochs": 2},
                               regularizer={"name": "ignite", "epsilon": 0.05}, task_kwargs={"max_samples": 100})
    with pytest.raises(InvalidInputError, match="without a regularizer"):
        sweep_specs(["TFBind8"], ["GA"], "smoke", [0], regularizer_params={"epsilon": 0.05})
    with pytest.raises(UnknownTaskError):
        sweep_specs(["nope"], ["GA"], "smoke", [0])
    with pytest.raises(UnknownMethodError):
        sweep_specs(["TFBind8"], ["nope"], "smoke", [0])
    with pytest.raises(InvalidInputError, match="seeds"):
        sweep_specs(["TFBind8"], ["GA"], "smoke", [])
