"""The rules of evidence run once, on the tables as written (where a failure can name
file, line and column); the typed frames `load_evidence` returns are checked for
their columns and types only. These tests hold that nothing is lost by it: whatever
the table rules accept, typed, keeps every rule of the engine's schemas
(`paos.evidence.schemas`, run here at full depth)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandera.api.polars.container import DataFrameSchema
from pandera.config import ValidationDepth, get_config_context
from pandera.errors import SchemaErrors

from paos import EvidenceError, load_evidence
from paos._types import Evidence
from paos.evidence.schemas import validated
from tests.builders import META, RB, write_engagement
from tests.profiles import examples

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "data" / "engagements").iterdir()) + sorted(
    (ROOT / "data" / "portfolio" / "engagements").iterdir()
)


def test_every_bundled_engagement_typed_keeps_every_rule():
    ev = load_evidence(BUNDLED)  # one portfolio: ids unique across engagements too
    assert ev.engagements.height == len(BUNDLED)
    validated(ev, RB)


def test_load_evidence_checks_the_values_once(monkeypatch):
    """The table schemas at full depth; the typed frames' columns and types only."""
    depths: list[tuple[list[str], ValidationDepth | None]] = []
    real = DataFrameSchema.validate

    def spy(self, frame, *args, **kwargs):
        depths.append((list(self.columns), get_config_context().validation_depth))
        return real(self, frame, *args, **kwargs)

    monkeypatch.setattr(DataFrameSchema, "validate", spy)
    load_evidence([BUNDLED[0]])
    typed = [d for cols, d in depths if "engagement_id" in cols]
    tables = [d for cols, d in depths if "engagement_id" not in cols]
    assert len(typed) == 4 and set(typed) == {ValidationDepth.SCHEMA_ONLY}
    assert len(tables) == 3 and ValidationDepth.SCHEMA_ONLY not in tables


def test_typed_frames_of_the_wrong_type_are_still_refused():
    ev = load_evidence([BUNDLED[0]])
    wrong = Evidence(
        ev.engagements,
        ev.stakeholders,
        ev.ratings.with_columns(pl.col("rating").cast(pl.String)),
        ev.metrics,
        ev.files,
    )
    with pytest.raises(SchemaErrors):
        validated(wrong, RB, values=False)


# Cells near the rules' edges (padded, cased, blank, out of range, not numbers),
# most of them valid so that most engagements are accepted.
def _cells(valid: list[str], edge: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(valid * 4 + edge)


ROLES = _cells(["ceo", "CEO ", " sales", "partner"], ["other", "astronaut", ""])
PERSPECTIVES = _cells(["", "strategic", "Operational ", "partner"], ["data", "x"])
SIGNALS = _cells(["FIT-01", "fit-01", " FIT-02", "ONB-04"], ["NOPE", ""])
RATINGS = _cells(["1", "4", " 3", "3.0", ""], ["2.5", "0", "5", "x"])
METRIC_IDS = _cells(
    ["partner_activation_rate", "PARTNER_ACTIVATION_RATE ", "active_partners_per_manager"], ["x"]
)
VALUES = _cells(["0", "35", "100", "1e2", " 7"], ["100.5", "-1", "nan", "inf", ""])


@st.composite
def folders(draw):
    """An engagement's three tables; ratings by listed stakeholders (as written, or
    padded), a few by others."""
    ids = draw(st.lists(st.sampled_from(["s1", "s2", "s3", "S1"]), min_size=1, max_size=3))
    people = [[i, draw(ROLES), draw(PERSPECTIVES)] for i in dict.fromkeys(ids)]
    rater = st.sampled_from([p[0] for p in people]) | st.sampled_from([" s1 ", "s9", ""])
    ratings = draw(
        st.lists(
            st.tuples(rater, SIGNALS, RATINGS),
            min_size=1,
            max_size=5,
            unique_by=lambda r: (r[0].strip(), r[1].strip().upper()),
        )
    )
    metrics = draw(st.lists(st.tuples(METRIC_IDS, VALUES), max_size=3))
    return (
        [["stakeholder_id", "role", "perspective"], *people],
        [["stakeholder_id", "signal_id", "rating", "evidence"], *[[*r, "text"] for r in ratings]],
        [["metric_id", "value"], *map(list, metrics)],
    )


@settings(
    max_examples=examples(80),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(folders())
def test_whatever_the_table_rules_accept_keeps_every_rule_typed(tables):
    stakeholders, ratings, metrics = tables
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_engagement(Path(tmp) / "e", META, stakeholders, ratings, metrics)
        try:
            ev = load_evidence([folder])
        except EvidenceError:
            return
        validated(ev, RB)  # at full depth: raises SchemaErrors if a rule was lost
