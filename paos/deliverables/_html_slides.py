"""Slides from a page that has HTML only (the Architecture Check, the portfolio
report): its action title (a heading of class "action-title"), else its first
heading, is the slide's title, its tables native tables, its
charts pictures with alt text, the rest text lines. Built from the HTML the
report shows, so nothing is derived again.
"""

from __future__ import annotations

import io
import re
from html import unescape
from html.parser import HTMLParser

from paos.deliverables._pptx import CONTINUED, Deck, inert

_LINES = {"p", "li", "h3", "h4", "dt", "dd", "blockquote", "figcaption", "div", "header"}
LINES_PER_SLIDE = 14
ROWS = 10


class _Blocks(HTMLParser):
    """A page as a title and blocks: ("text", line), ("table", rows), ("svg", svg)."""

    svgs: list[str]

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.action = ""  # the page's action title (class "action-title"), if it has one
        self.is_action = False
        self.blocks: list[tuple[str, object]] = []
        self.buf: list[str] = []
        self.heading = False
        self.rows: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.svgs: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.buf).split())
        self.buf = []
        if not text:
            return
        if self.heading and self.is_action and not self.action:
            self.action = text
        elif self.heading and not self.title:
            self.title = text
        else:
            self.blocks.append(("text", text))

    def handle_starttag(self, tag, attrs):
        if tag == "paos-svg":
            self._flush()
            self.blocks.append(("svg", self.svgs[int(dict(attrs)["n"] or 0)]))
        elif tag == "table":
            self._flush()
            self.rows = []
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = []
        elif tag in ("h1", "h2"):
            self._flush()
            self.is_action = "action-title" in (dict(attrs).get("class") or "").split()
            self.heading = not (self.action if self.is_action else self.title)
        elif tag in _LINES and self.rows is None:
            self._flush()
        elif tag == "br":
            (self.cell if self.cell is not None else self.buf).append(" ")

    def handle_endtag(self, tag):
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
        if self.cell is not None:
            self.cell.append(data)
        elif self.rows is None:
            self.buf.append(data)


# A chart's SVG, taken out whole before parsing (an HTML parser lowercases its
# camel-case tags); the deck's charts hold no nested <svg>.
_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def parse(html: str) -> tuple[str, list[tuple[str, object]]]:
    p = _Blocks()
    p.svgs = _SVG.findall(html)
    n = iter(range(len(p.svgs)))
    p.feed(_SVG.sub(lambda m: f'<paos-svg n="{next(n)}"></paos-svg>', html))
    p.close()
    p._flush()
    if p.action:  # the action title heads the slide; the page's name is its first line
        return p.action, ([("text", p.title)] if p.title else []) + p.blocks
    return p.title, p.blocks


def _png(svg: str) -> bytes | None:
    """The chart as a picture (vl-convert, which draws the deck's charts)."""
    import vl_convert

    try:
        return vl_convert.svg_to_png(svg, scale=2)
    except Exception:  # a chart that cannot be drawn stays out; its caption stays
        return None


_ARIA = re.compile(r'aria-label="([^"]*)"')


def describe(svg: str, title: str, limit: int = 2000) -> str:
    """A chart's alt text: what its own accessibility labels say (vega writes one per
    axis and mark), after the page's title."""
    labels = [unescape(x) for x in _ARIA.findall(svg)]
    return f"Chart, {title}: " + "; ".join(labels)[:limit] if labels else f"Chart, {title}"


def _pictures(s, pictures: list[tuple[bytes, str]], box) -> None:
    """The pictures one below the other, each as large as its share of `box` allows."""
    left, top, width, height = box
    share = height // len(pictures)
    for png, alt in pictures:
        pic = s.shapes.add_picture(io.BytesIO(png), left, top)
        scale = min(width / pic.width, share / pic.height)
        pic.width, pic.height = int(pic.width * scale), int(pic.height * scale)
        pic._element._nvXxPr.cNvPr.set("descr", inert(alt))
        top += pic.height


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
    for kind, value in blocks:
        if kind == "text":
            lines.append(str(value))
        elif kind == "svg":
            png = _png(str(value))
            if png:
                pictures.append((png, describe(str(value), title)))
        else:
            tables.append(value)  # type: ignore[arg-type]
    chunks = [lines[k : k + LINES_PER_SLIDE] for k in range(0, len(lines), LINES_PER_SLIDE)]
    n = 0  # slides made for this page
    for k, chunk in enumerate(chunks or ([[]] if pictures or not tables else [])):
        s = deck.slide(title + (CONTINUED if n else ""))
        n += 1
        left, top, width, height = s.area
        shown = pictures if k == 0 else []
        text_w = (width * 2 // 5 if chunk else 0) if shown else width
        if chunk:
            deck.text(s, (left, top, text_w, height), chunk, size=12)
        if shown:
            _pictures(s, shown, (left + text_w, top, width - text_w, height))
    for rows in tables:
        for k in range(1, max(len(rows), 2), ROWS):
            s = deck.slide(title + (CONTINUED if n else ""))
            n += 1
            body = rows[k : k + ROWS]
            cols = max(len(r) for r in [rows[0], *body])
            pad = [r + [""] * (cols - len(r)) for r in [rows[0], *body]]
            deck.table(s, s.area, pad[0], pad[1:], size=10)
