"""`paos import`: survey exports of the tools clients use, read into an engagement."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from paos.base.rulebook import load_rulebook
from paos.cli import app
from paos.errors import EvidenceError, PaosError
from paos.evidence.surveys import import_export, suggest_mapping, summary_text
from paos.evidence.validate import load_evidence

RB = load_rulebook("paos-v1")
SIG = {s.id: s for s in RB.signals}
Q = {sid: s.question for sid, s in SIG.items()}
TRICKY = 'Partners, mostly "resellers";\nsecond line, too'

QUALTRICS_META = [
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
]


def csv_file(path: Path, rows: list[list[object]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


def xlsx_file(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
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


# --- exports as the tools write them ------------------------------------------


def qualtrics(
    path: Path,
    answers: list[dict],
    legacy: bool = False,
    numeric: bool = False,
    from_paos: bool = False,
) -> Path:
    """A Qualtrics export: Q1 role, Q2 FIT-01 with Q2_TEXT its comment, Q3 a matrix
    row `Partner Fit - <FIT-02>`, and a question whose id is the signal id (FIT-03
    with FIT-03_why)."""
    qs = [
        ("Q1", "What is your role?"),
        ("Q2", Q["FIT-01"]),
        ("Q2_TEXT", "Why?"),
        ("Q3_1", f"Partner Fit - {Q['FIT-02']}"),
        ("FIT-03", Q["FIT-03"]),
        ("FIT-03_why", "Why?"),
    ]
    meta = [m for m in QUALTRICS_META if not legacy or m[0] != "ResponseId"]
    if from_paos:  # the embedded data of a survey made by `paos questionnaire`
        meta = [*meta, ("paos_rulebook", "paos_rulebook", "paos_rulebook")]
    if legacy:
        meta = [("ResponseID", "ResponseID", "")] + meta
    ids = [m[0] for m in meta] + [q[0] for q in qs]
    texts = [m[1] for m in meta] + [q[1] for q in qs]
    rows: list[list[object]] = [ids, texts]
    if not legacy:
        rows.append(
            [json.dumps({"ImportId": m[2]}) for m in meta]
            + [json.dumps({"ImportId": f"QID{i}"}) for i, _ in enumerate(qs)]
        )
    for n, a in enumerate(answers, start=1):
        done = a.get("finished", True)
        meta_values = {
            "Finished": ("1" if done else "0") if numeric or legacy else str(done),
            "ResponseId": f"R_{n:04d}xYz",
            "ResponseID": f"R_{n:04d}xYz",
            "IPAddress": f"203.0.113.{n}",
            "RecipientEmail": f"person{n}@client.example",
            "RecipientFirstName": f"First{n}",
            "RecipientLastName": f"Last{n}",
            "Progress": "100" if done else "40",
            "paos_rulebook": "paos-v1",
        }
        rows.append(
            [meta_values.get(m[0], "2026-02-01 10:00:00") for m in meta]
            + [a.get(q[0], "") for q in qs]
        )
    return csv_file(path, rows)


def test_qualtrics_three_rows_with_choice_text(eng, tmp_path):
    export = qualtrics(
        tmp_path / "internal.csv",
        [
            {
                "Q1": "Head of Partnerships",
                "Q2": f"3 - {SIG['FIT-01'].rubric[3]}",
                "Q2_TEXT": TRICKY,
                "Q3_1": "Emerging",
                "FIT-03": SIG["FIT-03"].rubric[4],
                "FIT-03_why": "=HYPERLINK(1)",
            },
            {
                "Q1": "RevOps",
                "Q2": "Cannot judge",
                "Q2_TEXT": "never seen it",
                "Q3_1": "N/A",
                "FIT-03": "1 - No partner has ever been declined.",
                "finished": False,
            },
        ],
    )
    result = import_export(export, eng)
    assert result.invalid == []
    people, ratings = imported(eng)
    assert people == {
        "qx-R_0001xYz": ("head_of_partnerships", "strategic"),
        "qx-R_0002xYz": ("revops", "operational"),
    }
    assert ratings == {
        ("qx-R_0001xYz", "FIT-01"): (3, TRICKY),
        ("qx-R_0001xYz", "FIT-02"): (2, None),
        ("qx-R_0001xYz", "FIT-03"): (4, "=HYPERLINK(1)"),  # as written (issue 16 item 14)
        ("qx-R_0002xYz", "FIT-01"): (None, "never seen it"),
        ("qx-R_0002xYz", "FIT-03"): (1, None),
    }
    text = summary_text(result)
    print(text)
    assert "2 respondents imported (operational 1, strategic 1)" in text
    assert "4 ratings, 3 comments, 2 blank answers" in text
    assert "incomplete responses: 1 imported" in text
    assert "ignored (Qualtrics metadata): StartDate" in text


def test_a_numeric_qualtrics_export_of_a_paos_questionnaire_reads_cannot_judge(eng, tmp_path):
    """Qualtrics exports a choice as its position; in a survey `paos questionnaire`
    made (its embedded data names the rulebook) the one after the levels is 'Cannot
    judge'. Without that declaration a 5 stays what it says: off the scale."""
    answers = [{"Q1": "CEO", "Q2": "5", "Q2_TEXT": "can't say", "Q3_1": "4", "FIT-03": "1"}]
    import_export(qualtrics(tmp_path / "paos.csv", answers, numeric=True, from_paos=True), eng)
    _, ratings = imported(eng)
    assert ratings == {
        ("qx-R_0001xYz", "FIT-01"): (None, "can't say"),
        ("qx-R_0001xYz", "FIT-02"): (4, None),
        ("qx-R_0001xYz", "FIT-03"): (1, None),
    }
    refused(
        eng,
        qualtrics(tmp_path / "other.csv", answers, numeric=True),
        "'5' is not a rating (1-4 or blank)",
        force=True,
    )


def test_qualtrics_legacy_two_rows_with_numeric_values(eng, tmp_path):
    export = qualtrics(
        tmp_path / "legacy.csv",
        [
            {"Q1": "CEO", "Q2": "4", "Q2_TEXT": "yes, written", "Q3_1": "2.0", "FIT-03": "1"},
            {"Q1": "partner manager", "Q2": "", "Q3_1": "3", "FIT-03": "3"},
        ],
        legacy=True,
    )
    import_export(export, eng)
    people, ratings = imported(eng)
    assert set(people) == {"qx-R_0001xYz", "qx-R_0002xYz"}
    assert ratings == {
        ("qx-R_0001xYz", "FIT-01"): (4, "yes, written"),
        ("qx-R_0001xYz", "FIT-02"): (2, None),
        ("qx-R_0001xYz", "FIT-03"): (1, None),
        ("qx-R_0002xYz", "FIT-02"): (3, None),
        ("qx-R_0002xYz", "FIT-03"): (3, None),
    }


def google(path: Path, answers: list[tuple[str, str, str, str, str]]) -> Path:
    """Google Forms: Timestamp, Email Address, a role question, a grid `Partner Fit
    [question]` of two rows, a comment and a numbered question."""
    rows: list[list[object]] = [
        [
            "Timestamp",
            "Email Address",
            "Your role in the company",
            f"Partner Fit [{Q['FIT-01']}]",
            f"Partner Fit [{Q['FIT-02']}]",
            "Comment",
            f"7. {Q['REC-01']}",
        ]
    ]
    for n, (role, fit1, fit2, comment, rec1) in enumerate(answers, start=1):
        rows.append(
            [
                f"2026/02/0{n} 10:00:00",
                f"someone{n}@client.example",
                role,
                fit1,
                fit2,
                comment,
                rec1,
            ]
        )
    return csv_file(path, rows)


def test_google_forms_grid_headers(eng, tmp_path):
    export = google(
        tmp_path / "forms.csv",
        [
            ("Partner Manager", "Defined", "Scalable", TRICKY, "Don't know"),
            ("CEO", "1", "2", "", "4 - anything"),
        ],
    )
    result = import_export(export, eng)
    people, ratings = imported(eng)
    assert people == {"gf-1": ("partner_manager", "operational"), "gf-2": ("ceo", "strategic")}
    assert ratings == {
        ("gf-1", "FIT-01"): (3, None),
        ("gf-1", "FIT-02"): (4, TRICKY),
        ("gf-2", "FIT-01"): (1, None),
        ("gf-2", "FIT-02"): (2, None),
        ("gf-2", "REC-01"): (4, None),
    }
    assert result.responses.blanks == 1


@pytest.mark.parametrize("why", [True, False], ids=["with why", "without why"])
def test_a_question_whose_words_say_reason_is_still_its_rating(eng, tmp_path, why):
    """Issue 16 item 2: '[REC-04] Is there a tested reason ...' (as `paos questionnaire
    --format csv` titles it) holds ratings; a word of the question ('reason') never
    makes it a comment column."""
    title = f"[REC-04] {Q['REC-04']}"
    header = ["Timestamp", "Which of these best describes your role?", title]
    rows = [["2026/02/01 10:00:00", "CEO", f"3 - {SIG['REC-04'].rubric[3]}"]]
    rows.append(["2026/02/02 10:00:00", "Sales", "Emerging"])
    rows.append(["2026/02/03 10:00:00", "Partner", "Cannot judge"])
    if why:
        header.append("[REC-04] Why?")
        for row, comment in zip(rows, ["a tested reason, yes", "", "no idea"], strict=True):
            row.append(comment)
    result = import_export(csv_file(tmp_path / "forms.csv", [header, *rows]), eng)
    assert result.invalid == []
    _, ratings = imported(eng)
    assert ratings == {
        ("gf-1", "REC-04"): (3, "a tested reason, yes" if why else None),
        ("gf-2", "REC-04"): (2, None),
        **({("gf-3", "REC-04"): (None, "no idea")} if why else {}),
    }


def test_a_column_kind_follows_its_answers_not_its_words(eng, tmp_path):
    """A header naming a signal with a comment word outside its question ('FIT-01
    explanation') whose every answer is a rating, and no other column of that signal:
    its answers say it is the rating. Free text after it stays its comment."""
    export = csv_file(
        tmp_path / "forms.csv",
        [
            ["Timestamp", "Role", "FIT-01 explanation", "FIT-02", "FIT-02 notes"],
            ["2026/02/01 10:00:00", "CEO", "3", "Defined", "written down in the wiki"],
            ["2026/02/02 10:00:00", "CEO", "Cannot judge", "1", ""],
        ],
    )
    result = import_export(export, eng)
    assert result.plan.how[2] == "answers are ratings"
    _, ratings = imported(eng)
    assert ratings == {
        ("gf-1", "FIT-01"): (3, None),
        ("gf-1", "FIT-02"): (3, "written down in the wiki"),
        ("gf-2", "FIT-02"): (1, None),
    }


def test_microsoft_forms_xlsx(eng, tmp_path):
    export = xlsx_file(
        tmp_path / "msforms.xlsx",
        [
            [
                "ID",
                "Start time",
                "Completion time",
                "Email",
                "Name",
                "Last modified time",
                "What is your role?",
                f"1. {Q['ONB-01']}",
                "Why?",
                "ORG-03 Capacity",
            ],
            [
                1,
                "2/1/26 10:00:00",
                "2/1/26 10:05:00",
                "ann@client.example",
                "Ann Example",
                None,
                "Partner",
                "Scalable",
                TRICKY,
                2,
            ],
            [
                2,
                "2/1/26 11:00:00",
                "2/1/26 11:05:00",
                "anonymous",
                "Bob Example",
                None,
                "sales",
                "3 - Defined",
                None,
                "Cannot judge",
            ],
        ],
    )
    import_export(export, eng)
    people, ratings = imported(eng)
    assert people == {"ms-1": ("partner", "partner"), "ms-2": ("sales", "operational")}
    assert ratings == {
        ("ms-1", "ONB-01"): (4, TRICKY),
        ("ms-1", "ORG-03"): (2, None),
        ("ms-2", "ONB-01"): (3, None),
    }


def surveymonkey_rows() -> list[list[object]]:
    head = [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
    ]
    return [
        head + ["What is your role?", "Partner Fit", None, "Why?", Q["ECO-01"]],
        [None] * len(head)
        + ["Response", Q["FIT-01"], Q["FIT-04"], "Open-Ended Response", "Response"],
        [
            "114000000001",
            "400000001",
            "02/01/2026 10:00:00",
            "02/01/2026 10:05:00",
            "198.51.100.7",
            "carol@client.example",
            "Carol",
            "Example",
            None,
            "Head of Partnerships",
            f"2 - {SIG['FIT-01'].rubric[2]}",
            "Absent",
            TRICKY,
            "4",
        ],
        [
            "114000000002",
            "400000001",
            "02/01/2026 11:00:00",
            "02/01/2026 11:05:00",
            "198.51.100.8",
            "dan@client.example",
            "Dan",
            "Example",
            None,
            "CEO",
            "Cannot judge",
            "3 - Defined",
            None,
            "Emerging",
        ],
    ]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_surveymonkey_two_header_rows(eng, tmp_path, suffix):
    path = tmp_path / f"monkey.{suffix}"
    (csv_file if suffix == "csv" else xlsx_file)(path, surveymonkey_rows())
    import_export(path, eng)
    people, ratings = imported(eng)
    assert people == {
        "sm-114000000001": ("head_of_partnerships", "strategic"),
        "sm-114000000002": ("ceo", "strategic"),
    }
    assert ratings == {
        ("sm-114000000001", "FIT-01"): (2, None),
        ("sm-114000000001", "FIT-04"): (1, TRICKY),
        ("sm-114000000001", "ECO-01"): (4, None),
        ("sm-114000000002", "FIT-04"): (3, None),
        ("sm-114000000002", "ECO-01"): (2, None),
    }


def test_paos_wide_layout(eng, tmp_path):
    export = csv_file(
        tmp_path / "wide.csv",
        [
            [
                "stakeholder_id",
                "role",
                "perspective",
                "name",
                "FIT-01",
                "FIT-01_evidence",
                "FIT-02",
            ],
            ["s1", "other", "partner", "Eve Example", "3", TRICKY, "Defined"],
            ["s2", "ceo", "", "", "2", "", ""],
        ],
    )
    import_export(export, eng)
    people, ratings = imported(eng)
    assert people == {"s1": ("other", "partner"), "s2": ("ceo", "strategic")}
    assert ratings == {
        ("s1", "FIT-01"): (3, TRICKY),
        ("s1", "FIT-02"): (3, None),
        ("s2", "FIT-01"): (2, None),
    }
    assert b"Eve" not in (eng / "stakeholders.csv").read_bytes()


def test_no_names_emails_or_ips_are_copied(eng, tmp_path):
    export = qualtrics(tmp_path / "q.csv", [{"Q1": "CEO", "Q2": "3"}, {"Q1": "CEO", "Q2": "2"}])
    import_export(export, eng)
    written = (eng / "stakeholders.csv").read_text() + (eng / "ratings.csv").read_text()
    for secret in ("person1@", "First1", "Last1", "203.0.113", "client.example"):
        assert secret not in written


def test_a_second_export_is_appended_with_distinct_ids(eng, tmp_path):
    first = google(tmp_path / "internal.csv", [("CEO", "2", "2", "", "2")])
    second = google(tmp_path / "partners.csv", [("Partner", "4", "4", "", "4")])
    import_export(first, eng)
    with pytest.raises(EvidenceError, match="holds evidence already"):
        import_export(second, eng)
    result = import_export(second, eng, append=True)
    people, ratings = imported(eng)
    assert people == {"gf-1": ("ceo", "strategic"), "gf2-1": ("partner", "partner")}
    assert ratings[("gf-1", "FIT-01")] == (2, None)
    assert ratings[("gf2-1", "FIT-01")] == (4, None)
    assert "gf2-1" in summary_text(result)
    import_export(second, eng, force=True)  # replaces
    people, _ = imported(eng)
    assert people == {"gf-1": ("partner", "partner")}


def test_complete_only_leaves_incomplete_responses_out(eng, tmp_path):
    export = qualtrics(
        tmp_path / "q.csv",
        [{"Q1": "CEO", "Q2": "3"}, {"Q1": "CEO", "Q2": "2", "finished": False}],
    )
    result = import_export(export, eng, complete_only=True)
    people, _ = imported(eng)
    assert list(people) == ["qx-R_0001xYz"]
    assert result.responses.left_out == 1
    assert "1 left out (--complete-only)" in summary_text(result)


# --- refusals: one line each, nothing written -----------------------------------


def refused(eng: Path, export: Path, *rules: str, **options) -> str:
    before = files(eng)
    with pytest.raises(PaosError) as caught:
        import_export(export, eng, **options)
    assert files(eng) == before, "a refused import wrote something"
    text = "\n".join(caught.value.lines())
    for rule in rules:
        assert rule in text
    return text


def test_an_unknown_question_column_is_refused_by_name(eng, tmp_path):
    export = csv_file(
        tmp_path / "forms.csv",
        [
            ["Timestamp", "Role", Q["FIT-01"], "How happy are you with partners?"],
            ["2026/02/01", "CEO", "3", "very"],
            ["2026/02/02", "CEO", "0", ""],
        ],
    )
    refused(
        eng,
        export,
        "column How happy are you with partners?: is a question paos cannot match",
        f"line 3, column {Q['FIT-01']}: '0' is not a rating",  # every problem at once
    )


def test_a_rating_outside_the_scale_is_refused_with_file_line_column_value(eng, tmp_path):
    export = qualtrics(tmp_path / "q.csv", [{"Q1": "CEO", "Q2": "3"}, {"Q1": "CEO", "Q2": "7"}])
    text = refused(eng, export)
    assert f"{export} line 5, column Q2: '7' is not a rating (1-4" in text


def test_an_unknown_role_is_refused(eng, tmp_path):
    export = qualtrics(tmp_path / "q.csv", [{"Q1": "Wizard", "Q2": "3"}])
    refused(eng, export, "line 4, column Q1: 'Wizard' is not a role of the rulebook")


def test_an_export_without_a_role_column_is_refused(eng, tmp_path):
    export = csv_file(tmp_path / "forms.csv", [["Timestamp", Q["FIT-01"]], ["2026/02/01", "3"]])
    refused(eng, export, "has no role column")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("role: partner\n")
    import_export(export, eng, mapping=mapping)
    assert imported(eng)[0] == {"gf-1": ("partner", "partner")}


def test_a_folder_that_is_no_engagement_is_refused(tmp_path):
    export = google(tmp_path / "f.csv", [("CEO", "2", "2", "", "2")])
    with pytest.raises(EvidenceError, match="paos new"):
        import_export(export, tmp_path / "nowhere")


def test_a_mapping_with_an_unknown_key_is_refused(eng, tmp_path):
    export = google(tmp_path / "f.csv", [("CEO", "2", "2", "", "2")])
    mapping = tmp_path / "map.yaml"
    mapping.write_text("colums:\n  a: FIT-01\n")
    refused(eng, export, "line 1, column colums: is not a key of a mapping file", mapping=mapping)
    mapping.write_text("columns: &a\n  x: FIT-01\n")
    refused(eng, export, "anchor or alias", mapping=mapping)


# --- --suggest, then --mapping --------------------------------------------------


def test_suggest_then_mapping_after_editing_one_wording(eng, tmp_path):
    export = csv_file(
        tmp_path / "custom.csv",
        [
            [
                "Timestamp",
                "Job title",
                "How well documented is your ideal partner profile?",
                "Tell us more",
                Q["FIT-02"],
                "Department",
            ],
            ["2026/02/01", "Alliances lead", "Agree", TRICKY, "3", "Sales"],
            ["2026/02/02", "Channel boss", "Strongly agree", "", "Not sure", "Ops"],
        ],
    )
    refused(eng, export, "column Job title", "column Department", "column Tell us more")
    text = suggest_mapping(export)
    print(text)
    assert '"Timestamp": ignore' in text
    assert f'"{Q["FIT-02"]}": "FIT-02"' in text
    assert '"Department": "?"' in text
    assert '"How well documented is your ideal partner profile?": FIT-01  # CHECK: guessed' in text
    assert '"Not sure": "?"' in text
    edited = (
        text.replace('"Job title": "?"', '"Job title": role')
        .replace('"Department": "?"', '"Department": ignore')
        .replace('"Tell us more": "?"', '"Tell us more": comment FIT-01')
        .replace('"Agree": "?"', '"Agree": 3')
        .replace('"Strongly agree": "?"', '"Strongly agree": 4')
        .replace('"Not sure": "?"', '"Not sure": blank')
        + 'roles:\n  "Alliances lead": head_of_partnerships\n  "Channel boss": channel_manager\n'
    )
    assert '"?"' not in edited.replace('replace every "?"', "")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(edited)
    import_export(export, eng, mapping=mapping)
    people, ratings = imported(eng)
    assert people == {
        "gf-1": ("head_of_partnerships", "strategic"),
        "gf-2": ("channel_manager", "operational"),
    }
    assert ratings == {
        ("gf-1", "FIT-01"): (3, TRICKY),
        ("gf-1", "FIT-02"): (3, None),
        ("gf-2", "FIT-01"): (4, None),
    }


def test_cli_import_and_suggest(eng, tmp_path):
    export = google(tmp_path / "f.csv", [("CEO", "2", "3", "ok", "4")])
    out = tmp_path / "map.yaml"
    r = CliRunner().invoke(app, ["import", "--suggest", str(export), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("# paos import mapping")
    r = CliRunner().invoke(app, ["import", str(export), "--into", str(eng), "--mapping", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 respondents imported (strategic 1)" in r.output
    assert f"{eng}: valid" in r.output
    r = CliRunner().invoke(app, ["import", str(export), "--into", str(eng)])
    assert r.exit_code == 2
    assert "holds evidence already" in r.output


# --- bounded work ---------------------------------------------------------------


def test_500_respondents_import_quickly(eng, tmp_path):
    roles = ["CEO", "Partner Manager", "RevOps", "Head of Partnerships", "Partner"]
    answers = [
        {
            "Q1": roles[n % 5],
            "Q2": f"{n % 4 + 1} - {SIG['FIT-01'].rubric[n % 4 + 1]}",
            "Q2_TEXT": f"because, {n}" if n % 3 else "",
            "Q3_1": ["Absent", "Emerging", "Defined", "Scalable", "Cannot judge"][n % 5],
            "FIT-03": str(n % 4 + 1),
            "finished": n % 10 != 0,
        }
        for n in range(500)
    ]
    export = qualtrics(tmp_path / "big.csv", answers)
    start = time.perf_counter()
    result = import_export(export, eng, validate=False)
    took = time.perf_counter() - start
    start = time.perf_counter()
    load_evidence([eng])
    check = time.perf_counter() - start
    print(f"\n500-respondent Qualtrics import: {took:.3f} s (then validation {check:.3f} s)")
    assert len(result.responses.people) == 500
    assert result.responses.incomplete == 50


def test_a_respondent_with_only_a_perspective_takes_the_rulebook_s_role(eng, tmp_path):
    """The role of a respondent who gave a perspective and no role is the rulebook's
    (`roles_requiring_perspective`), never a name written in the code."""
    import yaml

    raw = yaml.safe_load(RB.path.read_text(encoding="utf-8"))
    raw.update(id="acme-roles", roles_requiring_perspective=["unlisted"])
    book = tmp_path / "acme-roles.yaml"
    book.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    export = csv_file(
        tmp_path / "wide.csv",
        [
            ["stakeholder_id", "role", "perspective", "FIT-01"],
            ["s1", "", "partner", "3"],
            ["s2", "ceo", "", "2"],
        ],
    )
    import_export(export, eng, rulebook=book)
    stakeholders = (eng / "stakeholders.csv").read_text(encoding="utf-8")
    assert "s1,unlisted,partner" in stakeholders and ",other," not in stakeholders
