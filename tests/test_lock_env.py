"""tools/lock_env.py: a lock file that is not UTF-8 is named in one line, not a raw UnicodeDecodeError."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("lock_env_tool", ROOT / "tools" / "lock_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_non_utf8_lock_file_is_named_in_one_line(tmp_path, capsys, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "lock_text", lambda python: "numpy==2.0.0\n")  # no pip freeze: fast
    lock = tmp_path / "requirements-lock.txt"
    lock.write_bytes(b"numpy==2.0.0\ntorch==2.1\xff\n")
    assert tool.main(["--check", "--output", str(lock)]) == 2
    err = capsys.readouterr().err
    assert err == (f"lock_env.py: error: {lock}: not UTF-8 text (byte 0xff at offset 23); "
                   "regenerate it with python tools/lock_env.py\n")
    lock.write_text("numpy==2.0.0\n", encoding="utf-8")  # a UTF-8 lock still compares
    assert tool.main(["--check", "--output", str(lock)]) == 0
