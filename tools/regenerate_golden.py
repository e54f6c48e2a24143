"""Regenerate the nbval golden copies in ``tests/golden/`` after an intentional change.

Executes every notebook in ``notebooks/`` at the ``smoke`` profile (each in its own fresh temporary record
store, as nbval runs the golden copies; nothing committed is read), keeps the outputs of the cells nbval compares
(``# NBVAL_CHECK_OUTPUT``), clears the rest, and deletes golden copies whose notebook is gone. A notebook that fails keeps its old golden copy and the
command exits non-zero. Same as ``python run_all.py --profile smoke --update-golden``.

Usage:
    python tools/regenerate_golden.py                 # all notebooks
    python tools/regenerate_golden.py --only ignite   # some (no pruning then)
    python tools/regenerate_golden.py --jobs 2
Then review ``git diff tests/golden`` and commit the copies with the change that caused them.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import run_all  # noqa: E402

if __name__ == "__main__":
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__)
        sys.exit(0)
    sys.exit(run_all.main(["--profile", "smoke", "--update-golden", *sys.argv[1:]]))
