"""Small helpers every notebook calls right after its parameters cell."""
from __future__ import annotations

import platform

import torch

from .. import __version__, threads
from ..config import data_dir, pick_device, records_dir
from ..experiments.record import records_frame  # noqa: F401  (the one flattener; notebooks call rep.records_frame)
from ..experiments.spec import PROFILES


def setup(profile: str, device: str = "auto") -> torch.device:
    """Validate the papermill parameters, apply the thread policy, print a version banner, return the torch device.

    The torch thread count comes from :mod:`mbo_lib.threads` (``MBO_THREADS`` overrides it; each run may raise it
    for a paper-size model) and is printed.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    dev = pick_device(device)
    count = threads.apply_policy("small")
    print(f"mbo_lib {__version__} | torch {torch.__version__} | python {platform.python_version()} | "
          f"device {dev} | profile {profile} | torch threads {count}")
    from ..experiments.reproduce import describe_store

    print(f"records: {records_dir()} ({describe_store(records_dir())}) | data: {data_dir()}")
    return dev


SMOKE_MAX_SEEDS = 2


def seeds_for(profile: str, seeds: list) -> list:
    """The seeds a notebook runs: all of them, except at the ``smoke`` profile (CI), which keeps the first two.

    The number of seeds is one of the sizes a profile sets; every table states n.
    """
    return list(seeds)[:SMOKE_MAX_SEEDS] if profile == "smoke" else list(seeds)


def load_records(specs, compute_missing: bool = True, device="auto", store=None, announce: bool = False) -> list[dict]:
    """Records of ``specs``: ``run_grid`` (computes the missing ones) or, with ``compute_missing=False``,
    only those already in the store (a line says how many are missing). With ``announce``, a line says how many
    were computed now and how many loaded, from which store (see ``rep.setup``'s line for what that store is)."""
    from ..experiments import RecordStore, run_grid

    store = store or RecordStore()
    if compute_missing:
        todo = len(store.missing(specs)) if announce else 0
        records = run_grid(specs, store, device=device)
        if announce:
            print(f"{len(specs)} runs: {todo} computed now by this notebook, {len(specs) - todo} loaded from "
                  f"{store.root}")
        return records
    found = store.records(specs)
    if announce:
        print(f"{len(specs)} runs: {len(found)} loaded from {store.root}, none computed (compute_missing=False)")
    if len(found) < len(specs):
        print(f"{len(specs) - len(found)} of {len(specs)} runs have no record yet (compute_missing=False): "
              f"their cells show '—'")
    return found
