"""Robustness of findings (spec robustness-v1.md): how much each finding hinges on
one stakeholder's answers.

For every rater k of an engagement, *variant k* is the engagement scored again
without k's ratings. The stages are keyed by (engagement, variant), and `score()` is
variant 0; here every variant k > 0 of a portfolio goes through the same stages
(`signals_from_aggregates`, `classify_divergence`, the gap rule and severity of
`detect_gaps` (`is_gap`, `severity_rank`), `score_dimensions`, `score_index`) at once, in chunks of whole engagements. Nothing
is re-aggregated per variant: leaving k out changes only the counts and sums of the
signals k rated, so a variant's aggregates are the engagement's aggregates minus k's
own part (the `rating_parts` of k's ratings; integer sums, so exact), placed by
position in the grid the stages read, with engagements as integer codes. Each
variant's gaps and PAI are then compared with the full result. No value of a stage
may depend on the other rows of its frame (a variant is scored beside the others of
its chunk; `test_chunks_change_nothing`).

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
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import polars as pl

from paos._types import ENG, Evidence, Results
from paos.base.rulebook import Rulebook
from paos.method._divergence import classify_divergence
from paos.method._gaps import is_gap, rated_stakeholders, severity_rank
from paos.method._index import score_dimensions, score_index
from paos.method._keys import KEYS, VARIANT, code
from paos.method._signals import (
    aggregate_columns,
    grid,
    metric_aggregates,
    rating_parts,
    signals_from_aggregates,
)

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

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
# 30 columns per variant; two chunks are scored at once, so the peak holds two.
CHUNK_VARIANTS = 32_768
# The columns of a variant's signals that its gaps (`is_gap`, `severity_rank`,
# `_findings`) and scores (`score_dimensions`) read.
READ = [*KEYS, "signal_order", "threshold", "signal_weight", "score", "status", "divergence_class"]
# What makes a gap the same gap is its signal, severity and priority: here one integer
# per gap, `_f`, of its engagement's `_code`, the signal's catalogue position and its
# `severity_rank` (`_findings`; cheaper to compare than names). The same thing: severity
# names are distinct, and the priority follows from the severity and the signal's tier
# (one priority per severity and tier: `paos.base.rulebook_rules`).


def _findings(
    engagement: pl.Expr, signal: pl.Expr, rank: pl.Expr, rulebook: Rulebook
) -> list[pl.Expr]:
    """A gap as integers: `_k` its engagement code and `signal`'s catalogue position, `_f`
    that and its severity rank (what makes it the same finding)."""
    width, ranks = len(rulebook.signals), len(rulebook["severity"])
    k = engagement.cast(pl.UInt64) * width + signal.cast(pl.UInt64)
    return [k.alias("_k"), (k * ranks + rank.cast(pl.UInt64)).alias("_f")]


def _scatter(size: int, at: pl.Series, values: pl.Series) -> pl.Series:
    """A column of `size` zeros with `values` at the positions `at`."""
    return pl.zeros(size, dtype=pl.Float64, eager=True).scatter(at, values.cast(pl.Float64))


def _variant_cells(
    evidence: Evidence, rulebook: Rulebook, results: Results
) -> tuple[pl.DataFrame, list[Callable[[], pl.LazyFrame]]]:
    """The engagements with at least 2 raters (`n_raters`: engagement, `n` raters and
    `_code`, its row number), and the cells of every variant k > 0 (`grid` with
    `aggregate_columns`: the engagement's aggregates minus rater k's part), in chunks of
    whole engagements. In the cells an engagement is its `_code` (integer keys are
    cheaper to carry through the stages than the ids).

    The aggregates are laid out by integer positions, not joined by key: variant u
    (0-based, in engagement and rater order) and catalogue signal j are row u * width + j
    of the variants' grid, engagement e's aggregates are at e * width + j. An
    engagement's people aggregates are the sums of its raters' parts (integers, so the
    same as `signal_aggregates` gives, in any order)."""
    ids = [s.id for s in rulebook.signals]
    width = len(ids)
    people = [f"{a}_{p}" for p in rulebook.people_perspectives for a in ("n", "s", "ss")]
    metric = [c for c in aggregate_columns(rulebook) if c not in people]
    rows = evidence.ratings.select(ENG, SID, "signal_id", "perspective", "rating")
    # a rater's ratings usually come one after the other: each run of one stakeholder's
    # rows is given its unit by its first row, so the string keys are matched once per
    # run, not once per rating (any order gives the same, more runs). Blank ratings
    # included: their parts are 0 and they are dropped below, so no string is copied.
    first = rows.select(
        ((pl.col(ENG) != pl.col(ENG).shift()) | (pl.col(SID) != pl.col(SID).shift()))
        .fill_null(True)
        .alias("_first")
    )["_first"]
    starts = rows.filter(first).select(ENG, SID)
    listed = results.stakeholders
    if listed is None:
        listed = rated_stakeholders(evidence.stakeholders, evidence.ratings)
    raters = listed.filter("rated").select(ENG, SID)  # a non-blank rating each
    n_raters = (
        raters.group_by(ENG).len("n").filter(pl.col("n") >= 2).sort(ENG).with_row_index("_code")
    )
    units = (
        raters.join(n_raters.select(ENG, "_code"), on=ENG, how="inner")
        .sort("_code", SID)
        .with_columns(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_u"),
            pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("_code").alias(VARIANT),
        )
    )
    runs = starts.join(units, on=[ENG, SID], how="left", maintain_order="left")
    run = first.cum_sum().cast(pl.Int64) - 1  # each rating's run
    # one row per rating: ratings are unique per engagement, stakeholder and signal
    # (evidence schema), so a variant's cell holds at most one rating of its rater
    own = (
        rows.lazy()
        .select(
            pl.when(pl.col("rating").is_not_null()).then(code("signal_id", ids)).alias("_s"),
            *rating_parts(rulebook),
            runs["_u"].gather(run),
            runs["_code"].gather(run),
        )
        .select(
            "_u",
            (pl.col("_u") * width + pl.col("_s")).alias("_cell"),
            (pl.col("_code") * width + pl.col("_s")).alias("_ecell"),
            *people,
        )
        .drop_nulls("_cell")
        .collect()
    )
    if not own["_u"].is_sorted():  # in variant order, as the chunks slice it
        own = own.sort("_u", maintain_order=True)
    own = own.drop("_u")
    full = (
        own.lazy().group_by("_ecell").agg(pl.col(people).sum()).collect(engine="streaming")
    )  # on integer keys, streaming is several times the in-memory engine here
    data = (
        metric_aggregates(results.metrics, rulebook)
        .join(n_raters.lazy(), on=ENG, how="inner")
        .select((pl.col("_code") * width + code("signal_id", ids)).alias("_ecell"), *metric)
        .drop_nulls("_ecell")
        .collect()
    )
    engagements = n_raters.height * width
    base = {c: _scatter(engagements, full["_ecell"], full[c]) for c in people} | {
        c: _scatter(engagements, data["_ecell"], data[c]) for c in metric
    }
    # chunks of whole engagements, about CHUNK_VARIANTS variants each
    chunk_of = n_raters["n"].cum_sum() // CHUNK_VARIANTS
    bounds = [0, *chunk_of.rle().struct.field("len").cum_sum().to_list()]
    unit_at = [0, *n_raters["n"].cum_sum().to_list()]  # first variant of each engagement
    units = units.select("_code", VARIANT)

    # each chunk's first rating: a unit's cells lie in [u * width, (u + 1) * width), so
    # bisection finds them though the cells within a unit are in rating order
    first = pl.Series([unit_at[e] * width for e in bounds], dtype=pl.UInt32)
    rating_at = own["_cell"].search_sorted(first, side="left").to_list()

    def chunk(i: int) -> pl.LazyFrame:
        e0, e1 = bounds[i], bounds[i + 1]
        u0, u1 = unit_at[e0], unit_at[e1]
        r0, r1 = rating_at[i], rating_at[i + 1]
        chunk_units = units.slice(u0, u1 - u0)
        size = chunk_units.height * width
        # each variant's row of its engagement's aggregates
        cell = pl.int_range(size, dtype=pl.UInt32, eager=True)
        at = chunk_units["_code"].gather(cell // width) * width + cell % width
        mine = own.slice(r0, r1 - r0)
        aggregates = {c: base[c].gather(at) for c in aggregate_columns(rulebook)}
        for p in rulebook.people_perspectives:  # a rater's part is in their perspective's
            part = [f"n_{p}", f"s_{p}", f"ss_{p}"]
            theirs = mine.select("_cell", *part).filter(pl.col(f"n_{p}") > 0)
            here = theirs["_cell"] - u0 * width
            for c in part:  # in place: the gathered column is this chunk's own
                column = aggregates[c]
                aggregates[c] = column.scatter(here, column.gather(here) - theirs[c])
        keys = chunk_units.select(pl.col("_code").alias(ENG), VARIANT)
        return grid(keys.lazy(), rulebook).with_columns(
            pl.Series(c, aggregates[c]) for c in aggregate_columns(rulebook)
        )

    return n_raters, [functools.partial(chunk, i) for i in range(len(bounds) - 1)]


def _score_variants(
    evidence: Evidence, rulebook: Rulebook, results: Results
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per engagement with variants: the number of raters `n` and `_code` (`n_raters`);
    per gap of the full result (`_k`, `_findings`) the variants `_same` that have the same
    finding; the signals a variant but not the full result finds a gap (`_k`); and the
    least and greatest variant PAI (`_code`, `pai_min`, `pai_max`). A chunk holds whole
    engagements, so each chunk sums up its own variants (on both cores, and no frame of
    every variant's gaps is kept)."""
    n_raters, chunks = _variant_cells(evidence, rulebook, results)
    ids = [s.id for s in rulebook.signals]
    full = results.gaps.join(n_raters.select(ENG, "_code"), on=ENG, how="inner").select(
        _findings(pl.col("_code"), code("signal_id", ids), pl.col("severity_rank"), rulebook)
    )
    full_f, full_k = full["_f"].implode(), full["_k"].implode()

    def score_chunk(cells_of: Callable[[], pl.LazyFrame]) -> tuple[pl.DataFrame, ...]:
        signals = (
            classify_divergence(signals_from_aggregates(cells_of(), rulebook), rulebook)
            .select(READ)  # what the gap rule and the scores read: the rest is not computed
            .collect()
        )
        findings = (  # the findings only
            signals.lazy()
            .filter(is_gap(rulebook))
            .select(
                _findings(pl.col(ENG), pl.col("signal_order"), severity_rank(rulebook), rulebook)
            )
            .collect()
        )
        same = findings.filter(pl.col("_f").is_in(full_f)).group_by("_k").len("_same")
        near = findings.filter(~pl.col("_k").is_in(full_k)).select(pl.col("_k").unique())
        pai = (
            score_index(score_dimensions(signals, rulebook), rulebook)
            .filter(pl.col("pai").is_not_null())
            .group_by(pl.col(ENG).alias("_code"))
            .agg(
                pai_min=pl.col("pai").min(),  # full precision, as the contract's `pai`
                pai_max=pl.col("pai").max(),
            )
            .collect()
        )
        return same, near, pai

    # two chunks at once, in order: a chunk's serial work (its cells' Series gathers and
    # subtractions, eager stages) runs beside the other's multi-threaded queries
    with ThreadPoolExecutor(max_workers=2) as pool:
        scored = list(pool.map(score_chunk, chunks))
    schemas: list[dict[str, PolarsDataType]] = [
        {"_k": pl.UInt64, "_same": pl.UInt32},
        {"_k": pl.UInt64},
        {"_code": pl.UInt32, "pai_min": pl.Float64, "pai_max": pl.Float64},
    ]
    parts = [
        pl.concat([s[i] for s in scored]) if scored else pl.DataFrame(schema=schema)
        for i, schema in enumerate(schemas)
    ]
    return n_raters, *parts  # type: ignore[return-value]


def robustness(evidence: Evidence, rulebook: Rulebook, results: Results) -> Results:
    """`results` (from `score(evidence, rulebook)`) with the robustness of its findings:
    a `robustness` frame (one row per engagement, `ROBUSTNESS_SCHEMA`) and the gaps
    frame with `changed_in` and `robust`."""
    n_raters, same, near, pai = _score_variants(evidence, rulebook, results)
    counts = n_raters.select(ENG, pl.col("n").cast(pl.Int32).alias("variants"))
    codes = n_raters.select(ENG, "_code")
    ids = [s.id for s in rulebook.signals]
    width = len(ids)
    signal_id = (pl.col("_k") % width).replace_strict(range(width), ids, return_dtype=pl.String)
    code_of = (pl.col("_k") // width).cast(pl.UInt32).alias("_code")
    same = (
        same.with_columns(code_of)
        .join(codes, on="_code", how="inner")
        .select(ENG, signal_id.alias("signal_id"), "_same")
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
    near = (
        near.sort("_k")  # engagement, then catalogue order
        .group_by(code_of, maintain_order=True)
        .agg(near_gaps=signal_id)
        .join(codes, on="_code", how="inner")
    )
    pai = pai.join(codes, on="_code", how="inner")
    robust_gaps = gaps.group_by(ENG).agg(robust_gaps=pl.col("robust").sum().cast(pl.Int32))
    has = pl.col("variants") > 0
    frame = (
        results.engagements.select(ENG, "pai")
        .join(counts, on=ENG, how="left")
        .join(pai.drop("_code"), on=ENG, how="left")
        .join(robust_gaps, on=ENG, how="left")
        .join(near.drop("_code"), on=ENG, how="left")
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
