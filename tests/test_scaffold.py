"""`paos new`: a scaffolded engagement is the evidence format, blank, and paos reads
it back once an analyst fills it in, as CSV files or as the collection workbook."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from typer.testing import CliRunner

import paos
from paos.cli import app
from paos.evidence.scaffold import RATING_ROWS, ScaffoldError, new_engagement

RB = paos.load_rulebook("paos-v1")
HEADERS = {
    "stakeholders.csv": "stakeholder_id,role,perspective,function,name",
    "ratings.csv": "stakeholder_id,signal_id,rating,evidence,source",
    "metrics.csv": "metric_id,value,as_of,source",
}
PEOPLE = [
    ["s1", "ceo", "", "Leadership", "Ada"],
    ["s2", "partner_manager", "", "", ""],
    ["s3", "other", "partner", "", ""],
]
RATINGS = [
    ["s1", "FIT-01", "3", 'We have a written profile, "mostly" followed.', "interview"],
    ["s2", "FIT-01", "1", "Nobody uses it;\nwe take any partner.", "survey"],
    ["s3", "ONB-03", "", "cannot judge", ""],
]


def dv_at(ws, cell: str):
    """The data validation covering `cell` (exactly one expected)."""
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{cell}: {len(found)} validations"
    return found[0]


def range_values(wb, formula: str) -> list:
    sheet, ref = formula.split("!")
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [
        c.value
        for row in wb[sheet].iter_rows(
            min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col
        )
        for c in row
    ]


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "acme-2026-12"
    written = new_engagement(path, RB)
    assert [p.name for p in written] == ["engagement.yaml", *HEADERS, "acme-2026-12.xlsx"]
    return path


def test_writes_the_evidence_format_with_headers_only(folder):
    for name, header in HEADERS.items():
        assert (folder / name).read_bytes() == (header + "\n").encode("utf-8")
    meta = (folder / "engagement.yaml").read_text("utf-8")
    assert 'id: "acme-2026-12"' in meta and 'rulebook: "paos-v1"' in meta
    for key in ("client", "assessed_on", "industry", "stage", "analyst"):
        assert f"\n{key}:\n" in meta
    assert "\r" not in meta and "# Required: date of the assessment, YYYY-MM-DD." in meta


def test_an_explicit_id_names_the_workbook(tmp_path):
    written = new_engagement(tmp_path / "folder", RB, "acme.2026_12")
    assert written[-1] == tmp_path / "folder" / "acme.2026_12.xlsx"
    assert 'id: "acme.2026_12"' in written[0].read_text("utf-8")


def test_workbook_sheets_and_drop_downs(folder):
    wb = load_workbook(folder / "acme-2026-12.xlsx")
    assert wb.sheetnames == ["engagement", "stakeholders", "ratings", "metrics", "signals", "lists"]
    eng = {r[0]: r[1] for r in wb["engagement"].iter_rows(min_row=2, values_only=True)}
    assert eng["id"] == "acme-2026-12" and eng["rulebook"] == "paos-v1"
    assert eng["client"] is None and eng["assessed_on"] is None

    ra = wb["ratings"]
    assert [c.value for c in ra[1]] == [*HEADERS["ratings.csv"].split(","), "question", "rubric"]
    signal = dv_at(ra, f"B{RATING_ROWS + 1}")
    assert signal.type == "list" and signal.showErrorMessage
    assert range_values(wb, signal.formula1) == [s.id for s in RB.signals]
    rating = dv_at(ra, "C2")
    assert (rating.type, rating.operator, rating.formula1, rating.formula2) == (
        "whole",
        "between",
        "1",
        "4",
    )
    assert rating.allow_blank and rating.showErrorMessage and rating.error
    assert all(name in rating.prompt for name in ("Absent", "Emerging", "Defined", "Scalable"))
    assert dv_at(ra, "E2").formula1 == '"interview,survey,workshop,document"'
    for r in (2, RATING_ROWS + 1):
        assert ra[f"F{r}"].value.startswith("=IF(") and "VLOOKUP" in ra[f"F{r}"].value
        assert "IFERROR" in ra[f"G{r}"].value and "signals!" in ra[f"G{r}"].value
    assert ra[f"F{RATING_ROWS + 2}"].value is None and ra.freeze_panes == "A2"

    st = wb["stakeholders"]
    role = dv_at(st, "B2")
    roles = [r for r in range_values(wb, role.formula1)]
    assert set(roles) == set(RB.role_perspectives) | {"other"}
    assert dv_at(st, "C2").formula1 == '"strategic,operational,partner"'

    me = wb["metrics"]
    assert range_values(wb, dv_at(me, "A2").formula1) == [m.id for m in RB.metrics]
    value = dv_at(me, "B2")
    assert (value.type, value.operator, value.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert "VLOOKUP" in me["E2"].value
    about = dict(zip(range_values(wb, "lists!$D$2:$D$9"), range_values(wb, "lists!$E$2:$E$9")))
    assert about["partner_activation_rate"] == (
        "%, higher is better; rates ONB-04: >= 60 rates 4, >= 40 rates 3, >= 20 rates 2, "
        "otherwise 1"
    )


def test_signals_reference_sheet(folder):
    ws = load_workbook(folder / "acme-2026-12.xlsx")["signals"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "id",
        "dimension",
        "name",
        "question",
        "1 Absent",
        "2 Emerging",
        "3 Defined",
        "4 Scalable",
    )
    assert len(rows) == 1 + 24 == 1 + len(RB.signals)
    for row, s in zip(rows[1:], RB.signals):
        assert row[0] == s.id and row[2] == s.name and row[3] == s.question
        assert row[4:] == tuple(s.rubric[k] for k in (1, 2, 3, 4))
    assert ws.protection.sheet and ws.freeze_panes == "A2" and ws["A1"].font.b
    assert ws["D2"].alignment.wrap_text


def test_workbook_bytes_are_deterministic(tmp_path):
    a = new_engagement(tmp_path / "a", RB, "same")[-1].read_bytes()
    b = new_engagement(tmp_path / "b", RB, "same")[-1].read_bytes()
    assert a == b


def fill_meta(folder):
    path = folder / "engagement.yaml"
    text = path.read_text("utf-8").replace("\nclient:\n", "\nclient: Acme, Inc.\n")
    path.write_text(text.replace("\nassessed_on:\n", "\nassessed_on: 2026-12-01\n"), "utf-8")


def test_filled_csvs_load_as_evidence(folder):
    fill_meta(folder)
    for name, rows in (("stakeholders.csv", PEOPLE), ("ratings.csv", RATINGS)):
        with open(folder / name, "a", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    ev = paos.load_evidence([folder])
    assert ev.engagements["client"].to_list() == ["Acme, Inc."]
    assert ev.stakeholders["perspective"].to_list() == ["strategic", "operational", "partner"]
    assert ev.ratings["rating"].to_list() == [3, 1, None]
    assert ev.ratings["evidence"][1] == "Nobody uses it;\nwe take any partner."


def test_filled_workbook_loads_as_evidence(folder):
    path = folder / "acme-2026-12.xlsx"
    wb = load_workbook(path)
    wb["engagement"]["B3"] = "Acme, Inc."
    wb["engagement"]["B4"] = "2026-12-01"
    for sheet, rows in (("stakeholders", PEOPLE), ("ratings", RATINGS)):
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                wb[sheet].cell(
                    r,
                    c,
                    int(value)
                    if c == 3 and value.isdigit() and sheet == "ratings"
                    else value or None,
                )
    wb["metrics"]["A2"], wb["metrics"]["B2"] = "partner_activation_rate", 35.5
    wb.save(path)
    assert load_workbook(path)["ratings"]["F2"].value.startswith("=IF(")  # lookups kept
    ev = paos.load_evidence([path])
    assert ev.ratings["signal_id"].to_list() == ["FIT-01", "FIT-01", "ONB-03"]
    assert ev.ratings["rating"].to_list() == [3, 1, None]
    assert ev.stakeholders["stakeholder_id"].to_list() == ["s1", "s2", "s3"]
    assert ev.metrics["value"].to_list() == [35.5]


def test_blank_workbook_asks_only_for_what_is_missing(folder):
    with pytest.raises(paos.EvidenceError) as err:
        paos.load_evidence([folder / "acme-2026-12.xlsx"])
    cols = sorted(p.column for p in err.value.problems)
    assert cols == ["assessed_on", "client", "rating"]


def test_blank_folder_asks_only_for_what_is_missing(folder):
    with pytest.raises(paos.EvidenceError) as err:
        paos.load_evidence([folder])
    assert sorted(p.column for p in err.value.problems) == ["assessed_on", "client", "rating"]


def test_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("keep me")
    with pytest.raises(ScaffoldError, match="not an empty folder"):
        new_engagement(tmp_path / "taken", RB)
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert len(new_engagement(tmp_path / "empty", RB)) == 5


@pytest.mark.parametrize(
    "bad", ["", "-lead", ".hidden", "has space", "a/b", "../up", "x" * 65, "é", "ok\n"]
)
def test_refuses_an_invalid_id(tmp_path, bad):
    with pytest.raises(paos.PaosError, match="not a valid engagement id"):
        new_engagement(tmp_path / "new", RB, bad)
    assert not (tmp_path / "new").exists()


def test_cli_new_prints_the_written_paths(tmp_path):
    target = tmp_path / "acme-2026-12"
    result = CliRunner().invoke(app, ["new", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"wrote {target / name}"
        for name in ["engagement.yaml", *HEADERS, "acme-2026-12.xlsx", "diagnostic.ipynb"]
    ]
    again = CliRunner().invoke(app, ["new", str(target)])
    assert again.exit_code == 2 and "not an empty folder" in again.output
