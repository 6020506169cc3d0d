"""Pandera schemas of the validated frames that cross into the engine.

`paos.evidence.validate` produces frames that satisfy these; the engine may assume
them. `validated()` checks an `Evidence` against them (lazily, every
problem at once) and fills in an empty metrics frame where none was given.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from paos._types import Evidence

ENGAGEMENTS = pa.DataFrameSchema(
    {
        "engagement_id": pa.Column(
            pl.String, pa.Check.str_matches(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"), unique=True
        ),
        "client": pa.Column(pl.String),
        "assessed_on": pa.Column(pl.Date),
        "rulebook": pa.Column(pl.String),
        "industry": pa.Column(pl.String, nullable=True),
        "stage": pa.Column(pl.String, nullable=True),
        "baseline": pa.Column(pl.String, nullable=True),
    },
    strict=False,
)

STAKEHOLDERS = pa.DataFrameSchema(
    {
        "engagement_id": pa.Column(pl.String),
        "stakeholder_id": pa.Column(pl.String),
        "role": pa.Column(pl.String),
        "perspective": pa.Column(pl.String, pa.Check.isin(["strategic", "operational", "partner"])),
    },
    unique=["engagement_id", "stakeholder_id"],
    strict=False,
)

RATINGS = pa.DataFrameSchema(
    {
        "engagement_id": pa.Column(pl.String),
        "stakeholder_id": pa.Column(pl.String),
        "signal_id": pa.Column(pl.String),
        "rating": pa.Column(pl.Int8, pa.Check.in_range(1, 4), nullable=True),
        "perspective": pa.Column(pl.String, pa.Check.isin(["strategic", "operational", "partner"])),
        "role": pa.Column(pl.String),
        "evidence": pa.Column(pl.String, nullable=True),
        "line": pa.Column(pl.Int32, nullable=True),
    },
    unique=["engagement_id", "stakeholder_id", "signal_id"],
    strict=False,
)

METRICS = pa.DataFrameSchema(
    {
        "engagement_id": pa.Column(pl.String),
        "metric_id": pa.Column(pl.String),
        "value": pa.Column(pl.Float64, pa.Check.ge(0)),
    },
    unique=["engagement_id", "metric_id"],
    strict=False,
)

EMPTY_METRICS = {
    "engagement_id": pl.String,
    "metric_id": pl.String,
    "value": pl.Float64,
    "as_of": pl.String,
    "source": pl.String,
    "line": pl.Int32,
}


def validated(ev: Evidence) -> Evidence:
    """Check every frame of `ev` against its schema; raises pandera's SchemaErrors."""
    metrics = ev.metrics if ev.metrics is not None else pl.DataFrame(schema=EMPTY_METRICS)
    return Evidence(
        engagements=ENGAGEMENTS.validate(ev.engagements, lazy=True),
        stakeholders=STAKEHOLDERS.validate(ev.stakeholders, lazy=True),
        ratings=RATINGS.validate(ev.ratings, lazy=True),
        metrics=METRICS.validate(metrics, lazy=True),
        files=ev.files,
    )
