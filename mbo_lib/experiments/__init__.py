"""Run specs, the record store and executors."""
from .runner import execute, grid, load_task, run_grid, run_spec
from .spec import PROFILES, RunSpec
from .store import RecordStore

__all__ = ["RunSpec", "PROFILES", "RecordStore", "execute", "grid", "load_task", "run_grid", "run_spec"]
