"""The methodology's rules and every boundary in it, as tables (methodology v1, §4-8)."""

from __future__ import annotations

import pytest

from paos import load_rulebook
from tests.builders import RB, dimension, everywhere, gap, run, signal

# --- §4 signal computations ---------------------------------------------------


def test_score_is_perspective_weighted_mean_of_means():
    c = run(
        [
            ("s1", "strategic", "FIT-01", 4),
            ("s2", "strategic", "FIT-01", 3),
            ("o1", "operational", "FIT-01", 2),
            ("o2", "operational", "FIT-01", 1),
            ("p1", "partner", "FIT-01", 3),
        ]
    )
    s = signal(c, "FIT-01")
    # means: strategic 3.5 (w1), operational 1.5 (w2), partner 3 (w1)
    assert s["score"] == pytest.approx((3.5 + 2 * 1.5 + 3) / 4)
    assert s["strategic"] == 3.5
    assert s["reality"] == pytest.approx((2 * 1.5 + 3) / 3)
    assert s["divergence"] == pytest.approx(3.5 - 2.0)
    assert s["perspective_means"] == {
        "strategic": 3.5,
        "operational": 1.5,
        "partner": 3.0,
        "data": None,
    }
    assert s["n_ratings"] == 5 and s["validated"] is True


def test_metric_rating_is_the_data_perspective_with_weight_two():
    # partner_activation_rate 45 (higher; cuts 20/40/60) -> 3, on ONB-04
    c = run([("s1", "strategic", "ONB-04", 1)], {"partner_activation_rate": 45})
    s = signal(c, "ONB-04")
    assert s["perspective_means"]["data"] == 3
    assert s["score"] == pytest.approx((1 + 2 * 3) / 3)
    assert s["reality"] == 3 and s["n_ratings"] == 2 and s["validated"] is True
    assert s["agreement"] is None  # one stakeholder rating; data does not count


def test_blank_rating_is_excluded_and_no_rating_is_no_evidence():
    c = run(
        [
            ("s1", "operational", "FIT-01", None),
            ("s2", "operational", "FIT-01", 3),
            ("s1", "operational", "FIT-02", None),
        ]
    )
    assert signal(c, "FIT-01")["score"] == 3 and signal(c, "FIT-01")["n_ratings"] == 1
    s = signal(c, "FIT-02")
    assert s["status"] == "no_evidence" and s["score"] is None
    assert s["divergence_class"] == "not_testable" and s["validated"] is False
    assert signal(c, "ORG-04")["status"] == "no_evidence"
    assert gap(c, "FIT-02") is None


@pytest.mark.parametrize(
    "strategic, reality, cls",
    [
        (3, 2, "blind_spot"),  # divergence exactly +1.0
        (4, 2, "blind_spot"),
        (2, 3, "hidden_strength"),  # exactly -1.0
        (3, 3, "aligned"),
        (3, None, "not_testable"),
        (None, 2, "not_testable"),
    ],
)
def test_divergence_class_boundaries(strategic, reality, cls):
    rows = []
    if strategic is not None:
        rows.append(("s1", "strategic", "FIT-01", strategic))
    if reality is not None:
        rows.append(("o1", "operational", "FIT-01", reality))
    assert signal(run(rows), "FIT-01")["divergence_class"] == cls


def test_divergence_just_inside_one_is_aligned():
    # S = 3, R = (2*2 + 1*(7/3)... build R = 2.0333 via operational 2 and partner mean 2.1
    rows = [("s1", "strategic", "FIT-01", 3), ("o1", "operational", "FIT-01", 2)]
    rows += [
        (f"p{i}", "partner", "FIT-01", r) for i, r in enumerate([2, 2, 2, 2, 2, 2, 2, 2, 2, 3])
    ]
    s = signal(run(rows), "FIT-01")
    assert 0.96 < s["divergence"] < 1.0 and s["divergence_class"] == "aligned"


@pytest.mark.parametrize(
    "ratings, agreement, low",
    [
        ([3, 3], 1.0, False),
        ([2, 3], 1 - 0.5 / 1.25, False),  # s^2 = 0.5 -> 0.6
        ([1, 2, 2, 3], 1 - (2 / 3) / 1.25, True),  # s^2 = 2/3 -> 0.4667
        ([1, 4], 0.0, True),  # 1 - 4.5/1.25 < 0 -> 0
        ([3], None, False),  # n < 2 -> null
    ],
)
def test_agreement_rwg(ratings, agreement, low):
    rows = [(f"o{i}", "operational", "FIT-01", r) for i, r in enumerate(ratings)]
    s = signal(run(rows), "FIT-01")
    assert s["agreement"] == (pytest.approx(agreement) if agreement is not None else None)
    assert s["low_consensus"] is low


def test_agreement_uses_stakeholders_of_all_perspectives_but_not_data():
    rows = [("s1", "strategic", "PERF-02", 4), ("o1", "operational", "PERF-02", 2)]
    s = signal(run(rows, {"deals_with_partner_attribution": 10}), "PERF-02")
    assert s["agreement"] == pytest.approx(max(0, 1 - 2.0 / 1.25))
    assert s["n_ratings"] == 3


def test_validated_needs_two_perspectives():
    one = run([("o1", "operational", "FIT-01", 2), ("o2", "operational", "FIT-01", 2)])
    two = run([("o1", "operational", "ONB-03", 2)], {"time_to_first_deal_days": 200})
    assert signal(one, "FIT-01")["validated"] is False
    assert signal(two, "ONB-03")["validated"] is True


# --- §5 gaps, severity, priority ---------------------------------------------


@pytest.mark.parametrize(
    "ops, is_gap, severity",
    [
        ([3, 3, 3, 2], False, None),  # V = 2.75 exactly: threshold met
        ([3, 3, 2, 3, 3, 3, 3, 3, 2, 2, 3, 3], False, None),  # 2.75 as 33/12
        ([3, 3, 2, 2], True, "medium"),  # V = 2.5, shortfall 0.25
        ([2, 2, 2, 3], True, "high"),  # V = 2.25, shortfall exactly 0.5
        ([2, 2, 3, 3, 2, 2, 2, 2, 2, 2, 2, 3], True, "high"),  # 2.25 as 27/12
        ([2, 2, 2, 2], True, "high"),  # shortfall 0.75
        ([2, 2, 2, 1], True, "critical"),  # V = 1.75, shortfall exactly 1.0
        ([1, 1, 1, 1], True, "critical"),
    ],
)
def test_gap_and_base_severity_boundaries(ops, is_gap, severity):
    c = run([(f"o{i}", "operational", "REC-01", r) for i, r in enumerate(ops)])
    g = gap(c, "REC-01")
    assert (g is not None) is is_gap
    if g:
        assert g["severity"] == severity and g["escalated"] is False
        assert g["shortfall"] == pytest.approx(2.75 - sum(ops) / len(ops))
        assert g["threshold"] == 2.75


@pytest.mark.parametrize(
    "op, base, escalated_to",
    [
        (1, "critical", "critical"),  # S=3, R=1: shortfall from V=(3+2)/3=1.67 -> critical
        (2, "medium", "high"),  # S=4, R=2: V=2.67 medium -> high
    ],
)
def test_blind_spot_escalates_one_level(op, base, escalated_to):
    strategic = 3 if op == 1 else 4
    c = run([("s1", "strategic", "REC-01", strategic), ("o1", "operational", "REC-01", op)])
    g = gap(c, "REC-01")
    assert signal(c, "REC-01")["divergence_class"] == "blind_spot"
    assert g["severity"] == escalated_to and g["escalated"] is True


def test_hidden_strength_gap_is_not_escalated():
    c = run([("s1", "strategic", "REC-01", 1), ("o1", "operational", "REC-01", 2)])
    g = gap(c, "REC-01")
    assert signal(c, "REC-01")["divergence_class"] == "hidden_strength"
    assert g["escalated"] is False and g["severity"] == "critical"  # V = 5/3


@pytest.mark.parametrize(
    "severity_ops, tier_signal, priority, phase",
    [
        ([1], "FIT-01", "P1", 1),
        ([1], "REC-01", "P1", 1),
        ([1], "PERF-01", "P1", 1),
        ([2], "FIT-01", "P1", 1),
        ([2], "REC-01", "P2", 2),
        ([2], "PERF-01", "P2", 2),
        ([3, 2], "FIT-01", "P2", 2),
        ([3, 2], "ONB-01", "P3", 3),
        ([3, 2], "PERF-01", "P3", 3),
    ],
)
def test_priority_from_severity_and_tier(severity_ops, tier_signal, priority, phase):
    rows = [(f"o{i}", "operational", tier_signal, r) for i, r in enumerate(severity_ops)]
    g = gap(run(rows), tier_signal)
    assert (g["priority"], g["phase"]) == (priority, phase)


def test_single_perspective_gap_is_provisional():
    c = run(
        [
            ("o1", "operational", "ECO-01", 1),
            ("o1", "operational", "ECO-02", 1),
            ("s1", "strategic", "ECO-02", 1),
        ]
    )
    assert gap(c, "ECO-01")["provisional"] is True
    assert gap(c, "ECO-02")["provisional"] is False


def test_gap_order_is_priority_tier_severity_score_id():
    rows = [
        ("o1", "operational", "PERF-01", 1),  # critical tier 3 -> P1
        ("o1", "operational", "ECO-02", 2),  # high tier 1 -> P1, V 2
        ("o1", "operational", "FIT-03", 2),  # high tier 1 -> P1, V 2 (id before ECO? no: E<F)
        ("o1", "operational", "FIT-01", 1),  # critical tier 1 -> P1
        ("o1", "operational", "ORG-02", 3),
        ("o2", "operational", "ORG-02", 2),  # medium t1 P2
        ("o1", "operational", "REC-02", 2),  # high tier 2 -> P2
        ("o1", "operational", "ONB-02", 3),
        ("o2", "operational", "ONB-02", 2),  # medium t2 P3
    ]
    order = [g["signal_id"] for g in run(rows)["gaps"]]
    assert order == ["FIT-01", "ECO-02", "FIT-03", "PERF-01", "ORG-02", "REC-02", "ONB-02"]


# --- §6 metrics ---------------------------------------------------------------


def _metric_cases():
    for m in RB.metrics:
        c1, c2, c3 = m.cuts
        if m.direction == "higher":
            table = [(c1 - 1, 1), (c1, 2), (c2 - 0.5, 2), (c2, 3), (c3, 4), (c3 + 1, 4)]
        else:
            table = [(0, 4), (c1, 4), (c1 + 0.5, 3), (c2, 3), (c3, 2), (c3 + 1, 1)]
        for value, rating in table:
            if value >= 0 and not (m.unit == "%" and value > 100):
                yield m.id, m.signal, value, rating


@pytest.mark.parametrize("metric, sig, value, rating", list(_metric_cases()))
def test_metric_value_on_each_cut(metric, sig, value, rating):
    c = run([("o1", "operational", "FIT-01", 3)], {metric: value})
    assert signal(c, sig)["perspective_means"]["data"] == rating


def test_several_metrics_on_one_signal_average(tmp_path):
    import yaml

    raw = yaml.safe_load(RB.path.read_text())
    raw["id"] = "paos-v1-two-metrics"  # a bundled id names the bundled file alone
    raw["metrics"].append(
        {
            "id": "partner_nps",
            "unit": "count",
            "signal": "ONB-04",
            "direction": "higher",
            "cuts": [0, 30, 50],
        }
    )
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(raw))
    book = load_rulebook(path)
    c = run(
        [("o1", "operational", "FIT-01", 3)],
        {"partner_activation_rate": 70, "partner_nps": 10},
        rulebook=book,
    )
    assert signal(c, "ONB-04")["perspective_means"]["data"] == 3.0  # mean of 4 and 2


# --- §7 dimensions, PAI, maturity --------------------------------------------


@pytest.mark.parametrize(
    "n_rated, status",
    [(2, "scored"), (1, "insufficient_evidence"), (4, "scored"), (0, "insufficient_evidence")],
)
def test_coverage_half_is_enough(n_rated, status):
    sigs = ["FIT-01", "FIT-02", "FIT-03", "FIT-04"][:n_rated]
    rows = everywhere([3], [s.id for s in RB.signals if not s.id.startswith("FIT")] + sigs)
    c = run(rows)
    d = dimension(c, "FIT")
    assert d["coverage"] == n_rated / 4 and d["status"] == status
    assert (d["score"] is None) is (status != "scored")
    assert c["status"] == ("complete" if status == "scored" else "incomplete")
    assert (c["pai"] is None) is (status != "scored")


def test_dimension_score_is_weighted_mean_of_scored_signals():
    rows = everywhere([3])
    rows = [r for r in rows if r[2] != "REC-04"]
    rows = [r if r[2] != "REC-01" else (r[0], r[1], r[2], 1) for r in rows]
    d = dimension(run(rows), "REC")
    assert d["score"] == pytest.approx((1 + 3 + 3) / 3) and d["coverage"] == 0.75
    assert d["gap_count"] == 1


@pytest.mark.parametrize(
    "ops, pai, shown, maturity",
    [
        ([2, 2, 2, 3], 2.25, "2.3", "Emerging"),  # half up
        ([2, 2, 2, 2], 2.0, "2.0", "Emerging"),  # band edge 2.0
        ([2, 2, 2, 2, 2, 2, 2, 1], 1.875, "1.9", "Ad hoc"),
        ([3, 3, 3, 2], 2.75, "2.8", "Structured"),  # band edge 2.75 (and display half up)
        ([4, 3], 3.5, "3.5", "Scalable"),  # band edge 3.5
        ([1], 1.0, "1.0", "Ad hoc"),
        ([4], 4.0, "4.0", "Scalable"),
    ],
)
def test_pai_display_and_maturity(ops, pai, shown, maturity):
    c = run(everywhere(ops))
    assert c["pai"] == pytest.approx(pai)
    assert c["pai_display"] == shown and c["maturity"] == maturity
    assert all(d["maturity"] == maturity for d in c["dimensions"])


def test_pai_is_weighted_mean_of_dimensions():
    rows = [
        (f"o{i}", "operational", s.id, 1 if s.dimension == "FIT" else 4)
        for s in RB.signals
        for i in range(2)
    ]
    assert run(rows)["pai"] == pytest.approx((1 + 4 * 5) / 6)


# --- §8 installation modules ---------------------------------------------------


def test_modules_follow_gaps_with_best_priority():
    rows = everywhere([4])
    change = {"PERF-01": 1, "PERF-02": 3, "ONB-01": 2, "ECO-03": 2}
    rows = [(a, b, s, change.get(s, r)) for a, b, s, r in rows]
    rows.append(("o9", "operational", "PERF-02", 2))  # PERF-02: 2.5 medium -> P3
    c = run(rows)
    mods = c["installation_modules"]
    assert [m["dimension"] for m in mods] == ["ECO", "PERF", "ONB"]
    assert [m["priority"] for m in mods] == ["P1", "P1", "P2"]
    assert mods[0]["name"] == "Partner Economics Model"
    assert mods[1]["signals"] == ["PERF-01", "PERF-02"]


def test_no_gaps_no_modules():
    c = run(everywhere([4, 3]))
    assert c["gaps"] == [] and c["installation_modules"] == []
    assert all(d["gap_count"] == 0 for d in c["dimensions"])
