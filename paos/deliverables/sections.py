"""Stage 8 (view side): the pages of the board deliverable as HTML.

Each public page function takes a `Deliverable`, gathers what its page shows
into one data mapping (numbers written by `paos.method.figures`, titles by
`paos.deliverables.titles`) and renders the page's Jinja template
(templates/deck/, autoescaped): a quote reading `<script>` or `=HYPERLINK(...)`
shows as that same visible text, never as markup. It returns an `Html` object
that a notebook displays. (The Architecture Check's page is
`paos.deliverables.check_page`.)
"""

from __future__ import annotations

from paos.deliverables._deck_charts import CHARTS, draw_charts
from paos.deliverables._html import PAGE_MIME, Html, esc, jsonable, paint
from paos.deliverables.deliverable import (
    Deliverable,
)
from paos.deliverables.pages_appendix import evidence_appendix, methodology, reproducibility, terms
from paos.deliverables.pages_findings import benchmark, dimension_pages, divergence
from paos.deliverables.pages_plan import (
    contents,
    executive_summary,
    priority_matrix,
    roadmap,
    summary_data,
)
from paos.deliverables.pages_progress import disagreements, reassessment

__all__ = [
    "CHARTS",
    "PAGES",
    "PAGE_MIME",
    "Html",
    "benchmark",
    "contents",
    "deck",
    "dimension_pages",
    "disagreements",
    "divergence",
    "draw_charts",
    "esc",
    "evidence_appendix",
    "executive_summary",
    "jsonable",
    "methodology",
    "paint",
    "priority_matrix",
    "reassessment",
    "reproducibility",
    "roadmap",
    "summary_data",
    "terms",
]

# The sections of an engagement's deliverable in page order, as the diagnostic
# notebook shows them (one cell each).
PAGES = (
    "executive_summary",
    "priority_matrix",
    "roadmap",
    "dimension_pages",
    "divergence",
    "reassessment",
    "benchmark",
    "evidence_appendix",
    "methodology",
    "reproducibility",
)

_PAGES = {
    "executive_summary": executive_summary,
    "priority_matrix": priority_matrix,
    "roadmap": roadmap,
    "dimension_pages": dimension_pages,
    "divergence": divergence,
    "reassessment": reassessment,
    "benchmark": benchmark,
    "evidence_appendix": evidence_appendix,
    "methodology": methodology,
    "reproducibility": reproducibility,
}


def deck(d: Deliverable) -> dict[str, Html]:
    """The whole deck, page by page (the notebook shows the same pages cell by cell)."""
    return {name: _PAGES[name](d) for name in PAGES}
