"""Named paper settings: overrides of the paper profile, and labelling records by them."""
import doctest

import pytest

import mbo_lib.methods.settings as settings
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec


def test_doctests():
    assert doctest.testmod(settings).failed == 0


def test_ignite_settings_train_coms_two_epochs_and_leave_other_baselines_alone():
    assert settings.settings_overrides("ignite", "COMs") == {"epochs": 2}
    assert settings.settings_overrides("ignite", "GA") == {}
    spec = RunSpec("TFBind10-Exact-v0", "COMs", "paper", 0, overrides=settings.settings_overrides("ignite", "COMs"))
    assert spec.overrides == {"epochs": 2} and settings.settings_of(spec.as_dict()) == "ignite"


def test_labels_follow_the_spec():
    assert settings.settings_of({"profile": "quick", "method": "GA", "overrides": {}}) == "quick"
    assert settings.settings_of({"profile": "paper", "method": "GA", "overrides": {}}) == "baselines"
    diag = RunSpec("TFBind10-Exact-v0", "GA", "paper", 0, overrides=settings.settings_overrides("diagnostic", "GA"))
    assert settings.settings_of(diag.as_dict()) == "diagnostic"
    assert settings.settings_of({"profile": "paper", "method": "MATCH-OPT", "overrides": {"alpha": 0.0}}) == "custom"


def test_unknown_settings_name_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="unknown settings 'igniet'"):
        settings.settings_overrides("igniet", "GA")
