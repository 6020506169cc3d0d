"""A CSV export read in passes over its text, never held as rows.

A survey export of tens of megabytes holds millions of cells; as Python lists of
strings they cost 10 to 20 times the file (`csv_rows` plus the copies made while
laying them out), so a 64 MiB export took gigabytes. Here the file is read once
(`read_file`, at most `MAX_TABLE_BYTES`) and decoded once; `scan` then parses it
row by row, checking it as `csv_rows` does (strict csv, at most `MAX_ROWS` lines,
at most `MAX_COLUMNS` columns) and keeping only its first rows (the headers), its
width, its last non-blank row and which columns hold a value below the headers.
`CsvRows` gives the response rows again, parsed anew on each pass, one row at a
time: what a pass holds is the text and one row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from paos.base.csv_rows import csv_break
from paos.base.files import Refused, decode, read_file
from paos.base.limits import MAX_COLUMNS, MAX_ROWS, MAX_TABLE_BYTES
from paos.errors import Problem

HEAD_ROWS = 3  # header rows a tool may write (Qualtrics: ids, texts, ImportIds)
# A line with its ending, as io.StringIO(newline="") splits text: at \r\n, \r or \n.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _lines(text: str) -> Iterator[str]:
    for m in _LINE.finditer(text):
        yield m.group()


def _cells(row: list[str], width: int) -> list[str | None]:
    return [c if c != "" else None for c in row] + [None] * (width - len(row))


@dataclass
class CsvRows:
    """The rows of a scanned CSV text from row `skip` (0 = the first) up to its last
    non-blank row, each as wide as the widest, blank cells None; parsed on each pass."""

    text: str
    skip: int
    end: int  # rows up to the last non-blank one
    width: int

    def __iter__(self) -> Iterator[list[str | None]]:
        reader = csv.reader(_lines(self.text), strict=True)
        for k, row in enumerate(reader):
            if k >= self.end:
                return
            if k >= self.skip:
                yield _cells(row, self.width)

    def __len__(self) -> int:
        return max(0, self.end - self.skip)


@dataclass
class Scan:
    """What one pass over a CSV export found (see the module docstring)."""

    text: str
    head: list[list[str | None]]  # the first HEAD_ROWS rows, as wide as `width`
    end: int  # rows up to the last non-blank one (0: the file is blank)
    width: int  # cells of the widest row up to `end`
    # per column, the first row (0-based) from HEAD_ROWS on that holds a value
    filled_from: dict[int, int] = field(default_factory=dict)

    def rows(self, skip: int) -> CsvRows:
        return CsvRows(self.text, skip, self.end, self.width)

    def filled(self, skip: int) -> set[int]:
        """The columns holding a value in a row from `skip` on (`skip` <= HEAD_ROWS)."""
        out = set(self.filled_from)
        for row in self.head[skip:]:
            out.update(j for j, c in enumerate(row) if c is not None and c.strip())
        return out


def scan(path: Path) -> Scan:
    """Read and check a CSV export in one pass (see the module docstring); `Refused`
    for a file that is not UTF-8 CSV within the limits, as `csv_rows` words it."""
    label = str(path)
    text = decode(read_file(path, label, MAX_TABLE_BYTES), label)
    head: list[list[str]] = []
    end = width = widest = 0
    filled_from: dict[int, int] = {}
    pending: list[int] = []  # columns not yet seen holding a value below the headers
    reader = csv.reader(_lines(text), strict=True)
    try:
        for k, row in enumerate(reader):
            if k >= MAX_ROWS:
                raise Refused(Problem(label, f"has more than {MAX_ROWS} lines", MAX_ROWS + 1))
            if len(row) > widest:
                if len(row) > MAX_COLUMNS:
                    raise Refused(Problem(label, f"has more than {MAX_COLUMNS} columns", k + 1))
                pending += range(widest, len(row))
                widest = len(row)
            if k < HEAD_ROWS:
                head.append(row)
            elif pending:
                hit = [j for j in pending if j < len(row) and row[j].strip()]
                if hit:
                    filled_from.update((j, k) for j in hit)
                    pending = [j for j in pending if j not in filled_from]
            if any(c.strip() for c in row):
                end, width = k + 1, widest
    except csv.Error as exc:
        csv_break(text, label)
        raise Refused(Problem(label, f"is not readable CSV ({exc})")) from None
    return Scan(text, [_cells(r, width) for r in head[:end]], end, width, filled_from)
