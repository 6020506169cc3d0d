"""Robustness of findings (spec robustness-v1.md): how much each finding hinges on
one stakeholder's answers.

For every rater k of an engagement, *variant k* is the engagement scored again
without k's ratings. Nothing is rescored from scratch: leaving k out changes only
the counts and sums of the signals k rated, so each variant's signal aggregates
are the full aggregates minus k's own part (integer sums: exact). All variants
of a portfolio then go through the ordinary v1 stages (signals, divergence,
gaps, dimensions, index) at once, keyed by a variant id in `engagement_id`,
and are compared with the full result.

Reading of the spec for fewer than 2 raters: "every other robustness field
below is null" covers the per-gap fields too (they are defined below that
sentence), so such an engagement has `variants` 0, `pai_min`, `pai_max`,
`robust_gaps` and `near_gaps` null, and every gap `changed_in` and `robust` null
(no variant was scored, so nothing is known either way).

`pai_min`/`pai_max` are the smallest and largest variant PAI under the
comparison rule, i.e. the PAIs rounded to 6 decimals (so values that compare
equal are one value, whatever the float noise).
"""

from __future__ import annotations

import dataclasses

import polars as pl

from paos._types import ENG, Evidence, Results
from paos.method._divergence import classify_divergence
from paos.method._gaps import detect_gaps
from paos.method._index import score_dimensions, score_index
from paos.method._numbers import cmp
from paos.method._signals import signal_aggregates, signals_from_aggregates
from paos.method.rulebook import Rulebook

VID = "_variant"  # variant id (UInt32), passed to the v1 stages as `engagement_id`
SID = "stakeholder_id"
ROBUSTNESS_SCHEMA: pl.Schema = pl.Schema(
    {  # type: ignore[arg-type]  # polars stubs: dtype classes
        ENG: pl.String,
        "variants": pl.Int32,
        "pai_min": pl.Float64,
        "pai_max": pl.Float64,
        "robust_gaps": pl.Int32,
        "near_gaps": pl.List(pl.String),
    }
)
# Engagements per vectorised chunk: bounds memory (about 24 signal rows per variant).
CHUNK_VARIANTS = 100_000


def _variant_results(
    evidence: Evidence, rulebook: Rulebook, metric_rated: pl.DataFrame, variants: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Gaps and index of the variants of `variants` (engagement_id, stakeholder_id, VID),
    keyed by VID in `engagement_id`."""
    engs = variants.select(ENG).unique()
    ratings = evidence.ratings.join(engs, on=ENG, how="semi")
    full = signal_aggregates(ratings, metric_rated.join(engs, on=ENG, how="semi"), rulebook)
    people = [p for p in rulebook.perspective_weights if p != "data"]
    names = [f"{a}_{p}" for p in people for a in ("n", "s", "ss")]
    code = {s.id: i for i, s in enumerate(rulebook.signals)}
    width = len(code)
    sig = pl.col("signal_id").replace_strict(code, return_dtype=pl.Int64)
    # Each rater's own part, one row per rating (ratings are unique per engagement,
    # stakeholder and signal), keyed by variant and signal as one integer.
    r = pl.col("rating").cast(pl.Float64)
    own = (
        ratings.filter(pl.col("rating").is_not_null())
        .join(variants, on=[ENG, SID], how="inner")
        .select(
            (pl.col(VID).cast(pl.Int64) * width + sig).alias("_key"),
            *[
                x
                for p in people
                for x in (
                    (pl.col("perspective") == p).cast(pl.UInt32).alias(f"n_{p}_k"),
                    pl.when(pl.col("perspective") == p).then(r).otherwise(0.0).alias(f"s_{p}_k"),
                    pl.when(pl.col("perspective") == p)
                    .then(r * r)
                    .otherwise(0.0)
                    .alias(f"ss_{p}_k"),
                )
            ],
        )
    )
    aggregates = (
        variants.select(VID, ENG)
        .join(full, on=ENG, how="inner")
        .with_columns(_key=pl.col(VID).cast(pl.Int64) * width + sig)
        .join(own, on="_key", how="left")
        .select(
            pl.col(VID).alias(ENG),
            "signal_id",
            *[(pl.col(c) - pl.col(f"{c}_k").fill_null(0)).alias(c) for c in names],
            "n_data",
            "s_data",
        )
    )
    signals = classify_divergence(
        signals_from_aggregates(aggregates, variants[VID], rulebook, grid=False), rulebook
    )
    gaps = detect_gaps(signals, rulebook)
    index = score_index(score_dimensions(signals, gaps, rulebook), rulebook)
    return gaps.select(ENG, "signal_id", "severity", "priority"), index.select(ENG, "pai")


def robustness(evidence: Evidence, rulebook: Rulebook, results: Results) -> Results:
    """`results` (from `score(evidence, rulebook)`) with the robustness of its findings:
    a `robustness` frame (one row per engagement, `ROBUSTNESS_SCHEMA`) and the gaps
    frame with `changed_in` and `robust`."""
    raters = (
        evidence.ratings.filter(pl.col("rating").is_not_null())
        .select(ENG, SID)
        .unique()
        .sort(ENG, SID)
    )
    n_raters = raters.group_by(ENG).len("n").filter(pl.col("n") >= 2)
    variants = raters.join(n_raters.select(ENG), on=ENG, how="semi").with_row_index(VID)
    # chunks of whole engagements, each a vectorised pass over its variants
    starts = variants.group_by(ENG).agg(pl.col(VID).min()).sort(VID)
    cut = (starts[VID] // CHUNK_VARIANTS).alias("_chunk")
    chunk_of = starts.select(ENG, cut)
    var_gaps, var_pai = [], []
    for part in variants.join(chunk_of, on=ENG).partition_by("_chunk", include_key=False):
        g, i = _variant_results(evidence, rulebook, results.metrics, part)
        var_gaps.append(g)
        var_pai.append(i)
    owner = variants.select(pl.col(VID).alias(ENG), pl.col(ENG).alias("_eng"))

    def by_engagement(frames: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
        if not frames:
            return pl.DataFrame(schema={ENG: pl.String, **schema})
        return pl.concat(frames).join(owner, on=ENG, how="inner").drop(ENG).rename({"_eng": ENG})

    vg = by_engagement(
        var_gaps, {"signal_id": pl.String, "severity": pl.String, "priority": pl.String}
    )
    vp = by_engagement(var_pai, {"pai": pl.Float64})
    counts = n_raters.select(ENG, pl.col("n").cast(pl.Int32).alias("variants"))

    full_gaps = results.gaps
    key = [ENG, "signal_id", "severity", "priority"]
    same = (
        vg.join(full_gaps.select(key), on=key, how="semi").group_by(ENG, "signal_id").len("_same")
    )
    gaps = (
        full_gaps.join(counts, on=ENG, how="left")
        .join(same, on=[ENG, "signal_id"], how="left")
        .with_columns(
            changed_in=(pl.col("variants") - pl.col("_same").fill_null(0).cast(pl.Int32)).cast(
                pl.Int32
            )
        )
        .with_columns(robust=pl.col("changed_in") == 0)
        .drop("variants", "_same")
    )
    order = rulebook.signal_table().select("signal_id", "signal_order")
    near = (
        vg.select(ENG, "signal_id")
        .unique()
        .join(full_gaps.select(ENG, "signal_id"), on=[ENG, "signal_id"], how="anti")
        .join(order, on="signal_id", how="left")
        .sort(ENG, "signal_order")
        .group_by(ENG, maintain_order=True)
        .agg(near_gaps=pl.col("signal_id"))
    )
    pai = (
        vp.filter(pl.col("pai").is_not_null())
        .group_by(ENG)
        .agg(
            pai_min=cmp(pl.col("pai"), rulebook.decimals).min(),
            pai_max=cmp(pl.col("pai"), rulebook.decimals).max(),
        )
    )
    robust_gaps = gaps.group_by(ENG).agg(robust_gaps=pl.col("robust").sum().cast(pl.Int32))
    has = pl.col("variants") > 0
    frame = (
        results.engagements.select(ENG, "pai")
        .join(counts, on=ENG, how="left")
        .join(pai, on=ENG, how="left")
        .join(robust_gaps, on=ENG, how="left")
        .join(near, on=ENG, how="left")
        .with_columns(pl.col("variants").fill_null(0))
        .with_columns(
            pai_min=pl.when(has & pl.col("pai").is_not_null()).then(pl.col("pai_min")),
            pai_max=pl.when(has & pl.col("pai").is_not_null()).then(pl.col("pai_max")),
            robust_gaps=pl.when(has).then(pl.col("robust_gaps").fill_null(0)),
            near_gaps=pl.when(has).then(
                pl.col("near_gaps").fill_null(pl.lit([], dtype=pl.List(pl.String)))
            ),
        )
        .select([pl.col(c).cast(t) for c, t in ROBUSTNESS_SCHEMA.items()])
        .sort(ENG)
    )
    return dataclasses.replace(results, gaps=gaps, robustness=frame)
