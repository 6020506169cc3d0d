"""Quotes in every script the firm's clients write print as their text in the PDF,
never as empty boxes: the fonts that cover them are installed with the other Debian
packages (Makefile SYSTEM_PACKAGES) and embedded in the PDF (issue 19 item 11)."""

from __future__ import annotations

import re
import subprocess

import pytest

from paos.deliverables.run import run_engagement
from tests.builders import RATINGS, write_engagement

QUOTES = {
    "Korean": "파트너 포털을 아무도 쓰지 않아요",
    "Hindi": "कोई भी पार्टनर पोर्टल का उपयोग नहीं करता",
    "Thai": "ไม่มีใครใช้พอร์ทัลพันธมิตร",
    "emoji": "Nobody uses it 🚀 😀 🤝",
    "Japanese": "誰もポータルを使わない",
    "Chinese": "没有人使用合作伙伴门户",
}


def _covering_fonts(text: str) -> set[str]:
    """PostScript names of the installed fonts that have a glyph for every
    character of `text` but spaces (fontconfig's own coverage)."""
    chars = " ".join(f"{ord(c):x}" for c in sorted(set(text) - {" "}))
    found = subprocess.run(
        ["fc-list", f":charset={chars}", "postscriptname"], capture_output=True, text=True
    ).stdout
    return set(re.findall(r"postscriptname=(\S+)", found))


@pytest.mark.slow
def test_a_quote_in_each_script_prints_as_its_text_in_an_embedded_font(tmp_path):
    people = [["stakeholder_id", "role", "perspective", "function", "name"]] + [
        [f"s{i}", "sales", "", "", f"P{i}"] for i in range(len(QUOTES))
    ]
    ratings = [RATINGS[0]] + [
        [f"s{i}", "FIT-02", "1", quote, "interview"] for i, quote in enumerate(QUOTES.values())
    ]
    folder = write_engagement(tmp_path / "acme", stakeholders=people, ratings=ratings)
    pdf = run_engagement(folder, tmp_path / "out", run_date="2026-05-10", progress=None).files[
        "executive_summary.pdf"
    ]
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in fonts.stdout.splitlines()[2:]]
    embedded = {row[0].split("+")[-1] for row in rows}
    assert rows and all(row[-5] == "yes" for row in rows), fonts.stdout  # the emb column
    for script, quote in QUOTES.items():
        assert quote in text, script
        covering = _covering_fonts(quote)
        assert covering, f"no installed font covers the {script} quote: see Makefile"
        assert covering & embedded, (script, covering, embedded)
