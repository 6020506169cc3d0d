"""Stage 9: an executed notebook -> board HTML (nbconvert, custom template) ->
PDF (Debian's headless `chromium` driven by Playwright, `paos.deliverables._browser`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.exporters import TemplateExporter

from paos.bundled import BOARD_TEMPLATE, TEMPLATES
from paos.deliverables._browser import print_pdf
from paos.errors import plain


class BoardExporter(TemplateExporter):
    """nbconvert's template exporter writing HTML with the board template."""

    output_mimetype = "text/html"
    file_extension = ".html"


def notebook_html(
    notebook: str | Path | nbformat.NotebookNode, title: str = "", meta: dict | None = None
) -> str:
    """The executed notebook as a self-contained board HTML page (outputs only);
    `meta` ({name: content}) becomes <meta> elements of its head: what the record
    keeps and the page does not show (a hash on a prospect-facing page).

    nbconvert's template machinery with the board template. Not its HTMLExporter:
    that one re-parses the page with BeautifulSoup to add alt text and tab stops
    to JupyterLab's markup, which the board template does not use (every image it
    writes has alt text); skipping that pass makes this stage 3x faster."""
    nb = (
        notebook
        if isinstance(notebook, nbformat.NotebookNode)
        else nbformat.read(str(notebook), as_version=4)
    )
    exporter = BoardExporter(template_name=BOARD_TEMPLATE, extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = True
    body, _ = exporter.from_notebook_node(
        nb,
        resources={
            "paos_title": plain(title),
            "paos_meta": {k: plain(v) for k, v in (meta or {}).items()},
        },
    )
    return body


# The PDF stage: print the HTML with headless Chromium, with a browser given (one
# launched ahead, or a batch worker's) or one launched for the page.
html_to_pdf = print_pdf
