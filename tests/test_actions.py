"""actions.xlsx: the action plan written with every deliverable, read back by compare."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from paos import PaosError
from paos.cli import app
from paos.deliverables.actions import (
    HEADER,
    HEADER_ROW,
    action_rows,
    actions_workbook,
    shown_score,
    target_level,
)
from paos.deliverables.deliverable import phases
from paos.deliverables.report import deliverable, save_results
from paos.evidence.plan import read_actions
from paos.method.reassessment import compare_paths, compare_text
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
    assert ws["B2"].value == demo.engagement_id and ws["B5"].value == "paos-v1"
    assert ws["A1"].value == "PAOS action plan: Northwind Analytics GmbH"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.column_dimensions["B"].width == 30
    (dv,) = ws.data_validations.dataValidation
    n = len(demo.contract["gaps"])
    assert dv.type == "list" and dv.formula1 == '"open,in progress,done"'
    status = get_column_letter(HEADER.index("status") + 1)
    assert str(dv.sqref) == f"{status}{HEADER_ROW + 1}:{status}{HEADER_ROW + n}"
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_rows_are_the_gaps_in_roadmap_order_with_due_dates(demo):
    rows = table(sheet(actions_workbook(demo)))
    gaps = demo.contract["gaps"]
    assert [r[0] for r in rows] == [g["signal_id"] for g in gaps]
    end = {p["phase"]: p["end_day"] for p in phases(demo.rulebook)}
    assessed = demo.meta["assessed_on"]
    for r, g in zip(rows, gaps, strict=True):
        assert r[1] == demo.names[g["signal_id"]]
        c = dict(zip(HEADER, r, strict=True))
        dim = next(x.name for x in demo.rulebook.dimensions if x.id == g["dimension"])
        assert (c["dimension"], c["severity"], c["priority"], c["phase"]) == (
            dim,
            g["severity"],
            g["priority"],
            g["phase"],
        )
        due = assessed + dt.timedelta(days=end[g["phase"]])
        assert c["due"] == dt.datetime.combine(due, dt.time())
        assert g["signal_id"] in next(
            m["signals"]
            for m in demo.contract["installation_modules"]
            if m["name"] == c["installation module"]
        )
        assert c["robust"] == {True: "yes", False: "no"}[g["robust"]]  # as the contract says
        assert (c["owner"], c["status"], c["notes"]) == (None, None, None)  # the client's
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
    assert ws["B3"].value == "'+1" and ws["B3"].data_type == "s"
    assert ws.cell(HEADER_ROW + 1, 2).value == '\'=HYPERLINK("x")'
    assert "'@SUM(A1)" in [r[HEADER.index("installation module")] for r in table(ws)]
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
    assert "The client's action plan of the baseline (actions.xlsx): statuses read." in text


# --- a plan, not a gap list: what to build, score and threshold; nothing clipped ---


@pytest.mark.parametrize(
    "threshold, level", [(2.75, 3), (3, 3), (2.0, 2), (2.01, 3), (1, 1), (3.5, 4), (4.2, 4)]
)
def test_target_level_is_the_lowest_level_at_or_above_the_threshold(threshold, level):
    assert target_level(threshold, [1, 2, 3, 4]) == level


@pytest.mark.parametrize(
    "score, threshold, decimals, shown",
    [
        (1.875, 2.75, 1, 1.9),
        (2.749, 2.75, 1, 2.7),
        (2.749, 2.75, 2, 2.749),  # 2.75 would read as "at the threshold"
        (1.96, 2.0, 1, 1.96),  # 2.0 would
        (1.951, 2.0, 1, 1.95),
        (1.9999, 2.0, 1, 1.9999),
        (1.0, 2.75, 1, 1.0),
    ],
)
def test_score_never_rounds_up_to_its_threshold(score, threshold, decimals, shown):
    assert shown_score(score, threshold, decimals) == shown < threshold


def test_each_row_says_what_to_build(demo):
    rows = table(sheet(actions_workbook(demo)))
    signals = {s.id: s for s in demo.rulebook.signals}
    levels = demo.rulebook["rating_scale"]["levels"]
    for r, g in zip(rows, demo.contract["gaps"], strict=True):
        c = dict(zip(HEADER, r, strict=True))
        s = signals[g["signal_id"]]
        level = target_level(s.threshold, list(s.rubric))
        assert c["target level"] == f"{level} {levels[level]['name']}"
        assert c["what to build"] == s.rubric[level]
        assert c["threshold"] == g["threshold"] and c["score"] < c["threshold"]
        assert abs(c["score"] - g["score"]) < 0.05
    first = dict(zip(HEADER, rows[0], strict=True))
    assert first["signal_id"] == "ECO-04" and first["score"] == 1.9
    assert first["target level"] == "3 Defined"
    assert HEADER.index("what to build") < HEADER.index("owner")  # beside owner/status/notes


def test_nothing_is_clipped(demo):
    d = copy.copy(demo)
    d.meta = {
        **demo.meta,
        "client": "Northwind Analytics and Partner Ecosystem Holdings GmbH & Co. KG",
    }
    ws = sheet(actions_workbook(d))
    # the title block: each value runs on into empty cells, or fits its column
    for row in range(1, 7):
        for cell in ws[row]:
            if isinstance(cell.value, str):
                j = cell.column
                room = ws.column_dimensions[get_column_letter(j)].width
                right = [ws.cell(row, k).value for k in range(j + 1, len(HEADER) + 1)]
                assert len(cell.value) <= room or not any(right), (row, cell.value)
    assert ws["B3"].value.startswith("Northwind Analytics and Partner")
    # the table: every text fits its column's width or wraps in a row tall enough
    for row in ws.iter_rows(min_row=HEADER_ROW, max_row=ws.max_row):
        for cell in row:
            if not isinstance(cell.value, str):
                continue
            width = ws.column_dimensions[cell.column_letter].width
            if len(cell.value) <= width * 0.9:
                continue
            assert cell.alignment.wrap_text, (cell.coordinate, cell.value)
            height = ws.row_dimensions[cell.row].height
            lines = -(-len(cell.value) // int(width * 0.9))
            assert height is not None and height >= 15 * lines, (cell.coordinate, height)


OLD_HEADER = [  # actions.xlsx as paos wrote it before the plan's columns (header on row 5)
    "signal_id",
    "signal",
    "dimension",
    "severity",
    "priority",
    "phase",
    "due",
    "installation module",
    "robust",
    "owner",
    "status",
    "notes",
]


def test_a_plan_in_the_previous_layout_is_still_read(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "actions"
    ws["A1"] = "PAOS action plan"
    for k, (label, value) in enumerate(
        [("engagement", "acme-2025"), ("client", "Acme"), ("rulebook", "paos-v1")]
    ):
        ws.cell(2, 2 * k + 1, label)
        ws.cell(2, 2 * k + 2, value)
    for j, name in enumerate(OLD_HEADER, start=1):
        ws.cell(5, j, name)
    ws.append(["FIT-01", "x", "FIT", "high", "P1", 1, None, "m", "yes", "Ana", "Done", ""])
    ws.append(["FIT-02", "y", "FIT", "high", "P1", 1, None, "m", "yes", None, "in progress"])
    wb.save(tmp_path / "old.xlsx")
    found, notes = read_actions(tmp_path / "old.xlsx", {"FIT-01", "FIT-02"}, "acme-2025")
    assert notes == []
    assert found == {
        "FIT-01": {"status": "done", "owner": "Ana"},
        "FIT-02": {"status": "in progress", "owner": None},
    }
    other, notes = read_actions(tmp_path / "old.xlsx", {"FIT-01"}, "acme-2026")
    assert other is None and "is the action plan of acme-2025" in notes[0]


# a returned plan is bounded: its rows, its notes, the memory it takes -------------------


def big_plan(to: Path, unknown: int, edits: dict[str, str] | None = None) -> Path:
    """A plan of acme-2025 as a client might return it: the gaps in `edits` (signal id
    -> status), then `unknown` rows of signal ids that are no gap."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("actions")
    ws.append(["PAOS action plan"])
    ws.append(["engagement", "acme-2025"])
    ws.append([])
    ws.append([])
    ws.append(HEADER)
    status = HEADER.index("status")
    for sid, given in (edits or {}).items():
        ws.append([sid, *[None] * (status - 1), given])
    for k in range(unknown):
        ws.append([f"ZZZ-{k:05d}", *[None] * (status - 1), "open"])
    wb.save(to)
    return to


def test_notes_of_one_kind_are_listed_up_to_twenty_then_counted(tmp_path):
    base, follow = pair(tmp_path)
    big_plan(base / "actions.xlsx", 500, {"FIT-01": "done", "FIT-02": "blocked"})
    p = compare_paths(base, follow)
    notes = p["actions"]["notes"]
    assert p["actions"]["read"] and p["gaps_closed"][0]["action"]["status"] == "done"
    assert len(notes) == 22, notes  # the unknown status, 20 rows, one count
    assert "'blocked' of FIT-02" in notes[0]
    assert all("is not a gap of the baseline" in n for n in notes[1:21])
    assert notes[21].endswith(
        "line 28: ... and 480 more rows from this line on: a signal that is not a gap "
        "(only the first 20 are listed)"
    )


@pytest.mark.slow  # a 50,000-row workbook read under prlimit in a process
def test_a_plan_of_50000_rows_is_refused_in_one_line_naming_it(tmp_path):
    base, follow = pair(tmp_path)
    plan = big_plan(tmp_path / "returned.xlsx", 50_000, {"FIT-01": "done"})
    r = subprocess.run(
        ["prlimit", f"--as={3 * 2**30}", "--", sys.executable, "-m", "paos", "compare"]
        + [str(base), str(follow), "--actions", str(plan)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(r.stdout) < 10_000, len(r.stdout)
    line = next(x for x in r.stdout.splitlines() if "returned.xlsx" in x and "more than" in x)
    assert line.strip() == (
        f"note: {plan.name} (sheet actions) line 1006: has more than 1000 rows with a signal id "
        "(a plan has one row per gap); statuses not read"
    )
    p = compare_paths(base, follow, actions=plan)
    assert p["actions"] == {"file": str(plan), "read": False, "notes": [line.strip()[6:]]}
    assert "action" not in p["gaps_closed"][0]


def ods_plan(to: Path, rows: list[list[str | None]]) -> Path:
    """An .ods action plan whose sheet `actions` holds `rows` (text cells)."""
    from xml.sax.saxutils import escape

    from tests.test_workbook_formats import _ods

    def cell(value: str | None) -> str:
        if value is None:
            return "<table:table-cell/>"
        return (
            '<table:table-cell office:value-type="string">'
            f"<text:p>{escape(value)}</text:p></table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows
    )
    return _ods(to, f'<table:table table:name="actions">{body}</table:table>')


@pytest.mark.parametrize("owner", ["Ana\x9b2J", "Ana\x85"])
def test_a_plan_holding_a_control_character_is_not_read(tmp_path, owner):
    """XML 1.0 holds C1 controls, so an .ods plan can carry one (and an .xls plan
    anything, U+FFFE included): the plan is refused, like evidence holding one."""
    base, follow = pair(tmp_path)
    row = [None] * len(HEADER)
    row[0], row[HEADER.index("owner")], row[HEADER.index("status")] = "FIT-01", owner, "done"
    plan = ods_plan(tmp_path / "plan.ods", [["engagement", "acme-2025"], HEADER, row])
    p = compare_paths(base, follow, actions=plan)
    (note,) = p["actions"]["notes"]
    assert p["actions"]["read"] is False, note
    column = chr(ord("A") + HEADER.index("owner"))
    assert note.startswith(f"{plan.name} (sheet actions) line 3 column {column}: holds a control")
    assert note.endswith("; statuses not read") and "action" not in p["gaps_closed"][0]


@pytest.mark.slow  # a plan over its bound written and read in a whole deliverable
def test_the_follow_up_deliverable_shows_one_note_for_a_plan_over_its_bound(tmp_path):
    """50,000 rows once made 50,000 notes on the progress page, which Chromium could
    not print within 120 s; the page now holds one note naming the plan."""
    from paos.deliverables import sections

    base, follow = pair(tmp_path)
    plan = big_plan(base / "actions.xlsx", 50_000, {"FIT-01": "done"})
    text = sections.reassessment(deliverable(follow, run_date="2026-05-10")).text()
    assert "The client's action plan of the baseline (actions.xlsx): no statuses read." in text
    assert str(plan) not in text and "has more than 1000 rows with a signal id" in text
    assert text.count(f"{plan.name} (sheet actions) line 1006") == 1
