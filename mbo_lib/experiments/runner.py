"""Executing run specs: build the task, run the method, score with the oracle, save the record."""
from __future__ import annotations

import functools
import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from typing import Iterable, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from .. import numerics, threads
from ..config import REPO_ROOT, pick_device
from ..evaluation import score_candidates
from ..methods import get_method
from ..methods.base import no_hooks
from ..objectives.regularizers import resolved_regularizer
from ..tasks import canonical_task_kwargs, make, resolve_task_id
from ..surrogates.trainer import progress_enabled
from ..tasks.base import Task
from .output_check import checked_output, keep_unsaved
from .spec import RunSpec
from .store import RECORD_VERSION, RecordStore  # noqa: F401  (RECORD_VERSION re-exported)


@functools.lru_cache(maxsize=8)
def _cached_task(task_id: str, kwargs_json: str) -> Task:
    return make(task_id, **json.loads(kwargs_json))


def load_task(task_id: str, task_kwargs: dict | None = None) -> Task:
    """``make`` with a per-process cache (TF-Bind-10 takes seconds to build). Do not mutate the result."""
    task_id = resolve_task_id(task_id)
    kwargs = canonical_task_kwargs(task_id, task_kwargs or {})  # dim=10 and no dim share one cached task
    return _cached_task(task_id, json.dumps(kwargs, sort_keys=True))


@functools.lru_cache(maxsize=1)
def code_revision() -> str | None:
    """The git commit of the code this process loaded (read once, when this module is imported), ``-dirty`` if
    ``mbo_lib/`` had uncommitted changes then; ``None`` outside a checkout. Reading it at import, not at the first
    run, keeps a long-lived worker from stamping the state of files edited after it loaded its code."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=5).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "mbo_lib"], cwd=REPO_ROOT, capture_output=True,
                               text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if commit and dirty else commit


code_revision()  # now, while the files on disk are the code this process runs


def environment_info(device: torch.device) -> dict:
    """Package versions, device and code revision, stored in every record."""
    versions = {}
    for pkg in ("torch", "numpy", "botorch", "mbo-companion"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    commit = code_revision()
    return {"python": sys.version.split()[0], "platform": platform.platform(), "device": str(device),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor(),
            "torch_threads": torch.get_num_threads(), "packages": versions, "git_commit": commit,
            # the instruction set torch's CPU kernels dispatch to (AVX512, AVX2, DEFAULT): float reductions such as
            # the sharpness on the candidates round differently on each (mbo_lib.experiments.verify)
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            # the whole kernel path in effect (torch's capability and MKL's branch) and whether it is the portable
            # one that gives the same bits on any x86-64 CPU with AVX2 (mbo_lib.numerics)
            "numerics": numerics.state()}


def surrogate_gradient_norm(output, device: torch.device) -> float | None:
    """``||grad_w h(w)||`` with ``h`` the surrogate's mean prediction on the final candidates (unseen designs).

    IGNITE's sharpness measure on unseen designs is ``rho`` times this. For an ensemble (``M x n x 1`` output)
    ``h`` averages over members too. ``None`` when the method exposes no surrogate or candidate inputs.
    """
    model, z = output.surrogate, output.candidate_inputs
    if model is None or z is None:
        return None
    from ..objectives.ignite import sharpness  # one implementation: sharpness = rho * this norm

    return sharpness(model, np.asarray(z, dtype=np.float32), 1.0)


def regularizer_hooks(spec: RunSpec):
    """The hook factory for ``spec.regularizer`` (empty: none)."""
    if not spec.regularizer:
        return no_hooks
    from ..objectives import regularizer_factory

    return regularizer_factory(spec.regularizer)


def execute(spec: RunSpec, device="auto", progress: bool | None = None, method_run=None) -> tuple[dict, object]:
    """Run one spec without touching the store. Returns ``(record, MethodOutput)``.

    ``method_run`` (internal, for :func:`run_shared`): a callable with ``Method.run``'s signature
    ``(method, task, config, *, seed, device, progress, hooks) -> MethodOutput`` used instead of ``method.run``.
    """
    method = get_method(spec.method)
    config = method.config(spec.profile, spec.overrides)
    hp = config.to_dict()  # what the record stores (= method.hyperparameters(spec.profile, spec.overrides))
    threads.apply_policy(work=threads.work_size(hp))  # recorded as environment.torch_threads
    device = pick_device(device)
    start, cpu_start = time.perf_counter(), time.process_time()
    task = load_task(spec.task, spec.task_kwargs)
    method.check_task(task)
    t_task = time.perf_counter()
    np.random.seed(spec.seed)  # libraries that draw from NumPy's global RNG (cma, sklearn) stay reproducible
    torch.manual_seed(spec.seed)
    run = method_run or (lambda m, *a, **k: m.run(*a, **k))
    output = run(method, task, config, seed=spec.seed, device=device, progress=progress, hooks=regularizer_hooks(spec))
    output, unsaved_because = checked_output(method, output, config, task)  # clear errors on a wrong output
    t_method = time.perf_counter()
    result = score_candidates(task, output.designs)
    sharpness = surrogate_gradient_norm(output, device)
    curve = []
    for step, designs in sorted(output.steps.items()):
        s = score_candidates(task, designs)
        curve.append({"step": int(step), **{k: v for k, v in s.items() if k.startswith(("norm_p", "raw_p"))}})
    record = {
        "record_version": RECORD_VERSION,
        "key": spec.key,
        "spec": spec.as_dict(),
        "method_version": getattr(method, "version", 1),
        "regularizer": resolved_regularizer(spec.regularizer),
        "task_id": task.task_id,
        "task_info": task.info,
        "hyperparameters": hp,
        "result": result,
        "curve": curve,
        "train": [log.epochs for log in output.train_logs],
        "extras": output.extras,
        "surrogate_grad_norm_on_candidates": sharpness,
        "timings": {"task_seconds": t_task - start, "method_seconds": t_method - t_task,
                    "total_seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu_start,
                    "train_seconds": [log.seconds for log in output.train_logs]},
        "environment": environment_info(device),
    }
    if unsaved_because:  # non-JSON extras, too few designs: keep the finished run out of the store, then raise
        keep_unsaved(spec, record, output, unsaved_because)
    return record, output


def run_spec(spec: RunSpec, store: RecordStore | None = None, device="auto", progress: bool | None = None,
             force: bool = False) -> dict:
    """Run ``spec`` unless it has a reusable record (then load it). Saves the record atomically.

    A record is reused only while :func:`~mbo_lib.experiments.store.check_record` accepts it; otherwise the run is
    recomputed and a line on the ``mbo_lib.records`` logger says why (an unreadable record is moved aside first).
    The store is checked to be writable before the run starts.

    Raises:
        RecordStoreError: the store cannot be written (before the run), or saving failed after it (the record
            is then in ``MBO_CACHE_DIR/unsaved-records/``; the message names both paths).
    """
    store = store or RecordStore()
    if not force:
        existing = store.load(spec)
        if existing is not None:
            return existing
    with store.computing(spec):  # another process computing this spec into this store: wait, then load its record
        if not force:
            existing = store.load(spec)
            if existing is not None:
                return existing
            store.discard_unusable(spec)
        store.ensure_writable(spec)
        record, _ = execute(spec, device=device, progress=progress)
        store.save(spec, record)
    return record


def shares_training(a: RunSpec, b: RunSpec) -> bool:
    """Whether ``a`` and ``b`` train the same surrogate: two different methods of one ``training_group`` (e.g.
    GA-Ensemble-Mean and -Min) with the same task, task kwargs, seed, profile, regularizer and resolved
    hyperparameters."""
    ma, mb = get_method(a.method), get_method(b.method)
    return (ma.training_group is not None and ma.training_group == mb.training_group and ma.name != mb.name
            and (a.task, a.seed, a.profile) == (b.task, b.seed, b.profile)
            and json.dumps(a.task_kwargs, sort_keys=True) == json.dumps(b.task_kwargs, sort_keys=True)
            and json.dumps(a.regularizer, sort_keys=True) == json.dumps(b.regularizer, sort_keys=True)
            and ma.hyperparameters(a.profile, a.overrides) == mb.hyperparameters(b.profile, b.overrides))


def run_shared(specs: Sequence[RunSpec], store: RecordStore | None = None, device="auto",
               progress: bool | None = None, on_record=None) -> list[dict]:
    """Train once, search several times: run ``specs`` (which pairwise :func:`shares_training`) with one training.

    The first spec is run normally except that its trained surrogate is kept; each further spec's method searches on
    that surrogate (``Method.search``). The search of GA-Ensemble-Mean/-Min draws no random numbers, so each record
    equals the one a separate run would make (``python -m mbo_lib verify`` checks it); its ``extras`` name the run
    whose training it used (``training_shared_with``: that record's key) and its ``timings`` are its own (search and
    scoring only). Specs that already have a reusable record are loaded, not recomputed (when the first has one, the
    others are run separately). ``on_record(spec, record)``, if given, is called as each record is saved or loaded
    (so a caller can deliver the first record before the second search ends).

    Raises:
        InvalidInputError: the specs do not share their training.
        RecordStoreError: as :func:`run_spec`.
    """
    from ..errors import InvalidInputError

    store = store or RecordStore()
    specs = list(specs)
    for other in specs[1:]:
        if not shares_training(specs[0], other):
            raise InvalidInputError(f"run_shared: {specs[0].method} and {other.method} on {other.task} (seed "
                                    f"{other.seed}) do not train the same surrogate; run them separately")
    done = on_record or (lambda spec, record: None)
    first = store.load(specs[0])
    if first is not None:
        out = [first]
        done(specs[0], first)
        for s in specs[1:]:
            out.append(run_spec(s, store, device=device, progress=progress))
            done(s, out[-1])
        return out
    store.discard_unusable(specs[0])
    for s in specs:
        store.ensure_writable(s)
    trained = {}

    def train_then_search(method, task, config, *, seed, device, progress, hooks):
        trained["value"] = method.train(task, config, seed=seed, device=device, progress=progress, hooks=hooks)
        return method.search(task, config, trained["value"], device=device)

    def search_only(method, task, config, *, seed, device, progress, hooks):
        out = method.search(task, config, trained["value"], device=device)
        out.extras["training_shared_with"] = specs[0].key
        return out

    record, _ = execute(specs[0], device=device, progress=progress, method_run=train_then_search)
    store.save(specs[0], record)
    done(specs[0], record)
    out = [record]
    for s in specs[1:]:
        existing = store.load(s)
        if existing is None:
            store.discard_unusable(s)
            existing, _ = execute(s, device=device, progress=progress, method_run=search_only)
            store.save(s, existing)
        done(s, existing)
        out.append(existing)
    return out


def shared_groups(specs: Sequence[RunSpec]) -> list[list[RunSpec]]:
    """``specs`` in their order, grouped: specs that :func:`shares_training` with an earlier one join its group
    (each group has one spec per method); every other spec is a group of one."""
    groups: list[list[RunSpec]] = []
    for s in specs:
        home = next((g for g in groups if all(s.method != o.method for o in g) and shares_training(g[0], s)), None)
        if home is None:
            groups.append([s])
        else:
            home.append(s)
    return groups


def run_grid(specs: Sequence[RunSpec], store: RecordStore | None = None, device="auto", progress: bool | None = None,
             force: bool = False) -> list[dict]:
    """Run every spec in this process, one after another, skipping finished ones; a progress bar over runs.

    Missing runs that share their training (GA-Ensemble-Mean and -Min with the same settings) are trained once
    (:func:`run_shared`), unless ``force``."""
    store = store or RecordStore()
    todo = specs if force else store.missing(specs)
    groups = [[s] for s in todo] if force else shared_groups(todo)
    bar = tqdm(total=len(todo), desc="runs", disable=not progress_enabled(progress) or not todo)
    for group in groups:
        bar.set_postfix_str(f"{'/'.join(s.method for s in group)} {group[0].task} seed {group[0].seed}")
        inner = False if progress is None else progress
        if len(group) > 1:
            run_shared(group, store, device=device, progress=inner)
        else:
            run_spec(group[0], store, device=device, progress=inner, force=force)
        bar.update(len(group))
    bar.close()
    return store.records(specs)


def grid(tasks: Iterable[str], methods: Iterable[str], seeds: Iterable[int], profile: str, **spec_kwargs) -> list[RunSpec]:
    """The cross product of tasks x methods x seeds as specs."""
    return [RunSpec(task=resolve_task_id(t), method=get_method(m).name, profile=profile, seed=int(s), **spec_kwargs)
            for t in tasks for m in methods for s in seeds]
