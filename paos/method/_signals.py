"""Stage 3: signal scores (methodology sections 4 and 6).

Works on a frame of many engagements at once: one engagement is the case
N = 1. Every quantity is a polars expression over groups, no Python loop
over rows.
"""

from __future__ import annotations

import polars as pl

from paos.method._numbers import cmp
from paos.method.rulebook import Rulebook

ENG = "engagement_id"


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


def people_aggs(rulebook: Rulebook) -> list[pl.Expr]:
    """Per perspective rated by people: count, sum and sum of squares of the ratings
    (`n_<p>`, `s_<p>`, `ss_<p>`). Integer sums are exact, so they do not depend on
    row order, and one rater's part can be taken out of them exactly (robustness)."""
    r = pl.col("rating").cast(pl.Float64)
    aggs = []
    for p in rulebook.people_perspectives:
        rp = pl.when(pl.col("perspective") == p).then(r)  # null for other perspectives
        aggs += [
            rp.count().alias(f"n_{p}"),
            rp.sum().alias(f"s_{p}"),
            (rp * rp).sum().alias(f"ss_{p}"),
        ]
    return aggs


def signal_aggregates(
    ratings: pl.DataFrame, metric_rated: pl.DataFrame, rulebook: Rulebook
) -> pl.DataFrame:
    """Per engagement and signal with any rating or metric: the people aggregates
    (`people_aggs`) and the metric perspective's part (`n_<m>`, `s_<m>`, m the rulebook's
    `metric_perspective`). One pass over the ratings."""
    r = pl.col("rating").cast(pl.Float64)
    m = rulebook.metric_perspective
    data = (
        metric_rated.lazy()
        .group_by(ENG, "signal_id")
        .agg(r.count().alias(f"n_{m}"), r.sum().alias(f"s_{m}"))
    )
    return (
        ratings.lazy()
        .group_by(ENG, "signal_id")
        .agg(people_aggs(rulebook))
        .join(data, on=[ENG, "signal_id"], how="full", coalesce=True)
        .collect(engine="streaming")
    )  # about 2x the in-memory engine here


def score_signals(
    ratings: pl.DataFrame, metric_rated: pl.DataFrame, engagement_ids: pl.Series, rulebook: Rulebook
) -> pl.DataFrame:
    """Per engagement and signal: perspective means, score V, strategic S, reality R,
    agreement (r_wg), validated, n_ratings, status. Every signal of the catalogue
    appears for every engagement, `no_evidence` where nothing rated it.
    """
    aggregates = signal_aggregates(ratings, metric_rated, rulebook)
    return signals_from_aggregates(aggregates, engagement_ids, rulebook)


def signals_from_aggregates(
    per_signal: pl.DataFrame, engagement_ids: pl.Series, rulebook: Rulebook, grid: bool = True
) -> pl.DataFrame:
    """`score_signals` from the aggregates of `signal_aggregates` (keyed by any
    `engagement_id`: robustness passes variant ids here). Without `grid`, only the
    signals with evidence (the `no_evidence` rows left out: no later stage counts them)."""
    strategic = rulebook["strategic_perspective"]
    weights = rulebook.perspective_weights  # includes the metric perspective
    people = rulebook.people_perspectives  # rated by stakeholders
    counts = {p: pl.col(f"n_{p}").fill_null(0) for p in weights}
    per_signal = per_signal.select(
        ENG,
        "signal_id",
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
    ).filter(pl.col("n_ratings") > 0)

    def weighted(names: list[str]) -> pl.Expr:
        """Weighted mean of the perspective means present, in a fixed order."""
        num = pl.sum_horizontal([weights[p] * pl.col(f"mean_{p}") for p in names])
        den = pl.sum_horizontal(
            [pl.when(pl.col(f"mean_{p}").is_not_null()).then(weights[p]) for p in names]
        )
        return pl.when(den > 0).then(num / den)

    n, s1, s2 = pl.col("n_people"), pl.col("s_people"), pl.col("ss_people")
    per_signal = per_signal.with_columns(
        score=weighted(list(weights)),
        strategic=pl.col(f"mean_{strategic}"),
        reality=weighted([p for p in weights if p != strategic]),
        variance=(s2 - s1 * s1 / n) / (n - 1),
    ).drop("s_people", "ss_people")

    ag = rulebook["agreement"]
    d = rulebook.decimals
    agreement = pl.when(pl.col("n_people") >= ag["min_ratings"]).then(
        pl.max_horizontal(
            pl.lit(0.0), 1 - pl.col("variance").clip(lower_bound=0) / ag["null_variance"]
        )
    )
    if grid:
        full = pl.DataFrame({ENG: engagement_ids.unique().sort()}).join(
            rulebook.signal_table(), how="cross"
        )
        joined = full.join(per_signal, on=[ENG, "signal_id"], how="left")
    else:
        joined = per_signal.join(rulebook.signal_table(), on="signal_id", how="inner")
    return (
        joined.with_columns(
            pl.col("n_ratings").fill_null(0).cast(pl.Int32),
            pl.col("n_perspectives").fill_null(0).cast(pl.Int32),
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
