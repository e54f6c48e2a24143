"""Reading design-bench-layout shards: ``<data_dir>/<folder>/<prefix>-{x,y}-<i>.npy``."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import DATA_SOURCE_HINT, data_dir
from ..errors import MissingDataError


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


def load_shards(pairs: list[tuple[Path, Path]]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the x and y shards in order."""
    xs, ys = zip(*[(np.load(px), np.load(py)) for px, py in pairs])
    x, y = np.concatenate(xs), np.concatenate(ys).astype(np.float32).reshape(-1, 1)
    if x.shape[0] != y.shape[0]:
        raise MissingDataError(f"x and y shards disagree in length ({x.shape[0]} vs {y.shape[0]}) under {pairs[0][0].parent}")
    return x, y
