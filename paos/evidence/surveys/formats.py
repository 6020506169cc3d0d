"""Survey exports as paos reads them: which tool wrote the file, and its header rows
turned into columns (header text, question id, sub-row) over the response rows.

Recognised by their header rows alone, never by the file name (each tool's record
is in `tools`):

- Qualtrics CSV: a row of column ids (`StartDate`, `ResponseId`, `Q1`, `Q1_TEXT`),
  a row of question texts and (the current form) a row of `{"ImportId": ...}`;
  the legacy form has the first two rows only.
- Google Forms CSV: `Timestamp` first, one column per question headed by its text,
  grid rows as `Question [Row]`.
- Microsoft Forms (.xlsx): `ID`, `Start time`, `Completion time`, `Email`, `Name`.
- SurveyMonkey (CSV or .xlsx): `Respondent ID`, `Collector ID`, ... (or the older
  spelling `RespondentID`, `CollectorID`, `StartDate`, ...) and a second header row
  (`Response`, `Open-Ended Response` or the option labels) under each question, whose text heads only its first column.
- PAOS's wide layout: `stakeholder_id`, `role`, a column per signal id.

Anything else with one header row is read as a plain table whose every column needs
a meaning (`--mapping`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from paos.base.csv_rows import csv_rows
from paos.base.files import Refused, decode, read_file
from paos.base.limits import MAX_COLUMNS, MAX_TABLE_BYTES
from paos.base.tables import column_label
from paos.base.workbook import WORKBOOK_SUFFIXES, workbook_sheets
from paos.errors import Problem
from paos.evidence.surveys import stream
from paos.evidence.surveys.tools import BY_KEY, SINGLE_COLUMN_SUBS, SurveyTool, recognise
from paos.evidence.vocabulary import normalise


@dataclass(frozen=True)
class Column:
    """One column of an export: where it is, what heads it, how messages name it."""

    index: int
    text: str  # the question text (Qualtrics: its row 2; SurveyMonkey: the question)
    qid: str | None = None  # Qualtrics column id (Q5, Q5_TEXT, FIT-01)
    sub: str | None = None  # SurveyMonkey's second header row for this column
    letter: str = ""  # as the file shows it: A, B, ... in a sheet, 1, 2, ... in a CSV

    @property
    def key(self) -> str:
        """The column's name in messages and in a mapping file: the Qualtrics id, the
        header text, or `question [option]` under a SurveyMonkey option row."""
        if self.qid:
            return self.qid
        if self.sub and normalise(self.sub) not in SINGLE_COLUMN_SUBS:
            return f"{self.text} [{self.sub}]" if self.text else self.sub
        return self.text or f"column {self.letter}"

    @property
    def words(self) -> str:
        """All header text of the column, for matching."""
        return " ".join(p for p in (self.qid, self.text, self.sub) if p)


@dataclass
class Export:
    """A survey export as read: its tool, columns and response rows."""

    path: Path
    label: str  # the file as messages name it (with the sheet when a workbook)
    tool: str
    columns: list[Column]
    # response rows, each as wide as `columns` (of a CSV export: parsed on each pass)
    rows: list[list[str | None]] | stream.CsvRows
    first_line: int  # the spreadsheet line of rows[0]
    sheet: str | None = None
    metadata: list[Column] = field(default_factory=list)  # ignored as the tool's own
    id_column: Column | None = None  # the tool's response id
    finished_column: Column | None = None  # Qualtrics `Finished`
    filled: set[int] = field(default_factory=set)  # columns with a value in a response row

    @property
    def survey_tool(self) -> SurveyTool:
        """The record of the tool that wrote the export (`tools.TOOLS`)."""
        return BY_KEY[self.tool]

    @property
    def tool_name(self) -> str:
        return self.survey_tool.name

    def problem(
        self, rule: str, line: int | None = None, column: str | None = None, value=None
    ) -> Problem:
        return Problem(self.label, rule, line, column, value, self.sheet)


def _text(cell: str | None) -> str:
    return (cell or "").strip()


def read_rows(
    path: Path, read: list[tuple[str, list[list[str | None]]]] | None = None
) -> tuple[list[list[str | None]], str | None]:
    """The rows of a CSV file or of a workbook's one sheet holding data (a workbook
    with responses on several sheets is refused: paos would not know which to read);
    `read`: the workbook's sheets when they were read already."""
    label = str(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        sheets = [
            (name, rows)
            for name, rows in (read if read is not None else workbook_sheets(path))
            if any(_text(c) for row in rows for c in row)
        ]
        if not sheets:
            raise Refused(Problem(label, "holds no data (every sheet is blank)"))
        if len(sheets) > 1:
            names = ", ".join(repr(n) for n, _ in sheets)
            raise Refused(
                Problem(
                    label,
                    f"holds data on {len(sheets)} sheets ({names}); an export has its "
                    "responses on one: delete the others or save that sheet on its own",
                )
            )
        return [list(r) for r in sheets[0][1]], sheets[0][0]
    text = decode(read_file(path, label, MAX_TABLE_BYTES), label)
    return [[c if c != "" else None for c in row] for row in csv_rows(text, label)], None


def _is_import_id(cell: str | None) -> bool:
    text = _text(cell)
    if not text.startswith("{"):
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and "ImportId" in value


def read_export(
    path: Path, sheets: list[tuple[str, list[list[str | None]]]] | None = None
) -> Export:
    """Read an export file and lay out its columns; `Refused` if it cannot be read.
    A CSV export is scanned once and its rows parsed again on each pass
    (`stream.CsvRows`), never held as lists; a workbook's rows are held as read
    (`sheets`: a workbook's sheets when they were read already)."""
    label = str(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        rows, sheet = read_rows(path, sheets)
        while rows and not any(_text(c) for c in rows[-1]):
            rows.pop()
        if not rows:
            raise Refused(Problem(label, "is empty"))
        width = max(len(r) for r in rows)
        if width > MAX_COLUMNS:
            raise Refused(
                Problem(label, f"has more than {MAX_COLUMNS} columns", 1, None, None, sheet)
            )
        rows = [r + [None] * (width - len(r)) for r in rows]
        scanned = None
    else:
        scanned, sheet = stream.scan(path), None
        if not scanned.end:
            raise Refused(Problem(label, "is empty"))
        rows, width = scanned.head, scanned.width
    tool = recognise([normalise(c) for c in rows[0]])
    letter = lambda j: column_label(j, sheet)  # noqa: E731
    if tool.header == "ids":
        three = len(rows) > 2 and any(_is_import_id(c) for c in rows[2])
        texts = rows[1] if len(rows) > 1 else [None] * width
        columns = [
            Column(
                j, _text(texts[j]) or _text(rows[0][j]), _text(rows[0][j]) or None, None, letter(j)
            )
            for j in range(width)
        ]
        skip = 3 if three else 2
    elif tool.header == "grouped":
        subs = rows[1] if len(rows) > 1 else [None] * width
        columns, current = [], ""
        for j in range(width):
            current = _text(rows[0][j]) or current
            columns.append(Column(j, current, None, _text(subs[j]) or None, letter(j)))
        skip = 2
    else:
        columns = [Column(j, _text(rows[0][j]), None, None, letter(j)) for j in range(width)]
        skip = 1
    if scanned is None:
        body: list[list[str | None]] | stream.CsvRows = rows[skip:]
        filled = {j for row in rows[skip:] for j, c in enumerate(row) if _text(c)}
    else:
        body, filled = scanned.rows(skip), scanned.filled(skip)
    export = Export(path, label, tool.key, columns, body, skip + 1, sheet, filled=filled)
    known = {normalise(m) for m in tool.metadata}
    for col in columns:
        name = normalise(col.qid if tool.header == "ids" else col.text)
        if name in known or (
            tool.metadata_prefix is not None and (col.qid or "").startswith(tool.metadata_prefix)
        ):
            export.metadata.append(col)
        if name in tool.response_id and export.id_column is None:
            export.id_column = col
        if tool.finished is not None and name == tool.finished:
            export.finished_column = col
    return export
