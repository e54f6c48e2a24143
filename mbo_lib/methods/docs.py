"""The profile tables of the method modules' docstrings, generated from the profiles.

Each method module's docstring holds, between the lines ``.. profile-table`` and ``.. end profile-table``, the
table :func:`~mbo_lib.methods.base.profile_table` renders from its method's profiles, so the documentation
cannot drift from the dataclass: ``tests/methods/test_configs.py`` fails when a table is stale, and
``python -m mbo_lib.methods.docs`` rewrites the tables in place.
"""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

from .base import profile_table
from .registry import METHODS

BEGIN, END = ".. profile-table\n", ".. end profile-table\n"
_BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)


def method_modules() -> dict[str, str]:
    """``{module name: method name}``, one method per module (GA-Ensemble-Mean and -Min share a table)."""
    out: dict[str, str] = {}
    for name, method in METHODS.items():
        out.setdefault(type(method).__module__, name)
    return out


def expected_block(method_name: str) -> str:
    return f"{BEGIN}\n{profile_table(METHODS[method_name])}\n\n{END}"


def current_block(module_name: str) -> str | None:
    """The table block of a module's docstring as written in its source (``None`` if it has none)."""
    source = Path(importlib.import_module(module_name).__file__).read_text()
    found = _BLOCK.search(source)
    return found.group(0) if found else None


def rewrite(module_name: str) -> bool:
    """Regenerate one module's table in its source file; returns whether it changed."""
    path = Path(importlib.import_module(module_name).__file__)
    source = path.read_text()
    new = _BLOCK.sub(lambda _: expected_block(method_modules()[module_name]), source, count=1)
    if new != source:
        path.write_text(new)
    return new != source


def main() -> None:
    changed = [m for m in method_modules() if rewrite(m)]
    print("rewrote: " + (", ".join(changed) or "nothing"), file=sys.stderr)


if __name__ == "__main__":
    main()
