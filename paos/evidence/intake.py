"""Stage 1: read an engagement (folder of CSV + engagement.yaml, or one workbook:
.xlsx, .xlsm, .ods or .xls) into raw string tables that remember where every cell
came from.

Nothing is interpreted here beyond layout: values stay text, blank cells
become null, each row keeps its spreadsheet line (header = line 1). Problems
with the files themselves (missing, not UTF-8, ragged rows, bad YAML) are
collected, never raised one at a time.

This module knows the engagement's layout (which files and sheets, the meta data,
the lookup and note columns); the safe readers it uses are in `paos.base` (bounded
reads `files`, `yaml_events`, `csv_rows`, `tables`, `workbook`, `workbook_scan`;
the limits in `limits`). Reading refuses rather than guesses, and its cost is
bounded by the limits
(README "What PAOS protects against"): only regular files are opened, each up to
a size, and nothing outside the engagement folder (a symbolic link in it that
resolves outside is refused; a workbook given as the engagement is one file, read
wherever a link to it points, since it names its own client); CSV goes through the csv module in strict mode, so an unclosed quote or a
short row is a problem, never swallowed or padded rows; YAML is read as parser
events, so no alias is expanded, no tag constructed and every value stays the
text written; a workbook's zip parts are checked for size and ratio before
openpyxl or calamine inflates them, and an .ods or .xls file is scanned for the
extent of its sheets and its formulas before calamine reads it (see
`paos.base.workbook`).

No cell is dropped silently: a value under a blank header (or right of the last
one in a sheet) is refused, and so is (in `validate`) a column or key the format
does not know. In a workbook, paos reads the values typed, never a formula: the
lookup columns `paos new` writes beside the input columns (`LOOKUP_COLUMNS`, known by
their header) and the engagement sheet's `note` column are ignored whatever they
hold, and a formula anywhere else is refused ("paste values"). The value a formula
last showed is not used: a workbook written by a script holds none, and one saved
before recalculation holds a stale one, so what paos scored could differ from what
the analyst saw.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paos.base.csv_rows import csv_rows
from paos.base.files import Refused, decode, read_file
from paos.base.limits import MAX_META_BYTES, MAX_TABLE_BYTES, MAX_WORKBOOK_BYTES
from paos.base.problems import capped_kinds, listed
from paos.base.tables import FORMULA, NO_HEADER, Table, column_label, filled, table_from_rows
from paos.base.workbook import is_workbook, open_book, unreadable
from paos.base.yaml_events import read_yaml
from paos.errors import Problem

TABLES = ("stakeholders", "ratings", "metrics")
SIGNAL_LIKE = re.compile(r"^[A-Za-z]+-\d+$")
WIDE_EVIDENCE = re.compile(r"^([A-Za-z]+-\d+)_evidence$", re.IGNORECASE)
# The columns `paos new` writes beside the input columns of a sheet (lookups of the
# signals and lists sheets, notes): recognised by their header and ignored, whatever
# they hold. Every other column of a sheet is an input column.
LOOKUP_COLUMNS = {"ratings": ("question", "rubric"), "metrics": ("about",)}
NOTE_COLUMN = "note"  # the engagement sheet's `key | value | note`


@dataclass
class RawEngagement:
    """Everything read from one engagement source, before validation."""

    source: Path
    meta: dict[str, object] = field(default_factory=dict)
    meta_lines: dict[str, int] = field(default_factory=dict)
    meta_file: str = ""
    meta_sheet: str | None = None
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256)
    unreadable: bool = False  # nothing could be read: skip content checks
    faults: list[Problem] = field(default_factory=list)  # of the environment (exit 1)
    meta_unread: bool = False  # the meta data is there but refused: no key to check
    # Cells refused as they are (a formula, a control character): other rules do not
    # report them again (see `cascade`).
    cell_refusals: set[Problem] = field(default_factory=set)

    def refused(self, err: Refused) -> None:
        self.problems.append(err.problem)
        if err.fault:
            self.faults.append(err.problem)

    def refuse_cells(self, problems: list[Problem]) -> None:
        """Refuse these cells; every other problem at one of them is left out."""
        self.problems += problems
        self.cell_refusals.update(problems)


def read_csv(path: Path, label: str, raw: RawEngagement) -> Table | None:
    """Read one CSV file (UTF-8, optional BOM) of the engagement folder `raw.source`
    into a string table (a link out of the folder is refused); its problems go to
    `raw`, its digest to `raw.files`."""
    try:
        data = read_file(path, label, MAX_TABLE_BYTES, raw.source)
        raw.files.append((path.name, hashlib.sha256(data).hexdigest()))
        rows = csv_rows(decode(data, label), label)
    except Refused as err:
        raw.refused(err)
        return None
    return table_from_rows(label, None, rows, raw.problems, exact=True)


def _yaml_meta(path: Path, label: str, raw: RawEngagement) -> None:
    """engagement.yaml: one mapping of `key: value` lines, each value the text written."""
    try:
        data = read_file(path, label, MAX_META_BYTES, raw.source)
        raw.files.append((path.name, hashlib.sha256(data).hexdigest()))
        tree, lines, problems = read_yaml(decode(data, label), label)
    except Refused as err:
        raw.refused(err)
        raw.meta_unread = True
        return
    raw.problems += problems
    if not isinstance(tree, dict):
        if tree is not None or not problems:
            raw.problems.append(Problem(label, "must be a mapping of key: value lines", 1))
        raw.meta_unread = True
        return
    for key, value in tree.items():
        name, line = key.strip().lower(), lines.get(key, 1)
        if name in raw.meta_lines:
            raw.problems.append(
                Problem(label, f"appears twice (first on line {raw.meta_lines[name]})", line, name)
            )
            continue
        raw.meta_lines[name] = line
        if isinstance(value, dict | list):
            kind = "a mapping" if isinstance(value, dict) else "a list"
            raw.problems.append(Problem(label, f"must be a single value, not {kind}", line, name))
            value = None
        raw.meta[name] = value if value is not None and value.strip() else None


def read_folder(folder: Path) -> RawEngagement:
    """Read an engagement folder: engagement.yaml plus the CSV tables. A file that is
    there in any form (a folder, a pipe, a broken link) is read or refused, never
    skipped as if it were missing."""
    raw = RawEngagement(folder)
    meta = folder / "engagement.yaml"
    raw.meta_file = str(meta)
    if os.path.lexists(meta):
        _yaml_meta(meta, str(meta), raw)
    else:
        raw.problems.append(Problem(str(meta), "required file is missing"))
    for name in TABLES:
        path = folder / f"{name}.csv"
        if os.path.lexists(path):
            table = read_csv(path, str(path), raw)
            if table is not None:
                raw.tables[name] = table
    return raw


def _sheets(sheet_names: list[str], path: Path, problems: list[Problem]) -> dict[str, str | None]:
    """The workbook's sheet names by normalised name; two sheets that read the same
    are refused (None), naming both, rather than one of them chosen silently."""
    names: dict[str, list[str]] = {}
    for name in sheet_names:
        names.setdefault(name.strip().lower(), []).append(name)
    out: dict[str, str | None] = {}
    for key, group in names.items():
        if len(group) > 1 and key in ("engagement", *TABLES):
            shown = " and ".join("'" + g + "'" for g in group)
            problems.append(
                Problem(
                    str(path),
                    f"has sheets {shown} that both read as the "
                    f"{key} sheet; rename or remove all but one",
                )
            )
            out[key] = None
        else:
            out[key] = group[0]
    return out


def _sheet_table(
    path: Path,
    name: str,
    rows: list[list[str | None]],
    formulas: list[tuple[int, int, str]],
    raw: RawEngagement,
) -> Table | None:
    """One table sheet: the lookup columns `paos new` writes beside the input columns
    are ignored (found by their header), a formula anywhere else is refused."""
    head = [(c or "").strip().lower() for c in rows[0]] if rows else []
    ignored = {j for j, h in enumerate(head) if h in LOOKUP_COLUMNS.get(name, ())}
    for row in rows if ignored else ():
        for j in ignored:
            if j < len(row):
                row[j] = None
    label = lambda j: head[j] if j < len(head) and head[j] else column_label(j, name)  # noqa: E731
    raw.refuse_cells(
        listed(
            [
                Problem(str(path), FORMULA, line, label(j), text, name)
                for line, j, text in formulas
                if j not in ignored
            ],
            "a formula",
        )
    )
    return table_from_rows(str(path), name, rows, raw.problems)


def read_workbook(path: Path) -> RawEngagement:
    """Read a single workbook (.xlsx, .xlsm, .ods or .xls) with sheets engagement,
    stakeholders, ratings, metrics. Whatever is wrong with the file (not a zip, a
    damaged part, a zip bomb, an .ods or .xls sheet over the limits) is one problem,
    never a traceback."""
    raw = RawEngagement(path, meta_file=str(path), meta_sheet="engagement")
    try:
        data = read_file(path, str(path), MAX_WORKBOOK_BYTES)
    except Refused as err:
        raw.refused(err)
        raw.unreadable = True
        return raw
    raw.files.append((path.name, hashlib.sha256(data).hexdigest()))
    try:
        book = open_book(data, path)
        try:
            sheets = _sheets(book.names, path, raw.problems)
            for name in ("engagement", *TABLES):
                sheet = sheets.get(name)
                if sheet is None:
                    raw.meta_unread |= name == "engagement" and name in sheets
                    continue
                try:
                    rows, formulas = book.rows(sheet, str(path), name)
                except Refused as err:
                    raw.refused(err)
                    raw.meta_unread |= name == "engagement"
                    continue
                if name == "engagement":
                    _sheet_meta(rows, formulas, raw)
                else:
                    table = _sheet_table(path, name, rows, formulas, raw)
                    if table is not None:
                        raw.tables[name] = table
        finally:
            book.close()
    except Refused as err:  # an .ods or .xls sheet over the limits: nothing is read
        raw.refused(err)
        raw.unreadable = True
        raw.tables.clear()
        return raw
    except Exception as exc:  # noqa: BLE001 - any damage a reader or zipfile meets
        raw.problems.append(unreadable(path, exc))
        raw.unreadable = True
        raw.tables.clear()
        return raw
    if "engagement" not in sheets:
        raw.problems.append(Problem(str(path), "required sheet 'engagement' is missing"))
    return raw


def _sheet_meta(
    rows: list[list[str | None]], formulas: list[tuple[int, int, str]], raw: RawEngagement
) -> None:
    """The engagement sheet: `key | value` rows (with the `note` column `paos new`
    writes beside them, ignored), or a header row of keys and one value row. Every
    other filled cell is refused: a value without a key, a column without a known
    header, a second value row, a formula."""
    if not rows:
        return
    head = [(c or "").strip().lower() for c in rows[0]]
    where: dict[str, Any] = {"sheet": raw.meta_sheet}
    file = raw.meta_file
    letter = lambda j: column_label(j, raw.meta_sheet)  # noqa: E731
    found: list[Problem] = []
    refused: list[Problem] = []
    if head[:2] == ["key", "value"]:
        notes = {j for j, h in enumerate(head) if h == NOTE_COLUMN and j > 1}
        for j, h in enumerate(head):
            if j > 1 and h and j not in notes:
                found.append(
                    Problem(
                        file,
                        "is not a known column of the engagement sheet "
                        f"(known: key, value, {NOTE_COLUMN})",
                        1,
                        h,
                        **where,
                    )
                )
        keys: dict[int, str] = {}
        for i, row in enumerate(rows[1:], start=2):
            key = (row[0] or "").strip().lower() if row else ""
            if key:
                keys[i] = key
                if key in raw.meta_lines:
                    found.append(
                        Problem(
                            file,
                            f"appears twice (first on line {raw.meta_lines[key]})",
                            i,
                            key,
                            **where,
                        )
                    )
                    continue
                raw.meta[key] = row[1] if len(row) > 1 else None
                raw.meta_lines[key] = i
            elif len(row) > 1 and filled(row[1]):
                found.append(Problem(file, "has a value but no key", i, "value", row[1], **where))
            found += [
                Problem(file, NO_HEADER, i, letter(j), row[j], **where)
                for j in range(2, len(row))
                if filled(row[j]) and j not in notes and not (j < len(head) and head[j])
            ]
        for line, j, text in formulas:
            if j not in notes:
                column = keys.get(line, "value") if j == 1 and line > 1 else letter(j)
                refused.append(Problem(file, FORMULA, line, column, text, **where))
    else:
        values = rows[1] if len(rows) > 1 else []
        for j, key in enumerate(head):
            if key:
                if key in raw.meta_lines:
                    found.append(Problem(file, "appears twice in the header", 1, key, **where))
                    continue
                raw.meta[key] = values[j] if j < len(values) else None
                raw.meta_lines[key] = 2
        found += [
            Problem(file, "has a value but no key", 2, letter(j), values[j], **where)
            for j in range(len(values))
            if filled(values[j]) and not (j < len(head) and head[j])
        ]
        found += [
            Problem(
                file,
                "is a second row of values; the engagement sheet holds one "
                "row of values under its header of keys",
                i,
                **where,
            )
            for i, row in enumerate(rows[2:], start=3)
            if any(map(filled, row))
        ]
        for line, j, text in formulas:
            key = head[j] if line == 2 and j < len(head) and head[j] else letter(j)
            refused.append(Problem(file, FORMULA, line, key, text, **where))
    raw.problems += capped_kinds(found)
    raw.refuse_cells(listed(refused, "a formula"))


def read_engagement(source: str | Path) -> RawEngagement:
    """Read a folder or a workbook (.xlsx, .xlsm, .ods, .xls); a missing source is
    itself a problem. Never raises for what is on disk: every refusal is a problem of
    the result."""
    path = Path(source)
    if path.is_dir():
        return read_folder(path)
    if is_workbook(path) and os.path.lexists(path):
        return read_workbook(path)
    raw = RawEngagement(path, unreadable=True)
    rule = (
        "is not an engagement folder or workbook (.xlsx, .xlsm, .ods, .xls)"
        if path.exists()
        else "does not exist"
    )
    raw.problems.append(Problem(str(path), rule))
    return raw


def read_meta(source: str | Path) -> RawEngagement:
    """Only the engagement's meta data (engagement.yaml or the `engagement` sheet):
    enough to know its id cheaply, e.g. to find duplicate ids across a portfolio.
    Whatever cannot be read is left for the full read to report."""
    path = Path(source)
    raw = RawEngagement(path)
    if path.is_dir():
        raw.meta_file = str(path / "engagement.yaml")
        if os.path.lexists(path / "engagement.yaml"):
            _yaml_meta(path / "engagement.yaml", raw.meta_file, raw)
    elif is_workbook(path) and os.path.lexists(path):
        raw.meta_file, raw.meta_sheet = str(path), "engagement"
        try:
            book = open_book(read_file(path, str(path), MAX_WORKBOOK_BYTES), path)
            try:
                sheets = _sheets(book.names, path, raw.problems)
                sheet = sheets.get("engagement")
                if sheet is not None:
                    _sheet_meta(*book.rows(sheet, str(path), "engagement"), raw)
            finally:
                book.close()
        except Exception:  # noqa: BLE001 - unreadable: the full read reports it
            pass
    return raw
