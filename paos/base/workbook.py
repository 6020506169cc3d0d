"""Workbooks read bounded: .xlsx/.xlsm through openpyxl, .ods/.xls through calamine."""

from __future__ import annotations

import io
from pathlib import Path

from paos.base.files import Refused, read_file
from paos.base.limits import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_WORKBOOK_BYTES
from paos.base.tables import FORMULA, cell_text, column_label
from paos.base.workbook_scan import bound, ods_scan, xls_scan, zip_refusal
from paos.errors import Problem

# --- Workbooks: .xlsx/.xlsm through openpyxl, .ods/.xls through calamine ----------
#
# Which reader, and why (measured on data/engagements/harbor-2026-11.xlsx, 3 sheets,
# 293 cells, mean of 20 reads on the 2-core dev machine): openpyxl 7.2 ms, calamine
# 0.33 ms. .xlsx stays on openpyxl all the same: python-calamine (0.9) cannot tell a
# formula cell from a value (it gives the value the formula last showed, which paos
# refuses to use), and it lays a sheet out densely from its first to its last cell
# before anything can be checked, so two cells at A1 and XFD1048576 in a 2 KB .xlsx
# abort the process asking for 512 GiB (calamine issue #693), where openpyxl streams
# rows and `_sheet_rows` stops at the limits. .ods and .xls have no reader but
# calamine worth having, so for them paos first scans the file itself, bounded and
# streaming, for the extent of every sheet and for formula cells, and hands it to
# calamine only when every sheet is within the limits (calamine lays out every
# sheet of an .ods or .xls file as it opens it) and, for the engagement workbook,
# with the formulas known:
#   .xlsx/.xlsm  zip checked by `zip_refusal`; openpyxl streams the rows; a formula
#                is a cell of type "f" (its text is shown).
#   .ods         zip checked by `zip_refusal`; content.xml is read once by expat
#                (no DTD allowed) for each sheet's filled extent, repeats counted
#                (`number-rows-repeated`, `number-columns-repeated`; a cell counts
#                as filled if it has text, a space element or any office: attribute,
#                the value-type or a value without one), and for cells
#                with a `table:formula` attribute (its text is shown); then calamine
#                reads the values.
#   .xls         OLE2, not a zip: bounded by MAX_WORKBOOK_BYTES as stored; olefile
#                gives the Workbook stream, whose BIFF8 records are walked once for
#                the sheets (BOUNDSHEET), each cell's position and FORMULA records
#                (a formula's text is not decoded: shown as "="); encrypted files and
#                Excel 5/95 files are refused; then calamine reads the values.
# A sheet of an .ods or .xls file counts as the rectangle calamine lays out, from A1
# to its last filled row and column (a sparse sheet counts its blanks), so the
# MAX_CELLS limit holds for what is actually built in memory.

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls")
_KIND = {".xlsx": ".xlsx", ".xlsm": ".xlsx", ".ods": ".ods", ".xls": ".xls"}


def is_workbook(path: Path) -> bool:
    """Whether paos reads `path` as a workbook (by its suffix)."""
    return path.suffix.lower() in WORKBOOK_SUFFIXES


def _open_workbook(data: bytes):
    """openpyxl's read-only workbook over checked bytes (raises on any damage)."""
    from openpyxl import load_workbook

    why = zip_refusal(data)
    if why:
        raise ValueError(why)
    return load_workbook(io.BytesIO(data), read_only=True, data_only=False)


class Book:
    """A workbook open for reading: its sheet names in order, and each sheet's rows
    as text with its formula cells ((line, column index, formula text) each)."""

    names: list[str]

    def rows(
        self, name: str, label: str, shown: str
    ) -> tuple[list[list[str | None]], list[tuple[int, int, str]]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _OpenpyxlBook(Book):
    def __init__(self, data: bytes) -> None:
        self.wb = _open_workbook(data)
        self.names = list(self.wb.sheetnames)

    def rows(
        self, name: str, label: str, shown: str
    ) -> tuple[list[list[str | None]], list[tuple[int, int, str]]]:
        return _sheet_rows(self.wb[name], label, shown)

    def close(self) -> None:
        self.wb.close()


class _CalamineBook(Book):
    def __init__(self, data: bytes, suffix: str, label: str) -> None:
        from python_calamine import CalamineWorkbook

        self.extents = ods_scan(data) if suffix == ".ods" else xls_scan(data)
        for name, extent in self.extents.items():
            bound(extent, label, name)
        self.wb = _calamine(CalamineWorkbook.from_filelike, io.BytesIO(data))
        missing = set(self.extents) - set(self.wb.sheet_names)
        if missing:
            raise ValueError(f"sheet {sorted(missing)[0]!r} cannot be read")
        self.names = [n for n in self.wb.sheet_names if n in self.extents]

    def rows(
        self, name: str, label: str, shown: str
    ) -> tuple[list[list[str | None]], list[tuple[int, int, str]]]:
        sheet = _calamine(self.wb.get_sheet_by_name, name)
        grid = _calamine(sheet.to_python, skip_empty_area=False)
        rows: list[list[str | None]] = []
        for values in grid:
            row = [cell_text(v) for v in values]
            while row and row[-1] is None:
                row.pop()
            rows.append(row)
        while rows and not rows[-1]:
            rows.pop()
        return rows, list(self.extents[name].formulas)

    def close(self) -> None:
        self.wb.close()


def _calamine(call, *args, **kwargs):
    """`call(*args, **kwargs)` into calamine, whose Rust code panics on some damaged
    files: a panic (a BaseException from pyo3) becomes a ValueError like any damage."""
    try:
        return call(*args, **kwargs)
    except Exception:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise ValueError(f"the reader failed: {exc}") from None


def open_book(data: bytes, path: Path, label: str | None = None) -> Book:
    """The workbook in `data`, read as its suffix says; raises `Refused` for a sheet
    over the limits (.ods, .xls) and anything else on damage."""
    suffix = path.suffix.lower()
    if suffix in (".ods", ".xls"):
        return _CalamineBook(data, suffix, str(path) if label is None else label)
    return _OpenpyxlBook(data)


def unreadable(
    path: Path, exc: Exception, sheet: str | None = None, label: str | None = None
) -> Problem:
    kind = _KIND.get(path.suffix.lower(), ".xlsx")
    return Problem(
        str(path) if label is None else label,
        f"is not a readable {kind} workbook ({_reason(exc)})",
        None,
        None,
        None,
        sheet,
    )


def workbook_sheets(
    path: Path, label: str | None = None
) -> list[tuple[str, list[list[str | None]]]]:
    """Every sheet of an .xlsx, .xlsm, .ods or .xls workbook: its name and its rows
    as text (cells as `cell_text` gives them: 3.0 is "3", dates ISO, blanks None; row i is
    line i + 1), bounded like `_sheet_rows` (MAX_ROWS, MAX_COLUMNS, MAX_CELLS; a
    sheet's declared size costs nothing). Raises `Refused`, one problem naming the
    file (and the sheet where there is one), for a file that is not a regular file
    or is too large, a damaged file, a zip bomb, a sheet over the limits or a formula
    in any cell (the first one is named). Problems name the file as `label` (by
    default its path as given)."""
    path = Path(path)
    label = str(path) if label is None else label
    data = read_file(path, label, MAX_WORKBOOK_BYTES)
    sheet: str | None = None
    try:
        book = open_book(data, path, label)
        try:
            out: list[tuple[str, list[list[str | None]]]] = []
            for sheet in book.names:
                rows, formulas = book.rows(sheet, label, sheet)
                if formulas:
                    line, j, text = min(formulas)
                    raise Refused(
                        Problem(label, FORMULA, line, column_label(j, sheet), text, sheet)
                    )
                out.append((sheet, rows))
            return out
        finally:
            book.close()
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage a reader meets
        raise Refused(unreadable(path, exc, sheet, label)) from None


def _sheet_rows(
    ws, label: str, name: str
) -> tuple[list[list[str | None]], list[tuple[int, int, str]]]:
    """A sheet's rows as text, and where its formulas are ((line, column index, the
    formula) each), bounded: no more than `MAX_ROWS` lines, `MAX_COLUMNS` columns and
    `MAX_CELLS` cells are ever laid out (a sheet's declared size is ignored, so a
    claimed XFD1048576 costs nothing). A formula cell holds its formula text."""
    ws.reset_dimensions()
    rows: list[list[str | None]] = []
    formulas: list[tuple[int, int, str]] = []
    cells = 0
    for i, row in enumerate(ws.iter_rows(), start=1):
        if i > MAX_ROWS:
            raise Refused(
                Problem(label, f"has rows beyond line {MAX_ROWS}", None, None, None, name)
            )
        if len(row) > MAX_COLUMNS:
            raise Refused(
                Problem(
                    label,
                    f"has cells beyond column {MAX_COLUMNS}; delete the columns after it",
                    i,
                    None,
                    None,
                    name,
                )
            )
        cells += len(row)
        if cells > MAX_CELLS:
            raise Refused(Problem(label, f"has more than {MAX_CELLS} cells", i, None, None, name))
        values = [cell_text(getattr(c, "value", None)) for c in row]
        formulas += [
            (i, j, values[j] or "=")
            for j, c in enumerate(row)
            if getattr(c, "data_type", None) == "f"
        ]
        rows.append(values)
    return rows, formulas


def _reason(exc: Exception) -> str:
    """An exception from reading a damaged workbook, as a short phrase."""
    text = " ".join(str(exc).split())[:200]
    if isinstance(exc, ValueError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
