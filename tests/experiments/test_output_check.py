"""What a method returns is checked before the runner scores and saves it (issue 30, findings 2, 3 and 10)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments.runner import execute
from mbo_lib.experiments.spec import RunSpec
from mbo_lib.methods import MethodOutput
from mbo_lib.surrogates.trainer import TrainingLog

SPEC = RunSpec("Ackley", "GA", "smoke", 0)  # GA's smoke profile asks for 128 candidates


def fake(make_output):
    """A ``method_run`` that trains nothing and returns ``make_output(task)``."""
    return lambda method, task, config, **kw: make_output(task)


def top(task, n=128):
    return task.x[np.argsort(-task.y[:, 0])[:n]]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MBO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_numpy_extras_are_converted():
    extras = {"weights": np.arange(3, dtype=np.float32), "best": np.float64(0.5), "t": torch.tensor([1.0, 2.0])}
    record, _ = execute(SPEC, method_run=fake(lambda task: MethodOutput(designs=top(task), extras=dict(extras))))
    assert record["extras"] == {"weights": [0.0, 1.0, 2.0], "best": 0.5, "t": [1.0, 2.0]}
    json.dumps(record)  # the record store can write it


def test_non_json_extra_names_the_key_and_keeps_the_run(cache):
    out = lambda task: MethodOutput(designs=top(task), extras={"ok": 1, "tags": {"a", "b"}})  # noqa: E731
    with pytest.raises(InvalidInputError) as err:
        execute(SPEC, method_run=fake(out))
    message = str(err.value)
    assert "GA: MethodOutput.extras['tags'] is a set, which a JSON record cannot store" in message
    saved = cache / "unsaved-records" / SPEC.relpath
    assert f"the finished run (designs, scores, training logs) was written to {saved}" in message
    kept = json.loads(saved.read_text())
    assert kept["extras"] == {"ok": 1} and len(kept["designs"]) == 128 and len(kept["result"]["scores"]) == 128


def test_fewer_designs_than_num_candidates_are_refused_after_saving(cache):
    with pytest.raises(InvalidInputError, match=r"GA returned 5 designs, expected 128 \(num_candidates=128\)"):
        execute(SPEC, method_run=fake(lambda task: MethodOutput(designs=top(task, 5))))
    assert len(json.loads((cache / "unsaved-records" / SPEC.relpath).read_text())["designs"]) == 5


def test_a_dict_instead_of_a_method_output_is_refused():
    with pytest.raises(InvalidInputError, match=r"GA: run\(\) returned a dict, not a mbo_lib.methods.MethodOutput "
                                                r"\(build it as MethodOutput\(\*\*that_dict\)\)"):
        execute(SPEC, method_run=fake(lambda task: {"designs": top(task)}))


def test_a_designs_tensor_that_requires_grad_is_detached():
    def out(task):
        designs = torch.tensor(top(task), requires_grad=True)
        return MethodOutput(designs=designs * 1.0, steps={0: designs}, candidate_inputs=designs)

    record, output = execute(SPEC, method_run=fake(out))
    assert isinstance(output.designs, np.ndarray) and len(record["result"]["scores"]) == 128
    assert record["curve"][0]["step"] == 0


def test_train_logs_given_as_a_dict_are_refused():
    log = TrainingLog()
    with pytest.raises(InvalidInputError, match=r"GA: MethodOutput.train_logs must be a list of TrainingLog \(one "
                                                r"per surrogate trained, as train_surrogate returns them\), got a dict"):
        execute(SPEC, method_run=fake(lambda task: MethodOutput(designs=top(task), train_logs={"f": log})))
    with pytest.raises(InvalidInputError, match=r"GA: MethodOutput.train_logs\[0\] must be a TrainingLog"):
        execute(SPEC, method_run=fake(lambda task: MethodOutput(designs=top(task), train_logs=[{"loss": 1}])))


def test_designs_of_the_wrong_type_are_refused():
    with pytest.raises(InvalidInputError, match="GA: MethodOutput.designs must be a NumPy array .* got str"):
        execute(SPEC, method_run=fake(lambda task: MethodOutput(designs="abc")))
