"""Surrogate regularizers a run can add to any method: ``RunSpec(..., regularizer={"name": "ignite", ...})``.

:func:`regularizer_factory` turns such a spec into a hook factory: a callable that returns a fresh list of
:class:`~mbo_lib.surrogates.trainer.TrainingHook` objects on every call. Methods call it once per surrogate they
train, so each ensemble member gets its own hook state (IGNITE: one multiplier per member, as in the paper).
"""
from __future__ import annotations

from typing import Callable

from ..errors import InvalidInputError
from ..surrogates.trainer import TrainingHook
from .ignite import IGNITE2_DEFAULTS, IgniteConfig, ignite2_hook, ignite_hook

HookFactory = Callable[[], list[TrainingHook]]

REGULARIZERS: dict[str, Callable[..., TrainingHook]] = {"ignite": ignite_hook, "ignite2": ignite2_hook}
_DEFAULTS: dict[str, dict] = {"ignite": IgniteConfig().as_dict(),
                              "ignite2": IgniteConfig(**IGNITE2_DEFAULTS).as_dict()}


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
