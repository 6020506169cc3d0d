"""Item 3 of the deck task: the words for the two views a divergence compares come
from the rulebook (`view_labels`), never from code. A rulebook that renames them,
with "leadership" gone from every one of its texts, leaves neither "leadership" nor
"operational reality" in the deck's pages, its slides or the check page."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import yaml

from paos.deliverables import check_page, report, sections, slides
from paos.method.check import assess

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
RUN_DATE = "2026-11-24"
HARD_CODED = re.compile(r"leadership|operational reality|\breality\b", re.I)


def _renamed(tmp_path: Path) -> Path:
    text = (ROOT / "paos" / "rulebooks" / "paos-v1.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text.replace("leadership", "directorate"))
    raw["id"] = "renamed-views"
    raw["view_labels"] = {"strategic": "the directorate", "reality": "the shop floor"}
    path = tmp_path / "renamed-views.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _visible(text: str, quotes: list[str]) -> str:
    """The text without what stakeholders wrote (their words are theirs, not ours)."""
    for q in sorted(quotes, key=len, reverse=True):
        text = text.replace(q, "")
    return text


def test_renamed_views_leave_no_hard_coded_perspective_words(tmp_path):
    d = report.deliverable(DEMO, rulebook=_renamed(tmp_path), run_date=RUN_DATE)
    pages = sections.deck(d)
    quotes = [q["text"] for g in pages["evidence_appendix"].data["gaps"] for q in g["quotes"]]
    text = _visible("\n".join(p.text() for p in pages.values()), quotes)
    assert "the directorate" in text.lower() and "the shop floor" in text.lower()
    assert not HARD_CODED.findall(text), sorted(set(HARD_CODED.findall(text)))
    # the chart's legend too
    svg = "\n".join(p.html for p in pages.values())
    shown = " ".join(unescape(re.sub(r"<[^>]+>", " ", svg)).split())
    assert not HARD_CODED.findall(_visible(shown, [" ".join(q.split()) for q in quotes]))

    blob = slides.build(
        [("page", p._repr_mimebundle_()[sections.PAGE_MIME]) for p in pages.values() if p.data]
    ).to_bytes(RUN_DATE, "renamed")
    from io import BytesIO

    from pptx import Presentation

    said = []
    for s in Presentation(BytesIO(blob)).slides:
        for sh in s.shapes:
            if sh.has_text_frame:
                said.append(sh.text_frame.text)
            if sh.has_table:
                said += [c.text for r in sh.table.rows for c in r.cells]
            if sh.has_chart:
                said += [series.name for series in sh.chart.plots[0].series]
    found = HARD_CODED.findall(_visible("\n".join(said), quotes))
    assert not found, sorted(set(found))


def test_the_check_page_holds_no_perspective_word(tmp_path):
    check = assess(ROOT / "data" / "checks" / "globex-2026-11.yaml", _renamed(tmp_path), RUN_DATE)
    assert not HARD_CODED.findall(check_page.architecture_check(check).text())


def test_without_view_labels_the_perspectives_names_stand_in(tmp_path):
    raw = yaml.safe_load((ROOT / "paos" / "rulebooks" / "paos-v1.yaml").read_text("utf-8"))
    raw["id"] = "no-labels"
    del raw["view_labels"]
    path = tmp_path / "no-labels.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    d = report.deliverable(DEMO, rulebook=path, run_date=RUN_DATE)
    from paos.deliverables import titles

    assert titles.views(d) == (
        "the strategic perspective",
        "the operational, partner and data perspectives",
    )
    assert titles.divergence(d).startswith("The strategic perspective rates 14 signals")
