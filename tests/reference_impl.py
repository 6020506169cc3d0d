"""An independent, deliberately naive reference implementation of PAOS methodology v1.

Written from docs/spec/methodology-v1.md (sections 2-8), signals-v1.md and
evidence-and-results.md alone, in plain Python (no polars, no paos imports), one
function per methodology rule. The test suite uses it as an oracle to cross-check
the real engine. The paos-v1 constants are hard-coded here on purpose: this file
is the second, independent reading of the spec, not another consumer of the
rulebook file.

Readings chosen where the spec leaves room (the project's documented choices):
- every threshold comparison is made on round(x, 6);
- `escalated` is true for every gap whose divergence class is blind_spot, even
  when its base severity is already critical;
- gap order: (priority, tier, severity critical>high>medium, round(score, 6), signal id);
- agreement uses stakeholder ratings only, sample variance (n-1), null when n < 2;
  low_consensus is false when agreement is null;
- validated counts the perspectives (strategic/operational/partner/data) with at
  least one non-blank rating;
- n_ratings = non-blank stakeholder ratings + metric ratings;
- coverage is compared (after rounding) against 0.5;
- pai_display = Decimal(repr(round(pai, 6))) quantized to 0.1, ROUND_HALF_UP, as str;
- metric bands are threshold comparisons too, so they compare round(value, 6).
"""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal

# --------------------------------------------------------------------------- #
# paos-v1 constants (methodology-v1.md sections 1, 3, 4, 5, 6, 7, 8; signals-v1.md)
# --------------------------------------------------------------------------- #
DECIMALS = 6

# (id, name, tier, installation module) in dimension order.
DIMENSIONS = [
    ("FIT", "Partner Fit", 1, "Partner Fit Architecture"),
    ("REC", "Partner Recruitment", 2, "Partner Recruitment System"),
    ("ONB", "Partner Onboarding & Activation", 2, "Partner Activation Program"),
    ("ECO", "Partner Economics", 1, "Partner Economics Model"),
    ("PERF", "Partner Performance Management", 3, "Partner Performance System"),
    ("ORG", "Internal Readiness", 1, "Partner Operating Model"),
]
DIMENSION_IDS = [d[0] for d in DIMENSIONS]
DIMENSION_NAME = {d[0]: d[1] for d in DIMENSIONS}
DIMENSION_TIER = {d[0]: d[2] for d in DIMENSIONS}
DIMENSION_MODULE = {d[0]: d[3] for d in DIMENSIONS}
DIMENSION_WEIGHT = {d: 1 for d in DIMENSION_IDS}

# Catalogue order: four signals per dimension, dimensions in dimension order.
SIGNALS = [f"{d}-{k:02d}" for d in DIMENSION_IDS for k in range(1, 5)]
SIGNAL_THRESHOLD = {s: 2.75 for s in SIGNALS}
SIGNAL_WEIGHT = {s: 1 for s in SIGNALS}


def dimension_of(signal_id: str) -> str:
    return signal_id.split("-")[0]


PERSPECTIVES = ["strategic", "operational", "partner", "data"]
PERSPECTIVE_WEIGHT = {"strategic": 1, "operational": 2, "partner": 1, "data": 2}
REALITY_PERSPECTIVES = [p for p in PERSPECTIVES if p != "strategic"]

# metric_id -> (signal, direction, (c1, c2, c3))
METRICS = {
    "time_to_first_deal_days": ("ONB-03", "lower", (90, 180, 365)),
    "partner_activation_rate": ("ONB-04", "higher", (20, 40, 60)),
    "partners_assessed_against_profile": ("REC-02", "higher", (20, 50, 80)),
    "partner_churn_rate": ("FIT-04", "lower", (10, 20, 35)),
    "deals_with_partner_attribution": ("PERF-02", "higher", (40, 70, 90)),
    "business_review_coverage": ("PERF-03", "higher", (30, 60, 90)),
    "active_partners_per_manager": ("ORG-03", "lower", (15, 30, 60)),
    "channel_conflict_escalations_per_quarter": ("ECO-04", "lower", (1, 3, 8)),
}

BLIND_SPOT_AT = 1.0
HIDDEN_STRENGTH_AT = -1.0
NULL_VARIANCE = 1.25
LOW_CONSENSUS_BELOW = 0.5
MIN_COVERAGE = 0.5
SEVERITY_ORDER = ["critical", "high", "medium"]  # most severe first
PHASE_OF_PRIORITY = {"P1": 1, "P2": 2, "P3": 3}
MATURITY_BANDS = [(1.0, "Ad hoc"), (2.0, "Emerging"), (2.75, "Structured"), (3.5, "Scalable")]


def r6(x: float) -> float:
    """Every threshold comparison is made on the value rounded to 6 decimals."""
    return round(x, DECIMALS)


# --------------------------------------------------------------------------- #
# Section 6: metric evidence -> data ratings
# --------------------------------------------------------------------------- #
def metric_rating(metric_id: str, value: float) -> int:
    """Band a metric value into a 1..4 rating with its cut points c1 < c2 < c3."""
    _signal, direction, (c1, c2, c3) = METRICS[metric_id]
    v = r6(value)
    if direction == "higher":
        if v >= c3:
            return 4
        if v >= c2:
            return 3
        if v >= c1:
            return 2
        return 1
    if v <= c1:
        return 4
    if v <= c2:
        return 3
    if v <= c3:
        return 2
    return 1


# --------------------------------------------------------------------------- #
# Section 4: signal computations
# --------------------------------------------------------------------------- #
def mean_or_none(values: list[float]) -> float | None:
    """Arithmetic mean; None for no values (blank ratings are never passed in)."""
    if not values:
        return None
    return sum(values) / len(values)


def weighted_mean_of_perspectives(
    means: dict[str, float | None], perspectives: list[str]
) -> float | None:
    """sum(w_p * mean_p) / sum(w_p) over the given perspectives that have a mean."""
    num = 0.0
    den = 0.0
    for p in perspectives:
        if means[p] is not None:
            num += PERSPECTIVE_WEIGHT[p] * means[p]
            den += PERSPECTIVE_WEIGHT[p]
    if den == 0:
        return None
    return num / den


def signal_score(means: dict[str, float | None]) -> float | None:
    """V: weighted mean over every perspective with at least one rating."""
    return weighted_mean_of_perspectives(means, PERSPECTIVES)


def strategic_mean(means: dict[str, float | None]) -> float | None:
    """S = mean_strategic."""
    return means["strategic"]


def reality_mean(means: dict[str, float | None]) -> float | None:
    """R: the same weighted mean restricted to non-strategic perspectives."""
    return weighted_mean_of_perspectives(means, REALITY_PERSPECTIVES)


def divergence(s: float | None, r: float | None) -> float | None:
    """S - R, null if either is null."""
    if s is None or r is None:
        return None
    return s - r


def divergence_class(d: float | None) -> str:
    if d is None:
        return "not_testable"
    if r6(d) >= BLIND_SPOT_AT:
        return "blind_spot"
    if r6(d) <= HIDDEN_STRENGTH_AT:
        return "hidden_strength"
    return "aligned"


def is_validated(ratings_by_perspective: dict[str, list[int]]) -> bool:
    """True iff ratings exist from at least two distinct perspectives (data included)."""
    return sum(1 for p in PERSPECTIVES if ratings_by_perspective[p]) >= 2


def agreement(stakeholder_ratings: list[int]) -> float | None:
    """r_wg = max(0, 1 - s^2 / 1.25) over stakeholder ratings; null when n < 2."""
    if len(stakeholder_ratings) < 2:
        return None
    s2 = statistics.variance(stakeholder_ratings)  # n - 1 denominator
    return max(0.0, 1.0 - float(s2) / NULL_VARIANCE)


def low_consensus(a: float | None) -> bool:
    if a is None:
        return False
    return r6(a) < LOW_CONSENSUS_BELOW


def compute_signal(signal_id: str, ratings_by_perspective: dict[str, list[int]]) -> dict:
    """One signals[] entry of the results contract."""
    means = {p: mean_or_none(ratings_by_perspective[p]) for p in PERSPECTIVES}
    v = signal_score(means)
    s = strategic_mean(means)
    r = reality_mean(means)
    d = divergence(s, r)
    stakeholder_ratings = [
        x for p in ("strategic", "operational", "partner") for x in ratings_by_perspective[p]
    ]
    a = agreement(stakeholder_ratings)
    return {
        "id": signal_id,
        "dimension": dimension_of(signal_id),
        "status": "no_evidence" if v is None else "scored",
        "score": v,
        "strategic": s,
        "reality": r,
        "divergence": d,
        "divergence_class": divergence_class(d),
        "agreement": a,
        "low_consensus": low_consensus(a),
        "validated": is_validated(ratings_by_perspective),
        "n_ratings": sum(len(ratings_by_perspective[p]) for p in PERSPECTIVES),
        "perspective_means": means,
    }


# --------------------------------------------------------------------------- #
# Section 5: gaps, severity, escalation, priority, phase, order
# --------------------------------------------------------------------------- #
def is_gap(signal: dict) -> bool:
    """A scored signal is a gap iff V < t."""
    if signal["score"] is None:
        return False
    return r6(signal["score"]) < r6(SIGNAL_THRESHOLD[signal["id"]])


def base_severity(shortfall: float) -> str:
    if r6(shortfall) >= 1.0:
        return "critical"
    if r6(shortfall) >= 0.5:
        return "high"
    return "medium"


def escalate(severity: str) -> str:
    """One level up: medium -> high -> critical; critical stays."""
    return {"medium": "high", "high": "critical", "critical": "critical"}[severity]


def priority(severity: str, tier: int) -> str:
    if severity == "critical":
        return "P1"
    if severity == "high":
        return "P1" if tier == 1 else "P2"
    return "P2" if tier == 1 else "P3"


def compute_gap(signal: dict) -> dict:
    t = SIGNAL_THRESHOLD[signal["id"]]
    shortfall = t - signal["score"]
    severity = base_severity(shortfall)
    escalated = signal["divergence_class"] == "blind_spot"
    if escalated:
        severity = escalate(severity)
    tier = DIMENSION_TIER[signal["dimension"]]
    prio = priority(severity, tier)
    return {
        "signal_id": signal["id"],
        "dimension": signal["dimension"],
        "score": signal["score"],
        "threshold": t,
        "shortfall": shortfall,
        "severity": severity,
        "escalated": escalated,
        "provisional": not signal["validated"],
        "priority": prio,
        "phase": PHASE_OF_PRIORITY[prio],
    }


def gap_sort_key(gap: dict):
    return (
        gap["priority"],
        DIMENSION_TIER[gap["dimension"]],
        SEVERITY_ORDER.index(gap["severity"]),
        r6(gap["score"]),
        gap["signal_id"],
    )


def compute_gaps(signals: list[dict]) -> list[dict]:
    gaps = [compute_gap(s) for s in signals if is_gap(s)]
    return sorted(gaps, key=gap_sort_key)


# --------------------------------------------------------------------------- #
# Section 7: dimensions, PAI, maturity, display
# --------------------------------------------------------------------------- #
def maturity(x: float | None) -> str | None:
    """The band with the highest lower bound not above round(x, 6)."""
    if x is None:
        return None
    name = None
    for lower, band in MATURITY_BANDS:
        if r6(x) >= lower:
            name = band
    return name


def compute_dimension(dim_id: str, signals: list[dict], gaps: list[dict]) -> dict:
    own = [s for s in signals if s["dimension"] == dim_id]
    scored = [s for s in own if s["score"] is not None]
    coverage = len(scored) / len(own)
    if r6(coverage) < MIN_COVERAGE:
        score, status = None, "insufficient_evidence"
    else:
        num = sum(SIGNAL_WEIGHT[s["id"]] * s["score"] for s in scored)
        den = sum(SIGNAL_WEIGHT[s["id"]] for s in scored)
        score, status = num / den, "scored"
    return {
        "id": dim_id,
        "name": DIMENSION_NAME[dim_id],
        "tier": DIMENSION_TIER[dim_id],
        "score": score,
        "maturity": maturity(score),
        "coverage": coverage,
        "status": status,
        "gap_count": sum(1 for g in gaps if g["dimension"] == dim_id),
    }


def compute_pai(dimensions: list[dict]) -> float | None:
    """Weighted mean of the six dimension scores; null if any is null."""
    if any(d["score"] is None for d in dimensions):
        return None
    num = sum(DIMENSION_WEIGHT[d["id"]] * d["score"] for d in dimensions)
    den = sum(DIMENSION_WEIGHT[d["id"]] for d in dimensions)
    return num / den


def pai_display(pai: float | None) -> str | None:
    """One decimal, rounded half up (2.25 -> "2.3")."""
    if pai is None:
        return None
    return str(Decimal(repr(round(pai, DECIMALS))).quantize(Decimal("0.1"), ROUND_HALF_UP))


# --------------------------------------------------------------------------- #
# Section 8: installation modules
# --------------------------------------------------------------------------- #
def compute_modules(gaps: list[dict]) -> list[dict]:
    modules = []
    for dim_id in DIMENSION_IDS:
        own = [g for g in gaps if g["dimension"] == dim_id]  # already in gap order
        if not own:
            continue
        modules.append(
            {
                "dimension": dim_id,
                "name": DIMENSION_MODULE[dim_id],
                "priority": min(g["priority"] for g in own),
                "signals": [g["signal_id"] for g in own],
            }
        )
    return sorted(
        modules,
        key=lambda m: (
            m["priority"],
            DIMENSION_TIER[m["dimension"]],
            DIMENSION_IDS.index(m["dimension"]),
        ),
    )


# --------------------------------------------------------------------------- #
# The whole contract
# --------------------------------------------------------------------------- #
def collect_ratings(
    stakeholders: list[dict], ratings: list[dict], metrics: list[dict]
) -> dict[str, dict[str, list[int]]]:
    """signal -> perspective -> list of non-blank ratings (metrics as `data`)."""
    perspective_of = {s["stakeholder_id"]: s["perspective"] for s in stakeholders}
    out = {sig: {p: [] for p in PERSPECTIVES} for sig in SIGNALS}
    for r in ratings:
        if r["rating"] is None:
            continue  # blank = "cannot judge", excluded from every mean
        out[r["signal_id"]][perspective_of[r["stakeholder_id"]]].append(int(r["rating"]))
    for m in metrics:
        signal_id = METRICS[m["metric_id"]][0]
        out[signal_id]["data"].append(metric_rating(m["metric_id"], m["value"]))
    return out


def reference_contract(
    engagement_id: str, stakeholders: list[dict], ratings: list[dict], metrics: list[dict]
) -> dict:
    """The results contract (without gap `evidence` and without `rulebook`)."""
    by_signal = collect_ratings(stakeholders, ratings, metrics)
    signals = [compute_signal(sig, by_signal[sig]) for sig in SIGNALS]
    gaps = compute_gaps(signals)
    dimensions = [compute_dimension(d, signals, gaps) for d in DIMENSION_IDS]
    pai = compute_pai(dimensions)
    return {
        "engagement_id": engagement_id,
        "status": "complete" if pai is not None else "incomplete",
        "pai": pai,
        "pai_display": pai_display(pai),
        "maturity": maturity(pai),
        "dimensions": dimensions,
        "signals": signals,
        "gaps": gaps,
        "installation_modules": compute_modules(gaps),
    }
