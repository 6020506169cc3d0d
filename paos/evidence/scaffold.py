"""`paos new`: scaffold a blank engagement for an analyst to fill in.

Writes the folder layout of the evidence format (engagement.yaml and the three
CSV tables, headers only) and one .xlsx collection workbook holding the same
tables as sheets, with drop-downs on every coded column and each signal's
question and rubric shown beside the rating. paos reads either as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

from paos._defaults import ID_PATTERN
from paos._files import workbook_bytes
from paos._workbook import add_validation, choices
from paos.base.rulebook import RULEBOOK_DIR, Rulebook
from paos.errors import PaosError
from paos.evidence.intake import LOOKUP_COLUMNS, NOTE_COLUMN
from paos.evidence.table_rules import SOURCES
from paos.evidence.validate import COLUMNS

FIXED_TIME = dt.datetime(2026, 1, 1)  # workbook properties and zip entries: same bytes
RATING_ROWS = 500  # ratings rows pre-filled with drop-downs and lookups
TABLE_ROWS = 200  # stakeholders rows with drop-downs
METRIC_ROWS = 50  # metrics rows with drop-downs and the `about` lookup
META = (  # engagement key, the note shown beside it
    ("id", "Engagement id: 1-64 letters, digits, '.', '_' or '-'; it names the output files."),
    ("client", "Required: the client organisation, as deliverables should name it."),
    ("assessed_on", "Required: date of the assessment, YYYY-MM-DD."),
    ("industry", "Optional: the client's industry, e.g. B2B software."),
    ("stage", "Optional: the client's growth stage, e.g. Series B."),
    ("analyst", "Optional: who ran the diagnostic."),
    ("rulebook", "Methodology version the evidence is scored with; keep it unless told."),
    ("baseline", "Optional: id of an earlier engagement of the same client to compare with."),
)


class ScaffoldError(PaosError):
    """An engagement cannot be scaffolded where or as asked."""


def _columns(table: str) -> list[str]:
    required, optional = COLUMNS[table]
    return [*required, *optional]


def engagement_yaml(engagement_id: str, rulebook: Rulebook) -> str:
    """The text of a blank engagement.yaml: id and rulebook filled, the rest commented."""
    lines = [
        "# PAOS engagement. Fill in the blank keys, then check the folder with",
        "#   paos validate <this folder>",
    ]
    values = {"id": engagement_id, "rulebook": rulebook.id}
    for key, note in META:
        value = values.get(key)
        if key == "rulebook" and rulebook.path.parent != RULEBOOK_DIR:
            note += f" Custom rulebook {rulebook.path}: score with --rulebook {rulebook.path}."
        # Quoted, so an id like 1.0, no or null stays the text it is.
        lines += [f"# {note}", f'{key}: "{value}"' if value else f"{key}:"]
    return "\n".join(lines) + "\n"


def new_engagement(
    folder: Path, rulebook: Rulebook, engagement_id: str | None = None
) -> list[Path]:
    """Create `folder` holding a blank engagement and return the paths written.

    Writes engagement.yaml, stakeholders.csv, ratings.csv and metrics.csv (UTF-8,
    headers only) and `<id>.xlsx`, a collection workbook for Excel or LibreOffice
    that paos reads directly. The id defaults to the folder name. Raises
    `ScaffoldError` if the id is invalid or the folder exists and is not empty.
    """
    folder = Path(folder)
    eid = engagement_id if engagement_id is not None else (folder.name or folder.resolve().name)
    if not re.fullmatch(ID_PATTERN, eid):
        raise ScaffoldError(
            f"{eid!r} is not a valid engagement id (1-64 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit); give another id"
        )
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(
            f"{folder}: already exists and is not an empty folder; choose a new folder"
        )
    workbook = collection_workbook(eid, rulebook)  # before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "engagement.yaml"]
    written[0].write_bytes(engagement_yaml(eid, rulebook).encode("utf-8"))
    for table in ("stakeholders", "ratings", "metrics"):
        path = folder / f"{table}.csv"
        path.write_bytes((",".join(_columns(table)) + "\n").encode("utf-8"))
        written.append(path)
    path = folder / f"{eid}.xlsx"
    path.write_bytes(workbook)
    written.append(path)
    return written


def collection_workbook(engagement_id: str, rulebook: Rulebook) -> bytes:
    """The bytes of the collection workbook (deterministic for an id and rulebook)."""
    wb = Workbook()
    _engagement_sheet(wb.active, engagement_id, rulebook)
    _stakeholders_sheet(wb.create_sheet("stakeholders"), rulebook)
    _ratings_sheet(wb.create_sheet("ratings"), rulebook)
    _metrics_sheet(wb.create_sheet("metrics"), rulebook)
    _signals_sheet(wb.create_sheet("signals"), rulebook)
    _lists_sheet(wb.create_sheet("lists"), rulebook)
    props = wb.properties
    props.creator = props.lastModifiedBy = "paos new"
    props.title = f"PAOS collection workbook {engagement_id}"
    return workbook_bytes(wb, FIXED_TIME)


def _header(ws, names: Sequence[str | None], widths: list[float]) -> None:
    """Bold, shaded, frozen header row and column widths."""
    ws.append(names)
    for j, (cell, width) in enumerate(zip(ws[1], widths), start=1):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"


def _validate(
    ws,
    ref: str,
    kind: str | None = None,
    formula1: str | None = None,
    prompt: str = "",
    error: str = "",
    warn: bool = False,
    **kw,
) -> None:
    """Add a data validation titled by the column's header (`ref` a range such as
    "F2:G10")."""
    letters = re.match(r"[A-Z]+", ref)
    assert letters is not None, ref
    title = ws.cell(1, column_index_from_string(letters.group())).value
    add_validation(
        ws,
        ref,
        kind,
        formula1,
        prompt=prompt,
        error=error,
        prompt_title=title,
        error_title=title,
        warn=warn,
        **kw,
    )


def _text_cells(ws, column: str, rows: int, wrap: bool = False) -> None:
    """Format a column's input cells as text, so Excel keeps ids and `=...` evidence
    as typed instead of turning them into dates or live formulas."""
    for r in range(2, rows + 2):
        cell = ws[f"{column}{r}"]
        cell.number_format = "@"
        if wrap:
            cell.alignment = Alignment(vertical="top", wrap_text=True)


def _engagement_sheet(ws, engagement_id: str, rulebook: Rulebook) -> None:
    ws.title = "engagement"
    _header(ws, ["key", "value", NOTE_COLUMN], [14, 36, 80])
    values = {"id": engagement_id, "rulebook": rulebook.id}
    for key, note in META:
        ws.append([key, values.get(key), note])
    _text_cells(ws, "B", len(META))


def _stakeholders_sheet(ws, rulebook: Rulebook) -> None:
    _header(ws, _columns("stakeholders"), [16, 22, 14, 24, 24])
    last = TABLE_ROWS + 1
    n_roles = len(rulebook.role_perspectives) + len(rulebook["roles_requiring_perspective"])
    persp = rulebook["stakeholder_perspectives"]
    needs = " or ".join(f"'{r}'" for r in rulebook["roles_requiring_perspective"])
    _text_cells(ws, "A", TABLE_ROWS)
    _validate(
        ws,
        f"B2:B{last}",
        "list",
        f"lists!$A$2:$A${n_roles + 1}",
        "Pick a role; it gives the stakeholder's perspective (see the lists sheet). "
        f"For {needs + ' or ' if needs else ''}a role not listed, fill in perspective too.",
        "Not a known role: fill in perspective too" + (f", or pick {needs}." if needs else "."),
        warn=True,
    )
    _validate(
        ws,
        f"C2:C{last}",
        "list",
        choices(persp),
        "Blank: the role's own perspective. Required for "
        + (f"{needs} or " if needs else "")
        + "an unlisted role.",
        "A perspective is one of: " + ", ".join(persp) + ".",
    )


def _ratings_sheet(ws, rulebook: Rulebook) -> None:
    n, last = len(rulebook.signals), RATING_ROWS + 1
    levels = rulebook["rating_scale"]["levels"]
    lo, hi = rulebook["rating_scale"]["min"], rulebook["rating_scale"]["max"]
    # The lookup columns' headers are how paos tells them from input columns.
    _header(ws, [*_columns("ratings"), *LOOKUP_COLUMNS["ratings"]], [16, 11, 8, 60, 12, 45, 70])
    _text_cells(ws, "A", RATING_ROWS)
    _text_cells(ws, "D", RATING_ROWS, wrap=True)
    _validate(
        ws,
        f"A2:A{last}",
        "list",
        f"stakeholders!$A$2:$A${TABLE_ROWS + 1}",
        error="Not a stakeholder_id of the stakeholders sheet (yet).",
        warn=True,
    )
    _validate(
        ws,
        f"B2:B{last}",
        "list",
        f"signals!$A$2:$A${n + 1}",
        "Pick the signal this rating is for; its question and rubric appear on the right.",
        "Not a signal id: pick one from the list (see the signals sheet).",
    )
    _validate(
        ws,
        f"C2:C{last}",
        "whole",
        str(lo),
        formula2=str(hi),
        operator="between",
        prompt=", ".join(f"{k} {levels[k]['name']}" for k in sorted(levels))
        + ". Leave blank if you cannot judge.",
        error=f"A rating is a whole number from {lo} to {hi}, or blank (cannot judge).",
    )
    _validate(ws, f"D2:D{last}", prompt="What was said or seen that supports the rating.")
    _validate(
        ws,
        f"E2:E{last}",
        "list",
        choices(SOURCES),
        error="A source is one of: " + ", ".join(SOURCES) + ", or blank.",
    )
    _validate(ws, f"F2:G{last}", prompt="Looked up from the signals sheet; paos ignores it.")
    table = f"signals!$A$2:$H${n + 1}"
    heads = ["$E$1", "$F$1", "$G$1", "$H$1"]
    grey, wrap = Font(color="595959"), Alignment(vertical="top", wrap_text=True)
    for r in range(2, last + 1):
        look = lambda k: f"VLOOKUP(TRIM($B{r}),{table},{k},FALSE)"  # noqa: E731, B023 - used in this iteration only
        ws[f"F{r}"] = f'=IF(TRIM($B{r})="","",IFERROR({look(4)},"not a signal id"))'
        ws[f"G{r}"] = (
            f'=IF(TRIM($B{r})="","",IFERROR('
            + "&CHAR(10)&".join(f'signals!{h}&": "&{look(5 + i)}' for i, h in enumerate(heads))
            + ',""))'
        )
        for c in "FG":
            ws[f"{c}{r}"].font, ws[f"{c}{r}"].alignment = grey, wrap


def _metric_about(metric, rulebook: Rulebook) -> str:
    """One line on a metric: unit, direction, signal and the bands that rate it."""
    hi, lo = rulebook["rating_scale"]["max"], rulebook["rating_scale"]["min"]
    op, cuts = (">=", metric.cuts[::-1]) if metric.direction == "higher" else ("<=", metric.cuts)
    bands = ", ".join(f"{op} {c:g} rates {hi - i}" for i, c in enumerate(cuts))
    return (
        f"{metric.unit}, {metric.direction} is better; rates {metric.signal}: {bands}, "
        f"otherwise {lo}"
    )


def _metrics_sheet(ws, rulebook: Rulebook) -> None:
    m, last = len(rulebook.metrics), METRIC_ROWS + 1
    _header(ws, [*_columns("metrics"), *LOOKUP_COLUMNS["metrics"]], [40, 12, 12, 12, 90])
    _text_cells(ws, "C", METRIC_ROWS)
    _validate(
        ws,
        f"A2:A{last}",
        "list",
        f"lists!$D$2:$D${m + 1}",
        "Pick a metric; each metric at most once.",
        "Not a metric id: pick one from the list.",
    )
    _validate(
        ws,
        f"B2:B{last}",
        "decimal",
        "0",
        operator="greaterThanOrEqual",
        prompt="A number >= 0 (at most 100 for a % metric).",
        error="A metric value is a number >= 0.",
    )
    _validate(ws, f"C2:C{last}", prompt="Optional: date the value was measured, YYYY-MM-DD.")
    _validate(
        ws,
        f"D2:D{last}",
        "list",
        choices(SOURCES),
        error="A source is one of: " + ", ".join(SOURCES) + ", or blank.",
    )
    for r in range(2, last + 1):
        ws[f"E{r}"] = (
            f'=IF(TRIM($A{r})="","",IFERROR(VLOOKUP(TRIM($A{r}),'
            f'lists!$D$2:$E${m + 1},2,FALSE),"not a metric id"))'
        )
        ws[f"E{r}"].font = Font(color="595959")


def _signals_sheet(ws, rulebook: Rulebook) -> None:
    levels = rulebook["rating_scale"]["levels"]
    keys = sorted(levels)
    _header(
        ws,
        ["id", "dimension", "name", "question", *(f"{k} {levels[k]['name']}" for k in keys)],
        [9, 22, 26, 45, 40, 40, 40, 40],
    )
    names = {d.id: d.name for d in rulebook.dimensions}
    for s in rulebook.signals:
        ws.append(
            [
                s.id,
                f"{s.dimension} {names[s.dimension]}",
                s.name,
                s.question,
                *(s.rubric[k] for k in keys),
            ]
        )
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.protection.sheet = True  # reference only: read-only, no password


def _lists_sheet(ws, rulebook: Rulebook) -> None:
    roles = list(rulebook.role_perspectives.items())
    roles += [(r, "(fill in perspective)") for r in rulebook["roles_requiring_perspective"]]
    _header(ws, ["role", "perspective", None, "metric_id", "about"], [24, 22, 4, 40, 90])
    metrics = [(m.id, _metric_about(m, rulebook)) for m in rulebook.metrics]
    for i in range(max(len(roles), len(metrics))):
        role = roles[i] if i < len(roles) else (None, None)
        metric = metrics[i] if i < len(metrics) else (None, None)
        ws.append([*role, None, *metric])
    ws.protection.sheet = True
