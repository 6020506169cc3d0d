"""Trust: paos removes or overwrites only what it provably created, and every fault of
the environment is one line naming the path (exit 1), never a traceback."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from paos import _files as files
from paos._files import is_report, make_staging, publish_folder, sweep_leftovers
from paos.cli import app
from paos.method.store import find_run, read_store
from paos.portfolio.batch import run_batch
from tests.builders import REPORT_FILES
from tests.waiting import wait_for

DEMO = Path(__file__).parent.parent.parent / "data" / "engagements"
REPORT = [".paos-report", *REPORT_FILES]


def _portfolio(root: Path, *names: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name.endswith(".xlsx"):
            shutil.copy(DEMO / name, root / name)
        else:
            shutil.copytree(DEMO / name, root / name)
    return root


def _one_line_fault(result, *names: str) -> str:
    """The command failed with exit 1 and one line naming each of `names`; no traceback."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    lines = [
        ln
        for ln in result.stderr.strip().splitlines()
        if not ln.startswith(("[1/5]", "[2/5]", "[3/5]", "[4/5]"))
    ]  # progress lines
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for name in names:
        assert str(name) in lines[0], lines[0]
    return lines[0]


def _owner(parent: Path, name: str) -> tuple[subprocess.Popen, Path]:
    """Another process that made a staging folder in `parent` and is still running."""
    code = (
        "import sys; from pathlib import Path; from paos._files import make_staging\n"
        "p = make_staging(Path(sys.argv[1]), sys.argv[2])\n"
        "(p / 'diagnostic.ipynb').write_text('{}')\n"
        "print(p, flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(parent), name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, Path(proc.stdout.readline().strip())


# 1 and 10: what paos removes -------------------------------------------------------------


def test_user_files_that_look_like_leftovers_survive(tmp_path):
    home = tmp_path / "H"
    (home / "p").mkdir(parents=True)
    (home / ".site.staging" / "c").mkdir(parents=True)
    (home / "p" / ".thesis.tex.tmp").write_text("x")
    (home / ".site.staging" / "c" / "i.html").write_text("x")
    (home / ".notes.staging").mkdir()  # a marker paos did not write
    (home / ".notes.staging" / ".paos-owner").write_text("mine\n")
    (home / "r" / "x").mkdir(parents=True)
    (home / "r" / "x" / ".y.parquet.123.tmp").write_text("x")
    (home / "r" / ".db.staging").mkdir()
    pf = _portfolio(tmp_path / "pf", "meridian-2026-06")
    result = CliRunner().invoke(
        app, ["batch", str(pf), "--scores-only", "--out", str(home), "--store", str(home / "r")]
    )
    assert result.exit_code == 0, result.output
    for kept in (
        "p/.thesis.tex.tmp",
        ".site.staging/c/i.html",
        ".notes.staging/.paos-owner",
        "r/x/.y.parquet.123.tmp",
        "r/.db.staging",
    ):
        assert (home / kept).exists(), kept


def test_a_live_processs_staging_survives_and_a_killed_ones_goes(tmp_path):
    out = tmp_path / "out"
    proc, staging = _owner(out, "acme-2026")
    try:
        assert staging.parent == out and (staging / ".paos-owner").is_file()
        assert sweep_leftovers(out) == [] and staging.is_dir()  # its owner is running
        copy = out / ".acme-2026.copied.staging"  # a copy names another
        shutil.copytree(staging, copy)
    finally:
        proc.kill()
        proc.wait()
    assert sweep_leftovers(out) == [staging]
    assert not staging.exists() and copy.is_dir()


def test_a_reused_pid_does_not_keep_a_leftover(tmp_path):
    staging = make_staging(tmp_path, "acme-2026")  # this process: alive
    assert sweep_leftovers(tmp_path) == []
    marker = staging / ".paos-owner"
    lines = marker.read_text().splitlines()
    lines = [ln if not ln.startswith("start ") else "start 1" for ln in lines]
    marker.write_text("\n".join(lines) + "\n")  # same pid, another process start
    assert sweep_leftovers(tmp_path) == [staging]


def test_another_machines_staging_is_left_alone(tmp_path):
    staging = make_staging(tmp_path, "acme-2026")
    marker = staging / ".paos-owner"
    text = marker.read_text().splitlines()
    marker.write_text(
        "\n".join(
            "host elsewhere.example"
            if ln.startswith("host ")
            else ln.replace(f"pid {os.getpid()}", "pid 999999999")
            for ln in text
        )
        + "\n"
    )
    assert sweep_leftovers(tmp_path) == [] and staging.is_dir()


@pytest.mark.slow
def test_a_killed_runs_staging_is_removed_by_the_next_run(tmp_path):
    out, store = tmp_path / "out", tmp_path / "store"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "paos",
            "run",
            str(DEMO / "northwind-2026-09"),
            "--out",
            str(out),
            "--store",
            str(store),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    staged = wait_for(  # staged and marked as the run's own
        lambda: list(out.glob(".northwind-2026-09.*.staging/.paos-owner")),
        tmp_path,
        60,
        "a staging",
    )
    staged = [staged[0].parent]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert staged[0].is_dir()  # a confidential leftover
    result = CliRunner().invoke(
        app, ["run", str(DEMO / "meridian-2026-06"), "--out", str(out), "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["meridian-2026-06"]


# publishing ------------------------------------------------------------------------------


def _staged(parent: Path, tag: str) -> Path:
    staging = make_staging(parent, "acme")
    for name in ("a.txt", "b.txt", "c.txt"):
        (staging / name).write_text(tag)
    return staging


def test_publish_never_mixes_two_reports_even_when_the_check_races(tmp_path, monkeypatch):
    target = tmp_path / "acme"
    publish_folder(_staged(tmp_path, "first"), target, force=False)
    monkeypatch.setattr(Path, "exists", lambda self: False)  # the check loses the race
    second = _staged(tmp_path, "second")
    with pytest.raises(FileExistsError):
        publish_folder(second, target, force=False)
    monkeypatch.undo()
    assert {p.read_text() for p in _contents(target)} == {"first"}
    assert sorted(p.name for p in _contents(target)) == ["a.txt", "b.txt", "c.txt"]


def _contents(report: Path) -> list[Path]:
    """What a run put in a report: all but the report marker paos adds at publish."""
    assert is_report(report)
    return [p for p in report.iterdir() if p.name != ".paos-report"]


@pytest.mark.parametrize("force", [False, True])
def test_concurrent_publishes_of_one_report(tmp_path, force):
    target = tmp_path / "acme"
    stagings = [_staged(tmp_path, f"run{i}") for i in range(6)]
    barrier, outcome = threading.Barrier(len(stagings)), {}

    def publish(i: int, staging: Path) -> None:
        barrier.wait()
        try:
            publish_folder(staging, target, force)
            outcome[i] = "published"
        except FileExistsError:
            outcome[i] = "exists"

    threads = [threading.Thread(target=publish, args=(i, s)) for i, s in enumerate(stagings)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcome) == len(stagings)  # no other error escaped
    if not force:
        assert sorted(outcome.values()) == ["exists"] * 5 + ["published"]
    tags = {p.read_text() for p in _contents(target)}
    assert len(tags) == 1 and sorted(p.name for p in _contents(target)) == [
        "a.txt",
        "b.txt",
        "c.txt",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["acme"] + [s.name for i, s in enumerate(stagings) if outcome[i] == "exists"]
    )


def test_atomic_write_leaves_nothing_when_the_disk_is_full(tmp_path, monkeypatch):
    (tmp_path / "x.pdf").write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        files.atomic_write_bytes(tmp_path / "x.pdf", b"new" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["x.pdf"]
    assert (tmp_path / "x.pdf").read_bytes() == b"old"


# 4: faults of the environment --------------------------------------------------------------


@pytest.mark.parametrize("option", ["--out", "--store"])
def test_run_with_a_folder_that_is_a_file(tmp_path, option):
    path = tmp_path / "taken"
    path.write_text("not a folder")
    args = {"--out": str(tmp_path / "out"), "--store": str(tmp_path / "store"), option: str(path)}
    result = CliRunner().invoke(
        app, ["run", str(DEMO / "meridian-2026-06"), *[x for kv in args.items() for x in kv]]
    )
    _one_line_fault(result, path)
    assert not (tmp_path / "out" / "meridian-2026-06").exists()  # nothing published first
    assert path.read_text() == "not a folder"


def test_batch_and_check_with_a_folder_under_a_file(tmp_path):
    path = tmp_path / "taken"
    path.write_text("not a folder")
    pf = _portfolio(tmp_path / "pf", "meridian-2026-06")
    runner = CliRunner()
    _one_line_fault(
        runner.invoke(app, ["batch", str(pf), "--scores-only", "--store", str(path / "s")]),
        path / "s",
    )
    _one_line_fault(
        runner.invoke(app, ["batch", str(pf), "--out", str(path), "--store", str(tmp_path / "s")]),
        path,
    )
    checks = Path(__file__).parent.parent.parent / "data" / "checks" / "globex-2026-11.yaml"
    _one_line_fault(runner.invoke(app, ["check", str(checks), "--out", str(path)]), path)


def test_a_folder_that_cannot_be_written(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):  # as for a folder root cannot write either
        if str(path).startswith(str(locked)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    pf = _portfolio(tmp_path / "pf", "meridian-2026-06")
    line = _one_line_fault(
        CliRunner().invoke(app, ["batch", str(pf), "--scores-only", "--store", str(locked / "s")]),
        locked,
    )
    assert "ermission" in line


@pytest.mark.slow
def test_a_full_disk_during_the_pdf_stage(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def fsync(fd):
        if ".pdf" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["run", str(DEMO / "meridian-2026-06"), "--out", str(out), "--store", str(tmp_path / "s")],
    )
    line = _one_line_fault(result, "executive_summary.pdf")
    assert "space" in line
    assert list(out.iterdir()) == []  # nothing half-written
    assert not (tmp_path / "s").exists() or not list((tmp_path / "s").rglob("*.parquet"))


@pytest.mark.slow  # two batches, each with its worker processes
def test_a_workbook_that_is_not_a_zip_fails_alone(tmp_path):
    pf = _portfolio(tmp_path / "pf", "meridian-2026-06")
    (pf / "broken.xlsx").write_bytes(b"this is not a zip file")
    result = CliRunner().invoke(
        app, ["batch", str(pf), "--scores-only", "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "2 engagements: 1 done, 0 skipped (unchanged), 1 failed" in result.stdout
    assert "broken.xlsx" in result.stdout.split("Failures:")[1]
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    result = CliRunner().invoke(
        app,
        [
            "batch",
            str(alone),
            "--out",
            str(tmp_path / "r"),
            "--store",
            str(tmp_path / "s"),
            "--jobs",
            "1",
        ],
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "1 engagements: 0 done, 0 skipped (unchanged), 1 failed" in result.stdout
    assert "broken.xlsx" in result.stdout.split("Failures:")[1]


# 3: two engagements with one id --------------------------------------------------------------


def test_deliverables_refuse_two_engagements_with_one_id(tmp_path):
    pf = tmp_path / "pf"
    pf.mkdir()
    for name in ("a", "b"):
        shutil.copytree(DEMO / "alpine-2026-10", pf / name)
    outcomes = run_batch(pf, out=tmp_path / "r", store=tmp_path / "s", jobs=2)
    assert [(o.status, o.stage) for o in outcomes] == [("failed", "validate")] * 2
    assert all("engagement id is used by another engagement too" in o.reason for o in outcomes)
    assert not (tmp_path / "r" / "alpine-2026-10").exists()


@pytest.mark.slow
def test_deliverables_on_dask_refuse_two_engagements_with_one_id(tmp_path):
    from distributed import LocalCluster

    pf = tmp_path / "pf"
    pf.mkdir()
    for name in ("a", "b"):
        shutil.copytree(DEMO / "alpine-2026-10", pf / name)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        outcomes = run_batch(
            pf,
            out=tmp_path / "r",
            store=tmp_path / "s",
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    assert [(o.status, o.stage) for o in outcomes] == [("failed", "validate")] * 2
    assert not (tmp_path / "r" / "alpine-2026-10").exists()


# 5: a corrupt or foreign file in the store ---------------------------------------------------


def _corrupt_store(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    pf = _portfolio(tmp_path / "pf", "meridian-2026-06", "alpine-2026-10", "northwind-2026-09")
    store = tmp_path / "store"
    assert {o.status for o in run_batch(pf, store=store, scores_only=True)} == {"done"}
    garbage = next((store / "meridian-2026-06").glob("*.parquet"))
    garbage.write_bytes(os.urandom(3000))
    foreign = store / "zz-other" / "paos-v1-000000000000-000000000000.parquet"
    foreign.parent.mkdir()
    pl.DataFrame({"a": [1, 2]}).write_parquet(foreign)
    return pf, store, garbage, foreign


def test_readers_skip_a_corrupt_store_file_with_a_warning(tmp_path):
    from paos.method.store import StoreWarning

    pf, store, garbage, foreign = _corrupt_store(tmp_path)
    with pytest.warns(StoreWarning) as seen:
        frame = read_store(store)
    assert sorted(frame["engagement_id"]) == ["alpine-2026-10", "northwind-2026-09"]
    assert {str(garbage), str(foreign)} <= {str(p) for w in seen for p in [w.message.path]}
    with pytest.warns(StoreWarning, match=str(garbage)):
        assert find_run(store, "meridian-2026-06", "paos-v1") is None
    result = CliRunner().invoke(
        app, ["benchmark", str(DEMO / "northwind-2026-09"), "--store", str(store), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert str(garbage) in result.stderr and str(foreign) in result.stderr
    assert "Traceback" not in result.output
    import json

    assert json.loads(result.stdout)["engagement_id"] == "northwind-2026-09"


def test_the_next_batch_rewrites_a_corrupt_run_file(tmp_path):
    pf, store, garbage, _ = _corrupt_store(tmp_path)
    outcomes = {o.engagement_id: o.status for o in run_batch(pf, store=store, scores_only=True)}
    assert outcomes == {
        "meridian-2026-06": "done",
        "alpine-2026-10": "skipped",
        "northwind-2026-09": "skipped",
    }
    assert pl.read_parquet(garbage)["engagement_id"].to_list() == ["meridian-2026-06"]
    assert not [p for p in store.rglob(".*")]  # written atomically, nothing left


@pytest.mark.slow
def test_a_run_goes_on_past_a_corrupt_store_file(tmp_path):
    _, store, garbage, _ = _corrupt_store(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(DEMO / "northwind-2026-09"), "--out", str(out), "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "northwind-2026-09").iterdir()) == REPORT


# a swap cut short (issue 19 item 6) ------------------------------------------------------

_SWAP = """
import os, sys
from pathlib import Path
from paos._files import make_staging, publish_folder
out, cut = Path(sys.argv[1]), sys.argv[2]
def staged(tag):
    s = make_staging(out, "acme")
    for name in ("a.txt", "b.txt"):
        (s / name).write_text(tag)
    return s
publish_folder(staged("old"), out / "acme", force=False)
real_rmdir, real_rename = os.rmdir, os.rename
def rmdir(path, *a, **k):  # the old report's own folder, once emptied
    if cut == "removal" and os.path.basename(path) == "0":
        raise KeyboardInterrupt  # SIGTERM turned into an exception by the CLI
    return real_rmdir(path, *a, **k)
def rename(src, dst, *a, **k):  # the new report going into place
    if cut == "swap" and os.path.basename(dst) == "acme" and str(src).endswith(".staging"):
        if not os.path.exists(dst):
            raise KeyboardInterrupt
    return real_rename(src, dst, *a, **k)
os.rmdir, os.rename = rmdir, rename
publish_folder(staged("new"), out / "acme", force=True)
"""


@pytest.mark.parametrize("cut", ["removal", "swap"])
def test_a_force_swap_cut_short_leaves_a_report_and_nothing_unowned(tmp_path, cut):
    """Interrupted while the replaced report is removed: the trash folder stays marked
    (its marker goes last) and the next command sweeps it. Interrupted between moving
    the old report aside and putting the new one in place: the old one goes back."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _SWAP, str(out), cut], capture_output=True, text=True, timeout=60
    )
    assert "KeyboardInterrupt" in done.stderr, done.stderr
    for leftover in out.glob(".*.staging"):
        assert files.owned(leftover), sorted(p.name for p in leftover.iterdir())
    sweep_leftovers(out)  # what the next command does first
    assert sorted(p.name for p in out.iterdir()) == ["acme"]
    assert is_report(out / "acme")
    assert (out / "acme" / "a.txt").read_text() == ("new" if cut == "removal" else "old")


def test_removing_a_staging_folder_takes_its_marker_last(tmp_path, monkeypatch):
    staging = make_staging(tmp_path, "acme")
    for name in ("0", "1", "z"):
        (staging / name).mkdir()
        (staging / name / "f").write_text("x")
    removed: list[str] = []
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        removed.append(os.path.basename(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    files.remove_staging(staging)
    assert not staging.exists() and removed[-1] == files.MARKER, removed
