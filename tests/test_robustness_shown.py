"""The deliverable shows how much each finding depends on one stakeholder
(robustness-v1, "In the deliverable"): the PAI range, non-robust priority gaps
marked in the summary, matrix and roadmap, and near misses per dimension."""

from __future__ import annotations

from pathlib import Path

import pytest

from paos.deliverables import report, sections

DEMO = Path(__file__).parent.parent / "data" / "engagements" / "northwind-2026-09"


@pytest.fixture(scope="module")
def fragile():
    """Northwind with its robustness as the engine reports it, and its first gap
    made fragile and a non-gap a near miss whatever the evidence says, so that each
    mark is seen to follow the contract."""
    d = report.deliverable(DEMO, run_date="2026-11-24")
    c = d.contract
    first = c["gaps"][0]
    first.update(robust=False, changed_in=2)
    for g in c["gaps"][1:]:
        g.update(robust=True, changed_in=0)
    gaps = {g["signal_id"] for g in c["gaps"]}
    near = next(s["id"] for s in c["signals"] if s["id"] not in gaps)
    c["robustness"] = {
        "variants": 13,
        "pai_min": 2.04,
        "pai_max": 2.31,
        "robust_gaps": len(c["gaps"]) - 1,
        "near_gaps": [near],
    }
    d.drawings.clear()
    return d, first["signal_id"], near


def test_the_summary_shows_the_pai_range_and_marks_a_fragile_priority(fragile):
    d, sid, _ = fragile
    text = sections.executive_summary(d).text()
    assert "2.04–2.3 without any one stakeholder" in text  # 2.04 shows as 2.0 on no cut
    name = d.names[sid]
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if f"{name} {sid}" in ln)
    assert lines[at + 2].endswith("† depends on one stakeholder's answers")  # the decision's line
    assert sum(ln.startswith("† depends on one stakeholder:") for ln in lines) == 1  # legend


def test_matrix_roadmap_and_dimensions_mark_it(fragile):
    d, sid, near = fragile
    matrix = sections.priority_matrix(d)
    assert "† depends on one stakeholder: leaving out" in matrix.text()
    roadmap_html = sections.roadmap(d).html
    name = d.names[sid]
    assert f">{name}*†<" in roadmap_html or f">{name}†<" in roadmap_html  # in the matrix
    roadmap = sections.roadmap(d).text()
    assert f"{d.names[sid]} {sid} 1.88 †" in roadmap
    dims = sections.dimension_pages(d).text()
    assert f"Near miss: without one stakeholder {d.names[near]} would be a gap." in dims


def test_without_robustness_nothing_is_marked():
    d = report.deliverable(DEMO, run_date="2026-11-24")
    d.contract.pop("robustness", None)
    for g in d.contract["gaps"]:
        g.pop("robust", None)
    text = sections.executive_summary(d).text() + sections.roadmap(d).text()
    assert "†" not in text and "without any one stakeholder" not in text
