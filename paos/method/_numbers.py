"""Number rules shared by every stage: 6-decimal comparisons, half-up display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import overload

import polars as pl


def cmp(expr: pl.Expr, decimals: int) -> pl.Expr:
    """The value as compared against any threshold: rounded to `decimals`."""
    return expr.round(decimals)


@overload
def display(value: float, decimals: int = 1, compare_decimals: int = 6) -> str: ...
@overload
def display(value: None, decimals: int = 1, compare_decimals: int = 6) -> None: ...
def display(value: float | None, decimals: int = 1, compare_decimals: int = 6) -> str | None:
    """Half-up display of a stored value (2.25 -> '2.3'), after the comparison rounding."""
    if value is None:
        return None
    exact = Decimal(repr(round(value, compare_decimals)))
    return str(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def band(expr: pl.Expr, bands: list[tuple[str, float]]) -> pl.Expr:
    """Name of the band with the highest lower bound not above the value (bands ascending)."""
    out = pl.lit(None, dtype=pl.String)
    for name, lower in bands:
        out = pl.when(expr >= lower).then(pl.lit(name)).otherwise(out)
    return out


def display_expr(expr: pl.Expr, decimals: int = 1, compare_decimals: int = 6) -> pl.Expr:
    """`display()` as a polars expression, in exact integer arithmetic: the value
    rounded to `compare_decimals`, then half up to `decimals` (non-negative values)."""
    scaled = (expr.round(compare_decimals) * 10**compare_decimals).round(0).cast(pl.Int64)
    unit = 10 ** (compare_decimals - decimals)
    kept = (scaled + unit // 2) // unit
    if decimals == 0:
        return kept.cast(pl.String)
    whole, frac = kept // 10**decimals, kept % 10**decimals
    return pl.format("{}.{}", whole, frac.cast(pl.String).str.zfill(decimals))


def signed(delta: float | None, decimals: int = 1) -> str | None:
    """A delta for display: '+0.3', '-0.3', '0.0' (no sign when it shows as zero)."""
    if delta is None:
        return None
    shown = display(abs(delta), decimals)
    if float(shown) == 0:
        return shown
    return ("+" if delta > 0 else "-") + shown
