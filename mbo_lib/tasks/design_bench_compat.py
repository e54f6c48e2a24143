"""Make the ``design_bench==2.0.20`` package importable offline, with NumPy 2 and without TensorFlow/MuJoCo.

design-bench is the reference our tasks are tested against, and the source of the Ant/D'Kitty/Hopper/
Superconductor oracles when their simulators are installed. Installed with ``--no-deps`` it fails at import:
it imports ``deepchem``, TensorFlow and MuJoCo-based packages at module level, uses NumPy aliases removed in
NumPy 2 (``np.NINF``, ``np.PINF``), and keeps its data inside the installed package. :func:`import_design_bench`
installs stubs for the missing modules (only ones that the exact TF-Bind oracles never touch), restores the
aliases and points design-bench's ``DATA_DIR`` at a design-bench-layout folder of ours.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError

_NUMPY_ALIASES = {"NINF": -np.inf, "PINF": np.inf, "NaN": np.nan, "float": float, "int": int, "bool": np.bool_,
                  "object": object}


class _Unavailable:
    """Placeholder for a class from a stubbed package.

    design-bench builds some of these while registering tasks at import time, so constructing one is allowed;
    *using* one (calling it or any method) fails loudly.
    """

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise MissingDependencyError(f"{type(self).__name__} comes from a package stubbed by mbo_lib's design-bench "
                                     "compatibility layer; install the real package to use it")

    def __getattr__(self, name):
        return self


def _stub(name: str, **attrs) -> None:
    if name in sys.modules:
        return
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    module.__mbo_stub__ = True
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)


def _missing(name: str) -> bool:
    """Whether ``name`` can be imported neither from ``sys.modules`` (which also holds our stubs) nor from disk.

    ``find_spec`` alone raises ``ValueError`` on a stub (its ``__spec__`` is None), which broke a second
    :func:`import_design_bench` call.
    """
    return name not in sys.modules and importlib.util.find_spec(name) is None


def _install_stubs() -> None:
    for alias, value in _NUMPY_ALIASES.items():
        if alias not in np.__dict__:
            setattr(np, alias, value)
    if _missing("deepchem"):
        _stub("deepchem")
        _stub("deepchem.feat", CircularFingerprint=type("CircularFingerprint", (_Unavailable,), {}))
        _stub("deepchem.feat.smiles_tokenizer", SmilesTokenizer=type("SmilesTokenizer", (_Unavailable,), {}))
    # The MuJoCo oracles import their simulators at module level; stub them so the exact TF-Bind oracles import.
    # stubbed_simulators() reports them, and mbo_lib refuses to use those oracles while they are stubs.
    if _missing("gym"):
        _stub("gym", make=type("make", (_Unavailable,), {}))
    if _missing("morphing_agents"):
        for pkg in ("morphing_agents", "morphing_agents.mujoco"):
            _stub(pkg)
        for robot in ("ant", "dkitty"):
            _stub(f"morphing_agents.mujoco.{robot}")
            _stub(f"morphing_agents.mujoco.{robot}.env", **{f"Morphing{robot.capitalize() if robot == 'ant' else 'DKitty'}Env":
                                                             type("Env", (_Unavailable,), {})})
            _stub(f"morphing_agents.mujoco.{robot}.elements", LEG=type("LEG", (_Unavailable,), {}),
                  LEG_LOWER_BOUND=_Unavailable(), LEG_UPPER_BOUND=_Unavailable())
    # ChEMBL's featurizer downloads a vocabulary from the dead design-bench bucket when design-bench registers its
    # tasks at import time; replace the module (ChEMBL is not a task of ours).
    _stub("design_bench.oracles.feature_extractors.morgan_fingerprint_features",
          MorganFingerprintFeatures=type("MorganFingerprintFeatures", (_Unavailable,), {}))


def stubbed_modules() -> list[str]:
    """Names of the modules the compatibility layer replaced by stubs (empty before :func:`import_design_bench`)."""
    return sorted(name for name, mod in sys.modules.items() if getattr(mod, "__mbo_stub__", False))


def import_design_bench(data_dir: str | Path | None = None):
    """Import design-bench (installing the compatibility layer) and point its DATA_DIR at ``data_dir``.

    Returns:
        the ``design_bench`` module.
    """
    if importlib.util.find_spec("design_bench") is None:
        raise MissingDependencyError("design-bench is not installed: `pip install design-bench==2.0.20 --no-deps`")
    _install_stubs()
    try:
        db = importlib.import_module("design_bench")
    except ImportError as exc:
        raise MissingDependencyError(f"design-bench failed to import even with mbo_lib's compatibility layer: {exc}") from exc
    if data_dir is not None:
        set_design_bench_data_dir(data_dir)
    return db


def set_design_bench_data_dir(data_dir: str | Path) -> None:
    """Point every design-bench module that copied ``DATA_DIR`` at import time to ``data_dir``."""
    data_dir = str(Path(data_dir).resolve())
    for name, module in list(sys.modules.items()):
        if name.startswith("design_bench") and module is not None and hasattr(module, "DATA_DIR"):
            module.DATA_DIR = data_dir
