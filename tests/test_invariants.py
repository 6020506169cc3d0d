"""Invariants of the engine, for any evidence (Hypothesis)."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paos import contracts, score
from paos._types import Evidence
from tests.builders import RB, evidence, run, signal
from tests.profiles import examples

SIGNALS = [s.id for s in RB.signals]
METRICS = {m.id: m for m in RB.metrics}
PERSPECTIVES = ["strategic", "operational", "partner"]


@st.composite
def engagements(draw, dense: bool = False):
    n = draw(st.integers(1, 8))
    people = [(f"p{i}", draw(st.sampled_from(PERSPECTIVES))) for i in range(n)]
    rows = []
    for sid, persp in people:
        chosen = (
            SIGNALS if dense else draw(st.lists(st.sampled_from(SIGNALS), unique=True, max_size=24))
        )
        for sig in chosen:
            rows.append(
                (
                    sid,
                    persp,
                    sig,
                    draw(st.one_of(st.none(), st.integers(1, 4))),
                    draw(st.sampled_from([None, "quote", "<b>x</b>"])),
                )
            )
    metric_ids = draw(st.lists(st.sampled_from(list(METRICS)), unique=True, max_size=8))
    metrics = {m: draw(st.floats(0, 100 if METRICS[m].unit == "%" else 500)) for m in metric_ids}
    return rows, metrics


FAST = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(engagements(dense=True))
def test_pai_within_scale_whenever_complete(eng):
    rows, metrics = eng
    rows = [r if r[3] is not None else (*r[:3], 2, r[4]) for r in rows]
    c = run(rows, metrics)
    assert c["status"] == "complete"
    assert 1.0 <= c["pai"] <= 4.0
    for d in c["dimensions"]:
        assert 1.0 <= d["score"] <= 4.0
    for s in c["signals"]:
        assert 1.0 <= s["score"] <= 4.0
        assert s["agreement"] is None or 0.0 <= s["agreement"] <= 1.0


@FAST
@given(engagements())
def test_scores_stay_in_range_and_nulls_mean_no_evidence(eng):
    rows, metrics = eng
    c = run(rows, metrics)
    if c["pai"] is not None:
        assert 1.0 <= c["pai"] <= 4.0
    for s in c["signals"]:
        assert (s["score"] is None) == (s["status"] == "no_evidence")
        assert s["score"] is None or 1.0 <= s["score"] <= 4.0


@FAST
@given(engagements(), st.data())
def test_raising_one_rating_never_lowers_its_signal(eng, data):
    rows, metrics = eng
    rated = [i for i, r in enumerate(rows) if r[3] is not None and r[3] < 4]
    if not rated:
        return
    i = data.draw(st.sampled_from(rated))
    higher = list(rows)
    higher[i] = (*rows[i][:3], data.draw(st.integers(rows[i][3] + 1, 4)), rows[i][4])
    sig = rows[i][2]
    before = signal(run(rows, metrics), sig)["score"]
    after = signal(run(higher, metrics), sig)["score"]
    assert after >= before - 1e-12


def _shuffle(ev: Evidence, seed: int) -> Evidence:
    return Evidence(
        ev.engagements.sample(fraction=1.0, shuffle=True, seed=seed),
        ev.stakeholders.sample(fraction=1.0, shuffle=True, seed=seed + 1),
        ev.ratings.sample(fraction=1.0, shuffle=True, seed=seed + 2),
        ev.metrics.sample(fraction=1.0, shuffle=True, seed=seed + 3),
    )


def _portfolio(engs) -> Evidence:
    parts = [evidence(rows, metrics, eid=f"e{i}") for i, (rows, metrics) in enumerate(engs)]
    cat = lambda xs: pl.concat(xs, how="vertical_relaxed")  # noqa: E731
    return Evidence(
        cat([p.engagements for p in parts]),
        cat([p.stakeholders for p in parts]),
        cat([p.ratings for p in parts]),
        cat([p.metrics for p in parts]),
    )


@FAST
@given(st.lists(engagements(), min_size=1, max_size=3), st.integers(0, 10_000))
def test_shuffling_rows_changes_nothing(engs, seed):
    ev = _portfolio(engs)
    a = json.dumps(list(contracts(score(ev, RB))))
    b = json.dumps(list(contracts(score(_shuffle(ev, seed), RB))))
    assert a == b


@FAST
@given(st.lists(engagements(), min_size=2, max_size=3))
def test_scoring_together_equals_scoring_alone(engs):
    together = {c["engagement_id"]: c for c in contracts(score(_portfolio(engs), RB))}
    for i, (rows, metrics) in enumerate(engs):
        alone = run(rows, metrics, eid=f"e{i}")
        assert json.dumps(alone) == json.dumps(together[f"e{i}"])


def test_a_score_does_not_depend_on_the_rest_of_the_frame():
    """An example the property above can miss: alone, every signal of `e0` has the same
    perspectives (strategic mean 2.5 at weight 1, operational 3.0 at weight 2), so the
    weighted mean's denominator is 3 in every row. polars then holds that column as one
    value and divides by it as a multiplication by its reciprocal: 8.5 * (1 / 3) is
    2.833333333333333, one bit below 8.5 / 3 = 2.8333333333333335, which is what the
    same row gives beside `e1`, whose rows have other denominators. Robustness scores
    each variant beside others, so it found this."""
    e0 = [
        (sid, persp, s, r)
        for s in SIGNALS
        for sid, persp, r in [("a", "strategic", 2), ("b", "strategic", 3), ("c", "operational", 3)]
    ]
    e1 = [
        (sid, persp, s, 2) for s in SIGNALS for sid, persp in [("d", "partner"), ("e", "strategic")]
    ]
    together = {
        c["engagement_id"]: c for c in contracts(score(_portfolio([(e0, {}), (e1, {})]), RB))
    }
    alone = run(e0, {}, eid="e0")
    assert together["e0"]["signals"][0]["score"] == 8.5 / 3
    assert json.dumps(alone) == json.dumps(together["e0"])
