"""The scoring engine: validated evidence frames in, every result frame out.

Pure and vectorised: scores any number of engagements in one pass, and the
same input in any row order gives the same output.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from paos.divergence import classify_divergence
from paos.gaps import detect_gaps, gap_evidence
from paos.index import installation_modules, score_dimensions, score_index
from paos.rulebook import Rulebook
from paos.signals import metric_ratings, score_signals

ENG = "engagement_id"


@dataclass(frozen=True)
class Evidence:
    """Validated evidence of one or more engagements (see `paos.schemas`)."""

    engagements: pl.DataFrame
    stakeholders: pl.DataFrame
    ratings: pl.DataFrame
    metrics: pl.DataFrame
    files: pl.DataFrame | None = None   # engagement_id, file, sha256 (provenance)

    def engagement_ids(self) -> list[str]:
        return self.engagements[ENG].to_list()


@dataclass(frozen=True)
class Results:
    """Every result of the diagnostic, as frames keyed by engagement_id."""

    rulebook: Rulebook
    engagements: pl.DataFrame   # meta + status, pai, pai_display, maturity
    dimensions: pl.DataFrame
    signals: pl.DataFrame
    gaps: pl.DataFrame
    evidence: pl.DataFrame      # gap evidence
    modules: pl.DataFrame
    metrics: pl.DataFrame       # metric-derived ratings
    stakeholders: pl.DataFrame | None = None   # who gave evidence (never shown by name)
    files: pl.DataFrame | None = None          # evidence files and their sha256

    def engagement_ids(self) -> list[str]:
        return self.engagements[ENG].to_list()


def score(evidence: Evidence, rulebook: Rulebook) -> Results:
    """Score every engagement of `evidence` under `rulebook`."""
    ids = evidence.engagements[ENG]
    rated = metric_ratings(evidence.metrics, rulebook)
    signals = score_signals(evidence.ratings, rated, ids, rulebook)
    signals = classify_divergence(signals, rulebook)
    gaps = detect_gaps(signals, rulebook)
    dimensions = score_dimensions(signals, gaps, rulebook)
    index = score_index(dimensions, rulebook)
    engagements = evidence.engagements.join(index, on=ENG, how="left").sort(ENG)
    return Results(
        rulebook=rulebook,
        engagements=engagements,
        dimensions=dimensions.sort(ENG, "dimension_order"),
        signals=signals.sort(ENG, "signal_order"),
        gaps=gaps,
        evidence=gap_evidence(gaps, evidence.ratings, evidence.stakeholders, rated, rulebook),
        modules=installation_modules(gaps, rulebook),
        metrics=rated,
        stakeholders=evidence.stakeholders,
        files=evidence.files,
    )
