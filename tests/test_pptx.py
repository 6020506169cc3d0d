"""The deck as an editable PowerPoint file (issue 20): the HTML deck's titles in
the title placeholders, native charts of the results' numbers, the evidence in the
speaker notes as the appendix attributes it, inert text, the same bytes twice,
a consultancy's master, and a file LibreOffice opens."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from html import unescape
from pathlib import Path

import nbformat
import openpyxl
import pytest
from IPython.core.formatters import DisplayFormatter
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from typer.testing import CliRunner

from paos.cli import app
from paos.deliverables import _pptx, check_page, deliverable, report, sections, slides, titles
from paos.deliverables.pptx_export import PptxExporter
from paos.deliverables.sections import PAGE_MIME
from paos.errors import PaosError

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
RUN_DATE = "2026-12-01"
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "see https://evil.example/x or www.evil.example",
    '{ HYPERLINK "https://evil.example" } { DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc" }',
    "@SUM(A1:A2)",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo engagement with hostile text in some of its documented low ratings:
    its deliverable, its pages (HTML objects), and its deck's bytes."""
    folder = tmp_path_factory.mktemp("pptx") / DEMO.name
    shutil.copytree(DEMO, folder)
    path = folder / "ratings.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    low = [r for r in rows[1:] if r[2] in ("1", "2") and r[3]]
    for row, text in zip(low[::5], HOSTILE):
        row[3] = text
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    d = report.deliverable(folder, run_date=RUN_DATE)
    html = sections.deck(d)
    pages = [("page", h._repr_mimebundle_()[PAGE_MIME]) for h in html.values() if h.data]
    blob = slides.build(pages).to_bytes(RUN_DATE, "Northwind")
    return d, html, pages, blob


def _prs(blob: bytes):
    return Presentation(io.BytesIO(blob))


def _titles(blob: bytes) -> list[str]:
    return [s.shapes.title.text_frame.text for s in _prs(blob).slides]


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_slide_titles_are_the_html_titles_in_order(built):
    _, html, _, blob = built
    _same_titles(html, blob)


@pytest.mark.slow
def test_a_follow_up_with_a_benchmark_has_its_progress_and_benchmark_slides(tmp_path):
    from paos.portfolio.batch import run_batch

    portfolio = ROOT / "data" / "portfolio" / "engagements"
    outcomes = run_batch(portfolio, store=tmp_path, scores_only=True)
    assert {o.status for o in outcomes} == {"done"}
    d = report.deliverable(portfolio / "medilink-2026-08", run_date=RUN_DATE, store=tmp_path)
    html = sections.deck(d)
    assert d.reassessment is not None and d.benchmark["status"] == "ok"
    pages = [("page", h._repr_mimebundle_()[PAGE_MIME]) for h in html.values() if h.data]
    blob = slides.build(pages).to_bytes(RUN_DATE, "Medilink")
    _same_titles(html, blob)
    got = _titles(blob)
    assert titles.progress(d) in got and titles.benchmark(d) in got


CONTINUED = re.compile(r" \(continued(, \d+ of \d+)?\)$")


def _same_titles(html: dict, blob: bytes) -> None:
    """Every page title of the HTML (the summary's headline, each page's first h2) is
    the title of a slide, in the same order; every other slide continues a page or
    carries one of its h3 headings."""
    heads, subheads = [], set()
    for page in html.values():
        first = re.search(r'<p class="headline">(.*?)</p>|<h2>(.*?)</h2>', page.html)
        if first:
            heads.append(_text(first.group(1) or first.group(2)))
        subheads |= {_text(h) for h in re.findall(r"<h3>(.*?)</h3>", page.html)}
        # the title a printed page gets when it starts with that item (a dimension, a gap)
        subheads |= {_text(h) for h in re.findall(r'data-continued="([^"]+)"', page.html)}
    got = _titles(blob)
    main = [t for t in got if t in heads]
    assert main == heads
    assert len(set(got)) == len(got), "a slide title is repeated"
    for t in got:
        assert t in heads or t in subheads or CONTINUED.sub("", t) in heads, t
    prs = _prs(blob)
    assert (prs.slide_width, prs.slide_height) == _pptx.WIDE  # 16:9
    for s in prs.slides:  # in the title placeholder: the outline reads as the storyline
        assert s.shapes.title.is_placeholder


def test_dimension_chart_is_native_with_the_results_numbers(built):
    d, _, _, blob = built
    slide = next(
        s for s in _prs(blob).slides if s.shapes.title.text_frame.text == titles.dimensions(d)
    )
    (chart,) = [sh.chart for sh in slide.shapes if sh.has_chart]
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    dims = d.contract["dimensions"]
    plot = chart.plots[0]
    assert list(plot.categories) == [x["name"] for x in dims]
    scores = [x["score"] for x in dims]
    assert list(plot.series[0].values) == scores
    limits = d.thresholds()
    assert list(plot.series[1].values) == [min(limits[x["id"]]) for x in dims]
    labels = [p.data_label.text_frame.text for p in plot.series[0].points]
    assert labels == [d.figures.score(v) for v in scores]  # as the HTML writes them
    sheet = openpyxl.load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob)).active
    # XlsxWriter keeps 16 significant digits (Excel shows 15)
    assert [sheet.cell(i + 2, 2).value for i in range(len(dims))] == pytest.approx(
        scores, rel=1e-15
    )
    assert [sheet.cell(i + 2, 1).value for i in range(len(dims))] == [x["name"] for x in dims]


def test_divergence_and_roadmap_are_native_charts(built):
    d, _, _, blob = built
    by_title = {s.shapes.title.text_frame.text: s for s in _prs(blob).slides}
    (div,) = [sh.chart for sh in by_title[titles.divergence(d)].shapes if sh.has_chart]
    rated = [
        s for s in d.contract["signals"] if s["strategic"] is not None and s["reality"] is not None
    ]
    assert list(div.plots[0].series[0].values) == [s["strategic"] for s in rated]
    assert list(div.plots[0].series[1].values) == [s["reality"] for s in rated]
    (road,) = [sh.chart for sh in by_title[titles.roadmap(d)].shapes if sh.has_chart]
    assert road.chart_type == XL_CHART_TYPE.BAR_STACKED
    phases = deliverable.phases(d.rulebook)
    assert list(road.plots[0].series[1].values) == [p["end_day"] - p["start_day"] for p in phases]
    (matrix,) = [  # the priority matrix: a native table, every gap counted once
        sh.table for sh in by_title[titles.roadmap(d) + slides.CONTINUED].shapes if sh.has_table
    ]
    cells = [c.text for row in list(matrix.rows)[1:] for c in list(row.cells)[1:]]
    assert sum(int(c.split(" · ")[0]) for c in cells if c != "–") == len(d.contract["gaps"])
    raised = sum(int(m.group(1)) for c in cells if (m := re.search(r"\((\d+) raised", c)))
    assert raised == sum(g["escalated"] for g in d.contract["gaps"])


def test_speaker_notes_carry_each_gaps_quotes_attributed_as_the_appendix(built):
    d, html, _, blob = built
    quotes = {g["signal"]["id"]: g["quotes"] for g in html["evidence_appendix"].data["gaps"]}
    cites = {_text(c) for c in re.findall(r"<cite>(.*?)</cite>", html["evidence_appendix"].html)}
    notes = {
        s.shapes.title.text_frame.text: s.notes_slide.notes_text_frame.text
        for s in _prs(blob).slides
        if s.has_notes_slide
    }
    seen = 0
    for dim in html["dimension_pages"].data["dims"]:
        text = notes[dim["continued"]]
        for row in dim["rows"]:
            for q in quotes.get(row["signal"]["id"], []) if row["gap"] else []:
                assert f"“{q['text']}”\n— {q['by']}" in text
                seen += 1
    assert seen >= len(HOSTILE)
    listed = 0
    for slide in _prs(blob).slides:  # the appendix: each slide's notes, its own gaps' quotes
        if CONTINUED.sub("", slide.shapes.title.text_frame.text) != titles.evidence(d):
            continue
        (table,) = [sh.table for sh in slide.shapes if sh.has_table]
        text = slide.notes_slide.notes_text_frame.text
        for row in list(table.rows)[1:]:
            sid = re.search(r"\(([^()]+)\)$", row.cells[0].text).group(1)
            assert all(f"“{q['text']}”\n— {q['by']}" in text for q in quotes[sid])
            listed += 1
    assert listed == len(quotes)
    by = {ln[2:] for text in notes.values() for ln in text.splitlines() if ln.startswith("— ")}
    assert by and by <= cites  # attributed exactly as the HTML attributes (anonymity rule)


def _parts(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_hostile_evidence_stays_inert_text(built):
    _, _, _, blob = built
    notes = "\n".join(
        s.notes_slide.notes_text_frame.text for s in _prs(blob).slides if s.has_notes_slide
    )
    for text in HOSTILE:
        assert f"“{text}”" in notes  # shown as the text it is
    for name, part in _parts(blob).items():
        assert b"hlinkClick" not in part and b"hlinkHover" not in part, name
        assert b'TargetMode="External"' not in part, name
        if name.startswith(("ppt/slides/", "ppt/notesSlides/", "ppt/charts/")):
            fields = re.findall(rb"<a:fld [^>]*>", part)  # only the master's slide number
            assert all(b'type="slidenum"' in f for f in fields), (name, fields)
        if name.endswith(".xlsx"):
            inner = _parts(part)
            assert not [n for n in inner if "worksheets/_rels" in n]  # no link in a data sheet
            assert b"<f>" not in inner["xl/worksheets/sheet1.xml"]


def test_chart_data_sheet_writes_formula_like_text_as_text(tmp_path):
    deck = _pptx.Deck()
    s = deck.slide("A chart")
    names = [*HOSTILE, "+1+1", "-2+3"]
    deck.chart(s, s.area, XL_CHART_TYPE.BAR_CLUSTERED, names, [("=1+1", [1.0] * len(names))])
    blob = deck.to_bytes(RUN_DATE, "t")
    (chart,) = [sh.chart for sh in _prs(blob).slides[0].shapes if sh.has_chart]
    xlsx = chart.part.chart_workbook.xlsx_part.blob
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    cells = [sheet.cell(i + 2, 1) for i in range(len(names))]
    assert [c.value for c in cells] == names
    assert {c.data_type for c in cells} == {"s"}  # strings, not formulas
    assert sheet.cell(1, 2).value == "=1+1" and sheet.cell(1, 2).data_type == "s"
    assert not sheet._hyperlinks


def test_a_chart_with_nothing_to_show_is_one_line_not_a_failed_run():
    """An engagement rated by one perspective has no leadership-against-reality pair:
    python-pptx refuses a chart without categories, which once failed the whole run."""
    deck = _pptx.Deck()
    s = deck.slide("Leadership against reality")
    assert deck.chart(s, s.area, XL_CHART_TYPE.BAR_CLUSTERED, [], [("leadership", [])]) is None
    prs = _prs(deck.to_bytes(RUN_DATE, "t"))
    assert not [sh for sh in prs.slides[0].shapes if sh.has_chart]
    text = " ".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    assert "Nothing to chart here." in text


def test_same_inputs_and_run_date_give_the_same_bytes(built):
    _, _, pages, blob = built
    again = slides.build(pages).to_bytes(RUN_DATE, "Northwind")
    assert again == blob
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 12, 1, 0, 0, 0)}
    cp = _prs(blob).core_properties
    assert cp.created == cp.modified == dt.datetime(2026, 12, 1)


def test_the_notebook_carries_each_page_as_data_beside_its_html(built):
    """What Jupyter stores for a page cell holds the page's HTML and its data
    mapping; the exporter builds the same deck from such a notebook."""
    _, html, pages, blob = built
    nb = nbformat.v4.new_notebook()
    nb.metadata["title"] = "Northwind"
    for page in html.values():
        data, _ = DisplayFormatter().format(page)
        if page.data:
            assert {"text/html", "text/plain", PAGE_MIME} <= set(data)
        nb.cells.append(
            nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", data)])
        )
    nbformat.validate(nb)
    out, resources = PptxExporter().from_notebook_node(nb)
    assert out == blob and resources["output_extension"] == ".pptx"


def _master(path: Path) -> Path:
    """A consultancy's master as a .potx: 4:3, with a slide of its own."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = 9144000, 6858000
    prs.slides.add_slide(prs.slide_layouts[0]).shapes.title.text = "House example slide"
    raw = io.BytesIO()
    prs.save(raw)
    with zipfile.ZipFile(raw) as z, zipfile.ZipFile(path, "w") as w:
        for info in z.infolist():
            blob = z.read(info)
            if info.filename == "[Content_Types].xml":
                blob = blob.replace(b"presentation.main+xml", b"template.main+xml")
            w.writestr(info, blob)
    return path


def test_a_consultancys_master_gives_the_layout(built, tmp_path):
    _, _, pages, blob = built
    deck = slides.build(pages, _master(tmp_path / "house.potx"))
    prs = _prs(deck.to_bytes(RUN_DATE, "Northwind"))
    assert (prs.slide_width, prs.slide_height) == (9144000, 6858000)  # the master's
    assert [s.shapes.title.text_frame.text for s in prs.slides] == _titles(blob)


def test_a_master_that_is_not_powerpoint_is_refused_before_any_work(tmp_path):
    bad = tmp_path / "house.potx"
    bad.write_text("not a zip")
    with pytest.raises(PaosError, match=r"--pptx-template .*house.potx: not a PowerPoint file"):
        _pptx.check_master(bad)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(DEMO), "--out", str(out), "--pptx-template", str(bad)]
    )
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "house.potx: not a PowerPoint file" in line
    assert not out.exists()


def test_batch_refuses_a_master_that_is_not_powerpoint_before_any_work(tmp_path):
    bad = tmp_path / "house.potx"
    bad.write_text("not a zip")
    portfolio, out = tmp_path / "pf", tmp_path / "out"
    portfolio.mkdir()
    shutil.copytree(DEMO, portfolio / DEMO.name)
    args = ["batch", str(portfolio), "--out", str(out), "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, [*args, "--pptx-template", str(bad)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "house.potx: not a PowerPoint file" in line
    assert not out.exists()


@pytest.mark.slow
def test_batch_decks_are_on_the_consultancys_master(tmp_path):
    """A portfolio rerun keeps the house master, as `paos run` does."""
    portfolio, out = tmp_path / "pf", tmp_path / "out"
    portfolio.mkdir()
    shutil.copytree(DEMO, portfolio / DEMO.name)
    master = _master(tmp_path / "house.potx")
    args = ["batch", str(portfolio), "--out", str(out), "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, [*args, "--jobs", "1", "--pptx-template", str(master)])
    assert result.exit_code == 0, result.output
    prs = Presentation(str(out / DEMO.name / "executive_summary.pptx"))
    assert (prs.slide_width, prs.slide_height) == (9144000, 6858000)  # the master's
    assert "House example slide" not in [s.shapes.title.text_frame.text for s in prs.slides]


@pytest.mark.slow
def test_libreoffice_opens_the_deck_with_every_slide(built, tmp_path):
    _, _, _, blob = built
    deck = tmp_path / "deck.pptx"
    deck.write_bytes(blob)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(deck),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "deck.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == len(_prs(blob).slides)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "deck.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert " ".join(_titles(blob)[0].split()[:4]) in " ".join(text.split())


def test_a_page_with_html_only_becomes_slides_with_a_table_and_a_described_picture():
    """The Architecture Check (HTML only): its heading the title, its chart a picture
    with alt text, its table a native table with every row."""
    from paos.method.check import assess

    check = assess(ROOT / "data" / "checks" / "globex-2026-11.yaml", None, RUN_DATE)
    page = check_page.architecture_check(check)
    blob = slides.build([("html", page.html)]).to_bytes(RUN_DATE, "check")
    prs = _prs(blob)
    # its action title heads the first slide, the prospect's name is a line below it
    assert [s.shapes.title.text_frame.text for s in prs.slides] == [
        check_page.title(check),
        check_page.title(check) + slides.CONTINUED,
    ]
    assert check["prospect"] != check_page.title(check)
    first = [sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame]
    assert any(text.startswith(check["prospect"]) for text in first[1:])
    (picture,) = [sh for sh in prs.slides[0].shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    alt = picture._element._nvXxPr.cNvPr.get("descr")
    assert alt.startswith(f"Chart, {check_page.title(check)}: ") and "Partner Fit" in alt
    (table,) = [sh.table for sh in prs.slides[1].shapes if sh.has_table]
    assert len(table.rows) == len(check["dimensions"]) + 1
    assert [r.cells[4].text for r in list(table.rows)[1:]] == [
        d["note"] for d in check["dimensions"]
    ]
