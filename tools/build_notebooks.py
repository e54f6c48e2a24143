"""Build ``notebooks/<name>.ipynb`` from ``notebooks/src/<name>.py`` (jupytext percent format) and execute it.

Usage:
    python tools/build_notebooks.py                 # all notebooks, executed at the quick profile
    python tools/build_notebooks.py 00_quickstart   # one (or several) by name
    python tools/build_notebooks.py --no-execute    # convert only

The committed notebooks are executed at ``quick`` from the committed run records, so a reader sees our
reported numbers; missing records are computed (and then should be committed too).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"


def build(name: str, execute: bool, profile: str, compute_missing: bool = True) -> Path:
    nb = jupytext.read(SRC / f"{name}.py")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    out = OUT / f"{name}.ipynb"
    nbformat.write(nb, out)
    if execute:
        env = os.environ.setdefault("MBO_PROGRESS", "0")
        del env
        params = {"profile": profile}
        declared = pm.inspect_notebook(str(out))
        if not compute_missing and "compute_missing" in declared:
            params["compute_missing"] = False
        pm.execute_notebook(str(out), str(out), parameters=params, cwd=str(OUT), kernel_name="python3",
                            progress_bar=False)
        nb = nbformat.read(out, as_version=4)
        nb.metadata.pop("papermill", None)
        for cell in nb.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
        nbformat.write(nb, out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names (default: all in notebooks/src)")
    parser.add_argument("--no-execute", action="store_true", help="convert only")
    parser.add_argument("--profile", default="quick", choices=["smoke", "quick", "paper"])
    parser.add_argument("--no-compute", action="store_true",
                        help="pass compute_missing=False to notebooks that declare it (render only existing records)")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.stem for p in SRC.glob("*.py"))
    for name in names:
        if not (SRC / f"{name}.py").exists():
            print(f"no such notebook source: {SRC / (name + '.py')}", file=sys.stderr)
            return 2
        print(f"building {name} ...", flush=True)
        print(f"  -> {build(name, not args.no_execute, args.profile, not args.no_compute)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
