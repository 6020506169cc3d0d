"""A minimal OpenDocument spreadsheet writer for tests: a workbook as LibreOffice
would save it (typed cells: text, numbers, dates), with no office suite needed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import load_workbook

MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type='
    '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>'
)
NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _cell(value: object) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value='
            f'"{str(value).lower()}"><text:p>{str(value).upper()}</text:p></table:table-cell>'
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, dt.date):
        iso = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
            f"<text:p>{iso}</text:p></table:table-cell>"
        )
    paragraphs = "".join(f"<text:p>{escape(p)}</text:p>" for p in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def ods_bytes(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    """An .ods file holding `sheets` ((name, rows) each)."""
    tables = "".join(
        f'<table:table table:name="{escape(name, {chr(34): "&quot;"})}">'
        + "".join(
            "<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>"
            for row in rows
        )
        + "</table:table>"
        for name, rows in sheets
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} '
        f'office:version="1.2"><office:body><office:spreadsheet>{tables}'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", MANIFEST)
    return buf.getvalue()


def xlsx_as_ods(source: Path | bytes, to: Path) -> Path:
    """`source` (an .xlsx file or its bytes) saved as .ods at `to`, every sheet's
    values kept (as "Save as .ods" in an office suite does)."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    wb = load_workbook(io.BytesIO(data))
    sheets = [
        (ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in wb.worksheets
    ]
    to.write_bytes(ods_bytes(sheets))
    return to
