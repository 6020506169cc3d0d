"""Stage 6: dimension scores, the Partner Architecture Index and the
installation modules (methodology sections 7 and 8).
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from paos.base.rulebook import Rulebook
from paos.method._gaps import is_gap
from paos.method._keys import ENG, KEYS
from paos.method._numbers import band, cmp, display_expr

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def maturity(expr: pl.Expr, rulebook: Rulebook) -> pl.Expr:
    """Maturity band of a PAI or dimension score (null stays null)."""
    bands = [(m["name"], m["min"]) for m in rulebook["maturity"]]
    return pl.when(expr.is_not_null()).then(band(cmp(expr, rulebook.decimals), bands))


def _kahan(frame: pl.DataFrame, sums: dict[str, list[tuple[str, str]]]) -> pl.DataFrame:
    """`frame` with a column per name of `sums`: the compensated (Kahan) sum of its value
    columns whose keep column holds, in the order given (the sum a polars group-by gave
    the dimension scores when the engine was written, now spelled out so it does not
    depend on how polars picks its group-by path). One step per term, every sum at once:
    materialised step by step, since the nested expression repeats each earlier step."""
    out = frame.with_columns(
        *[pl.lit(0.0).alias(n) for n in sums], *[pl.lit(0.0).alias(f"_c_{n}") for n in sums]
    )
    for step in range(max(len(terms) for terms in sums.values())):
        exprs = []
        for n, terms in sums.items():
            if step < len(terms):
                value, keep = terms[step]
                total, comp = pl.col(n), pl.col(f"_c_{n}")
                y = pl.col(value) - comp
                t = total + y
                exprs += [
                    pl.when(keep).then((t - total) - y).otherwise(comp).alias(f"_c_{n}"),
                    pl.when(keep).then(t).otherwise(total).alias(n),
                ]
        out = out.with_columns(exprs)
    return out.drop([f"_c_{n}" for n in sums])


def _plain(terms: list[pl.Expr]) -> pl.Expr:
    """Sum of the non-null values in the order given, one addition after the other."""
    total = pl.lit(0.0)
    for value in terms:
        total = total + value.fill_null(0.0)
    return total


def _columns(frame: Frame, width: int, exprs: dict[str, pl.Expr]) -> Frame:
    """`frame` holds `width` rows per unit (engagement, variant), always in the same
    order: one row per unit, with `<name><i>` the value of `exprs[name]` on its i-th row.
    Each expression is evaluated once over `frame`, then its rows picked: an eager
    select has no common-subexpression elimination, and evaluating it per offset cost
    `width` times the work."""
    values = frame.select(pl.col(KEYS), **exprs)
    return values.select(
        pl.col(KEYS).gather_every(width),
        *[
            pl.col(n).gather_every(width, offset=i).alias(f"{n}{i}")
            for n in exprs
            for i in range(width)
        ],
    )


def _rows(frame: pl.DataFrame, exprs: dict[str, list[pl.Expr]]) -> pl.DataFrame:
    """The inverse of `_columns`: `width` rows per row of `frame` (a unit), the i-th
    with `<name>` the value of `exprs[name][i]`, every list `width` long. Stacked by
    position, then picked in unit order (a list column and its explode cost 20 times
    as much)."""
    width = len(next(iter(exprs.values())))
    stacked = pl.concat(
        [frame.select(*KEYS, **{n: e[i] for n, e in exprs.items()}) for i in range(width)]
    )
    at = pl.int_range(0, stacked.height, eager=True)
    return stacked[(at % width) * frame.height + at // width]


def score_dimensions(signals: pl.DataFrame, rulebook: Rulebook) -> pl.LazyFrame:
    """Per engagement, variant and dimension: weighted score over scored signals,
    coverage, status, maturity and gap count. Below the minimum coverage the score is
    null. `signals` as `signals_from_aggregates` lays it out (every catalogue signal of a
    unit, in catalogue order); a dimension's sums run over its signals in that order.
    Lazy from the sums on, so a caller that reads a few columns (robustness: the score)
    pays for those only.
    """
    order = {s.id: i for i, s in enumerate(rulebook.signals)}
    wide = _columns(
        signals,
        len(order),
        {
            "x": pl.col("signal_weight") * pl.col("score"),
            "w": pl.col("signal_weight"),
            "k": pl.col("status") == "scored",
            "g": is_gap(rulebook),
        },
    )
    members = [[order[s.id] for s in d.signals] for d in rulebook.dimensions]

    def count(flag: str) -> list[pl.Expr]:
        return [
            pl.sum_horizontal([pl.col(f"{flag}{j}").cast(pl.UInt32) for j in m]) for m in members
        ]

    sums = {
        f"_{a}sum{d}": [(f"{a}{j}", f"k{j}") for j in m]
        for a in ("x", "w")
        for d, m in enumerate(members)
    }
    positions = range(len(members))
    per_dim = _rows(
        _kahan(wide, sums),
        {
            "n_scored": count("k"),
            "wsum": [pl.col(f"_xsum{d}") for d in positions],
            "w": [pl.col(f"_wsum{d}") for d in positions],
            "gap_count": count("g"),
        },
    )
    dims = rulebook.dimension_table()
    at = pl.int_range(0, per_dim.height, eager=True) % dims.height  # dimension order per unit
    enough = cmp(pl.col("coverage"), rulebook.decimals) >= rulebook["min_coverage"]
    return (
        pl.concat([per_dim.select(KEYS), dims.select(pl.all().gather(at))], how="horizontal")
        .hstack(per_dim.select("n_scored", "wsum", "w", "gap_count"))
        .lazy()
        .with_columns(
            coverage=pl.col("n_scored") / pl.col("n_signals"),
            gap_count=pl.col("gap_count").cast(pl.Int32),
        )
        .with_columns(
            score=pl.when(enough).then(pl.col("wsum") / pl.col("w")),
            status=pl.when(enough)
            .then(pl.lit("scored"))
            .otherwise(pl.lit("insufficient_evidence")),
        )
        .with_columns(maturity=maturity(pl.col("score"), rulebook))
        .drop("wsum", "w")
    )


def score_index(dimensions: Frame, rulebook: Rulebook) -> Frame:
    """Per engagement and variant: PAI (weighted mean of the dimension scores, summed in
    dimension order), status, display and maturity; `incomplete` names the dimensions
    without a score. `dimensions` as `score_dimensions` lays it out (lazy too).
    """
    names = [d.id for d in rulebook.dimensions]
    width = len(names)
    wide = _columns(
        dimensions,
        width,
        {"x": pl.col("dimension_weight") * pl.col("score"), "w": pl.col("dimension_weight")},
    )
    missing = pl.concat_list(
        [pl.when(pl.col(f"x{i}").is_null()).then(pl.lit(n)) for i, n in enumerate(names)]
    ).list.drop_nulls()
    out = (
        wide.select(
            *KEYS,
            pai=_plain([pl.col(f"x{i}") for i in range(width)])
            / _plain([pl.col(f"w{i}") for i in range(width)]),
            missing=missing,
        )
        .with_columns(
            status=pl.when(pl.col("missing").list.len() == 0)
            .then(pl.lit("complete"))
            .otherwise(pl.lit("incomplete"))
        )
        .with_columns(pai=pl.when(pl.col("status") == "complete").then(pl.col("pai")))
        .with_columns(maturity=maturity(pl.col("pai"), rulebook))
        .rename({"missing": "incomplete_dimensions"})
    )
    return out.with_columns(
        pai_display=display_expr(pl.col("pai"), rulebook["display_decimals"], rulebook.decimals)
    )


def installation_modules(gaps: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """One module per dimension with at least one gap; its scope items are those
    gaps (roadmap order) and its priority the best among them.
    """
    dims = rulebook.dimension_table().select("dimension", "module")
    return (
        gaps.group_by(ENG, "dimension", maintain_order=True)
        .agg(
            priority_rank=pl.col("priority_rank").min(),
            priority=pl.col("priority").sort_by("priority_rank").first(),
            tier=pl.col("tier").first(),
            dimension_order=pl.col("dimension_order").first(),
            signals=pl.col("signal_id"),
        )
        .join(dims, on="dimension", how="left")
        .sort(ENG, "priority_rank", "tier", "dimension_order")
    )
