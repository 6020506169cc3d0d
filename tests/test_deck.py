"""Issue 17, items 1, 4, 5, 7, 8 and 13: what the deck's pages say (text level; the
printed PDF is tested in tests/test_deliverables.py and tests/test_golden.py)."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from paos.deliverables import report, sections
from paos.deliverables.actions import actions_workbook

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
PORTFOLIO = ROOT / "data" / "portfolio" / "engagements"
STRICT = ROOT / "data" / "rulebooks" / "paos-strict.yaml"


@pytest.fixture(scope="module")
def demo():
    return report.deliverable(DEMO, run_date="2026-11-24")


def test_page_one_gives_the_answer_first(demo):
    text = sections.executive_summary(demo).text()
    lines = text.splitlines()
    assert lines[3].startswith("The partner architecture is Emerging (PAI 2.2 of 4); Partner Fit")
    assert "engagement northwind-2026-09" not in text and "saas" not in text  # names, not codes
    assert "Assessed 2026-09-17 · SaaS · Scale-up" in text
    # the three decisions: the first roadmap gaps by name, with module and deadline
    assert "Build Partner Economics Model to fix Rules of engagement ECO-04 by day 90" in text
    assert text.count("Build ") == 3
    assert "13 gaps raised 1 level because leadership rates them at least 1 point above" in text
    assert "Scored under rulebook" not in text  # the bundled default is not named
    assert "gap(s)" not in text


def test_another_rulebook_is_named_on_page_one():
    d = report.deliverable(DEMO, STRICT, run_date="2026-11-24")
    text = sections.executive_summary(d).text()
    assert "Scored under rulebook Partner Architecture Diagnostic, methodology v1 (strict" in text
    assert "by day 60" in text


def test_the_priority_matrix_names_every_gap_by_its_signal_name(demo):
    """Names, not codes: each gap of the matrix chart is its signal's name (with the
    escalation and one-stakeholder marks), never the signal id."""
    sections.draw_charts(demo)
    svg = sections.roadmap(demo).html
    matrix = svg[svg.index('class="matrix"') :]
    texts = [  # a wrapped name's lines joined
        unescape(" ".join(re.findall(r"<tspan[^>]*>(.*?)</tspan>", body) or [body]))
        for body in re.findall(r"<text[^>]*>(.*?)</text>", matrix, re.S)
    ]
    for g in demo.contract["gaps"]:
        assert any(t.startswith(demo.names[g["signal_id"]]) for t in texts), g["signal_id"]
        assert g["signal_id"] not in matrix


def test_priorities_say_what_to_build(demo):
    text = " ".join(sections.priority_matrix(demo).text().split())
    row = text[text.index("1 Rules of engagement ECO-04") : text.index("2 Exclusion criteria")]
    assert "critical 1.88 / 2.75" in row and "raised 1 level" in row
    assert (
        "Partner Economics Model: Defined (3): Documented deal registration and rules of "
        "engagement with direct sales."
    ) in row
    roadmap = sections.roadmap(demo).text()
    assert (
        "Order within a phase: The phase takes the gaps of its priority; within it, the " in roadmap
    )


def test_robustness_says_what_would_change(demo):
    alts = report.without_one(demo)
    assert alts["ECO-03"] == ["medium"] and alts["PERF-01"] == [None]
    dims = sections.dimension_pages(demo).text()
    assert "† without one stakeholder this gap would be medium, not critical" in dims
    assert "† without one stakeholder this gap would close" in dims
    assert "† depends on one stakeholder: leaving out that one person's answers" in dims  # legend
    css = (ROOT / "paos/deliverables/templates/board/board.css").read_text()
    assert ".nowrap, .badge, td.num { white-space: nowrap; }" in css  # a badge never wraps
    assert "†&nbsp;without one stakeholder" in sections.dimension_pages(demo).html  # nor the mark


def test_commentary_has_its_place_marked_as_the_analysts(demo):
    demo.commentary = {"summary": ["<b>Board</b> first"], "dimension:FIT": ["Fit note"]}
    try:
        summary = sections.executive_summary(demo)
        dims = sections.dimension_pages(demo)
    finally:
        demo.commentary = {}
    assert "Analyst's commentary\n<b>Board</b> first" in summary.text()
    assert "&lt;b&gt;Board&lt;/b&gt;" in summary.html  # autoescaped
    assert "Analyst's commentary\nFit note" in dims.text()
    assert "Analyst's commentary" not in sections.executive_summary(demo).text()


def _follow_up(tmp: Path) -> Path:
    for name in ("bluefjord-2025-04", "bluefjord-2026-02"):
        shutil.copytree(PORTFOLIO / name, tmp / name)
    base = report.deliverable(tmp / "bluefjord-2025-04", run_date="2025-04-10")
    plan = tmp / "bluefjord-2025-04" / "actions.xlsx"
    plan.write_bytes(actions_workbook(base))
    wb = openpyxl.load_workbook(plan)
    ws = wb.active
    head = next(r for r in range(1, 10) if ws.cell(r, 1).value == "signal_id")
    col = [c.value for c in ws[head]].index("status") + 1
    status = {"FIT-01": "open", "ONB-02": "done", "ECO-02": "done"}
    for r in range(head + 1, ws.max_row + 1):
        ws.cell(r, col).value = status.get(ws.cell(r, 1).value)  # others left blank
    wb.save(plan)
    return tmp / "bluefjord-2026-02"


def test_progress_reconciles_recorded_status_with_the_measured_result(tmp_path):
    d = report.deliverable(_follow_up(tmp_path), run_date="2026-11-24")
    flags = {f["signal"]["id"]: f["text"] for f in sections.disagreements(d)}
    assert flags == {
        "ONB-02": "recorded done, but still a medium gap below its threshold",
        "FIT-01": "recorded open, but measured at or above its threshold now",
    }
    page = sections.reassessment(d)
    text = page.text()
    assert "Since 2025-04-09: 7 gaps closed and 1 new gap appeared" in text  # baseline by date
    assert "Recorded status against measured result (2)" in text
    assert "Ideal partner profile FIT-01 was medium client: open" in text  # names, not codes
    assert '<li class="regression"><span class="name">Activation support' in page.html
    summary = sections.executive_summary(d).text()
    assert summary.splitlines()[3].startswith("Since 2025-04-09 the PAI rose from 2.77 to 2.96")
    assert "2 recorded statuses disagree with the measured result" in summary


def test_tables_show_each_signals_threshold_where_thresholds_differ(demo):
    strict = report.deliverable(DEMO, STRICT, run_date="2026-11-24")
    page = sections.dimension_pages(strict)
    text = page.text()
    assert "score / threshold" in text and "Ideal partner profile FIT-01\n1.92 / 3.00\n" in text
    # one column for both, so the gap column keeps its width (no badge pushed out)
    head = page.html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert head.count("<th") == 6
    assert "score / threshold" not in sections.dimension_pages(demo).text()  # one threshold
