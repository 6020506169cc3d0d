"""The engagement notebook through papermill, and the board deliverables it produces."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from paos import EvidenceError, PaosError, contract, diagnose
from paos._files import csv_text, neutralise
from paos.base.rulebook import load_rulebook
from paos.deliverables.run import notebook_path, run_engagement
from paos.deliverables.sections import esc
from paos.errors import NotebookError
from paos.method.figures import Figures
from tests.builders import RATINGS, REPORT_FILES, write_engagement

DEMO = Path(__file__).parent.parent / "data" / "engagements"
ENGAGEMENTS = sorted(DEMO.iterdir())


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return {
        r.engagement_id: r
        for r in (run_engagement(p, out, run_date="2026-11-24", progress=None) for p in ENGAGEMENTS)
    }


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


@pytest.mark.slow
@pytest.mark.parametrize("path", ENGAGEMENTS, ids=lambda p: p.name)
def test_run_writes_every_deliverable(reports, path):
    c = contract(diagnose(path))
    r = reports[c["engagement_id"]]
    assert r.folder.name == c["engagement_id"]
    assert sorted(r.files) == REPORT_FILES
    assert json.loads((r.folder / "results.json").read_text()) == json.loads(json.dumps(c))
    html = (r.folder / "executive_summary.html").read_text()
    pai = Figures(load_rulebook(c["rulebook"]["id"])).score(c["pai"])
    assert f'<div class="pai-value">{pai}</div>' in html
    for g in c["gaps"]:
        assert g["signal_id"] in html
    text = _pdf_text(r.folder / "executive_summary.pdf")
    first = " ".join(text.split("\f")[0].split())
    assert "EXECUTIVE SUMMARY" in first and "PARTNER ARCHITECTURE INDEX" in first
    assert pai in first and "The decision" in first and "CONTENTS" in first
    pages = text.split("\f")[:-1]
    assert len(pages) == _pages(r.folder / "executive_summary.pdf") >= 6
    assert pages[1].strip().startswith("PRIORITIES")  # the summary is exactly page 1
    for section in ("ROADMAP", "DIMENSIONS", "APPENDIX A", "APPENDIX C"):
        assert section in text
    check_pages(pages, c_client(path))


def c_client(path: Path) -> str:
    from paos.evidence.validate import load_evidence

    return load_evidence([path]).engagements["client"][0]


# The page-fill rule: no page but the last holds fewer lines of text than this.
MIN_LINES = 30


def check_pages(pages: list[str], client: str) -> None:
    """Every page carries the footer "<client> · Confidential" and "n / N"; no page
    but the last is near empty."""
    n = len(pages)
    for i, page in enumerate(pages, 1):
        lines = [ln for ln in page.splitlines() if ln.strip()]
        assert f"{client} · Confidential" in page, f"page {i}: no confidentiality footer"
        assert f"{i} / {n}" in lines[-1] or f"{i} / {n}" in page, f"page {i}: no 'n / N'"
        if i < n:
            assert len(lines) >= MIN_LINES, f"page {i} of {n} holds {len(lines)} lines"


@pytest.mark.slow
def test_hostile_evidence_is_shown_as_text(reports):
    folder = reports["alpine-2026-10"].folder
    html = (folder / "executive_summary.html").read_text()
    assert "<script" not in html.lower()
    assert re.search(
        r"&lt;script&gt;alert\((&#x27;|&#39;|')pwned(&#x27;|&#39;|')\)&lt;/script&gt;", html
    )
    assert re.search(r'=HYPERLINK\((&quot;|&#34;|")https://example.com/deal(&quot;|&#34;|"),', html)
    assert not re.search(r"<a\b", html)
    text = " ".join(_pdf_text(folder / "executive_summary.pdf").split())
    assert "<script>alert('pwned')</script>" in text
    assert '=HYPERLINK("https://example.com/deal","see deal")' in text
    gaps = (folder / "gaps.csv").read_text()
    assert "\"'=HYPERLINK(" in gaps and "\"'-20% off" in gaps
    assert not re.search(r'(^|,)"?[=+\-@]', gaps, re.M)


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "data", "srcset", "poster") and v:
                self.refs.append(v)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["northwind-2026-09", "alpine-2026-10"])
def test_html_loads_nothing_from_outside(reports, name):
    html = (reports[name].folder / "executive_summary.html").read_text()
    parser = _Refs()
    parser.feed(html)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert "iframe" not in parser.tags
    assert [r for r in parser.refs if not r.startswith(("data:", "#"))] == []
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "@import" not in html


@pytest.mark.slow
def test_evidence_quotes_are_anonymous(reports):
    html = (reports["alpine-2026-10"].folder / "executive_summary.html").read_text()
    names = [
        line.rsplit(",", 1)[-1]
        for line in (DEMO / "alpine-2026-10" / "stakeholders.csv").read_text().splitlines()[1:]
    ]
    assert [n for n in names if n and n in html] == []


@pytest.mark.slow
def test_stamp_carries_rulebook_and_evidence_hashes(reports):
    import hashlib

    html = (reports["northwind-2026-09"].folder / "executive_summary.html").read_text()
    rb = contract(diagnose(DEMO / "northwind-2026-09"))["rulebook"]["sha256"]
    assert rb in html and "2026-11-24" in html
    for f in ("ratings.csv", "stakeholders.csv", "engagement.yaml"):
        digest = hashlib.sha256((DEMO / "northwind-2026-09" / f).read_bytes()).hexdigest()
        assert digest in html


def test_notebook_is_stored_clean_and_holds_no_logic():
    nb = nbformat.read(str(notebook_path()), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert not any(re.search(r"^\s*(def|class|for|while|if) ", c.source, re.M) for c in code)
    assert all(
        re.match(r"^(from paos(\.\w+)* import|(report|sections)\.)", c.source) for c in code[1:]
    )
    from paos.deliverables.sections import PAGES

    shown = [
        c.source.strip() for c in code if c.source.startswith("sections.") and "(d)" in c.source
    ]
    assert shown == [f"sections.{name}(d)" for name in PAGES]


@pytest.mark.slow
def test_existing_report_needs_force(tmp_path):
    src = write_engagement(tmp_path / "src")
    first = run_engagement(src, tmp_path / "out", progress=None)
    stamp = (first.folder / "results.json").stat().st_mtime_ns
    with pytest.raises(PaosError, match="already exists; use --force"):
        run_engagement(src, tmp_path / "out", progress=None)
    assert (first.folder / "results.json").stat().st_mtime_ns == stamp
    again = run_engagement(src, tmp_path / "out", force=True, progress=None)
    assert again.folder == first.folder and (again.folder / "executive_summary.pdf").is_file()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["acme-2026"]


def test_invalid_evidence_writes_nothing(tmp_path):
    src = write_engagement(tmp_path / "src", ratings=[*RATINGS, ["s1", "FIT-02", "7", "", ""]])
    with pytest.raises(EvidenceError):
        run_engagement(src, tmp_path / "out", progress=None)
    assert not (tmp_path / "out").exists()


def test_invalid_evidence_leaves_nothing_running(tmp_path, monkeypatch):
    """`paos run` starts its chart server before it validates: bad evidence ends it
    and removes its folder; nothing of the run is left running."""
    import psutil

    from paos.deliverables import run as run_module
    from paos.deliverables._chart_server import ChartServer as real

    started = []

    class Recorded(real):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__()
            started.append(self)

    src = write_engagement(tmp_path / "src", ratings=[*RATINGS, ["s1", "FIT-02", "7", "", ""]])
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    monkeypatch.setattr(run_module, "ChartServer", Recorded)
    with pytest.raises(EvidenceError):
        run_engagement(src, tmp_path / "out", progress=None)
    assert len(started) == 1 and not started[0].alive()
    assert not started[0].folder.exists()
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert [p for p in left if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    assert not (tmp_path / "out").exists()


def notebook_with(tmp_path, code: str) -> Path:
    """The diagnostic notebook with a cell `code` inserted after its first code cell."""
    nb = nbformat.read(str(notebook_path()), as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(code))
    template = tmp_path / "template.ipynb"
    nbformat.write(nb, str(template))
    return template


@pytest.mark.slow
def test_failing_cell_names_stage_and_cell_and_keeps_notebook(tmp_path):
    template = notebook_with(tmp_path, "raise ValueError('broken on purpose')")
    src = write_engagement(tmp_path / "src")
    lines = []
    with pytest.raises(NotebookError) as info:
        run_engagement(src, tmp_path / "out", progress=lines.append, template=template)
    msg = str(info.value)
    # cell 4 as the executed notebook numbers it (papermill adds the parameters cell)
    assert "stage execute failed in cell 4 (ValueError: broken on purpose)" in msg
    failed = tmp_path / "out" / "acme-2026.failed" / "diagnostic.ipynb"
    assert str(failed) in msg and failed.is_file()
    assert "broken on purpose" in failed.read_text()
    assert not (tmp_path / "out" / "acme-2026").exists()
    assert [ln.split()[0] for ln in lines] == ["[1/5]"]


@pytest.mark.slow
def test_dead_kernel_names_the_stage_and_keeps_the_notebook(tmp_path):
    # papermill writes the notebook once, at the end: also when the kernel dies
    template = notebook_with(tmp_path, "import os; os._exit(3)")
    src = write_engagement(tmp_path / "src")
    with pytest.raises(NotebookError, match=r"stage execute failed \(DeadKernelError") as info:
        run_engagement(src, tmp_path / "out", progress=None, template=template)
    kept = tmp_path / "out" / "acme-2026.failed" / "diagnostic.ipynb"
    assert str(kept) in str(info.value)
    executed = nbformat.read(str(kept), as_version=4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert all(counts[:3]) and not any(counts[4:])  # it shows where the run stopped
    assert not (tmp_path / "out" / "acme-2026").exists()


@pytest.mark.slow
def test_pdf_failure_leaves_no_half_written_report(tmp_path, monkeypatch):
    monkeypatch.setenv("PAOS_CHROMIUM", "/bin/false")
    src = write_engagement(tmp_path / "src")
    with pytest.raises(NotebookError, match="stage pdf failed"):
        run_engagement(src, tmp_path / "out", progress=None)
    assert list((tmp_path / "out").iterdir()) == []


def test_missing_chromium_stops_the_run_before_the_notebook_and_leaves_nothing(
    tmp_path, monkeypatch
):
    import paos.deliverables._browser

    def missing():
        raise paos.deliverables._browser.RenderError(
            "headless Chromium is not installed: run `make setup`"
        )

    monkeypatch.setattr(paos.deliverables._browser, "find_chromium", missing)
    src = write_engagement(tmp_path / "src")
    lines = []
    with pytest.raises(
        NotebookError,
        match=r"acme-2026: stage pdf failed \(headless Chromium "
        r"is not installed",
    ):
        run_engagement(src, tmp_path / "out", progress=lines.append)
    assert list((tmp_path / "out").iterdir()) == []  # no staging folder left behind
    assert [ln.split()[0] for ln in lines] == ["[1/5]"]  # the notebook never ran


@pytest.mark.parametrize(
    "value, shown",
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@me", "'@me"),
        ("plain", "plain"),
        (3, 3),
        (None, None),
    ],
)
def test_cells_are_neutralised(value, shown):
    assert neutralise(value) == shown


def test_csv_text_neutralises_every_cell():
    assert csv_text(["a", "b"], [["=1+1", "ok"], [None, "@x"]]) == "a,b\r\n'=1+1,ok\r\n,'@x\r\n"


def test_esc_keeps_text_visible():
    assert esc("<b>x</b>\n& 'y'") == "&lt;b&gt;x&lt;/b&gt;<br>&amp; &#39;y&#39;"


def test_one_escaper_is_markupsafes():
    """Issue 21 item 6: the HTML goes through markupsafe's escape (the one Jinja's
    autoescaping uses); no hand-made copy is left in the deliverables or the portfolio."""
    import re

    from markupsafe import escape

    text = "<b>x</b> & 'y' \"z\""
    assert esc(text) == str(escape(text))
    hand_made = re.compile(r"html\.escape|from html import escape|\.replace\(\"<\", \"&lt;\"\)")
    for folder in ("deliverables", "portfolio"):
        for path in (DEMO.parents[1] / "paos" / folder).rglob("*.py"):
            assert not hand_made.search(path.read_text(encoding="utf-8")), path


@pytest.mark.slow
def test_run_records_itself_in_the_store(tmp_path):
    src = write_engagement(tmp_path / "src")
    store = tmp_path / "store"
    r = run_engagement(src, tmp_path / "out", store=store, progress=None)
    files = list(store.glob("acme-2026/paos-v1-*.parquet"))
    assert len(files) == 1
    import polars as pl

    row = pl.read_parquet(files[0]).row(0, named=True)
    assert row["engagement_id"] == "acme-2026" and row["client"] == "Acme"
    html = (r.folder / "executive_summary.html").read_text()
    assert 'data-page="benchmark"' not in html  # nothing to compare with yet


def test_a_section_reads_as_text_outside_a_browser():
    """In a terminal (or `repr`), a section is its visible text, not an object address."""
    from paos.deliverables import report, sections

    d = report.deliverable(DEMO / "northwind-2026-09", run_date="2026-11-24")
    shown = repr(sections.executive_summary(d))
    assert shown.startswith("Partner Architecture Diagnostic · Executive summary\n")
    assert "Partner Architecture Index\n2.2\non a scale of 1–4\nEmerging\n" in shown
    assert "<" not in shown and "object at 0x" not in shown
    table = repr(sections.dimension_pages(d))
    assert "[chart]" in table
    assert (
        "Ideal partner profile FIT-01 1.92 3.67 1.33 leadership higher; raters disagree"
        in " ".join(table.splitlines())
    )


# The page-fill rule (issue 17, item 3: no page is near empty), measured on the
# printed PDF: a page's fill is how far down its content area (A4 less board.css's
# margins, 14 mm at the top and 16 mm at the foot, where the footer sits) its
# lowest line of text reaches (pdftotext -bbox-layout; a chart's labels are text).
# Every page is filled at least MIN_FILL but the last, and a page that holds a
# section whole (it starts with a section's kicker, the next page with another's).
MIN_FILL = 0.4
_MM = 72 / 25.4


def page_fill(pdf: Path) -> list[tuple[float, str]]:
    """(fill, first line) of every page of a PDF."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = []
    for page in re.findall(r"<page (.*?)</page>", xml, re.S):
        height = float(re.search(r'height="([\d.]+)"', page)[1])
        top, foot = 14 * _MM, height - 16 * _MM
        lines = [
            (float(y0), float(y1), " ".join(re.findall(r">([^<]*)</word>", words)))
            for y0, y1, words in re.findall(
                r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>',
                page,
                re.S,
            )
        ]
        body = sorted((ln for ln in lines if ln[0] < foot), key=lambda ln: ln[0])
        low = max((ln[1] for ln in body), default=top)
        out.append(((low - top) / (foot - top), body[0][2] if body else ""))
    return out


def _kicker(line: str) -> bool:
    return bool(line) and line == line.upper() and any(c.isalpha() for c in line)


def test_the_page_fill_rule_measures_a_near_empty_page(tmp_path):
    pdf = tmp_path / "two.pdf"
    # two A4 pages: one filled to its foot, one with a single line near its top
    lines = "\n".join(f"BT /F1 10 Tf 50 {800 - 14 * i} Td (line {i}) Tj ET" for i in range(52))
    pages = [lines, "BT /F1 10 Tf 50 780 Td (tail) Tj ET"]
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>"]
    objs += [
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {5 + i} 0 R "
        "/Resources << /Font << /F1 7 0 R >> >> >>"
        for i in range(2)
    ]
    objs += [f"<< /Length {len(p)} >>\nstream\n{p}\nendstream" for p in pages]
    objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    body, offsets = "%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(body))
        body += f"{i} 0 obj\n{o}\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n"
    body += "".join(f"{o:010d} 00000 n \n" for o in offsets)
    body += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    pdf.write_text(body, encoding="latin-1")
    (full, _), (tail, first) = page_fill(pdf)
    assert full > 0.9 and tail < 0.1 and first == "tail"


@pytest.mark.slow
@pytest.mark.parametrize("path", ENGAGEMENTS, ids=lambda p: p.name)
def test_no_printed_page_is_near_empty(reports, path):
    r = reports[contract(diagnose(path))["engagement_id"]]
    pages = page_fill(r.folder / "executive_summary.pdf")
    for i, (fill, first) in enumerate(pages[:-1]):
        whole = _kicker(first) and _kicker(pages[i + 1][1])
        assert whole or fill >= MIN_FILL, f"page {i + 1} ({first}) is {fill:.0%} filled"
