"""A printed page of the dimensions section is titled after the dimensions it holds
(deck task 2, item 1): a page holding one dimension's table (or the rest of it) by
that dimension's title (titles.dimension_page), a page holding the end of one and
further dimensions by a title covering all of them (titles.dimension_pages), marked
"(continued)" when it starts inside a table. Never by the first dimension alone: the
title states what the page proves. A slide holds one dimension's table (or a part of
it), titled after it."""

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
NORTHWIND = ROOT / "data" / "engagements" / "northwind-2026-09"
FINMARK = ROOT / "data" / "portfolio" / "engagements" / "finmark-2024-09"
RUN_DATE = "2026-11-24"


def expected(d, held: list[dict], inside: bool) -> str:
    """The title a page holding the dimensions `held` gets (`inside`: it starts
    inside the first one's table)."""
    one = titles.dimension_page(d, held[0]) if len(held) == 1 else None
    return (one or titles.dimension_pages(d, held)) + (" (continued)" if inside else "")


def test_a_group_title_covers_every_dimension_with_their_scores_and_gaps():
    d = report.deliverable(NORTHWIND, run_date=RUN_DATE)
    dims = {x["id"]: x for x in d.contract["dimensions"]}
    held = [dims[k] for k in ("ONB", "ECO", "PERF", "ORG")]
    assert titles.dimension_pages(d, held) == (
        "Partner Onboarding & Activation, Partner Economics, Partner Performance "
        "Management and Internal Readiness score 2.1 to 2.5 (Emerging) with 14 gaps, "
        "6 of them critical"
    )
    assert titles.dimension_pages(d, [dims["FIT"], dims["REC"]]) == (
        "Partner Fit and Partner Recruitment score 1.99 to 2.2 (Ad hoc to Emerging) "
        "with 8 gaps, 4 of them critical"
    )


def test_a_group_title_names_a_dimension_that_cannot_be_scored():
    d = report.deliverable(NORTHWIND, run_date=RUN_DATE)
    a, b = ({**x} for x in d.contract["dimensions"][:2])
    b["score"], b["maturity"] = None, None
    got = titles.dimension_pages(d, [a, b])
    assert got.startswith(f"{a['name']} scores {d.figures.score(a['score'])} (")
    assert got.endswith(f"; {b['name']} cannot be scored: too little evidence")


def test_each_dimension_item_carries_the_titles_of_the_groups_it_starts():
    d = report.deliverable(NORTHWIND, run_date=RUN_DATE)
    page = sections.deck(d)["dimension_pages"]
    dims = d.contract["dimensions"]
    for i, dim in enumerate(page.data["dims"]):
        want = [titles.dimension_pages(d, dims[i : j + 1]) for j in range(i + 1, len(dims))]
        assert dim["groups"] == want


def test_a_slide_holds_one_dimension_and_is_titled_after_it():
    d = report.deliverable(FINMARK, run_date=RUN_DATE)
    html = sections.deck(d)
    pages = [("page", h._repr_mimebundle_()[PAGE_MIME]) for h in html.values() if h.data]
    deck = Presentation(io.BytesIO(slides.build(pages).to_bytes(RUN_DATE, "Finmark")))
    data = html["dimension_pages"].data
    for dim, contract in zip(data["dims"], d.contract["dimensions"], strict=True):
        own = {r["signal"]["name"] for r in dim["rows"]}
        mine = [
            s
            for s in deck.slides
            if s.shapes.title.text_frame.text.startswith(titles.dimension_page(d, contract))
        ]
        assert mine, dim["name"]
        shown = set()
        for s in mine:
            (table,) = [sh.table for sh in s.shapes if sh.has_table]
            shown |= {r.cells[0].text.rsplit(" (", 1)[0] for r in list(table.rows)[1:]}
        assert shown == own, dim["name"]


def _pages(folder: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", str(folder / "executive_summary.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [" ".join(p.split()) for p in text.split("\f")[:-1]]


@pytest.fixture(scope="module", params=[NORTHWIND, FINMARK], ids=["northwind", "finmark"])
def printed(request, tmp_path_factory):
    """(the deliverable, the printed deck's pages as text) of an engagement; northwind
    recorded in a store beside another client's engagement, so that its deck has a
    benchmark (too few peers: one line)."""
    folder = request.param
    out, store = tmp_path_factory.mktemp("deck"), tmp_path_factory.mktemp("store")
    if folder == NORTHWIND:
        run_engagement(FINMARK, out, run_date=RUN_DATE, progress=None, store=store)
    r = run_engagement(folder, out, run_date=RUN_DATE, progress=None, store=store)
    return report.deliverable(folder, run_date=RUN_DATE), _pages(r.folder)


@pytest.mark.slow
def test_a_printed_dimension_page_is_titled_after_the_dimensions_it_holds(printed):
    d, pages = printed
    dims = d.contract["dimensions"]
    first = next(i for i, p in enumerate(pages) if p.startswith("DIMENSIONS"))
    heads = [f"{x['name']} {x['id']}" for x in dims]
    last = None  # the dimension whose table the page before ended in
    checked = 0
    for i in range(first, len(pages)):
        page = pages[i]
        if i > first and page.split()[0].isupper():  # the next section
            break
        body = page
        if i > first:
            title = next(
                (
                    t
                    for n in range(len(dims))
                    for t in _candidates(d, dims, n)
                    if page.startswith(t)
                ),
                None,
            )
            assert title is not None, f"page {i + 1}: {page[:200]}"
            body = page[len(title) :]
        at = [(body.find(h), k) for k, h in enumerate(heads) if h in body]
        held = [k for _, k in sorted(at)]
        inside = i > first and not body.lstrip().startswith(tuple(heads))
        if i > first:
            whole = ([last] if inside else []) + held
            want = expected(d, [dims[k] for k in whole], inside)
            assert page.startswith(want + " "), f"page {i + 1}: {page[:200]}\nwant: {want}"
            checked += 1
        last = held[-1] if held else last
    assert checked >= 1, "the dimensions section should run over several pages"


def _candidates(d, dims: list[dict], start: int) -> list[str]:
    """Every title a page of the section may carry (a run of dimensions from `start`)."""
    out = []
    for end in range(start + 1, len(dims) + 1):
        for inside in (True, False):
            out.append(expected(d, dims[start:end], inside))
    return sorted(out, key=len, reverse=True)


@pytest.mark.slow
def test_a_one_line_note_is_never_a_page_of_its_own(printed):
    """A section with nothing to say (its one line: the benchmark's, with too few
    peers) goes on the page before, its section set tight if need be: northwind's
    once stood alone on a page when the divergence chart grew to 9 pt text."""
    _, pages = printed
    for i, page in enumerate(pages):
        body = page.rsplit(" · Confidential", 1)[0]  # the footer's client name before it
        assert not re.fullmatch(r"(Benchmark|Priorities|Progress since the baseline): .*", body), (
            f"page {i + 1}: {page[:200]}"
        )
