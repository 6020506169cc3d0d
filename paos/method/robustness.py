"""Robustness of findings (spec robustness-v1.md): how much each finding hinges on
one stakeholder's answers.

For every rater k of an engagement, *variant k* is the engagement scored again
without k's ratings. The stages are keyed by (engagement, variant), and `score()` is
variant 0; here every variant k > 0 of a portfolio goes through the same stages
(`signals_from_aggregates`, `classify_divergence`, `detect_gaps`,
`score_dimensions`, `score_index`) at once, in chunks of whole engagements. Nothing
is re-aggregated per variant: leaving k out changes only the counts and sums of the
signals k rated, so a variant's aggregates are the engagement's aggregates minus k's
own part (the `rating_parts` of k's ratings; integer sums, so exact), placed by
position in the grid the stages read. Each variant's gaps and PAI are then compared
with the full result.

Reading of the spec for fewer than 2 raters: "every other robustness field
below is null" covers the per-gap fields too (they are defined below that
sentence), so such an engagement has `variants` 0, `pai_min`, `pai_max`,
`robust_gaps` and `near_gaps` null, and every gap `changed_in` and `robust` null
(no variant was scored, so nothing is known either way).

`pai_min`/`pai_max` are the smallest and largest variant PAI at full precision,
as the contract gives `pai` (numbers are full precision; rounding to 6 decimals is
the rule for comparisons, and rounding the reported ends flipped near-ties of the
7th decimal between equally valid float paths).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import polars as pl

from paos._types import ENG, Evidence, Results
from paos.base.rulebook import Rulebook
from paos.method._divergence import classify_divergence
from paos.method._gaps import detect_gaps
from paos.method._index import score_dimensions, score_index
from paos.method._keys import KEYS, VARIANT
from paos.method._signals import (
    aggregate_columns,
    grid,
    rating_parts,
    signal_aggregates,
    signals_from_aggregates,
)

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
# Variants per chunk (whole engagements): bounds memory, about 24 signal rows of some
# 30 columns per variant.
CHUNK_VARIANTS = 32_768
_CHUNK = "_chunk"
FINDING = ["signal_id", "severity", "priority"]  # what makes a gap the same gap


def _codes(col: str, values: list[str]) -> pl.Expr:
    """Index of `col` in `values` (UInt32), null when not among them."""
    return pl.col(col).replace_strict(
        values, list(range(len(values))), default=None, return_dtype=pl.UInt32
    )


def _scatter(size: int, at: pl.Series, values: pl.Series) -> pl.Series:
    """A column of `size` zeros with `values` at the positions `at`."""
    return pl.zeros(size, dtype=pl.Float64, eager=True).scatter(at, values.cast(pl.Float64))


def _variant_cells(
    evidence: Evidence, rulebook: Rulebook, results: Results
) -> tuple[pl.DataFrame, Iterator[pl.DataFrame]]:
    """The raters per engagement with at least 2 (`n_raters`), and the cells of every
    variant k > 0 (`grid` with `aggregate_columns`: the engagement's aggregates minus
    rater k's part), in chunks of whole engagements.

    The aggregates are laid out by integer positions, not joined by key: a chunk's
    variant v (0-based, in engagement and rater order) and catalogue signal j are row
    v * width + j of its grid; its engagement e's aggregates are at e * width + j."""
    ids = [s.id for s in rulebook.signals]
    width = len(ids)
    people = [f"{a}_{p}" for p in rulebook.people_perspectives for a in ("n", "s", "ss")]
    rated = evidence.ratings.select(ENG, SID, "signal_id", "perspective", "rating").filter(
        pl.col("rating").is_not_null()
    )
    raters = rated.select(ENG, SID).unique()
    n_raters = raters.group_by(ENG).len("n").filter(pl.col("n") >= 2).sort(ENG)
    engs = n_raters.select(
        ENG,
        (pl.col("n").cum_sum() // CHUNK_VARIANTS).cast(pl.UInt32).alias(_CHUNK),
    ).with_columns(_e=pl.int_range(pl.len(), dtype=pl.UInt32).over(_CHUNK))
    units = (
        raters.join(engs, on=ENG, how="inner")
        .sort(ENG, SID)
        .with_columns(
            _v=pl.int_range(pl.len(), dtype=pl.UInt32).over(_CHUNK),
            **{VARIANT: pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over(ENG)},
        )
    )
    # one row per rating: ratings are unique per engagement, stakeholder and signal
    # (evidence schema), so a variant's cell holds at most one rating of its rater
    own = (
        rated.join(units, on=[ENG, SID], how="inner")
        .select(
            _CHUNK,
            (pl.col("_v") * width + _codes("signal_id", ids)).alias("_cell"),
            *rating_parts(rulebook),
        )
        .drop_nulls("_cell")
    )
    full = (
        signal_aggregates(evidence.ratings, results.metrics, rulebook)
        .join(engs, on=ENG, how="inner")
        .with_columns(_cell=pl.col("_e") * width + _codes("signal_id", ids))
        .drop_nulls("_cell")
    )
    parts = [f.partition_by(_CHUNK, as_dict=True, include_key=False) for f in (units, own, full)]
    columns = aggregate_columns(rulebook)

    def chunks() -> Iterator[pl.DataFrame]:
        for key, chunk_units in parts[0].items():
            size = chunk_units.height * width
            chunk_engs = chunk_units["_e"].n_unique()  # numbered 0, 1, ... in the chunk
            mine, theirs = parts[1].get(key), parts[2][key]
            # each variant's row of its engagement's aggregates
            at = (chunk_units["_e"].cast(pl.Int64) * width).repeat_by(width).explode()
            at = at + pl.Series(list(range(width)) * chunk_units.height, dtype=pl.Int64)
            aggregates = {}
            for c in columns:
                base = _scatter(chunk_engs * width, theirs["_cell"], theirs[c].fill_null(0))
                value = base.gather(at)
                if c in people and mine is not None:
                    value = value - _scatter(size, mine["_cell"], mine[c])
                aggregates[c] = value
            yield grid(chunk_units, rulebook).with_columns(
                pl.Series(c, v) for c, v in aggregates.items()
            )

    return n_raters, chunks()


def _score_variants(
    evidence: Evidence, rulebook: Rulebook, results: Results
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per engagement with variants: the number of raters; every variant's gaps
    (engagement, variant, `FINDING`) and PAI (engagement, variant, pai)."""
    n_raters, chunks = _variant_cells(evidence, rulebook, results)
    gaps, index = [], []
    for cells in chunks:
        signals = classify_divergence(signals_from_aggregates(cells, rulebook), rulebook)
        chunk_gaps = detect_gaps(signals, rulebook, roadmap_order=False)
        dimensions = score_dimensions(signals, rulebook)
        gaps.append(chunk_gaps.select(*KEYS, *FINDING))
        index.append(score_index(dimensions, rulebook).select(*KEYS, "pai"))
    gap_schema = {ENG: pl.String, VARIANT: pl.UInt32, **dict.fromkeys(FINDING, pl.String)}
    return (
        n_raters,
        pl.concat(gaps) if gaps else pl.DataFrame(schema=gap_schema),
        pl.concat(index)
        if index
        else pl.DataFrame(schema={ENG: pl.String, VARIANT: pl.UInt32, "pai": pl.Float64}),
    )


def robustness(evidence: Evidence, rulebook: Rulebook, results: Results) -> Results:
    """`results` (from `score(evidence, rulebook)`) with the robustness of its findings:
    a `robustness` frame (one row per engagement, `ROBUSTNESS_SCHEMA`) and the gaps
    frame with `changed_in` and `robust`."""
    n_raters, var_gaps, var_index = _score_variants(evidence, rulebook, results)
    counts = n_raters.select(ENG, pl.col("n").cast(pl.Int32).alias("variants"))
    full = results.gaps.select(ENG, *FINDING)
    same = (
        var_gaps.join(full, on=[ENG, *FINDING], how="semi").group_by(ENG, "signal_id").len("_same")
    )
    gaps = (
        results.gaps.join(counts, on=ENG, how="left", maintain_order="left")
        .join(same, on=[ENG, "signal_id"], how="left", maintain_order="left")
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
        var_gaps.select(ENG, "signal_id")
        .unique()
        .join(full, on=[ENG, "signal_id"], how="anti")
        .join(order, on="signal_id", how="left")
        .sort(ENG, "signal_order")
        .group_by(ENG, maintain_order=True)
        .agg(near_gaps=pl.col("signal_id"))
    )
    pai = (
        var_index.filter(pl.col("pai").is_not_null())
        .group_by(ENG)
        .agg(
            pai_min=pl.col("pai").min(),  # full precision, as the contract's `pai`
            pai_max=pl.col("pai").max(),
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
