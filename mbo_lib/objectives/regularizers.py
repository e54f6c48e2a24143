"""Surrogate regularizers a run can add to any method: ``RunSpec(..., regularizer={"name": "ignite", ...})``.

:func:`regularizer_factory` turns such a spec into a hook factory: a callable that returns a fresh list of
:class:`~mbo_lib.surrogates.trainer.TrainingHook` objects on every call. Methods call it once per surrogate they
train, so each ensemble member gets its own hook state (IGNITE: one multiplier per member, as in the paper).

A regularizer is described in every record the way a method is (:func:`resolved_regularizer`): its name, its
``version``, its resolved configuration (every parameter, defaults filled in) and, for a plug-in defined outside
``mbo_lib``, a hash of its source. The record store recomputes a record when any of these differs from what the
code would run now, so changing a default in :class:`~mbo_lib.objectives.ignite.IgniteConfig` or editing a
plug-in's code never reuses old records.

A plug-in registers with :func:`register_regularizer` (``REGULARIZERS[name] = build`` still works: its defaults
are then read from ``build``'s signature and its version from ``build.version``, 1 if absent).
"""
from __future__ import annotations

import hashlib
import inspect
import sys
from typing import Callable

from ..errors import InvalidInputError
from ..surrogates.trainer import TrainingHook
from .ignite import IGNITE2_DEFAULTS, IgniteConfig, ignite2_hook, ignite_hook

HookFactory = Callable[[], list[TrainingHook]]

REGULARIZERS: dict[str, Callable[..., TrainingHook]] = {"ignite": ignite_hook, "ignite2": ignite2_hook}
_DEFAULTS: dict[str, dict] = {"ignite": IgniteConfig().as_dict(),
                              "ignite2": IgniteConfig(**IGNITE2_DEFAULTS).as_dict()}
BUILTIN = frozenset(REGULARIZERS)


def register_regularizer(name: str, build: Callable[..., TrainingHook], *, defaults: dict | None = None,
                         version: int | None = None, replace: bool = False) -> Callable[..., TrainingHook]:
    """Make ``build(**params) -> TrainingHook`` available as ``RunSpec(..., regularizer={"name": name, ...})``.

    Args:
        name: the regularizer's name in specs, records and ``mbo run --regularizer``.
        build: returns a fresh hook from keyword parameters (raising :class:`InvalidInputError` on bad ones).
        defaults: every parameter with its default (default: ``build``'s keyword defaults); stored, resolved, in
            each record, so a changed default recomputes the records it would change.
        version: bump when the behaviour changes without a parameter (default ``build.version`` or 1).
        replace: allow replacing a regularizer already registered under ``name`` (never a built-in one).

    Raises:
        InvalidInputError: ``name`` is taken (a built-in always), or ``version`` is not a positive int.

    Example:
        >>> register_regularizer("doc-l2", lambda weight=0.01: None, version=2)  # doctest: +ELLIPSIS
        <function <lambda> at ...>
        >>> resolved_regularizer({"name": "doc-l2"})["config"], resolved_regularizer({"name": "doc-l2"})["version"]
        ({'weight': 0.01}, 2)
    """
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"register_regularizer: name must be a non-empty string, got {name!r}")
    if name in BUILTIN or (name in REGULARIZERS and not replace):
        kind = "the built-in regularizer" if name in BUILTIN else "a regularizer"
        raise InvalidInputError(f"register_regularizer: {name!r} is already {kind} "
                                f"{'' if name in BUILTIN else '(pass replace=True to replace it) '}registered; "
                                f"choose another name")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidInputError(f"register_regularizer: version must be a positive int, got {version!r}")
        build.version = version
    if defaults is not None:
        _DEFAULTS[name] = dict(defaults)
    REGULARIZERS[name] = build
    return build


def _signature_defaults(build: Callable) -> dict:
    try:
        params = inspect.signature(build).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def regularizer_defaults(name: str) -> dict:
    """Every parameter of the registered regularizer ``name`` with its default (``{}`` when unknown)."""
    if name in _DEFAULTS:
        return dict(_DEFAULTS[name])
    build = REGULARIZERS.get(name)
    return _signature_defaults(build) if build is not None else {}


def source_hash(build: Callable) -> str | None:
    """sha256 (16 hex digits) of the source of the module defining a plug-in ``build`` (of ``build`` itself when
    the module's source cannot be read, e.g. a notebook cell); ``None`` for built-ins (their ``version`` says when
    they change) and when no source can be read."""
    module = getattr(build, "__module__", None) or ""
    if module == "mbo_lib" or module.startswith("mbo_lib."):
        return None
    for obj in (sys.modules.get(module), build):
        try:
            text = inspect.getsource(obj)
        except (TypeError, OSError):
            continue
        return hashlib.sha256(text.encode()).hexdigest()[:16]
    return None


def resolved_regularizer(spec: dict) -> dict:
    """What a record stores about ``spec``'s regularizer: ``{}`` for none, else ``name``, ``version``, ``config``
    (every parameter, defaults filled in) and ``source`` (:func:`source_hash`; ``None`` for built-ins).

    Example:
        >>> r = resolved_regularizer({"name": "ignite", "epsilon": 0.05})
        >>> r["name"], r["version"], r["config"]["epsilon"], r["config"]["lambda_init"], r["source"]
        ('ignite', 1, 0.05, 0.001, None)
    """
    if not spec:
        return {}
    name = spec["name"]
    if name not in REGULARIZERS:
        raise InvalidInputError(f"unknown regularizer {name!r}; known: {sorted(REGULARIZERS)}")
    from ..experiments.spec import plain  # the one JSON normalizer (spec imports this module lazily)

    build = REGULARIZERS[name]
    config = {**regularizer_defaults(name), **{k: v for k, v in spec.items() if k != "name"}}
    return {"name": name, "version": getattr(build, "version", 1), "config": plain(config),
            "source": source_hash(build)}


def canonical_regularizer(spec: dict) -> dict:
    """``spec`` without the parameters that equal the named regularizer's defaults.

    ``{"name": "ignite", "epsilon": 0.1}`` and ``{"name": "ignite"}`` are the same run, so they must share a record
    key. An empty spec, an unknown name or a non-dict comes back unchanged (``regularizer_factory`` reports it).

    Example:
        >>> canonical_regularizer({"name": "ignite", "epsilon": 0.1, "eta_lambda": 0.01})
        {'name': 'ignite', 'eta_lambda': 0.01}
    """
    if not isinstance(spec, dict) or spec.get("name") not in _DEFAULTS:
        return spec
    defaults = _DEFAULTS[spec["name"]]
    def same(k, v) -> bool:  # 1 == 1.0 for numbers, but True is not 1 for the switches
        d = defaults.get(k, object())
        if isinstance(v, bool) or isinstance(d, bool):
            return isinstance(v, bool) and isinstance(d, bool) and v == d
        return type(v) in (int, float, str) and type(d) in (int, float, str) and v == d
    def typed(k, v):  # epsilon=1 and epsilon=1.0 are one run: a float parameter is stored as a float
        d = defaults.get(k)
        return float(v) if isinstance(d, float) and isinstance(v, int) and not isinstance(v, bool) else v

    return {"name": spec["name"], **{k: typed(k, v) for k, v in spec.items() if k != "name" and not same(k, v)}}


def regularizer_factory(spec: dict) -> HookFactory:
    """``{"name": "ignite", **params}`` -> a callable returning a fresh ``[hook]`` on each call.

    Args:
        spec: ``name`` (one of :data:`REGULARIZERS`: ``"ignite"``, ``"ignite2"``) plus that regularizer's
            parameters (IGNITE: ``epsilon``, ``lambda_init``, ``eta_lambda``, ``rho``, ``r``, ``dual_update``,
            ``clip_lambda``, ``hvp``; see :class:`mbo_lib.objectives.ignite.IgniteConfig`).

    Raises:
        InvalidInputError: unknown name, unknown parameter or invalid value (checked here, before any run).

    Example:
        >>> make_hooks = regularizer_factory({"name": "ignite", "epsilon": 0.05})
        >>> a, b = make_hooks()[0], make_hooks()[0]
        >>> a is not b and a.config.epsilon == 0.05
        True
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise InvalidInputError(f"a regularizer spec is a dict with a 'name' (one of {sorted(REGULARIZERS)}), got {spec!r}")
    params = {k: v for k, v in spec.items() if k != "name"}
    name = spec["name"]
    if name not in REGULARIZERS:
        raise InvalidInputError(f"unknown regularizer {name!r}; known: {sorted(REGULARIZERS)}")
    build = REGULARIZERS[name]
    build(**params)  # validate now, not inside a method's training loop

    def make_hooks() -> list[TrainingHook]:
        return [build(**params)]

    return make_hooks
