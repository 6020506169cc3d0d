"""The frames that cross from one stage to the next: validated `Evidence` (stage 2
out, engine in) and `Results` (engine out, contract and deliverables in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from paos.base.rulebook import Rulebook

ENG = "engagement_id"


@dataclass(frozen=True)
class Evidence:
    """Validated evidence of one or more engagements (see `paos.evidence.schemas`)."""

    engagements: pl.DataFrame
    stakeholders: pl.DataFrame
    ratings: pl.DataFrame
    metrics: pl.DataFrame
    files: pl.DataFrame | None = None  # engagement_id, file, sha256 (provenance)

    def engagement_ids(self) -> list[str]:
        return self.engagements[ENG].to_list()


@dataclass(frozen=True)
class Results:
    """Every result of the diagnostic, as frames keyed by engagement_id."""

    rulebook: Rulebook
    engagements: pl.DataFrame  # meta + status, pai, pai_display, maturity
    dimensions: pl.DataFrame
    signals: pl.DataFrame
    gaps: pl.DataFrame
    evidence: pl.DataFrame  # gap evidence
    modules: pl.DataFrame
    metrics: pl.DataFrame  # metric-derived ratings
    # the stakeholders listed, with `rated`: whether they gave at least one non-blank
    # rating (never shown by name)
    stakeholders: pl.DataFrame | None = None
    files: pl.DataFrame | None = None  # evidence files and their sha256
    # robustness of findings (robustness-v1.md), one row per engagement; set by
    # `paos.method.robustness.robustness`, which also adds `changed_in` and `robust`
    # to the gaps. None when not computed (plain `score()`).
    robustness: pl.DataFrame | None = None

    def engagement_ids(self) -> list[str]:
        return self.engagements[ENG].to_list()
