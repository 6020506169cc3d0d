"""`paos questionnaire`: what a stakeholder answers, from the rulebook, in the form a
survey tool takes.

The questions (`paos.evidence.questions`): the role question (the rulebook's roles
as labels, or one perspective's roles), then per signal, dimension by dimension in
catalogue order,
its question with the rubric levels as answer choices ('1 - <rubric line>' ...,
then 'Cannot judge') and an optional 'Why?' comment. Every label, choice, id and
title comes from `paos.evidence.vocabulary`, which `paos import` reads back with.

Formats:

- `html`: a printable form, one A4 page per dimension; no script, nothing loaded
  from anywhere, every rulebook text escaped.
- `xlsx` (`paos.evidence.questionnaire_workbook`): an offline form for Excel or
  LibreOffice: a header block (respondent, role drop-down), then one row per signal
  with an answer drop-down and a comment cell.
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

import os
import re
import zipfile
from html import escape
from pathlib import Path

from paos._files import atomic_write_bytes, csv_text
from paos.base.rulebook import Rulebook
from paos.base.text import unsafe_text
from paos.errors import FaultError
from paos.evidence.questionnaire_workbook import workbook
from paos.evidence.questions import (
    GENERATOR,
    INSTRUCTIONS,
    INTRO_ID,
    NAME_FIELD,
    NOTHING_ABOUT,
    About,
    QuestionnaireError,
    about_lines,
    client_of,
    heading,
    questions,
)

# The command's names (`paos.cli`, the public API): the form's content is in
# `questions`, the offline workbook in `questionnaire_workbook`.
__all__ = [
    "FORMATS",
    "About",
    "QuestionnaireError",
    "client_of",
    "default_name",
    "made_by_paos",
    "render",
    "write_questionnaire",
]

FORMATS = ("html", "xlsx", "csv", "qualtrics")
SUFFIXES = {"html": ".html", "xlsx": ".xlsx", "csv": ".csv", "qualtrics": ".txt"}
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
ED_RULEBOOK = "paos_rulebook"  # Qualtrics embedded data: exported with every response
ED_PERSPECTIVE = "paos_perspective"

# -- csv -----------------------------------------------------------------------


def _csv(rulebook: Rulebook, perspective: str | None, about: About) -> bytes:
    title, sub = heading(rulebook, perspective, about)
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
    title, sub = heading(rulebook, perspective, about)
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
    title, sub = heading(rulebook, perspective, about)
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


# -- writing -------------------------------------------------------------------

_RENDER = {"html": _html, "xlsx": workbook, "csv": _csv, "qualtrics": _qualtrics}


def render(
    rulebook: Rulebook,
    fmt: str = "html",
    perspective: str | None = None,
    about: About = NOTHING_ABOUT,
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
    about: About = NOTHING_ABOUT,
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
