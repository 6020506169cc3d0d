"""`paos questionnaire`: every format asks each signal's question with exactly the
rubric's choices (and 'Cannot judge'), the role question with the rulebook's roles,
from the rulebook given, and never overwrites a file paos did not write."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from typer.testing import CliRunner

from paos.base.rulebook import RULEBOOK_DIR, load_rulebook
from paos.cli import app
from paos.evidence.questionnaire import (
    CHOICE_SEPARATOR,
    CSV_COLUMNS,
    About,
    render,
    write_questionnaire,
)
from paos.evidence.questionnaire_workbook import HEADER_ROW, PERSPECTIVE_CELL, ROLE_CELL
from paos.evidence.surveys.mapping import role_target
from paos.evidence.vocabulary import (
    CANNOT_JUDGE,
    COMMENT_PROMPT,
    PERSPECTIVE_ID,
    PERSPECTIVE_QUESTION,
    ROLE_ID,
    ROLE_QUESTION,
    choices,
    comment_id,
    normalise,
    question_of,
    question_title,
    rating_from_answer,
    role_from_answer,
    role_labels,
)

RB = load_rulebook("paos-v1")
PARTNER = [
    label for role, label in role_labels(RB).items() if RB.role_perspectives[role] == "partner"
]
ROLES = [*role_labels(RB).values(), "Other"]  # the rulebook's roles, then "other"
HOSTILE = "<script>alert(1)</script> & [[PageBreak]]"


def invoke(*args):
    return CliRunner().invoke(app, ["questionnaire", *map(str, args)])


def custom_rulebook(tmp_path: Path, question: str, rubric_3: str) -> Path:
    """A copy of paos-v1 under another id, FIT-01's question and level-3 rubric line
    replaced."""
    text = (RULEBOOK_DIR / "paos-v1.yaml").read_text(encoding="utf-8")
    fit01 = RB.signals[0]
    for old, new in (
        ("id: paos-v1", "id: acme-q1"),
        (f"question: {fit01.question}", f"question: {question}"),
        (f"3: {fit01.rubric[3]}", f"3: {rubric_3}"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "acme-q1.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- each format: every question and choice ---------------------------------


def parse_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_has_one_row_per_question_with_every_choice():
    rows = parse_csv(render(RB, "csv"))
    assert list(rows[0]) == CSV_COLUMNS
    intro, role, persp, *body = rows
    assert intro["question_id"] == "INTRO" and intro["type"] == "text"
    assert role["question_id"] == ROLE_ID and role["type"] == "role"
    assert role["question"] == ROLE_QUESTION
    assert role["choices"].split(CHOICE_SEPARATOR) == ROLES
    assert (persp["question_id"], persp["type"], persp["required"]) == (
        PERSPECTIVE_ID,
        "perspective",
        "no",
    )
    assert persp["choices"].split(CHOICE_SEPARATOR) == ["Strategic", "Operational", "Partner"]
    assert [r["question_id"] for r in body] == [
        q for s in RB.signals for q in (s.id, comment_id(s.id))
    ]
    for s, rating, why in zip(RB.signals, body[::2], body[1::2]):
        assert (rating["type"], rating["signal_id"], rating["dimension"]) == (
            "rating",
            s.id,
            s.dimension,
        )
        assert rating["question"] == question_title(s)
        assert rating["choices"].split(CHOICE_SEPARATOR) == choices(RB, s)
        assert (why["type"], why["required"], why["choices"]) == ("comment", "no", "")
        assert question_of(why["question"], RB) == (s.id, True)
        assert question_of(rating["question"], RB) == (s.id, False)


def test_xlsx_has_drop_downs_with_every_choice():
    wb = load_workbook(io.BytesIO(render(RB, "xlsx")))
    ws = wb["questionnaire"]

    def listed(cell: str) -> list:
        found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
        assert len(found) == 1 and found[0].type == "list", cell
        sheet, ref = found[0].formula1.split("!")
        c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
        cells = wb[sheet].iter_rows(min_row=r0, max_row=r1, min_col=c0, max_col=c1)
        return [c.value for row in cells for c in row]

    assert ws[f"A{ROLE_CELL[1:]}"].value == ROLE_QUESTION
    assert listed(ROLE_CELL) == ROLES
    assert listed(PERSPECTIVE_CELL) == ["Strategic", "Operational", "Partner"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == ["signal_id", "dimension", "signal", "question", "answer", COMMENT_PROMPT]
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert [r[0] for r in rows] == [s.id for s in RB.signals]  # one row per signal
    for r, (s, row) in enumerate(zip(RB.signals, rows), start=HEADER_ROW + 1):
        assert row[3] == s.question
        assert listed(f"E{r}") == choices(RB, s)
        assert not ws[f"E{r}"].protection.locked and not ws[f"F{r}"].protection.locked
    assert ws.protection.sheet and wb["lists"].sheet_state == "hidden"
    assert wb.properties.creator == "paos questionnaire"


def qualtrics_questions(text: str) -> list[dict]:
    """The questions of an Advanced Format TXT: type, id, text, choices, block."""
    assert text.splitlines()[0] == "[[AdvancedFormat]]"
    out: list[dict] = []
    block = None
    for chunk in re.split(r"\n(?=\[\[(?:Question|Block|PageBreak))", text):
        lines = chunk.strip().splitlines()
        if lines[0].startswith("[[Block:"):
            block = lines[0][8:-2]
            continue
        if not lines[0].startswith("[[Question:"):
            continue
        q = {"type": lines[0], "block": block, "choices": None}
        assert lines[1].startswith("[[ID:") and lines[1].endswith("]]"), lines[:2]
        q["id"] = lines[1][5:-2]
        rest = lines[2:]
        if "[[Choices]]" in rest:
            i = rest.index("[[Choices]]")
            q["choices"] = [html.unescape(c) for c in rest[i + 1 :]]
            rest = rest[:i]
        q["text"] = html.unescape("\n".join(rest))
        assert "[[" not in "".join(rest) and "]]" not in "".join(rest)
        out.append(q)
    return out


def test_qualtrics_txt_has_one_multiple_choice_and_one_comment_per_signal():
    text = render(RB, "qualtrics").decode("utf-8")
    assert "[[ED:paos_rulebook:paos-v1]]" in text.splitlines()[:4]
    qs = qualtrics_questions(text)
    assert [q["id"] for q in qs] == [
        "INTRO",
        ROLE_ID,
        PERSPECTIVE_ID,
        *(i for s in RB.signals for i in (s.id, comment_id(s.id))),
    ]
    intro, role, persp, *signals = qs
    assert intro["type"] == "[[Question:DB]]"
    assert role["type"] == "[[Question:MC:SingleAnswer:Vertical]]"
    assert role["text"] == ROLE_QUESTION and role["choices"] == ROLES
    assert persp["text"] == PERSPECTIVE_QUESTION
    names = {d.id: d.name for d in RB.dimensions}
    for s, mc, te in zip(RB.signals, signals[::2], signals[1::2]):
        assert mc["type"] == "[[Question:MC:SingleAnswer:Vertical]]"
        assert mc["choices"] == choices(RB, s)  # exactly the rubric, then Cannot judge
        assert mc["choices"][-1] == CANNOT_JUDGE
        assert s.question in mc["text"]
        assert mc["block"] == te["block"] == f"{s.dimension} {names[s.dimension]}"
        assert te["type"] == "[[Question:TE:Essay]]" and te["choices"] is None
        assert te["text"] == COMMENT_PROMPT
    # every answer reads back as the rating or role it is
    assert [rating_from_answer(c, RB, RB.signals[0]) for c in signals[0]["choices"]] == [
        1,
        2,
        3,
        4,
        None,
    ]
    assert all(role_from_answer(label, RB) for label in role["choices"][:-1])
    assert [role_target(label, RB) for label in role["choices"]][-1] == "other"


def test_html_asks_every_question_on_a_page_per_dimension():
    page = render(RB, "html").decode("utf-8")
    assert "<script" not in page.lower() and "http" not in page.replace(
        'http-equiv="Content-Security-Policy"', ""
    )
    assert page.count('class="page"') == 1 + len(RB.dimensions)
    assert "@page { size: A4" in page and "break-after: page" in page
    for label in role_labels(RB).values():
        assert f"<li><span>{html.escape(label)}</span></li>" in page
    for s in RB.signals:
        assert f'id="{s.id}"' in page and html.escape(s.question) in page
        for choice in choices(RB, s):
            assert f"<li><span>{html.escape(choice)}</span></li>" in page


# -- perspective, custom rulebook, hostile text ------------------------------


@pytest.mark.parametrize("fmt", ["html", "xlsx", "csv", "qualtrics"])
def test_perspective_lists_only_its_roles(fmt, tmp_path):
    out = tmp_path / f"form.{fmt}"
    result = invoke("--perspective", "partner", "--format", fmt, "--out", out)
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        role = parse_csv(out.read_bytes())[1]
        assert role["choices"].split(CHOICE_SEPARATOR) == [*PARTNER, "Other"]
        assert "partner perspective" in role["question"]
    elif fmt == "qualtrics":
        text = out.read_text(encoding="utf-8")
        assert qualtrics_questions(text)[1]["choices"] == [*PARTNER, "Other"]
        assert qualtrics_questions(text)[2]["choices"] == ["Partner"]
        assert "[[ED:paos_perspective:partner]]" in text and "partner perspective" in text
    elif fmt == "xlsx":
        wb = load_workbook(out)
        assert [c.value for c in wb["lists"]["A"][1:] if c.value] == [*PARTNER, "Other"]
        assert "partner perspective" in wb["questionnaire"]["A2"].value
    else:
        page = out.read_text(encoding="utf-8")
        roles = page.split('class="q roles"')[1].split("</div>")[0]
        assert re.findall(r"<li><span>(.*?)</span></li>", roles) == [*PARTNER, "Other"]
        assert "For the partner perspective" in page


def test_an_unknown_perspective_is_refused_in_one_line(tmp_path):
    result = invoke("--perspective", "data", "--out", tmp_path / "q.html")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "strategic, operational" in result.output
    assert not (tmp_path / "q.html").exists()


@pytest.mark.parametrize("fmt", ["html", "xlsx", "csv", "qualtrics"])
def test_a_custom_rulebook_shows_its_own_texts(fmt, tmp_path):
    path = custom_rulebook(tmp_path, "Do you know who fits, really?", "Fit is written & used.")
    out = tmp_path / f"custom.{fmt}"
    assert invoke("--rulebook", path, "--format", fmt, "--out", out).exit_code == 0
    data = out.read_bytes()
    if fmt == "xlsx":
        wb = load_workbook(out)
        texts = [c.value for row in wb.worksheets for r in row.iter_rows() for c in r]
        text = "\n".join(str(t) for t in texts if t)
    else:
        text = html.unescape(data.decode("utf-8"))
    assert "Do you know who fits, really?" in text
    assert "3 - Fit is written & used." in text
    assert RB.signals[0].question not in text


def test_default_name_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for fmt, name in [
        ("html", "questionnaire-paos-v1.html"),
        ("qualtrics", "questionnaire-paos-v1.txt"),
    ]:
        result = invoke("--format", fmt)
        assert result.exit_code == 0 and result.output == f"wrote {name}\n"
    result = invoke("--format", "csv", "--perspective", "partner")
    assert result.output == "wrote questionnaire-paos-v1-partner.csv\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "questionnaire-paos-v1-partner.csv",
        "questionnaire-paos-v1.html",
        "questionnaire-paos-v1.txt",
    ]  # nothing else left behind


def test_html_escapes_a_hostile_rubric(tmp_path):
    path = custom_rulebook(tmp_path, "Who <b>fits</b>?", HOSTILE)
    page = render(load_rulebook(path), "html").decode("utf-8")
    assert "<script" not in page and "<b>fits" not in page
    assert html.escape(f"3 - {HOSTILE}") in page
    txt = render(load_rulebook(path), "qualtrics").decode("utf-8")
    fit01 = qualtrics_questions(txt)[3]
    assert fit01["choices"][2] == f"3 - {HOSTILE}" and "[[PageBreak]]" not in txt


# -- overwriting ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "xlsx", "csv", "qualtrics"])
def test_an_existing_file_is_replaced_only_with_force_and_only_if_paos_wrote_it(fmt, tmp_path):
    out = tmp_path / "form"
    assert invoke("--format", fmt, "--out", out).exit_code == 0
    first = out.read_bytes()
    out.write_bytes(first)
    refused = invoke("--format", fmt, "--out", out)
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert "--force" in refused.output and refused.output.count("\n") == 1
    assert invoke("--format", fmt, "--out", out, "--force").exit_code == 0
    assert out.read_bytes() == first  # deterministic, replaced

    mine = tmp_path / "mine"
    mine.write_text("my own notes\n")
    kept = invoke("--format", fmt, "--out", mine, "--force")
    assert kept.exit_code == 1 and "is not a" in kept.output and str(mine) in kept.output
    assert mine.read_text() == "my own notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["form", "mine"]


def test_a_folder_in_the_way_is_a_fault_naming_it(tmp_path):
    (tmp_path / "x").write_text("a file")
    result = invoke("--out", tmp_path / "x" / "q.html")
    assert result.exit_code == 1 and str(tmp_path / "x") in result.output
    assert result.output.count("\n") == 1


def test_write_questionnaire_returns_the_path(tmp_path):
    path = write_questionnaire(RB, "csv", out=tmp_path / "q.csv")
    assert path == tmp_path / "q.csv" and path.read_bytes() == render(RB, "csv")


def test_an_unknown_format_is_refused():
    result = invoke("--format", "pdf")
    assert result.exit_code == 2 and "html, xlsx, csv, qualtrics" in result.output


@pytest.mark.parametrize(
    "column, found",
    [
        ("FIT-01", ("FIT-01", False)),
        ("fit-01_why", ("FIT-01", True)),
        ("[FIT-01] Is it documented which partners belong in the ecosystem?", ("FIT-01", False)),
        ("[FIT-01]  why ?", ("FIT-01", True)),
        ("[XYZ-01] Why?", None),
        (ROLE_ID, None),
        ("Respondent", None),
    ],
)
def test_an_export_column_names_its_signal(column, found):
    assert question_of(column, RB) == found


# -- what the form says: time, client, how answers are used, how to return it --


def form_text(fmt: str, about: About | None = None, rb=RB) -> str:
    data = render(rb, fmt, about=about or About())
    if fmt == "xlsx":
        wb = load_workbook(io.BytesIO(data))
        return "\n".join(
            str(c.value)
            for r in wb["questionnaire"].iter_rows(max_row=HEADER_ROW)
            for c in r
            if c.value
        )
    return html.unescape(data.decode("utf-8"))


@pytest.mark.parametrize("fmt", ["html", "xlsx", "csv", "qualtrics"])
def test_every_format_says_how_the_answers_are_used(fmt):
    text = " ".join(form_text(fmt).split())
    k = RB["anonymity_min_role_group"]
    assert "takes about 15 minutes: 24 questions" in text  # 30 s a question, to 5 min
    assert "averages per perspective (Strategic, Operational, Partner)" in text
    assert "shown even when only one person answers for a perspective" in text
    assert f"A quote names a role only when at least {k} respondents share that role" in text
    assert "Your name is never shown in any report" in text
    returned = {
        "html": "return the form to the person who sent it to you",
        "xlsx": "save the file and send it back to the person who sent it to you",
        "csv": "recorded when you submit the survey",
        "qualtrics": "recorded when you submit the survey",
    }
    assert returned[fmt] in text


def test_the_anonymity_minimum_comes_from_the_rulebook(tmp_path):
    text = (RULEBOOK_DIR / "paos-v1.yaml").read_text(encoding="utf-8")
    text = text.replace("id: paos-v1", "id: acme-q2").replace(
        "anonymity_min_role_group: 3", "anonymity_min_role_group: 6"
    )
    (tmp_path / "acme-q2.yaml").write_text(text, encoding="utf-8")
    told = form_text("html", rb=load_rulebook(tmp_path / "acme-q2.yaml"))
    assert "at least 6 respondents" in told and "at least 3 respondents" not in told


@pytest.mark.parametrize("fmt", ["html", "xlsx", "csv", "qualtrics"])
def test_the_client_and_who_gets_it_back_are_named(fmt):
    about = About("Acme <b>GmbH</b> & Co", "Lena (lena@example.com)")
    text = form_text(fmt, about)
    assert "Partner ecosystem questionnaire for Acme <b>GmbH</b> & Co" in text
    if fmt in ("html", "xlsx"):
        assert "Lena (lena@example.com)" in text
    raw = render(RB, fmt, about=about)
    assert b"<b>GmbH" not in raw or fmt in ("csv", "xlsx")  # escaped where markup is read


def test_client_from_an_engagement_and_refusals(tmp_path):
    demo = Path(__file__).parent.parent / "data" / "engagements" / "northwind-2026-09"
    out = tmp_path / "q.html"
    result = invoke("--engagement", demo, "--out", out)
    assert result.exit_code == 0, result.output
    assert "questionnaire for Northwind Analytics GmbH" in out.read_text(encoding="utf-8")
    both = invoke("--engagement", demo, "--client", "X", "--out", tmp_path / "b.html")
    assert both.exit_code == 2 and "not both" in both.output
    bad = invoke("--client", "Acme\x1b[31m", "--out", tmp_path / "c.html")
    assert bad.exit_code == 2 and "control character" in bad.output
    assert bad.output.count("\n") == 1 and not (tmp_path / "c.html").exists()


def test_an_other_role_is_offered_with_the_perspective_it_needs():
    qs = parse_csv(render(RB, "csv"))
    role, persp = qs[1], qs[2]
    assert role["choices"].split(CHOICE_SEPARATOR)[-1] == "Other"
    assert role_target("Other", RB) in RB["roles_requiring_perspective"]
    # `paos import` reads the perspective column by its header's word, never as a role
    words = set(normalise(persp["question"]).split())
    assert "perspective" in words and not {"role", "roles"} & words
    assert all(
        normalise(c) in RB["stakeholder_perspectives"]
        for c in persp["choices"].split(CHOICE_SEPARATOR)
    )


def test_names_are_asked_as_never_shown():
    assert "Name or code (never shown in any report)" in form_text("html")
    assert "Name or code (never shown in any report)" in form_text("xlsx")


def test_xlsx_head_block_is_not_clipped():
    wb = load_workbook(io.BytesIO(render(RB, "xlsx", about=About("A" * 80, "B" * 60))))
    ws = wb["questionnaire"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    total = sum(ws.column_dimensions[c].width for c in "ABCDEF")
    for r in range(1, HEADER_ROW):
        value = ws.cell(r, 1).value
        if not value or r in (11, 12, 13):
            continue
        assert f"A{r}:F{r}" in merged, r
        lines = -(-len(str(value)) // int(total - 2))
        assert ws.row_dimensions[r].height >= 15 * lines, (r, value)
        assert ws.cell(r, 1).alignment.wrap_text
