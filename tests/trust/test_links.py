"""Issue 16, finding 12: nothing outside the engagement folder is read. A symbolic link
in the folder that resolves outside it is refused, naming the link (exit 2, one line);
a file whose content is not what the file system says it holds (/proc) is never
parsed, so its content is never echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paos import EvidenceError
from paos.base import files, limits
from paos.cli import app
from paos.deliverables.report import deliverable
from paos.evidence.surveys import import_export
from paos.method.reassessment import compare_paths
from tests.builders import write_engagement

PROC = Path("/proc/self/status")
OUTSIDE = "is a symbolic link to a file outside the engagement folder"


def cli(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    a = write_engagement(tmp_path / "clientA")
    b = write_engagement(
        tmp_path / "clientB",
        meta="id: b-2026\nclient: B\nassessed_on: 2026-05-04\n",
        ratings=[
            ["stakeholder_id", "signal_id", "rating", "evidence"],
            ["s1", "FIT-01", "1", "client B's own words"],
        ],
    )
    return a, b


@pytest.mark.parametrize("name", ["ratings.csv", "stakeholders.csv", "engagement.yaml"])
def test_a_link_to_another_clients_file_is_refused_naming_the_link(tmp_path, name):
    a, b = _pair(tmp_path)
    (a / name).unlink()
    (a / name).symlink_to(Path("..") / "clientB" / name)
    for command in ("validate", "score"):
        code, out, err = cli(command, a)
        assert code == 2 and out == ""
        assert err.splitlines() == [f"{a / name}: {files.OUTSIDE}"], err


def test_a_link_into_proc_is_refused_and_its_content_never_echoed(tmp_path):
    a, _ = _pair(tmp_path)
    (a / "ratings.csv").unlink()
    (a / "ratings.csv").symlink_to(PROC)
    code, out, err = cli("validate", a)
    assert code == 2 and err.splitlines() == [f"{a / 'ratings.csv'}: {files.OUTSIDE}"]
    assert "State" not in out + err and "Pid" not in out + err


@pytest.mark.skipif(not PROC.exists(), reason="needs /proc")
def test_a_proc_file_is_not_a_regular_file_even_where_it_may_be_read(tmp_path):
    """/proc files pass the regular-file check (size 0, content on read): refused,
    never parsed, e.g. an export named directly or a folder holding a hard-to-spot
    bind mount."""
    with pytest.raises(files.Refused) as info:
        files.read_file(PROC, "status", limits.MAX_TABLE_BYTES)
    assert info.value.problem.rule == files.PSEUDO
    code, out, err = cli("import", PROC, "--into", write_engagement(tmp_path / "e"))
    assert code == 2 and "State" not in out + err
    assert f"{PROC}: {files.PSEUDO}" in err


def test_links_that_stay_inside_the_folder_are_read(tmp_path):
    a, _ = _pair(tmp_path)
    (a / "v2").mkdir()
    os.replace(a / "ratings.csv", a / "v2" / "ratings.csv")
    (a / "ratings.csv").symlink_to(Path("v2") / "ratings.csv")
    assert cli("validate", a)[0] == 0


def test_an_engagement_folder_or_workbook_given_through_a_link_is_read(tmp_path):
    """The analyst names the engagement: a link to the folder (or to a workbook, one
    file naming its own client) is that engagement, nothing of another is mixed in."""
    a, _ = _pair(tmp_path)
    (tmp_path / "shortcut").symlink_to(a)
    assert cli("validate", tmp_path / "shortcut")[0] == 0


def test_import_append_refuses_a_link_out_of_the_folder(tmp_path):
    a, b = _pair(tmp_path)
    (a / "ratings.csv").unlink()
    (a / "ratings.csv").symlink_to(b / "ratings.csv")
    src = Path(__file__).parents[2] / "data" / "surveys" / "northwind-qualtrics.csv"
    before = (b / "ratings.csv").read_bytes()
    with pytest.raises(EvidenceError) as info:
        import_export(src, a, append=True)
    assert info.value.lines() == [f"{a / 'ratings.csv'}: {files.OUTSIDE}"]
    assert (b / "ratings.csv").read_bytes() == before
    assert os.path.islink(a / "ratings.csv")


def test_a_baseline_action_plan_linked_from_outside_is_not_read(tmp_path):
    from tests.test_actions import client_plan, pair

    base, follow = pair(tmp_path)
    elsewhere = client_plan(base, tmp_path / "other.xlsx", {"FIT-01": ("Ana", "done")})
    (base / "actions.xlsx").symlink_to(elsewhere)
    p = compare_paths(base, follow)
    assert p["actions"]["read"] is False
    assert p["actions"]["notes"] == [f"actions.xlsx: {files.OUTSIDE}; statuses not read"]
    d = deliverable(follow, run_date="2026-05-10")
    assert "action" not in d.reassessment["gaps_closed"][0]
    # named by the analyst, the same file is read
    named = compare_paths(base, follow, actions=elsewhere)
    assert named["gaps_closed"][0]["action"] == {"status": "done", "owner": "Ana"}
