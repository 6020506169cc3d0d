"""`paos questionnaire`: what a stakeholder answers, from the rulebook, in the form a
survey tool takes.

The questions: the role question (the rulebook's roles as labels, or one
perspective's roles), then per signal, dimension by dimension in catalogue order,
its question with the rubric levels as answer choices ('1 - <rubric line>' ...,
then 'Cannot judge') and an optional 'Why?' comment. Every label, choice, id and
title comes from `paos.evidence.vocabulary`, which `paos import` reads back with.

Formats:

- `html`: a printable form, one A4 page per dimension; no script, nothing loaded
  from anywhere, every rulebook text escaped.
- `xlsx`: an offline form for Excel or LibreOffice: a header block (respondent, role
  drop-down), then one row per signal with an answer drop-down and a comment cell.
- `csv`: one row per question (`CSV_COLUMNS`), choices in one cell separated by
  `CHOICE_SEPARATOR`, to paste into any survey tool; question texts carry the
  signal id ('[FIT-01] ...'), so a tool's export names what each column answers.
- `qualtrics`: the Advanced Format TXT that Qualtrics' survey import reads; each
  question's id (its export tag) is the signal id, FIT-01 and FIT-01_why.

Every format opens with what the respondent needs before answering (`About`,
`about_lines`): the client it is for (`--client`, or the client of an engagement),
the time it takes, how the answers are used (perspective averages, shown even when
one person answers for a perspective; quotes attributed to a role only when at
least the rulebook's `anonymity_min_role_group` share it; names never shown) and
how to return it. The role question offers the rulebook's roles and "Other" (its
`roles_requiring_perspective`), followed by the perspective question an "Other"
answers, so `paos import` reads every answer the form allows.

Each file carries a mark that paos wrote it (`made_by_paos`); an existing file is
replaced only with `force` and only when it carries the mark.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

from paos._files import atomic_write_bytes, csv_text, neutralise, workbook_bytes
from paos._workbook import add_validation
from paos.errors import FaultError, PaosError, plain
from paos.evidence.intake import read_meta, unsafe_text
from paos.evidence.scaffold import FIXED_TIME
from paos.evidence.vocabulary import (
    CANNOT_JUDGE,
    COMMENT_PROMPT,
    PERSPECTIVE_ID,
    PERSPECTIVE_QUESTION,
    ROLE_ID,
    ROLE_QUESTION,
    choices,
    comment_id,
    comment_title,
    other_role_labels,
    perspective_label,
    question_title,
    role_labels,
)
from paos.method.rulebook import Rulebook

FORMATS = ("html", "xlsx", "csv", "qualtrics")
SUFFIXES = {"html": ".html", "xlsx": ".xlsx", "csv": ".csv", "qualtrics": ".txt"}
GENERATOR = "paos questionnaire"  # the mark of a file paos wrote
CSV_COLUMNS = [
    "question_id",
    "dimension",
    "dimension_name",
    "signal_id",
    "type",
    "required",
    "question",
    "choices",
]
CHOICE_SEPARATOR = " | "  # between the choices of one csv cell
INTRO_ID = "INTRO"  # the Qualtrics introduction text
ED_RULEBOOK = "paos_rulebook"  # Qualtrics embedded data: exported with every response
ED_PERSPECTIVE = "paos_perspective"
INSTRUCTIONS = (
    f"For each question, choose the one answer that describes the situation today; "
    f"choose '{CANNOT_JUDGE}' when you cannot tell. '{COMMENT_PROMPT}' is optional: "
    "a sentence on what you have seen helps most."
)


class QuestionnaireError(PaosError):
    """A questionnaire cannot be made as asked (bad perspective, path taken)."""


SECONDS_PER_QUESTION = 30  # reading a question and its four levels, choosing one
NAME_FIELD = "Name or code (never shown in any report)"
SURVEY_FORMATS = ("csv", "qualtrics")  # answered in a survey tool, not returned as a file


@dataclass(frozen=True)
class About:
    """What the form says about itself: the client it is for, who gets it back."""

    client: str = ""
    return_to: str = ""


def client_of(engagement: str | Path) -> str:
    """The client named in an engagement's meta data (engagement.yaml or its
    workbook's `engagement` sheet); `QuestionnaireError` when it names none."""
    raw = read_meta(engagement)
    client = str(raw.meta.get("client") or "").strip()
    if not client:
        raise QuestionnaireError(f"{engagement}: no client named in its engagement meta data")
    return client


def minutes(rulebook: Rulebook) -> int:
    """The time the form takes, in minutes: `SECONDS_PER_QUESTION` per signal,
    rounded up to 5 minutes."""
    return max(5, 5 * math.ceil(len(rulebook.signals) * SECONDS_PER_QUESTION / 300))


def about_lines(rulebook: Rulebook, fmt: str, about: About = About()) -> list[str]:
    """The sentences every format opens with: time, how answers are used, how to
    return the form."""
    k = rulebook["anonymity_min_role_group"]
    persp = ", ".join(perspective_label(p) for p in rulebook["stakeholder_perspectives"])
    for_whom = f" for {about.client}" if about.client else ""
    who = about.return_to or "the person who sent it to you"
    returned = (
        "Your answers are recorded when you submit the survey."
        if fmt in SURVEY_FORMATS
        else (
            f"When you are done, save the file and send it back to {who}."
            if fmt == "xlsx"
            else f"When you are done, return the form to {who}: hand it over, or send a scan "
            "or a photo."
        )
    )
    return [
        f"This questionnaire{for_whom} takes about {minutes(rulebook)} minutes: "
        f"{len(rulebook.signals)} questions, one answer each; comments are optional.",
        f"How your answers are used: ratings are reported as averages per perspective "
        f"({persp}), over everyone answering from the same perspective; an average is "
        "shown even when only one person answers for a perspective.",
        f"Comments may be quoted. A quote names a role only when at least {k} respondents "
        "share that role and perspective; otherwise it names the perspective alone.",
        "Your name is never shown in any report: it only makes sure each person counts once.",
        returned,
    ]


@dataclass(frozen=True)
class Question:
    """One question of the form: the role question, a signal's rating or comment."""

    id: str
    type: str  # "role", "rating" or "comment"
    text: str
    choices: tuple[str, ...] = ()
    dimension: str = ""
    dimension_name: str = ""
    signal_id: str = ""
    title: str = ""  # the text where a tool keeps no id: '[FIT-01] ...'


def roles(rulebook: Rulebook, perspective: str | None = None) -> dict[str, str]:
    """The roles asked about (id -> label, rulebook order): all, or one perspective's.
    Raises `QuestionnaireError` for a perspective a stakeholder cannot declare or one
    without roles."""
    labels = role_labels(rulebook)
    if perspective is None:
        return labels
    known = list(rulebook["stakeholder_perspectives"])
    if perspective not in known:
        raise QuestionnaireError(
            f"--perspective {perspective!r} is not a stakeholder perspective of rulebook "
            f"{rulebook.id} (one of: {', '.join(known)})"
        )
    mine = {r: lab for r, lab in labels.items() if rulebook.role_perspectives[r] == perspective}
    if not mine:
        raise QuestionnaireError(
            f"--perspective {perspective!r} has no roles in rulebook {rulebook.id}; "
            "leave --perspective out"
        )
    return mine


def questions(rulebook: Rulebook, perspective: str | None = None) -> list[Question]:
    """Every question of the form, in the order asked."""
    ids = {s.id.casefold() for s in rulebook.signals}
    ids |= {comment_id(s.id).casefold() for s in rulebook.signals}
    for taken in (ROLE_ID, PERSPECTIVE_ID, INTRO_ID):
        if taken.casefold() in ids:
            raise QuestionnaireError(
                f"rulebook {rulebook.id}: a signal id clashes with the question id "
                f"{taken} of the form; rename the signal"
            )
    others = tuple(other_role_labels(rulebook).values())
    persp = [perspective] if perspective else list(rulebook["stakeholder_perspectives"])
    out = [
        Question(
            ROLE_ID,
            "role",
            ROLE_QUESTION,
            tuple(roles(rulebook, perspective).values()) + others,
            title=ROLE_QUESTION,
        )
    ]
    if others:
        out.append(
            Question(
                PERSPECTIVE_ID,
                "perspective",
                PERSPECTIVE_QUESTION,
                tuple(perspective_label(p) for p in persp),
                title=PERSPECTIVE_QUESTION,
            )
        )
    for dim in rulebook.dimensions:
        for s in dim.signals:
            where = (dim.id, dim.name, s.id)
            rating = (s.id, "rating", s.question, tuple(choices(rulebook, s)))
            out.append(Question(*rating, *where, title=question_title(s)))
            comment = (comment_id(s.id), "comment", COMMENT_PROMPT, ())
            out.append(Question(*comment, *where, title=comment_title(s)))
    return out


def _heading(
    rulebook: Rulebook, perspective: str | None, about: About = About()
) -> tuple[str, str]:
    """(title, subtitle) of the form."""
    if about.client:
        title = f"Partner ecosystem questionnaire for {plain(about.client)}"
        sub = f"{plain(rulebook['title'])}; rulebook {rulebook.id}, version {rulebook['version']}"
    else:
        title = f"Partner ecosystem questionnaire: {plain(rulebook['title'])}"
        sub = f"Rulebook {rulebook.id}, version {rulebook['version']}"
    if perspective:
        sub += f". For the {perspective} perspective"
    return title, sub


# -- csv -----------------------------------------------------------------------


def _csv(rulebook: Rulebook, perspective: str | None, about: About) -> bytes:
    title, sub = _heading(rulebook, perspective, about)
    intro = " ".join([f"{title}. {sub}.", INSTRUCTIONS, *about_lines(rulebook, "csv", about)])
    rows = [[INTRO_ID, "", "", "", "text", "no", intro, ""]]
    for q in questions(rulebook, perspective):
        for choice in q.choices:
            if CHOICE_SEPARATOR.strip() in choice:
                raise QuestionnaireError(
                    f"{q.signal_id or q.id}: the answer choice {choice!r} holds "
                    f"'{CHOICE_SEPARATOR.strip()}', the csv's choice separator; "
                    "choose another --format"
                )
        text = q.title
        if q.type == "role" and perspective:
            text += f" (This questionnaire is for the {perspective} perspective.)"
        rows.append(
            [
                q.id,
                q.dimension,
                q.dimension_name,
                q.signal_id,
                q.type,
                "no" if q.type in ("comment", "perspective") else "yes",
                text,
                CHOICE_SEPARATOR.join(q.choices),
            ]
        )
    return csv_text(CSV_COLUMNS, rows).encode("utf-8")


# -- qualtrics -----------------------------------------------------------------


def _qtext(text: object) -> str:
    """Text for a Qualtrics TXT line: one line, HTML-escaped (Qualtrics shows question
    and choice text as HTML), and no '[' or ']', which could start a tag."""
    one = " ".join(str(text).split())
    return escape(one, quote=False).replace("[", "&#91;").replace("]", "&#93;")


def _qualtrics(rulebook: Rulebook, perspective: str | None, about: About) -> bytes:
    title, sub = _heading(rulebook, perspective, about)
    lines = ["[[AdvancedFormat]]", "", f"[[ED:{ED_RULEBOOK}:{rulebook.id}]]"]
    if perspective:
        lines.append(f"[[ED:{ED_PERSPECTIVE}:{perspective}]]")
    lines += ["", "[[Block:About you]]", "", "[[Question:DB]]", f"[[ID:{INTRO_ID}]]"]
    told = "<br>".join(_qtext(t) for t in about_lines(rulebook, "qualtrics", about))
    lines += [
        f"<b>{_qtext(title)}</b><br>{_qtext(sub)}.<br><br>{told}<br><br>{_qtext(INSTRUCTIONS)}",
        "",
    ]
    block = None
    for q in questions(rulebook, perspective):
        if q.dimension and q.dimension != block:
            block = q.dimension
            name = re.sub(r"[\[\]]", "", " ".join(f"{q.dimension} {q.dimension_name}".split()))
            lines += [f"[[Block:{name}]]", ""]
        if q.type == "comment":
            lines += ["[[Question:TE:Essay]]", f"[[ID:{q.id}]]", _qtext(q.text), ""]
            continue
        text = q.text
        if q.type == "rating":
            name = next(s.name for s in rulebook.signals if s.id == q.signal_id)
            text = f"<b>{_qtext(q.signal_id)} {_qtext(name)}</b><br>{_qtext(text)}"
        else:
            text = _qtext(text)
        lines += ["[[Question:MC:SingleAnswer:Vertical]]", f"[[ID:{q.id}]]", text, "[[Choices]]"]
        lines += [_qtext(c) for c in q.choices] + [""]
    return "\n".join(lines).encode("utf-8")


# -- html ----------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 15mm 16mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.35 "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: #111;
  max-width: 178mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 1mm; }
h2 { font-size: 13pt; margin: 0 0 1mm; padding-bottom: 1mm; border-bottom: 1.2pt solid #222; }
.sub, .decides { color: #444; margin: 0 0 4mm; }
.page { break-after: page; }
.page:last-child { break-after: auto; }
.q { break-inside: avoid; margin: 0 0 4.5mm; }
.sid { font-weight: 700; }
.name { color: #444; }
.text, li span { unicode-bidi: isolate; }
.ask { font-weight: 600; margin: 0.5mm 0 1mm; }
ol { list-style: none; padding: 0; margin: 0 0 1mm; }
li { display: flex; gap: 2.2mm; margin: 0.7mm 0; }
li::before { content: ""; flex: none; width: 3.3mm; height: 3.3mm; margin-top: 0.5mm;
  border: 0.8pt solid #222; border-radius: 50%; }
.roles ol { columns: 3; }
.roles li { break-inside: avoid; margin: 0 0 1.4mm; }
.why { border: 0.6pt solid #777; height: 13mm; padding: 0.8mm 1.5mm; color: #555;
  font-size: 9pt; }
.field { display: flex; gap: 3mm; margin: 3mm 0; }
.field span:last-child { flex: 1; border-bottom: 0.6pt solid #222; }
.note { font-size: 9.5pt; color: #333; border-left: 2pt solid #999; padding-left: 3mm; }
.about { font-size: 9.5pt; color: #222; margin: 0 0 3mm; padding-left: 5mm; }
.about li { display: list-item; margin: 0 0 0.8mm; }
.about li::before { content: none; }
.persp ol { display: flex; gap: 6mm; }
@media screen { .page { padding-bottom: 8mm; margin-bottom: 8mm; border-bottom: 1px dashed #999; } }
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _choices_html(items: tuple[str, ...]) -> str:
    return "<ol>" + "".join(f"<li><span>{_e(c)}</span></li>" for c in items) + "</ol>"


def _html(rulebook: Rulebook, perspective: str | None, about: About) -> bytes:
    title, sub = _heading(rulebook, perspective, about)
    qs = questions(rulebook, perspective)
    role = qs[0]
    persp = next((q for q in qs if q.type == "perspective"), None)
    told = "".join(f"<li>{_e(t)}</li>" for t in about_lines(rulebook, "html", about))
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta name="generator" content="{GENERATOR}">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f'<section class="page"><h1>{_e(title)}</h1><p class="sub">{_e(sub)}.</p>',
        f'<ul class="about">{told}</ul>',
        f'<p class="note">{_e(INSTRUCTIONS)}</p>',
        f'<div class="field"><span>{_e(NAME_FIELD)}:</span><span></span></div>',
        '<div class="field"><span>Date:</span><span></span></div>',
        f'<div class="q roles" id="{_e(role.id)}"><p class="ask">{_e(role.text)}</p>',
        _choices_html(role.choices) + "</div>",
    ]
    if persp is not None:
        parts.append(
            f'<div class="q persp" id="{_e(persp.id)}"><p class="ask">{_e(persp.text)}</p>'
            + _choices_html(persp.choices)
            + "</div>"
        )
    parts.append("</section>")
    names = {s.id: s.name for s in rulebook.signals}
    for dim in rulebook.dimensions:
        parts.append(
            f'<section class="page" id="dim-{_e(dim.id)}"><h2>{_e(dim.id)} · '
            f'<span class="text">{_e(dim.name)}</span></h2>'
            f'<p class="decides">Decides <span class="text">{_e(dim.decides)}</span>.</p>'
        )
        for q in qs:
            if q.dimension != dim.id:
                continue
            if q.type == "rating":
                parts.append(
                    f'<div class="q" id="{_e(q.id)}"><div><span class="sid">{_e(q.id)}</span> '
                    f'<span class="name text">{_e(names[q.id])}</span></div>'
                    f'<p class="ask text">{_e(q.text)}</p>{_choices_html(q.choices)}'
                )
            else:
                parts.append(f'<div class="why">{_e(q.text)} (optional)</div></div>')
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts).encode("utf-8")


# -- xlsx ----------------------------------------------------------------------

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


def _xlsx(rulebook: Rulebook, perspective: str | None, about: About) -> bytes:
    title, sub = _heading(rulebook, perspective, about)
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


# -- writing -------------------------------------------------------------------

_RENDER = {"html": _html, "xlsx": _xlsx, "csv": _csv, "qualtrics": _qualtrics}


def render(
    rulebook: Rulebook, fmt: str = "html", perspective: str | None = None, about: About = About()
) -> bytes:
    """The questionnaire as the bytes of a file of format `fmt` (deterministic)."""
    if fmt not in _RENDER:
        raise QuestionnaireError(f"--format {fmt!r} is not one of: {', '.join(FORMATS)}")
    for option, text in (("--client", about.client), ("--return-to", about.return_to)):
        if text and (rule := unsafe_text(text, label=True)):
            raise QuestionnaireError(f"{option} {text!r}: {rule}")
    return _RENDER[fmt](rulebook, perspective, about)


def default_name(rulebook: Rulebook, fmt: str, perspective: str | None = None) -> str:
    """questionnaire-<rulebook id>[-<perspective>].<suffix>"""
    tail = "-" + re.sub(r"[^A-Za-z0-9._-]+", "_", perspective) if perspective else ""
    return f"questionnaire-{rulebook.id}{tail}{SUFFIXES[fmt]}"


def made_by_paos(path: Path, fmt: str) -> bool:
    """Whether `path` is a regular file holding a questionnaire of format `fmt` that
    paos wrote (its mark: the html generator, the workbook's creator, the csv header,
    the Qualtrics embedded data `paos_rulebook`)."""
    try:
        if not path.is_file() or path.is_symlink():
            return False
        if fmt == "xlsx":
            with zipfile.ZipFile(path) as archive:
                core = archive.read("docProps/core.xml").decode("utf-8", "replace")
            # The element, not its spelling: openpyxl writes namespaces differently with
            # and without lxml installed.
            found = re.search(r"<dc:creator(?: [^>]*)?>([^<]*)</dc:creator>", core)
            return found is not None and found[1] == GENERATOR
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    if fmt == "html":
        return f'<meta name="generator" content="{GENERATOR}">' in head
    if fmt == "csv":
        return head.startswith(",".join(CSV_COLUMNS) + "\r\n")
    return head.startswith("[[AdvancedFormat]]\n") and f"\n[[ED:{ED_RULEBOOK}:" in head


def write_questionnaire(
    rulebook: Rulebook,
    fmt: str = "html",
    perspective: str | None = None,
    out: str | Path | None = None,
    force: bool = False,
    about: About = About(),
) -> Path:
    """Write the questionnaire to `out` (default: `default_name` in the current
    folder) atomically and return the path. An existing file is refused
    (`QuestionnaireError`), and with `force` replaced only when paos wrote it (else a
    `FaultError` naming it)."""
    data = render(rulebook, fmt, perspective, about)  # before anything is touched
    path = Path(out) if out is not None else Path(default_name(rulebook, fmt, perspective))
    if os.path.lexists(path):
        if not force:
            raise QuestionnaireError(
                f"{path}: already exists; add --force to replace it, or choose another --out"
            )
        if not made_by_paos(path, fmt):
            raise FaultError(
                f"{path}: exists and is not a {fmt} questionnaire paos wrote; paos "
                "replaces only its own: move it away or choose another --out"
            )
    return atomic_write_bytes(path, data)
