"""Bounded, streaming scans of .ods and .xls files for the extent of every sheet
and its formula cells, before calamine lays a sheet out."""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

from paos.base.files import Refused
from paos.base.limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_PART_BYTES,
    MAX_PARTS_BYTES,
    MAX_RATIO,
    MAX_ROWS,
    RATIO_FROM,
)
from paos.errors import Problem


def zip_refusal(data: bytes) -> str | None:
    """Why the zip in `data` may not be inflated (a zip bomb), or None: the sizes
    checked are the ones zipfile itself enforces while inflating."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    total = 0
    for info in infos:
        size, name = info.file_size, info.filename
        if size > MAX_PART_BYTES:
            return f"part {name} would inflate to {size} bytes; the limit is {MAX_PART_BYTES}"
        if size > RATIO_FROM and size > MAX_RATIO * max(1, info.compress_size):
            return (
                f"part {name} would inflate {size // max(1, info.compress_size)} times; "
                f"the limit is {MAX_RATIO}"
            )
        total += size
    if total > MAX_PARTS_BYTES:
        return f"its parts would inflate to {total} bytes; the limit is {MAX_PARTS_BYTES}"
    return None


@dataclass
class Extent:
    """What a scan found in one sheet of an .ods or .xls file: the filled rows as
    runs (first line, number of lines, last filled column from 1) and the formula
    cells (line, column index, formula text)."""

    runs: list[tuple[int, int, int]] = field(default_factory=list)
    formulas: list[tuple[int, int, str]] = field(default_factory=list)


def bound(extent: Extent, label: str, name: str) -> None:
    """`Refused` (naming the sheet) if the sheet calamine would lay out exceeds
    MAX_ROWS, MAX_COLUMNS or MAX_CELLS; the messages are those of `_sheet_rows`."""
    last = width = 0
    for first, count, cols in sorted(extent.runs):
        if first > MAX_ROWS or first + count - 1 > MAX_ROWS and cols <= MAX_COLUMNS:
            raise Refused(
                Problem(label, f"has rows beyond line {MAX_ROWS}", None, None, None, name)
            )
        if cols > MAX_COLUMNS:
            raise Refused(
                Problem(
                    label,
                    f"has cells beyond column {MAX_COLUMNS}; delete the columns after it",
                    first,
                    None,
                    None,
                    name,
                )
            )
        last, width = max(last, first + count - 1), max(width, cols)
    if last * width > MAX_CELLS:
        line = MAX_CELLS // width + 1
        raise Refused(Problem(label, f"has more than {MAX_CELLS} cells", line, None, None, name))


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
_TEXT_SPACES = {_TEXT + "s", _TEXT + "tab", _TEXT + "line-break"}


def _repeat(value: str | None) -> int:
    if value is None:
        return 1
    count = int(value)
    if count < 1:
        raise ValueError(f"a repeat count of {count}")
    return count


def ods_scan(data: bytes) -> dict[str, Extent]:
    """Each sheet of an .ods file by name with its extent and formulas, from one
    streaming read of content.xml (raises on any damage or zip bomb)."""
    from xml.parsers import expat

    why = zip_refusal(data)
    if why:
        raise ValueError(why)
    sheets: dict[str, Extent] = {}
    sheet: Extent | None = None
    at = {"row": 0, "rows": 1, "last": 0, "col": 0, "depth": 0}
    cell: list = []  # [first column, columns, filled, formula] of the open cell

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal sheet
        if at["depth"]:
            at["depth"] += 1
            if tag == _TABLE + "table":
                raise ValueError("a table inside a cell")
            if tag in _TEXT_SPACES:  # a space, tab or line break is text too
                cell[2] = True
        elif tag == _TABLE + "table":
            if sheet is not None:
                raise ValueError("a table inside a table")
            name = attrs.get(_TABLE + "name", "")
            if name in sheets:
                raise ValueError(f"two sheets named {name!r}")
            sheet = sheets[name] = Extent()
            at["row"] = 0
        elif sheet is None:
            return
        elif tag == _TABLE + "table-row":
            at.update(rows=_repeat(attrs.get(_TABLE + "number-rows-repeated")), last=0, col=0)
        elif tag in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
            count = _repeat(attrs.get(_TABLE + "number-columns-repeated"))
            formula = attrs.get(_TABLE + "formula")
            # calamine takes a cell's value from any of office:value, date-value,
            # time-value, boolean-value, string-value, with or without value-type:
            # every office: attribute counts, so no spelling of a value is missed.
            filled = any(name.startswith(_OFFICE) for name in attrs)
            cell[:] = [at["col"], count, filled, formula]
            at["col"] += count
            at["depth"] = 1

    def end(tag: str) -> None:
        nonlocal sheet
        if at["depth"]:
            at["depth"] -= 1
            if at["depth"] == 0:
                first, count, filled, formula = cell
                if filled or formula is not None:
                    at["last"] = first + count
                if formula is not None and sheet is not None:
                    text = formula.split(":", 1)[1] if formula.startswith("of:") else formula
                    sheet.formulas.append((at["row"] + 1, first, text or "="))
        elif sheet is None:
            return
        elif tag == _TABLE + "table-row":
            if at["last"]:
                sheet.runs.append((at["row"] + 1, at["rows"], at["last"]))
            at["row"] += at["rows"]
        elif tag == _TABLE + "table":
            sheet = None

    def text(chars: str) -> None:
        if at["depth"] and chars.strip():
            cell[2] = True

    def refuse_dtd(*_: object) -> None:
        raise ValueError("content.xml declares a DTD")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    with zipfile.ZipFile(io.BytesIO(data)) as z, z.open("content.xml") as fh:
        parser.ParseFile(fh)
    return sheets


# BIFF8 records that place a cell: (row, column) are their first two 16-bit fields.
_XLS_CELLS = {0x0006, 0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x00D6, 0x0201}
_XLS_RANGES = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, ..., last column
_XLS_FORMULA, _XLS_BOF, _XLS_EOF = 0x0006, 0x0809, 0x000A


def _biff(stream: bytes, pos: int):
    """The BIFF records of `stream` from `pos`: (type, body) each."""

    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        yield kind, stream[pos + 4 : pos + 4 + size]
        pos += 4 + size


def xls_scan(data: bytes) -> dict[str, Extent]:
    """Each worksheet of an .xls (BIFF8) file by name with its extent and formula
    cells, from one walk of the Workbook stream's records (raises on any damage, an
    encrypted file or an Excel 5/95 one)."""

    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        if not ole.exists("Workbook"):
            raise ValueError(
                "no Excel 97-2003 Workbook stream (an Excel 5/95 file, or not a "
                "workbook); save it as .xlsx"
            )
        stream = ole.openstream("Workbook").read()
    found: list[tuple[str, int]] = []
    for kind, body in _biff(stream, 0):
        if kind == _XLS_BOF and struct.unpack_from("<H", body)[0] != 0x0600:
            raise ValueError("not a BIFF8 (Excel 97-2003) workbook; save it as .xlsx")
        if kind == 0x002F:
            raise ValueError("it is encrypted (password-protected); save it without a password")
        if kind == 0x00FC and struct.unpack_from("<I", body, 4)[0] > len(stream) // 3:
            raise ValueError("its shared string table claims more strings than it holds")
        if kind == 0x0085:  # BOUNDSHEET: stream offset, state, type, name
            offset, _, sheet_type, chars, flags = struct.unpack_from("<IBBBB", body)
            raw_name = body[8 : 8 + chars * (2 if flags & 1 else 1)]
            name = raw_name.decode("utf-16-le" if flags & 1 else "latin-1")
            if sheet_type == 0:
                found.append((name, offset))
        if kind == _XLS_EOF:
            break
    sheets: dict[str, Extent] = {}
    for name, offset in found:
        if name in sheets:
            raise ValueError(f"two sheets named {name!r}")
        extent = sheets[name] = Extent()
        last: dict[int, int] = {}
        depth, ended = 0, False
        for kind, body in _biff(stream, offset):
            if kind == _XLS_BOF:
                depth += 1
            elif kind == _XLS_EOF:
                depth -= 1
                if depth <= 0:
                    ended = depth == 0
                    break
            elif depth == 1 and kind == 0x0200:  # DIMENSION: calamine reserves this size
                rows_from, rows_to, cols_from, cols_to = struct.unpack_from("<IIHH", body)
                if rows_from > rows_to or cols_from > cols_to:
                    raise ValueError(f"sheet {name!r} declares an impossible size")
                if (rows_to - rows_from) * (cols_to - cols_from) > MAX_CELLS:
                    raise ValueError(f"sheet {name!r} declares more than {MAX_CELLS} cells")
            elif depth == 1 and (kind in _XLS_CELLS or kind in _XLS_RANGES):
                row, col = struct.unpack_from("<HH", body)
                if kind in _XLS_RANGES:
                    col = struct.unpack_from("<H", body, len(body) - 2)[0]
                last[row] = max(last.get(row, 0), col + 1)
                if kind == _XLS_FORMULA:
                    extent.formulas.append((row + 1, col, "="))
        if not ended:
            raise ValueError(f"sheet {name!r} ends early")
        extent.runs = [(row + 1, 1, cols) for row, cols in sorted(last.items())]
    return sheets
