"""Slides from a page that has HTML only (the Architecture Check, the portfolio
report): its first heading is the slide's title, its tables native tables, its
charts pictures with alt text, the rest text lines. Built from the HTML the
report shows, so nothing is derived again.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser

from pptx.util import Inches

from paos.deliverables._pptx import Deck, inert

_LINES = {"p", "li", "h3", "h4", "dt", "dd", "blockquote", "figcaption", "div", "header"}
LINES_PER_SLIDE = 14
ROWS = 10


class _Blocks(HTMLParser):
    """A page as a title and blocks: ("text", line), ("table", rows), ("svg", svg)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[tuple[str, object]] = []
        self.buf: list[str] = []
        self.heading = False
        self.rows: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.svg: list[str] | None = None
        self.svg_depth = 0

    def _flush(self) -> None:
        text = " ".join("".join(self.buf).split())
        self.buf = []
        if not text:
            return
        if self.heading and not self.title:
            self.title = text
        else:
            self.blocks.append(("text", text))

    def handle_starttag(self, tag, attrs):
        if self.svg is not None:
            self.svg_depth += tag == "svg"
            self.svg.append(self.get_starttag_text() or "")
            return
        if tag == "svg":
            self._flush()
            self.svg, self.svg_depth = [self.get_starttag_text() or ""], 1
        elif tag == "table":
            self._flush()
            self.rows = []
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = []
        elif tag in ("h1", "h2"):
            self._flush()
            self.heading = not self.title
        elif tag in _LINES and self.rows is None:
            self._flush()
        elif tag == "br":
            (self.cell if self.cell is not None else self.buf).append(" ")

    def handle_endtag(self, tag):
        if self.svg is not None:
            self.svg.append(f"</{tag}>")
            if tag == "svg":
                self.svg_depth -= 1
                if not self.svg_depth:
                    self.blocks.append(("svg", "".join(self.svg)))
                    self.svg = None
            return
        if tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.rows is not None:
            self.blocks.append(("table", [r for r in self.rows if r]))
            self.rows = None
        elif tag in ("h1", "h2"):
            self._flush()
            self.heading = False
        elif tag in _LINES and self.rows is None:
            self._flush()

    def handle_data(self, data):
        if self.svg is not None:
            from html import escape

            self.svg.append(escape(data))
        elif self.cell is not None:
            self.cell.append(data)
        elif self.rows is None:
            self.buf.append(data)


def parse(html: str) -> tuple[str, list[tuple[str, object]]]:
    p = _Blocks()
    p.feed(html)
    p.close()
    p._flush()
    return p.title, p.blocks


def _png(svg: str) -> bytes | None:
    """The chart as a picture (vl-convert, which draws the deck's charts)."""
    import vl_convert

    try:
        return vl_convert.svg_to_png(svg, scale=2)
    except Exception:  # a chart that cannot be drawn stays out; its caption stays
        return None


def html_slides(deck: Deck, html: str) -> None:
    """The page as slides: text and pictures on the first, a table per slide
    (continued over more when long)."""
    title, blocks = parse(html)
    if not title and not blocks:
        return
    title = title or "Report"
    lines: list[str] = []
    pictures: list[tuple[bytes, str]] = []
    tables: list[list[list[str]]] = []
    for i, (kind, value) in enumerate(blocks):
        if kind == "text":
            lines.append(str(value))
        elif kind == "svg":
            png = _png(str(value))
            nxt = blocks[i + 1] if i + 1 < len(blocks) else ("", "")
            alt = str(nxt[1]) if nxt[0] == "text" else f"chart: {title}"
            if png:
                pictures.append((png, alt))
        else:
            tables.append(value)  # type: ignore[arg-type]
    first = True
    for k in range(0, max(len(lines), 1), LINES_PER_SLIDE):
        s = deck.slide(title if first else title + " (continued)")
        left, top, width, height = s.area
        text_w = width // 2 if pictures and first else width
        deck.text(s, (left, top, text_w, height), lines[k : k + LINES_PER_SLIDE], size=12)
        if pictures and first:
            y = top
            for png, alt in pictures:
                pic = s.shapes.add_picture(io.BytesIO(png), left + text_w, y, width=width - text_w)
                pic._element._nvXxPr.cNvPr.set("descr", inert(alt))
                y += pic.height + Inches(0.1)
        first = False
    for rows in tables:
        for k in range(1, max(len(rows), 2), ROWS):
            s = deck.slide(title + " (continued)")
            body = rows[k : k + ROWS]
            n = max(len(r) for r in [rows[0], *body])
            pad = [r + [""] * (n - len(r)) for r in [rows[0], *body]]
            deck.table(s, s.area, pad[0], pad[1:], size=10)
