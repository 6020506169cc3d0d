"""Every name and number a deliverable shows comes from the rulebook it was scored with.

For every key of the rulebook (the same mutations as tests/test_rulebook.py), the
three deliverables are rendered section by section under the mutated rulebook: an
engagement's (with a baseline and a results store, so every section has content),
a prospect's Architecture Check and the portfolio report. None may fail, and the
mutated value must be shown: in the section that uses it where one does, else in
the engagement's methodology appendix (the card of the rules applied).

The evidence is written from the rulebook itself (its signals, roles, metrics and
scale), so that a renamed signal or a wider scale still makes a valid engagement.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from paos.base.rulebook import Rulebook, load_rulebook
from paos.base.rulebook_schema import schema_paths
from paos.deliverables import check_page, report, sections
from paos.method import check
from paos.portfolio import report as portfolio
from paos.portfolio.batch import run_batch
from tests.test_rulebook import BASE, DESCRIPTIVE, RULES, _write

_ORG = BASE["dimensions"][5]
# key -> (where, text shown or a pattern): `where` is a section of the engagement's
# deliverable (the methodology appendix for the rules no other section states),
# "check", or a section of the portfolio report (its text and its charts' SVG).
SHOWN = {
    "id": ("reproducibility", "paos-v1-x"),
    "comparison_decimals": ("methodology", "rounded to 0 decimals"),
    "display_decimals": ("dimension_pages", "2.750"),
    "rating_scale.min": ("methodology", "Rating scale 0..4"),
    "rating_scale.max": ("executive_summary", "on a scale of 1–5"),
    "perspectives.*.weight": ("methodology", "operational weight 1:"),
    "perspectives.*.roles": ("methodology", "channel_manager, sales_ops"),
    "strategic_perspective": ("methodology", "Strategic perspective: partner"),
    "metric_perspective": ("methodology", "audit weight 1: (metric-derived ratings)"),
    "stakeholder_perspectives": ("methodology", "Declarable perspectives: strategic, operational;"),
    "roles_requiring_perspective": ("methodology", "roles that need one: wizard"),
    "divergence.blind_spot_at_or_above": ("divergence", "reality shows, by 0.5 points or more"),
    "divergence.hidden_strength_at_or_below": (
        "divergence",
        "leadership believes, by 0.5 points or more",
    ),
    "agreement.null_variance": ("methodology", "1 - s^2 / 2)"),
    "agreement.min_ratings": ("methodology", "from 3 stakeholder ratings"),
    "agreement.low_consensus_below": ("divergence", "agreement below 0.9"),
    "validated_min_perspectives": ("methodology", "ratings from 3 perspectives"),
    "min_coverage": ("methodology", "coverage >= 0.9"),
    "severity[].name": ("executive_summary", "severe"),
    "severity[].min_shortfall": ("methodology", "critical >= 0.7"),
    "escalation.divergence_class": ("priority_matrix", "below operational reality"),
    "escalation.levels": ("priority_matrix", "raised 2 levels"),
    "priority[].priority": ("executive_summary", "(phase 1, Now)"),
    "priority[].severity": ("methodology", "P1 = medium in tier(s) 1"),
    "priority[].tiers": ("methodology", "P1 = high in tier(s) 1, 2"),
    "phases[].phase": ("roadmap", "Phase 2: Stabilise the foundation"),
    "phases[].priority": ("roadmap", "days 0–90 · P2"),
    "maturity[].name": ("methodology", "Developing from 2"),
    "maturity[].min": ("methodology", "Structured from 3,"),
    "metrics[].id": ("methodology", "days_to_first_deal (days)"),
    "metrics[].unit": ("methodology", "partner_activation_rate (count)"),
    "metrics[].signal": ("methodology", "partner_activation_rate (%) -> ONB-01"),
    "metrics[].direction": ("methodology", "active_partners_per_manager (count) -> ORG-03, higher"),
    "metrics[].cuts": ("methodology", "cut points 1, 2, 3"),
    "screening.constraint_at_or_below": ("check", "rated 1 (Absent) or below"),
    "screening.recommendation_if_constraint": ("check", "Diagnose"),
    "screening.recommendation_otherwise": ("check", "Fine"),
    "anonymity_min_role_group": ("evidence_appendix", "at least 4 stakeholders"),
    "gap_evidence_max_rating": ("evidence_appendix", "ratings at or below 1 support"),
    "benchmark_min_peers": ("benchmark", "under this rulebook, 3 needed"),
    # the stages named in the heat map ('seed' -> 'Seed'), in the rulebook's order
    "company_stages": ("by_industry_stage", re.compile(">Seed<.*>Startup<", re.S)),
    "view_labels.strategic": ("divergence", "The board's mean rating of each signal"),
    "view_labels.reality": ("divergence", "against the floor: the mean"),
    "dimensions[].id": ("dimension_pages", "Partner Fit FITX"),
    "dimensions[].name": ("dimension_pages", re.compile(r"^Fit FIT\b", re.M)),
    "dimensions[].tier": ("methodology", f"{_ORG['id']} {_ORG['name']} (tier 3 scale"),
    "dimensions[].weight": ("methodology", "(tier 1 foundation, weight 3)"),
    "dimensions[].module": ("executive_summary", "Fit Module"),
    "dimensions[].screening_question": ("check", "Who fits?"),
    "dimensions[].signals[].id": ("dimension_pages", "FIT-0X"),
    "dimensions[].signals[].threshold": ("dimension_pages", "2.75 to 3.25"),
    "dimensions[].signals[].weight": ("methodology", "(threshold 2.75, weight 4)"),
    "title": ("methodology", "rules of Other title"),
    "parent.id": ("methodology", "Derived from rulebook paos-v0"),
    "parent.sha256": ("methodology", "b" * 64),
    "version": ("methodology", "version 9"),
    "rating_scale.levels.*.name": ("check", "1 Missing"),
    "rating_scale.levels.*.meaning": ("methodology", "Absent: nothing"),
    "tiers.*": ("dimension_pages", "Base tier"),
    "phases[].name": ("roadmap", "Phase 1: Fix"),
    "phases[].start_day": ("roadmap", "days 1–90"),
    "phases[].end_day": ("executive_summary", "by day 80 (phase 1"),
    "dimensions[].decides": ("dimension_pages", "decides who"),
    "dimensions[].signals[].name": ("dimension_pages", "Profile"),
    "dimensions[].signals[].question": ("methodology", "Profile?"),
    "dimensions[].signals[].rubric.*": ("methodology", re.compile("^nothing$", re.M)),
}


def test_every_key_has_an_expectation():
    assert set(SHOWN) == schema_paths() == set(RULES) | set(DESCRIPTIVE)


def _csv(path: Path, rows: list[list]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def write_engagement(
    folder: Path, rb: Rulebook, eid: str, stage: str, shift: int, baseline: str | None = None
) -> Path:
    """An engagement with three stakeholders per declarable perspective (sharing a
    role) rating every signal of `rb` across its whole scale, and every metric."""
    lo, hi = rb["rating_scale"]["min"], rb["rating_scale"]["max"]
    folder.mkdir(parents=True)
    people = [
        (f"{p[:3]}{i}", rb["perspectives"][p]["roles"][0], p)
        for p in rb["stakeholder_perspectives"]
        for i in range(3)
    ]
    _csv(
        folder / "stakeholders.csv",
        [["stakeholder_id", "role", "perspective"]] + [list(x) for x in people],
    )
    ratings = [["stakeholder_id", "signal_id", "rating", "evidence"]]
    for k, s in enumerate(rb.signals):
        for i, (sid, _, persp) in enumerate(people):
            if persp == rb["strategic_perspective"]:
                r = hi - (k + i) % 2
            else:
                r = lo + (k * 7 + i * 3 + shift) % (hi - lo + 1)
            ratings.append([sid, s.id, str(r), f"{sid} on {s.id}: rated {r}"])
    _csv(folder / "ratings.csv", ratings)
    _csv(
        folder / "metrics.csv",
        [["metric_id", "value"]] + [[m.id, str(m.cuts[0])] for m in rb.metrics],
    )
    meta = {
        "id": eid,
        "client": "Acme",
        "assessed_on": f"2026-0{3 + shift}-01",
        "industry": "saas",
        "stage": stage,
        "rulebook": rb.id,
    }
    if baseline:
        meta["baseline"] = baseline
    (folder / "engagement.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return folder


def write_answers(path: Path, rb: Rulebook) -> Path:
    lo, hi = rb["rating_scale"]["min"], rb["rating_scale"]["max"]
    answers = {d.id: lo + (i * 2) % (hi - lo + 1) for i, d in enumerate(rb.dimensions)}
    doc = {"id": "prospect-1", "prospect": "Prospect", "answers": answers}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def render_all(rb_path: Path, tmp: Path) -> dict[str, str]:
    """The plain text of every section of the three deliverables under a rulebook
    (the portfolio's with its charts' SVG, where its axis labels are)."""
    rb = load_rulebook(rb_path)
    root = tmp / "portfolio"
    write_engagement(root / "base-2026", rb, "base-2026", "seed", 0)
    follow = write_engagement(root / "next-2026", rb, "next-2026", "startup", 1, "base-2026")
    store = tmp / "store"
    outcomes = run_batch(root, tmp / "out", store, scores_only=True, rulebook=str(rb_path))
    assert {o.status for o in outcomes} == {"done"}, [o.reason for o in outcomes]
    d = report.deliverable(follow, rb_path, "2026-11-24", store)
    assert d.benchmark is not None and d.reassessment is not None
    sections.draw_charts(d)
    shown = {name: getattr(sections, name)(d).text() for name in sections.PAGES}
    result = check.assess(write_answers(tmp / "answers.yaml", rb), rb_path, "2026-11-24")
    shown["check"] = check_page.architecture_check(result).text()
    p = portfolio.collect(store, str(rb_path), "2026-11-24")
    for name in portfolio.PAGES:
        h = getattr(portfolio, name)(p)
        shown[name] = f"{h.text()}\n{h.html}"  # with the charts' SVG: their labels
    return shown


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("base")
    return render_all(_write(tmp, copy.deepcopy(BASE)), tmp)


def test_the_v1_deliverables_show_v1_values(baseline):
    assert "on a scale of 1–4" in baseline["executive_summary"]
    assert "by day 90 (phase 1, P1)" in baseline["executive_summary"]
    assert "under this rulebook, 5 needed" in baseline["benchmark"]
    assert "Raters disagree" not in baseline["divergence"] or "below 0.5" in baseline["divergence"]


# Each key renders all three deliverables (about 3 s). `make test` renders every key
# alone; the inner loop (`make check`) renders once with the first key of each place a
# value is shown mutated together (they touch different sentences), and checks each.
_FIRST = {where: key for key, (where, _) in sorted(SHOWN.items(), reverse=True)}
KEYS = [pytest.param(key, marks=pytest.mark.slow) for key in sorted(SHOWN)]


def _pattern(key: str) -> tuple[str, re.Pattern]:
    where, text = SHOWN[key]
    return where, text if isinstance(text, re.Pattern) else re.compile(re.escape(text))


def test_the_first_key_of_each_place_is_shown_in_one_render(baseline, tmp_path):
    raw = copy.deepcopy(BASE)
    for key in _FIRST.values():
        {**RULES, **DESCRIPTIVE}[key](raw)
    shown = render_all(_write(tmp_path, raw), tmp_path)
    for key in _FIRST.values():
        where, pattern = _pattern(key)
        assert pattern.search(shown[where]), f"{key}: {pattern.pattern!r} not in {where}"
        assert not pattern.search(baseline[where]), f"{key}: shown without the mutation"


@pytest.mark.parametrize("key", KEYS)
def test_every_key_is_shown_by_the_deliverables(key, baseline, tmp_path):
    raw = copy.deepcopy(BASE)
    {**RULES, **DESCRIPTIVE}[key](raw)
    shown = render_all(_write(tmp_path, raw), tmp_path)
    where, pattern = _pattern(key)
    assert pattern.search(shown[where]), f"{key}: {pattern.pattern!r} not in {where}"
    assert not pattern.search(baseline[where]), f"{key}: shown without the mutation"
