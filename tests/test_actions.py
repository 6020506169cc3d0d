"""actions.xlsx: the action plan written with every deliverable, read back by compare."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from paos import PaosError
from paos.cli import app
from paos.deliverables.actions import HEADER, HEADER_ROW, action_rows, actions_workbook
from paos.deliverables.report import deliverable, phases, save_results
from paos.portfolio.reassessment import compare_paths, compare_text
from tests.builders import write_engagement
from tests.test_compare import FOLLOW_RATINGS

DEMO = Path(__file__).parent.parent / "data" / "engagements" / "northwind-2026-09"


@pytest.fixture(scope="module")
def demo():
    return deliverable(DEMO, run_date="2026-11-24")


def sheet(data: bytes):
    return load_workbook(io.BytesIO(data))["actions"]


def table(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))


def test_workbook_layout(demo):
    data = actions_workbook(demo)
    assert data == actions_workbook(demo)  # deterministic bytes
    ws = sheet(data)
    assert [c.value for c in ws[HEADER_ROW]] == HEADER
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws["B2"].value == demo.engagement_id and ws["H2"].value == "paos-v1"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.column_dimensions["B"].width == 30
    (dv,) = ws.data_validations.dataValidation
    n = len(demo.contract["gaps"])
    assert dv.type == "list" and dv.formula1 == '"open,in progress,done"'
    assert str(dv.sqref) == f"K{HEADER_ROW + 1}:K{HEADER_ROW + n}"
    assert HEADER[10] == "status"
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_rows_are_the_gaps_in_roadmap_order_with_due_dates(demo):
    rows = table(sheet(actions_workbook(demo)))
    gaps = demo.contract["gaps"]
    assert [r[0] for r in rows] == [g["signal_id"] for g in gaps]
    end = {p["phase"]: p["end_day"] for p in phases(demo.rulebook)}
    assessed = demo.meta["assessed_on"]
    for r, g in zip(rows, gaps, strict=True):
        assert r[1] == demo.names[g["signal_id"]]
        assert r[2:6] == (g["dimension"], g["severity"], g["priority"], g["phase"])
        assert r[6] == dt.datetime.combine(assessed + dt.timedelta(days=end[g["phase"]]), dt.time())
        assert g["signal_id"] in next(
            m["signals"] for m in demo.contract["installation_modules"] if m["name"] == r[7]
        )
        assert r[8] == {True: "yes", False: "no"}[g["robust"]]  # as the contract says
        assert r[9:] == (None, None, None)  # owner, status, notes: the client's
    first = rows[0]
    assert first[6].date() == dt.date(2026, 9, 17) + dt.timedelta(days=90)  # P1 ends day 90


def test_due_cell_is_a_date(demo):
    ws = sheet(actions_workbook(demo))
    cell = ws.cell(HEADER_ROW + 1, HEADER.index("due") + 1)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"


def test_robust_yes_no_blank(demo):
    d = copy.copy(demo)
    d.contract = copy.deepcopy(demo.contract)
    for g, robust in zip(d.contract["gaps"], (True, False, None), strict=False):
        g["robust"] = robust
    d.contract["gaps"][3].pop("robust")  # a contract without robustness
    col = HEADER.index("robust")
    assert [r[col] for r in action_rows(d)[1][:4]] == ["yes", "no", None, None]


def test_hostile_text_stays_text(demo):
    d = copy.copy(demo)
    d.contract = copy.deepcopy(demo.contract)
    sid = d.contract["gaps"][0]["signal_id"]
    d.names = {**demo.names, sid: '=HYPERLINK("x")'}
    d.meta = {**demo.meta, "client": "+1"}
    d.contract["installation_modules"][0]["name"] = "@SUM(A1)"
    ws = sheet(actions_workbook(d))
    assert ws["D2"].value == "'+1" and ws["D2"].data_type == "s"
    assert ws.cell(HEADER_ROW + 1, 2).value == '\'=HYPERLINK("x")'
    assert "'@SUM(A1)" in [r[7] for r in table(ws)]
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_save_results_writes_the_plan(demo, tmp_path):
    written = save_results(demo, tmp_path)
    assert [p.name for p in written] == ["results.json", "gaps.csv", "actions.xlsx"]
    assert (tmp_path / "actions.xlsx").read_bytes() == actions_workbook(demo)


# --- read back by compare ---------------------------------------------------------

BASE_META = "id: acme-2025\nclient: Acme\nassessed_on: 2025-05-04\n"
FOLLOW_META = "id: acme-2026\nclient: Acme\nassessed_on: 2026-05-04\nbaseline: acme-2025\n"
# baseline gaps: FIT-01 (closed in the follow-up), FIT-02 and ONB-04 (persisting)


def pair(tmp_path: Path) -> tuple[Path, Path]:
    base = write_engagement(tmp_path / "acme-2025", meta=BASE_META)
    follow = write_engagement(tmp_path / "acme-2026", meta=FOLLOW_META, ratings=FOLLOW_RATINGS)
    return base, follow


def client_plan(base: Path, to: Path, edits: dict[str, tuple], formula: bool = False) -> Path:
    """The baseline's plan as paos writes it, edited as a client would: per signal id
    (owner, status); an id not in the plan is added as a row."""
    data = actions_workbook(deliverable(base, run_date="2025-05-10"))
    wb = load_workbook(io.BytesIO(data))
    ws = wb["actions"]
    col = {name: j for j, name in enumerate(HEADER, start=1)}
    rows = {ws.cell(r, 1).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    for sid, (owner, status) in edits.items():
        r = rows.get(sid) or ws.max_row + 1
        ws.cell(r, 1, sid)
        ws.cell(r, col["owner"], owner)
        ws.cell(r, col["status"], status)
    if formula:
        ws.cell(HEADER_ROW + 1, col["notes"], "=TODAY()")
    wb.save(to)
    return to


def test_compare_reports_the_client_statuses(tmp_path):
    base, follow = pair(tmp_path)
    client_plan(
        base, base / "actions.xlsx", {"FIT-01": ("Ana", "Done"), "FIT-02": (None, "in progress")}
    )
    p = compare_paths(base, follow)
    assert p["actions"] == {"file": str(base / "actions.xlsx"), "read": True, "notes": []}
    assert p["gaps_closed"] == [
        {
            "signal_id": "FIT-01",
            "severity": "high",
            "priority": "P1",
            "action": {"status": "done", "owner": "Ana"},
        }
    ]
    actions = {g["signal_id"]: g["action"] for g in p["gaps_persisting"]}
    assert actions == {
        "FIT-02": {"status": "in progress", "owner": None},
        "ONB-04": {"status": None, "owner": None},
    }
    text = compare_text(p)
    assert "FIT-01  was high (P1)  client: done, owner Ana" in text
    assert "client: in progress" in text and "client: no status" in text
    assert f"Client action plan: {base / 'actions.xlsx'} (statuses read)" in text


def test_actions_option_and_json(tmp_path):
    base, follow = pair(tmp_path)
    plan = client_plan(base, tmp_path / "returned.xlsx", {"FIT-01": ("Ana", "DONE")})
    r = CliRunner().invoke(
        app, ["compare", str(base), str(follow), "--actions", str(plan), "--json"]
    )
    assert r.exit_code == 0, r.output
    p = json.loads(r.output)
    assert p["gaps_closed"][0]["action"] == {"status": "done", "owner": "Ana"}
    assert p["actions"]["file"] == str(plan)
    r = CliRunner().invoke(
        app, ["compare", str(base), str(follow), "--actions", str(tmp_path / "nope.xlsx")]
    )
    assert r.exit_code != 0 and "nope.xlsx: no such file" in r.output


def test_formula_in_the_client_file_is_one_note_and_no_statuses(tmp_path):
    base, follow = pair(tmp_path)
    before = compare_paths(base, follow)
    client_plan(base, base / "actions.xlsx", {"FIT-01": ("Ana", "done")}, formula=True)
    p = compare_paths(base, follow)
    (note,) = p.pop("actions")["notes"]
    assert "formula" in note and "actions.xlsx" in note and note.endswith("statuses not read")
    assert p == before  # the comparison itself is untouched
    r = CliRunner().invoke(app, ["compare", str(base), str(follow)])
    assert r.exit_code == 0 and "(no statuses read)" in r.output and "formula" in r.output


def test_unknown_status_and_rows_that_are_not_gaps_are_notes(tmp_path):
    base, follow = pair(tmp_path)
    client_plan(
        base,
        base / "actions.xlsx",
        {"FIT-01": ("Ana", "blocked"), "FIT-02": ("Ben", "In-Progress"), "PERF-01": ("Cy", "done")},
    )
    p = compare_paths(base, follow)
    notes = p["actions"]["notes"]
    assert len(notes) == 2
    assert "'blocked' of FIT-01 is not one of open, in progress, done" in notes[0]
    assert "PERF-01 is not a gap of the baseline; row ignored" in notes[1]
    assert p["gaps_closed"][0]["action"] == {"status": None, "owner": "Ana"}
    assert p["gaps_persisting"][0]["action"] == {"status": "in progress", "owner": "Ben"}


def test_plan_of_another_engagement_is_not_read(tmp_path, demo):
    base, follow = pair(tmp_path)
    (base / "actions.xlsx").write_bytes(actions_workbook(demo))
    p = compare_paths(base, follow)
    assert p["actions"]["read"] is False
    (note,) = p["actions"]["notes"]
    assert "is the action plan of northwind-2026-09, not of acme-2025" in note
    assert "action" not in p["gaps_closed"][0]


def test_no_plan_compares_as_before(tmp_path):
    base, follow = pair(tmp_path)
    p = compare_paths(base, follow)
    assert "actions" not in p
    assert all("action" not in g for g in (*p["gaps_closed"], *p["gaps_persisting"]))
    assert "client" not in compare_text(p).lower().replace("client action", "")


def test_missing_named_plan_is_refused(tmp_path):
    base, follow = pair(tmp_path)
    with pytest.raises(PaosError, match="no such file"):
        compare_paths(base, follow, actions=tmp_path / "nope.xlsx")


def test_the_follow_up_deliverable_shows_what_the_client_recorded(tmp_path):
    """The plan dropped into the baseline folder reaches the follow-up's progress page."""
    from paos.deliverables import sections

    base, follow = pair(tmp_path)
    client_plan(base, base / "actions.xlsx", {"FIT-01": ("Ana", "done")})
    text = sections.reassessment(deliverable(follow, run_date="2026-05-10")).text()
    assert "Ideal partner profile FIT-01 was high client: done, Ana" in text
    assert "The client's action plan of the baseline: statuses read." in text
