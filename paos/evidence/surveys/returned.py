"""The offline questionnaire (`paos questionnaire --format xlsx`) filled in by a
stakeholder and sent back, read as one respondent; a folder of them, read in name
order, as one respondent each.

A returned workbook is recognised by its content, never by its name: a sheet with a
header row holding `signal_id` and `answer` (the questionnaire's table). It is read
by its names, not by fixed cells, so a questionnaire whose wording or layout
changes reads the same:

- above the table, the rows whose labels ask the respondent's name or code
  (`NAME_FIELD`), the role (`ROLE_QUESTION`) and, where a role has no perspective
  of its own ("Other"), the perspective (`PERSPECTIVE_QUESTION`): the value right
  of each label is the answer. The name or code is never copied: it tells
  respondents apart (two workbooks of one respondent are refused) and gives the
  stakeholder id a stable, non-identifying suffix (a hash of it). The heading's
  "rulebook <id>" must be the engagement's rulebook, and "for the <perspective>
  perspective", when there, is the perspective the respondent answers from (a
  role of another perspective is refused);
- in the table, per row: `signal_id`, the `answer` (a choice of the drop-down, or
  any answer `rating_from_answer` reads) and the comment (`Why?`); the other columns
  the questionnaire writes (dimension, signal, question) are its own text, ignored
  whatever they hold;
- the hidden `lists` sheet (the drop-downs' choices) is the questionnaire's own.

Every other filled cell (a note beside the table, a value under a header paos did
not write, data on another sheet) is refused, as are unknown signal ids, answers
that name no rating and a repeated signal row: each with file, sheet, line and
column, all at once, and nothing is written.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from paos.base.files import Refused
from paos.base.problems import listed
from paos.base.rulebook import Rulebook
from paos.base.tables import column_label
from paos.base.workbook import WORKBOOK_SUFFIXES, workbook_sheets
from paos.errors import EvidenceError, FaultError, Problem
from paos.evidence.questionnaire_workbook import XLSX_COLUMNS
from paos.evidence.questions import NAME_FIELD
from paos.evidence.surveys.formats import Column, Export
from paos.evidence.surveys.mapping import Target, role_target
from paos.evidence.surveys.matching import Plan
from paos.evidence.surveys.responses import Person, Responses
from paos.evidence.surveys.tools import QUESTIONNAIRE
from paos.evidence.vocabulary import (
    COMMENT_PROMPT,
    PERSPECTIVE_QUESTION,
    ROLE_QUESTION,
    NotARating,
    normalise,
    rating_from_answer,
    role_labels,
)

ID_COLUMN, ANSWER_COLUMN = normalise("signal_id"), normalise("answer")
COMMENT_COLUMN = normalise(COMMENT_PROMPT)
# The respondent's label, as `paos questionnaire` writes it now and wrote it before.
RESPONDENT_LABELS = (NAME_FIELD, "Respondent (name or code)")
LISTS_SHEET = "lists"  # the drop-downs' choices, hidden
HEAD_SCAN = 60  # rows searched for the table's header
DIGEST = 10  # hex characters of the respondent's hash in a stakeholder id
_RULEBOOK = re.compile(r"\brulebook\s+(\S+?),?\s+version\b", re.IGNORECASE)
_PERSPECTIVE = re.compile(r"\bfor the\s+(\w+)\s+perspective\b", re.IGNORECASE)

Sheets = list[tuple[str, list[list[str | None]]]]


@dataclass
class Returned:
    """Returned questionnaires as `import_export` takes any export."""

    export: Export
    plan: Plan
    responses: Responses


def _text(cell: str | None) -> str:
    return (cell or "").strip()


def _at(row: list[str | None], j: int | None) -> str:
    return _text(row[j]) if j is not None and j < len(row) else ""


def _header(rows: list[list[str | None]]) -> int | None:
    """The line index of the table's header row (signal_id and answer), if any."""
    for i, row in enumerate(rows[:HEAD_SCAN]):
        names = {normalise(c) for c in row if _text(c)}
        if ID_COLUMN in names and ANSWER_COLUMN in names:
            return i
    return None


def _label_rows(
    block: list[tuple[int, list[tuple[int, str]]]], labels: tuple[str, ...], word: str
) -> list[int]:
    """The rows above the table whose label (first cell) is one of `labels`, else (a
    reworded questionnaire) a short label holding `word`."""
    wanted = {normalise(label) for label in labels}
    exact = [i for i, cells in block if normalise(cells[0][1]) in wanted]
    return exact or [
        i
        for i, cells in block
        if len(cells[0][1]) <= 80 and re.search(word, normalise(cells[0][1]))
    ]


def questionnaire_sheet(sheets: Sheets) -> int | None:
    """The index of the sheet holding a questionnaire's table, if any."""
    return next((k for k, (_, rows) in enumerate(sheets) if _header(rows) is not None), None)


@dataclass
class _Form:
    """One returned workbook as read: its respondent and answers, or problems."""

    path: Path
    respondent: str = ""
    role: str | None = None
    perspective: str | None = None
    answers: list[tuple[str, int | None, str | None]] | None = None  # (signal, rating, comment)
    line: int = 0  # the respondent's line
    blanks: int = 0  # signal rows without a rating (blank, Cannot judge)
    asked: tuple[str, ...] = ()  # the signals of its table


def _read_form(path: Path, sheets: Sheets, rb: Rulebook, problems: list[Problem]) -> _Form:
    """Read one returned workbook (see the module docstring); problems go to `problems`."""
    form = _Form(path)
    label = str(path)
    at = questionnaire_sheet(sheets)
    if at is None:
        problems.append(
            Problem(
                label,
                "is not a returned paos questionnaire (no sheet has a table headed "
                "signal_id and answer); a folder to import holds returned questionnaires only",
            )
        )
        return form
    name, rows = sheets[at]
    bad: list[Problem] = []

    def refuse(rule: str, i: int, j: int | None, value: str | None = None) -> None:
        col = column_label(j, name) if j is not None else None
        bad.append(Problem(label, rule, i + 1, col, value, name))

    for other, other_rows in sheets:
        if other == name or other.strip().casefold() == LISTS_SHEET:
            continue
        filled = [
            (i, j, c) for i, row in enumerate(other_rows) for j, c in enumerate(row) if _text(c)
        ]
        if filled:
            i, j, c = filled[0]
            bad.append(
                Problem(
                    label,
                    f"holds data on sheet {other!r} ({len(filled)} cells); a returned "
                    f"questionnaire has its answers on sheet {name!r} only: delete the others",
                    i + 1,
                    column_label(j, other),
                    c,
                    other,
                )
            )
    head = _header(rows)
    assert head is not None
    # above the table: the heading (column A, the questionnaire's own text), the
    # respondent and role rows (a label, then the answer right of it)
    block = []
    for i, row in enumerate(rows[:head]):
        cells = [(j, _text(c)) for j, c in enumerate(row) if _text(c)]
        if cells:
            block.append((i, cells))
    label_rows = {
        "respondent": _label_rows(block, RESPONDENT_LABELS, r"\brespondent\b|\bname or code\b"),
        "role": _label_rows(block, (ROLE_QUESTION,), r"\broles?\b"),
        "perspective": _label_rows(block, (PERSPECTIVE_QUESTION,), r"\bperspective\b"),
    }
    label_rows["role"] = [i for i in label_rows["role"] if i not in label_rows["perspective"]]
    inputs: dict[str, tuple[int, str]] = {}
    for kind, found in label_rows.items():
        what = {
            "respondent": "the respondent's name or code",
            "role": "the role",
            "perspective": "the perspective",
        }[kind]
        if not found and kind == "perspective":
            continue  # asked only where a role needs it
        if not found:
            bad.append(
                Problem(label, f"has no row asking {what} above its table", None, None, None, name)
            )
            continue
        for i in found[1:]:
            refuse(f"asks {what} again; the questionnaire asks it once", i, None)
        i = found[0]
        cells = dict(block)[i]
        inputs[kind] = (i, cells[1][1] if len(cells) > 1 else "")
        for j, value in cells[2:]:
            refuse("is not a cell of the questionnaire to fill; delete it", i, j, value)
    taken = {i for found in label_rows.values() for i in found}
    for i, cells in block:
        if i in taken:
            continue
        for j, value in cells:
            if j:
                refuse("is not a cell of the questionnaire to fill; delete it", i, j, value)
                continue
            m = _RULEBOOK.search(value)
            if m and m.group(1) != rb.id:
                refuse(
                    f"is a questionnaire of rulebook {m.group(1)}; this engagement is scored "
                    f"under {rb.id}: import it into an engagement of that rulebook, or send "
                    f"the questionnaire of {rb.id}",
                    i,
                    j,
                )
            m = _PERSPECTIVE.search(value)
            if m and normalise(m.group(1)) in rb["stakeholder_perspectives"]:
                form.perspective = normalise(m.group(1))
    if "respondent" in inputs:
        i, value = inputs["respondent"]
        form.line = i + 1
        if value:
            form.respondent = " ".join(value.casefold().split())
        else:
            refuse(
                "the respondent's name or code is blank; give one (paos copies neither: "
                "it tells respondents apart)",
                i,
                None,
            )
    declared = None  # the perspective question's answer
    if "perspective" in inputs:
        i, value = inputs["perspective"]
        declared = normalise(value) if value else None
        if declared is not None and declared not in rb["stakeholder_perspectives"]:
            known = ", ".join(rb["stakeholder_perspectives"])
            refuse(f"is not a perspective ({known})", i, None, value)
            declared = None
    if "role" in inputs:
        i, value = inputs["role"]
        role = role_target(value, rb) if value else None
        needs = {r.strip().lower() for r in rb["roles_requiring_perspective"]}
        own = rb.role_perspectives.get(role) if role else None
        wanted = declared or form.perspective
        if not value:
            refuse("the role is blank; pick the respondent's role from the drop-down", i, None)
        elif role is None:
            known = ", ".join(role_labels(rb).values())
            refuse(f"is not a role of the rulebook ({known})", i, None, value)
        elif own and wanted and own != wanted:
            refuse(
                f"is a role of the {own} perspective, but the questionnaire says "
                f"{wanted}: answer the perspective question only for a role without one",
                i,
                None,
                value,
            )
        elif role in needs and wanted is None:
            refuse(
                "has no perspective of its own and the perspective question is not "
                "answered; pick the respondent's perspective",
                i,
                None,
                value,
            )
        else:
            form.role = role
            form.perspective = None if own else wanted  # a role's own: not declared
    # the table: one row per signal
    cols = {normalise(c): j for j, c in reversed(list(enumerate(rows[head]))) if _text(c)}
    own_text = {normalise(c) for c in XLSX_COLUMNS} - {ID_COLUMN, ANSWER_COLUMN, COMMENT_COLUMN}
    sid_j, answer_j = cols[ID_COLUMN], cols[ANSWER_COLUMN]
    comment_j = cols.get(COMMENT_COLUMN)
    used = {sid_j, answer_j} | ({comment_j} if comment_j is not None else set())
    ignored = {j for c, j in cols.items() if c in own_text}
    for j in cols.values():
        if j not in used and j not in ignored:
            refuse("is not a column of the questionnaire; delete it", head, j, rows[head][j])
    signals = {s.id.casefold(): s for s in rb.signals}
    seen: dict[str, int] = {}
    answers: list[tuple[str, int | None, str | None]] = []
    for i in range(head + 1, len(rows)):
        row = rows[i]
        for j, c in enumerate(row):
            if j not in used and j not in ignored and _text(c):
                refuse("is not a cell of the questionnaire to fill; delete it", i, j, c)
        sid, answer, comment = (_at(row, j) for j in (sid_j, answer_j, comment_j))
        if not (sid or answer or comment):
            continue
        signal = signals.get(sid.casefold())
        if signal is None:
            if sid:
                refuse("is not a signal of the rulebook; the row cannot be read", i, sid_j, sid)
            else:
                refuse("is blank, but the row has an answer or a comment", i, sid_j)
            continue
        if signal.id in seen:
            refuse(f"is listed again (first on line {seen[signal.id]})", i, sid_j, sid)
            continue
        seen[signal.id] = i + 1
        try:
            rating = rating_from_answer(answer, rb, signal)
        except NotARating as exc:
            refuse(str(exc), i, answer_j, answer)
            continue
        form.blanks += rating is None
        if rating is not None or comment:
            text = row[comment_j] if comment and comment_j is not None else None
            answers.append((signal.id, rating, text))
    form.asked = tuple(seen)
    problems += listed(bad, "a cell refused")
    if not bad:
        form.answers = answers
    return form


def _sources(path: Path) -> list[Path]:
    """The workbooks of a folder in name order; anything else in it is refused."""
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        raise FaultError(
            f"{path}: cannot be listed ({exc.strerror or exc}); check its permissions"
        ) from None
    problems = [
        Problem(
            str(path / n),
            "is not a workbook (.xlsx, .xlsm, .ods, .xls); a folder to import holds "
            "returned questionnaires only",
        )
        for n in names
        if Path(n).suffix.lower() not in WORKBOOK_SUFFIXES
    ]
    if problems:
        raise EvidenceError(listed(problems, "not a workbook"))
    if not names:
        raise EvidenceError([Problem(str(path), "holds no workbook to import")])
    return [path / n for n in names]


def _sheets(path: Path) -> Sheets:
    try:
        return workbook_sheets(path)
    except Refused as err:
        if err.fault:
            raise FaultError(str(err.problem)) from None
        raise EvidenceError([err.problem]) from None


def read_returned(path: Path, rb: Rulebook) -> Returned | Sheets | None:
    """A folder of returned questionnaires, or one returned workbook, as a `Returned`;
    for another workbook its sheets (to read as an export without reading it again);
    None for anything else. Raises `EvidenceError` with every problem at once."""
    problems: list[Problem] = []
    if path.is_dir():
        forms = []
        for source in _sources(path):
            try:
                sheets = _sheets(source)
            except EvidenceError as err:
                problems += err.problems
                continue
            forms.append(_read_form(source, sheets, rb, problems))
        return _returned(path, forms, problems, rb)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return None
    sheets = _sheets(path)
    if questionnaire_sheet(sheets) is None:
        return sheets
    return _returned(path, [_read_form(path, sheets, rb, problems)], problems, rb)


def _returned(path: Path, forms: list[_Form], problems: list[Problem], rb: Rulebook) -> Returned:
    first: dict[str, Path] = {}
    for form in forms:
        if not form.respondent:
            continue
        if form.respondent in first:
            problems.append(
                Problem(
                    str(form.path),
                    f"is a questionnaire of the same respondent as {first[form.respondent].name}"
                    " (the same name or code); each respondent counts once: keep one of them",
                    form.line,
                )
            )
        else:
            first[form.respondent] = form.path
    if problems:
        raise EvidenceError(problems)
    order = {s.id: k for k, s in enumerate(rb.signals)}
    asked = sorted({sid for f in forms for sid in f.asked}, key=order.__getitem__)
    columns = [Column(k, sid, sid, None, str(k + 1)) for k, sid in enumerate(asked)]
    export = Export(path, str(path), QUESTIONNAIRE.key, columns, [], 1, None)
    plan = Plan()
    for col in columns:
        plan.targets[col.index] = Target("rating", col.text)
        plan.how[col.index] = "returned questionnaire"
    out = Responses(ids_given=True)  # a respondent's id is the same at every import
    for form in forms:
        if form.role is None or form.answers is None:
            continue
        if not form.answers:
            out.empty += 1
            continue
        digest = hashlib.sha256(form.respondent.encode("utf-8")).hexdigest()[:DIGEST]
        person = len(out.people)
        out.people.append(Person(form.line, digest, form.role, form.perspective, True))
        out.ratings += [(person, sid, rating, comment) for sid, rating, comment in form.answers]
        out.blanks += form.blanks
    return Returned(export, plan, out)
