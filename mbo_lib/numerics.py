"""Portable CPU numerics: the settings under which a run gives the same bits on any x86-64 CPU with AVX2.

A CPU run's float results depend on which kernels compute them, and two libraries choose kernels by the CPU:

- torch's own (ATen) kernels dispatch to AVX512, AVX2 or scalar code (``ATEN_CPU_CAPABILITY`` pins one);
- MKL, torch's BLAS (every ``nn.Linear``), picks its code path by CPU model and vendor. Its conditional numerical
  reproducibility (``MKL_CBWR``) pins one, but only ``COMPATIBLE`` is honoured on every vendor: on AMD processors
  ``MKL_CBWR=AVX2`` falls back to the automatic branch (Intel's documentation says so, and
  ``mkl_serv_cbwr_get`` reads ``AUTO`` back on this project's AMD EPYC machine).

So :data:`PORTABLE` = ``ATEN_CPU_CAPABILITY=avx2`` + ``MKL_CBWR=COMPATIBLE``, with one torch thread (the thread
policy's default for the project's models). ``benchmarks/bench_numerics.py`` shows on one machine that these
settings give the same bits whatever kernel paths the CPU would otherwise take (AVX-512, AVX2 and scalar paths
emulated through ``MKL_ENABLE_INSTRUCTIONS`` and ``ATEN_CPU_CAPABILITY``), and measures the cost
(``benchmarks/results/numerics.md``): ``COMPATIBLE`` runs MKL's SSE2 code, slower on the large 2048-wide matrices
of the paper profile.

Mode ``MBO_NUMERICS``: ``native`` (default for now: the CPU's fastest paths, the paths every committed record was
made on; scores then match only on the same kernel path) or ``portable``. Portable is opt-in until the committed
records that ``make run`` and CI's ``verify`` compare with are recomputed under it (issue 30): switching the default
before that would make every comparison with them differ. The settings are environment variables read by torch and MKL at their first computation,
so :func:`apply` runs when ``mbo_lib`` is imported, before it imports torch; a variable the user set explicitly is
kept. Every record stores :func:`state` (``environment.numerics``): what was really in effect, read back from
torch and MKL, so a record made with torch imported (and computing) before ``mbo_lib`` says so.

Example:
    >>> from mbo_lib import numerics
    >>> numerics.state()["mode"] in numerics.MODES
    True
    >>> numerics.apply(env := {"MBO_NUMERICS": "portable"}) == numerics.PORTABLE == {k: env[k] for k in numerics.PORTABLE}
    True
"""
from __future__ import annotations

import ctypes
import os
from typing import Mapping, MutableMapping

ENV_MODE = "MBO_NUMERICS"
MODES = ("portable", "native")
DEFAULT_MODE = "native"
PORTABLE = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "COMPATIBLE"}
PORTABLE_PATH = {"cpu_capability": "AVX2", "mkl_cbwr": "COMPATIBLE"}  # what state() reads back under PORTABLE
_CBWR_BRANCH = 1  # mkl_cbwr.h: MKL_CBWR_BRANCH; branch values below
_CBWR_NAMES = {0: "OFF", 1: "OFF", 2: "AUTO", 3: "COMPATIBLE", 4: "SSE2", 6: "SSSE3", 7: "SSE4_1", 8: "SSE4_2",
               9: "AVX", 10: "AVX2", 11: "AVX512_MIC", 12: "AVX512", 13: "AVX512_MIC_E1", 14: "AVX512_E1"}


def mode(env: Mapping[str, str] | None = None) -> str:
    """The numerics mode from ``MBO_NUMERICS`` (default ``native``); an unknown value raises."""
    from .errors import InvalidInputError

    value = (os.environ if env is None else env).get(ENV_MODE, DEFAULT_MODE).strip().lower() or DEFAULT_MODE
    if value not in MODES:
        raise InvalidInputError(f"{ENV_MODE}={value!r}: use one of {MODES}")
    return value


def apply(env: MutableMapping[str, str] | None = None) -> dict:
    """Set :data:`PORTABLE` in ``env`` (default ``os.environ``) in portable mode, keeping variables already set.

    Returns the variables it set. Effective only before torch's and MKL's first computation in this process
    (``mbo_lib/__init__`` calls it before importing torch); :func:`state` tells what is in effect."""
    env = os.environ if env is None else env
    if mode(env) != "portable":
        return {}
    added = {k: v for k, v in PORTABLE.items() if k not in env}
    env.update(added)
    return added


def child_env(env: Mapping[str, str] | None = None) -> dict:
    """A copy of ``env`` (default ``os.environ``) for a worker process, with this mode's settings applied."""
    out = dict(os.environ if env is None else env)
    apply(out)
    return out


def mkl_cbwr() -> str | None:
    """MKL's reproducibility branch in effect in this process (``AUTO``, ``COMPATIBLE``, ``OFF``, ...), read back
    from the MKL inside torch; ``None`` where it cannot be read (no MKL: e.g. an ARM build)."""
    try:
        import torch

        lib = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))
        get = lib.mkl_serv_cbwr_get
    except (OSError, AttributeError):
        return None
    get.argtypes, get.restype = [ctypes.c_int], ctypes.c_int
    value = get(_CBWR_BRANCH)
    return _CBWR_NAMES.get(value, str(value))


def state() -> dict:
    """What a record stores as ``environment.numerics``: the mode, the kernel path in effect (torch's CPU capability,
    MKL's branch) and whether it is the portable one."""
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    cbwr = mkl_cbwr()
    path = {"cpu_capability": capability, "mkl_cbwr": cbwr}
    return {"mode": mode(), **path, "portable": path == PORTABLE_PATH}


def kernel_path_name(numerics: Mapping | None) -> str:
    """A short name for a record's kernel path: ``"AVX2+MKL:COMPATIBLE (portable)"``, ``"unknown"`` without one."""
    if not numerics:
        return "unknown"
    name = f"{numerics.get('cpu_capability')}+MKL:{numerics.get('mkl_cbwr')}"
    return f"{name} (portable)" if numerics.get("portable") else name
