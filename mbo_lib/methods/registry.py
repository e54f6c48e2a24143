"""The method registry."""
from __future__ import annotations

import difflib

from ..errors import UnknownMethodError
from .base import Method

METHODS: dict[str, Method] = {}


def register(cls: type[Method]) -> type[Method]:
    """Class decorator: register one instance of a :class:`Method` subclass under ``cls.name``."""
    METHODS[cls.name] = cls()
    return cls


def get_method(name: str) -> Method:
    if name in METHODS:
        return METHODS[name]
    by_lower = {k.lower(): k for k in METHODS}
    if isinstance(name, str) and name.lower() in by_lower:
        return METHODS[by_lower[name.lower()]]
    close = difflib.get_close_matches(str(name), list(METHODS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownMethodError(f"Unknown method {name!r}.{hint} Known methods: {', '.join(METHODS)}")


def method_names() -> list[str]:
    return list(METHODS)
