"""The run-record store: one JSON file per finished run, keyed by its spec, written atomically.

Atomic writes (write a unique temporary file in the same folder, then ``os.replace``) make concurrent
writers safe: a reader sees either no record or a whole one, and two workers finishing the same spec both
write the same content. A killed sweep leaves no partial record, so resuming redoes only missing cells.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..config import records_dir
from .spec import RunSpec


class RecordStore:
    """Records under ``root`` (default: ``MBO_RECORDS_DIR`` or ``<repo>/records``)."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else records_dir()

    def path(self, spec: RunSpec) -> Path:
        return self.root / spec.relpath

    def has(self, spec: RunSpec) -> bool:
        return self.path(spec).exists()

    def load(self, spec: RunSpec) -> dict | None:
        path = self.path(spec)
        if not path.exists():
            return None
        with open(path) as f:
            return json.load(f)

    def save(self, spec: RunSpec, record: dict) -> Path:
        path = self.path(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
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
        return path

    def missing(self, specs: Iterable[RunSpec]) -> list[RunSpec]:
        return [s for s in specs if not self.has(s)]

    def records(self, specs: Iterable[RunSpec] | None = None) -> list[dict]:
        """Records of ``specs`` (those that exist), or every record in the store."""
        if specs is not None:
            return [r for r in (self.load(s) for s in specs) if r is not None]
        out = []
        for path in sorted(self.root.rglob("*.json")):
            with open(path) as f:
                out.append(json.load(f))
        return out

    def frame(self, specs: Iterable[RunSpec] | None = None) -> pd.DataFrame:
        """One row per record: :func:`mbo_lib.experiments.record.records_frame` of :meth:`records`."""
        from .record import records_frame

        return records_frame(self.records(specs))
