"""The run-record store: one JSON file per finished run, keyed by its spec, written atomically.

Atomic writes (write a temporary file in the same folder, then ``os.replace``) make concurrent writers safe: a
reader sees either no record or a whole one, and two workers finishing the same spec both write the same content.
A killed sweep leaves no partial record, so resuming redoes only missing cells. Temporary files carry the
writer's host and pid (``.<record>.<host>.<pid>.<random>.tmp``); a save removes those of dead writers on the
same host.

A record is reused only while it still describes what the code would run (:func:`check_record`): valid JSON with
the expected fields, the requested spec, the current method version and the current resolved configuration, of
the method and of the regularizer (its version, every parameter, and a plug-in's source hash).
Otherwise it is recomputed and a line on the ``mbo_lib.records`` logger says why; an unreadable or misplaced
record is first moved aside to ``<name>.corrupt-<UTC time>``, never deleted.
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterable, NamedTuple

import pandas as pd

from ..config import cache_dir, records_dir
from ..errors import CorruptRecordError, MBOError, RecordStoreError
from .spec import RunSpec, plain, same_value

RECORD_VERSION = 3  # 3: the resolved regularizer (``regularizer``) and the numerics (``environment.numerics``)
REQUIRED_FIELDS = {"spec": dict, "hyperparameters": dict, "result": dict}  # what every record version has
log = logging.getLogger("mbo_lib.records")


# ------------------------------------------------------------------------------------------ checking a record
def read_record(path: str | Path) -> dict:
    """The record in ``path``; :class:`CorruptRecordError` naming the file if it is not a well-formed record."""
    try:
        with open(path) as f:
            record = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptRecordError(f"{path} is not valid JSON ({exc})") from exc
    problem = _structure_problem(record)
    if problem:
        raise CorruptRecordError(f"{path}: {problem}")
    return record


def _structure_problem(record) -> str | None:
    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    missing = sorted(k for k in REQUIRED_FIELDS if k not in record)
    if missing:
        return f"missing field(s) {missing}"
    wrong = sorted(k for k, t in REQUIRED_FIELDS.items() if not isinstance(record[k], t))
    return f"field(s) {wrong} of the wrong type" if wrong else None


def _diff(old: dict, new: dict, legacy: dict | None = None) -> list[str]:
    """``"name: old -> new"`` for every entry that differs; a key missing from ``old`` is equal when the new
    value equals ``legacy[key]`` (the value that reproduces the code before the key existed)."""
    legacy = legacy or {}
    out = []
    for k in sorted(set(old) | set(new)):
        if k not in old:
            if not (k in legacy and same_value(new[k], legacy[k])):
                out.append(f"{k}: (absent) -> {new[k]!r}")
        elif k not in new:
            out.append(f"{k}: {old[k]!r} -> (absent)")
        elif not same_value(old[k], new[k]):
            out.append(f"{k}: {old[k]!r} -> {new[k]!r}")
    return out


def diagnose_record(record, spec: RunSpec, versions: bool = True) -> tuple[str | None, str | None]:
    """``(kind, reason)`` why ``record`` cannot stand for ``spec``, or ``(None, None)`` when it can.

    ``kind`` is ``"corrupt"`` (not a record), ``"misplaced"`` (a record of another spec) or ``"stale"`` (made by
    another record format, method version or configuration). See :func:`check_record`.
    """
    from ..methods import get_method

    problem = _structure_problem(record)
    if problem:
        return "corrupt", problem
    if versions:
        stored, requested = plain(record["spec"]), plain(spec.as_dict())
    else:  # an older record: its spec may predate normalization
        try:
            stored, requested = plain(RunSpec.from_dict(record["spec"]).as_dict()), plain(spec.as_dict())
        except MBOError as exc:
            return "stale", f"its spec is not valid any more ({exc})"
    changed = _diff(stored, requested)
    if changed:
        return "misplaced", f"a record of another spec ({'; '.join(changed)})"
    if versions and record.get("key") != spec.key:
        return "misplaced", f"stored key {record.get('key')!r} is not the spec's key {spec.key!r}"
    method = get_method(spec.method)
    if versions and record.get("record_version") != RECORD_VERSION:
        return "stale", (f"record format {record.get('record_version')!r}, this code writes {RECORD_VERSION}: "
                         f"tools/migrate_records.py converts those whose configuration still matches")
    current_version = getattr(method, "version", 1)
    if versions and record.get("method_version") != current_version:
        return "stale", f"{spec.method} version changed ({record.get('method_version')!r} -> {current_version})"
    current = plain(method.hyperparameters(spec.profile, spec.overrides))
    changed = _diff(plain(record["hyperparameters"]), current, getattr(method, "legacy_defaults", {}))
    if changed:
        return "stale", f"configuration changed ({', '.join(changed)})"
    if versions:
        problem = _regularizer_problem(record, spec)
        if problem:
            return "stale", problem
    return None, None


def _regularizer_problem(record: dict, spec: RunSpec) -> str | None:
    """Why the regularizer ``record`` stores is not the one ``spec`` would run now (``None``: the same)."""
    from ..objectives.regularizers import resolved_regularizer

    current = resolved_regularizer(spec.regularizer)
    stored = record.get("regularizer")
    if not isinstance(stored, dict):
        return "its regularizer's resolved configuration is not stored"
    if not current and not stored:
        return None
    name = current.get("name") or stored.get("name")
    if stored.get("version") != current.get("version"):
        return f"regularizer {name} version changed ({stored.get('version')!r} -> {current.get('version')!r})"
    if stored.get("source") != current.get("source"):
        return (f"regularizer {name}'s source changed (hash {stored.get('source')!r} -> {current.get('source')!r}): "
                f"its code was edited")
    changed = _diff(plain(stored.get("config") or {}), plain(current.get("config") or {}))
    if changed:
        return f"regularizer {name} configuration changed ({', '.join(changed)})"
    return None


def check_record(record, spec: RunSpec, versions: bool = True) -> str | None:
    """Why ``record`` must not be reused for ``spec``, or ``None`` when it may be.

    A record is reusable when it is a JSON object with the expected fields, its stored spec and key are
    ``spec``'s, its ``record_version`` is :data:`RECORD_VERSION`, its ``method_version`` is the method's current
    ``version``, its ``hyperparameters`` equal the current resolution of ``spec`` (a key the record lacks
    counts as equal when the current value is the method's ``legacy_defaults[key]``), and its ``regularizer``
    (name, version, resolved configuration, plug-in source hash) equals
    :func:`~mbo_lib.objectives.regularizers.resolved_regularizer` of the spec's.

    Args:
        record: a loaded record (anything JSON gives).
        spec: the spec it should stand for.
        versions: check ``record_version``, ``method_version``, the stored key and the stored regularizer.
            ``False`` (migration of older records) checks only the structure, the (normalized) spec and the
            method's configuration.

    Example:
        >>> check_record({"spec": {}}, RunSpec("TFBind8", "GA"))
        "missing field(s) ['hyperparameters', 'result']"
    """
    return diagnose_record(record, spec, versions)[1]


# ------------------------------------------------------------------------------------------ temporary files
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


_TMP = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_dead_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files in ``folder`` left by writers on this host that are no longer running."""
    removed, host = [], _host()
    for tmp in folder.glob(".*.tmp"):
        m = _TMP.match(tmp.name)
        if m and m["host"] == host and int(m["pid"]) != os.getpid() and not _alive(int(m["pid"])):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


class Lookup(NamedTuple):
    """What the store holds for a spec: ``record`` if reusable; else ``reason`` (``None`` when there is no file)
    and ``kind`` (``"corrupt"``, ``"misplaced"`` or ``"stale"``)."""

    record: dict | None
    reason: str | None = None
    kind: str | None = None


class RecordStore:
    """Records under ``root`` (default: ``MBO_RECORDS_DIR`` or ``<repo>/records``; a relative path is taken
    relative to the working directory at construction)."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(os.path.abspath(Path(root).expanduser())) if root is not None else records_dir()

    def path(self, spec: RunSpec) -> Path:
        return self.root / spec.relpath

    # -------------------------------------------------------------------------------------- reading
    def lookup(self, spec: RunSpec) -> Lookup:
        """The record of ``spec`` if it may be reused, else why not (see :func:`check_record`). No side effects."""
        path = self.path(spec)
        if not path.is_file():
            return Lookup(None)
        try:
            with open(path) as f:
                record = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return Lookup(None, f"not valid JSON ({exc})", "corrupt")
        kind, reason = diagnose_record(record, spec)
        return Lookup(record, None, None) if kind is None else Lookup(None, reason, kind)

    def has(self, spec: RunSpec) -> bool:
        """Whether ``spec`` has a reusable record."""
        return self.lookup(spec).record is not None

    def load(self, spec: RunSpec) -> dict | None:
        """The reusable record of ``spec``, or ``None`` (absent, unreadable or stale)."""
        return self.lookup(spec).record

    def missing(self, specs: Iterable[RunSpec]) -> list[RunSpec]:
        """The specs without a reusable record."""
        return [s for s in specs if not self.has(s)]

    def discard_unusable(self, spec: RunSpec, announce: bool = True) -> str | None:
        """Before recomputing ``spec``: say why its existing record is not reused (one line on the
        ``mbo_lib.records`` logger, unless ``announce`` is false) and move an unreadable or misplaced one aside.
        Returns the reason (``None``: no file, or a reusable one)."""
        found = self.lookup(spec)
        if found.reason is None:
            return None
        path = self.path(spec)
        moved = ""
        if found.kind in ("corrupt", "misplaced"):
            moved = f"; the file was moved to {self.move_aside(path).name}"
        if announce:
            log.warning("recomputing %s: %s%s", path, found.reason, moved)
        return found.reason

    @staticmethod
    def move_aside(path: Path) -> Path:
        """Rename ``path`` to ``<name>.corrupt-<UTC time>`` (kept for inspection) and return the new path."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target, n = path.with_name(f"{path.name}.corrupt-{stamp}-{n}"), n + 1
        os.replace(path, target)
        return target

    def records(self, specs: Iterable[RunSpec] | None = None) -> list[dict]:
        """Reusable records of ``specs`` (those that have one), or every readable record in the store (files
        that are not well-formed records are skipped with a warning naming them)."""
        if specs is not None:
            return [r for r in (self.load(s) for s in specs) if r is not None]
        out = []
        for path in sorted(self.root.rglob("*.json")):
            try:
                out.append(read_record(path))
            except CorruptRecordError as exc:
                log.warning("skipping %s", exc)
        return out

    def frame(self, specs: Iterable[RunSpec] | None = None) -> pd.DataFrame:
        """One row per record: :func:`mbo_lib.experiments.record.records_frame` of :meth:`records`."""
        from .record import records_frame

        return records_frame(self.records(specs))

    # -------------------------------------------------------------------------------------- writing
    def ensure_writable(self, spec: RunSpec) -> Path:
        """Create ``spec``'s folder and write and remove a probe file there, so a run never starts whose record
        could not be saved. Returns the folder; :class:`RecordStoreError` says what is wrong."""
        folder = self.path(spec).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=f".probe.{_host()}.{os.getpid()}.", suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise RecordStoreError(f"cannot write records to {folder}: {exc.strerror or exc} "
                                   f"(record store {self.root}; set MBO_RECORDS_DIR or pass RecordStore(root) "
                                   f"to use another folder)") from exc
        return folder

    def save(self, spec: RunSpec, record: dict) -> Path:
        """Write ``record`` atomically as ``spec``'s record. If that fails (e.g. disk full), the record goes to
        ``MBO_CACHE_DIR/unsaved-records/<relpath>`` and :class:`RecordStoreError` names both paths."""
        path = self.path(spec)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            clean_dead_temporaries(path.parent)
            _write_atomic(path, record)
        except OSError as exc:
            fallback = cache_dir() / "unsaved-records" / spec.relpath
            try:
                _write_atomic(fallback, record, mkdir=True)
                where = f"the record was written to {fallback} instead; move it there when the store is writable"
            except OSError as exc2:
                where = f"writing it to {fallback} failed too ({exc2.strerror or exc2}): the result is lost"
            raise RecordStoreError(f"could not save the record to {path} ({exc.strerror or exc}); {where}") from exc
        return path


    def computing(self, spec: RunSpec, timeout: float | None = None, poll: float = 0.5) -> "SpecLock":
        """A context manager held while this process computes ``spec`` into this store (:class:`SpecLock`): a
        second process (or thread) running the same spec waits for the first, then loads its record."""
        return SpecLock(self, spec, timeout=timeout, poll=poll)

def _write_atomic(path: Path, record: dict, mkdir: bool = False) -> None:
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{_host()}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=1, sort_keys=True, default=float)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; records are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------------ one computation per spec
class SpecLock:
    """A per-spec lock file, so two processes running the same spec into one store compute it once.

    The lock is ``MBO_CACHE_DIR/record-locks/<store hash>-<spec key>.lock`` holding the owner's pid
    (:func:`mbo_lib.experiments.locks.take_lock`); it lives outside the store, so committed record folders never
    hold lock files. A lock whose process is gone (killed run) is taken over; one whose content is not a pid (a
    writer killed between creating and writing it) is taken over once it is ``stale_seconds`` old. While a live
    process holds it, entering waits (a line on the ``mbo_lib.records`` logger says for whom), up to ``timeout``
    seconds (``None``: as long as that process runs), then raises :class:`RecordStoreError`. When no lock can
    be written (read-only cache), the run goes on unlocked with a warning.
    """

    stale_seconds = 30.0

    def __init__(self, store: RecordStore, spec: RunSpec, timeout: float | None = None, poll: float = 0.5):
        import hashlib

        self.store, self.spec, self.timeout, self.poll = store, spec, timeout, poll
        root = hashlib.sha256(str(store.root).encode()).hexdigest()[:12]
        self.path = cache_dir() / "record-locks" / f"{root}-{spec.key}.lock"
        self.held = False

    def owner(self) -> int | None:
        """The pid in the lock file, ``None`` when it holds no pid (or is gone)."""
        try:
            text = self.path.read_bytes().decode("ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() and int(text) > 0 else None

    def _try(self) -> bool:
        from .locks import take_lock

        owner = self.owner()
        if owner is None and self.path.exists():
            try:
                age = time.time() - self.path.stat().st_mtime
            except OSError:
                age = 0.0
            if age < self.stale_seconds:
                return False  # being written just now
            log.warning("removing the lock %s: it holds no pid and is %.0f s old", self.path, age)
            self.path.unlink(missing_ok=True)
        try:
            return take_lock(self.path)
        except (ValueError, UnicodeDecodeError):  # rewritten between our read and take_lock's: look again
            return False

    def __enter__(self) -> "SpecLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("computing %s without a lock: cannot create %s (%s)", self.spec.relpath, self.path.parent,
                        exc.strerror or exc)
            return self
        start, announced = time.monotonic(), False
        while True:
            try:
                if self._try():
                    self.held = True
                    return self
            except OSError as exc:
                log.warning("computing %s without a lock: cannot write %s (%s)", self.spec.relpath, self.path,
                            exc.strerror or exc)
                return self
            waited = time.monotonic() - start
            if self.timeout is not None and waited >= self.timeout:
                raise RecordStoreError(
                    f"another process (pid {self.owner()}) is computing {self.spec.relpath} into {self.store.root} "
                    f"and still holds its lock after {waited:.1f} s ({self.path}); wait for it to finish, or delete "
                    f"that file if no such run is going on")
            if not announced:
                log.warning("waiting for process %s, which is computing %s into %s (lock %s); its record will be "
                            "loaded when it is done", self.owner(), self.spec.relpath, self.store.root, self.path)
                announced = True
            time.sleep(self.poll)

    def __exit__(self, *exc) -> None:
        if self.held:
            if self.owner() == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False
