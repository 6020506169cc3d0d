"""A table as read: string columns under their lower-case headers, each row with
its spreadsheet line; blank cells null, values without a header refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from paos.base.limits import MAX_COLUMNS, MAX_REPORTED
from paos.base.problems import listed, more
from paos.errors import Problem

FORMULA = "holds a formula; paos reads values only \N{EM DASH} paste values"
NO_HEADER = "has a value but its column has no header"


@dataclass
class Table:
    """A table as read: string columns (lower-case headers) plus `_line`."""

    file: str
    sheet: str | None
    frame: pl.DataFrame
    header: list[str]

    def problem(
        self,
        rule: str,
        line: int | None = None,
        column: str | None = None,
        value: object | None = None,
    ) -> Problem:
        return Problem(self.file, rule, line, column, value, self.sheet)


def cell_text(value: object) -> str | None:
    """A workbook cell as the text a CSV would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def filled(cell: str | None) -> bool:
    return cell is not None and cell.strip() != ""


def column_label(j: int, sheet: str | None) -> str:
    """The column at index `j` as the file shows it: a letter in a sheet, a number
    (from 1) in a CSV file."""
    if sheet is None:
        return str(j + 1)
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def table_from_rows(
    file: str,
    sheet: str | None,
    rows: Sequence[Sequence[str | None]],
    problems: list[Problem],
    exact: bool = False,
) -> Table | None:
    """Build a string table from a header row and data rows (row i is line i + 1);
    blank cells become null, blank rows are dropped. A row with more or fewer fields
    than the header is refused when `exact` (CSV, where every row spells out its
    fields, the header's blank ones too); a sheet leaves trailing blank cells out, so
    there a value right of the header's last name is a value without a header. Such a
    value, or one under a blank header cell, is refused: a column without a header
    must be blank. Rows of the header's width, nearly all of them, are handled
    column-wise by polars."""
    head = [c if filled(c) else None for c in rows[0]] if rows else []
    if not any(head):
        problems.append(Problem(file, "has no header row", 1, None, None, sheet))
        return None
    while not exact and head[-1] is None:
        head.pop()
    if len(head) > MAX_COLUMNS:
        problems.append(Problem(file, f"has more than {MAX_COLUMNS} columns", 1, None, None, sheet))
        return None
    header = [(h or "").strip().lower() for h in head]
    width = len(header)
    body = rows[1:]
    keep: Sequence = body
    lines: list[int] | range = range(2, len(body) + 2)
    ragged: list[Problem] = []
    headless: list[tuple[int, int, str | None]] = []  # (line, column index, value)
    odd = [i for i, n in enumerate(map(len, body)) if n != width]
    if odd:
        keep, lines, prev = [], [], 0
        for i in odd:
            keep += body[prev:i]
            lines += range(prev + 2, i + 2)
            prev, row = i + 1, body[i]
            if exact and (
                any(map(filled, row[width:])) or len(row) < width and any(map(filled, row))
            ):
                ragged.append(
                    Problem(
                        file,
                        f"has {len(row)} fields but the header has {width}",
                        i + 2,
                        None,
                        None,
                        sheet,
                    )
                )
                continue
            headless += [(i + 2, j, row[j]) for j in range(width, len(row)) if filled(row[j])]
            if any(map(filled, row[:width])):
                keep.append([*row[:width], *[None] * (width - len(row))])
                lines.append(i + 2)
        keep += body[prev:]
        lines += range(prev + 2, len(body) + 2)
    problems += listed(ragged, f"more or fewer fields than the header's {width}")
    # Blank cells become null, blank rows are dropped and the columns named here, on
    # the Python strings the reader has just made, in one pass that costs about what
    # reading them did: the polars queries this took cost 1.2 ms per table even for a
    # few rows, 3 ms per engagement folder (issue 22, scores-only over 1,000 folders).
    kept_rows: list[list[str | None]] = []
    kept_lines: list[int] = []
    for line, row in zip(lines, keep, strict=True):
        cells = [c if c is not None and c.strip() else None for c in row]
        if cells.count(None) < width:
            kept_rows.append(cells)
            kept_lines.append(line)
    cols = list(zip(*kept_rows)) if kept_rows else [()] * width
    for j in (j for j, name in enumerate(header) if not name):
        headless += [(line, j, v) for line, v in zip(kept_lines, cols[j]) if v is not None]
    problems += _headless(file, sheet, headless)
    named: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in named:
            problems.append(Problem(file, "appears twice in the header", 1, name, None, sheet))
        elif name.startswith("_"):  # paos's own columns (_line, _src, ...)
            problems.append(
                Problem(
                    file,
                    "is not a known column (a name starting with '_' is paos's own)",
                    1,
                    name,
                    None,
                    sheet,
                )
            )
        elif name:
            named[name] = j
    frame = pl.DataFrame(
        [pl.Series(name, cols[j], dtype=pl.String) for name, j in named.items()]
        + [pl.Series("_line", kept_lines, dtype=pl.Int32)]
    )
    return Table(file, sheet, frame, list(named))


def _headless(
    file: str, sheet: str | None, cells: list[tuple[int, int, str | None]]
) -> list[Problem]:
    """One problem per value in a column without a header, in line order (the first
    `MAX_REPORTED` in full, then one line counting the rest)."""
    cells.sort(key=lambda c: (c[0], c[1]))
    out = [
        Problem(file, NO_HEADER, line, column_label(j, sheet), value, sheet)
        for line, j, value in cells[: MAX_REPORTED + 1]
    ]
    if len(cells) > MAX_REPORTED:
        out[-1] = more(out[-1], len(cells) - MAX_REPORTED, "a value in a column without a header")
    return out
