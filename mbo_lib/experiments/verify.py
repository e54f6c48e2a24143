"""Recompute committed records and compare their scores bit for bit (``python -m mbo_lib verify``).

Every selected record is checked first (:func:`~mbo_lib.experiments.store.check_record`): a record whose
configuration no longer matches the code is reported as stale and not recomputed. The others are recomputed into
a temporary store (the committed files are never touched) and their scores compared exactly: the whole
``result`` dict and the score-vs-step ``curve``, on any CPU. ``surrogate_grad_norm_on_candidates`` (IGNITE's
sharpness on the final candidates, a float32 reduction over the surrogate's weights) is compared exactly when the
record was made on the same CPU kernel path (``environment.cpu_capability``: torch dispatches its kernels to AVX512,
AVX2 or scalar code, and each sums in another order; MKL picks its own path by CPU model: ``environment.numerics``,
see :mod:`mbo_lib.numerics`); across kernel paths, or for a record that predates the field (an unknown kernel path),
it must agree to a relative :data:`SHARPNESS_RTOL` (float32 reduction-order noise; seen on one committed REINFORCE
TF-Bind-8 record: 3.9e-6 recomputed on an AVX2 machine, 1.2e-5 with ``ATEN_CPU_CAPABILITY=default``, every score
bit-identical both times), and the line says so.

Example:
    >>> verify_records(match="smoke/GA/*", sample=2)  # doctest: +SKIP
    smoke/GA/TFBind8-Exact-v0/seed0-....json: identical
    ...
    verify: 2 identical, 0 differ, 0 stale, of 2 records (profile any, match smoke/GA/*, sample 2)
    0
"""
from __future__ import annotations

import fnmatch
import json
import math
import numbers
import random
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import CorruptRecordError, InvalidInputError, MBOError
from .spec import PROFILES, RunSpec
from .store import RecordStore, check_record, read_record

SCORES = ("result", "curve")  # bit-identical on any CPU
SHARPNESS = "surrogate_grad_norm_on_candidates"  # bit-identical on the same CPU kernel path, else within SHARPNESS_RTOL
COMPARED = SCORES + (SHARPNESS,)  # the scores a record reports
SHARPNESS_RTOL = 1e-4  # about 1,000 float32 ulps: 8x the largest kernel-path difference seen (docstring)
SHOWN_FIELDS = 4  # differing fields named per line


def select_records(store: RecordStore, match: str | None = None, sample: int | None = None,
                   profile: str | None = None, seed: int = 0, dirty: bool = False,
                   per_cell: bool = False) -> list[str]:
    """Relative paths (``<profile>/<method>/<task>/seed<k>-<key>.json``) of the records to verify, sorted.

    Args:
        store: the record store.
        match: an ``fnmatch`` pattern on the relative path (``"quick/GA/*"``); a pattern without ``*?[`` matches
            as a substring (``"TFBind8"``).
        sample: keep this many of the matching records, drawn with ``random.Random(seed)``.
        profile: keep only records of this profile.
        seed: seeds the sample.
        dirty: keep only records made from a checkout with uncommitted changes (``environment.git_commit``
            ending in ``-dirty``): the ones whose recorded commit does not identify their code.
        per_cell: keep one record per cell ``<profile>/<method[+reg]>/<task>``: the one that took the least time to
            make (so a cell is checked at the lowest cost); applied after ``dirty`` and before ``sample``.

    Raises:
        InvalidInputError: an empty ``match`` (it would select every record), a ``match`` that no record of the
            store matches (the message names the pattern and the store), or a bad ``profile`` / ``sample``.
    """
    if profile is not None and profile not in PROFILES:
        raise InvalidInputError(f"unknown profile {profile!r}; use one of {PROFILES}")
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, int) or sample < 1):
        raise InvalidInputError(f"sample must be a positive int, got {sample!r}")
    if not store.root.is_dir():
        raise InvalidInputError(f"the record store {store.root} is not a folder")
    if match is not None and not str(match).strip():
        raise InvalidInputError(f"match {match!r}: an empty pattern would select every record; give a pattern "
                                "such as 'quick/GA/*' or 'TFBind8' (or no match at all)")
    paths = sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*.json"))
    if match:
        pattern = match if any(c in match for c in "*?[") else f"*{match}*"
        matching = [p for p in paths if fnmatch.fnmatchcase(p, pattern)]
        if not matching:
            example = f"; paths look like {paths[0]!r}" if paths else ""
            raise InvalidInputError(f"match {match!r}: no record in {store.root} matches (the pattern is "
                                    f"{pattern!r} on the path inside the store{example})")
        paths = matching
    if profile is not None:
        paths = [p for p in paths if p.split("/", 1)[0] == profile]
    if dirty or per_cell:
        paths = _filter_dirty_per_cell(store, paths, dirty, per_cell)
    if sample is not None and sample < len(paths):
        paths = sorted(random.Random(seed).sample(paths, sample))
    return paths


def _filter_dirty_per_cell(store: RecordStore, paths: list[str], dirty: bool, per_cell: bool) -> list[str]:
    cells: dict[str, tuple[float, str]] = {}
    kept = []
    for rel in paths:
        try:
            record = read_record(store.root / rel)
        except CorruptRecordError:
            kept.append(rel)  # reported as unreadable later
            continue
        if dirty and not str(record.get("environment", {}).get("git_commit") or "").endswith("-dirty"):
            continue
        if not per_cell:
            kept.append(rel)
            continue
        cost = float(record.get("timings", {}).get("total_seconds") or 0.0)
        cell = rel.rsplit("/", 1)[0]
        if cell not in cells or cost < cells[cell][0]:
            cells[cell] = (cost, rel)
    return sorted(kept + [rel for _, rel in cells.values()])


def kernel_path(record: dict) -> tuple:
    """``(device type, kernel path)`` a record was computed with. The kernel path is
    ``environment.numerics`` (torch's CPU capability and MKL's branch, record version 3) as a sorted tuple, or
    ``None`` for a record made before it was stored ("an unknown kernel path")."""
    env = record.get("environment") or {}
    numerics = env.get("numerics")
    path = None
    if isinstance(numerics, dict):
        path = (numerics.get("cpu_capability"), numerics.get("mkl_cbwr"))
    elif env.get("cpu_capability") is not None:  # record version 2 stored torch's capability alone
        path = (env["cpu_capability"],)
    return str(env.get("device", "cpu")).split(":")[0], path


def path_name(record: dict) -> str:
    """The record's kernel path in words (``AVX2+MKL:COMPATIBLE (portable)``, ``unknown``)."""
    from ..numerics import kernel_path_name

    env = record.get("environment") or {}
    if not env.get("numerics"):
        return env.get("cpu_capability") or "not stored"
    return kernel_path_name(env.get("numerics"))


def same_kernel_path(stored: dict, fresh: dict) -> bool:
    """Both records name their kernel path and it is the same (a version-2 record names torch's capability only:
    then only that is compared)."""
    a, b = kernel_path(stored), kernel_path(fresh)
    if a[1] is None or b[1] is None or a[0] != b[0]:
        return False
    n = min(len(a[1]), len(b[1]))
    return a[1][:n] == b[1][:n]


def score_differences(stored: dict, fresh: dict) -> list[tuple[str, float]]:
    """``(field, |delta|)`` for every score that is not bit-identical (``nan`` delta: not two numbers); the sharpness
    on the candidates across CPU kernel paths only when it is off by more than :data:`SHARPNESS_RTOL` (relative)."""
    diffs: list[tuple[str, float]] = []
    for name in SCORES:
        _walk(stored.get(name), fresh.get(name), name, diffs)
    rtol = 0.0 if same_kernel_path(stored, fresh) else SHARPNESS_RTOL
    _walk(stored.get(SHARPNESS), fresh.get(SHARPNESS), SHARPNESS, diffs, rtol)
    return diffs


def kernel_path_note(stored: dict, fresh: dict) -> str:
    """For a record that passed :func:`score_differences`: ``""`` when the sharpness is bit-identical too, else
    how far it is off and on which kernel paths (it can only be off across kernel paths)."""
    a, b = stored.get(SHARPNESS), fresh.get(SHARPNESS)
    if not (_number(a) and _number(b)) or a == b:
        return ""
    rel = abs(a - b) / max(abs(a), abs(b))
    return (f"scores bit-identical; {SHARPNESS} off by {rel:.2g} relative (within {SHARPNESS_RTOL:g}: CPU kernel "
            f"paths differ, record {path_name(stored)}, here {path_name(fresh)})")


def difference_reason(stored: dict, fresh: dict) -> str:
    """Why a recomputed record may differ: the two kernel paths when they are not the same (or the record's is
    unknown), else ``""`` (same kernel path: a difference there is a real change of behaviour)."""
    if same_kernel_path(stored, fresh):
        return ""
    if kernel_path(stored)[1] is None:
        return f"record made on an unknown kernel path (before record version 3), here {path_name(fresh)}"
    return f"kernel paths differ: record {path_name(stored)}, here {path_name(fresh)}"


def _walk(a, b, where: str, diffs: list, rtol: float = 0.0) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                diffs.append((f"{where}.{k}", math.nan))
            else:
                _walk(a[k], b[k], f"{where}.{k}", diffs, rtol)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            diffs.append((f"{where} (length {len(a)} vs {len(b)})", math.nan))
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                _walk(x, y, f"{where}[{i}]", diffs, rtol)
    elif _number(a) and _number(b):
        same = (a == b or (math.isnan(a) and math.isnan(b))
                or (rtol > 0 and math.isfinite(a) and math.isfinite(b) and abs(a - b) <= rtol * max(abs(a), abs(b))))
        if not same:
            diffs.append((where, abs(a - b)))
    elif a != b or type(a) is not type(b):
        diffs.append((where, math.nan))


def _number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _describe(diffs: list[tuple[str, float]]) -> str:
    deltas = [d for _, d in diffs if not math.isnan(d)]
    size = f"max |delta| = {max(deltas):.3g}" if deltas else "max |delta| = n/a: values of another kind"
    names = ", ".join(name for name, _ in diffs[:SHOWN_FIELDS])
    more = f" and {len(diffs) - SHOWN_FIELDS} more" if len(diffs) > SHOWN_FIELDS else ""
    return f"differs ({size}; {names}{more})"


def verify_one(store: RecordStore, relpath: str, scratch: RecordStore, device="cpu") -> tuple[str, str]:
    """Verify one record: ``(status, line)`` with status ``identical`` | ``differs`` | ``stale`` | ``unreadable``."""
    from .runner import run_spec

    path = store.root / relpath
    try:
        record = read_record(path)
    except CorruptRecordError as exc:
        return "unreadable", f"unreadable ({exc})"
    try:
        spec = RunSpec.from_dict(record["spec"])
    except MBOError as exc:
        return "stale", f"stale configuration (its spec is not valid any more: {exc})"
    reason = check_record(record, spec)
    if reason is None and spec.relpath != relpath:
        reason = f"the file name does not match its spec, which belongs at {spec.relpath}"
    if reason is not None:
        return "stale", f"stale configuration ({reason})"
    run_spec(spec, scratch, device=device, progress=False, force=True)
    fresh = read_record(scratch.path(spec))
    diffs = score_differences(record, fresh)
    if diffs:
        why = difference_reason(record, fresh)
        return "differs", _describe(diffs) + (f" [{why}]" if why else f" [same kernel path {path_name(fresh)}]")
    note = kernel_path_note(record, fresh)
    return "identical", f"identical ({note})" if note else "identical"


def verify_records(store: RecordStore | str | Path | None = None, match: str | None = None,
                   sample: int | None = None, profile: str | None = None, seed: int = 0, device="cpu",
                   out: Callable[[str], object] = print, dirty: bool = False, per_cell: bool = False) -> int:
    """Recompute committed records and compare their scores bit for bit; one line per record, a summary last.

    Args:
        store: the committed store (a :class:`RecordStore` or its folder; default ``MBO_RECORDS_DIR`` or
            ``<repo>/records``). It is only read.
        match: ``fnmatch`` pattern on the path relative to the store (see :func:`select_records`).
        sample: verify this many matching records, drawn with a seeded RNG.
        profile: only records of this profile.
        seed: seeds the sample.
        dirty, per_cell: see :func:`select_records` (``dirty=True, per_cell=True``: one record of every cell that
            holds records made from a ``-dirty`` checkout).
        device: where to recompute (the committed records were made on CPU).
        out: where lines go.

    Returns:
        The exit code: 0 when every selected record is identical, 1 on any difference, stale or unreadable
        record, or when nothing matched.
    """
    store = store if isinstance(store, RecordStore) else RecordStore(store)
    selected = select_records(store, match, sample, profile, seed, dirty=dirty, per_cell=per_cell)
    counts = {"identical": 0, "differs": 0, "stale": 0, "unreadable": 0}
    with tempfile.TemporaryDirectory(prefix="mbo-verify-") as tmp:
        scratch = RecordStore(tmp)
        for relpath in selected:
            status, line = verify_one(store, relpath, scratch, device)
            counts[status] += 1
            out(f"{relpath}: {line}")
    unreadable = f", {counts['unreadable']} unreadable" if counts["unreadable"] else ""
    out(f"verify: {counts['identical']} identical, {counts['differs']} differ, {counts['stale']} stale{unreadable}, "
        f"of {len(selected)} records (profile {profile or 'any'}, match {match or 'all'}, "
        f"sample {sample if sample is not None else 'all'}{', dirty only' if dirty else ''}"
        f"{', one per cell' if per_cell else ''}) in {store.root}")
    return 0 if selected and counts["identical"] == len(selected) else 1
