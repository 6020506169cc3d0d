"""Stage 1: read an engagement (folder of CSV + engagement.yaml, or one workbook:
.xlsx, .xlsm, .ods or .xls) into raw string tables that remember where every cell
came from.

Nothing is interpreted here beyond layout: values stay text, blank cells
become null, each row keeps its spreadsheet line (header = line 1). Problems
with the files themselves (missing, not UTF-8, ragged rows, bad YAML) are
collected, never raised one at a time.

Reading refuses rather than guesses, and its cost is bounded by the limits below
(README "What PAOS protects against"): only regular files are opened, each up to
a size, and nothing outside the engagement folder (a symbolic link in it that
resolves outside is refused; a workbook given as the engagement is one file, read
wherever a link to it points, since it names its own client); CSV goes through the csv module in strict mode, so an unclosed quote or a
short row is a problem, never swallowed or padded rows; YAML is read as parser
events, so no alias is expanded, no tag constructed and every value stays the
text written; a workbook's zip parts are checked for size and ratio before
openpyxl or calamine inflates them, and an .ods or .xls file is scanned for the
extent of its sheets and its formulas before calamine reads it (see "Workbooks"
below).

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

import csv
import datetime as dt
import errno
import hashlib
import io
import itertools
import os
import re
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from paos.errors import Problem, printable

TABLES = ("stakeholders", "ratings", "metrics")
SIGNAL_LIKE = re.compile(r"^[A-Za-z]+-\d+$")
WIDE_EVIDENCE = re.compile(r"^([A-Za-z]+-\d+)_evidence$", re.IGNORECASE)
# The columns `paos new` writes beside the input columns of a sheet (lookups of the
# signals and lists sheets, notes): recognised by their header and ignored, whatever
# they hold. Every other column of a sheet is an input column.
LOOKUP_COLUMNS = {"ratings": ("question", "rubric"), "metrics": ("about",)}
NOTE_COLUMN = "note"  # the engagement sheet's `key | value | note`
FORMULA = "holds a formula; paos reads values only \N{EM DASH} paste values"
NO_HEADER = "has a value but its column has no header"

# What one input may cost. Each is far above any real engagement.
MAX_TABLE_BYTES = 64 * 2**20  # one CSV file (at worst ~15x this in memory while parsed)
MAX_META_BYTES = 2**20  # engagement.yaml, an answers file, a rulebook
MAX_WORKBOOK_BYTES = 64 * 2**20  # one .xlsx/.xlsm/.ods/.xls file as stored
MAX_PART_BYTES = 32 * 2**20  # one part (file) of a workbook once inflated
MAX_PARTS_BYTES = 64 * 2**20  # all parts of a workbook once inflated (~30 s to read)
MAX_RATIO = 100  # inflated/compressed size of a part larger than RATIO_FROM
RATIO_FROM = 2**20
MAX_ROWS = 1_048_576  # lines of a table, header included (a spreadsheet's own)
MAX_COLUMNS = 1024  # columns of a table (CSV header or sheet)
MAX_CELLS = 10_000_000  # cells of a sheet, counting blanks up to each row's last
MAX_YAML_DEPTH = 16  # lists and mappings nested in YAML
MAX_REPORTED = 20  # problems of one kind per file listed; then one count line

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser if present

# Text paos refuses in a value: C0 and C1 control characters and DEL (they drive a
# terminal, break XML and SVG, and are invisible in a report), but tab, LF and CR;
# the characters XML cannot hold at all (U+FFFE, U+FFFF, lone surrogates: one in a
# stored industry once stopped the portfolio report of every engagement); and, in
# values that become labels, file names or chart text (ids, roles, perspectives,
# industry, stage), the bidirectional controls that reorder text around them.
# Evidence text may hold bidi controls: deliverables isolate it.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CONTROL_PL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x{9F}\x{FFFE}\x{FFFF}]"  # for polars


def unsafe_text(value: str, label: bool = False) -> str | None:
    """The rule a text value breaks by holding a control character (or, if it becomes
    a label, a bidirectional control), naming the first one and its position (from
    1); None if it holds none."""
    found = CONTROL.search(value)
    if found and found.group() >= "\ud800":
        return (
            f"holds a character that XML cannot hold ({printable(found.group())} at "
            f"position {found.start() + 1}); remove it"
        )
    if found:
        return (
            f"holds a control character ({printable(found.group())} at position "
            f"{found.start() + 1}); remove it"
        )
    found = BIDI.search(value) if label else None
    if found:
        return (
            f"holds a bidirectional control character ({printable(found.group())} at "
            f"position {found.start() + 1}); remove it: this value is shown as a label"
        )
    return None


@dataclass(eq=False)
class Refused(Exception):
    """A file that cannot be read: bad input (`fault` False) or a fault of the
    environment such as a permission (`fault` True)."""

    problem: Problem
    fault: bool = False


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def _os_refusal(path: Path, label: str, exc: OSError) -> Refused:
    if exc.errno == errno.ELOOP:
        return Refused(Problem(label, "is not a regular file (a symbolic link loop)"))
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        rule = (
            "is a symbolic link to a file that does not exist"
            if os.path.islink(path)
            else "does not exist"
        )
        return Refused(Problem(label, rule))
    if exc.errno == errno.ENAMETOOLONG:
        return Refused(Problem(label, "is not a usable path (name too long)"))
    hint = (
        "check its permissions"
        if exc.errno in (errno.EACCES, errno.EPERM)
        else "check the disk and the file"
    )
    return Refused(Problem(label, f"cannot be read ({exc.strerror or exc}); {hint}"), fault=True)


OUTSIDE = (
    "is a symbolic link to a file outside the engagement folder; paos reads nothing "
    "outside it: copy the file into the folder"
)
PSEUDO = (
    "is not a regular file (a system file whose size is not its content, such as "
    "those under /proc, or a file written while read)"
)


def outside(path: Path, folder: Path) -> bool:
    """Whether `path`, a file directly in `folder`, is a symbolic link that resolves
    (through any chain of links) outside `folder`: `clientA/ratings.csv ->
    ../clientB/ratings.csv` would score one client's evidence as another's. A link
    that stays inside the folder is read as the file it names."""
    if not os.path.islink(path):
        return False
    base = os.path.realpath(folder)
    return os.path.commonpath([base, os.path.realpath(path)]) != base


def read_file(path: Path, label: str, limit: int, folder: Path | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, else `Refused`.

    Anything but a regular file is refused before it is opened (a named pipe would
    block, a device never ends); the opened file is checked again, so a swap in
    between cannot slip through, and no more than `limit` bytes are ever read. A
    file whose content is not the size its file system gives (/proc, /sys: they
    pass as regular files) is refused, so its content is never parsed nor echoed.
    With `folder` (the engagement folder holding `path`), a symbolic link resolving
    outside it is refused unread (`outside`)."""
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise Refused(Problem(label, f"is not a regular file ({_kind(before.st_mode)})"))
        if folder is not None and outside(path, folder):
            raise Refused(Problem(label, OUTSIDE))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb", closefd=True) as fh:
            now = os.fstat(fh.fileno())
            if not stat.S_ISREG(now.st_mode):
                raise Refused(Problem(label, f"is not a regular file ({_kind(now.st_mode)})"))
            if now.st_size > limit:
                raise Refused(
                    Problem(
                        label,
                        f"is larger than {limit} bytes ({now.st_size}); "
                        "paos refuses files this large",
                    )
                )
            data = fh.read(limit + 1)
    except OSError as exc:
        raise _os_refusal(path, label, exc) from None
    if len(data) > limit:
        raise Refused(
            Problem(label, f"is larger than {limit} bytes; paos refuses files this large")
        )
    if len(data) != now.st_size:
        raise Refused(Problem(label, PSEUDO))
    return data


def more(first: Problem, count: int, kind: str) -> Problem:
    """The one line standing for `count` problems of one kind from `first` on (listed
    after the problems of its file)."""
    return Problem(
        first.file,
        f"... and {count} more rows from this line on: {kind} (only "
        f"the first {MAX_REPORTED} are listed)",
        first.line,
        first.column,
        None,
        first.sheet,
        summary=True,
    )


def listed(problems: list[Problem], kind: str) -> list[Problem]:
    """Problems of one kind in one file, in line order: the first `MAX_REPORTED` in
    full, the rest as one line counting them (so reporting stays linear)."""
    if len(problems) <= MAX_REPORTED:
        return problems
    rest = problems[MAX_REPORTED:]
    return [*problems[:MAX_REPORTED], more(rest[0], len(rest), kind)]


# --- YAML: parser events, never a constructor ------------------------------------


def read_yaml(
    text: str, label: str, nested: dict[tuple, int] | None = None
) -> tuple[object, dict[str, int], list[Problem]]:
    """YAML text as nested dicts and lists of text, read from the parser's events.

    Every scalar stays the text written (`007`, `yes`, `1.0` and `null` stay text; a
    blank plain value is None). Refused, with the line: an anchor or alias (never
    expanded, so an alias bomb costs nothing), a tag (never constructed), nesting
    deeper than `MAX_YAML_DEPTH`, a key that is not a plain value, more than one
    document (data is then None), and a key given twice in one mapping (its first
    value is kept). Returns (data, line of each top-level key, problems); `nested`, if
    given, receives the line of every key by its path (a tuple of keys)."""
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    stack: list[list] = []  # [container, key or _KEY, line of each key, path]
    root: list = []

    def refuse(line: int | None, rule: str, column: str | None = None):
        problems.append(Problem(label, rule, line, column))
        return None, lines, problems

    try:
        for event in yaml.parse(text, Loader=_SAFE_LOADER):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
                return refuse(
                    line,
                    f"uses a YAML anchor or alias ({sign}{event.anchor}); write each value itself",
                )
            if isinstance(event, yaml.DocumentStartEvent) and root:
                return refuse(line, "holds more than one YAML document")
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                continue
            if isinstance(event, yaml.ScalarEvent):
                if event.tag is not None:
                    return refuse(line, f"uses a YAML tag ({event.tag}); write plain values")
                value: object = event.value if event.value or event.style else None
            elif isinstance(event, yaml.CollectionStartEvent):
                if event.tag is not None:
                    return refuse(line, f"uses a YAML tag ({event.tag}); write plain values")
                if len(stack) >= MAX_YAML_DEPTH:
                    return refuse(
                        line, f"nests lists or mappings deeper than {MAX_YAML_DEPTH} levels"
                    )
                value = {} if isinstance(event, yaml.MappingStartEvent) else []
            else:
                continue
            if not stack:
                root.append(value)
            elif isinstance(stack[-1][0], list):
                stack[-1][0].append(value)
            elif stack[-1][1] is _KEY:
                if not isinstance(value, str | None):
                    return refuse(line, "has a key that is not a plain value")
                key = value or ""
                slot: object = key  # the key, or _DUPLICATE for a repeated one
                first = stack[-1][2].get(key)
                if first is not None:
                    problems.append(
                        Problem(label, f"appears twice (first on line {first})", line, key)
                    )
                    slot = _DUPLICATE
                else:
                    stack[-1][2][key] = line
                    if len(stack) == 1:
                        lines[key] = line
                    if nested is not None:
                        nested[(*stack[-1][3], key)] = line
                stack[-1][1] = slot
            else:
                path = (*stack[-1][3], stack[-1][1])
                if stack[-1][1] is not _DUPLICATE:
                    stack[-1][0][stack[-1][1]] = value
                stack[-1][1] = _KEY
            if isinstance(value, dict | list):
                if not stack:
                    path = ()
                elif isinstance(stack[-1][0], list):
                    path = (*stack[-1][3], len(stack[-1][0]) - 1)
                stack.append([value, _KEY, {}, path])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return refuse(
            mark.line + 1 if mark else None,
            f"is not valid YAML ({getattr(exc, 'problem', None) or exc})",
        )
    return (root[0] if root else None), lines, problems


_KEY, _DUPLICATE = object(), object()


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


def cascade(problems: list[Problem], refusals: set[Problem]) -> list[Problem]:
    """`problems` without those at a cell already refused as it is (`refusals`: the
    value is a formula or holds a control character, and one line says so)."""
    if not refusals:
        return problems
    key = lambda p: (p.file, p.sheet, p.line, (p.column or "").lower())  # noqa: E731
    cells = {key(p) for p in refusals if not p.summary}
    return [p for p in problems if p in refusals or key(p) not in cells]


def _cell(value: object) -> str | None:
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


def _filled(cell: str | None) -> bool:
    return cell is not None and cell.strip() != ""


def column_label(j: int, sheet: str | None) -> str:
    """The column at index `j` as the file shows it: a letter in a sheet, a number
    (from 1) in a CSV file."""
    if sheet is None:
        return str(j + 1)
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def _frame(
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
    head = [c if _filled(c) else None for c in rows[0]] if rows else []
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
                any(map(_filled, row[width:])) or len(row) < width and any(map(_filled, row))
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
            headless += [(i + 2, j, row[j]) for j in range(width, len(row)) if _filled(row[j])]
            if any(map(_filled, row[:width])):
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


def decode(data: bytes, label: str) -> str:
    """UTF-8 text (a byte-order mark is dropped), else `Refused` naming line and byte.
    A second byte-order mark would become part of the first header or key: refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise Refused(
            Problem(
                label,
                f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                f"character {col}); save the file as UTF-8",
                line,
            )
        ) from None
    if text.startswith("\ufeff"):
        raise Refused(
            Problem(
                label,
                "starts with two byte-order marks (U+FEFF); save it as UTF-8 with at most one",
                1,
            )
        )
    return text


def csv_rows(text: str, label: str) -> list[list[str]]:
    """The rows of CSV text, read by the csv module in strict mode; `Refused` (with
    the line) for a quote that never closes or closes mid-field, a field longer than
    csv's limit, or more than `MAX_ROWS` lines."""
    try:
        rows = list(
            itertools.islice(csv.reader(io.StringIO(text, newline=""), strict=True), MAX_ROWS + 1)
        )
    except csv.Error as exc:
        _csv_break(text, label)
        raise Refused(Problem(label, f"is not readable CSV ({exc})")) from None
    if len(rows) > MAX_ROWS:
        raise Refused(Problem(label, f"has more than {MAX_ROWS} lines", MAX_ROWS + 1))
    return rows


def _csv_break(text: str, label: str) -> None:
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
    return _frame(label, None, rows, raw.problems, exact=True)


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


def _zip_refusal(data: bytes) -> str | None:
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


def _open_workbook(data: bytes):
    """openpyxl's read-only workbook over checked bytes (raises on any damage)."""
    from openpyxl import load_workbook

    why = _zip_refusal(data)
    if why:
        raise ValueError(why)
    return load_workbook(io.BytesIO(data), read_only=True, data_only=False)


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
#   .xlsx/.xlsm  zip checked by `_zip_refusal`; openpyxl streams the rows; a formula
#                is a cell of type "f" (its text is shown).
#   .ods         zip checked by `_zip_refusal`; content.xml is read once by expat
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


@dataclass
class _Extent:
    """What a scan found in one sheet of an .ods or .xls file: the filled rows as
    runs (first line, number of lines, last filled column from 1) and the formula
    cells (line, column index, formula text)."""

    runs: list[tuple[int, int, int]] = field(default_factory=list)
    formulas: list[tuple[int, int, str]] = field(default_factory=list)


def _bound(extent: _Extent, label: str, name: str) -> None:
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


def _ods_scan(data: bytes) -> dict[str, _Extent]:
    """Each sheet of an .ods file by name with its extent and formulas, from one
    streaming read of content.xml (raises on any damage or zip bomb)."""
    from xml.parsers import expat

    why = _zip_refusal(data)
    if why:
        raise ValueError(why)
    sheets: dict[str, _Extent] = {}
    sheet: _Extent | None = None
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
            sheet = sheets[name] = _Extent()
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
    import struct

    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        yield kind, stream[pos + 4 : pos + 4 + size]
        pos += 4 + size


def _xls_scan(data: bytes) -> dict[str, _Extent]:
    """Each worksheet of an .xls (BIFF8) file by name with its extent and formula
    cells, from one walk of the Workbook stream's records (raises on any damage, an
    encrypted file or an Excel 5/95 one)."""
    import struct

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
    sheets: dict[str, _Extent] = {}
    for name, offset in found:
        if name in sheets:
            raise ValueError(f"two sheets named {name!r}")
        extent = sheets[name] = _Extent()
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


class _Book:
    """A workbook open for reading: its sheet names in order, and each sheet's rows
    as text with its formula cells ((line, column index, formula text) each)."""

    names: list[str]

    def rows(
        self, name: str, label: str, shown: str
    ) -> tuple[list[list[str | None]], list[tuple[int, int, str]]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _OpenpyxlBook(_Book):
    def __init__(self, data: bytes) -> None:
        self.wb = _open_workbook(data)
        self.names = list(self.wb.sheetnames)

    def rows(
        self, name: str, label: str, shown: str
    ) -> tuple[list[list[str | None]], list[tuple[int, int, str]]]:
        return _sheet_rows(self.wb[name], label, shown)

    def close(self) -> None:
        self.wb.close()


class _CalamineBook(_Book):
    def __init__(self, data: bytes, suffix: str, label: str) -> None:
        from python_calamine import CalamineWorkbook

        self.extents = _ods_scan(data) if suffix == ".ods" else _xls_scan(data)
        for name, extent in self.extents.items():
            _bound(extent, label, name)
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
            row = [_cell(v) for v in values]
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


def _open_book(data: bytes, path: Path, label: str | None = None) -> _Book:
    """The workbook in `data`, read as its suffix says; raises `Refused` for a sheet
    over the limits (.ods, .xls) and anything else on damage."""
    suffix = path.suffix.lower()
    if suffix in (".ods", ".xls"):
        return _CalamineBook(data, suffix, str(path) if label is None else label)
    return _OpenpyxlBook(data)


def _unreadable(
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
    as text (cells as `_cell` gives them: 3.0 is "3", dates ISO, blanks None; row i is
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
        book = _open_book(data, path, label)
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
        raise Refused(_unreadable(path, exc, sheet, label)) from None


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
        values = [_cell(getattr(c, "value", None)) for c in row]
        formulas += [
            (i, j, values[j] or "=")
            for j, c in enumerate(row)
            if getattr(c, "data_type", None) == "f"
        ]
        rows.append(values)
    return rows, formulas


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
    return _frame(str(path), name, rows, raw.problems)


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
        book = _open_book(data, path)
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
        raw.problems.append(_unreadable(path, exc))
        raw.unreadable = True
        raw.tables.clear()
        return raw
    if "engagement" not in sheets:
        raw.problems.append(Problem(str(path), "required sheet 'engagement' is missing"))
    return raw


def _reason(exc: Exception) -> str:
    """An exception from reading a damaged workbook, as a short phrase."""
    text = " ".join(str(exc).split())[:200]
    if isinstance(exc, ValueError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
            elif len(row) > 1 and _filled(row[1]):
                found.append(Problem(file, "has a value but no key", i, "value", row[1], **where))
            found += [
                Problem(file, NO_HEADER, i, letter(j), row[j], **where)
                for j in range(2, len(row))
                if _filled(row[j]) and j not in notes and not (j < len(head) and head[j])
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
            if _filled(values[j]) and not (j < len(head) and head[j])
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
            if any(map(_filled, row))
        ]
        for line, j, text in formulas:
            key = head[j] if line == 2 and j < len(head) and head[j] else letter(j)
            refused.append(Problem(file, FORMULA, line, key, text, **where))
    raw.problems += _capped_kinds(found)
    raw.refuse_cells(listed(refused, "a formula"))


def _capped_kinds(problems: list[Problem]) -> list[Problem]:
    """`listed` for each kind (rule) of problem in the list."""
    kinds: dict[str, list[Problem]] = {}
    for p in problems:
        kinds.setdefault(p.rule, []).append(p)
    return [q for rule, group in kinds.items() for q in listed(group, rule)]


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


PERSON_COLUMNS = ("stakeholder_id", "role", "perspective", "function", "name")


def wide_to_long(
    table: Table, signal_ids: list[str], stakeholders: bool = False
) -> tuple[Table, Table, list[Problem]]:
    """Split a wide ratings table (one row per stakeholder, one column per signal)
    into a long ratings table and the stakeholders it carries. Every long row keeps
    its line and the name of the column its rating came from (`_rating_col`).

    A wide table holds the stakeholder columns (`stakeholder_id`, `role` and the
    optional `perspective`, `function`, `name`), one column per signal id and
    `<signal id>_evidence` columns; any other column is refused, and so is an evidence
    column without its signal's column (its quotes would have no rating row). When a
    stakeholders table is given too (`stakeholders`), the people are read from it,
    so the wide table's person columns but `stakeholder_id` are refused."""
    problems: list[Problem] = []
    canon = {s.lower(): s for s in signal_ids}
    signal_cols: dict[str, str] = {}
    for h in table.header:
        evidence = WIDE_EVIDENCE.match(h)
        if h in canon:
            signal_cols[canon[h]] = h
        elif h in PERSON_COLUMNS:
            if stakeholders and h != "stakeholder_id":
                problems.append(
                    table.problem(
                        "is a stakeholder column, but the stakeholders table is given too; keep "
                        "each stakeholder's details in one place",
                        1,
                        h,
                    )
                )
        elif evidence and evidence.group(1).lower() in canon:
            if evidence.group(1).lower() not in table.header:
                problems.append(
                    table.problem(
                        f"holds evidence for {canon[evidence.group(1).lower()]}, which has no "
                        "rating column; add that column (a blank rating is allowed)",
                        1,
                        h,
                    )
                )
        elif SIGNAL_LIKE.match(h) or evidence:
            problems.append(table.problem("is not a known signal id (column header)", 1, h, h))
        else:
            problems.append(
                table.problem(
                    "is not a known column of wide ratings (known: stakeholder_id, role, "
                    "perspective, function, name, a column per signal id, <signal id>_evidence)",
                    1,
                    h,
                )
            )
    f = table.frame
    parts = []
    for sid, col in signal_cols.items():
        ev = f"{col}_evidence"
        parts.append(
            f.select(
                "stakeholder_id"
                if "stakeholder_id" in f.columns
                else pl.lit(None, pl.String).alias("stakeholder_id"),
                pl.lit(sid).alias("signal_id"),
                pl.col(col).alias("rating"),
                (pl.col(ev) if ev in f.columns else pl.lit(None, pl.String)).alias("evidence"),
                pl.lit(None, pl.String).alias("source"),
                "_line",
                pl.lit(col.upper()).alias("_rating_col"),
            )
        )
    long = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={
                "stakeholder_id": pl.String,
                "signal_id": pl.String,
                "rating": pl.String,
                "evidence": pl.String,
                "source": pl.String,
                "_line": pl.Int32,
                "_rating_col": pl.String,
            }
        )
    )
    people = f.select(
        [c for c in ("stakeholder_id", "role", "perspective", "function", "name") if c in f.columns]
        + ["_line"]
    )
    header = ["stakeholder_id", "signal_id", "rating", "evidence", "source"]
    return (
        Table(table.file, table.sheet, long, header),
        Table(table.file, table.sheet, people, [c for c in people.columns if c != "_line"]),
        problems,
    )


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
            book = _open_book(read_file(path, str(path), MAX_WORKBOOK_BYTES), path)
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
