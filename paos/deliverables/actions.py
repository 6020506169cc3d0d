"""actions.xlsx: the action plan a client tracks, and reading it back at re-assessment.

`paos run` writes `actions.xlsx` into every deliverable folder (`save_results`):
a plan, one row per gap in roadmap order: what to build (the signal's target level,
the lowest rubric level at or above its threshold, and that level's rubric text,
with the installation module that builds it), the current score against the
threshold, the due date; and blank `owner`, `status` (drop-down: open, in
progress, done) and `notes` columns for the client to keep up to date. At the
re-assessment the analyst drops the file the client returned into the baseline
engagement's folder (or names it with `paos compare --actions FILE`) and
`paos.evidence.plan.read_actions` gives back the recorded status and owner of each gap.

Layout of the sheet `actions` (the only sheet):

- rows 1-6: a title block (`PAOS action plan: <client>`, then `engagement`,
  `client`, `assessed on`, `rulebook` as label/value pairs in columns A and B on
  rows 2-5, each value free to run on into the empty cells to its right; a how-to
  on row 6);
- row 8 (`HEADER_ROW`): the table's header, `COLUMNS`; the gaps from row 9 on.
  Long texts wrap in their column and each row is as tall as its longest text, so
  nothing is clipped.

The reader does not rely on row 8 or on the columns' order: it takes the first row
(of the first 20) whose cells include `signal_id` and `status` and finds `owner`
by name, so a plan of the previous layout (header on row 5, twelve columns, the
title block on row 2) and a client who inserts rows or columns are read alike.

Every text cell is written as a value and neutralised (`paos._files.neutralise`):
text starting like a formula gets a leading apostrophe, so no cell can run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from paos._files import neutralise, workbook_bytes
from paos._workbook import add_validation, choices
from paos.deliverables.deliverable import Deliverable, phases
from paos.evidence.plan import SHEET, STATUSES
from paos.method.figures import exact

HEADER_ROW = 8  # the table's header; gaps from the row below
COLUMNS = (  # name, width (characters)
    ("signal_id", 13),
    ("signal", 30),
    ("dimension", 22),
    ("severity", 10),
    ("priority", 9),
    ("phase", 7),
    ("due", 12),
    ("score", 8),
    ("threshold", 10),
    ("target level", 13),
    ("what to build", 50),
    ("installation module", 30),
    ("robust", 8),
    ("owner", 18),
    ("status", 13),
    ("notes", 45),
)
HEADER = [name for name, _ in COLUMNS]


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _yes_no(value: object) -> str | None:
    return None if value is None else ("yes" if value else "no")


def target_level(threshold: float, levels: list[int]) -> int:
    """The level a gap's signal must reach: the lowest rubric level at or above its
    threshold (the highest level when the threshold is above them all)."""
    return next((lvl for lvl in sorted(levels) if lvl >= threshold - 1e-9), max(levels))


def shown_score(score: float, threshold: float, decimals: int) -> float:
    """The score as a number with `decimals` decimals, or more where fewer would put it
    on or over the threshold it falls short of (2.749 against 2.75 is 2.749, never
    2.75): the deck's rule (`paos.method.figures.exact`) with the threshold as cut."""
    return float(exact(score, (threshold,), decimals))


def action_rows(d: Deliverable) -> tuple[list[str], list[list]]:
    """The action plan's header and rows: one per gap of `d.contract`, in roadmap
    order. `due` is the assessment date plus the end day of the gap's phase (None
    when either is unknown); `score` and `threshold` the signal's; `target level` and
    `what to build` the lowest rubric level at or above the threshold and its rubric
    text; `installation module` the module whose signals hold the gap; `robust`
    yes/no from the gap's `robust` field, blank when it is null or absent; owner,
    status and notes blank."""
    assessed = _date(d.meta.get("assessed_on"))
    end_day = {p["phase"]: p["end_day"] for p in phases(d.rulebook)}
    levels = d.rulebook["rating_scale"]["levels"]
    decimals = d.rulebook["display_decimals"]
    signals = {s.id: s for s in d.rulebook.signals}
    dims = {x.id: x.name for x in d.rulebook.dimensions}
    module: dict[str, str] = {}
    for m in d.contract["installation_modules"]:
        for sid in m["signals"]:
            module.setdefault(sid, m["name"])
    rows = []
    for g in d.contract["gaps"]:
        sid = g["signal_id"]
        days = end_day.get(g["phase"])
        due = assessed + dt.timedelta(days=days) if assessed and days is not None else None
        signal = signals.get(sid)
        level = target_level(g["threshold"], list(signal.rubric)) if signal else None
        rows.append(
            [
                sid,
                d.names.get(sid, ""),
                dims.get(g["dimension"], g["dimension"]),
                g["severity"],
                g["priority"],
                g["phase"],
                due,
                shown_score(g["score"], g["threshold"], decimals),
                g["threshold"],
                f"{level} {levels[level]['name']}" if level is not None else None,
                signal.rubric[level] if signal and level is not None else None,
                module.get(sid),
                _yes_no(g.get("robust")),
                None,
                None,
                None,
            ]
        )
    return HEADER, rows


def row_height(values: list, widths: Sequence[float], line: float = 15.0) -> float:
    """Points a row needs to show every wrapped text whole: the most lines any cell
    takes at its column's width (characters), one line of `line` points each."""
    lines = 1
    for value, width in zip(values, widths):
        if isinstance(value, str) and value:
            per_line = max(int(width * 0.95) - 1, 1)  # a little less than the width
            lines = max(lines, sum(-(-len(p) // per_line) or 1 for p in value.split("\n")))
    return lines * line


def actions_workbook(d: Deliverable) -> bytes:
    """The bytes of actions.xlsx (the same for the same deliverable: dated on the
    assessment day)."""
    header, rows = action_rows(d)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    bold = Font(bold=True)
    assessed = _date(d.meta.get("assessed_on"))
    client = d.meta.get("client")
    ws["A1"] = neutralise(f"PAOS action plan: {client}" if client else "PAOS action plan")
    ws["A1"].font = Font(bold=True, size=14)
    block = [
        ("engagement", d.engagement_id),
        ("client", client),
        ("assessed on", assessed.isoformat() if assessed else None),
        ("rulebook", d.contract["rulebook"]["id"]),
    ]
    for i, (label, value) in enumerate(block, start=2):
        ws.cell(i, 1, label).font = bold
        ws.cell(i, 2, neutralise(value))  # runs on into the empty cells to its right
    ws["A6"] = (
        f"One row per gap in roadmap order ({len(rows)}): what to build to reach the "
        f"target level, by the due date. Keep owner, status ({', '.join(STATUSES)}) and "
        "notes up to date; the re-assessment reads them back."
    )
    for j, (name, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, j, name)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = width
    widths = [w for _, w in COLUMNS]
    ws.row_dimensions[HEADER_ROW].height = row_height(header, widths)
    top = Alignment(vertical="top", wrap_text=True)
    due_col = header.index("due") + 1
    typed = {header.index(c) + 1 for c in ("owner", "status", "notes")}
    for i, row in enumerate(rows, start=HEADER_ROW + 1):
        for j, value in enumerate(row, start=1):
            cell = ws.cell(i, j, neutralise(value))
            cell.alignment = top
            if j == due_col and value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif j in typed:
                cell.number_format = "@"  # Excel keeps what the client types as text
        ws.row_dimensions[i].height = row_height(row, widths)
    first, last = HEADER_ROW + 1, HEADER_ROW + max(len(rows), 1)
    status = get_column_letter(header.index("status") + 1)
    add_validation(
        ws,
        f"{status}{first}:{status}{last}",
        formula=choices(STATUSES),
        error="A status is one of: " + ", ".join(STATUSES) + ".",
        error_title="status",
    )
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(header))}{last}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    wb.properties.creator = wb.properties.lastModifiedBy = "paos run"
    wb.properties.title = f"PAOS action plan {d.engagement_id}"
    assessed = dt.date.fromisoformat(str(d.meta["assessed_on"]))
    return workbook_bytes(wb, dt.datetime.combine(assessed, dt.time()))
