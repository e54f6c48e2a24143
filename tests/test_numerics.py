"""Portable numerics (issue 30): the settings, what a record stores, and the same bits whatever paths the CPU offers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mbo_lib import numerics
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments.verify import difference_reason

ROOT = Path(__file__).resolve().parent.parent
RUN = """
import hashlib, json
import mbo_lib
from mbo_lib import numerics
from mbo_lib.experiments import RunSpec, execute
r, _ = execute(RunSpec("Ackley-Synthetic-v0", "GA", "smoke", 0), device="cpu", progress=False)
print("RESULT " + json.dumps({"state": numerics.state(), "env": r["environment"]["numerics"],
      "hash": hashlib.sha256(json.dumps([r["result"], r["curve"]], sort_keys=True).encode()).hexdigest()}))
"""


def test_apply_sets_the_portable_variables_only_in_portable_mode_and_keeps_the_users():
    env = {"MBO_NUMERICS": "portable", "MKL_CBWR": "AUTO"}
    assert numerics.apply(env) == {"ATEN_CPU_CAPABILITY": "avx2"}
    assert env["MKL_CBWR"] == "AUTO"  # an explicit setting wins (and the record will say what was in effect)
    assert numerics.apply({}) == {}  # native (the default): nothing set
    with pytest.raises(InvalidInputError, match="MBO_NUMERICS='fast': use one of"):
        numerics.mode({"MBO_NUMERICS": "fast"})


def test_kernel_path_names():
    assert numerics.kernel_path_name(None) == "unknown"
    assert numerics.kernel_path_name({**numerics.PORTABLE_PATH, "portable": True}) == "AVX2+MKL:COMPATIBLE (portable)"


def test_verify_names_why_a_score_may_differ():
    path = lambda cap, mkl: {"environment": {"device": "cpu", "numerics": {"cpu_capability": cap, "mkl_cbwr": mkl,
                                                                           "portable": False}}}
    assert difference_reason(path("AVX2", "OFF"), path("AVX2", "OFF")) == ""
    assert difference_reason({"environment": {}}, path("AVX2", "OFF")).startswith(
        "record made on an unknown kernel path (before record version 3), here AVX2+MKL:OFF")
    assert difference_reason(path("AVX512", "OFF"), path("AVX2", "OFF")) == \
        "kernel paths differ: record AVX512+MKL:OFF, here AVX2+MKL:OFF"


def _run(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MBO_NUMERICS")}
    env.update(extra, PYTHONPATH=str(ROOT), MBO_PROGRESS="0")
    out = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))[7:])


@pytest.mark.skipif(numerics.mkl_cbwr() is None, reason="torch without MKL: no MKL branch to pin")
def test_portable_mode_gives_the_same_bits_whatever_instructions_mkl_may_use():
    """MKL_ENABLE_INSTRUCTIONS caps the instructions MKL dispatches to: a stand-in for CPUs that offer less. Under
    the portable settings the run is bit-identical at every cap, and the record says the portable path was used."""
    runs = [_run({"MBO_NUMERICS": "portable", "MKL_ENABLE_INSTRUCTIONS": cap}) for cap in ("AVX512", "AVX2", "SSE4_2")]
    assert all(r["env"] == r["state"] == {"mode": "portable", **numerics.PORTABLE_PATH, "portable": True} for r in runs)
    assert len({r["hash"] for r in runs}) == 1
