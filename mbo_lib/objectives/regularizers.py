"""Surrogate regularizers a run can add to any method: ``RunSpec(..., regularizer={"name": "ignite", ...})``.

:func:`regularizer_factory` turns such a spec into a hook factory: a callable that returns a fresh list of
:class:`~mbo_lib.surrogates.trainer.TrainingHook` objects on every call. Methods call it once per surrogate they
train, so each ensemble member gets its own hook state (IGNITE: one multiplier per member, as in the paper).
"""
from __future__ import annotations

from typing import Callable

from ..errors import InvalidInputError
from ..surrogates.trainer import TrainingHook
from .ignite import ignite2_hook, ignite_hook

HookFactory = Callable[[], list[TrainingHook]]

REGULARIZERS: dict[str, Callable[..., TrainingHook]] = {"ignite": ignite_hook, "ignite2": ignite2_hook}


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
