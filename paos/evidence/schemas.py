"""Pandera schemas of the validated frames that cross into the engine.

`paos.evidence.validate` produces frames that satisfy these; the engine may assume
them. `validated()` checks an `Evidence` against them (lazily, every
problem at once) and fills in an empty metrics frame where none was given.
"""

from __future__ import annotations

import functools

import pandera.polars as pa
import polars as pl
from pandera.config import ValidationDepth, config_context

from paos._defaults import ID_PATTERN
from paos._types import Evidence
from paos.base.rulebook import Rulebook

ENGAGEMENTS = pa.DataFrameSchema(
    {
        "engagement_id": pa.Column(pl.String, pa.Check.str_matches(f"^{ID_PATTERN}$"), unique=True),
        "client": pa.Column(pl.String),
        "assessed_on": pa.Column(pl.Date),
        "rulebook": pa.Column(pl.String),
        "industry": pa.Column(pl.String, nullable=True),
        "stage": pa.Column(pl.String, nullable=True),
        "baseline": pa.Column(pl.String, nullable=True),
    },
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


@functools.lru_cache(maxsize=32)
def people_schemas(
    perspectives: tuple[str, ...], lo: int, hi: int
) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    """The stakeholders and ratings schemas under a rulebook's perspectives (declared,
    or derived from a role) and rating scale."""
    perspective = pa.Column(pl.String, pa.Check.isin(list(perspectives)))
    stakeholders = pa.DataFrameSchema(
        {
            "engagement_id": pa.Column(pl.String),
            "stakeholder_id": pa.Column(pl.String),
            "role": pa.Column(pl.String),
            "perspective": perspective,
        },
        unique=["engagement_id", "stakeholder_id"],
        strict=False,
    )
    ratings = pa.DataFrameSchema(
        {
            "engagement_id": pa.Column(pl.String),
            "stakeholder_id": pa.Column(pl.String),
            "signal_id": pa.Column(pl.String),
            "rating": pa.Column(pl.Int8, pa.Check.in_range(lo, hi), nullable=True),
            "perspective": perspective,
            "role": pa.Column(pl.String),
            "evidence": pa.Column(pl.String, nullable=True),
            "line": pa.Column(pl.Int32, nullable=True),
        },
        unique=["engagement_id", "stakeholder_id", "signal_id"],
        strict=False,
    )
    return stakeholders, ratings


EMPTY_METRICS = {
    "engagement_id": pl.String,
    "metric_id": pl.String,
    "value": pl.Float64,
    "as_of": pl.String,
    "source": pl.String,
    "line": pl.Int32,
}


def validated(ev: Evidence, rulebook: Rulebook, values: bool = True) -> Evidence:
    """Check every frame of `ev` against its schema under `rulebook` (its perspectives
    and rating scale); raises pandera's SchemaErrors.

    `values=False`: the columns and their types only (pandera's SCHEMA_ONLY depth),
    for frames typed from tables whose every value the table rules have just checked
    (`paos.evidence.validate`): the same rules again on the typed values cost a polars
    query per check, 6 ms of the demo's 25 ms of reading and validating (issue 22).
    That the typed frames keep every rule is a test (tests/test_typed_evidence.py)."""
    metrics = ev.metrics if ev.metrics is not None else pl.DataFrame(schema=EMPTY_METRICS)
    scale = rulebook["rating_scale"]
    stakeholders, ratings = people_schemas(
        tuple(rulebook["perspectives"]), scale["min"], scale["max"]
    )
    depth = ValidationDepth.SCHEMA_AND_DATA if values else ValidationDepth.SCHEMA_ONLY
    with config_context(validation_depth=depth):  # a context variable: this call only
        return Evidence(
            engagements=ENGAGEMENTS.validate(ev.engagements, lazy=True),
            stakeholders=stakeholders.validate(ev.stakeholders, lazy=True),
            ratings=ratings.validate(ev.ratings, lazy=True),
            metrics=METRICS.validate(metrics, lazy=True),
            files=ev.files,
        )
