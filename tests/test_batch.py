"""Batch reruns over a portfolio: broken engagements, resume, interruption, Dask."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from paos.cli import app
from paos.method.store import STORE_SCHEMA, read_store
from paos.portfolio.batch import discover, failure_table, run_batch
from tests.builders import REPORT_FILES
from tests.waiting import wait_for

DEMO = Path(__file__).parent.parent / "data" / "engagements"


def _portfolio(root: Path, broken: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in ("northwind-2026-09", "meridian-2026-06", "alpine-2026-10"):
        shutil.copytree(DEMO / name, root / name)
    shutil.copy(DEMO / "harbor-2026-11.xlsx", root / "harbor-2026-11.xlsx")
    if broken:
        bad = root / "bad-rating"
        shutil.copytree(DEMO / "meridian-2026-06", bad)
        (bad / "engagement.yaml").write_text(
            (bad / "engagement.yaml").read_text().replace("meridian-2026-06", "bad-rating-2026")
        )
        lines = (bad / "ratings.csv").read_text().splitlines()
        cells = lines[3].split(",")
        cells[2] = "7"
        lines[3] = ",".join(cells)
        (bad / "ratings.csv").write_text("\n".join(lines) + "\n")
        missing = root / "no-stakeholders"
        shutil.copytree(DEMO / "northwind-2026-09", missing)
        (missing / "engagement.yaml").write_text(
            (missing / "engagement.yaml").read_text().replace("northwind-2026-09", "nostake-2026")
        )
        (missing / "stakeholders.csv").unlink()
        twin = root / "twin"
        shutil.copytree(DEMO / "alpine-2026-10", twin)  # same id as alpine
    return root


def _batch_command(tmp_path: Path) -> tuple[Path, Path, Path, list[str]]:
    """A portfolio of the demo engagements and the `paos batch` command line (one job)
    that runs it in a process of its own, for the tests that interrupt it."""
    root = _portfolio(tmp_path / "p", broken=False)
    out, store = tmp_path / "r", tmp_path / "s"
    return (
        root,
        out,
        store,
        [
            sys.executable,
            "-m",
            "paos",
            "batch",
            str(root),
            "--out",
            str(out),
            "--store",
            str(store),
            "--jobs",
            "1",
        ],
    )


def _by_id(outcomes):
    return {(o.engagement_id or Path(o.source).name): o for o in outcomes}


def test_discover_finds_folders_and_workbooks(tmp_path):
    root = _portfolio(tmp_path / "p", broken=False)
    (root / ".hidden").mkdir()
    shutil.copytree(DEMO / "meridian-2026-06", root / ".hidden" / "x")
    assert [p.name for p in discover(root)] == [
        "alpine-2026-10",
        "harbor-2026-11.xlsx",
        "meridian-2026-06",
        "northwind-2026-09",
    ]


def test_scores_only_broken_engagements_do_not_stop_the_others(tmp_path):
    root = _portfolio(tmp_path / "p")
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["batch", str(root), "--scores-only", "--store", str(store)])
    assert result.exit_code == 1
    out = result.stdout
    assert "7 engagements: 3 done, 0 skipped (unchanged), 4 failed" in out
    assert "bad-rating-2026  validate  " in out and "'7' is not a rating (1-4 or blank)" in out
    assert "nostake-2026" in out and "stakeholders.csv: required file is missing" in out
    assert out.count("'alpine-2026-10' engagement id is used by another engagement too") == 2
    stored = read_store(store)
    assert sorted(stored["engagement_id"]) == [
        "harbor-2026-11",
        "meridian-2026-06",
        "northwind-2026-09",
    ]
    assert stored.schema == pl.Schema(STORE_SCHEMA)


def test_scores_only_resumes_and_reruns_what_changed(tmp_path):
    root = _portfolio(tmp_path / "p", broken=False)
    store = tmp_path / "store"
    first = _by_id(run_batch(root, store=store, scores_only=True))
    assert {o.status for o in first.values()} == {"done"}
    again = _by_id(run_batch(root, store=store, scores_only=True))
    assert {o.status for o in again.values()} == {"skipped"}
    ratings = root / "meridian-2026-06" / "ratings.csv"
    ratings.write_text(ratings.read_text().replace(",4,", ",3,", 1))
    third = _by_id(run_batch(root, store=store, scores_only=True))
    assert third["meridian-2026-06"].status == "done"
    assert [o.status for k, o in third.items() if k != "meridian-2026-06"] == ["skipped"] * 3
    assert len(list((store / "meridian-2026-06").glob("*.parquet"))) == 2  # history kept
    forced = run_batch(root, store=store, scores_only=True, force=True)
    assert {o.status for o in forced} == {"done"}


def test_new_rulebook_version_adds_to_history(tmp_path):
    import yaml

    from paos.base.rulebook import RULEBOOK_DIR

    root = _portfolio(tmp_path / "p", broken=False)
    store = tmp_path / "store"
    run_batch(root, store=store, scores_only=True)
    raw = yaml.safe_load((RULEBOOK_DIR / "paos-v1.yaml").read_text())
    raw["dimensions"][0]["signals"][0]["threshold"] = 3.0
    raw["id"] = "paos-v1-strict"  # a bundled id names the bundled file alone
    book = tmp_path / "paos-v1-strict.yaml"
    book.write_text(yaml.safe_dump(raw))
    outcomes = run_batch(root, store=store, scores_only=True, rulebook=str(book))
    assert {o.status for o in outcomes} == {"done"}
    runs = read_store(store, latest=False)
    assert runs.height == 8 and runs["rulebook_sha256"].n_unique() == 2


def test_failure_table_names_stage_and_reason(tmp_path):
    root = _portfolio(tmp_path / "p")
    table = failure_table(run_batch(root, store=tmp_path / "s", scores_only=True))
    assert table.splitlines()[0].split() == ["engagement", "stage", "reason"]
    assert len(table.splitlines()) == 5


@pytest.mark.slow
def test_deliverables_in_parallel_with_a_broken_engagement(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    shutil.copytree(DEMO / "meridian-2026-06", root / "meridian-2026-06")
    bad = root / "bad"
    shutil.copytree(DEMO / "meridian-2026-06", bad)
    (bad / "engagement.yaml").write_text("id: bad\nclient: X\nassessed_on: someday\n")
    outcomes = _by_id(run_batch(root, out=tmp_path / "r", store=tmp_path / "s", jobs=2))
    assert outcomes["meridian-2026-06"].status == "done"
    assert (tmp_path / "r" / "meridian-2026-06" / "executive_summary.pdf").is_file()
    assert outcomes["bad"].status == "failed" and outcomes["bad"].stage == "validate"
    assert "is not an ISO date" in outcomes["bad"].reason
    again = _by_id(run_batch(root, out=tmp_path / "r", store=tmp_path / "s", jobs=2))
    assert again["meridian-2026-06"].status == "skipped"


@pytest.mark.slow
def test_a_batch_stopped_alone_removes_its_killed_workers_staging(tmp_path):
    """A SIGTERM to the batch process only (a service manager's stop): its workers are
    killed mid-engagement without cleaning up themselves, and the batch removes the
    staging folders they leave before it exits (before: left for the next command)."""
    root, out, store, cmd = _batch_command(tmp_path)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    wait_for(  # an engagement is under way: its notebook is staged
        lambda: list(out.glob(".*.staging/diagnostic.ipynb")), tmp_path, 240, "a run"
    )
    os.kill(proc.pid, signal.SIGTERM)  # the batch alone, not its workers
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert not [p for p in out.iterdir() if p.name.startswith(".") and "staging" in p.name]


@pytest.mark.slow
def test_interrupted_batch_keeps_finished_work_and_resumes(tmp_path):
    root, out, store, cmd = _batch_command(tmp_path)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    first = out / "alpine-2026-10" / "results.json"
    wait_for(first.exists, tmp_path, 240, "the first report")
    wait_for(  # the second one is under way: its notebook is staged
        lambda: list(out.glob(".*.staging/diagnostic.ipynb")), tmp_path, 120, "a second run"
    )
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole group
    proc.wait(timeout=120)
    assert proc.returncode != 0
    finished = sorted(p.name for p in out.iterdir())
    assert not [
        p
        for p in out.rglob("*")
        if (p.name.startswith(".") and p.name != ".paos-report") or ".tmp" in p.name
    ]
    for name in finished:  # every published report is whole
        assert sorted(f.name for f in (out / name).iterdir()) == [
            ".paos-report",
            *REPORT_FILES,
        ]
    assert len(finished) < 4
    rest = _by_id(run_batch(root, out=out, store=store, jobs=2))
    assert rest["alpine-2026-10"].status == "skipped"
    assert {o.status for o in rest.values()} <= {"done", "skipped"}
    assert sorted(p.name for p in out.iterdir()) == [
        "alpine-2026-10",
        "harbor-2026-11",
        "meridian-2026-06",
        "northwind-2026-09",
    ]


@pytest.mark.slow
def test_dask_executor_matches_local(tmp_path):
    from distributed import LocalCluster

    root = _portfolio(tmp_path / "p")
    local = run_batch(root, store=tmp_path / "local", scores_only=True)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_batch(
            root,
            store=tmp_path / "dask",
            scores_only=True,
            executor="dask",
            scheduler=cluster.scheduler_address,
            jobs=2,
        )

    def strip(os_):
        return [
            (o.engagement_id, o.status, o.stage, o.reason.split(" (and")[0])
            for o in os_
            if o.status == "failed"
        ]

    assert strip(remote) == strip(local) or sorted(strip(remote)) == sorted(strip(local))
    a = read_store(tmp_path / "local").drop("run_at")
    b = read_store(tmp_path / "dask").drop("run_at")
    assert a.equals(b) and a.height == 3


@pytest.mark.slow
def test_dask_executor_delivers_reports_from_worker_threads(tmp_path):
    # a worker with two threads: one browser per thread, one chart engine per process
    from distributed import LocalCluster

    root = tmp_path / "p"
    root.mkdir()
    for name in ("meridian-2026-06", "alpine-2026-10"):
        shutil.copytree(DEMO / name, root / name)
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:
        outcomes = run_batch(
            root,
            out=tmp_path / "r",
            store=tmp_path / "s",
            executor="dask",
            scheduler=cluster.scheduler_address,
            jobs=2,
        )
    assert [o.status for o in outcomes] == ["done", "done"], [o.reason for o in outcomes]
    for name in ("meridian-2026-06", "alpine-2026-10"):
        report = tmp_path / "r" / name
        assert (report / "executive_summary.pdf").read_bytes().startswith(b"%PDF")
        assert (report / "executive_summary.html").read_text().count("<svg") >= 2


def test_dask_without_scheduler_is_refused(tmp_path):
    root = _portfolio(tmp_path / "p", broken=False)
    result = CliRunner().invoke(app, ["batch", str(root), "--executor", "dask"])
    assert result.exit_code == 2
    assert "--executor dask needs --scheduler tcp://HOST:PORT" in result.stderr


def test_batch_sweeps_what_a_killed_worker_left(tmp_path):
    # staging folders whose owner process is gone; a look-alike paos did not make stays
    root = _portfolio(tmp_path / "p", broken=False)
    out, store = tmp_path / "r", tmp_path / "s"
    code = (
        "import sys; from pathlib import Path; from paos._files import make_staging\n"
        "for p in sys.argv[1:]: (make_staging(Path(p), 'meridian-2026-06') / 'x').write_text('{')"
    )
    subprocess.run([sys.executable, "-c", code, str(out), str(store)], check=True)
    assert len(list(out.glob(".*.staging")) + list(store.glob(".*.staging"))) == 2
    (store / ".lookalike.staging").mkdir()
    run_batch(root, out=out, store=store, scores_only=True)
    assert not list(out.glob(".*")) and [p.name for p in store.glob(".*")] == [".lookalike.staging"]


@pytest.mark.slow
def test_killed_worker_fails_its_engagements_and_a_rerun_finishes(tmp_path):
    root, out, store, cmd = _batch_command(tmp_path)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: list(out.glob(".*.staging")), tmp_path, 120, "a worker's staging")
    kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    workers = [
        int(p)
        for p in kids.stdout.split()
        if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
    ]
    assert workers, "no worker started"
    worker = workers[0]
    os.kill(worker, signal.SIGKILL)  # the worker dies mid-run
    stdout, _ = proc.communicate(timeout=240)
    assert proc.returncode == 1
    assert "worker process died" in stdout
    rest = _by_id(run_batch(root, out=out, store=store, jobs=2))
    assert {o.status for o in rest.values()} <= {"done", "skipped"}
    assert sorted(p.name for p in out.iterdir()) == [
        "alpine-2026-10",
        "harbor-2026-11",
        "meridian-2026-06",
        "northwind-2026-09",
    ]
