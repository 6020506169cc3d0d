"""The key of every stage frame: (engagement, variant).

Variant 0 is the engagement with all its evidence (what `score()` reports); variant
k > 0 is the engagement without its k-th rater (robustness-v1.md). The stages group
and join by these keys only, so the same code scores one variant or every
leave-one-rater-out variant of a portfolio at once.
"""

from __future__ import annotations

import math

import polars as pl

from paos._types import ENG

VARIANT = "variant"
KEYS = [ENG, VARIANT]
FULL = pl.lit(0, dtype=pl.UInt32).alias(VARIANT)  # variant 0: every rater


def code(col: str, values: pl.Series | list[str]) -> pl.Expr:
    """The position of `col` among `values` (distinct strings) as UInt32, null where it is
    not among them. An Enum cast: several times cheaper than a join or a `replace` on
    strings (0.06 CPU-s for 4.8M ratings)."""
    return pl.col(col).cast(pl.Enum(values), strict=False).to_physical().cast(pl.UInt32)


def sort_by_codes(frame: pl.DataFrame, bounds: dict[str, int], tie: str) -> pl.DataFrame:
    """`frame` sorted by its integer columns `bounds` in that order (column c holding
    values in [0, bounds[c]), nulls excluded), then by `tie`.

    The columns packed into one unsigned 64-bit key when their bounds allow: a sort on
    one integer is a third of one on several columns and a string (evidence of a
    portfolio's gaps, 0.36M rows: 10 ms against 36 ms). `tie` is read only when two rows
    share the key."""
    if math.prod(bounds.values()) > 2**64:
        return frame.sort(*bounds, tie)
    key = pl.lit(0, dtype=pl.UInt64)
    for col, bound in bounds.items():
        key = key * bound + pl.col(col).cast(pl.UInt64)
    out = frame.with_columns(key.alias("_order")).sort("_order")
    order = out["_order"]
    if (order.slice(1) == order.slice(0, max(order.len() - 1, 0))).any():
        out = out.sort("_order", tie)
    return out.drop("_order")
