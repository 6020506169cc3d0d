"""HTML of the deck's pages: the `Html` object a notebook displays (its visible
text, its data mapping), the one escaper (`esc`, markupsafe's escape, which Jinja's
autoescaping uses too) and the rendering of a page's Jinja template (templates/deck/,
templates/check/, templates/portfolio/)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import jinja2
from markupsafe import Markup, escape

from paos.bundled import TEMPLATES
from paos.errors import BIDI

_BLOCKS = {"p", "li", "tr", "h1", "h2", "h3", "h4", "div", "blockquote", "header", "figcaption"}


class _PlainText(HTMLParser):
    """The visible text of a fragment: a line per block, cells apart, charts as [chart]."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.in_svg = 0
        self.in_style = False  # a <style> element's text is not visible

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.in_style = tag == "style"
        if tag == "svg":
            if not self.in_svg:
                self.parts.append("[chart]")
            self.in_svg += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("  ")

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False
        if tag == "svg":
            self.in_svg -= 1
        elif tag in _BLOCKS and not self.in_svg:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.in_svg and not self.in_style:
            self.parts.append(data)


# The mimetype under which a deck page's data mapping travels in the executed
# notebook beside its HTML: what `paos.deliverables.slides` builds the PowerPoint deck
# from (nbconvert's `paos_pptx` exporter too), so that no number or title is derived
# a second time.
PAGE_MIME = "application/vnd.paos.page+json"


class Html:
    """An HTML fragment that Jupyter (and nbconvert) display as HTML; its plain-text
    form (`repr`, a terminal, `text()`) is its visible text. A deck page also carries
    its `page` name and the `data` mapping its template got."""

    def __init__(self, html: str, page: str = "", data: dict | None = None):
        self.html = html
        self.page = page
        self.data = data

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        if self.data is None:
            return {}
        return {PAGE_MIME: {"page": self.page, "data": jsonable(self.data)}}

    def __str__(self) -> str:
        return self.html

    def text(self) -> str:
        parser = _PlainText()
        parser.feed(self.html)
        parser.close()
        lines = "".join(parser.parts).splitlines()
        return "\n".join(" ".join(line.split()) for line in lines if line.strip())

    def __repr__(self) -> str:
        return self.text()


def esc(text: object) -> str:
    """Visible text, safe in HTML: markup escaped, newlines kept as line breaks, and
    text that could reorder its neighbours isolated (<bdi>). For element content only;
    attributes take `_cls`."""
    text = "" if text is None else str(text)
    html = str(escape(text)).replace("\n", "<br>")
    # isolated when it holds a character that changes the direction of the text around
    # it (`paos.errors.BIDI`): a quote ending in U+202E cannot reverse its attribution
    return f"<bdi>{html}</bdi>" if BIDI.search(text) else html


def _cls(name: object) -> str:
    """A class attribute value from a rulebook name: letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", str(name).lower()).strip("-")


def paint(color: str) -> str:
    """A style attribute giving an element its colour (a ramp colour, '#rrggbb')."""
    assert re.fullmatch(r"#[0-9a-f]{6}", color)
    return f' style="--c: {color}"'


# The deck's pages are Jinja templates (templates/deck/), autoescaped: every text
# from evidence or the rulebook is shown as text. Text that could reorder its
# neighbours (bidi controls, right-to-left scripts) is isolated in <bdi>.
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader([str(TEMPLATES / d) for d in ("deck", "check", "portfolio")]),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=lambda v: (
        Markup(f"<bdi>{escape(str(v))}</bdi>")
        if isinstance(v, str) and not isinstance(v, Markup) and BIDI.search(v)
        else v
    ),
)


# How a finding that hinges on one person is marked (robustness-v1); the words beside
# it are `paos.deliverables._findings.FRAGILE`'s.
FRAGILE_MARK = "†"


def compile_templates() -> None:
    """Compile every page template now (a kernel template does, before it forks its
    kernels: about 0.05-0.15 CPU-s each kernel no longer pays)."""
    for name in _ENV.list_templates():
        _ENV.get_template(name)


def render(template: str, data: dict) -> Html:
    html = _ENV.get_template(template).render(mark=FRAGILE_MARK, **data).strip()
    return Html(html, template.split(".")[0], data)


def jsonable(value: object) -> object:
    """A page's data mapping as JSON: an SVG chart is left out (its numbers travel
    beside it, under `native`), other markup becomes its visible text, tuples become
    lists."""
    if isinstance(value, dict):
        return {
            k: jsonable(v)
            for k, v in value.items()
            if not (isinstance(v, Markup) and v.lstrip().startswith("<svg"))
        }
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Markup):
        return Html(str(value)).text()
    return value
