#!/usr/bin/env python3
"""Generate the synthetic PAOS benchmark portfolio: 64 past engagements.

A consulting firm's history of Partner Architecture Diagnostics, for peer-group
benchmarking: 56 fictional clients in six industries and four stages, assessed
between 2024-01 and 2026-10, eight of them assessed twice (a diagnostic and a
follow-up 6-12 months later whose engagement.yaml names the first as
`baseline`). Every engagement is a folder in the evidence format of
docs/spec/evidence-and-results.md (engagement.yaml, stakeholders.csv,
ratings.csv and, for about half, metrics.csv).

Structure built into the numbers (see data/portfolio/README.md):
- maturity rises with stage (startup lowest, enterprise highest);
- industries are systematically weaker or stronger on some dimensions
  (e.g. manufacturing-tech on PERF, saas on ECO);
- a mild improvement over time (later assessments score a little higher);
- leadership over-estimation (blind spots) is common in earlier stages;
- follow-ups close some of the baseline's gaps, improve others, leave some
  and show the odd new one.

Everything is synthetic: companies, people, partner firms and quotes are
invented. Quote templates, rating generation and the CSV/YAML writers come from
data/generate_demo.py (imported, not copied). The output is deterministic
(fixed seeds, stdlib `random`, no clock, no network): running the script twice
gives byte-identical files; it overwrites its own outputs.

    .venv/bin/python data/portfolio/generate_portfolio.py [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import random
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load_demo():
    """Import data/generate_demo.py (quote templates, rating rows, writers)."""
    path = HERE.parent / "generate_demo.py"
    name = "paos_data_generate_demo"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


demo = _load_demo()
Profile = demo.Profile
Stakeholder = demo.Stakeholder
SIGNALS = demo.SIGNALS

SEED = "paos-portfolio-v1"
THRESHOLD = 2.75  # paos-v1 gap threshold (the same for every signal)
DIMENSIONS = ("FIT", "REC", "ONB", "ECO", "PERF", "ORG")
FIRST_MONTH = (2024, 1)  # the portfolio spans 2024-01 .. 2026-10
LAST_MONTH = (2026, 10)

# ---------------------------------------------------------------------------
# The portfolio: clients, industries, stages, dates
# ---------------------------------------------------------------------------

# (slug, client, industry, stage)
CLIENTS = [
    # saas
    ("brightloop", "Brightloop Software GmbH", "saas", "scale-up"),
    ("cloudmere", "Cloudmere Analytics Ltd", "saas", "growth"),
    ("fernhill", "Fernhill Labs BV", "saas", "startup"),
    ("quillstack", "Quillstack Inc.", "saas", "startup"),
    ("tessarel", "Tessarel HR Cloud AG", "saas", "scale-up"),
    ("lumora", "Lumora Workflow GmbH", "saas", "scale-up"),
    ("pinecrest", "Pinecrest CRM Ltd", "saas", "growth"),
    ("orbitly", "Orbitly Software Oy", "saas", "startup"),
    ("vantra", "Vantra Data AB", "saas", "scale-up"),
    ("kelvyn", "Kelvyn Commerce Cloud GmbH", "saas", "enterprise"),
    ("stratuslane", "Stratuslane Inc.", "saas", "growth"),
    ("nimbrook", "Nimbrook Software SAS", "saas", "scale-up"),
    ("helioform", "Helioform GmbH", "saas", "startup"),
    ("saltmarsh", "Saltmarsh Digital Ltd", "saas", "growth"),
    ("corvio", "Corvio Platform AG", "saas", "enterprise"),
    # it-services
    ("greystone", "Greystone Systems Integration plc", "it-services", "enterprise"),
    ("bluefjord", "Bluefjord Consulting AS", "it-services", "growth"),
    ("axial-cloud", "Axial Cloud Services GmbH", "it-services", "scale-up"),
    ("tamworth", "Tamworth Digital Partners Ltd", "it-services", "startup"),
    ("rivenmark", "Rivenmark IT AG", "it-services", "enterprise"),
    ("castellan", "Castellan Managed Services BV", "it-services", "growth"),
    ("oakridge", "Oakridge Technology Group Ltd", "it-services", "enterprise"),
    ("veltro", "Veltro Solutions SpA", "it-services", "scale-up"),
    ("kingsbridge", "Kingsbridge IT Consulting Ltd", "it-services", "growth"),
    ("duneline", "Duneline Services GmbH", "it-services", "scale-up"),
    # manufacturing-tech
    ("ferrovia", "Ferrovia Automation GmbH", "manufacturing-tech", "growth"),
    ("brassworks", "Brassworks Robotics Ltd", "manufacturing-tech", "startup"),
    ("kaltberg", "Kaltberg Sensorik AG", "manufacturing-tech", "enterprise"),
    ("torvane", "Torvane Industrial IoT BV", "manufacturing-tech", "scale-up"),
    ("mechatron-nord", "Mechatron Nord GmbH", "manufacturing-tech", "enterprise"),
    ("ironleaf", "Ironleaf Machine Cloud Oy", "manufacturing-tech", "scale-up"),
    ("steelgrove", "Steelgrove Additive Ltd", "manufacturing-tech", "growth"),
    ("vireo", "Vireo Factory Systems SAS", "manufacturing-tech", "growth"),
    ("praxwerk", "Praxwerk Digital GmbH", "manufacturing-tech", "enterprise"),
    # fintech
    ("coinvale", "Coinvale Payments Ltd", "fintech", "scale-up"),
    ("ledgerly", "Ledgerly GmbH", "fintech", "startup"),
    ("finmark", "Finmark Open Banking BV", "fintech", "startup"),
    ("tallybridge", "Tallybridge Ltd", "fintech", "scale-up"),
    ("paynest", "Paynest SAS", "fintech", "scale-up"),
    ("quorum-lending", "Quorum Lending AG", "fintech", "growth"),
    ("argentum", "Argentum Risk Analytics Ltd", "fintech", "enterprise"),
    ("clearmint", "Clearmint Treasury GmbH", "fintech", "growth"),
    ("silverkey", "Silverkey Insurtech AB", "fintech", "startup"),
    # healthtech
    ("medilink", "Medilink Connect GmbH", "healthtech", "startup"),
    ("carewell", "Carewell Digital Ltd", "healthtech", "scale-up"),
    ("vitalis", "Vitalis Cloud BV", "healthtech", "growth"),
    ("novacura", "Novacura Health Data AG", "healthtech", "growth"),
    ("pulsewise", "Pulsewise Ltd", "healthtech", "startup"),
    ("kinora", "Kinora Health Oy", "healthtech", "startup"),
    ("salvia", "Salvia Clinical Systems SAS", "healthtech", "scale-up"),
    # logistics
    ("freightlane", "Freightlane Systems Ltd", "logistics", "growth"),
    ("portwell", "Portwell Logistics Software BV", "logistics", "enterprise"),
    ("trackhaven", "Trackhaven GmbH", "logistics", "scale-up"),
    ("dockside", "Dockside Data AB", "logistics", "scale-up"),
    ("haulsmith", "Haulsmith Ltd", "logistics", "growth"),
    ("palletra", "Palletra SAS", "logistics", "enterprise"),
]

# Clients assessed twice: slug -> (diagnostic date, follow-up date, stage at follow-up).
FOLLOW_UPS = {
    "brightloop": ("2024-02-14", "2024-11-20", "scale-up"),
    "cloudmere": ("2024-05-08", "2025-03-12", "growth"),
    "ferrovia": ("2024-06-19", "2025-05-21", "growth"),
    "greystone": ("2024-09-11", "2025-06-04", "enterprise"),
    "fernhill": ("2025-01-22", "2025-09-17", "scale-up"),
    "bluefjord": ("2025-04-09", "2026-02-11", "growth"),
    "coinvale": ("2025-06-25", "2026-01-14", "scale-up"),
    "medilink": ("2025-10-08", "2026-08-19", "scale-up"),
}

ANALYSTS = ["Lena Hartmann", "Jonas Keller", "Mira Castell", "Theo Brandt", "Anouk Verbeek"]

# ---------------------------------------------------------------------------
# The maturity model behind the ratings
# ---------------------------------------------------------------------------

# Operational reality level at the start of the period, by stage.
STAGE_LEVEL = {"startup": 1.58, "scale-up": 2.02, "growth": 2.5, "enterprise": 3.22}
# Mean leadership inflation (strategic target minus reality) and the chance
# that a signal carries a pronounced blind spot, by stage.
STAGE_INFLATION = {"startup": 0.45, "scale-up": 0.35, "growth": 0.2, "enterprise": 0.05}
STAGE_BLIND_SPOT = {"startup": 0.25, "scale-up": 0.2, "growth": 0.08, "enterprise": 0.03}
STAGE_HIDDEN_STRENGTH = {"startup": 0.0, "scale-up": 0.01, "growth": 0.02, "enterprise": 0.03}
# Stakeholders (strategic, operational, partner) ranges, by stage.
STAGE_PANEL = {
    "startup": ((1, 2), (2, 3), (0, 2)),
    "scale-up": ((2, 3), (2, 5), (1, 3)),
    "growth": ((2, 3), (3, 6), (1, 3)),
    "enterprise": ((2, 3), (4, 6), (2, 3)),
}
STAGE_METRICS = {  # chance of a metrics.csv, and how many metrics
    "startup": (0.2, (1, 3)),
    "scale-up": (0.45, (2, 4)),
    "growth": (0.6, (3, 6)),
    "enterprise": (0.8, (4, 8)),
}
# Industry offsets on the overall level and per dimension.
INDUSTRY_LEVEL = {
    "saas": 0.05,
    "it-services": 0.12,
    "manufacturing-tech": -0.05,
    "fintech": 0.0,
    "healthtech": -0.1,
    "logistics": 0.0,
}
INDUSTRY_DIMENSION = {
    "saas": {"ECO": -0.5, "ONB": 0.2, "PERF": 0.1},
    "it-services": {"ORG": 0.25, "FIT": 0.15, "REC": -0.25},
    "manufacturing-tech": {"PERF": -0.55, "ONB": -0.2, "FIT": 0.2},
    "fintech": {"FIT": 0.3, "REC": -0.3, "ECO": 0.15},
    "healthtech": {"REC": -0.4, "ONB": -0.25, "FIT": 0.1},
    "logistics": {"ECO": 0.2, "PERF": -0.25, "ORG": -0.2},
}
IMPROVEMENT_PER_YEAR = 0.1  # portfolio-wide drift of the level over time
# Signals partners cannot judge (they answer blank or leave them out).
PARTNER_BLIND = {"REC-03", "ECO-02", "ORG-03"}

# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hugo",
    "Ida",
    "Jan",
    "Katja",
    "Lars",
    "Mona",
    "Nils",
    "Olga",
    "Paul",
    "Rosa",
    "Simon",
    "Tara",
    "Urs",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
    "Amir",
    "Bianca",
    "Chiara",
    "Dmitri",
    "Emma",
    "Farid",
    "Hanna",
    "Ivo",
    "Julia",
    "Kofi",
    "Lina",
    "Marek",
    "Nora",
    "Oskar",
    "Priya",
    "Quentin",
    "Rahel",
    "Sven",
    "Tilda",
    "Umut",
    "Valentin",
    "Wanda",
    "Xenia",
    "Yusuf",
    "Alma",
    "Bruno",
    "Cem",
    "Dora",
    "Emil",
    "Frida",
    "Goran",
    "Helena",
    "Isak",
    "Jonas",
    "Klara",
    "Leon",
]
LAST_NAMES = [
    "Albers",
    "Brenner",
    "Castillo",
    "Dahl",
    "Eriksen",
    "Falk",
    "Gruber",
    "Holm",
    "Ivanova",
    "Janssen",
    "Kovac",
    "Lindgren",
    "Moreau",
    "Nowak",
    "Ortega",
    "Petrov",
    "Quist",
    "Rossi",
    "Sandberg",
    "Thorsen",
    "Ulrich",
    "Vogel",
    "Wagner",
    "Yilmaz",
    "Zeller",
    "Aalto",
    "Bauer",
    "Conti",
    "Dubois",
    "Engel",
    "Fischer",
    "Gallo",
    "Hartwig",
    "Jovanovic",
    "Keller",
    "Lang",
    "Marino",
    "Nielsen",
    "Olsen",
    "Pichler",
    "Reyes",
    "Schmid",
    "Teixeira",
    "Varga",
    "Weiss",
    "Brandt",
    "Costa",
    "Duarte",
    "Eklund",
    "Franke",
    "Haas",
    "Kaya",
    "Lorenz",
    "Meier",
    "Novak",
    "Peters",
    "Richter",
    "Sousa",
    "Tanaka",
    "Vidal",
]
STRATEGIC_ROLES = {
    "startup": ["founder", "ceo", "head_of_partnerships", "cro"],
    "scale-up": ["ceo", "cro", "head_of_partnerships", "cmo", "founder"],
    "growth": ["ceo", "cro", "head_of_partnerships", "coo", "cmo", "cfo"],
    "enterprise": ["cro", "head_of_partnerships", "coo", "ceo", "cfo", "cpo", "board"],
}
OPERATIONAL_ROLES = [
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
    "other",
]
FUNCTION = {
    "ceo": "Executive",
    "founder": "Executive",
    "cro": "Revenue",
    "cmo": "Marketing",
    "cfo": "Finance",
    "coo": "Operations",
    "cpo": "Product",
    "board": "Board",
    "head_of_partnerships": "Partnerships",
    "partner_manager": "Partnerships",
    "channel_manager": "Channel",
    "sales": "Sales",
    "sales_ops": "Sales Operations",
    "revops": "Revenue Operations",
    "marketing": "Marketing",
    "customer_success": "Customer Success",
    "finance": "Finance",
    "product": "Product",
    "legal": "Legal",
    "operations": "Operations",
}
OTHER_FUNCTIONS = ["Solutions Engineering", "Professional Services", "Pre-Sales"]
PARTNER_FIRM_A = [
    "Amber",
    "Birchway",
    "Cobalt",
    "Driftwood",
    "Ember",
    "Falconer",
    "Granite",
    "Heron",
    "Indigo",
    "Juniper",
    "Lantern",
    "Marlow",
    "Nordlys",
    "Osprey",
    "Quarry",
    "Redwood",
    "Sable",
    "Ternhouse",
    "Umbra",
    "Willow",
]
PARTNER_FIRM_B = [
    "Consulting",
    "Systems",
    "Partners",
    "Integration",
    "Solutions",
    "Digital",
    "Advisory",
    "Reseller Group",
    "Technologies",
]
PARTNER_TITLES = [
    "Managing Director",
    "Alliance Lead",
    "Practice Lead",
    "Sales Director",
    "CEO",
    "Partner",
    "Head of Delivery",
]
PERSPECTIVE_SOURCES = {
    "strategic": ["interview"] * 9 + ["workshop"],
    "operational": ["interview"] * 5 + ["survey"] * 3 + ["workshop"] * 2,
    "partner": ["interview"] * 8 + ["survey"] * 2,
}

# ---------------------------------------------------------------------------
# Metrics: linked signal, direction, cut points (paos-v1), value format
# ---------------------------------------------------------------------------

METRICS = {
    "time_to_first_deal_days": ("ONB-03", "lower", (90, 180, 365), "int"),
    "partner_activation_rate": ("ONB-04", "higher", (20, 40, 60), "pct"),
    "partners_assessed_against_profile": ("REC-02", "higher", (20, 50, 80), "pct"),
    "partner_churn_rate": ("FIT-04", "lower", (10, 20, 35), "pct"),
    "deals_with_partner_attribution": ("PERF-02", "higher", (40, 70, 90), "pct"),
    "business_review_coverage": ("PERF-03", "higher", (30, 60, 90), "pct"),
    "active_partners_per_manager": ("ORG-03", "lower", (15, 30, 60), "int"),
    "channel_conflict_escalations_per_quarter": ("ECO-04", "lower", (1, 3, 8), "int"),
}


def metric_value(level: float, direction: str, cuts: tuple, fmt: str) -> str:
    """A metric value whose band rating is about round(level): piecewise linear
    through (0.5, worst), (1.5, c1), (2.5, c2), (3.5, c3), (4.5, best)."""
    c1, c2, c3 = cuts
    if direction == "higher":
        points = [(0.5, 0.0), (1.5, c1), (2.5, c2), (3.5, c3), (4.5, min(100.0, c3 + (c3 - c2)))]
    else:
        points = [(0.5, c3 * 1.6), (1.5, c3), (2.5, c2), (3.5, c1), (4.5, c1 * 0.4)]
    x = min(4.5, max(0.5, level))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x <= x1:
            value = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
            break
    if fmt == "pct":
        return f"{min(100.0, max(0.0, value)):.1f}".rstrip("0").rstrip(".")
    return str(max(0, int(round(value))))


# ---------------------------------------------------------------------------
# Engagement model
# ---------------------------------------------------------------------------


@dataclass
class Engagement:
    id: str
    slug: str
    client: str
    industry: str
    stage: str
    assessed_on: str
    analyst: str
    baseline: str | None
    profile: Profile
    reality: dict[str, float]  # operational reality level per signal
    expected: dict[str, float]  # expected signal score from the targets


def years_since_start(date: str) -> float:
    d = dt.date.fromisoformat(date)
    return (d - dt.date(FIRST_MONTH[0], FIRST_MONTH[1], 1)).days / 365.25


def clamp(x: float, lo: float = 1.0, hi: float = 4.0) -> float:
    return min(hi, max(lo, x))


def expected_score(targets: tuple) -> float:
    weights = (1, 2, 1)
    pairs = [(w, t) for w, t in zip(weights, targets) if t is not None]
    return sum(w * t for w, t in pairs) / sum(w for w, _ in pairs)


def base_reality(rng: random.Random, industry: str, stage: str, date: str) -> dict[str, float]:
    level = (
        STAGE_LEVEL[stage]
        + INDUSTRY_LEVEL[industry]
        + IMPROVEMENT_PER_YEAR * years_since_start(date)
        + rng.gauss(0, 0.22)
    )
    dim_noise = {d: rng.gauss(0, 0.15) for d in DIMENSIONS}
    reality = {}
    for signal in SIGNALS:
        dim = signal.split("-")[0]
        r = level + INDUSTRY_DIMENSION[industry].get(dim, 0.0) + dim_noise[dim] + rng.gauss(0, 0.28)
        reality[signal] = round(clamp(r, 1.0, 3.95), 2)
    return reality


def make_targets(
    rng: random.Random, stage: str, reality: dict[str, float], inflation_scale: float = 1.0
) -> dict[str, tuple]:
    """(strategic, operational, partner) target means per signal."""
    targets = {}
    for signal in SIGNALS:
        r = reality[signal]
        roll = rng.random()
        if roll < STAGE_BLIND_SPOT[stage] * inflation_scale and r <= 2.9:
            bias = rng.uniform(1.2, 1.7)  # pronounced blind spot
        elif roll > 1 - STAGE_HIDDEN_STRENGTH[stage] and r >= 2.6:
            bias = -rng.uniform(1.1, 1.4)  # hidden strength
        else:
            bias = rng.gauss(STAGE_INFLATION[stage] * inflation_scale, 0.25)
        strategic = round(clamp(r + bias), 2)
        operational = round(clamp(r), 2)
        partner = round(clamp(r - 0.15 + rng.gauss(0, 0.25)), 2)
        if signal in PARTNER_BLIND:
            partner = None
        targets[signal] = (strategic, operational, partner)
    return targets


def make_panel(
    rng: random.Random,
    stage: str,
    prefix: str,
    keep: list[Stakeholder] | None = None,
    first_free: int = 1,
) -> list[Stakeholder]:
    """4-12 stakeholders across strategic, operational and partner perspectives;
    `keep` carries people over from an earlier engagement of the same client."""
    (s_lo, s_hi), (o_lo, o_hi), (p_lo, p_hi) = STAGE_PANEL[stage]
    want = {
        "strategic": rng.randint(s_lo, s_hi),
        "operational": rng.randint(o_lo, o_hi),
        "partner": rng.randint(p_lo, p_hi),
    }
    while sum(want.values()) < 4:
        want["operational"] += 1
    people: list[Stakeholder] = []
    used_names = set()
    used_roles: dict[str, int] = {}
    kept_by_perspective: dict[str, list[Stakeholder]] = {
        "strategic": [],
        "operational": [],
        "partner": [],
    }
    for st in keep or []:
        kept_by_perspective[st.effective].append(st)

    def new_name() -> str:
        while True:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            if name not in used_names:
                used_names.add(name)
                return name

    for st in keep or []:
        used_names.add(st.name)
    for perspective in ("strategic", "operational", "partner"):
        chosen = kept_by_perspective[perspective][: want[perspective]]
        for st in chosen:
            used_roles[st.role] = used_roles.get(st.role, 0) + 1
        people += chosen
        for _ in range(want[perspective] - len(chosen)):
            source = rng.choice(PERSPECTIVE_SOURCES[perspective])
            if perspective == "strategic":
                options = [r for r in STRATEGIC_ROLES[stage] if r not in used_roles]
                role = options[0] if rng.random() < 0.6 else rng.choice(options)
                people.append(Stakeholder("", role, new_name(), FUNCTION[role], source=source))
            elif perspective == "operational":
                weights = [
                    6 if r == "partner_manager" else 3 if r in ("sales", "channel_manager") else 1
                    for r in OPERATIONAL_ROLES
                ]
                role = rng.choices(OPERATIONAL_ROLES, weights)[0]
                if role == "other":
                    people.append(
                        Stakeholder(
                            "",
                            "other",
                            new_name(),
                            rng.choice(OTHER_FUNCTIONS),
                            perspective="operational",
                            source=source,
                        )
                    )
                else:
                    people.append(Stakeholder("", role, new_name(), FUNCTION[role], source=source))
            else:
                firm = f"{rng.choice(PARTNER_FIRM_A)} {rng.choice(PARTNER_FIRM_B)}"
                people.append(
                    Stakeholder(
                        "",
                        "partner",
                        new_name(),
                        f"{rng.choice(PARTNER_TITLES)}, {firm}",
                        source=source,
                    )
                )
            used_roles[people[-1].role] = used_roles.get(people[-1].role, 0) + 1
    # Ids: kept people keep theirs; new people are numbered from `first_free`.
    n = first_free
    for st in people:
        if not st.sid:
            st.sid = f"{prefix}-{n:02d}"
            n += 1
    return sorted(people, key=lambda s: s.sid)


def make_metrics(
    rng: random.Random,
    stage: str,
    reality: dict[str, float],
    date: str,
    count: int | None = None,
    ids: list[str] | None = None,
) -> list[tuple]:
    if ids is None:
        chance, (lo, hi) = STAGE_METRICS[stage]
        if count is None and rng.random() >= chance:
            return []
        count = count or rng.randint(lo, hi)
        ids = sorted(rng.sample(list(METRICS), count), key=list(METRICS).index)
    d = dt.date.fromisoformat(date)
    as_of = (d.replace(day=1) - dt.timedelta(days=1)).isoformat()  # last month end
    rows = []
    for metric_id in ids:
        signal, direction, cuts, fmt = METRICS[metric_id]
        level = reality[signal] + rng.gauss(0.0, 0.35)
        rows.append((metric_id, metric_value(level, direction, cuts, fmt), as_of, "document"))
    return rows


def profile_for(
    eid: str,
    client: str,
    date: str,
    industry: str,
    stage: str,
    analyst: str,
    panel: list[Stakeholder],
    targets: dict[str, tuple],
    metrics: list[tuple],
    rng: random.Random,
) -> Profile:
    return Profile(
        meta={
            "id": eid,
            "client": client,
            "assessed_on": date,
            "industry": industry,
            "stage": stage,
            "analyst": analyst,
        },
        stakeholders=panel,
        targets=targets,
        metrics=metrics,
        skips=(2, 5) if len(panel) > 6 else (1, 3),
        blank_rate=round(rng.uniform(0.01, 0.05), 3),
        noise=0.06,
        evidence_high=0.2,
        evidence_low=0.55,
    )


def month_dates(rng: random.Random, count: int, exclude: set[str]) -> list[str]:
    """`count` dates spread evenly over the portfolio's months (in random order)."""
    months = []
    y, m = FIRST_MONTH
    while (y, m) <= LAST_MONTH:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    slots = [months[i * len(months) // count] for i in range(count)]
    rng.shuffle(slots)
    dates = []
    for y, m in slots:
        while True:
            day = dt.date(y, m, rng.randint(2, 27))
            if day.weekday() < 5 and day.isoformat() not in exclude:
                break
        dates.append(day.isoformat())
        exclude.add(day.isoformat())
    return dates


def eid_for(slug: str, date: str) -> str:
    return f"{slug}-{date[:4]}-{date[5:7]}"


def first_engagement(
    slug: str, client: str, industry: str, stage: str, date: str, analyst: str
) -> Engagement:
    eid = eid_for(slug, date)
    rng = random.Random(f"{SEED}:{eid}")
    reality = base_reality(rng, industry, stage, date)
    targets = make_targets(rng, stage, reality)
    prefix = slug.replace("-", "")[:3].upper()
    panel = make_panel(rng, stage, prefix)
    metrics = make_metrics(rng, stage, reality, date)
    profile = profile_for(eid, client, date, industry, stage, analyst, panel, targets, metrics, rng)
    expected = {s: expected_score(targets[s]) for s in SIGNALS}
    return Engagement(
        eid, slug, client, industry, stage, date, analyst, None, profile, reality, expected
    )


def follow_up(base: Engagement, date: str, stage: str) -> tuple[Engagement, dict[str, str]]:
    """The follow-up diagnostic: most of the baseline's gaps worked on (some
    closed, some improved but open, some stuck), the rest drifting up a little,
    and one new gap where growth stretched something that used to hold."""
    eid = eid_for(base.slug, date)
    rng = random.Random(f"{SEED}:{eid}")
    gaps = sorted(
        (s for s in SIGNALS if base.expected[s] < THRESHOLD), key=lambda s: base.expected[s]
    )
    outcome: dict[str, str] = {}
    reality = {}
    for signal in SIGNALS:
        r = base.reality[signal]
        if signal in gaps:
            roll = rng.random()
            if roll < 0.35:
                outcome[signal] = "closed"
                r = max(r + rng.uniform(0.5, 0.9), rng.uniform(2.9, 3.2))
            elif roll < 0.7:
                outcome[signal] = "improved"
                r = r + rng.uniform(0.2, 0.4)
            else:
                outcome[signal] = "persisting"
                r = r + rng.uniform(-0.05, 0.1)
        else:
            # Held at least at the level the baseline scored (reality catches
            # up where leadership optimism had carried the score).
            r = max(r + rng.gauss(0.08, 0.08), base.expected[signal] + rng.uniform(-0.02, 0.12))
        reality[signal] = round(clamp(r, 1.0, 3.95), 2)
    candidates = [
        s
        for s in ("ORG-03", "ONB-04", "ECO-04", "PERF-03", "ONB-02", "REC-03")
        if s not in gaps and base.expected[s] < 3.4
    ]
    if candidates:
        new = rng.choice(candidates)
        outcome[new] = "new"
        reality[new] = round(rng.uniform(2.0, 2.35), 2)
    # Leadership, having seen the first diagnostic, overestimates less.
    targets = make_targets(rng, stage, reality, inflation_scale=0.45)
    prefix = base.profile.stakeholders[0].sid.split("-")[0]
    carried = [p for p in base.profile.stakeholders if rng.random() < 0.65]
    keep = [
        Stakeholder(p.sid, p.role, p.name, p.function, p.perspective, p.source) for p in carried
    ]
    first_free = 1 + max(int(p.sid.split("-")[1]) for p in base.profile.stakeholders)
    panel = make_panel(rng, stage, prefix, keep, first_free)
    metric_ids = [m[0] for m in base.profile.metrics]
    if metric_ids:
        extra = [m for m in METRICS if m not in metric_ids]
        if extra and rng.random() < 0.6:
            metric_ids.append(rng.choice(extra))
        metric_ids = sorted(metric_ids, key=list(METRICS).index)
        metrics = make_metrics(rng, stage, reality, date, ids=metric_ids)
    else:
        metrics = make_metrics(rng, stage, reality, date, count=2 if rng.random() < 0.5 else None)
    profile = profile_for(
        eid, base.client, date, base.industry, stage, base.analyst, panel, targets, metrics, rng
    )
    expected = {s: expected_score(targets[s]) for s in SIGNALS}
    eng = Engagement(
        eid,
        base.slug,
        base.client,
        base.industry,
        stage,
        date,
        base.analyst,
        base.id,
        profile,
        reality,
        expected,
    )
    return eng, outcome


def build_portfolio() -> tuple[list[Engagement], dict[str, dict[str, str]]]:
    rng = random.Random(f"{SEED}:portfolio")
    singles = [c for c in CLIENTS if c[0] not in FOLLOW_UPS]
    taken = {d for pair in FOLLOW_UPS.values() for d in pair[:2]}
    dates = month_dates(rng, len(singles), taken)
    engagements: list[Engagement] = []
    outcomes: dict[str, dict[str, str]] = {}
    date_of = dict(zip((c[0] for c in singles), dates))
    for slug, client, industry, stage in CLIENTS:
        analyst = rng.choice(ANALYSTS)
        if slug in FOLLOW_UPS:
            first_date, second_date, second_stage = FOLLOW_UPS[slug]
            base = first_engagement(slug, client, industry, stage, first_date, analyst)
            second, outcome = follow_up(base, second_date, second_stage)
            engagements += [base, second]
            outcomes[second.id] = outcome
        else:
            engagements.append(
                first_engagement(slug, client, industry, stage, date_of[slug], analyst)
            )
    engagements.sort(key=lambda e: (e.assessed_on, e.id))
    return engagements, outcomes


# ---------------------------------------------------------------------------
# Writers (CSV writing and rating rows from data/generate_demo.py)
# ---------------------------------------------------------------------------


def write_engagement(eng: Engagement, out: Path) -> list[Path]:
    profile = eng.profile
    folder = out / eng.id
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    path = folder / "engagement.yaml"
    fields = demo.engagement_fields(profile)
    if eng.baseline:
        fields.append(("baseline", eng.baseline))
    lines = [
        "# Synthetic past engagement generated by data/portfolio/generate_portfolio.py; "
        "all names are fictional."
    ]
    lines += [f"{k}: {demo.yaml_scalar(v)}" for k, v in fields]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    written.append(path)

    path = folder / "stakeholders.csv"
    demo.write_csv(
        path,
        ["stakeholder_id", "role", "perspective", "function", "name"],
        [[s.sid, s.role, s.perspective, s.function, s.name] for s in profile.stakeholders],
    )
    written.append(path)

    path = folder / "ratings.csv"
    cols = ["stakeholder_id", "signal_id", "rating", "evidence", "source"]
    demo.write_csv(path, cols, [[r[c] for c in cols] for r in demo.generate_rows(profile)])
    written.append(path)

    path = folder / "metrics.csv"
    if profile.metrics:
        demo.write_csv(
            path, ["metric_id", "value", "as_of", "source"], [list(m) for m in profile.metrics]
        )
        written.append(path)
    elif path.exists():
        path.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic PAOS benchmark portfolio.")
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "engagements",
        help="output folder (default: engagements/ next to this script)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not list the files written")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    engagements, _outcomes = build_portfolio()
    written: list[Path] = []
    for eng in engagements:
        written += write_engagement(eng, out)
    if not args.quiet:
        for path in written:
            print(path)
    print(f"{len(engagements)} engagements, {len(written)} files in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
