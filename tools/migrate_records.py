"""Convert run records to the current record format (version 3) where their configuration still matches the code.

For every ``*.json`` record in the store: its spec is normalized again (canonical task id, method name,
overrides...) and :func:`mbo_lib.experiments.store.check_record` compares it with the current code, ignoring
``record_version``, ``method_version`` (version-1 records lack the latter) and the stored regularizer (records
before version 3 lack it). A record that matches is rewritten with ``record_version = 3``, the method's current
``method_version``, its normalized spec and key and, when it has none, the regularizer's resolved configuration
as today's code resolves it (name, version, every parameter; records before version 3 were made with the
defaults of their day: check a sample with ``python -m mbo_lib verify`` before migrating), every other field as
it was. ``environment.numerics`` is not invented: a record made before it was stored stays "made on an unknown
kernel path" (``verify`` says so). When the key changed the record moves to its new file and the old one is deleted (commit with
``git add -A records`` so git sees a rename). A record that does not match is listed as stale and left alone:
recompute it (``run_spec`` does so with a line saying why). Counts are printed per (profile, method+reg, task).

Usage:
    python tools/migrate_records.py --dry-run           # what would change
    python tools/migrate_records.py                     # rewrite records/ (or MBO_RECORDS_DIR)
    python tools/migrate_records.py --records DIR
Exit code: 0, or 1 when some records are stale, unreadable or duplicates (they are listed).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mbo_lib.errors import CorruptRecordError, MBOError  # noqa: E402
from mbo_lib.experiments.spec import RunSpec  # noqa: E402
from mbo_lib.experiments.store import RECORD_VERSION, RecordStore, check_record, read_record  # noqa: E402
from mbo_lib.methods import get_method  # noqa: E402
from mbo_lib.objectives.regularizers import resolved_regularizer  # noqa: E402

STATUSES = ("current", "migrated", "renamed", "stale", "duplicate", "unreadable")


def migrated_record(record: dict, spec: RunSpec) -> dict:
    """``record`` in the current format: normalized spec and key, ``record_version``, ``method_version`` and (when
    absent) the resolved ``regularizer`` set."""
    method = get_method(spec.method)
    regularizer = record.get("regularizer")
    if not isinstance(regularizer, dict):
        regularizer = resolved_regularizer(spec.regularizer)
    return {**record, "record_version": RECORD_VERSION, "method_version": getattr(method, "version", 1),
            "key": spec.key, "spec": spec.as_dict(), "regularizer": regularizer}


def migrate_one(store: RecordStore, path: Path, dry_run: bool) -> tuple[str, str, tuple]:
    """``(status, detail, group)`` for the record in ``path`` (rewritten unless ``dry_run``)."""
    group = tuple(path.relative_to(store.root).parts[:3])
    try:
        record = read_record(path)
        spec = RunSpec.from_dict(record["spec"])
    except CorruptRecordError as exc:
        return "unreadable", str(exc), group
    except MBOError as exc:
        return "stale", f"its spec is not valid any more ({exc})", group
    group = tuple(spec.relpath.split("/")[:3])
    target = store.path(spec)
    if target == path and check_record(record, spec) is None:
        return "current", "", group
    reason = check_record(record, spec, versions=False)
    if reason is not None:
        return "stale", reason, group
    if target != path and target.exists():
        return "duplicate", f"{target.relative_to(store.root)} already holds this spec; left as is", group
    if not dry_run:
        store.save(spec, migrated_record(record, spec))
        if target != path:
            path.unlink()
    if target != path:
        return "renamed", f"-> {target.relative_to(store.root)}", group
    return "migrated", "", group


def migrate_records(store: RecordStore, dry_run: bool = False, out=print) -> Counter:
    """Migrate every record of ``store``; print the stale/unreadable ones and counts per group. Returns counts."""
    per_group: dict[tuple, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for path in sorted(store.root.rglob("*.json")):
        status, detail, group = migrate_one(store, path, dry_run)
        per_group[group][status] += 1
        totals[status] += 1
        if status in ("stale", "unreadable", "duplicate", "renamed"):
            out(f"{status}: {path.relative_to(store.root)}: {detail}")
    out(f"{'profile':8} {'method+reg':28} {'task':28} " + " ".join(f"{s:>10}" for s in STATUSES))
    for group in sorted(per_group):
        profile, method, task = (list(group) + ["?", "?", "?"])[:3]
        out(f"{profile:8} {method:28} {task:28} " + " ".join(f"{per_group[group][s]:>10}" for s in STATUSES))
    verb = "would be " if dry_run else ""
    out(f"{sum(totals.values())} records in {store.root}: "
        + ", ".join(f"{totals[s]} {verb if s in ('migrated', 'renamed') else ''}{s}" for s in STATUSES))
    return totals


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    ap.add_argument("--records", metavar="DIR", help="the record store (default: MBO_RECORDS_DIR or <repo>/records)")
    args = ap.parse_args(argv)
    store = RecordStore(args.records)
    if not store.root.is_dir():
        ap.error(f"--records {store.root}: no such folder")
    totals = migrate_records(store, dry_run=args.dry_run)
    return 1 if totals["stale"] or totals["unreadable"] or totals["duplicate"] else 0


if __name__ == "__main__":
    sys.exit(main())
