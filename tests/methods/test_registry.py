"""``register`` refuses a name that is taken unless told to replace it (issue 30, finding 4)."""
from __future__ import annotations

import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.methods import METHODS, Method, get_method, register


@pytest.fixture
def registry():
    saved = dict(METHODS)
    yield
    METHODS.clear()
    METHODS.update(saved)


def test_a_builtin_name_is_refused(registry):
    builtin = get_method("GA")

    class MyGA(Method):
        name = "GA"

    with pytest.raises(InvalidInputError, match=r"cannot register .*MyGA as method 'GA': the name is taken by "
                                                r"mbo_lib.methods.ga.GA \('GA'\); give the method another name, or "
                                                r"use @register\(replace=True\) to replace 'GA' on purpose"):
        register(MyGA)
    with pytest.raises(InvalidInputError, match="the name is taken by mbo_lib.methods.ga.GA"):
        register(type("Lower", (Method,), {"name": "ga"}))  # get_method ignores case
    assert get_method("GA") is builtin


def test_replace_true_replaces_and_the_same_class_may_register_again(registry):
    @register(replace=True)
    class MyGA(Method):
        name = "GA"

    assert isinstance(get_method("GA"), MyGA)

    class Mine(Method):
        name = "Mine"

    register(Mine)
    register(Mine)  # a re-run notebook cell
    assert isinstance(get_method("Mine"), Mine)


def test_register_needs_a_method_class():
    with pytest.raises(InvalidInputError, match="register expects a subclass of mbo_lib.methods.Method"):
        register(object)
