"""The scoring engine: validated evidence frames in, every result frame out.

Pure and vectorised: scores any number of engagements in one pass, and the
same input in any row order gives the same output. The stages are keyed by
(engagement, variant); what `score()` reports is variant 0 of each engagement, every
rater included (robustness runs the same stages on the other variants).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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
    # The raters and the gaps' evidence beside the other stages, on a thread of this
    # call: polars runs each stage on every core, and the serial parts of the one
    # overlap the other's (a tenth of score() on the engine bench).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="paos-score") as pool:
        raters = pool.submit(rated_stakeholders, evidence.stakeholders, evidence.ratings)
        signals = classify_divergence(
            score_signals(evidence.ratings, rated, ids, rulebook), rulebook
        )
        gaps = detect_gaps(signals, rulebook).drop(VARIANT)
        stakeholders = raters.result()
        quotes = pool.submit(gap_evidence, gaps, evidence.ratings, stakeholders, rated, rulebook)
        dimensions = score_dimensions(signals, rulebook).collect()
        index = score_index(dimensions, rulebook).drop(VARIANT)
        engagements = evidence.engagements.join(index, on=ENG, how="left").sort(ENG)
        modules = installation_modules(gaps, rulebook)
        return Results(
            rulebook=rulebook,
            engagements=engagements,
            dimensions=dimensions.drop(VARIANT).sort(ENG, "dimension_order"),
            signals=signals.drop(VARIANT).sort(ENG, "signal_order"),
            gaps=gaps,
            evidence=quotes.result(),
            modules=modules,
            metrics=rated,
            stakeholders=stakeholders,
            files=evidence.files,
        )
