"""The offline questionnaire (`paos questionnaire --format xlsx`): a workbook for Excel
or LibreOffice with a header block (respondent, role and perspective drop-downs),
then one row per signal with an answer drop-down and a comment cell; only the yellow
cells take input. `paos import` reads it back filled in (`surveys.returned`) by the
layout written here."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

from paos._files import neutralise, workbook_bytes
from paos._workbook import add_validation
from paos.base.rulebook import Rulebook
from paos.errors import plain
from paos.evidence.questions import (
    GENERATOR,
    INSTRUCTIONS,
    NAME_FIELD,
    About,
    about_lines,
    heading,
    questions,
)
from paos.evidence.scaffold import FIXED_TIME
from paos.evidence.vocabulary import (
    CANNOT_JUDGE,
    COMMENT_PROMPT,
    PERSPECTIVE_ID,
    ROLE_ID,
    ROLE_QUESTION,
)

HEADER_ROW = 15  # the signal table's header row; one row per signal below it
XLSX_COLUMNS = ["signal_id", "dimension", "signal", "question", "answer", COMMENT_PROMPT]
# the respondent's cells, their labels in columns A:C of the same row
RESPONDENT_CELL, ROLE_CELL, PERSPECTIVE_CELL = "D11", "D12", "D13"
WIDTHS = [10, 24, 24, 48, 58, 40]  # of XLSX_COLUMNS
_INPUT = PatternFill("solid", fgColor="FFF2CC")
_HEAD = PatternFill("solid", fgColor="D9E1F2")
_TOP = Alignment(vertical="top", wrap_text=True)
_EDGE = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_EDGE, right=_EDGE, top=_EDGE, bottom=_EDGE)


def _dropdown(ws, ref: str, formula: str, prompt: str) -> None:
    add_validation(
        ws,
        ref,
        formula=formula,
        prompt=prompt,
        error="Pick one of the answers of the drop-down.",
        error_title="Not an answer",
    )


def _lines(text: object, width: float) -> int:
    """About how many lines `text` wraps to in a column `width` characters wide."""
    return max(1, -(-len(str(text)) // max(1, int(width) - 2)))


def _input(cell) -> None:
    cell.fill, cell.border = _INPUT, _BOX
    cell.alignment = _TOP
    cell.number_format = "@"
    cell.protection = Protection(locked=False)


def workbook(rulebook: Rulebook, perspective: str | None, about: About) -> bytes:
    """The offline questionnaire's .xlsx bytes (deterministic)."""
    title, sub = heading(rulebook, perspective, about)
    qs = questions(rulebook, perspective)
    wb = Workbook()
    ws = wb.active
    ws.title = "questionnaire"
    lists = wb.create_sheet("lists")  # the drop-downs' answers: roles, then a row per signal
    told = [
        INSTRUCTIONS,
        *about_lines(rulebook, "xlsx", about),
        "Fill in the yellow cells; pick answers from the drop-downs.",
    ]
    for r, text in enumerate([title, sub, *told], start=1):
        # across the table's width, wrapped in a row tall enough: nothing runs off
        ws.cell(r, 1, neutralise(text)).alignment = _TOP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(WIDTHS))
        ws.row_dimensions[r].height = (20 if r == 1 else 15) * _lines(text, sum(WIDTHS))
        if r > 2:
            ws.cell(r, 1).font = Font(italic=True, color="404040")
    ws["A1"].font = Font(bold=True, size=14)
    labels = [(RESPONDENT_CELL, NAME_FIELD), (ROLE_CELL, ROLE_QUESTION)]
    persp = next((q for q in qs if q.type == "perspective"), None)
    if persp is not None:
        labels.append((PERSPECTIVE_CELL, persp.text))
    for ref, label in labels:
        r = int(ref[1:])
        ws.cell(r, 1, label).font = Font(bold=True)
        ws.cell(r, 1).alignment = _TOP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        ws.row_dimensions[r].height = max(20, 15 * _lines(label, sum(WIDTHS[:3])))
    for ref, _ in labels:
        _input(ws[ref])
    role_list = qs[0].choices
    lists["A1"] = ROLE_ID
    for i, label in enumerate(role_list, start=2):
        lists.cell(i, 1, neutralise(label))
    _dropdown(ws, ROLE_CELL, f"lists!$A$2:$A${len(role_list) + 1}", "Pick your role.")
    if persp is not None:
        lists["B1"] = PERSPECTIVE_ID
        for i, label in enumerate(persp.choices, start=2):
            lists.cell(i, 2, neutralise(label))
        _dropdown(
            ws,
            PERSPECTIVE_CELL,
            f"lists!$B$2:$B${len(persp.choices) + 1}",
            "Only if your role is Other: pick your perspective.",
        )
    for j, (name, width) in enumerate(zip(XLSX_COLUMNS, WIDTHS), start=1):
        cell = ws.cell(HEADER_ROW, j, name)
        cell.font, cell.fill, cell.alignment = Font(bold=True), _HEAD, _TOP
        ws.column_dimensions[cell.column_letter].width = width
    row = HEADER_ROW
    for q in qs:
        if q.type != "rating":
            continue
        row += 1
        s = next(x for x in rulebook.signals if x.id == q.signal_id)
        values = [q.id, f"{q.dimension} {q.dimension_name}", s.name, q.text]
        for j, value in enumerate(values, start=1):
            ws.cell(row, j, neutralise(value)).alignment = _TOP
        lrow = row - HEADER_ROW + 1  # this signal's answers on the lists sheet
        lists.cell(lrow, 3, q.id)
        for k, choice in enumerate(q.choices, start=4):
            lists.cell(lrow, k, neutralise(choice))
        last = lists.cell(lrow, 3 + len(q.choices)).column_letter
        _dropdown(
            ws,
            f"E{row}",
            f"lists!$D${lrow}:${last}${lrow}",
            f"{q.id}: pick the answer that fits best; '{CANNOT_JUDGE}' if you cannot tell.",
        )
        for col in "EF":
            _input(ws[f"{col}{row}"])
        # Rows do not grow to their wrapped text everywhere (LibreOffice): set heights,
        # with room for the chosen answer and a comment.
        ws.row_dimensions[row].height = 15 * max(
            3, *(_lines(v, w) for v, w in zip([*values, q.choices[0]], WIDTHS))
        )
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True  # only the yellow cells take input; no password
    ws.protection.formatColumns = ws.protection.formatRows = False  # widths may change
    lists.protection.sheet = True
    lists.sheet_state = "hidden"
    props = wb.properties
    props.creator = props.lastModifiedBy = GENERATOR
    props.title = plain(title)
    return workbook_bytes(wb, FIXED_TIME)
