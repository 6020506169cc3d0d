"""The client's action plan dropped into the baseline folder in any workbook format
(actions.xlsx as paos wrote it, or saved again by LibreOffice as .ods): read by
default, the file read named, two candidates refused."""

from __future__ import annotations

from typer.testing import CliRunner

from paos.cli import app
from paos.deliverables.report import deliverable
from paos.errors import EvidenceError
from paos.method.reassessment import compare_paths, compare_text, default_actions
from tests.ods import xlsx_as_ods
from tests.test_actions import client_plan, pair


def test_a_plan_saved_as_ods_in_the_baseline_folder_is_read_by_default(tmp_path):
    base, follow = pair(tmp_path)
    returned = client_plan(base, tmp_path / "returned.xlsx", {"FIT-01": ("Ana", "done")})
    xlsx_as_ods(returned, base / "actions.ods")
    p = compare_paths(base, follow)
    assert p["actions"] == {"file": str(base / "actions.ods"), "read": True, "notes": []}
    assert p["gaps_closed"][0]["action"] == {"status": "done", "owner": "Ana"}
    assert f"Client action plan: {base / 'actions.ods'} (statuses read)" in compare_text(p)


def test_the_name_case_and_any_workbook_suffix_count(tmp_path):
    base, _ = pair(tmp_path)
    assert default_actions(base) is None
    client_plan(base, base / "Actions.XLSM", {})
    assert default_actions(base) == base / "Actions.XLSM"
    (base / "actions.csv").write_text("signal_id,status\n")  # not a workbook: not a plan
    (base / ".~lock.actions.ods#").write_text("lock")  # LibreOffice's lock file
    assert default_actions(base) == base / "Actions.XLSM"


def test_two_plans_in_the_baseline_folder_are_refused_in_one_line(tmp_path):
    base, follow = pair(tmp_path)
    returned = client_plan(base, base / "actions.xlsx", {"FIT-01": ("Ana", "done")})
    xlsx_as_ods(returned, base / "actions.ods")
    r = CliRunner().invoke(app, ["compare", str(base), str(follow)])
    assert r.exit_code == 2
    assert r.output == (
        f"{base}: holds 2 action plans (actions.ods, actions.xlsx); keep the one the "
        "client returned and move the others away, or name it with --actions\n"
    )
    r = CliRunner().invoke(
        app, ["compare", str(base), str(follow), "--actions", str(base / "actions.ods")]
    )
    assert r.exit_code == 0 and f"Client action plan: {base / 'actions.ods'}" in r.output


def test_the_follow_up_deliverable_names_the_plan_it_read(tmp_path):
    from paos.deliverables import sections

    base, follow = pair(tmp_path)
    returned = client_plan(base, tmp_path / "returned.xlsx", {"FIT-01": ("Ana", "done")})
    xlsx_as_ods(returned, base / "actions.ods")
    text = sections.reassessment(deliverable(follow, run_date="2026-05-10")).text()
    assert "Ideal partner profile FIT-01 was high client: done, Ana" in text
    assert "The client's action plan of the baseline (actions.ods): statuses read." in text
    assert str(tmp_path) not in text


def test_two_plans_stop_the_follow_up_run_with_the_same_line(tmp_path):
    base, follow = pair(tmp_path)
    returned = client_plan(base, base / "actions.xlsx", {})
    xlsx_as_ods(returned, base / "actions.ods")
    try:
        deliverable(follow, run_date="2026-05-10")
    except EvidenceError as err:
        assert err.lines() == [
            f"{base}: holds 2 action plans (actions.ods, actions.xlsx); keep the one the "
            "client returned and move the others away, or name it with --actions"
        ]
    else:
        raise AssertionError("two plans were not refused")
