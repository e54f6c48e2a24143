"""Reading design-bench-layout shards: ``<data_dir>/<folder>/<prefix>-{x,y}-<i>.npy``.

Every shard is checked as it is read, and a bad one is reported by its path and what is wrong with it (not a
``.npy`` file, unreadable header, truncated data, wrong dtype or shape, x/y row counts that differ, values out of
range or not finite) as :class:`InvalidInputError`; a missing one as :class:`MissingDataError`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from ..config import DATA_SOURCE_HINT, data_dir
from ..errors import InvalidInputError, MissingDataError

REDOWNLOAD_HINT = "the file is damaged: download it again"


def shard_paths(folder: str, prefix: str, num_shards: int, root: str | Path | None = None) -> list[tuple[Path, Path]]:
    """The ``(x, y)`` shard paths of one dataset, checked to exist (a missing file is reported by name)."""
    root = Path(root) if root is not None else data_dir()
    base = root / folder
    pairs = [(base / f"{prefix}-x-{i}.npy", base / f"{prefix}-y-{i}.npy") for i in range(num_shards)]
    missing = [str(p) for pair in pairs for p in pair if not p.exists()]
    if missing:
        where = "does not exist" if not root.exists() else f"lacks {len(missing)} of {2 * num_shards} files"
        shown = ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "")
        raise MissingDataError(f"The data directory {root} {where} (e.g. {shown}). Expected the design-bench layout "
                               f"{folder}/{prefix}-x-<i>.npy and -y-<i>.npy for i in 0..{num_shards - 1}. "
                               f"{DATA_SOURCE_HINT}")
    return pairs


def load_npy(path: Path) -> np.ndarray:
    """``np.load`` of one numeric ``.npy`` file (never unpickling), with errors that name the file.

    Raises:
        InvalidInputError: not a ``.npy`` file, an unreadable header, an object or non-numeric dtype, or truncated data.
    """
    try:
        with open(path, "rb") as f:
            try:
                version = np.lib.format.read_magic(f)
            except ValueError as exc:
                raise InvalidInputError(f"{path}: not a NumPy .npy file (it does not start with the .npy magic "
                                        f"string); {REDOWNLOAD_HINT}") from exc
            fmt = np.lib.format
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            try:
                shape, _, dtype = read_header(f)
            except (ValueError, SyntaxError, TypeError) as exc:
                raise InvalidInputError(f"{path}: unreadable .npy header ({exc}); {REDOWNLOAD_HINT}") from exc
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot be read ({exc})") from exc
    if dtype.hasobject or not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise InvalidInputError(f"{path}: holds dtype {dtype}, expected integer or floating-point numbers; "
                                f"{REDOWNLOAD_HINT}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise InvalidInputError(f"{path}: truncated or corrupt data for shape {shape} dtype {dtype} ({exc}); "
                                f"{REDOWNLOAD_HINT}") from exc


def _check_x(path: Path, x: np.ndarray, width: int | None, num_classes: int | None) -> np.ndarray:
    if x.ndim != 2 or (width is not None and x.shape[1] != width):
        expected = f"(n, {width})" if width is not None else "(n, d)"
        raise InvalidInputError(f"{path}: x shard of shape {x.shape}, expected {expected}; {REDOWNLOAD_HINT}")
    if num_classes is not None:
        if not np.issubdtype(x.dtype, np.integer):
            raise InvalidInputError(f"{path}: x shard of dtype {x.dtype}, expected integers in [0, {num_classes}); "
                                    f"{REDOWNLOAD_HINT}")
        bad = (x < 0) | (x >= num_classes)
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            raise InvalidInputError(f"{path}: {rows.size} rows hold values outside [0, {num_classes}) (first at row "
                                    f"{rows[0]}: {x[rows[0]].tolist()}); {REDOWNLOAD_HINT}")
    elif np.issubdtype(x.dtype, np.floating):
        _check_finite(path, "x", x)
    return x


def _check_finite(path: Path, kind: str, a: np.ndarray) -> None:
    if a.size == 0:
        return
    bad = ~np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise InvalidInputError(f"{path}: {rows.size} of {a.shape[0]} rows of this {kind} shard are not finite "
                                f"(NaN or inf; first at row {rows[0]}); {REDOWNLOAD_HINT}")


def _check_y(path: Path, y: np.ndarray, x_path: Path, x_rows: int) -> np.ndarray:
    if not (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        raise InvalidInputError(f"{path}: y shard of shape {y.shape}, expected (n, 1); {REDOWNLOAD_HINT}")
    if y.shape[0] != x_rows:
        raise InvalidInputError(f"{path} has {y.shape[0]} rows but its x shard {x_path.name} has {x_rows}: "
                                f"x and y shards must have equal row counts; {REDOWNLOAD_HINT}")
    y = y.astype(np.float32).reshape(-1, 1)
    _check_finite(path, "y", y)
    return y


def iter_shards(pairs: list[tuple[Path, Path]], x_width: int | None = None,
                num_classes: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each ``(x, y)`` shard pair, read and checked: ``x`` ``n x x_width`` (integers in ``[0, num_classes)`` when
    given, else finite numbers), ``y`` ``n x 1`` float32 and finite, equal row counts.

    Raises:
        InvalidInputError: naming the shard file and what is wrong with it.
    """
    for px, py in pairs:
        x = _check_x(px, load_npy(px), x_width, num_classes)
        yield x, _check_y(py, load_npy(py), px, x.shape[0])


def check_rows(n: int, pairs: list[tuple[Path, Path]]) -> None:
    """Refuse a dataset whose shards hold no row at all."""
    if n == 0:
        raise InvalidInputError(f"the shards under {pairs[0][0].parent} hold no rows; {REDOWNLOAD_HINT}")


def load_shards(pairs: list[tuple[Path, Path]], x_width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the checked x and y shards in order (see :func:`iter_shards`)."""
    xs, ys = zip(*iter_shards(pairs, x_width))
    widths = sorted({x.shape[1] for x in xs})
    if len(widths) > 1:
        raise InvalidInputError(f"the x shards under {pairs[0][0].parent} differ in width {widths}; {REDOWNLOAD_HINT}")
    x, y = np.concatenate(xs), np.concatenate(ys)
    check_rows(x.shape[0], pairs)
    return x, y
