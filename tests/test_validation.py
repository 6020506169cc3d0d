"""Every refusal of evidence-and-results.md: one line naming file, line, column, rule."""

from __future__ import annotations

import re

import openpyxl
import pytest
from typer.testing import CliRunner

from paos import EvidenceError, load_evidence
from paos.cli import app
from tests.builders import META, METRICS, RATINGS, STAKEHOLDERS, write_csv, write_engagement


def problems(folder) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load_evidence([folder])
    return info.value.lines()


def only(folder) -> str:
    found = problems(folder)
    assert len(found) == 1, found
    return found[0]


def with_row(rows, *extra):
    return [*rows, *[list(r) for r in extra]]


def test_valid_engagement_loads(tmp_path):
    ev = load_evidence([write_engagement(tmp_path / "e")])
    assert ev.ratings.height == 3 and ev.metrics.height == 1
    assert ev.stakeholders["perspective"].to_list() == ["strategic", "operational", "partner"]


@pytest.mark.parametrize(
    "row, line, column, fragment",
    [
        (["s1", "FIT-99", "3", "x", ""], 5, "signal_id", "'FIT-99' is not a known signal id"),
        (["s1", "FIT-02", "5", "x", ""], 5, "rating", "'5' is not a rating (1-4 or blank)"),
        (["s1", "FIT-02", "0", "x", ""], 5, "rating", "'0' is not a rating"),
        (["s1", "FIT-02", "2.5", "x", ""], 5, "rating", "'2.5' is not a rating"),
        (["s1", "FIT-02", "three", "x", ""], 5, "rating", "'three' is not a rating"),
        (
            ["s9", "FIT-02", "3", "x", ""],
            5,
            "stakeholder_id",
            "'s9' is not a stakeholder listed in the stakeholders table",
        ),
        (
            ["s1", "FIT-01", "3", "again", ""],
            5,
            "signal_id",
            "'FIT-01' is rated twice by the same stakeholder (first on line 2)",
        ),
        (["s1", "FIT-02", "3", "x", "rumour"], 5, "source", "'rumour' is not a source"),
        (["", "FIT-02", "3", "x", ""], 5, "stakeholder_id", "is blank; a value is required"),
    ],
)
def test_ratings_refusals(tmp_path, row, line, column, fragment):
    folder = write_engagement(tmp_path / "e", ratings=with_row(RATINGS, row))
    msg = only(folder)
    assert msg.startswith(f"{folder / 'ratings.csv'} line {line}, column {column}: "), msg
    assert fragment in msg


@pytest.mark.parametrize(
    "row, column, fragment",
    [
        (
            ["s1", "cfo", "", "", ""],
            "stakeholder_id",
            "'s1' is a duplicate stakeholder id (first on line 2)",
        ),
        (
            ["s4", "wizard", "", "", ""],
            "role",
            "'wizard' is not a known role, so the stakeholder needs a perspective",
        ),
        (
            ["s4", "other", "", "", ""],
            "role",
            "'other' has no default perspective: give one (strategic, operational, partner)",
        ),
        (
            ["s4", "ceo", "data", "", ""],
            "perspective",
            "'data' is not a perspective (strategic, operational, partner)",
        ),
        (["s4", "ceo", "leadership", "", ""], "perspective", "'leadership' is not a perspective"),
    ],
)
def test_stakeholder_refusals(tmp_path, row, column, fragment):
    folder = write_engagement(tmp_path / "e", stakeholders=with_row(STAKEHOLDERS, row))
    msg = only(folder)
    assert msg.startswith(f"{folder / 'stakeholders.csv'} line 5, column {column}: "), msg
    assert fragment in msg


def test_unknown_role_with_perspective_is_accepted(tmp_path):
    rows = with_row(
        STAKEHOLDERS, ["s4", "Wizard ", "Operational", "", ""], ["s5", "other", "partner", "", ""]
    )
    ev = load_evidence([write_engagement(tmp_path / "e", stakeholders=rows)])
    got = dict(zip(ev.stakeholders["role"], ev.stakeholders["perspective"]))
    assert got["wizard"] == "operational" and got["other"] == "partner"


def test_role_is_matched_case_insensitively_and_perspective_wins(tmp_path):
    rows = with_row(STAKEHOLDERS, ["s4", "  CEO ", "operational", "", ""])
    ev = load_evidence([write_engagement(tmp_path / "e", stakeholders=rows)])
    assert ev.stakeholders.filter(stakeholder_id="s4")["perspective"][0] == "operational"


@pytest.mark.parametrize(
    "row, column, fragment",
    [
        (
            ["partner_happiness", "3", "", ""],
            "metric_id",
            "'partner_happiness' is not a known metric id",
        ),
        (["partner_churn_rate", "-1", "", ""], "value", "'-1' is not a finite number >= 0"),
        (["partner_churn_rate", "abc", "", ""], "value", "'abc' is not a finite number >= 0"),
        (["partner_churn_rate", "inf", "", ""], "value", "'inf' is not a finite number >= 0"),
        (["partner_churn_rate", "NaN", "", ""], "value", "'NaN' is not a finite number >= 0"),
        (["partner_churn_rate", "", "", ""], "value", "is blank; a value is required"),
        (["partner_churn_rate", "100.5", "", ""], "value", "'100.5' is above 100 for a % metric"),
        (
            ["partner_activation_rate", "20", "", ""],
            "metric_id",
            "'partner_activation_rate' is a duplicate metric (each metric once per engagement) "
            "(first on line 2)",
        ),
    ],
)
def test_metric_refusals(tmp_path, row, column, fragment):
    folder = write_engagement(tmp_path / "e", metrics=with_row(METRICS, row))
    msg = only(folder)
    assert msg.startswith(f"{folder / 'metrics.csv'} line 3, column {column}: "), msg
    assert fragment in msg


def test_count_metric_may_exceed_100(tmp_path):
    rows = with_row(METRICS, ["time_to_first_deal_days", "400", "", ""])
    assert load_evidence([write_engagement(tmp_path / "e", metrics=rows)]).metrics.height == 2


@pytest.mark.parametrize(
    "table, drop, file",
    [
        ("ratings", "rating", "ratings.csv"),
        ("ratings", "signal_id", "ratings.csv"),
        ("ratings", "evidence", "ratings.csv"),
        ("stakeholders", "role", "stakeholders.csv"),
        ("metrics", "value", "metrics.csv"),
    ],
)
def test_missing_required_column(tmp_path, table, drop, file):
    base = {"ratings": RATINGS, "stakeholders": STAKEHOLDERS, "metrics": METRICS}[table]
    j = base[0].index(drop)
    rows = [r[:j] + r[j + 1 :] for r in base]
    folder = write_engagement(tmp_path / "e", **{table: rows})
    msg = only(folder)
    assert msg == f"{folder / file} line 1, column {drop}: required column is missing"


@pytest.mark.parametrize("missing", ["stakeholders", "ratings"])
def test_missing_required_file(tmp_path, missing):
    folder = write_engagement(tmp_path / "e", **{missing: None})
    assert only(folder) == f"{folder / (missing + '.csv')}: required file is missing"


def test_missing_engagement_yaml(tmp_path):
    folder = write_engagement(tmp_path / "e", meta=None)
    assert f"{folder / 'engagement.yaml'}: required file is missing" in problems(folder)


def test_metrics_file_is_optional(tmp_path):
    assert load_evidence([write_engagement(tmp_path / "e", metrics=None)]).metrics.height == 0


@pytest.mark.parametrize(
    "meta, line, column, fragment",
    [
        (
            META.replace("acme-2026", "../../etc"),
            1,
            "id",
            "'../../etc' is not a valid engagement id",
        ),
        (META.replace("acme-2026", "-acme"), 1, "id", "is not a valid engagement id"),
        (META.replace("acme-2026", "a" * 65), 1, "id", "is not a valid engagement id"),
        (
            META.replace("2026-05-04", "04/05/2026"),
            3,
            "assessed_on",
            "'04/05/2026' is not an ISO date",
        ),
        (META.replace("2026-05-04", "2026-02-30"), 3, "assessed_on", "is not an ISO date"),
        (
            META.replace("paos-v1", "paos-v9"),
            4,
            "rulebook",
            "'paos-v9' is not a known rulebook version (known: paos-v1; for a custom "
            "rulebook pass --rulebook PATH)",
        ),
        (META.replace("client: Acme\n", ""), None, "client", "required key is missing"),
        (META + "baseline: ../x\n", 5, "baseline", "is not a valid engagement id"),
    ],
)
def test_engagement_refusals(tmp_path, meta, line, column, fragment):
    folder = write_engagement(tmp_path / "e", meta=meta)
    msg = only(folder)
    where = f" line {line}" if line else ""
    assert msg.startswith(f"{folder / 'engagement.yaml'}{where}, column {column}: "), msg
    assert fragment in msg


def test_no_rating_at_all(tmp_path):
    rows = [RATINGS[0], ["s1", "FIT-01", "", "cannot judge", ""]]
    folder = write_engagement(tmp_path / "e", ratings=rows, metrics=None)
    assert only(folder) == (
        f"{folder / 'ratings.csv'}, column rating: holds no rating at all: "
        "every rating is blank or there are no rows"
    )


def test_file_not_utf8(tmp_path):
    folder = write_engagement(tmp_path / "e")
    data = (folder / "ratings.csv").read_bytes().replace(b"Nobody", "Nöbody".encode("latin-1"))
    (folder / "ratings.csv").write_bytes(data)
    msg = only(folder)
    assert msg.startswith(f"{folder / 'ratings.csv'} line 3: is not UTF-8 text (byte 0xf6")


def test_utf8_bom_is_accepted(tmp_path):
    folder = write_engagement(tmp_path / "e")
    write_csv(folder / "ratings.csv", RATINGS, bom=True)
    write_csv(folder / "stakeholders.csv", STAKEHOLDERS, bom=True)
    assert load_evidence([folder]).ratings.height == 3


def test_every_problem_is_reported_at_once(tmp_path):
    folder = write_engagement(
        tmp_path / "e",
        meta=META.replace("2026-05-04", "yesterday"),
        stakeholders=with_row(STAKEHOLDERS, ["s2", "sales", "", "", ""]),
        ratings=with_row(RATINGS, ["s1", "FIT-77", "9", "", ""], ["zz", "FIT-03", "1", "", ""]),
        metrics=with_row(METRICS, ["nps", "-3", "", ""]),
    )
    found = problems(folder)
    assert len(found) == 7, found
    assert all(re.match(r"^\S+ line \d+, column \w[\w-]*: ", p) for p in found), found


def test_multiline_quoted_evidence_keeps_spreadsheet_line(tmp_path):
    rows = with_row(
        RATINGS,
        ["s1", "FIT-02", "3", 'line one\nline two, "quoted"', ""],
        ["s1", "FIT-03", "7", "", ""],
    )
    msg = only(write_engagement(tmp_path / "e", ratings=rows))
    assert " line 6, column rating: '7'" in msg


def test_ragged_row_is_reported(tmp_path):
    rows = with_row(RATINGS, ["s1", "FIT-02", "3", "x", "", "extra"])
    msg = only(write_engagement(tmp_path / "e", ratings=rows))
    assert msg.endswith("line 5: has 6 fields but the header has 5")


# --- workbooks and the wide layout ------------------------------------------------


def _workbook(path, sheets: dict[str, list[list]]):
    """A workbook of these sheets; a value starting with `=` is a text cell, as an
    analyst's typed evidence is in the scaffolded (text-formatted) input columns."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    wb.save(path)
    return path


ENG_SHEET = [
    ["key", "value"],
    ["id", "acme-2026"],
    ["client", "Acme"],
    ["assessed_on", "2026-05-04"],
]


def test_workbook_long_layout(tmp_path):
    path = _workbook(
        tmp_path / "acme.xlsx",
        {
            "engagement": ENG_SHEET,
            "stakeholders": STAKEHOLDERS,
            "ratings": [
                RATINGS[0],
                ["s1", "FIT-01", 4, "ok", "interview"],
                ["s2", "FIT-01", 2.0, '=HYPERLINK("x")', None],
            ],
            "metrics": [METRICS[0], ["partner_activation_rate", 35, None, None]],
        },
    )
    ev = load_evidence([path])
    assert ev.ratings["rating"].to_list() == [4, 2]
    assert ev.ratings["evidence"][1] == '=HYPERLINK("x")'


def test_workbook_wide_layout_refusal_names_sheet_and_signal_column(tmp_path):
    path = _workbook(
        tmp_path / "acme.xlsx",
        {
            "engagement": ENG_SHEET,
            "ratings": [
                ["stakeholder_id", "role", "FIT-01", "FIT-01_evidence", "REC-02"],
                ["s1", "ceo", 4, "profile exists", 3],
                ["s2", "sales", 6, None, None],
            ],
        },
    )
    msg = only(path)
    assert (
        msg == f"{path} (sheet ratings) line 3, column FIT-01: '6' is not a rating (1-4 or blank)"
    )


def test_wide_csv_layout_without_stakeholders_file(tmp_path):
    folder = write_engagement(
        tmp_path / "e",
        stakeholders=None,
        ratings=[
            ["stakeholder_id", "role", "perspective", "FIT-01", "FIT-01_evidence", "ORG-04"],
            ["s1", "ceo", "", "4", "we have one", ""],
            ["s2", "board member", "strategic", "", "", "1"],
            ["s3", "sales", "", "2", "not really", "2"],
        ],
    )
    ev = load_evidence([folder])
    assert ev.ratings.filter(signal_id="FIT-01")["rating"].to_list() == [4, None, 2]
    assert (
        ev.ratings.filter(signal_id="FIT-01", stakeholder_id="s1")["evidence"][0] == "we have one"
    )
    assert ev.stakeholders.height == 3


def test_wide_layout_unknown_signal_column(tmp_path):
    folder = write_engagement(
        tmp_path / "e",
        stakeholders=None,
        ratings=[["stakeholder_id", "role", "FIT-01", "FIT-09"], ["s1", "ceo", "4", "3"]],
    )
    assert only(folder) == (
        f"{folder / 'ratings.csv'} line 1, column fit-09: 'fit-09' is not "
        "a known signal id (column header)"
    )


# --- the CLI: exit status 2, no traceback, nothing written --------------------------


def test_cli_refusal_is_one_line_per_problem_exit_2_and_writes_nothing(tmp_path):
    folder = write_engagement(tmp_path / "e", ratings=with_row(RATINGS, ["s1", "X-1", "5", "", ""]))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for cmd in (
        ["validate", str(folder)],
        ["score", str(folder)],
        ["score", str(folder), "--json"],
    ):
        result = CliRunner().invoke(app, cmd)
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 2 and all(str(folder / "ratings.csv") in ln for ln in lines)
        assert result.stdout == ""
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_cli_missing_engagement(tmp_path):
    result = CliRunner().invoke(app, ["score", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope'}: does not exist"
