"""`paos import` routes an analyst used to do by hand: SurveyMonkey's older header
spelling, the offline questionnaire returned filled in, and exports too large for
the evidence they would make (refused before anything is written, in bounded
memory)."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paos.base.rulebook import load_rulebook
from paos.cli import app
from paos.errors import EvidenceError
from paos.evidence.questionnaire_workbook import (
    HEADER_ROW,
    PERSPECTIVE_CELL,
    RESPONDENT_CELL,
    ROLE_CELL,
)
from paos.evidence.surveys import import_export, suggest_mapping
from paos.evidence.validate import load_evidence
from tests.ods import xlsx_as_ods

ROOT = Path(__file__).resolve().parents[1]
RB = load_rulebook("paos-v1")
NAME_LINE, ROLE_LINE = int(RESPONDENT_CELL[1:]), int(ROLE_CELL[1:])  # of the questionnaire
FIRST = HEADER_ROW + 1  # its first signal's line
SIG = {s.id: s for s in RB.signals}
Q = {sid: s.question for sid, s in SIG.items()}


def csv_file(path: Path, rows: list[list[object]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


def imported(folder: Path) -> tuple[dict, dict]:
    """(role and perspective by stakeholder, (rating, evidence) by stakeholder and signal)."""
    ev = load_evidence([folder])
    people = {
        r["stakeholder_id"]: (r["role"], r["perspective"]) for r in ev.stakeholders.to_dicts()
    }
    ratings = {
        (r["stakeholder_id"], r["signal_id"]): (r["rating"], r["evidence"])
        for r in ev.ratings.to_dicts()
    }
    return people, ratings


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- SurveyMonkey's older header spelling -----------------------------------------

LEGACY_META = [
    "RespondentID",
    "CollectorID",
    "StartDate",
    "EndDate",
    "IPAddress",
    "Email",
    "FirstName",
    "LastName",
    "CustomData",
]


def legacy_surveymonkey(path: Path) -> Path:
    return csv_file(
        path,
        [
            LEGACY_META + ["What is your role?", f"Q1. {Q['FIT-01']}", "Why?"],
            [None] * len(LEGACY_META) + ["Response", "Response", "Open-Ended Response"],
            [
                "114000000001",
                "400000001",
                "02/01/2026 10:00:00 AM",
                "02/01/2026 10:05:00 AM",
                "198.51.100.7",
                "carol@client.example",
                "Carol",
                "Example",
                "NW-01",
                "Head of Partnerships",
                "Defined",
                "We apply written criteria",
            ],
            [
                "114000000002",
                "400000001",
                "02/01/2026 11:00:00 AM",
                "02/01/2026 11:05:00 AM",
                "198.51.100.8",
                "dan@client.example",
                "Dan",
                "Example",
                "NW-02",
                "CEO",
                "Don't know",
                None,
            ],
        ],
    )


def test_surveymonkey_older_header_spelling_imports_unchanged(eng, tmp_path):
    export = legacy_surveymonkey(tmp_path / "monkey.csv")
    result = import_export(export, eng)
    assert result.export.tool == "surveymonkey"
    assert [c.key for c in result.export.metadata] == LEGACY_META
    people, ratings = imported(eng)
    assert people == {
        "sm-114000000001": ("head_of_partnerships", "strategic"),
        "sm-114000000002": ("ceo", "strategic"),
    }
    assert ratings == {("sm-114000000001", "FIT-01"): (3, "We apply written criteria")}
    text = (eng / "stakeholders.csv").read_text() + (eng / "ratings.csv").read_text()
    assert not any(v in text for v in ("Carol", "carol@", "198.51.100", "NW-01"))


def test_suggest_ignores_the_older_surveymonkey_metadata(tmp_path):
    text = suggest_mapping(legacy_surveymonkey(tmp_path / "monkey.csv"))
    assert "(SurveyMonkey export)" in text
    for name in LEGACY_META:
        assert f'  "{name}": ignore  # SurveyMonkey metadata' in text
    assert "# CHECK" not in text


def test_suggest_never_guesses_a_metadata_column_as_a_signal(tmp_path):
    """A plain table (no tool recognised) with a tool's metadata headers: suggested
    as ignored, to check, never as the signal their words resemble."""
    export = csv_file(
        tmp_path / "plain.csv",
        [["Custom Data 1", "CustomData", "IP Address", Q["FIT-01"]], ["x", "y", "z", "3"]],
    )
    text = suggest_mapping(export)
    assert '  "Custom Data 1": ignore  # CHECK: a survey tool\'s metadata column' in text
    assert '  "CustomData": ignore  # CHECK: a survey tool\'s metadata column' in text
    assert '  "IP Address": ignore  # CHECK' in text


# --- the offline questionnaire, returned filled in ----------------------------------


def returned(
    path: Path,
    respondent: str | None,
    role: str | None,
    answers: dict[str, tuple[str | None, str | None]],
    perspective: str | None = None,
    edit=None,
    declared: str | None = None,
) -> Path:
    """`paos questionnaire --format xlsx` as a stakeholder returns it: respondent and
    role filled in, and per signal id (answer, comment); `edit(workbook)` changes it
    further. Saved as .xlsx, or as .ods when `path` says so."""
    from openpyxl import load_workbook

    from paos.evidence.questionnaire import render

    wb = load_workbook(io.BytesIO(render(RB, "xlsx", perspective)))
    ws = wb["questionnaire"]
    ws[RESPONDENT_CELL], ws[ROLE_CELL] = respondent, role
    rows = {ws.cell(r, 1).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    if declared is not None:
        ws[PERSPECTIVE_CELL] = declared
    for sid, (answer, comment) in answers.items():
        ws.cell(rows[sid], 5, answer)
        ws.cell(rows[sid], 6, comment)
    if edit is not None:
        edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    if path.suffix == ".ods":
        xlsx_as_ods(buf.getvalue(), path)
    else:
        path.write_bytes(buf.getvalue())
    return path


def choice(sid: str, level: int) -> str:
    return f"{level} - {SIG[sid].rubric[level]}"


def digest(respondent: str) -> str:
    return hashlib.sha256(" ".join(respondent.casefold().split()).encode()).hexdigest()[:10]


def test_one_returned_questionnaire_imports_as_one_respondent(eng, tmp_path):
    form = returned(
        tmp_path / "alex.xlsx",
        "Alex Example",
        "CEO",
        {
            "FIT-01": (choice("FIT-01", 3), "Written criteria, applied\nevery time"),
            "FIT-02": ("Cannot judge", None),
            "ECO-01": (choice("ECO-01", 2), None),
        },
    )
    r = CliRunner().invoke(app, ["import", str(form), "--into", str(eng)])
    assert r.exit_code == 0, r.output
    sid = f"q-{digest('Alex Example')}"
    assert r.output.splitlines()[:2] == [
        f"{form}: returned paos questionnaire export, 1 respondents imported (strategic 1)",
        f"  {len(RB.signals)} signals asked; 2 ratings, 1 comments, {len(RB.signals) - 2} blank "
        "answers (blank, N/A, Cannot judge)",
    ]
    people, ratings = imported(eng)
    assert people == {sid: ("ceo", "strategic")}
    assert ratings == {
        (sid, "FIT-01"): (3, "Written criteria, applied\nevery time"),
        (sid, "ECO-01"): (2, None),
    }
    text = (eng / "stakeholders.csv").read_text() + (eng / "ratings.csv").read_text()
    assert "Alex" not in text


def test_a_folder_of_returned_questionnaires_in_name_order(eng, tmp_path):
    folder = tmp_path / "returned"
    folder.mkdir()
    returned(folder / "b-kim.xlsx", "Kim", "Partner Manager", {"FIT-01": ("2", "So-so")})
    returned(folder / "a-robin.ods", "Robin", "Partner", {"FIT-01": (choice("FIT-01", 4), None)})
    result = import_export(folder, eng)
    assert [p.stakeholder_id for p in result.responses.people] == [
        f"q-{digest('Robin')}",
        f"q-{digest('Kim')}",
    ]
    people, ratings = imported(eng)
    assert people == {
        f"q-{digest('Robin')}": ("partner", "partner"),
        f"q-{digest('Kim')}": ("partner_manager", "operational"),
    }
    assert ratings == {
        (f"q-{digest('Robin')}", "FIT-01"): (4, None),
        (f"q-{digest('Kim')}", "FIT-01"): (2, "So-so"),
    }


def test_two_questionnaires_of_one_respondent_are_refused(eng, tmp_path):
    folder = tmp_path / "returned"
    folder.mkdir()
    returned(folder / "first.xlsx", "Alex Example", "CEO", {"FIT-01": ("3", None)})
    returned(folder / "second.xlsx", "  alex   EXAMPLE ", "CEO", {"FIT-01": ("2", None)})
    before = files(eng)
    with pytest.raises(EvidenceError) as info:
        import_export(folder, eng)
    assert info.value.lines() == [
        f"{folder / 'second.xlsx'} line {NAME_LINE}: is a questionnaire of the same respondent as "
        "first.xlsx (the same name or code); each respondent counts once: keep one of them"
    ]
    assert files(eng) == before


def test_every_cell_of_a_returned_questionnaire_is_used_or_refused(eng, tmp_path):
    def scribble(wb):
        ws = wb["questionnaire"]
        ws[f"H{FIRST + 2}"] = "call me"  # a note beside the table
        ws[f"C{HEADER_ROW - 1}"] = "see below"  # a note above the table
        ws.cell(ws.max_row + 1, 1, "XYZ-99")  # a row for no signal
        ws.cell(ws.max_row, 5, "3")
        wb.create_sheet("notes")["B2"] = "more notes"

    form = returned(
        tmp_path / "form.xlsx",
        "Alex",
        "CEO",
        {"FIT-01": ("Excellent", None), "FIT-02": ("3", None)},
        edit=scribble,
    )
    before = files(eng)
    with pytest.raises(EvidenceError) as info:
        import_export(form, eng)
    last = FIRST + len(RB.signals)
    assert sorted(info.value.lines()) == sorted(
        [
            f"{form} (sheet notes) line 2, column B: 'more notes' holds data on sheet "
            "'notes' (1 cells); a returned questionnaire has its answers on sheet "
            "'questionnaire' only: delete the others",
            f"{form} (sheet questionnaire) line {HEADER_ROW - 1}, column C: 'see below' is not a cell of "
            "the questionnaire to fill; delete it",
            f"{form} (sheet questionnaire) line {FIRST}, column E: 'Excellent' is not a rating "
            "(1-4, '1 - …', a level name such as 'Scalable', or blank / 'Cannot judge')",
            f"{form} (sheet questionnaire) line {FIRST + 2}, column H: 'call me' is not a cell of "
            "the questionnaire to fill; delete it",
            f"{form} (sheet questionnaire) line {last}, column A: 'XYZ-99' is not a signal "
            "of the rulebook; the row cannot be read",
        ]
    )
    assert files(eng) == before


def test_blank_respondent_or_role_and_a_role_of_another_perspective_are_refused(eng, tmp_path):
    blank = returned(tmp_path / "blank.xlsx", None, None, {"FIT-01": ("3", None)})
    other = returned(
        tmp_path / "other.xlsx", "Kim", "CEO", {"FIT-01": ("3", None)}, perspective="partner"
    )
    with pytest.raises(EvidenceError) as info:
        import_export(blank, eng)
    assert info.value.lines() == [
        f"{blank} (sheet questionnaire) line {NAME_LINE}: the respondent's name or code is blank; "
        "give one (paos copies neither: it tells respondents apart)",
        f"{blank} (sheet questionnaire) line {ROLE_LINE}: the role is blank; pick the respondent's "
        "role from the drop-down",
    ]
    with pytest.raises(EvidenceError) as info:
        import_export(other, eng)
    assert info.value.lines() == [
        f"{other} (sheet questionnaire) line {ROLE_LINE}: 'CEO' is a role of the strategic "
        "perspective, but the questionnaire says partner: answer the perspective question "
        "only for a role without one"
    ]


def test_a_reworded_and_rearranged_questionnaire_reads_the_same(eng, tmp_path):
    """Read by its names, not its cells: other explanatory text, rows added above the
    table, another sheet name."""

    def rework(wb):
        ws = wb["questionnaire"]
        ws["A3"] = "Please answer every question you can; your role decides nothing here."
        ws.unmerge_cells(f"A{NAME_LINE}:C{NAME_LINE}")
        ws[f"A{NAME_LINE}"] = "Respondent (name or code)"  # as the first version asked
        ws.insert_rows(2, 2)
        ws["A2"] = "Thank you for your time."
        ws.title = "Fragebogen"

    form = returned(tmp_path / "form.xlsx", "Alex", "CEO", {"FIT-01": ("3", "ok")}, edit=rework)
    import_export(form, eng)
    people, ratings = imported(eng)
    assert people == {f"q-{digest('Alex')}": ("ceo", "strategic")}
    assert ratings == {(f"q-{digest('Alex')}", "FIT-01"): (3, "ok")}


def test_a_folder_with_anything_but_workbooks_is_refused(eng, tmp_path):
    folder = tmp_path / "returned"
    folder.mkdir()
    returned(folder / "a.xlsx", "Alex", "CEO", {"FIT-01": ("3", None)})
    (folder / "notes.txt").write_text("x")
    with pytest.raises(EvidenceError) as info:
        import_export(folder, eng)
    assert info.value.lines() == [
        f"{folder / 'notes.txt'}: is not a workbook (.xlsx, .xlsm, .ods, .xls); a folder "
        "to import holds returned questionnaires only"
    ]


def test_the_role_other_takes_the_perspective_question(eng, tmp_path):
    form = returned(
        tmp_path / "eve.xlsx", "Eve", "Other", {"FIT-01": ("3", None)}, declared="Partner"
    )
    import_export(form, eng)
    people, _ = imported(eng)
    assert people == {f"q-{digest('Eve')}": ("other", "partner")}
    unanswered = returned(tmp_path / "ida.xlsx", "Ida", "Other", {"FIT-01": ("3", None)})
    with pytest.raises(EvidenceError) as info:
        import_export(unanswered, eng, append=True)
    assert info.value.lines() == [
        f"{unanswered} (sheet questionnaire) line {ROLE_LINE}: 'Other' has no perspective of "
        "its own and the perspective question is not answered; pick the respondent's "
        "perspective"
    ]


def test_the_same_workbook_imported_again_counts_once(eng, tmp_path):
    form = returned(tmp_path / "alex.xlsx", "Alex", "CEO", {"FIT-01": ("3", "ok")})
    import_export(form, eng)
    before = imported(eng)
    result = import_export(form, eng, append=True)
    assert result.responses.skipped == [f"q-{digest('Alex')}"]
    assert imported(eng) == before
