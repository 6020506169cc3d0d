"""The deck task's item 2: a page that continues an appendix section (its list of
gaps' evidence, the methodology card) carries the section's action title marked as
continued, never a title taken from the first entry on it (that title states what
one entry proves, not what the page does). Finmark's appendix runs over several
printed pages and slides."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation

from paos.deliverables import report, sections, slides, titles
from paos.deliverables.run import run_engagement
from paos.deliverables.sections import PAGE_MIME

ROOT = Path(__file__).resolve().parents[1]
FINMARK = ROOT / "data" / "portfolio" / "engagements" / "finmark-2024-09"
RUN_DATE = "2026-11-24"
CONTINUED = re.compile(r" \(continued(, \d+ of \d+)?\)$")


def _appendix_titles(d) -> list[str]:
    return [titles.evidence(d), titles.methodology(d)]


def test_appendix_items_carry_no_title_of_their_own():
    d = report.deliverable(FINMARK, run_date=RUN_DATE)
    html = sections.deck(d)
    for name in ("evidence_appendix", "methodology"):
        own = [t for t in re.findall(r'data-continued="([^"]*)"', html[name].html) if t]
        assert own == [], f"{name}: items titled by their first entry: {own[:2]}"


def test_continued_appendix_slides_carry_the_sections_title():
    d = report.deliverable(FINMARK, run_date=RUN_DATE)
    html = sections.deck(d)
    pages = [("page", h._repr_mimebundle_()[PAGE_MIME]) for h in html.values() if h.data]
    deck = Presentation(io.BytesIO(slides.build(pages).to_bytes(RUN_DATE, "Finmark")))
    got = [s.shapes.title.text_frame.text for s in deck.slides]
    start = got.index(titles.evidence(d))
    tail = got[start + 1 : got.index(titles.methodology(d))]
    assert len(tail) >= 1, "finmark's evidence appendix should run over several slides"
    for t in tail:
        assert CONTINUED.sub("", t) == titles.evidence(d), t


@pytest.mark.slow
def test_continued_appendix_pages_carry_the_sections_title(tmp_path):
    r = run_engagement(FINMARK, tmp_path, run_date=RUN_DATE, progress=None)
    d = report.deliverable(FINMARK, run_date=RUN_DATE)
    text = subprocess.run(
        ["pdftotext", str(r.folder / "executive_summary.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = [" ".join(p.split()) for p in text.split("\f")[:-1]]
    first = next(i for i, p in enumerate(pages) if "APPENDIX A" in p)
    assert first < len(pages) - 2, "finmark's appendix should span several pages"
    continued = 0
    for i in range(first + 1, len(pages)):
        page = pages[i]
        if page.startswith("APPENDIX"):  # a section starts on this page
            continue
        # the section this page continues: the last appendix section begun before it
        shown = " ".join(pages[first:i])
        section = max(_appendix_titles(d), key=lambda t: shown.rfind(t))
        assert page.startswith(section + " (continued)"), f"page {i + 1}: {page[:120]}"
        continued += 1
    assert continued >= 3
