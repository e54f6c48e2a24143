"""Run specs, the record store and executors."""
from .executors import SweepError, SweepResult, run_specs
from .runner import execute, grid, load_task, run_grid, run_shared, run_spec, shares_training
from .spec import PROFILES, RunSpec
from .store import RECORD_VERSION, RecordStore, check_record

__all__ = ["run_specs", "SweepResult", "SweepError", "RunSpec", "PROFILES", "RecordStore", "RECORD_VERSION", "check_record", "execute", "grid", "load_task", "run_grid", "run_shared", "run_spec", "shares_training"]
