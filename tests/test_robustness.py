"""Robustness of findings (spec robustness-v1.md): hand-computed cases and a property
test against a reference that rescores every leave-one-rater-out variant with the
ordinary engine.

Rulebook paos-v1: threshold 2.75 for every signal, severity by shortfall
(critical >= 1.0, high >= 0.5, medium > 0), a blind spot (S - R >= 1) raises the
severity one level, priority by severity and tier (FIT and ECO, ORG tier 1),
dimension weights all 1, minimum coverage 0.5 (2 of a dimension's 4 signals).
"""

from __future__ import annotations

import dataclasses
from unittest import mock

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import paos.method.robustness as robustness_module
from paos import contracts, score
from paos._types import Evidence
from paos.method.diagnostic import score_evidence
from paos.method.results import contract, summary_text
from paos.method.robustness import robustness
from paos.method.store import STORE_SCHEMA, _read_run, contract_from_row, store_rows
from tests.builders import RB, evidence, gap
from tests.profiles import PROFILE
from tests.test_reference import PROPERTY_SETTINGS, engagements, engine_evidence

SIGNALS = [s.id for s in RB.signals]


def rated(c: dict) -> dict:
    return {g["signal_id"]: g for g in c["gaps"]}


def everyone(people: list[tuple[str, str]], rating: int = 3, skip=()) -> list[tuple]:
    """Every person rates every signal (but `skip`) with `rating`."""
    return [(p, persp, s, rating) for s in SIGNALS if s not in skip for p, persp in people]


def robust_contract(ratings: list[tuple], metrics=None) -> dict:
    return contract(score_evidence(evidence(ratings, metrics), RB))


# --------------------------------------------------------------------------- #
# Hand-computed cases
# --------------------------------------------------------------------------- #
def test_gap_held_by_one_rater():
    """FIT-01: o0 rates 1, o1-o3 rate 3: V = 2.5, medium (tier 1: P2). Without o0 V = 3,
    no gap; without any other V = 7/3, still medium P2: changed in exactly 1."""
    people = [(f"o{i}", "operational") for i in range(4)]
    ratings = everyone(people, skip={"FIT-01"})
    ratings += [("o0", "operational", "FIT-01", 1)] + [
        (f"o{i}", "operational", "FIT-01", 3) for i in (1, 2, 3)
    ]
    c = robust_contract(ratings)
    g = gap(c, "FIT-01")
    assert (g["severity"], g["priority"]) == ("medium", "P2")
    assert (g["changed_in"], g["robust"]) == (1, False)
    assert len(c["gaps"]) == 1
    r = c["robustness"]
    # full FIT = (2.5 + 9) / 4; without o0 every dimension is 3; without another
    # rater FIT = (7/3 + 9) / 4; PAI the mean of the six dimensions
    assert c["pai"] == pytest.approx((2.875 + 15) / 6)
    assert r["variants"] == 4
    assert r["pai_max"] == 3.0
    assert r["pai_min"] == pytest.approx(((7 / 3 + 9) / 4 + 15) / 6, abs=1e-12)
    assert (r["robust_gaps"], r["near_gaps"]) == (0, [])


def test_blind_spot_that_hinges_on_the_optimistic_leader():
    """FIT-01: leaders s0 = 4, s1 = 3 (S = 3.5); operational 2, 2, 2, 3 (R = 2.25):
    a blind spot (1.25), V = (3.5 + 2 * 2.25) / 3 = 2.667, medium escalated to high, P1.
    Without s0: S = 3, aligned, V = 2.5 medium, not escalated: P2 (changed).
    Without s1: S = 4, V = 2.833, no gap (changed). Without an operational 2:
    R = 7/3, still blind, V = 2.722 medium -> high P1; without o3: R = 2, V = 2.5
    medium -> high P1 (same). Changed in 2 of 6."""
    people = [("s0", "strategic"), ("s1", "strategic")] + [
        (f"o{i}", "operational") for i in range(4)
    ]
    ratings = everyone(people, skip={"FIT-01"})
    ratings += [
        ("s0", "strategic", "FIT-01", 4),
        ("s1", "strategic", "FIT-01", 3),
        ("o0", "operational", "FIT-01", 2),
        ("o1", "operational", "FIT-01", 2),
        ("o2", "operational", "FIT-01", 2),
        ("o3", "operational", "FIT-01", 3),
    ]
    c = robust_contract(ratings)
    g = gap(c, "FIT-01")
    assert (g["severity"], g["escalated"], g["priority"]) == ("high", True, "P1")
    assert (g["changed_in"], g["robust"]) == (2, False)
    assert c["robustness"]["variants"] == 6
    assert c["robustness"]["robust_gaps"] == 0
    # the s0 variant on its own: the ordinary engine without s0's ratings
    c0 = contract(score(evidence([r for r in ratings if r[0] != "s0"]), RB))
    g0 = gap(c0, "FIT-01")
    assert (g0["severity"], g0["escalated"], g0["priority"]) == ("medium", False, "P2")


def test_dimension_losing_coverage_is_left_out_of_the_pai_range():
    """FIT-01 rated by o0 only, FIT-02 by o1 only (FIT-03/04 unrated): FIT has coverage
    0.5 in full, 0.25 without o0 or o1, so those variants have no PAI. Only the variant
    without o2 (who rates every other signal 4) is complete, with every score 3."""
    ratings = [("o0", "operational", "FIT-01", 3), ("o1", "operational", "FIT-02", 3)]
    others = [s for s in SIGNALS if not s.startswith("FIT")]
    ratings += [(p, "operational", s, 3) for s in others for p in ("o0", "o1")]
    ratings += [("o2", "operational", s, 4) for s in others]
    c = robust_contract(ratings)
    assert c["status"] == "complete"
    assert c["pai"] == pytest.approx((3 + 5 * 10 / 3) / 6)
    r = c["robustness"]
    assert r == {
        "variants": 3,
        "pai_min": 3.0,
        "pai_max": 3.0,
        "robust_gaps": 0,
        "near_gaps": [],
    }


def test_no_pai_range_when_the_full_pai_is_incomplete():
    ratings = [(p, "operational", s, 3) for s in SIGNALS[:4] for p in ("o0", "o1")]
    c = robust_contract(ratings)
    assert c["status"] == "incomplete"
    assert c["robustness"]["variants"] == 2
    assert c["robustness"]["pai_min"] is None and c["robustness"]["pai_max"] is None


def test_one_rater_has_no_variants_and_null_fields():
    """Fewer than 2 raters: variants 0, every other field null, per gap too (the
    spec's "every other robustness field below" covers the per-gap fields). A
    stakeholder whose ratings are all blank is not a rater."""
    ratings = everyone([("o0", "operational")], rating=2)
    ratings += [("o1", "operational", "FIT-01", None)]
    c = robust_contract(ratings)
    assert c["gaps"]
    assert all(g["changed_in"] is None and g["robust"] is None for g in c["gaps"])
    assert c["robustness"] == {
        "variants": 0,
        "pai_min": None,
        "pai_max": None,
        "robust_gaps": None,
        "near_gaps": None,
    }
    assert "leaving any one stakeholder out" not in summary_text(c)


def test_two_raters():
    """FIT-01: o0 = 1, o1 = 2: V = 1.5, critical P1. Without o0: V = 2, high P1
    (changed); without o1: V = 1, critical P1 (same). Everything else 3."""
    people = [("o0", "operational"), ("o1", "operational")]
    ratings = everyone(people, skip={"FIT-01"})
    ratings += [("o0", "operational", "FIT-01", 1), ("o1", "operational", "FIT-01", 2)]
    c = robust_contract(ratings)
    g = gap(c, "FIT-01")
    assert (g["severity"], g["priority"], g["changed_in"], g["robust"]) == (
        "critical",
        "P1",
        1,
        False,
    )
    assert c["robustness"]["variants"] == 2
    # FIT without o0: (2 + 9) / 4; without o1: (1 + 9) / 4
    assert c["robustness"]["pai_min"] == pytest.approx((10 / 4 + 15) / 6, abs=1e-12)
    assert c["robustness"]["pai_max"] == pytest.approx((11 / 4 + 15) / 6, abs=1e-12)


def test_robust_gap_and_near_gaps_in_catalogue_order():
    """ORG-01, ECO-01, REC-03: o0 = 1, o1 = o2 = 4 (V = 3, no gap; without o1 or o2
    V = 2.5, a gap): near gaps, listed in catalogue order (REC, ECO, ORG), not in input
    or alphabetical order. FIT-02: all three rate 1: a gap in every variant."""
    people = [(f"o{i}", "operational") for i in range(3)]
    near = ["ORG-01", "ECO-01", "REC-03"]
    ratings = everyone(people, skip={*near, "FIT-02"})
    for s in near:
        ratings += [("o0", "operational", s, 1), ("o1", "operational", s, 4)]
        ratings += [("o2", "operational", s, 4)]
    ratings += [(p, "operational", "FIT-02", 1) for p, _ in people]
    c = robust_contract(ratings)
    assert [g["signal_id"] for g in c["gaps"]] == ["FIT-02"]
    assert (gap(c, "FIT-02")["changed_in"], gap(c, "FIT-02")["robust"]) == (0, True)
    assert c["robustness"]["robust_gaps"] == 1
    assert c["robustness"]["near_gaps"] == ["REC-03", "ECO-01", "ORG-01"]


def test_summary_shows_the_pai_range_and_marks_non_robust_gaps():
    people = [(f"o{i}", "operational") for i in range(4)]
    ratings = everyone(people, skip={"FIT-01"})
    ratings += [("o0", "operational", "FIT-01", 1)]
    ratings += [(f"o{i}", "operational", "FIT-01", 3) for i in (1, 2, 3)]
    text = summary_text(robust_contract(ratings))
    assert "PAI 3.0; 3.0-3.0 leaving any one stakeholder out" in text
    line = next(x for x in text.splitlines() if "FIT-01" in x)
    assert "not robust" in line


def test_plain_score_contract_has_no_robustness_fields():
    c = contract(score(evidence(everyone([("o0", "operational")])), RB))
    assert "robustness" not in c


# --------------------------------------------------------------------------- #
# Store: written by store_rows, given back by contract_from_row, old files read
# --------------------------------------------------------------------------- #
def test_store_round_trip_and_old_files(tmp_path):
    people = [("o0", "operational"), ("o1", "operational")]
    ratings = everyone(people, skip={"FIT-01"})
    ratings += [("o0", "operational", "FIT-01", 1), ("o1", "operational", "FIT-01", 2)]
    res = score_evidence(evidence(ratings), RB)
    rows = store_rows(res)
    assert rows.schema == STORE_SCHEMA
    path = tmp_path / "run.parquet"
    rows.write_parquet(path)
    row = _read_run(path).row(0, named=True)
    back = contract_from_row(row, RB)
    full = contract(res)
    assert back["robustness"] == full["robustness"]
    assert [(g["changed_in"], g["robust"]) for g in back["gaps"]] == [
        (g["changed_in"], g["robust"]) for g in full["gaps"]
    ]
    # a file written before robustness: no column, gaps without the fields
    old = rows.drop("robustness").with_columns(
        pl.col("gaps").list.eval(pl.element().struct.field("signal_id", "severity").pipe(pl.struct))
    )
    old_path = tmp_path / "old.parquet"
    old.write_parquet(old_path)
    row = _read_run(old_path).row(0, named=True)
    assert row["robustness"] is None
    assert row["gaps"][0]["signal_id"] == "FIT-01"
    assert row["gaps"][0]["changed_in"] is None and row["gaps"][0]["robust"] is None


# --------------------------------------------------------------------------- #
# Property: against rescoring every variant with the ordinary engine
# --------------------------------------------------------------------------- #
def reference(ev: Evidence) -> dict[str, dict]:
    """Per engagement: {"robustness": ..., "gaps": {signal: (changed_in, robust)}} by
    rescoring each leave-one-rater-out variant from scratch with `score`."""
    full = {c["engagement_id"]: c for c in contracts(score(ev, RB))}
    out = {}
    for eid, c in full.items():
        mine = ev.ratings.filter(pl.col("engagement_id") == eid)
        raters = sorted(set(mine.filter(pl.col("rating").is_not_null())["stakeholder_id"]))
        gaps = {g["signal_id"]: (g["severity"], g["priority"]) for g in c["gaps"]}
        if len(raters) < 2:
            out[eid] = {
                "robustness": {
                    "variants": 0,
                    "pai_min": None,
                    "pai_max": None,
                    "robust_gaps": None,
                    "near_gaps": None,
                },
                "gaps": {s: (None, None) for s in gaps},
            }
            continue
        changed = dict.fromkeys(gaps, 0)
        near: set[str] = set()
        pais = []
        for k in raters:
            sub = Evidence(
                ev.engagements.filter(pl.col("engagement_id") == eid),
                ev.stakeholders.filter(pl.col("engagement_id") == eid),
                mine.filter(pl.col("stakeholder_id") != k),
                ev.metrics.filter(pl.col("engagement_id") == eid),
            )
            v = contract(score(sub, RB))
            vg = {g["signal_id"]: (g["severity"], g["priority"]) for g in v["gaps"]}
            for s in gaps:
                changed[s] += vg.get(s) != gaps[s]
            near |= set(vg) - set(gaps)
            if v["pai"] is not None:
                pais.append(v["pai"])
        has_range = c["pai"] is not None and pais
        out[eid] = {
            "robustness": {
                "variants": len(raters),
                "pai_min": min(pais) if has_range else None,
                "pai_max": max(pais) if has_range else None,
                "robust_gaps": sum(n == 0 for n in changed.values()),
                "near_gaps": [s for s in SIGNALS if s in near],
            },
            "gaps": {s: (n, n == 0) for s, n in changed.items()},
        }
    return out


def _same(got: dict, want: dict) -> None:
    """Equal to the last bit, `pai_min`/`pai_max` included: a variant goes through the
    same stages as `score()` (robustness.py), with the sums in a fixed order."""
    assert got["robustness"] == want["robustness"]
    assert {g["signal_id"]: (g["changed_in"], g["robust"]) for g in got["gaps"]} == want["gaps"]


# Rescoring every variant from scratch costs about 0.5 s an example: the inner loop
# (`dev` profile) tries 5, `make test` (`ci`) all of PROPERTY_SETTINGS's.
@settings(PROPERTY_SETTINGS, max_examples=PROPERTY_SETTINGS.max_examples if PROFILE == "ci" else 5)
@given(st.lists(engagements(), min_size=1, max_size=3))
def test_matches_rescoring_every_variant(batch):
    """Several engagements at once (stakeholder ids shared across them): each one's
    robustness equals rescoring its variants one by one."""
    ev = engine_evidence([(f"eng-{k}", *e) for k, e in enumerate(batch)])
    got = {c["engagement_id"]: c for c in contracts(score_evidence(ev, RB))}
    want = reference(ev)
    assert set(got) == set(want)
    for eid in got:
        _same(got[eid], want[eid])


@PROPERTY_SETTINGS
@given(st.lists(engagements(), min_size=2, max_size=4), st.integers(1, 13))
def test_chunks_change_nothing(batch, chunk):
    """Variants are scored in chunks of whole engagements, each chunk's cells laid out
    by position: any chunk size (one engagement per chunk, or several, or a chunk
    boundary inside an engagement's raters) gives the same frames. So do results built
    without the stakeholders frame: the raters are then found from the evidence, not
    taken from `score()`'s `rated` flag."""
    ev = engine_evidence([(f"eng-{k}", *e) for k, e in enumerate(batch)])
    results = score(ev, RB)
    one = robustness(ev, RB, results)
    with mock.patch.object(robustness_module, "CHUNK_VARIANTS", chunk):
        many = robustness(ev, RB, dataclasses.replace(results, stakeholders=None))
    assert_frame_equal(one.robustness, many.robustness, check_exact=True)
    assert_frame_equal(one.gaps, many.gaps, check_exact=True)


@PROPERTY_SETTINGS
@given(st.lists(engagements(), min_size=2, max_size=4), st.integers(0, 10_000), st.integers(1, 5))
def test_rating_order_changes_nothing(batch, seed, chunk):
    """Each rating's variant comes from its run of one rater's rows, and the chunks are
    sliced from the ratings in variant order (robustness.py): ratings in any order, one
    rater's rows apart or interleaved with others', give the same frames as ratings
    grouped by rater, in chunks of any size."""
    ev = engine_evidence([(f"eng-{k}", *e) for k, e in enumerate(batch)])
    grouped = Evidence(
        ev.engagements,
        ev.stakeholders,
        ev.ratings.sort("engagement_id", "stakeholder_id"),
        ev.metrics,
    )
    shuffled = Evidence(
        ev.engagements,
        ev.stakeholders,
        ev.ratings.sample(fraction=1.0, shuffle=True, seed=seed),
        ev.metrics,
    )
    one = robustness(grouped, RB, score(grouped, RB))
    with mock.patch.object(robustness_module, "CHUNK_VARIANTS", chunk):
        other = robustness(shuffled, RB, score(shuffled, RB))
    assert_frame_equal(one.robustness, other.robustness, check_exact=True)
    assert_frame_equal(one.gaps, other.gaps, check_exact=True)
