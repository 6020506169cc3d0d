"""The order of the gaps' evidence (results contract: per engagement and signal, the
perspectives in the rulebook's order, then rating, line and text) and the integer sort
that gives it (`sort_by_codes`)."""

from __future__ import annotations

import dataclasses

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from paos import score
from paos._types import Evidence
from paos.method._keys import sort_by_codes
from tests.builders import RB, evidence

TEXTS = st.sampled_from(["", "a", "b", "ab", "b a", "Zeta", "é"])


@st.composite
def coded_frames(draw, huge: bool = False) -> tuple[pl.DataFrame, dict[str, int]]:
    """A frame of integer columns below their bounds (few values: many ties) and a text
    column; `huge` bounds whose product is over 2^64 (the sort by several columns)."""
    n_cols = draw(st.integers(1, 4))
    bounds = {f"c{i}": draw(st.integers(1, 4)) for i in range(n_cols)}
    if huge:
        bounds |= {"big": 2**40, "bigger": 2**30}
    rows = draw(st.integers(0, 40))
    data = {
        c: draw(st.lists(st.integers(0, min(b, 5) - 1), min_size=rows, max_size=rows))
        for c, b in bounds.items()
    }
    data["text"] = draw(st.lists(TEXTS, min_size=rows, max_size=rows))
    frame = pl.DataFrame(data, schema={**dict.fromkeys(bounds, pl.Int64), "text": pl.String})
    return frame, bounds


@given(coded_frames())
def test_sort_by_codes_is_the_sort_by_its_columns_then_the_tie(case):
    frame, bounds = case
    assert_frame_equal(sort_by_codes(frame, bounds, "text"), frame.sort(*bounds, "text"))


@given(coded_frames(huge=True))
def test_sort_by_codes_beyond_64_bits_is_the_same_sort(case):
    frame, bounds = case
    assert_frame_equal(sort_by_codes(frame, bounds, "text"), frame.sort(*bounds, "text"))


def _two_engagements() -> Evidence:
    """Two engagements whose gaps have quotes from every perspective, ratings 1 and 2,
    lines that tie (one line of two files), no line, and metric evidence."""
    ratings = [
        ("s1", "operational", "FIT-01", 2, "zulu"),
        ("s2", "operational", "FIT-01", 2, "alpha"),
        ("s3", "operational", "FIT-01", 1, "mike"),
        ("c1", "strategic", "FIT-01", 2, "strategy says"),
        ("p1", "partner", "FIT-01", 1, "partner says"),
        ("s1", "operational", "ONB-04", 1, "no activation"),
        ("s2", "operational", "ONB-04", 1, "activation? no"),
        ("c1", "strategic", "ONB-04", 2, "  "),  # blank: not evidence
        ("s3", "operational", "ONB-04", 2, None),
    ]
    parts = [evidence(ratings, {"partner_activation_rate": 5}, eid=eid) for eid in ("e2", "e10")]
    frames = ("engagements", "stakeholders", "ratings", "metrics")
    ev = Evidence(*(pl.concat([getattr(p, f) for p in parts]) for f in frames))
    # s1 and s2's quotes on FIT-01 share a line (two files of one engagement); s3 has none
    line = (
        pl.when(pl.col("stakeholder_id").is_in(["s1", "s2"]) & (pl.col("signal_id") == "FIT-01"))
        .then(pl.lit(7, dtype=pl.Int32))
        .when(pl.col("stakeholder_id") == "s3")
        .then(pl.lit(None, dtype=pl.Int32))
        .otherwise(pl.col("line"))
    )
    shuffled = ev.ratings.with_columns(line.alias("line")).sample(
        fraction=1.0, shuffle=True, seed=3
    )
    return dataclasses.replace(ev, ratings=shuffled)


def test_gap_evidence_is_in_the_contract_order():
    ev = _two_engagements()
    results = score(ev, RB)
    got = results.evidence
    assert got.height > 0 and set(got["engagement_id"]) == {"e2", "e10"}
    # the contract's order, spelled out in Python over the documented ratings of gaps
    gaps = set(zip(results.gaps["engagement_id"], results.gaps["signal_id"], strict=True))
    place = {p: i for i, p in enumerate(RB.perspective_weights)}
    lines = {
        (r["engagement_id"], r["signal_id"], r["evidence"]): r["line"]
        for r in ev.ratings.iter_rows(named=True)
    }

    def key(row: dict) -> tuple:
        line = lines.get((row["engagement_id"], row["signal_id"], row["text"]))
        return (
            row["engagement_id"],
            row["signal_id"],
            place[row["perspective"]],
            row["rating"],
            line is None,
            line or 0,
            row["text"],
        )

    rows = got.to_dicts()
    assert rows == sorted(rows, key=key)
    assert all((r["engagement_id"], r["signal_id"]) in gaps for r in rows)
    fit = [r["text"] for r in rows if (r["engagement_id"], r["signal_id"]) == ("e10", "FIT-01")]
    assert set(fit) == {"zulu", "alpha", "mike", "strategy says", "partner says"}
    operational = [t for t in fit if t in {"zulu", "alpha", "mike"}]
    assert operational == ["mike", "alpha", "zulu"]  # rating 1 first; line 7 tie: by text
    assert "  " not in got["text"].to_list()
    assert any(t.startswith("partner_activation_rate = 5%") for t in got["text"])
