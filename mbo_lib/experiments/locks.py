"""Per-run lock files for workers that share a record store on one host (the campaign and family grids)."""
from __future__ import annotations

import os
from pathlib import Path


def take_lock(lock: Path) -> bool:
    """Create ``lock`` holding our pid; ``False`` while a live process holds it; a lock left by a dead process is
    taken over."""
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            os.kill(int(lock.read_text() or "0"), 0)
            return False  # its owner is alive
        except (ProcessLookupError, ValueError):
            lock.unlink(missing_ok=True)
            return take_lock(lock)
        except PermissionError:
            return False
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    return True
