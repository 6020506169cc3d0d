"""The PowerPoint machinery of the deck (python-pptx): a master opened, slides with
their title in the title placeholder, native tables and charts, speaker notes, and
a file written the same, byte for byte, for the same inputs and run date.

Text is inert: it goes into runs as text (never a field, never a hyperlink), and a
chart's data sheet takes every text as a string (XlsxWriter would otherwise write
`=...` as a formula and `https://...` as a link).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from contextlib import contextmanager
from pathlib import Path

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.util import Emu, Inches, Pt
from xlsxwriter import Workbook

from paos.errors import PaosError

# The title of a slide that continues the page before it.
CONTINUED = " (continued)"


def continued(i: int, n: int) -> str:
    """What marks the `i`-th (0-based) of `n` slides of one page as continued: none on
    the first, " (continued)" on the second of two, " (continued, 3 of 4)" beyond."""
    if not i:
        return ""
    return CONTINUED if n == 2 else f" (continued, {i + 1} of {n})"


# 16:9, the size of the bundled default (a consultancy's master keeps its own).
WIDE = (Inches(13.333), Inches(7.5))
_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
_TEMPLATE_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"
# Bounded work: a master is a few megabytes; a zip that unpacks to more is refused.
MAX_MASTER_BYTES = 200 * 1024 * 1024
# Characters XML 1.0 cannot hold (python-pptx would refuse the whole deck for one).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def inert(text: object) -> str:
    """Text for a run: as given, less the characters XML cannot hold."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def _master_bytes(path: Path) -> bytes:
    """A .pptx or .potx read as a presentation (a template's main part renamed)."""
    try:
        with zipfile.ZipFile(path) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_MASTER_BYTES:
                raise PaosError(f"--pptx-template {path}: unpacks to more than 200 MB")
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
                for info in z.infolist():
                    blob = z.read(info)
                    if info.filename == "[Content_Types].xml":
                        blob = blob.replace(_TEMPLATE_MAIN.encode(), _MAIN.encode())
                    w.writestr(info, blob)
            return out.getvalue()
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise PaosError(f"--pptx-template {path}: not a PowerPoint file ({exc})") from None
    except OSError as exc:
        raise PaosError(f"--pptx-template {path}: cannot be read ({exc.strerror})") from None


def open_master(path: str | Path | None):
    """The presentation to build on: the consultancy's master (its slides dropped,
    its layouts, theme, fonts and logo kept) or python-pptx's plain default at 16:9."""
    if not path:
        prs = Presentation()
        prs.slide_width, prs.slide_height = WIDE
        return prs
    path = Path(path)
    try:
        prs = Presentation(io.BytesIO(_master_bytes(path)))
    except PaosError:
        raise
    except Exception as exc:  # python-pptx raises many kinds on a broken package
        raise PaosError(f"--pptx-template {path}: not a PowerPoint file ({exc})") from None
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)
    if _title_only(prs) is None:
        raise PaosError(f"--pptx-template {path}: no slide layout has a title placeholder")
    return prs


def check_master(path: str | Path | None) -> None:
    """Refuse a master that cannot be used, before any work starts."""
    if path:
        open_master(path)


def _title_only(prs):
    """The layout with a title and the fewest other placeholders ('Title Only')."""
    best = None
    for layout in prs.slide_layouts:
        kinds = [p.placeholder_format.type for p in layout.placeholders]
        if PP_PLACEHOLDER.TITLE not in kinds and PP_PLACEHOLDER.CENTER_TITLE not in kinds:
            continue
        body = sum(
            k not in (PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER)
            for k in kinds
        )
        if best is None or body < best[0]:
            best = (body, layout)
    return best[1] if best else None


class Deck:
    """Slides on a master, each with its title in the title placeholder and a free
    area below it (`area`: left, top, width, height) for tables, charts and text."""

    def __init__(self, master: str | Path | None = None):
        self.prs = open_master(master)
        self.plain = not master
        self.layout = _title_only(self.prs)

    def slide(self, title: str, notes: str = ""):
        s = self.prs.slides.add_slide(self.layout)
        for ph in list(s.placeholders):  # keep the title only: no empty "click to add"
            if ph.placeholder_format.type not in (
                PP_PLACEHOLDER.TITLE,
                PP_PLACEHOLDER.CENTER_TITLE,
            ):
                ph._element.getparent().remove(ph._element)
        head = s.shapes.title
        w, h = self.prs.slide_width, self.prs.slide_height
        if self.plain:
            head.left, head.top, head.width, head.height = (
                Inches(0.5),
                Inches(0.3),
                w - Inches(1),
                Inches(1.0),
            )
        tf = head.text_frame
        tf.text = inert(title)
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        if self.plain:
            for p in tf.paragraphs:
                for r in p.runs:
                    r.font.size, r.font.bold = Pt(26), True
        if notes:
            s.notes_slide.notes_text_frame.text = inert(notes)
        top = head.top + head.height + Inches(0.15)
        s.area = (head.left, top, head.width, h - top - Inches(0.4))
        return s

    def text(self, s, box, lines, size: int = 12) -> None:
        """Paragraphs of text in `box`: each a string, or (text, bold)."""
        left, top, width, height = box
        tf = s.shapes.add_textbox(left, top, width, height).text_frame
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        for i, line in enumerate(lines):
            text, bold = line if isinstance(line, tuple) else (line, False)
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            run = p.add_run()
            run.text = inert(text)
            run.font.size, run.font.bold = Pt(size), bold

    def table(
        self, s, box, header: list[str], rows: list[list], widths=None, size: int = 11
    ) -> None:
        """A native table: a header row, then `rows` (texts), columns by `widths` (shares)."""
        left, top, width, height = box
        n = len(rows) + 1
        shape = s.shapes.add_table(n, len(header), left, top, width, min(height, Inches(0.3) * n))
        table = shape.table
        shares = widths or [1] * len(header)
        for i, share in enumerate(shares):
            table.columns[i].width = Emu(int(width * share / sum(shares)))
        for r, cells in enumerate([header, *rows]):
            for c, value in enumerate(cells):
                tf = table.cell(r, c).text_frame
                tf.word_wrap = True
                tf.paragraphs[0].text = ""
                run = tf.paragraphs[0].add_run()
                run.text = inert(value)
                run.font.size, run.font.bold = Pt(size), r == 0

    def chart(self, s, box, kind, categories, series, title: str = "", labels=None):
        """A native chart of `kind` (XL_CHART_TYPE): categories and named series of the
        results' numbers; `labels` (series index -> texts) shown on the points. With no
        category (nothing the chart could show), one line says so and None is returned."""
        if not categories:
            self.text(s, box, [inert(title) if title else "", "Nothing to chart here."])
            return None
        data = _InertChartData()
        data.categories = [inert(c) for c in categories]
        for name, values in series:
            data.add_series(inert(name), values)
        left, top, width, height = box
        chart = s.shapes.add_chart(kind, left, top, width, height, data).chart
        chart.has_legend = len(series) > 1
        if chart.has_legend:
            chart.legend.include_in_layout = False
        chart.font.size = Pt(10)
        if title:
            chart.has_title = True
            chart.chart_title.text_frame.text = inert(title)
            chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
        for i, texts in (labels or {}).items():
            plot_series = chart.plots[0].series[i]
            for point, text in zip(plot_series.points, texts):
                if text:
                    point.data_label.text_frame.text = inert(text)
        return chart

    def to_bytes(self, run_date: str, title: str) -> bytes:
        """The deck's file: core properties dated to the run date, zip entries too, so
        that the same inputs and run date give the same bytes."""
        when = _run_datetime(run_date)
        cp = self.prs.core_properties
        cp.title, cp.author, cp.last_modified_by = inert(title)[:255], "paos", "paos"
        cp.created = cp.modified = cp.last_printed = when
        cp.revision = 1
        raw = io.BytesIO()
        self.prs.save(raw)
        return stable_zip(raw.getvalue(), when)


def _run_datetime(run_date: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(run_date)
    except (TypeError, ValueError):
        day = dt.date.today()
    return dt.datetime(day.year, day.month, day.day)


def stable_zip(blob: bytes, when: dt.datetime) -> bytes:
    """The package again, its entries in their order, each stamped `when` (zipfile
    stamps them with the time of writing)."""
    out = io.BytesIO()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(blob)) as z, zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            w.writestr(entry, z.read(info))
    return out.getvalue()


class _InertWorkbookWriter(CategoryWorkbookWriter):
    """The chart's data sheet, every text a string (no formula, no link, no number
    read from text), dated 1 January 2000 so that the file is stable."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(
            xlsx_file,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        workbook.set_properties({"created": dt.datetime(2000, 1, 1)})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class _InertChartData(CategoryChartData):
    @property
    def _workbook_writer(self):
        return _InertWorkbookWriter(self)
