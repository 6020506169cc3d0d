"""The scoring engine: validated evidence frames in, every result frame out.

Pure and vectorised: scores any number of engagements in one pass, and the
same input in any row order gives the same output. The stages are keyed by
(engagement, variant); what `score()` reports is variant 0 of each engagement, every
rater included (robustness runs the same stages on the other variants).
"""

from __future__ import annotations

from paos._types import ENG, Evidence, Results
from paos.base.rulebook import Rulebook
from paos.method._divergence import classify_divergence
from paos.method._gaps import detect_gaps, gap_evidence, rated_stakeholders
from paos.method._index import installation_modules, score_dimensions, score_index
from paos.method._keys import VARIANT
from paos.method._signals import metric_ratings, score_signals


def score(evidence: Evidence, rulebook: Rulebook) -> Results:
    """Score every engagement of `evidence` under `rulebook`."""
    ids = evidence.engagements[ENG]
    rated = metric_ratings(evidence.metrics, rulebook)
    signals = score_signals(evidence.ratings, rated, ids, rulebook)
    signals = classify_divergence(signals, rulebook)
    gaps = detect_gaps(signals, rulebook)
    dimensions = score_dimensions(signals, rulebook)
    index = score_index(dimensions, rulebook).drop(VARIANT)
    signals, gaps, dimensions = (f.drop(VARIANT) for f in (signals, gaps, dimensions))
    engagements = evidence.engagements.join(index, on=ENG, how="left").sort(ENG)
    # once: anonymity and the evidence counts
    stakeholders = rated_stakeholders(evidence.stakeholders, evidence.ratings)
    return Results(
        rulebook=rulebook,
        engagements=engagements,
        dimensions=dimensions.sort(ENG, "dimension_order"),
        signals=signals.sort(ENG, "signal_order"),
        gaps=gaps,
        evidence=gap_evidence(gaps, evidence.ratings, stakeholders, rated, rulebook),
        modules=installation_modules(gaps, rulebook),
        metrics=rated,
        stakeholders=stakeholders,
        files=evidence.files,
    )
