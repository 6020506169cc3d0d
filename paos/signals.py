"""Stage 3: signal scores (methodology sections 4 and 6).

Works on a frame of many engagements at once: one engagement is the case
N = 1. Every quantity is a polars expression over groups, no Python loop
over rows.
"""
from __future__ import annotations

import polars as pl

from paos._numbers import cmp
from paos.rulebook import Rulebook

ENG = "engagement_id"


def metric_table(rulebook: Rulebook) -> pl.DataFrame:
    """The rulebook's metric bands as a frame: one column per cut point (c1 < c2 < ...)."""
    ms = rulebook.metrics
    cuts = {f"c{i + 1}": [m.cuts[i] for m in ms] for i in range(len(ms[0].cuts))}
    return pl.DataFrame({
        "metric_id": [m.id for m in ms], "unit": [m.unit for m in ms],
        "signal_id": [m.signal for m in ms], "direction": [m.direction for m in ms],
        "cuts": [", ".join(f"{c:g}" for c in m.cuts) for m in ms], **cuts,
    })


def metric_ratings(metrics: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """Turn metric values into `data` ratings by their bands (section 6).

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
        .with_columns(rating=pl.when(pl.col("direction") == "higher").then(lo + reached)
                      .otherwise(hi - exceeded).cast(pl.Int8))
    )


def _observations(ratings: pl.DataFrame, metric_rated: pl.DataFrame) -> pl.DataFrame:
    """Every rating, stakeholder and metric alike: engagement, signal, perspective, rating."""
    cols = [ENG, "signal_id", "perspective", "rating"]
    stakeholder = ratings.select(cols).with_columns(pl.col("perspective").cast(pl.String),
                                                    pl.col("rating").cast(pl.Int8))
    data = metric_rated.select(ENG, "signal_id", pl.lit("data").alias("perspective"),
                               pl.col("rating").cast(pl.Int8))
    return pl.concat([stakeholder, data], how="vertical_relaxed")


def score_signals(ratings: pl.DataFrame, metric_rated: pl.DataFrame,
                  engagement_ids: pl.Series, rulebook: Rulebook) -> pl.DataFrame:
    """Per engagement and signal: perspective means, score V, strategic S, reality R,
    agreement (r_wg), validated, n_ratings, status. Every signal of the catalogue
    appears for every engagement, `no_evidence` where nothing rated it.
    """
    strategic = rulebook["strategic_perspective"]
    weights = pl.DataFrame({"perspective": list(rulebook.perspective_weights),
                            "w": list(rulebook.perspective_weights.values())})
    r = pl.col("rating").cast(pl.Float64)
    # One pass over the ratings: count, sum and sum of squares per perspective.
    per_p = (
        _observations(ratings, metric_rated)
        .group_by(ENG, "signal_id", "perspective")
        .agg(n=r.count(), s=r.sum(), ss=(r * r).sum())
        .filter(pl.col("n") > 0)
        .join(weights, on="perspective", how="left")
        .with_columns(mean=pl.col("s") / pl.col("n"),
                      is_s=pl.col("perspective") == strategic,
                      is_data=pl.col("perspective") == "data")
    )
    wm = pl.col("w") * pl.col("mean")
    real = ~pl.col("is_s")
    people = ~pl.col("is_data")
    n_people = pl.col("n").filter(people).sum()
    s_people = pl.col("s").filter(people).sum()
    ss_people = pl.col("ss").filter(people).sum()
    agg = [
        (wm.sum() / pl.col("w").sum()).alias("score"),
        pl.col("mean").filter(pl.col("is_s")).first().alias("strategic"),
        pl.when(real.any()).then(wm.filter(real).sum() / pl.col("w").filter(real).sum())
        .alias("reality"),
        pl.col("perspective").n_unique().alias("n_perspectives"),
        pl.col("n").sum().alias("n_ratings"),
        n_people.alias("n_people"),
        ((ss_people - s_people * s_people / n_people) / (n_people - 1)).alias("variance"),
    ]
    agg += [pl.col("mean").filter(pl.col("perspective") == p).first().alias(f"mean_{p}")
            for p in rulebook.perspective_weights]
    per_signal = per_p.group_by(ENG, "signal_id").agg(agg)

    ag = rulebook["agreement"]
    d = rulebook.decimals
    agreement = (pl.when(pl.col("n_people") >= ag["min_ratings"])
                 .then(pl.max_horizontal(pl.lit(0.0),
                                         1 - pl.col("variance").clip(lower_bound=0)
                                         / ag["null_variance"])))
    grid = (pl.DataFrame({ENG: engagement_ids.unique(maintain_order=True)})
            .join(rulebook.signal_table(), how="cross"))
    return (
        grid.join(per_signal, on=[ENG, "signal_id"], how="left")
        .with_columns(
            pl.col("n_ratings").fill_null(0).cast(pl.Int32),
            pl.col("n_perspectives").fill_null(0).cast(pl.Int32),
            agreement.alias("agreement"),
        )
        .with_columns(
            status=pl.when(pl.col("n_ratings") > 0).then(pl.lit("scored"))
            .otherwise(pl.lit("no_evidence")),
            validated=pl.col("n_perspectives") >= rulebook["validated_min_perspectives"],
            low_consensus=(cmp(pl.col("agreement"), d) < ag["low_consensus_below"])
            .fill_null(False),
        )
        .drop("n_people", "variance")
    )
