"""Run specs, the record store and executors."""
from .executors import SweepError, SweepResult, run_specs
from .runner import execute, grid, load_task, run_grid, run_spec
from .spec import PROFILES, RunSpec
from .store import RecordStore

__all__ = ["run_specs", "SweepResult", "SweepError", "RunSpec", "PROFILES", "RecordStore", "execute", "grid", "load_task", "run_grid", "run_spec"]
