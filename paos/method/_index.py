"""Stage 6: dimension scores, the Partner Architecture Index and the
installation modules (methodology sections 7 and 8).
"""

from __future__ import annotations

import polars as pl

from paos.method._numbers import band, cmp, display_expr
from paos.method.rulebook import Rulebook

ENG = "engagement_id"


def maturity(expr: pl.Expr, rulebook: Rulebook) -> pl.Expr:
    """Maturity band of a PAI or dimension score (null stays null)."""
    bands = [(m["name"], m["min"]) for m in rulebook["maturity"]]
    return pl.when(expr.is_not_null()).then(band(cmp(expr, rulebook.decimals), bands))


def score_dimensions(signals: pl.DataFrame, gaps: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """Per engagement and dimension: weighted score over scored signals, coverage,
    status, maturity and gap count. Below the minimum coverage the score is null.
    """
    scored = pl.col("status") == "scored"
    w = pl.col("signal_weight")
    per_dim = signals.group_by(ENG, "dimension").agg(
        n_scored=scored.sum(),
        wsum=(w * pl.col("score")).filter(scored).sum(),
        w=w.filter(scored).sum(),
    )
    gap_count = gaps.group_by(ENG, "dimension").len("gap_count")
    engs = signals.select(ENG).unique(maintain_order=True)
    enough = cmp(pl.col("coverage"), rulebook.decimals) >= rulebook["min_coverage"]
    return (
        engs.join(rulebook.dimension_table(), how="cross")
        .join(per_dim, on=[ENG, "dimension"], how="left")
        .join(gap_count, on=[ENG, "dimension"], how="left")
        .with_columns(
            coverage=pl.col("n_scored").fill_null(0) / pl.col("n_signals"),
            gap_count=pl.col("gap_count").fill_null(0).cast(pl.Int32),
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


def score_index(dimensions: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """Per engagement: PAI (weighted mean of the dimension scores), status, display
    and maturity; `incomplete` names the dimensions without a score.
    """
    w = pl.col("dimension_weight")
    out = (
        dimensions.group_by(ENG, maintain_order=True)
        .agg(
            pai=(w * pl.col("score")).sum() / w.sum(),
            missing=pl.col("dimension")
            .filter(pl.col("score").is_null())
            .sort_by(pl.col("dimension_order").filter(pl.col("score").is_null())),
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
