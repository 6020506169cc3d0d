"""Stage 9: an executed notebook -> board HTML (nbconvert, custom template) ->
PDF (headless Chromium, Debian's `chromium`; never a browser download).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
from nbconvert.exporters import TemplateExporter

from paos.errors import PaosError

TEMPLATES = Path(__file__).parent / "templates"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--disable-quic",
                  "--no-pdf-header-footer", "--print-to-pdf-no-header", "--hide-scrollbars"]


class RenderError(PaosError):
    """HTML or PDF rendering failed."""


class BoardExporter(TemplateExporter):
    """nbconvert's template exporter writing HTML with the board template."""
    output_mimetype = "text/html"
    file_extension = ".html"


def notebook_html(notebook: str | Path | nbformat.NotebookNode, title: str = "") -> str:
    """The executed notebook as a self-contained board HTML page (outputs only).

    nbconvert's template machinery with the board template. Not its HTMLExporter:
    that one re-parses the page with BeautifulSoup to add alt text and tab stops
    to JupyterLab's markup, which the board template does not use (every image it
    writes has alt text); skipping that pass makes this stage 3x faster."""
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else \
        nbformat.read(str(notebook), as_version=4)
    exporter = BoardExporter(template_name="board", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = True
    body, _ = exporter.from_notebook_node(nb, resources={"paos_title": title})
    return body


def find_chromium() -> str:
    """The Chromium executable (PAOS_CHROMIUM overrides)."""
    for cand in (os.environ.get("PAOS_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome"):
        if cand and shutil.which(cand):
            return shutil.which(cand)
    raise RenderError("headless Chromium is not installed: run `make setup` (installs Debian's "
                      "chromium) or set PAOS_CHROMIUM to a Chromium executable")


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = 120) -> Path:
    """Print an HTML file to PDF with headless Chromium (fresh profile, no network)."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="paos-chromium-") as profile:
        tmp_pdf = Path(profile) / "out.pdf"
        cmd = [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={tmp_pdf}", html_path.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise RenderError(f"Chromium did not finish printing {html_path.name} within "
                              f"{timeout:.0f} s") from None
        if proc.returncode != 0 or not tmp_pdf.is_file() or tmp_pdf.stat().st_size == 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RenderError(f"Chromium could not print {html_path.name} (exit "
                              f"{proc.returncode}): {last}")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp_pdf), pdf_path)
    return pdf_path
