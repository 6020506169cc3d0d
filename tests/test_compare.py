"""Re-assessment: progress from a baseline engagement to its follow-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from paos import PaosError, load_rulebook
from paos.method.reassessment import check_pair, compare, compare_paths, compare_text, signed
from tests.builders import RATINGS, RB, run, write_engagement

ALL = [s.id for s in RB.signals]


def rated(overrides: dict[str, int | None], eid: str) -> dict:
    """One operational rater: 3 on every signal except `overrides` (None = no rating)."""
    ratings = {sig: 3 for sig in ALL} | overrides
    return run(
        [("o0", "operational", sig, r) for sig, r in ratings.items() if r is not None], eid=eid
    )


# Baseline -> follow-up, one operational rating per signal (threshold 2.75):
#   FIT-01 1 -> 3     critical gap closed
#   FIT-03 1 -> 2     critical -> high: improved
#   REC-01 2 -> 1     high -> critical: worsened
#   ONB-01 2 -> 2     high -> high: unchanged
#   ECO-01 1 -> none  no longer assessed
#   PERF-01 3 -> 1    new critical gap
BASE = {"FIT-01": 1, "FIT-03": 1, "REC-01": 2, "ONB-01": 2, "ECO-01": 1}
FOLLOW = {"FIT-01": 3, "FIT-03": 2, "REC-01": 1, "ONB-01": 2, "ECO-01": None, "PERF-01": 1}


@pytest.fixture(scope="module")
def progress() -> dict:
    return compare(rated(BASE, "acme-2025"), rated(FOLLOW, "acme-2026"))


def test_ids_and_rulebook(progress):
    assert progress["baseline"] == "acme-2025" and progress["follow_up"] == "acme-2026"
    assert progress["rulebook"] == {"baseline": "paos-v1", "follow_up": "paos-v1", "same": True}


def test_closed_gap_keeps_baseline_severity_and_priority(progress):
    assert progress["gaps_closed"] == [
        {"signal_id": "FIT-01", "severity": "critical", "priority": "P1"}
    ]


def test_new_gap_has_follow_up_severity_and_priority(progress):
    assert progress["gaps_new"] == [
        {"signal_id": "PERF-01", "severity": "critical", "priority": "P1"}
    ]


def test_persisting_gaps_in_follow_up_roadmap_order_with_severity_change(progress):
    # follow-up roadmap: FIT-03 (P1 tier 1), REC-01 (P1 tier 2), PERF-01 (P1 tier 3), ONB-01 (P2)
    assert progress["gaps_persisting"] == [
        {
            "signal_id": "FIT-03",
            "severity_baseline": "critical",
            "severity_follow_up": "high",
            "change": "improved",
            "shortfall_baseline": 1.75,
            "shortfall_follow_up": 0.75,
        },
        {
            "signal_id": "REC-01",
            "severity_baseline": "high",
            "severity_follow_up": "critical",
            "change": "worsened",
            "shortfall_baseline": 0.75,
            "shortfall_follow_up": 1.75,
        },
        {
            "signal_id": "ONB-01",
            "severity_baseline": "high",
            "severity_follow_up": "high",
            "change": "unchanged",
            "shortfall_baseline": 0.75,
            "shortfall_follow_up": 0.75,
        },
    ]


def test_gap_without_follow_up_evidence_is_neither_closed_nor_persisting(progress):
    assert progress["no_longer_assessed"] == ["ECO-01"]
    listed = [
        g["signal_id"] for k in ("gaps_closed", "gaps_new", "gaps_persisting") for g in progress[k]
    ]
    assert "ECO-01" not in listed


@pytest.mark.parametrize(
    "did, before, after",
    [
        ("FIT", 2.0, 2.75),  # [1, 3, 1, 3] -> [3, 3, 2, 3]
        ("REC", 2.75, 2.5),
        ("ONB", 2.75, 2.75),
        ("ECO", 2.5, 3.0),  # follow-up: three scored signals of four
        ("PERF", 3.0, 2.5),
        ("ORG", 3.0, 3.0),
    ],
)
def test_dimension_deltas(progress, did, before, after):
    d = next(d for d in progress["dimensions"] if d["id"] == did)
    assert (d["baseline"], d["follow_up"]) == (pytest.approx(before), pytest.approx(after))
    assert d["delta"] == pytest.approx(after - before)


def test_dimensions_in_dimension_order_with_maturity(progress):
    assert [d["id"] for d in progress["dimensions"]] == ["FIT", "REC", "ONB", "ECO", "PERF", "ORG"]
    fit = progress["dimensions"][0]
    assert fit["name"] == "Partner Fit"
    assert (fit["maturity_baseline"], fit["maturity_follow_up"]) == ("Emerging", "Structured")


def test_pai_delta_full_precision(progress):
    p = progress["pai"]
    assert p["baseline"] == pytest.approx(16 / 6) and p["follow_up"] == pytest.approx(2.75)
    assert p["delta"] == pytest.approx(0.5 / 6)
    assert (p["maturity_baseline"], p["maturity_follow_up"]) == ("Emerging", "Structured")


def test_incomplete_pai_gives_null_delta():
    base = rated({}, "acme-2025")
    # ORG rated on one signal of four: coverage 0.25, no ORG score, PAI incomplete
    follow = rated({"ORG-02": None, "ORG-03": None, "ORG-04": None}, "acme-2026")
    p = compare(base, follow)
    assert p["pai"]["baseline"] == 3.0 and p["pai"]["follow_up"] is None
    assert p["pai"]["delta"] is None
    org = p["dimensions"][-1]
    assert org["follow_up"] is None and org["delta"] is None
    assert org["maturity_follow_up"] is None


def test_no_gaps_anywhere_gives_empty_lists():
    p = compare(rated({}, "a"), rated({}, "b"))
    assert p["gaps_closed"] == p["gaps_new"] == p["gaps_persisting"] == []
    assert p["no_longer_assessed"] == [] and p["pai"]["delta"] == 0


def test_different_rulebook_file_is_recorded():
    base, follow = rated({}, "a"), rated({}, "b")
    follow["rulebook"] = {"id": "paos-v1", "sha256": "0" * 64}
    assert compare(base, follow)["rulebook"]["same"] is False


def test_severity_order_can_be_given():
    # with the order reversed, critical -> high reads as worsened
    p = compare(
        rated({"FIT-01": 1}, "a"),
        rated({"FIT-01": 2}, "b"),
        severities=["medium", "high", "critical"],
    )
    assert p["gaps_persisting"][0]["change"] == "worsened"


@pytest.mark.parametrize(
    "delta, shown",
    [
        (0.25, "+0.3"),
        (-0.25, "-0.3"),
        (0.5 / 6, "+0.1"),
        (0.0, "0.0"),
        (0.04, "0.0"),
        (-0.04, "0.0"),
        (2.3 - 2.1, "+0.2"),
        (-1.0, "-1.0"),
        (None, None),
    ],
)
def test_signed_display(delta, shown):
    assert signed(delta) == shown


def test_text_summary(progress):
    text = compare_text(progress)
    assert "Progress acme-2025 -> acme-2026" in text
    assert "Partner Architecture Index: 2.7 -> 2.8  (+0.1; Emerging -> Structured)" in text
    assert "+0.8" in text and "-0.3" in text  # FIT, REC deltas
    assert "Gaps closed (1):" in text and "FIT-01  was critical (P1)" in text
    assert "Gaps new (1):" in text and "PERF-01 critical (P1)" in text
    assert "REC-01  high -> critical      worsened   shortfall 0.75 -> 1.75" in text
    assert "No longer assessed" in text and "ECO-01" in text


def test_text_summary_incomplete_pai():
    text = compare_text(
        compare(rated({}, "a"), rated({"ORG-02": None, "ORG-03": None, "ORG-04": None}, "b"))
    )
    assert "no delta: PAI incomplete" in text


# --- check_pair ---------------------------------------------------------------


def meta(
    eid: str, client: str = "Acme", day: dt.date = dt.date(2026, 1, 1), baseline: str | None = None
) -> dict:
    return {"engagement_id": eid, "client": client, "assessed_on": day, "baseline": baseline}


def test_check_pair_accepts_a_baseline_and_its_follow_up():
    check_pair(meta("a", day=dt.date(2025, 1, 1)), meta("b", " acme ", baseline="a"))
    check_pair(meta("a"), meta("b"))  # same day, no baseline named


@pytest.mark.parametrize(
    "base, follow, says",
    [
        (meta("a", day=dt.date(2025, 1, 1)), meta("b", baseline="z"), "names baseline z, not a"),
        (meta("a", day=dt.date(2026, 2, 1)), meta("b", baseline="a"), "after follow-up b"),
        (
            meta("a", day=dt.date(2025, 1, 1)),
            meta("b", "Globex", baseline="a"),
            "different clients",
        ),
        (meta("a"), meta("a"), "with itself"),
    ],
)
def test_check_pair_refuses(base, follow, says):
    with pytest.raises(PaosError, match=says) as err:
        check_pair(base, follow)
    assert "\n" not in str(err.value)


# --- on disk ------------------------------------------------------------------

FOLLOW_RATINGS = [
    RATINGS[0],
    ["s1", "FIT-01", "4", "We have a profile", "interview"],
    ["s2", "FIT-01", "3", "Used in most deals now", "interview"],
    ["s3", "FIT-02", "2", "Some idea", "survey"],
    ["s2", "FIT-03", "1", "No tiers yet", "interview"],
]


def write_pair(tmp_path, follow_meta: str):
    base = write_engagement(
        tmp_path / "acme-2025", meta=("id: acme-2025\nclient: Acme\nassessed_on: 2025-05-04\n")
    )
    follow = write_engagement(tmp_path / "acme-2026", meta=follow_meta, ratings=FOLLOW_RATINGS)
    return base, follow


def test_compare_paths(tmp_path):
    base, follow = write_pair(
        tmp_path, "id: acme-2026\nclient: ACME \nassessed_on: 2026-05-04\nbaseline: acme-2025\n"
    )
    p = compare_paths(base, follow)
    assert (p["baseline"], p["follow_up"]) == ("acme-2025", "acme-2026")
    assert p["assessed_on"] == {"baseline": "2025-05-04", "follow_up": "2026-05-04"}
    assert p["rulebook"]["same"] is True
    # FIT-01: (4 + 2*2)/3 blind spot, medium escalated to high -> (4 + 2*3)/3, closed
    assert p["gaps_closed"] == [{"signal_id": "FIT-01", "severity": "high", "priority": "P1"}]
    assert p["gaps_new"] == [{"signal_id": "FIT-03", "severity": "critical", "priority": "P1"}]
    assert [(g["signal_id"], g["change"]) for g in p["gaps_persisting"]] == [
        ("FIT-02", "improved"),
        ("ONB-04", "unchanged"),
    ]  # ONB-04 from the metric
    fit = p["dimensions"][0]
    assert fit["baseline"] == pytest.approx((8 / 3 + 1) / 2)
    assert fit["follow_up"] == pytest.approx((10 / 3 + 2 + 1) / 3)
    assert fit["delta"] == pytest.approx((10 / 3 + 3) / 3 - (8 / 3 + 1) / 2)
    assert p["pai"]["delta"] is None  # only FIT has evidence
    assert "Progress acme-2025 -> acme-2026  (2025-05-04 -> 2026-05-04)" in compare_text(p)


def test_compare_paths_under_one_rulebook(tmp_path):
    base, follow = write_pair(tmp_path, "id: acme-2026\nclient: Acme\nassessed_on: 2026-05-04\n")
    p = compare_paths(base, follow, rulebook="paos-v1")
    assert p["rulebook"] == {"baseline": "paos-v1", "follow_up": "paos-v1", "same": True}


def test_compare_paths_refuses_the_wrong_order(tmp_path):
    base, follow = write_pair(
        tmp_path, "id: acme-2026\nclient: Acme\nassessed_on: 2026-05-04\nbaseline: acme-2025\n"
    )
    with pytest.raises(PaosError, match="after follow-up acme-2025"):
        compare_paths(follow, base)


# --- a contract carries what comparing it needs (issue 16, item 4) -------------------

STRICT = Path(__file__).parent.parent / "data" / "rulebooks" / "paos-strict.yaml"


def test_compare_of_contracts_scored_with_a_custom_rulebook_file():
    """The library's compare, given only two contracts scored with a rulebook file (not
    bundled), reads the severity order from the contracts: no rulebook lookup by id."""
    strict = load_rulebook(STRICT)
    base = run(
        [("o0", "operational", s, 3) for s in ALL if s != "FIT-01"]
        + [("o0", "operational", "FIT-01", 3), ("o1", "operational", "FIT-01", 2)],
        eid="a",
        rulebook=strict,
    )
    follow = run(
        [("o0", "operational", s, 3) for s in ALL if s != "FIT-01"]
        + [("o0", "operational", "FIT-01", 1)],
        eid="b",
        rulebook=strict,
    )
    assert base["rulebook"]["severity"] == ["critical", "high", "medium"]
    p = compare(base, follow)
    assert p["rulebook"] == {"baseline": "paos-strict", "follow_up": "paos-strict", "same": True}
    assert p["gaps_persisting"][0] == {
        "signal_id": "FIT-01",
        "severity_baseline": "high",
        "severity_follow_up": "critical",
        "change": "worsened",
        "shortfall_baseline": 0.5,
        "shortfall_follow_up": 2.0,
    }


def test_compare_reads_each_contract_s_own_order():
    base, follow = rated({"FIT-01": 1}, "a"), rated({"FIT-01": 2}, "b")
    for c in (base, follow):  # a custom rulebook that lists its bands the other way round
        c["rulebook"] = {
            "id": "acme-v1",
            "sha256": "1" * 64,
            "severity": ["medium", "high", "critical"],
        }
    assert compare(base, follow)["gaps_persisting"][0]["change"] == "worsened"


def test_a_stored_contract_without_an_order_still_compares_under_a_bundled_id():
    base, follow = rated({"FIT-01": 1}, "a"), rated({"FIT-01": 2}, "b")
    for c in (base, follow):
        del c["rulebook"]["severity"]  # as `contract_from_row` builds it from the store
    assert compare(base, follow)["gaps_persisting"][0]["change"] == "improved"


def test_a_contract_without_an_order_under_a_custom_id_is_refused_in_one_line():
    base, follow = rated({"FIT-01": 1}, "a"), rated({"FIT-01": 2}, "b")
    base["rulebook"] = {"id": "acme-v1", "sha256": "1" * 64}
    with pytest.raises(PaosError) as info:
        compare(base, follow)
    assert info.value.lines() == [
        "the results of a do not carry their severity order (written before paos "
        "recorded it) and rulebook acme-v1 is not bundled; score the engagement again, "
        "or pass severities="
    ]


def test_a_severity_outside_the_order_is_refused():
    base, follow = rated({"FIT-01": 1}, "a"), rated({"FIT-01": 2}, "b")
    with pytest.raises(PaosError, match="severity 'critical' is not in the severity order"):
        compare(base, follow, severities=["high", "medium"])


# --- contract() of several engagements refuses (issue 16, item 5) -------------------


def test_contract_of_several_engagements_names_them_instead_of_picking_one():
    import polars as pl

    from paos import contract, score
    from paos._types import Evidence
    from paos.evidence.schemas import validated
    from tests.builders import evidence

    one = evidence([("o0", "operational", "FIT-01", 2)], eid="zeta-2026")
    two = evidence([("o0", "operational", "FIT-01", 3)], eid="alpha-2026")
    both = validated(
        Evidence(*(pl.concat([getattr(one, f), getattr(two, f)]) for f in
                   ("engagements", "stakeholders", "ratings", "metrics"))),
        RB,
    )  # fmt: skip
    results = score(both, RB)
    with pytest.raises(PaosError) as info:
        contract(results)
    assert info.value.lines() == [
        "these results hold 2 engagements (alpha-2026, zeta-2026); name one: "
        "contract(results, ENGAGEMENT_ID), or use contracts(results)"
    ]
    assert contract(results, "alpha-2026")["engagement_id"] == "alpha-2026"
    with pytest.raises(PaosError, match="engagement 'beta' is not in these results"):
        contract(results, "beta")
