"""Item 2 of issue 17: every page's action title is derived by rule from the results
(paos.deliverables.titles); on every bundled engagement (the 64 of the portfolio and
the demo ones) no title is empty, repeated or ungrammatical."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paos.deliverables import deliverable, report, titles

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "data" / "portfolio" / "engagements").iterdir()) + sorted(
    (ROOT / "data" / "engagements").iterdir()
)
RUN_DATE = "2026-11-24"

# A count that disagrees with its noun, a hedge plural, a doubled or missing word.
UNGRAMMATICAL = [
    re.compile(r"\(s\)"),
    re.compile(
        r"(?<![\d.])1 (gaps|signals|phases|stakeholders|modules|peers|ratings|levels|points|days)\b"
    ),
    re.compile(
        r"\b(0|[2-9]|\d{2,}) (gap|signal|phase|stakeholder|installation module|peer|point|level)\b(?!-)"
    ),
    re.compile(r"\b1 (gap|signal) (need|hold|support|depend)\b"),
    re.compile(r"\b(\d{2,}|[02-9]) (gaps|signals) (needs|holds|supports|depends)\b"),
    re.compile(r"\b(\w+) \1\b"),
    re.compile(r"(?<![\d.])(\d+) of (the )?\1\b"),  # "3 of 3": all 3
    re.compile(r"1 \w+ gap, all\b"),
    re.compile(r"\s{2}|\s$|^\s|\.$|None|nan|\{|\}"),
]


def deck_titles(d: deliverable.Deliverable) -> dict[str, str]:
    out = {
        "headline": titles.headline(d),
        "priorities": titles.priorities(d),
        "roadmap": titles.roadmap(d),
        "dimensions": titles.dimensions(d),
        "divergence": titles.divergence(d),
        "evidence": titles.evidence(d),
        "methodology": titles.methodology(d),
        "reproducibility": titles.reproducibility(d),
    }
    if d.reassessment is not None:
        out["progress_headline"] = titles.progress_headline(d)
        out["progress"] = titles.progress(d)
    if d.benchmark is not None:
        out["benchmark"] = titles.benchmark(d)
    # the titles of printed pages that start inside a section (item 1 of the deck task)
    dims = d.contract["dimensions"]
    for i, dim in enumerate(dims):
        out[f"dimension {dim['id']}"] = titles.dimension_page(d, dim)
        for j in range(i + 2, len(dims) + 1):  # a page holding several (deck task 2)
            out[f"dimensions {dim['id']}-{dims[j - 1]['id']}"] = titles.dimension_pages(
                d, dims[i:j]
            )
    return out


def check(name: str, found: dict[str, str]) -> list[str]:
    problems = []
    for page, title in found.items():
        if not title.strip():
            problems.append(f"{name} {page}: empty")
        if not (title[0].isupper() or title[0].isdigit()):
            problems.append(f"{name} {page}: {title!r} does not start with a capital or a figure")
        for bad in UNGRAMMATICAL:
            if bad.search(title):
                problems.append(f"{name} {page}: {title!r} matches {bad.pattern}")
    seen = list(found.values())
    for t in set(seen):
        if seen.count(t) > 1:
            problems.append(f"{name}: {t!r} repeated")
    return problems


@pytest.mark.slow  # 68 deliverables; test_the_demo_titles is the inner loop's
def test_every_bundled_engagement_has_good_titles():
    assert len(BUNDLED) >= 68
    problems: list[str] = []
    follow_ups = 0
    for path in BUNDLED:
        d = report.deliverable(path, run_date=RUN_DATE)
        follow_ups += d.reassessment is not None
        problems += check(path.name, deck_titles(d))
    assert follow_ups > 0  # the progress titles were scored too
    assert not problems, "\n".join(problems[:40])


def test_the_demo_titles():
    d = report.deliverable(ROOT / "data" / "engagements" / "northwind-2026-09", run_date=RUN_DATE)
    found = deck_titles(d)
    assert found["headline"] == (
        "The partner architecture is Emerging (PAI 2.2 of 4); Partner Fit, with 4 "
        "first-phase gaps, is the constraint that matters most"
    )
    assert found["priorities"] == "13 gaps need action in the first 90 days, 10 of them critical"
    assert found["dimensions"] == (
        "Partner Fit, Partner Onboarding & Activation and Partner Economics hold 7 of the "
        "10 critical gaps"
    )
    assert (
        found["divergence"]
        == "Leadership rates 14 signals at least 1 point above operational reality"
    )
    assert not check("northwind", found)


def test_the_checker_catches_bad_titles():
    assert check("x", {"a": "1 gaps need action"})
    assert check("x", {"a": "Gap(s) found"})
    assert check("x", {"a": "3 gap needs action"})
    assert check("x", {"a": "Same", "b": "Same"})
    assert check("x", {"a": "Since 2024 3 of 3 baseline gaps closed"})
    assert check("x", {"a": ""}) if "" else True


@pytest.mark.parametrize(
    ("n", "word", "shown"), [(0, "gap", "0 gaps"), (1, "gap", "1 gap"), (2, "gap", "2 gaps")]
)
def test_count_agrees_with_its_noun(n, word, shown):
    assert titles.count(n, word) == shown
    assert titles.verb(1, "holds") == "holds" and titles.verb(2, "holds") == "hold"
    assert titles.joined(["A", "B", "C"]) == "A, B and C"
    assert titles.ordinal(11) == "11th" and titles.ordinal(22) == "22nd"


def _stub(status: str, size: int, pct: float | None = 40.0) -> deliverable.Deliverable:
    d = report.deliverable(ROOT / "data" / "engagements" / "northwind-2026-09", run_date=RUN_DATE)
    d.benchmark = {
        "status": status,
        "min_peers": 5,
        "peer_group": {"size": size, "label": "all"},
        "pai": {"value": 2.2, "percentile": pct, "n": size},
        "dimensions": [],
        "left_out": 0,
    }
    return d


def test_benchmark_titles():
    assert titles.benchmark(_stub("insufficient", 1)) == (
        "Too few peers to benchmark: 1 other client with a past engagement under this rulebook, 5 needed"
    )
    assert (
        titles.benchmark(_stub("ok", 12))
        == "The PAI of 2.2 ranks at the 40th percentile of 12 peers"
    )


def test_a_page_starting_inside_a_section_has_a_title_of_its_own():
    d = report.deliverable(ROOT / "data" / "engagements" / "northwind-2026-09", run_date=RUN_DATE)
    dims = {x["id"]: x for x in d.contract["dimensions"]}
    assert titles.dimension_page(d, dims["ONB"]) == (
        "Partner Onboarding & Activation scores 2.3 (Emerging) with 3 gaps, 2 of them critical"
    )
    assert titles.dimension_page(d, dims["FIT"]) == (
        "Partner Fit scores 1.99 (Ad hoc) with 4 gaps, 3 of them critical"
    )
