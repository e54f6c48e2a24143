"""Run many specs at once: in this process, on a local pool of worker processes, or on a Dask cluster.

:func:`run_specs` is :func:`~mbo_lib.experiments.run_grid` spread over workers. The same code path serves a
laptop and a cluster; only where the workers come from changes:

- ``executor="serial"``: one spec after another in this process (debugging; a single GPU).
- ``executor="local"`` (default): a ``dask.distributed.LocalCluster`` of ``workers`` processes (one thread each),
  started and closed by the call.
- ``executor="dask"``: an existing Dask cluster, given by ``scheduler_address="tcp://host:8786"`` or a
  ``client=distributed.Client(...)``.

Every worker writes its record to the store itself (atomic: a unique temporary file then ``os.replace``), so
many workers finishing at once lose nothing and a reader never sees half a record. Specs whose record exists
are skipped before submission and again on the worker, so a sweep that was killed (or a worker that died after
saving) resumes with only the missing cells. A record is reused only while it is still valid for its spec
(:func:`~mbo_lib.experiments.store.check_record`); a stale one is recomputed and a log line says why. A
worker process that dies mid-run is replaced by its nanny and the scheduler reruns its task elsewhere. On a
cluster the store folder must be on a filesystem every worker sees (as on any Slurm cluster's shared
home/scratch); without one, pass ``write_on="client"`` and the records travel back and are saved by the calling
process.

Workers must import ``mbo_lib`` (``pip install -e .`` on the cluster's Python) and find the task data
(``MBO_DATA_DIR`` in the workers' environment). In a script (not a notebook) guard the call with
``if __name__ == "__main__":``, because local worker processes are spawned and re-import the main module.

Slurm with dask-jobqueue (``pip install dask-jobqueue``)::

    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster
    from mbo_lib.experiments import RecordStore, grid
    from mbo_lib.experiments.executors import run_specs

    cluster = SLURMCluster(queue="gpu", cores=4, processes=1, memory="16GB", walltime="04:00:00",
                           job_extra_directives=["--gres=gpu:1"],
                           job_script_prologue=["source /path/to/mbo-companion/.venv/bin/activate",
                                                "export MBO_DATA_DIR=/shared/design_bench_data"])
    cluster.scale(jobs=8)                              # 8 Slurm jobs, one worker (one GPU) each
    specs = grid(["TFBind8", "TFBind10"], ["GA", "COMs"], seeds=range(8), profile="paper")
    result = run_specs(specs, RecordStore("/shared/mbo-records"), executor="dask", client=Client(cluster))

Or start ``dask scheduler`` / ``dask worker tcp://host:8786 --nthreads 1`` yourself (e.g. in an ``sbatch``
array) and pass ``scheduler_address="tcp://host:8786"``.

Example:
    >>> specs = grid(["Ackley-Synthetic-v0"], ["GA"], seeds=range(4), profile="smoke")  # doctest: +SKIP
    >>> run_specs(specs, RecordStore("/tmp/records"), workers=2).computed  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Sequence

from .. import threads
from ..errors import InvalidInputError, MBOError, MissingDependencyError
from .spec import RunSpec
from .store import RecordStore

EXECUTORS = ("serial", "local", "dask")


class SweepError(MBOError, RuntimeError):
    """Some specs of a sweep failed (the others finished and are in the store). ``.result`` has the details."""

    def __init__(self, message: str, result: "SweepResult"):
        super().__init__(message)
        self.result = result


@dataclass
class SweepResult:
    """What a call to :func:`run_specs` did.

    Attributes:
        computed: keys of the specs run by this call.
        skipped: keys whose record was already in the store (nothing recomputed).
        failed: ``{key: "ExceptionName: message"}`` of specs that raised.
        pids: ``{key: process id}`` of the process that computed each spec.
        seconds: wall time of the call.
    """

    store: RecordStore
    specs: list[RunSpec]
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def records(self) -> list[dict]:
        """The records of every spec that has one, in spec order."""
        return self.store.records(self.specs)


def _run_spec_task(spec_dict: dict, store_root: str, device: str, force: bool, write: bool,
                   torch_threads: int | None, announce: bool = False, max_threads: int | None = None) -> dict:
    """Worker side: run one spec (unless it has a reusable record) and save it. Returns a small summary.

    ``announce``: log why an existing record is recomputed (on a remote cluster, whose store the client may
    not see; locally the client has said so already)."""
    from .runner import execute

    spec = RunSpec.from_dict(spec_dict)
    store = RecordStore(store_root)
    out = {"key": spec.key, "pid": os.getpid()}
    if not force and store.has(spec):  # a rerun after a worker died post-save, or another sweep got here first
        return {**out, "status": "skipped"}
    if write:
        if not force:
            store.discard_unusable(spec, announce)  # moves an unreadable record aside if the client did not
        store.ensure_writable(spec)  # before training: a run whose record cannot be saved is lost work
    if torch_threads:  # worker process: the runner's thread policy reads these (see mbo_lib.threads)
        os.environ[threads.ENV_THREADS] = str(torch_threads)
    if max_threads:
        os.environ[threads.ENV_MAX] = str(max_threads)
    record, _ = execute(spec, device=device, progress=False)
    if write:
        store.save(spec, record)
        return {**out, "status": "computed"}
    return {**out, "status": "computed", "record": record}


def _unique(specs: Sequence[RunSpec]) -> list[RunSpec]:
    seen, out = set(), []
    for s in specs:
        if not isinstance(s, RunSpec):
            raise InvalidInputError(f"run_specs takes RunSpec objects, got {type(s).__name__}: {s!r}")
        if s.key not in seen:
            seen.add(s.key)
            out.append(s)
    return out


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError("executor='local'/'dask' needs dask.distributed: pip install 'dask[distributed]' "
                                     "(or mbo-companion[dask]); executor='serial' needs nothing") from exc
    return distributed


def run_specs(specs: Sequence[RunSpec], store: RecordStore | None = None, executor: str = "local",
              scheduler_address: str | None = None, client=None, workers: int | None = None, device: str = "auto",
              force: bool = False, retries: int = 1, write_on: str = "worker", progress: bool | None = None,
              raise_on_error: bool = True, torch_threads: int | None = None) -> SweepResult:
    """Run every spec whose record is missing, in parallel, and save the records in ``store``.

    Args:
        specs: the runs (duplicates are run once).
        store: the record store (default: ``MBO_RECORDS_DIR`` or ``<repo>/records``). With a remote cluster it
            must be a path the workers see too (unless ``write_on="client"``).
        executor: ``"serial"`` | ``"local"`` | ``"dask"`` (see the module docstring).
        scheduler_address: ``"tcp://host:8786"`` of a running Dask scheduler (``executor="dask"``).
        client: a connected ``distributed.Client`` to use instead (``executor="dask"``; not closed here).
        workers: worker processes of the local cluster (default: the CPU count). Each may use at most
            ``cores // workers`` torch threads (``MBO_MAX_THREADS``; :mod:`mbo_lib.threads` picks within that).
        device: ``"auto"`` | ``"cpu"`` | ``"cuda[:N]"``, resolved on each worker.
        force: rerun and overwrite specs that already have records.
        retries: extra attempts for a spec whose run raised (a worker that died is retried by Dask anyway).
        write_on: ``"worker"`` (each worker saves its record; needs a shared store folder) or ``"client"``.
        progress: show a progress bar over runs (None: when there is anything to run and ``MBO_PROGRESS`` is not 0).
        raise_on_error: raise :class:`SweepError` at the end when any spec failed (the rest still finish).
        torch_threads: threads of each run on a worker (sets ``MBO_THREADS`` there). Default: the thread policy
            of :mod:`mbo_lib.threads` (1 thread for small models), capped at ``cores // workers`` on a local cluster.

    Returns:
        A :class:`SweepResult`; ``result.records()`` loads the records.

    Raises:
        RecordStoreError: a folder of the store cannot be written (checked before any run, except for workers'
            own writes on a remote Dask cluster, which each worker checks before its run).
        SweepError: some runs failed (``raise_on_error``).
    """
    if executor not in EXECUTORS:
        raise InvalidInputError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    if write_on not in ("worker", "client"):
        raise InvalidInputError(f"write_on must be 'worker' or 'client', got {write_on!r}")
    if executor == "dask" and scheduler_address is None and client is None:
        raise InvalidInputError("executor='dask' needs scheduler_address='tcp://host:port' or client=Client(...); "
                                "use executor='local' for a cluster on this machine")
    if workers is not None and workers < 1:
        raise InvalidInputError(f"workers must be >= 1, got {workers}")
    store = store if store is not None else RecordStore()
    specs = _unique(specs)
    result = SweepResult(store=store, specs=specs)
    start = time.perf_counter()
    todo = specs if force else store.missing(specs)
    if not force:
        for spec in todo:
            store.discard_unusable(spec)  # says why an existing record is recomputed
    if executor != "dask" or write_on == "client":  # the client's view of the store is where records go
        for spec in {store.path(s).parent: s for s in todo}.values():  # one probe per folder, before any run
            store.ensure_writable(spec)
    todo_keys = {s.key for s in todo}
    result.skipped = [s.key for s in specs if s.key not in todo_keys]
    if progress is None:
        progress = bool(todo) and os.environ.get("MBO_PROGRESS", "1") != "0"
    write = write_on == "worker"
    args = dict(store_root=str(store.root), device=str(device), force=force, write=write,
                announce=executor == "dask")

    if todo and executor == "serial":
        from tqdm.auto import tqdm

        for spec in tqdm(todo, desc="runs", disable=not progress):
            try:
                _collect(result, store, spec, _run_spec_task(spec.as_dict(), torch_threads=None, **args))
            except Exception as exc:  # noqa: BLE001 - reported per spec, the sweep goes on
                result.failed[spec.key] = f"{type(exc).__name__}: {exc}"
    elif todo:
        _run_distributed(todo, result, store, executor, scheduler_address, client, workers, retries, progress, args,
                         torch_threads)
    result.seconds = time.perf_counter() - start
    if result.failed and raise_on_error:
        lines = "\n".join(f"  {k}: {v}" for k, v in result.failed.items())
        raise SweepError(f"{len(result.failed)} of {len(todo)} runs failed (the others are in {store.root}):\n{lines}",
                         result)
    return result


def _collect(result: SweepResult, store: RecordStore, spec: RunSpec, out: dict) -> None:
    if "record" in out:
        store.save(spec, out["record"])
    (result.computed if out["status"] == "computed" else result.skipped).append(out["key"])
    result.pids[out["key"]] = out["pid"]


def _run_distributed(todo, result, store, executor, scheduler_address, client, workers, retries, progress, args,
                     torch_threads):
    distributed = _import_distributed()
    from tqdm.auto import tqdm

    cluster = own_client = max_threads = None
    if executor == "local":
        workers = min(workers or threads.allowed_cores(), len(todo))
        max_threads = threads.share(workers)  # each worker's cap; the runner's policy picks within it
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
        client = own_client = distributed.Client(cluster)
    elif client is None:
        client = own_client = distributed.Client(scheduler_address)
    by_key = {s.key: s for s in todo}
    futures = []
    try:
        token = uuid.uuid4().hex[:8]  # fresh task keys: a finished task of an earlier call must not be reused
        futures = client.map(_run_spec_task, [s.as_dict() for s in todo], key=[f"mbo-run-{s.key}-{token}" for s in todo],
                             retries=retries, pure=False, torch_threads=torch_threads, max_threads=max_threads,
                             **args)
        key_of = {f.key: s.key for f, s in zip(futures, todo)}
        bar = tqdm(total=len(futures), desc="runs", disable=not progress)
        for future in distributed.as_completed(futures):
            spec_key = key_of[future.key]
            if future.status == "finished":
                _collect(result, store, by_key[spec_key], future.result())
            else:
                exc = future.exception()
                result.failed[spec_key] = f"{type(exc).__name__}: {exc}"
            bar.update(1)
        bar.close()
    finally:
        if futures:
            client.cancel(futures)  # no-op when done; stops the rest on Ctrl-C (finished records stay saved)
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()
