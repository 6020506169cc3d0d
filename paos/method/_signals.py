"""Stage 3: signal scores (methodology sections 4 and 6).

Works on a frame of many engagements at once: one engagement is the case
N = 1. Every quantity is a polars expression over groups, no Python loop
over rows.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from paos.base.rulebook import Rulebook
from paos.method._keys import ENG, FULL, KEYS, code
from paos.method._numbers import cmp

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def metric_table(rulebook: Rulebook) -> pl.DataFrame:
    """The rulebook's metric bands as a frame: one column per cut point (c1 < c2 < ...)."""
    ms = rulebook.metrics
    cuts = {f"c{i + 1}": [m.cuts[i] for m in ms] for i in range(len(ms[0].cuts))}
    return pl.DataFrame(
        {
            "metric_id": [m.id for m in ms],
            "unit": [m.unit for m in ms],
            "signal_id": [m.signal for m in ms],
            "direction": [m.direction for m in ms],
            "cuts": [", ".join(f"{c:g}" for c in m.cuts) for m in ms],
            **cuts,
        }
    )


def metric_ratings(metrics: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """Turn metric values into ratings of the metric perspective by their bands (section 6).

    Higher is better: the lowest level plus the number of cut points the value
    reaches (v >= c). Lower is better: the highest level minus the number of
    cut points the value exceeds (v > c). In: engagement_id, metric_id, value.
    Out: one row per metric with signal_id, rating and its band columns.
    """
    table = metric_table(rulebook)
    v = cmp(pl.col("value"), rulebook.decimals)
    cuts = [c for c in table.columns if c[0] == "c" and c[1:].isdigit()]
    hi, lo = rulebook["rating_scale"]["max"], rulebook["rating_scale"]["min"]
    reached = pl.sum_horizontal([(v >= pl.col(c)).cast(pl.Int8) for c in cuts])
    exceeded = pl.sum_horizontal([(v > pl.col(c)).cast(pl.Int8) for c in cuts])
    return (
        metrics.select(ENG, "metric_id", pl.col("value").cast(pl.Float64))
        .join(table, on="metric_id", how="inner")
        .with_columns(
            rating=pl.when(pl.col("direction") == "higher")
            .then(lo + reached)
            .otherwise(hi - exceeded)
            .cast(pl.Int8)
        )
    )


def rating_parts(rulebook: Rulebook) -> list[pl.Expr]:
    """Each rating's part in the people aggregates, per perspective p rated by people:
    `n_<p>` 1 for a non-blank rating from p, `s_<p>` the rating and `ss_<p>` its square
    (0 otherwise). Integers, so their sums are exact in any order, and one rater's part
    can be taken out of them exactly (robustness); 32-bit, as the sums of a signal's
    ratings stay far below 2^31 and a pass over them moves half the bytes of Float64."""
    r = pl.col("rating").cast(pl.Int32)
    parts = []
    for p in rulebook.people_perspectives:
        mine = (pl.col("perspective") == p) & pl.col("rating").is_not_null()
        rp = pl.when(mine).then(r).otherwise(pl.lit(0, dtype=pl.Int32))
        parts += [
            mine.cast(pl.UInt32).alias(f"n_{p}"),
            rp.alias(f"s_{p}"),
            (rp * rp).alias(f"ss_{p}"),
        ]
    return parts


def metric_aggregates(metric_rated: pl.DataFrame, rulebook: Rulebook) -> pl.LazyFrame:
    """Per engagement and signal with a metric-derived rating: the metric perspective's
    count and sum (`n_<m>`, `s_<m>`, m the rulebook's `metric_perspective`)."""
    r = pl.col("rating").cast(pl.Float64)
    m = rulebook.metric_perspective
    return (
        metric_rated.lazy()
        .group_by(ENG, "signal_id")
        .agg(r.count().alias(f"n_{m}"), r.sum().alias(f"s_{m}"))
    )


def signal_aggregates(
    ratings: pl.DataFrame, metric_rated: pl.DataFrame, ids: pl.Series, rulebook: Rulebook
) -> dict[str, pl.Series]:
    """Every rater included, the `aggregate_columns` of engagement e (its position in
    `ids`, distinct and sorted) and catalogue signal j at position e * width + j, as
    `grid` lays them out; 0 where nothing rated the signal. The people aggregates are
    the sums of `rating_parts` per engagement and signal (one pass over the ratings),
    the metric perspective's from `metric_aggregates`; both placed by position (codes
    of the few aggregated rows), not joined by key. Ratings of an engagement or a signal
    not known count nowhere, as in a join."""
    width = len(rulebook.signals)
    cell = (code(ENG, ids) * width + code("signal_id", [s.id for s in rulebook.signals])).alias(
        "_k"
    )
    parts = rating_parts(rulebook)
    people = [e.meta.output_name() for e in parts]
    sums = [f"{a}_{p}" for p in rulebook.people_perspectives for a in ("s", "ss")]
    per = (
        ratings.lazy()
        .group_by(ENG, "signal_id")
        .agg(e.sum() for e in parts)
        .select(cell, *people)
        .with_columns(pl.col(sums).cast(pl.Float64))  # as the stages read them
        .drop_nulls("_k")
        .collect(engine="streaming")
    )  # the streaming engine is up to 2x the in-memory one here
    m = rulebook.metric_perspective
    data = (
        metric_aggregates(metric_rated, rulebook)
        .select(cell, f"n_{m}", f"s_{m}")
        .drop_nulls("_k")
        .collect()
    )
    size = ids.len() * width
    out = {c: _scatter(size, per["_k"], per[c]) for c in people}
    return out | {c: _scatter(size, data["_k"], data[c]) for c in (f"n_{m}", f"s_{m}")}


def _scatter(size: int, at: pl.Series, values: pl.Series) -> pl.Series:
    """A column of `size` zeros with `values` at the positions `at`."""
    return pl.zeros(size, dtype=values.dtype, eager=True).scatter(at, values)


def aggregate_columns(rulebook: Rulebook) -> list[str]:
    """The columns of `signal_aggregates` besides its keys."""
    m = rulebook.metric_perspective
    people = [f"{a}_{p}" for p in rulebook.people_perspectives for a in ("n", "s", "ss")]
    return [*people, f"n_{m}", f"s_{m}"]


def grid(units: Frame, rulebook: Rulebook) -> Frame:
    """One row per (engagement, variant) of `units` and catalogue signal, with the
    signal's rulebook columns: units in the order given, signals in catalogue order.
    The layout every later stage reads (lazy too: robustness builds only the columns
    its stages read)."""
    table = rulebook.signal_table()
    return units.select(KEYS).join(
        table if isinstance(units, pl.DataFrame) else table.lazy(),
        how="cross",
        maintain_order="left_right",
    )


def score_signals(
    ratings: pl.DataFrame, metric_rated: pl.DataFrame, engagement_ids: pl.Series, rulebook: Rulebook
) -> pl.DataFrame:
    """Per engagement and signal: perspective means, score V, strategic S, reality R,
    agreement (r_wg), validated, n_ratings, status. Every signal of the catalogue
    appears for every engagement, `no_evidence` where nothing rated it. Variant 0:
    every rater's ratings count.
    """
    ids = engagement_ids.unique().sort()
    units = pl.DataFrame({ENG: ids}).with_columns(FULL)
    aggregates = signal_aggregates(ratings, metric_rated, ids, rulebook)
    cells = grid(units, rulebook).with_columns(**aggregates)
    return signals_from_aggregates(cells.lazy(), rulebook).collect()


def signals_from_aggregates(cells: pl.LazyFrame, rulebook: Rulebook) -> pl.LazyFrame:
    """`score_signals` from `cells`: the `grid` of some (engagement, variant) units with
    their aggregates (`aggregate_columns`, null or 0 where nothing rated the signal).
    Variant 0 has those of `signal_aggregates`; robustness gives variant k those minus
    rater k's own part (the `rating_parts` of k's ratings; integer sums, so exact).
    Lazy: the expressions share their common parts (a third less work than eager)."""
    strategic = rulebook["strategic_perspective"]
    weights = rulebook.perspective_weights  # includes the metric perspective
    people = rulebook.people_perspectives  # rated by stakeholders
    names = cells.collect_schema().names()
    layout = [c for c in names if c not in aggregate_columns(rulebook)]
    joined = cells
    counts = {p: pl.col(f"n_{p}").fill_null(0) for p in weights}
    evidence = pl.col("n_ratings") > 0
    per_signal = joined.select(
        *layout,
        *[
            pl.when(counts[p] > 0).then(pl.col(f"s_{p}") / counts[p]).alias(f"mean_{p}")
            for p in weights
        ],
        pl.sum_horizontal([(counts[p] > 0).cast(pl.UInt32) for p in weights]).alias(
            "n_perspectives"
        ),
        pl.sum_horizontal([counts[p] for p in weights]).alias("n_ratings"),
        pl.sum_horizontal([counts[p] for p in people]).alias("n_people"),
        pl.sum_horizontal([pl.col(f"s_{p}") for p in people]).alias("s_people"),
        pl.sum_horizontal([pl.col(f"ss_{p}") for p in people]).alias("ss_people"),
    )

    def weighted(names: list[str]) -> pl.Expr:
        """Weighted mean of the perspective means present, in a fixed order."""
        num = pl.sum_horizontal([weights[p] * pl.col(f"mean_{p}") for p in names])
        # a column, never a constant: where every row has the same perspectives a
        # when/then of literals is one value, and polars divides by a constant as a
        # multiplication by its reciprocal (8.5 / 3 one bit off), so a score would
        # depend on the other rows of the frame
        den = pl.sum_horizontal(
            [pl.col(f"mean_{p}").is_not_null().cast(pl.Float64) * weights[p] for p in names]
        )
        return pl.when(den > 0).then(num / den)

    n, s1, s2 = pl.col("n_people"), pl.col("s_people"), pl.col("ss_people")
    per_signal = per_signal.with_columns(
        score=pl.when(evidence).then(weighted(list(weights))),
        strategic=pl.col(f"mean_{strategic}"),
        reality=pl.when(evidence).then(weighted([p for p in weights if p != strategic])),
        variance=(s2 - s1 * s1 / n) / (n - 1),
    ).drop("s_people", "ss_people")

    ag = rulebook["agreement"]
    d = rulebook.decimals
    agreement = pl.when(evidence & (pl.col("n_people") >= ag["min_ratings"])).then(
        pl.max_horizontal(
            pl.lit(0.0), 1 - pl.col("variance").clip(lower_bound=0) / ag["null_variance"]
        )
    )
    return (
        per_signal.with_columns(
            pl.col("n_ratings").cast(pl.Int32),
            pl.col("n_perspectives").cast(pl.Int32),
            agreement.alias("agreement"),
        )
        .with_columns(
            status=pl.when(pl.col("n_ratings") > 0)
            .then(pl.lit("scored"))
            .otherwise(pl.lit("no_evidence")),
            validated=pl.col("n_perspectives") >= rulebook["validated_min_perspectives"],
            low_consensus=(cmp(pl.col("agreement"), d) < ag["low_consensus_below"]).fill_null(
                False
            ),
        )
        .drop("n_people", "variance")
    )
