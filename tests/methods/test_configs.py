"""Typed method configs: parity with the stored records' hyperparameters, strict validation, docs in sync."""
import dataclasses
import json
import re
import typing
from pathlib import Path

import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import load_task
from mbo_lib.methods import METHODS, get_method
from mbo_lib.methods.base import PROFILES, MethodConfig, plain
from mbo_lib.methods.docs import current_block, expected_block, method_modules

# Every method's hyperparameters() per profile, generated once from the code before the typed configs (commit
# fdfa17f): what the committed records store. Never regenerate it from the current code.
LEGACY = json.loads((Path(__file__).parent / "fixtures" / "legacy_hyperparameters.json").read_text())
# Behaviour changed on purpose (model parity with design-baselines): these records become stale and are recomputed.
GA_FAMILY = ("GA", "GA-Ensemble-Mean", "GA-Ensemble-Min")
# design-baselines ports whose paper profile starts from Keras' Dense init (benchmarks/results/parity_init.md)
KERAS_PORTS = GA_FAMILY + ("COMs", "REINFORCE", "BO-qEI", "CMA-ES", "CbAS", "MINs")
# (method, field, profile): (legacy default, current value) where behaviour changed on purpose
CHANGED = {(name, "negative_slope", p): (0.2, 0.3) for name in GA_FAMILY for p in ("smoke", "quick", "paper")}
CHANGED.update({(name, "init", "paper"): ("torch", "keras") for name in KERAS_PORTS})
SMALL = {"dim": 3, "num_samples": 400}


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True)


def test_the_fixture_covers_every_method_and_profile():
    assert set(LEGACY) == set(METHODS)
    for name, method in METHODS.items():
        assert set(LEGACY[name]) == set(method.profiles) == set(PROFILES)


@pytest.mark.parametrize("name", sorted(METHODS))
@pytest.mark.parametrize("profile", PROFILES)
def test_hyperparameters_equal_the_legacy_dicts_up_to_declared_new_fields(name, profile):
    method = get_method(name)
    current, legacy = method.hyperparameters(profile), LEGACY[name][profile]
    for key, old in legacy.items():  # same keys, same values, same JSON (types: int stays int, lists stay lists)
        assert key in current, key
        assert current[key] == old and canonical(current[key]) == canonical(old), key
    new = set(current) - set(legacy)
    assert new == set(method.legacy_defaults), "every new field declares its legacy default"
    for key in new:
        expected = CHANGED.get((name, key, profile), (method.legacy_defaults[key], method.legacy_defaults[key]))
        assert method.legacy_defaults[key] == expected[0]
        assert current[key] == expected[1], key  # unchanged behaviour unless listed in CHANGED


def test_only_the_ga_family_and_the_paper_profiles_of_the_keras_ports_become_stale():
    def matches(name, profile):
        method, stored = get_method(name), LEGACY[name][profile]
        current = method.hyperparameters(profile)
        return all(stored[k] == v if k in stored else method.legacy_defaults.get(k, object()) == v
                   for k, v in current.items())

    stale = {(name, profile) for name in METHODS for profile in PROFILES if not matches(name, profile)}
    assert stale == {(n, p) for n in GA_FAMILY for p in PROFILES} | {(n, "paper") for n in KERAS_PORTS}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_configs_are_typed_frozen_and_documented(name):
    method = get_method(name)
    assert isinstance(method.version, int) and method.version >= 1
    assert issubclass(method.config_class, MethodConfig) and method.config_class.method_name == name
    for profile in PROFILES:
        config = method.config(profile)
        assert type(config) is method.config_class and config is method.profiles[profile]
        json.dumps(config.to_dict())  # plain JSON
        assert not any(isinstance(v, tuple) for v in config.to_dict().values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.num_candidates = 1
    helps = method.config_class.field_help()
    assert all(h and "\n" not in h for h in helps.values()), "every field has a one-line help"
    assert set(method.legacy_defaults) <= set(helps)


@pytest.mark.parametrize("module", sorted(method_modules()))
def test_docstring_profile_tables_are_generated_from_the_profiles(module):
    block = current_block(module)
    assert block is not None, f"{module} has no '.. profile-table' block"
    assert block == expected_block(method_modules()[module]), \
        f"stale profile table in {module}: run python -m mbo_lib.methods.docs"


def _fields_of_type(cls, tp):
    hints = typing.get_type_hints(cls)
    return [f.name for f in dataclasses.fields(cls) if hints[f.name] == tp]


@pytest.mark.parametrize("name", sorted(METHODS))
@pytest.mark.parametrize("value", ["5", None, 2.5, True, np.float64(3.0)])
def test_int_fields_reject_non_integers(name, value):
    method = get_method(name)
    fields = _fields_of_type(method.config_class, int)
    assert fields
    for field in fields:
        shown = re.escape(repr(plain(value)))  # numpy scalars are shown as Python values
        with pytest.raises(InvalidInputError, match=rf"{name}: {field}={shown} has the wrong type.*integer"):
            method.config("smoke", {field: value})


@pytest.mark.parametrize("name", sorted(METHODS))
def test_list_fields_reject_scalars_and_non_integer_entries(name):
    method = get_method(name)
    fields = _fields_of_type(method.config_class, tuple[int, ...])
    assert fields
    for field in fields:
        for value in (32, [32, 2.5], [True], "32", None):
            with pytest.raises(InvalidInputError, match=rf"{field}=.*wrong type.*list of integers"):
                method.config("smoke", {field: value})


def test_the_findings_of_issue_11_raise_clear_errors():
    ga = get_method("GA")
    for overrides, message in [({"epochs": "5"}, "epochs='5'"), ({"epochs": None}, "epochs=None"),
                               ({"epochs": 2.5}, "epochs=2.5"), ({"epochs": True}, "epochs=True"),
                               ({"hidden": 32}, "hidden=32"), ({"lr": -1.0}, "lr=-1.0 is out of range"),
                               ({"record_steps": [0, 10, 30]}, r"record_steps=\[0, 10, 30\] has entries above "
                                                               r"search_steps=20"),
                               ({"learning_rate": 0.1}, r"no hyperparameter\(s\) \{'learning_rate': 0.1\}"),
                               ({"init": "xavier"}, "init='xavier' is not one of the choices")]:
        with pytest.raises(InvalidInputError, match=message):
            ga.config("smoke", overrides)
    with pytest.raises(InvalidInputError, match="bootstrap=1 has the wrong type"):  # bool is not int either way
        get_method("GA-Ensemble-Min").config("smoke", {"bootstrap": 1})
    with pytest.raises(InvalidInputError, match="no profile"):
        ga.config("huge")


@pytest.mark.parametrize("name,field,steps", [("GA", "record_steps", "search_steps"),
                                              ("REINFORCE", "record_steps", "iterations"),
                                              ("BO-qEI", "record_steps", "iterations"),
                                              ("CMA-ES", "record_steps", "max_iterations"),
                                              ("COMs", "record_steps", "search_steps"),
                                              ("MATCH-OPT", "record_steps", "search_steps"),
                                              ("CbAS", "record_iterations", "iterations"),
                                              ("MINs", "record_epochs", "gan_epochs")])
def test_recorded_steps_must_not_exceed_the_run(name, field, steps):
    method = get_method(name)
    last = getattr(method.profiles["smoke"], steps)
    assert method.config("smoke", {field: [last]})  # the last step itself is fine
    with pytest.raises(InvalidInputError, match=rf"{field}=\[{last + 1}\] has entries above {steps}={last}"):
        method.config("smoke", {field: [last + 1]})
    with pytest.raises(InvalidInputError, match=rf"{field}=\[-1\] is out of range"):
        method.config("smoke", {field: [-1]})


def test_float_fields_accept_ints_and_numpy_scalars_become_python():
    config = get_method("GA").config("smoke", {"lr": 1, "lr_scale": np.float32(0.5), "epochs": np.int64(3),
                                              "hidden": np.array([8, 4])})
    assert config.lr == 1 and type(config.lr) is int
    assert type(config.lr_scale) is float and type(config.epochs) is int and config.hidden == (8, 4)
    assert config.to_dict()["hidden"] == [8, 4]
    with pytest.raises(InvalidInputError, match="lr=nan"):
        get_method("GA").config("smoke", {"lr": float("nan")})


def test_normalize_overrides_drops_profile_values_and_returns_plain_python():
    ga = get_method("GA")
    assert ga.normalize_overrides("quick", {"epochs": np.int64(20), "hidden": (256, 256)}) == {}
    out = ga.normalize_overrides("quick", {"epochs": np.int64(5), "hidden": (64, 64), "lr": 3e-4})
    assert out == {"epochs": 5, "hidden": [64, 64]} and type(out["epochs"]) is int
    assert ga.normalize_overrides("smoke", None) == {}
    with pytest.raises(InvalidInputError, match="epochs=2.5"):
        ga.normalize_overrides("quick", {"epochs": 2.5})


def test_task_overrides_are_typed_validated_and_merged_per_task():
    mins, cbas = get_method("MINs"), get_method("CbAS")
    paper = mins.config("paper")
    tfbind10 = paper.for_task("TFBind10-Exact-v0")
    assert (tfbind10.gan_epochs, tfbind10.record_epochs) == (100, (0, 25, 50, 75, 100))
    assert paper.for_task("TFBind8-Exact-v0") is paper
    assert cbas.config("paper").for_task("TFBind10-Exact-v0").offline_epochs == 100
    assert cbas.config("paper", {"task_overrides": {}}).for_task("TFBind10-Exact-v0").offline_epochs == 200
    with pytest.raises(InvalidInputError, match=r"task_overrides\['X'\]: offline_epochs=2.5 has the wrong type"):
        cbas.config("paper", {"task_overrides": {"X": {"offline_epochs": 2.5}}})
    with pytest.raises(InvalidInputError, match=r"task_overrides\['X'\]: record_epochs=\[0, 25\] has entries above"):
        mins.config("paper", {"task_overrides": {"X": {"gan_epochs": 10, "record_epochs": [0, 25]}}})
    with pytest.raises(InvalidInputError, match=r"task_overrides\['X'\] names unknown field"):
        mins.config("paper", {"task_overrides": {"X": {"task_overrides": {}}}})


def _linears(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


@pytest.mark.parametrize("name,epochs", [("GA", "epochs"), ("GA-Ensemble-Mean", "epochs"), ("COMs", "epochs"),
                                         ("CMA-ES", "ensemble_epochs"), ("MINs", "forward_epochs"),
                                         ("CbAS", "ensemble_epochs")])
def test_init_keras_reaches_the_surrogates(name, epochs):
    """Untrained (0 epochs) surrogates: Keras init leaves zero biases, PyTorch's default does not."""
    task = load_task("Ackley-Synthetic-v0", SMALL)
    method = get_method(name)
    outs = {}
    for init in ("torch", "keras"):
        outs[init] = method.run(task, method.config("smoke", {epochs: 0, "init": init}), seed=0, device="cpu",
                                progress=False).surrogate
    assert all(torch.count_nonzero(m.bias) == 0 for m in _linears(outs["keras"]))
    assert all(torch.count_nonzero(m.bias) > 0 for m in _linears(outs["torch"]))


def test_ga_family_uses_keras_leaky_relu_slope():
    task = load_task("Ackley-Synthetic-v0", SMALL)
    for name in ("GA", "GA-Ensemble-Min"):
        method = get_method(name)
        surrogate = method.run(task, method.config("smoke", {"epochs": 0}), seed=0, device="cpu",
                               progress=False).surrogate
        slopes = {m.negative_slope for m in surrogate.modules() if isinstance(m, torch.nn.LeakyReLU)}
        assert slopes == {0.3}
