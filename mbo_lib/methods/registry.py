"""The method registry."""
from __future__ import annotations

import difflib

from ..errors import InvalidInputError, UnknownMethodError
from .base import Method

METHODS: dict[str, Method] = {}


def _same_class(a: type, b: type) -> bool:
    """The same class definition (a re-executed notebook cell or a reloaded module defines it again)."""
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def register(cls: type[Method] | None = None, *, replace: bool = False):
    """Class decorator: register one instance of a :class:`Method` subclass under ``cls.name``.

    ``@register`` refuses a name that is already taken by another method (a built-in such as ``"GA"``, compared
    case-insensitively, since :func:`get_method` ignores case) with :class:`~mbo_lib.errors.InvalidInputError`;
    ``@register(replace=True)`` replaces it on purpose. Registering the same class again (a re-run notebook cell)
    is allowed.
    """
    if cls is None:
        return lambda c: register(c, replace=replace)
    if not (isinstance(cls, type) and issubclass(cls, Method)):
        raise InvalidInputError(f"register expects a subclass of mbo_lib.methods.Method, got {cls!r}")
    name = cls.name
    taken = next((k for k in METHODS if k.lower() == str(name).lower()), None)
    if taken is not None and not replace and not _same_class(type(METHODS[taken]), cls):
        old = type(METHODS[taken])
        raise InvalidInputError(
            f"cannot register {cls.__module__}.{cls.__qualname__} as method {name!r}: the name is taken by "
            f"{old.__module__}.{old.__qualname__} ({taken!r}); give the method another name, or use "
            f"@register(replace=True) to replace {taken!r} on purpose")
    if taken is not None and taken != name:
        del METHODS[taken]
    METHODS[name] = cls()
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
