"""The action plan a client returned (`actions.xlsx`, written by
`paos.deliverables.actions`): the status and owner recorded per gap, read back at the
re-assessment. It is the client's file, so it is read as evidence is: bounded, values
only, every problem one note."""

from __future__ import annotations

from pathlib import Path

from openpyxl.utils import get_column_letter

from paos.base.files import OUTSIDE, Refused, outside
from paos.base.limits import MAX_REPORTED
from paos.base.text import unsafe_text
from paos.base.workbook import workbook_sheets
from paos.errors import inline

ACTIONS_FILE = "actions.xlsx"
SHEET = "actions"  # the plan's only sheet
STATUSES = ("open", "in progress", "done")
_SCAN_ROWS = 20  # how far down the reader looks for the header row
# Rows with a signal id that a returned plan may hold: a plan has one per gap, and a
# rulebook has tens of signals. A larger plan is refused whole (one note), before
# any row is read: 50,000 rows of unknown ids once made 50,000 notes, 5.2 MB of
# `paos compare` and a follow-up PDF that could not be printed.
MAX_PLAN_ROWS = 1000


def _key(text: str | None) -> str:
    return " ".join((text or "").replace("_", " ").replace("-", " ").split()).casefold()


def _status(text: str | None) -> str | None:
    """A status as one of `STATUSES` (case, spaces, '-' and '_' ignored), '' when
    blank, None when it is none of them."""
    key = _key(text)
    if not key:
        return ""
    return next((s for s in STATUSES if _key(s) == key), None)


def _text(cell: str | None) -> str | None:
    text = (cell or "").strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # as paos neutralised it
    return text or None


def read_actions(
    path: str | Path,
    gaps: set[str] | list[str],
    engagement_id: str | None = None,
    folder: str | Path | None = None,
) -> tuple[dict[str, dict] | None, list[str]]:
    """The status and owner the client recorded per gap, and one note per problem.

    Returns ({signal id: {"status": "open" | "in progress" | "done" | None,
    "owner": text | None}}, notes). Only rows whose signal id is in `gaps` count.
    Never raises for the file's content: a file that cannot be read (missing,
    damaged, too large, a formula in any cell: paos reads values only, a control
    character or text that XML cannot hold, more than `MAX_PLAN_ROWS` rows with a
    signal id) gives None and one note; an unknown status is kept as None with a
    note; a row for a signal that is not a gap, a repeated row (the first counts) and
    a plan of another engagement (row 2's `engagement`, when present) are notes too.
    Notes of one kind are listed up to `MAX_REPORTED`, then one note counts the rest.

    With `folder` (the baseline folder the plan was found in), a symbolic link
    resolving outside it is not read (a note). Notes name the file by its name, never
    its folder: they reach the client's deliverable, which holds no local path. Every
    value from the file is escaped and isolated (`paos.errors.inline`) so none can
    reorder the note's words.
    """
    file_name = Path(path).name
    label = inline(file_name)
    if folder is not None and outside(Path(path), Path(folder)):
        return None, [f"{label}: {OUTSIDE}; statuses not read"]
    try:
        sheets = workbook_sheets(Path(path), file_name)
    except Refused as exc:
        return None, [f"{exc.problem.isolated()}; statuses not read"]
    except (OSError, ValueError) as exc:  # belt and braces: never crash a comparison
        why = getattr(exc, "strerror", None) or type(exc).__name__
        return None, [f"{label}: cannot be read ({why}); statuses not read"]
    if not sheets:
        return None, [f"{label}: has no sheet; statuses not read"]
    name, rows = next(((n, r) for n, r in sheets if n.strip().casefold() == SHEET), sheets[0])
    where = f"{label} (sheet {inline(name)})"
    head = None
    for i, row in enumerate(rows[:_SCAN_ROWS]):
        cells = [_key(c) for c in row]
        if cells and cells[0] == "engagement" and len(cells) > 1 and engagement_id:
            said = _text(row[1])
            if said and said != engagement_id:
                return None, [
                    f"{where} line {i + 1}: is the action plan of {inline(said)}, not of "
                    f"{inline(engagement_id)}; statuses not read"
                ]
        if "signal id" in cells and "status" in cells:
            head = i, {c: j for j, c in reversed(list(enumerate(cells))) if c}
            break
    if head is None:
        return None, [
            f"{where}: no header row with signal_id and status in its first "
            f"{_SCAN_ROWS} rows; statuses not read"
        ]
    at, cols = head
    gaps = set(gaps)
    found: dict[str, dict] = {}
    notes: dict[str, list[tuple[int, str]]] = {}  # kind -> (line, note), in row order

    def cell(row: list[str | None], col: str) -> str | None:
        j = cols.get(col)
        return _text(row[j]) if j is not None and j < len(row) else None

    table = [(i, row) for i, row in enumerate(rows[at + 1 :], start=at + 2)]
    table = [(i, row) for i, row in table if cell(row, "signal id") is not None]
    if len(table) > MAX_PLAN_ROWS:
        return None, [
            f"{where} line {table[MAX_PLAN_ROWS][0]}: has more than {MAX_PLAN_ROWS} rows "
            f"with a signal id (a plan has one row per gap); statuses not read"
        ]
    for i, row in table:
        for j in sorted(cols.values()):
            if j < len(row) and row[j] is not None and (rule := unsafe_text(str(row[j]))):
                return None, [
                    f"{where} line {i} column {get_column_letter(j + 1)}: {rule}; statuses not read"
                ]
    for i, row in table:
        sid = str(cell(row, "signal id")).upper()
        line = f"{where} line {i}"
        if sid not in gaps:
            notes.setdefault("a signal that is not a gap", []).append(
                (i, f"{line}: {inline(sid)} is not a gap of the baseline; row ignored")
            )
            continue
        if sid in found:
            notes.setdefault("a signal listed again", []).append(
                (i, f"{line}: {inline(sid)} is listed again; the first row counts")
            )
            continue
        given = cell(row, "status")
        status = _status(given)
        if status is None:
            notes.setdefault("an unknown status", []).append(
                (
                    i,
                    f"{line}: status '{inline(given)}' of {inline(sid)} is not one of "
                    f"{', '.join(STATUSES)}; taken as not recorded",
                )
            )
        found[sid] = {"status": status or None, "owner": cell(row, "owner")}
    shown = sorted((i, n) for items in notes.values() for i, n in items[:MAX_REPORTED])
    counted = [
        f"{where} line {items[MAX_REPORTED][0]}: ... and {len(items) - MAX_REPORTED} more "
        f"rows from this line on: {kind} (only the first {MAX_REPORTED} are listed)"
        for kind, items in notes.items()
        if len(items) > MAX_REPORTED
    ]
    return found, [n for _, n in shown] + counted
