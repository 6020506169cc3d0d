"""Cross-check the real engine against the independent reference (tests/reference_impl.py).

Property tests generate random engagements (1-12 stakeholders across perspectives,
random subsets of the 24 signals rated 1-4 or blank, random subsets of the 8 metrics
with values on and around their cut points, sometimes so sparse that dimensions are
insufficient and the PAI incomplete), score them with the engine and compare the
whole results contract with the reference: floats to 1e-6, everything else exactly,
gaps and modules in the same order.

The fixed table cases pin the spec's boundaries by hand-computed values and check
both the engine and the reference against them.
"""

from __future__ import annotations

import datetime
import functools
import math

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paos import contracts, load_rulebook, score
from paos._types import Evidence
from paos.evidence.schemas import validated
from tests import reference_impl as ref
from tests.profiles import examples

ENG_ID = "e1"
TOL = 1e-6

ROLES = {
    "strategic": [
        "ceo",
        "founder",
        "cro",
        "cmo",
        "cfo",
        "coo",
        "cpo",
        "board",
        "head_of_partnerships",
    ],
    "operational": [
        "partner_manager",
        "channel_manager",
        "sales",
        "sales_ops",
        "revops",
        "marketing",
        "customer_success",
        "finance",
        "product",
        "legal",
        "operations",
    ],
    "partner": ["partner"],
}
PERCENT_METRICS = {
    "partner_activation_rate",
    "partners_assessed_against_profile",
    "partner_churn_rate",
    "deals_with_partner_attribution",
    "business_review_coverage",
}


@functools.cache
def _rulebook():
    return load_rulebook("paos-v1")


# --------------------------------------------------------------------------- #
# Building the engine's input and running it
# --------------------------------------------------------------------------- #
def engine_contracts(engagements_: list[tuple[str, list[dict], list[dict], list[dict]]]) -> dict:
    """Score several engagements in one engine call; contracts by engagement id.

    Each item is (engagement_id, stakeholders, ratings, metrics) as the reference takes them.
    """
    ev = engine_evidence(engagements_)
    return {c["engagement_id"]: c for c in contracts(score(ev, _rulebook()))}


def engine_evidence(engagements_: list[tuple[str, list[dict], list[dict], list[dict]]]) -> Evidence:
    """The engine's validated input frames for `engine_contracts`' items."""
    ids = [e[0] for e in engagements_]
    eng = pl.DataFrame(
        {
            "engagement_id": ids,
            "client": ["c"] * len(ids),
            "assessed_on": [datetime.date(2026, 1, 1)] * len(ids),
            "rulebook": ["paos-v1"] * len(ids),
            "industry": [None] * len(ids),
            "stage": [None] * len(ids),
            "baseline": [None] * len(ids),
        },
        schema_overrides={"industry": pl.String, "stage": pl.String, "baseline": pl.String},
    )
    sh_rows, rt_rows, mt_rows = [], [], []
    for eid, stakeholders, ratings, metrics in engagements_:
        by_id = {s["stakeholder_id"]: s for s in stakeholders}
        sh_rows += [(eid, s["stakeholder_id"], s["role"], s["perspective"]) for s in stakeholders]
        rt_rows += [
            (
                eid,
                r["stakeholder_id"],
                r["signal_id"],
                r["rating"],
                by_id[r["stakeholder_id"]]["perspective"],
                by_id[r["stakeholder_id"]]["role"],
                f"note {i}" if i % 3 else None,
                i + 2,
            )
            for i, r in enumerate(ratings)
        ]
        mt_rows += [(eid, m["metric_id"], float(m["value"])) for m in metrics]
    sh = pl.DataFrame(
        sh_rows,
        orient="row",
        schema={
            "engagement_id": pl.String,
            "stakeholder_id": pl.String,
            "role": pl.String,
            "perspective": pl.String,
        },
    )
    rt = pl.DataFrame(
        rt_rows,
        orient="row",
        schema={
            "engagement_id": pl.String,
            "stakeholder_id": pl.String,
            "signal_id": pl.String,
            "rating": pl.Int8,
            "perspective": pl.String,
            "role": pl.String,
            "evidence": pl.String,
            "line": pl.Int32,
        },
    )
    mt = pl.DataFrame(
        mt_rows,
        orient="row",
        schema={"engagement_id": pl.String, "metric_id": pl.String, "value": pl.Float64},
    )
    return validated(Evidence(eng, sh, rt, mt), _rulebook())


def engine_contract(stakeholders: list[dict], ratings: list[dict], metrics: list[dict]) -> dict:
    return engine_contracts([(ENG_ID, stakeholders, ratings, metrics)])[ENG_ID]


def strip_engine_only(c: dict) -> dict:
    """Drop what the reference does not produce: the rulebook key and gap evidence."""
    out = {k: v for k, v in c.items() if k != "rulebook"}
    out["gaps"] = [{k: v for k, v in g.items() if k != "evidence"} for g in c["gaps"]]
    return out


# --------------------------------------------------------------------------- #
# Comparison: floats to 1e-6 (abs), everything else exactly
# --------------------------------------------------------------------------- #
def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def diff(actual, expected, path: str = "$") -> list[str]:
    """Every difference between the engine's value and the reference's, with its path."""
    if expected is None or actual is None:
        return (
            []
            if actual is None and expected is None
            else [f"{path}: engine {actual!r} != reference {expected!r}"]
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        if type(actual) is bool and type(expected) is bool and actual == expected:
            return []
        return [f"{path}: engine {actual!r} ({type(actual).__name__}) != reference {expected!r}"]
    if isinstance(expected, float) or isinstance(actual, float):
        if (
            _is_number(actual)
            and _is_number(expected)
            and math.isfinite(actual)
            and abs(actual - expected) <= TOL
        ):
            return []
        return [f"{path}: engine {actual!r} != reference {expected!r}"]
    if isinstance(expected, int):
        if type(actual) is int and actual == expected:
            return []
        return [f"{path}: engine {actual!r} ({type(actual).__name__}) != reference {expected!r}"]
    if isinstance(expected, str):
        return (
            []
            if isinstance(actual, str) and actual == expected
            else [f"{path}: engine {actual!r} != reference {expected!r}"]
        )
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: engine {actual!r} is not an object"]
        out = []
        if set(actual) != set(expected):
            out.append(
                f"{path}: keys differ: engine-only {sorted(set(actual) - set(expected))}, "
                f"reference-only {sorted(set(expected) - set(actual))}"
            )
        for k in expected:
            if k in actual:
                out += diff(actual[k], expected[k], f"{path}.{k}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: engine {actual!r} is not a list"]
        if len(actual) != len(expected):
            return [
                f"{path}: engine has {len(actual)} items, reference {len(expected)}: "
                f"engine {_ids(actual)} vs reference {_ids(expected)}"
            ]
        out = []
        for i, (a, e) in enumerate(zip(actual, expected)):
            out += diff(a, e, f"{path}[{i}]")
        return out
    raise TypeError(f"{path}: unexpected reference type {type(expected)}")


def _ids(items: list) -> list:
    return [
        i.get("signal_id", i.get("dimension", i.get("id"))) if isinstance(i, dict) else i
        for i in items
    ]


def assert_same(stakeholders, ratings, metrics):
    got = strip_engine_only(engine_contract(stakeholders, ratings, metrics))
    want = ref.reference_contract(ENG_ID, stakeholders, ratings, metrics)
    problems = diff(got, want)
    assert not problems, "engine and reference disagree:\n  " + "\n  ".join(problems[:40])
    return got, want


# --------------------------------------------------------------------------- #
# Random engagements
# --------------------------------------------------------------------------- #
def _metric_values(metric_id: str):
    _sig, _dir, cuts = ref.METRICS[metric_id]
    top = 100.0 if metric_id in PERCENT_METRICS else 1000.0
    exact = [0.0, *[float(c) for c in cuts]]
    if metric_id not in PERCENT_METRICS:
        exact.append(top)
    # +-1e-7 rounds onto the cut point (comparisons are made on round(x, 6));
    # +-6e-7 does not.
    near = [c + d for c in cuts for d in (-0.5, -1e-3, -6e-7, -1e-7, 1e-7, 6e-7, 1e-3, 0.5)]
    return st.one_of(
        st.sampled_from(exact),
        st.sampled_from([v for v in near if 0 <= v <= top]),
        st.floats(min_value=0.0, max_value=top, allow_nan=False, allow_infinity=False),
    )


@st.composite
def engagements(draw):
    n = draw(st.integers(1, 12))
    stakeholders = []
    for i in range(n):
        perspective = draw(st.sampled_from(["strategic", "operational", "partner"]))
        # Mostly the perspective's own roles; sometimes `other` or a role whose
        # default differs (the explicit perspective wins, so it must not matter).
        role = draw(
            st.one_of(
                st.sampled_from(ROLES[perspective]),
                st.sampled_from(["other", "ceo", "sales", "partner"]),
            )
        )
        stakeholders.append(
            {"stakeholder_id": f"S{i + 1:02d}", "role": role, "perspective": perspective}
        )

    # How much of the catalogue is in play: sparse engagements leave dimensions
    # insufficient and the PAI incomplete.
    density = draw(st.sampled_from(["sparse", "medium", "dense", "full"]))
    if density == "sparse":
        pool = draw(st.lists(st.sampled_from(ref.SIGNALS), min_size=1, max_size=5, unique=True))
    elif density == "medium":
        pool = draw(st.lists(st.sampled_from(ref.SIGNALS), min_size=6, max_size=16, unique=True))
    else:
        pool = list(ref.SIGNALS)
    blank_rate = draw(st.sampled_from([0.0, 0.15, 0.5]))
    ratings = []
    for s in stakeholders:
        if density == "full":
            signals = pool
        else:
            signals = draw(st.lists(st.sampled_from(pool), max_size=len(pool), unique=True))
        for sig in signals:
            blank = blank_rate > 0 and draw(st.floats(0, 1)) < blank_rate
            rating = None if blank else draw(st.integers(1, 4))
            ratings.append(
                {"stakeholder_id": s["stakeholder_id"], "signal_id": sig, "rating": rating}
            )
    # Intake refuses an engagement with no rating at all: keep at least one.
    if not any(r["rating"] is not None for r in ratings):
        sig = draw(st.sampled_from(pool))
        sid = draw(st.sampled_from([s["stakeholder_id"] for s in stakeholders]))
        ratings = [r for r in ratings if not (r["stakeholder_id"] == sid and r["signal_id"] == sig)]
        ratings.append({"stakeholder_id": sid, "signal_id": sig, "rating": draw(st.integers(1, 4))})
    ratings = draw(st.permutations(ratings))

    metric_ids = draw(st.lists(st.sampled_from(sorted(ref.METRICS)), unique=True, max_size=8))
    metrics = [{"metric_id": m, "value": draw(_metric_values(m))} for m in metric_ids]
    return stakeholders, list(ratings), metrics


PROPERTY_SETTINGS = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY_SETTINGS
@given(engagements())
def test_engine_matches_reference(eng):
    stakeholders, ratings, metrics = eng
    assert_same(stakeholders, ratings, metrics)


@PROPERTY_SETTINGS
@given(st.lists(engagements(), min_size=2, max_size=4))
def test_engine_matches_reference_for_a_batch_of_engagements(batch):
    """Several engagements in one engine call (stakeholder ids shared across them):
    every contract equals the reference of that engagement alone."""
    items = [(f"eng-{k}", *eng) for k, eng in enumerate(batch)]
    got = engine_contracts(items)
    assert list(got) == [i[0] for i in items]
    for eid, stakeholders, ratings, metrics in items:
        want = ref.reference_contract(eid, stakeholders, ratings, metrics)
        problems = diff(strip_engine_only(got[eid]), want)
        assert not problems, f"{eid}: engine and reference disagree:\n  " + "\n  ".join(
            problems[:40]
        )


@PROPERTY_SETTINGS
@given(engagements())
def test_reference_contract_invariants(eng):
    """Sanity of the oracle itself, from the spec's own statements."""
    stakeholders, ratings, metrics = eng
    c = ref.reference_contract(ENG_ID, stakeholders, ratings, metrics)
    if c["pai"] is not None:
        assert 1.0 <= c["pai"] <= 4.0
        assert c["status"] == "complete"
    else:
        assert c["status"] == "incomplete"
        assert any(d["score"] is None for d in c["dimensions"])
    assert [s["id"] for s in c["signals"]] == ref.SIGNALS
    assert [d["id"] for d in c["dimensions"]] == ref.DIMENSION_IDS
    assert sum(d["gap_count"] for d in c["dimensions"]) == len(c["gaps"])
    assert sorted(x for m in c["installation_modules"] for x in m["signals"]) == sorted(
        g["signal_id"] for g in c["gaps"]
    )
    for g in c["gaps"]:
        assert g["score"] < 2.75 and abs(g["shortfall"] - (2.75 - g["score"])) < 1e-12


# --------------------------------------------------------------------------- #
# Fixed, hand-computed boundary cases
# --------------------------------------------------------------------------- #
def _people(*perspectives: str) -> list[dict]:
    role = {"strategic": "ceo", "operational": "sales", "partner": "partner"}
    return [
        {"stakeholder_id": f"P{i + 1}", "role": role[p], "perspective": p}
        for i, p in enumerate(perspectives)
    ]


def _rate(stakeholders: list[dict], table: dict[str, list]) -> list[dict]:
    """table: signal -> one rating (or None) per stakeholder, in stakeholder order; "-" = no row."""
    out = []
    for sig, row in table.items():
        for s, r in zip(stakeholders, row):
            if r != "-":
                out.append({"stakeholder_id": s["stakeholder_id"], "signal_id": sig, "rating": r})
    return out


def _both(stakeholders, ratings, metrics=()):
    """Engine and reference agree; return the engine's contract for the hand checks."""
    got, _want = assert_same(stakeholders, ratings, list(metrics))
    return got


def _signal(c, sid):
    return next(s for s in c["signals"] if s["id"] == sid)


def _gap(c, sid):
    return next((g for g in c["gaps"] if g["signal_id"] == sid), None)


def _dim(c, did):
    return next(d for d in c["dimensions"] if d["id"] == did)


def test_score_exactly_at_threshold_is_not_a_gap():
    # FIT-01: operational 3,3,3,2 -> V = 2.75 exactly: not a gap.
    # REC-01: strategic 1, operational 3,3,3,3, partner 4 -> (1 + 2*3 + 4)/4 = 2.75: not a gap.
    # FIT-02: strategic 2, operational 3 -> V = (2 + 2*3)/3 = 8/3 = 2.667: a medium gap,
    #         S - R = -1 (hidden strength, not escalated), tier 1 -> P2.
    people = _people(
        "strategic", "operational", "operational", "operational", "operational", "partner"
    )
    ratings = _rate(
        people,
        {
            "FIT-01": ["-", 3, 3, 3, 2, "-"],
            "REC-01": [1, 3, 3, 3, 3, 4],
            "FIT-02": [2, 3, "-", "-", "-", "-"],
        },
    )
    c = _both(people, ratings)
    assert _signal(c, "FIT-01")["score"] == pytest.approx(2.75, abs=TOL)
    assert _gap(c, "FIT-01") is None
    assert _signal(c, "REC-01")["score"] == pytest.approx(2.75, abs=TOL)
    assert _gap(c, "REC-01") is None
    g = _gap(c, "FIT-02")
    assert g is not None and g["shortfall"] == pytest.approx(2.75 - 8 / 3, abs=TOL)
    assert (g["severity"], g["escalated"], g["priority"], g["phase"]) == ("medium", False, "P2", 2)
    assert [g["signal_id"] for g in c["gaps"]] == ["FIT-02"]


@pytest.mark.parametrize(
    "ratings_ops, severity, shortfall",
    [
        ([2, 2, 2, 3], "high", 0.5),  # V = 2.25: shortfall exactly 0.5 -> high
        ([2, 2, 2, 1], "critical", 1.0),  # V = 1.75: shortfall exactly 1.0 -> critical
        ([3, 3, 2, 1], "high", 0.5),  # V = 2.25 again, other spread
        ([2, 2, 3, 3], "medium", 0.25),  # V = 2.5
        ([1, 1, 1, 1], "critical", 1.75),  # V = 1.0
    ],
)
def test_severity_boundaries(ratings_ops, severity, shortfall):
    people = _people("operational", "operational", "operational", "operational")
    c = _both(people, _rate(people, {"ORG-02": ratings_ops}))
    g = _gap(c, "ORG-02")
    assert g["shortfall"] == pytest.approx(shortfall, abs=TOL)
    assert g["severity"] == severity and g["escalated"] is False
    # ORG is tier 1: critical or high -> P1; medium -> P2
    assert g["priority"] == ("P2" if severity == "medium" else "P1")
    # single perspective: provisional
    assert g["provisional"] is True


def test_severity_boundaries_with_weighted_perspectives():
    # PERF-01 (tier 3): strategic 1, operational 3 and 2, data none, partner 2:
    # V = (1 + 2*2.5 + 2)/4 = 2.0 -> shortfall 0.75 -> high -> P2 (tier 3).
    # S = 1, R = (2*2.5 + 2)/3 = 7/3 -> divergence -4/3 -> hidden strength, not escalated.
    # PERF-04: strategic 3,3,4, operational 2, partner 1:
    # S = 10/3, R = (2*2 + 1)/3 = 5/3, divergence = 5/3 -> blind spot;
    # V = (10/3 + 4 + 1)/4 = 25/12 = 2.08333, shortfall 0.6667 high -> escalated critical -> P1.
    people = _people("strategic", "operational", "operational", "partner", "strategic", "strategic")
    ratings = _rate(
        people,
        {
            "PERF-01": [1, 3, 2, 2, "-", "-"],
            "PERF-04": [3, 2, "-", 1, 3, 4],
        },
    )
    c = _both(people, ratings)
    s1 = _signal(c, "PERF-01")
    assert s1["divergence"] == pytest.approx(-4 / 3, abs=TOL)
    assert s1["divergence_class"] == "hidden_strength"
    g1 = _gap(c, "PERF-01")
    assert (g1["severity"], g1["priority"], g1["escalated"], g1["provisional"]) == (
        "high",
        "P2",
        False,
        False,
    )
    g4 = _gap(c, "PERF-04")
    assert _signal(c, "PERF-04")["divergence_class"] == "blind_spot"
    assert (g4["severity"], g4["priority"], g4["phase"], g4["escalated"]) == (
        "critical",
        "P1",
        1,
        True,
    )
    assert [g["signal_id"] for g in c["gaps"]] == ["PERF-04", "PERF-01"]


@pytest.mark.parametrize(
    "s, ops, cls",
    [
        ([4], [3], "blind_spot"),  # +1.0 exactly
        ([2], [3], "hidden_strength"),  # -1.0 exactly
        ([3], [2, 3], "aligned"),  # +0.5
        ([3, 4], [2, 3], "blind_spot"),  # 3.5 - 2.5 = +1.0
        ([1, 2], [3, 2], "hidden_strength"),  # 1.5 - 2.5 = -1.0
        ([3, 3, 4], [2, 3, 2], "blind_spot"),  # 10/3 - 7/3 = +1.0 (thirds)
        ([2, 1, 1], [2, 2, 3], "hidden_strength"),  # 4/3 - 7/3 = -1.0 (thirds)
        ([], [3], "not_testable"),
    ],
)
def test_divergence_boundaries(s, ops, cls):
    people = _people(*(["strategic"] * len(s) + ["operational"] * len(ops)))
    c = _both(people, _rate(people, {"ECO-02": s + ops}))
    sig = _signal(c, "ECO-02")
    assert sig["divergence_class"] == cls
    if cls != "not_testable":
        assert sig["divergence"] == pytest.approx(sum(s) / len(s) - sum(ops) / len(ops), abs=TOL)
        assert sig["validated"] is True
    else:
        assert sig["divergence"] is None and sig["validated"] is False
    g = _gap(c, "ECO-02")
    if g is not None:
        assert g["escalated"] is (cls == "blind_spot")


def test_blind_spot_gap_medium_escalates_to_high():
    # FIT-03: strategic 3, operational 2 -> S-R = +1.0 blind spot; V = 7/3 -> shortfall 0.4167
    # medium -> escalated high -> P1 in tier 1. REC-03 same ratings -> high in tier 2 -> P2.
    people = _people("strategic", "operational")
    c = _both(people, _rate(people, {"FIT-03": [3, 2], "REC-03": [3, 2]}))
    for sid, prio in (("FIT-03", "P1"), ("REC-03", "P2")):
        g = _gap(c, sid)
        assert (g["severity"], g["escalated"], g["priority"]) == ("high", True, prio)
    assert [m["dimension"] for m in c["installation_modules"]] == ["FIT", "REC"]


def test_coverage_exactly_half_is_scored():
    people = _people("operational")
    c = _both(people, _rate(people, {"FIT-01": [3], "FIT-02": [2], "REC-01": [4]}))
    fit, rec = _dim(c, "FIT"), _dim(c, "REC")
    assert fit["coverage"] == pytest.approx(0.5) and fit["status"] == "scored"
    assert fit["score"] == pytest.approx(2.5) and fit["maturity"] == "Emerging"
    assert rec["coverage"] == pytest.approx(0.25) and rec["status"] == "insufficient_evidence"
    assert rec["score"] is None and rec["maturity"] is None
    assert c["status"] == "incomplete" and c["pai"] is None and c["pai_display"] is None
    assert c["maturity"] is None


def test_blank_ratings_do_not_count_towards_coverage():
    people = _people("operational", "strategic")
    c = _both(
        people, _rate(people, {"ONB-01": [3, None], "ONB-02": [None, None], "ONB-03": [None, "-"]})
    )
    onb = _dim(c, "ONB")
    assert onb["coverage"] == pytest.approx(0.25) and onb["status"] == "insufficient_evidence"
    assert _signal(c, "ONB-02")["status"] == "no_evidence"
    assert _signal(c, "ONB-02")["n_ratings"] == 0
    assert _signal(c, "ONB-01")["n_ratings"] == 1 and _signal(c, "ONB-01")["validated"] is False


def _full_engagement(dim_ratings: dict[str, list[int]]) -> tuple[list, list]:
    """One operational rater; each dimension's first len(list) signals rated."""
    people = _people("operational")
    table = {}
    for d, values in dim_ratings.items():
        for k, v in enumerate(values, start=1):
            table[f"{d}-{k:02d}"] = [v]
    return people, _rate(people, table)


@pytest.mark.parametrize(
    "dim_ratings, pai, display, maturity",
    [
        # 2, 2, 2, 2.5, 2.5, 2.5 -> 13.5/6 = 2.25 -> "2.3" (half up), Emerging
        (
            {
                "FIT": [2, 2],
                "REC": [2, 2],
                "ONB": [2, 2],
                "ECO": [2, 3],
                "PERF": [2, 3],
                "ORG": [2, 3],
            },
            2.25,
            "2.3",
            "Emerging",
        ),
        # every dimension 2.25 (2,2,2,3) -> 2.25 -> "2.3"
        ({d: [2, 2, 2, 3] for d in ref.DIMENSION_IDS}, 2.25, "2.3", "Emerging"),
        # 2.5, 2.5, 2.5, 2, 2.5, 2.25 -> 14.25/6 = 2.375 -> "2.4"
        (
            {
                "FIT": [2, 3],
                "REC": [2, 3],
                "ONB": [2, 3],
                "ECO": [2, 2],
                "PERF": [2, 2, 3, 3],
                "ORG": [2, 2, 2, 3],
            },
            2.375,
            "2.4",
            "Emerging",
        ),
        # exactly 2.0 -> "2.0" Emerging; exactly 2.75 -> "2.8" Structured; 3.5 -> Scalable
        ({d: [2, 2] for d in ref.DIMENSION_IDS}, 2.0, "2.0", "Emerging"),
        ({d: [3, 3, 3, 2] for d in ref.DIMENSION_IDS}, 2.75, "2.8", "Structured"),
        ({d: [3, 4] for d in ref.DIMENSION_IDS}, 3.5, "3.5", "Scalable"),
        ({d: [1, 1] for d in ref.DIMENSION_IDS}, 1.0, "1.0", "Ad hoc"),
        ({d: [4, 4, 4, 4] for d in ref.DIMENSION_IDS}, 4.0, "4.0", "Scalable"),
        # 1.95833 (thirds/quarters) -> "2.0" but Ad hoc: display rounding never decides maturity
        (
            {
                "FIT": [2, 2],
                "REC": [2, 2],
                "ONB": [2, 2],
                "ECO": [2, 2],
                "PERF": [2, 2],
                "ORG": [1, 2, 2, 2],
            },
            1.9583333333,
            "2.0",
            "Ad hoc",
        ),
    ],
)
def test_pai_display_and_maturity(dim_ratings, pai, display, maturity):
    people, ratings = _full_engagement(dim_ratings)
    c = _both(people, ratings)
    assert c["status"] == "complete"
    assert c["pai"] == pytest.approx(pai, abs=TOL)
    assert c["pai_display"] == display and c["maturity"] == maturity


def test_reference_pai_display_half_up():
    assert ref.pai_display(2.25) == "2.3"
    assert ref.pai_display(2.35) == "2.4"
    assert ref.pai_display(2.45) == "2.5"
    assert ref.pai_display(2.2499999999) == "2.3"  # rounded to 6 decimals first
    assert ref.pai_display(2.2499994) == "2.2"
    assert ref.pai_display(None) is None


@pytest.mark.parametrize(
    "metric_id, value, rating",
    [
        ("partner_activation_rate", 20.0, 2),
        ("partner_activation_rate", 40.0, 3),
        ("partner_activation_rate", 60.0, 4),
        ("partner_activation_rate", 19.5, 1),
        ("partner_activation_rate", 0.0, 1),
        ("partner_activation_rate", 100.0, 4),
        ("time_to_first_deal_days", 90.0, 4),
        ("time_to_first_deal_days", 180.0, 3),
        ("time_to_first_deal_days", 365.0, 2),
        ("time_to_first_deal_days", 365.5, 1),
        ("time_to_first_deal_days", 90.5, 3),
        ("channel_conflict_escalations_per_quarter", 0.0, 4),
        ("channel_conflict_escalations_per_quarter", 1.0, 4),
        ("channel_conflict_escalations_per_quarter", 8.0, 2),
        ("channel_conflict_escalations_per_quarter", 9.0, 1),
        ("partner_churn_rate", 35.0, 2),
        ("partner_churn_rate", 35.25, 1),
        ("business_review_coverage", 90.0, 4),
        ("business_review_coverage", 89.9, 3),
        # comparisons on round(value, 6): within 5e-7 of a cut point counts as on it
        ("partner_activation_rate", 19.9999999, 2),
        ("partner_activation_rate", 19.9999994, 1),
        ("time_to_first_deal_days", 90.0000001, 4),
        ("time_to_first_deal_days", 90.0000006, 3),
    ],
)
def test_metric_cut_points(metric_id, value, rating):
    signal = ref.METRICS[metric_id][0]
    assert ref.metric_rating(metric_id, value) == rating
    people = _people("strategic")
    # The strategic rating 4 on the metric's signal: V = (4 + 2*data)/3, data mean = rating.
    c = _both(people, _rate(people, {signal: [4]}), [{"metric_id": metric_id, "value": value}])
    sig = _signal(c, signal)
    assert sig["perspective_means"]["data"] == pytest.approx(rating)
    assert sig["score"] == pytest.approx((4 + 2 * rating) / 3, abs=TOL)
    assert sig["reality"] == pytest.approx(rating) and sig["n_ratings"] == 2
    assert sig["validated"] is True
    # agreement counts stakeholder ratings only: one rating -> null, not low consensus
    assert sig["agreement"] is None and sig["low_consensus"] is False


def test_metric_only_signal_is_scored_and_not_validated():
    people = _people("operational")
    c = _both(
        people,
        _rate(people, {"FIT-01": [3]}),
        [
            {"metric_id": "partner_churn_rate", "value": 10.0},
            {"metric_id": "deals_with_partner_attribution", "value": 39.0},
        ],
    )
    fit4 = _signal(c, "FIT-04")
    assert fit4["status"] == "scored" and fit4["score"] == pytest.approx(4.0)
    assert fit4["strategic"] is None and fit4["divergence_class"] == "not_testable"
    assert fit4["validated"] is False and fit4["n_ratings"] == 1
    perf2 = _gap(c, "PERF-02")
    assert perf2["shortfall"] == pytest.approx(1.75) and perf2["severity"] == "critical"
    assert perf2["provisional"] is True and perf2["priority"] == "P1"


@pytest.mark.parametrize(
    "values, agreement, low",
    [
        ([3, 3], 1.0, False),
        ([2, 3], 0.6, False),  # s^2 = 0.5 -> 1 - 0.4
        ([1, 2, 3], 0.2, True),  # s^2 = 1 -> 0.2
        ([1, 4], 0.0, True),  # s^2 = 4.5 -> max(0, -2.6)
        ([1, 2, 2, 3], 1 - (2 / 3) / 1.25, True),  # s^2 = 2/3 -> 0.46667
        ([2, 3, 2, 3, 2, 3], 1 - 0.3 / 1.25, False),  # s^2 = 0.3 -> 0.76
        ([1, 1, 1, 1, 3], 1 - 0.8 / 1.25, True),  # s^2 = 0.8 -> 0.36
    ],
)
def test_agreement(values, agreement, low):
    people = _people(*(["operational", "partner", "strategic"] * 2)[: len(values)])
    c = _both(people, _rate(people, {"ECO-03": values}))
    sig = _signal(c, "ECO-03")
    assert sig["agreement"] == pytest.approx(agreement, abs=TOL)
    assert sig["low_consensus"] is low


def test_agreement_exactly_half_is_not_low_consensus():
    # r_wg = 0.5 needs s^2 = 0.625: 17 ratings, five 1s, seven 2s, five 3s -> mean 2,
    # sum of squares 10, s^2 = 10/16 = 0.625.
    values = [1] * 5 + [2] * 7 + [3] * 5
    people = _people(*["operational"] * 9 + ["partner"] * 8)
    c = _both(people, _rate(people, {"ORG-04": values}))
    sig = _signal(c, "ORG-04")
    assert sig["agreement"] == pytest.approx(0.5, abs=TOL)
    assert sig["low_consensus"] is False


def test_gap_and_module_order():
    # One operational rater (so nothing is escalated, everything provisional).
    # ORG-01 1 (crit, tier1, P1); FIT-02 2 (high, tier1, P1); REC-01 1 (crit, tier2, P1);
    # ECO-01 2.5 (medium, tier1, P2); ONB-01 2 (high, tier2, P2); PERF-01 2 (high, tier3, P2);
    # PERF-02 2.5 (medium, tier3, P3); FIT-01 1 (crit, tier1, P1); ECO-02 1 (crit, tier1, P1).
    people = _people("operational", "operational")
    c = _both(
        people,
        _rate(
            people,
            {
                "ORG-01": [1, 1],
                "FIT-02": [2, 2],
                "REC-01": [1, 1],
                "ECO-01": [2, 3],
                "ONB-01": [2, 2],
                "PERF-01": [2, 2],
                "PERF-02": [2, 3],
                "FIT-01": [1, 1],
                "ECO-02": [1, 1],
            },
        ),
    )
    assert [g["signal_id"] for g in c["gaps"]] == [
        "ECO-02",
        "FIT-01",
        "ORG-01",  # P1, tier 1, critical, V 1.0, id
        "FIT-02",  # P1, tier 1, high
        "REC-01",  # P1, tier 2, critical
        "ECO-01",  # P2, tier 1, medium
        "ONB-01",  # P2, tier 2, high
        "PERF-01",  # P2, tier 3, high
        "PERF-02",  # P3, tier 3, medium
    ]
    assert [(m["dimension"], m["priority"], m["signals"]) for m in c["installation_modules"]] == [
        ("FIT", "P1", ["FIT-01", "FIT-02"]),
        ("ECO", "P1", ["ECO-02", "ECO-01"]),
        ("ORG", "P1", ["ORG-01"]),
        ("REC", "P1", ["REC-01"]),
        ("ONB", "P2", ["ONB-01"]),
        ("PERF", "P2", ["PERF-01", "PERF-02"]),
    ]
    assert [d["gap_count"] for d in c["dimensions"]] == [2, 1, 1, 2, 2, 1]
    assert c["installation_modules"][0]["name"] == "Partner Fit Architecture"


@pytest.mark.parametrize(
    "s, ops, partners, score, gap, severity, cls, escalated",
    [
        # Rational values exactly on a boundary whose naive float is a hair off; the
        # round(x, 6) comparisons must classify them by the exact value.
        (
            [2],
            [3, 3, 4],
            [2, 2, 3],
            2.75,
            False,
            None,
            "hidden_strength",
            False,
        ),  # V = 11/4, S-R = -1
        ([2], [1, 2, 2], [1, 2, 2], 1.75, True, "critical", "aligned", False),  # shortfall = 1
        ([1, 2, 2], [], [2, 3, 3], 13 / 6, True, "high", "hidden_strength", False),  # S-R = -1
        ([2, 2, 3], [], [1, 1, 2], 11 / 6, True, "critical", "blind_spot", True),  # S-R = +1
    ],
)
def test_boundaries_with_float_noise(s, ops, partners, score, gap, severity, cls, escalated):
    people = _people(
        *(["strategic"] * len(s) + ["operational"] * len(ops) + ["partner"] * len(partners))
    )
    c = _both(people, _rate(people, {"FIT-01": s + ops + partners}))
    sig = _signal(c, "FIT-01")
    assert sig["score"] == pytest.approx(score, abs=TOL)
    assert sig["divergence_class"] == cls
    g = _gap(c, "FIT-01")
    assert (g is not None) is gap
    if gap:
        assert (g["severity"], g["escalated"], g["priority"]) == (severity, escalated, "P1")


def test_equal_scores_order_by_signal_id_despite_float_noise():
    # Every ECO signal has V = 8/3 exactly, reached two ways whose naive floats differ
    # (2.6666666666666665 vs 2.666666666666667): the gap order must tie on the rounded
    # score and fall back to the signal id.
    people = _people("strategic", "operational", "operational", "operational", "partner")
    a = ["-", 3, "-", "-", 2]  # operational 3, partner 2 -> (6 + 2)/3
    b = [3, 2, 2, 3, 3]  # S 3, operational 7/3, partner 3 -> (3 + 14/3 + 3)/4
    c = _both(people, _rate(people, {"ECO-01": b, "ECO-02": a, "ECO-03": b, "ECO-04": a}))
    assert [g["signal_id"] for g in c["gaps"]] == ["ECO-01", "ECO-02", "ECO-03", "ECO-04"]
    assert {g["severity"] for g in c["gaps"]} == {"medium"}
    assert {g["priority"] for g in c["gaps"]} == {"P2"}
    assert _dim(c, "ECO")["score"] == pytest.approx(8 / 3, abs=TOL)
