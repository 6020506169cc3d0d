"""Stage 4: cross-stakeholder divergence (methodology section 4).

What leadership assumes (strategic S) is tested against operational reality
(R); the difference is classified into blind spots and hidden strengths.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from paos.base.rulebook import Rulebook
from paos.method._numbers import cmp

CLASSES = ("blind_spot", "hidden_strength", "aligned", "not_testable")
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def classify_divergence(signals: Frame, rulebook: Rulebook) -> Frame:
    """Add `divergence` (S - R, null if either is null) and `divergence_class` (to a lazy
    frame too: robustness adds them in the plan of its signals)."""
    rule = rulebook["divergence"]
    div = pl.col("strategic") - pl.col("reality")
    d = cmp(pl.col("divergence"), rulebook.decimals)
    return signals.with_columns(divergence=div).with_columns(
        divergence_class=pl.when(pl.col("divergence").is_null())
        .then(pl.lit("not_testable"))
        .when(d >= rule["blind_spot_at_or_above"])
        .then(pl.lit("blind_spot"))
        .when(d <= rule["hidden_strength_at_or_below"])
        .then(pl.lit("hidden_strength"))
        .otherwise(pl.lit("aligned"))
    )
