"""Stage 1: read an engagement (folder of CSV + engagement.yaml, or one .xlsx
workbook) into raw string tables that remember where every cell came from.

Nothing is interpreted here beyond layout: values stay text, blank cells
become null, each row keeps its spreadsheet line (header = line 1). Problems
with the files themselves (missing, not UTF-8, ragged rows, bad YAML) are
collected, never raised one at a time.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from paos.errors import Problem

TABLES = ("stakeholders", "ratings", "metrics")
SIGNAL_LIKE = re.compile(r"^[A-Za-z]+-\d+$")


class _TextLoader(yaml.SafeLoader):
    """YAML without implicit dates: every scalar date stays text for validation."""


_TextLoader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@dataclass
class Table:
    """A table as read: string columns (lower-case headers) plus `_line`."""

    file: str
    sheet: str | None
    frame: pl.DataFrame
    header: list[str]

    def problem(self, rule: str, line: int | None = None, column: str | None = None,
                value: object | None = None) -> Problem:
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
    files: list[tuple[str, str]] = field(default_factory=list)   # (name, sha256)
    unreadable: bool = False      # nothing could be read: skip content checks


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


def _frame(file: str, sheet: str | None, rows: list[list[str | None]],
           problems: list[Problem]) -> Table | None:
    """Build a string table from a header row and data rows (row i is line i + 1)."""
    if not rows or not any(c is not None for c in rows[0]):
        problems.append(Problem(file, "has no header row", 1, None, None, sheet))
        return None
    raw_header = rows[0]
    while raw_header and raw_header[-1] is None:
        raw_header = raw_header[:-1]
    header = [(h or "").strip().lower() for h in raw_header]
    width = len(header)
    cols: list[list[str | None]] = [[] for _ in range(width)]
    lines: list[int] = []
    for i, row in enumerate(rows[1:], start=2):
        extra = [c for c in row[width:] if c is not None]
        if extra:
            problems.append(Problem(file, f"has {len(row)} fields but the header has {width}",
                                    i, None, None, sheet))
            continue
        if not any(c is not None for c in row[:width]):
            continue                                    # blank line
        row = list(row[:width]) + [None] * (width - len(row))
        for j in range(width):
            cols[j].append(row[j])
        lines.append(i)
    seen: dict[str, int] = {}
    data: dict[str, list] = {}
    for j, name in enumerate(header):
        if not name:
            continue
        if name in seen:
            problems.append(Problem(file, "appears twice in the header", 1, name, None, sheet))
            continue
        seen[name] = j
        data[name] = cols[j]
    frame = pl.DataFrame({**{k: pl.Series(k, v, dtype=pl.String) for k, v in data.items()},
                          "_line": pl.Series("_line", lines, dtype=pl.Int32)})
    return Table(file, sheet, frame, [h for h in header if h])


def _decode(path: Path, label: str, problems: list[Problem]) -> str | None:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(Problem(label, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                                f"character {col}); save the file as UTF-8", line))
        return None


def read_csv(path: Path, label: str, problems: list[Problem]) -> Table | None:
    """Read one CSV file (UTF-8, optional BOM) into a string table."""
    text = _decode(path, label, problems)
    if text is None:
        return None
    rows = [[c if c.strip() else None for c in row]
            for row in csv.reader(io.StringIO(text, newline=""))]
    return _frame(label, None, rows, problems)


def _yaml_meta(path: Path, label: str, raw: RawEngagement) -> None:
    text = _decode(path, label, raw.problems)
    if text is None:
        return
    try:
        node = yaml.compose(text, Loader=_TextLoader)
        data = yaml.load(text, Loader=_TextLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raw.problems.append(Problem(label, f"is not valid YAML ({getattr(exc, 'problem', exc)})",
                                    mark.line + 1 if mark else None))
        return
    if not isinstance(data, dict):
        raw.problems.append(Problem(label, "must be a mapping of key: value lines", 1))
        return
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value} if node else {}
    for key, value in data.items():
        raw.meta[str(key).strip().lower()] = _cell(value) if not isinstance(value, str) \
            else (value if value.strip() else None)
        raw.meta_lines[str(key).strip().lower()] = lines.get(key, 1)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_folder(folder: Path) -> RawEngagement:
    """Read an engagement folder: engagement.yaml plus the CSV tables."""
    raw = RawEngagement(folder)
    meta = folder / "engagement.yaml"
    raw.meta_file = str(meta)
    if meta.is_file():
        raw.files.append(("engagement.yaml", _digest(meta)))
        _yaml_meta(meta, str(meta), raw)
    else:
        raw.problems.append(Problem(str(meta), "required file is missing"))
    for name in TABLES:
        path = folder / f"{name}.csv"
        if path.is_file():
            raw.files.append((path.name, _digest(path)))
            table = read_csv(path, str(path), raw.problems)
            if table is not None:
                raw.tables[name] = table
    return raw


def read_workbook(path: Path) -> RawEngagement:
    """Read a single .xlsx workbook with sheets engagement, stakeholders, ratings, metrics."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    raw = RawEngagement(path, meta_file=str(path), meta_sheet="engagement")
    raw.files.append((path.name, _digest(path)))
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raw.problems.append(Problem(str(path), f"is not a readable .xlsx workbook ({exc})"))
        raw.unreadable = True
        return raw
    sheets = {name.strip().lower(): wb[name] for name in wb.sheetnames}
    for name in ("engagement", *TABLES):
        if name not in sheets:
            continue
        rows = [_sheet_row(row) for row in sheets[name].iter_rows()]
        if name == "engagement":
            _sheet_meta(rows, raw)
        else:
            table = _frame(str(path), name, rows, raw.problems)
            if table is not None:
                raw.tables[name] = table
    if "engagement" not in sheets:
        raw.problems.append(Problem(str(path), "required sheet 'engagement' is missing"))
    wb.close()
    return raw


def _sheet_row(cells) -> list[str | None]:
    """A sheet row as text. A row holding nothing but formulas (the lookup columns
    `paos new` pre-fills beside the input columns) is a blank line."""
    values = [_cell(getattr(c, "value", None)) for c in cells]
    if all(v is None or getattr(c, "data_type", None) == "f" for c, v in zip(cells, values)):
        return [None] * len(values)
    return values


def _sheet_meta(rows: list[list[str | None]], raw: RawEngagement) -> None:
    """The engagement sheet: `key | value` rows, or a header row and one value row."""
    if not rows:
        return
    head = [(c or "").strip().lower() for c in rows[0]]
    if head[:2] == ["key", "value"]:
        for i, row in enumerate(rows[1:], start=2):
            if row and row[0]:
                key = row[0].strip().lower()
                raw.meta[key] = row[1] if len(row) > 1 else None
                raw.meta_lines[key] = i
    elif len(rows) > 1:
        for j, key in enumerate(head):
            if key:
                raw.meta[key] = rows[1][j] if j < len(rows[1]) else None
                raw.meta_lines[key] = 2


def read_engagement(source: str | Path) -> RawEngagement:
    """Read a folder or an .xlsx workbook; a missing source is itself a problem."""
    path = Path(source)
    if path.is_dir():
        return read_folder(path)
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_workbook(path)
    raw = RawEngagement(path, unreadable=True)
    rule = ("is not an engagement folder or .xlsx workbook" if path.exists()
            else "does not exist")
    raw.problems.append(Problem(str(path), rule))
    return raw


def wide_to_long(table: Table, signal_ids: list[str]) -> tuple[Table, Table, list[Problem]]:
    """Split a wide ratings table (one row per stakeholder, one column per signal)
    into a long ratings table and the stakeholders it carries. Every long row keeps
    its line and the name of the column its rating came from (`_rating_col`).
    """
    problems: list[Problem] = []
    canon = {s.lower(): s for s in signal_ids}
    signal_cols: dict[str, str] = {}
    for h in table.header:
        if h in canon:
            signal_cols[canon[h]] = h
        elif SIGNAL_LIKE.match(h):
            problems.append(table.problem("is not a known signal id (column header)", 1, h, h))
    f = table.frame
    parts = []
    for sid, col in signal_cols.items():
        ev = f"{col}_evidence"
        parts.append(f.select(
            "stakeholder_id" if "stakeholder_id" in f.columns else pl.lit(None, pl.String)
            .alias("stakeholder_id"),
            pl.lit(sid).alias("signal_id"), pl.col(col).alias("rating"),
            (pl.col(ev) if ev in f.columns else pl.lit(None, pl.String)).alias("evidence"),
            pl.lit(None, pl.String).alias("source"), "_line",
            pl.lit(col.upper()).alias("_rating_col")))
    long = pl.concat(parts) if parts else pl.DataFrame(
        schema={"stakeholder_id": pl.String, "signal_id": pl.String, "rating": pl.String,
                "evidence": pl.String, "source": pl.String, "_line": pl.Int32,
                "_rating_col": pl.String})
    people = f.select([c for c in ("stakeholder_id", "role", "perspective", "function", "name")
                       if c in f.columns] + ["_line"])
    header = ["stakeholder_id", "signal_id", "rating", "evidence", "source"]
    return (Table(table.file, table.sheet, long, header),
            Table(table.file, table.sheet, people, [c for c in people.columns if c != "_line"]),
            problems)


def read_meta(source: str | Path) -> RawEngagement:
    """Only the engagement's meta data (engagement.yaml or the `engagement` sheet):
    enough to know its id cheaply, e.g. to find duplicate ids across a portfolio."""
    path = Path(source)
    raw = RawEngagement(path)
    if path.is_dir():
        raw.meta_file = str(path / "engagement.yaml")
        if (path / "engagement.yaml").is_file():
            _yaml_meta(path / "engagement.yaml", raw.meta_file, raw)
    elif path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        from openpyxl import load_workbook
        raw.meta_file, raw.meta_sheet = str(path), "engagement"
        try:
            wb = load_workbook(path, read_only=True, data_only=False)
            names = {n.strip().lower(): n for n in wb.sheetnames}
            if "engagement" in names:
                _sheet_meta([_sheet_row(r) for r in wb[names["engagement"]].iter_rows()], raw)
            wb.close()
        except Exception:  # unreadable: the full read reports it
            pass
    return raw
