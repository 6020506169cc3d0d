"""CSV text read by the csv module in strict mode, bounded."""

from __future__ import annotations

import csv
import io
import itertools

from paos.base.files import Refused
from paos.base.limits import MAX_ROWS
from paos.errors import Problem


def csv_rows(text: str, label: str) -> list[list[str]]:
    """The rows of CSV text, read by the csv module in strict mode; `Refused` (with
    the line) for a quote that never closes or closes mid-field, a field longer than
    csv's limit, or more than `MAX_ROWS` lines."""
    try:
        rows = list(
            itertools.islice(csv.reader(io.StringIO(text, newline=""), strict=True), MAX_ROWS + 1)
        )
    except csv.Error as exc:
        csv_break(text, label)
        raise Refused(Problem(label, f"is not readable CSV ({exc})")) from None
    if len(rows) > MAX_ROWS:
        raise Refused(Problem(label, f"has more than {MAX_ROWS} lines", MAX_ROWS + 1))
    return rows


def csv_break(text: str, label: str) -> None:
    """Read CSV text again row by row to say where and how it breaks (`Refused`)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line, start = 1, 1  # spreadsheet line and text line of the next row
    try:
        for _ in reader:
            line, start = line + 1, reader.line_num + 1
    except csv.Error as exc:
        text_line = f" (text line {start})" if start != line else ""
        msg = str(exc)
        if "unexpected end of data" in msg:
            rule = (
                f"has an unclosed quote starting on line {line}{text_line}: every row "
                "after it would be read as one field; close the quote"
            )
        elif "expected after" in msg:
            rule = (
                f"has a field quoted from line {line}{text_line} whose closing quote on "
                f"text line {reader.line_num} is followed by more text; a quote inside "
                'a quoted field is written twice ("")'
            )
        elif "field larger than field limit" in msg:
            rule = (
                f"has a field longer than {csv.field_size_limit()} characters (csv's "
                "limit; often a quote that is never closed)"
            )
        else:
            rule = f"is not readable CSV ({msg})"
        raise Refused(Problem(label, rule, line)) from None
