"""Trust: runs at once, in processes or in the threads of one Dask worker, never mix
clients, and a run changes no state of the process it runs in (working directory, file
descriptors, environment, umask)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from paos.method.store import read_store
from paos.portfolio.batch import run_batch
from tests.builders import REPORT_FILES

DEMO = Path(__file__).parent.parent.parent / "data" / "engagements"
PORTFOLIO = Path(__file__).parent.parent.parent / "data" / "portfolio" / "engagements"
REPORT = [".paos-report", *REPORT_FILES]
CLIENTS = {"northwind-2026-09": None, "meridian-2026-06": None, "alpine-2026-10": None}


def _paos(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "paos", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _client(eid: str) -> str:
    return yaml.safe_load((DEMO / eid / "engagement.yaml").read_text())["client"]


def _assert_reports_are_their_own(out: Path, ids: list[str]) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(ids)
    for eid in ids:
        folder = out / eid
        assert sorted(p.name for p in folder.iterdir()) == REPORT, eid
        assert json.loads((folder / "results.json").read_text())["engagement_id"] == eid
        html = (folder / "executive_summary.html").read_text()
        assert _client(eid) in html
        assert not [o for o in ids if o != eid and _client(o) in html], eid
        cells = json.loads((folder / "diagnostic.ipynb").read_text())["cells"]
        ran = json.dumps([c for c in cells if "parameters" not in c["metadata"].get("tags", [])])
        assert str(eid) in ran and not [o for o in ids if o != eid and o in ran], eid


def _assert_store_rows(store: Path, ids: list[str]) -> None:
    frame = read_store(store)
    assert sorted(frame["engagement_id"]) == sorted(ids)
    for eid in ids:
        files = list((store / eid).iterdir())
        assert len(files) == 1 and files[0].suffix == ".parquet"
    assert not [p for p in store.rglob(".*")]


# a run leaves the process as it found it -------------------------------------------------


@pytest.mark.slow  # a whole run: notebook, kernel, PDF
def test_a_run_in_a_thread_changes_no_process_wide_state(tmp_path, monkeypatch):
    import paos.deliverables._papermill
    import paos.deliverables.run
    import paos.evidence.validate
    from paos.portfolio.batch import deliver_one

    def forbidden(name):
        def call(*args, **kwargs):
            raise AssertionError(f"os.{name} called during a run")

        return call

    monkeypatch.delenv("PAOS_CHART_ENGINE", raising=False)
    paos.deliverables._papermill.engine()
    environ, cwd, fd2 = dict(os.environ), os.getcwd(), os.fstat(2)
    outcome, seen = [], set()

    def work():
        outcome.append(
            deliver_one(
                str(DEMO / "meridian-2026-06"),
                str(tmp_path / "r"),
                str(tmp_path / "s"),
                None,
                False,
            )
        )

    with monkeypatch.context() as patch:
        for name in ("chdir", "fchdir", "dup2", "umask"):
            patch.setattr(os, name, forbidden(name))
        thread = threading.Thread(target=work)
        thread.start()
        while thread.is_alive():
            seen.add((os.getcwd(), os.fstat(2).st_ino, os.environ.get("PAOS_CHART_ENGINE")))
            thread.join(0.01)
    assert outcome[0].status == "done", outcome[0].reason
    assert seen == {(cwd, fd2.st_ino, None)}
    assert dict(os.environ) == environ and os.getcwd() == cwd
    _assert_reports_are_their_own(tmp_path / "r", ["meridian-2026-06"])


# several commands on one --out and --store at once -----------------------------------------


@pytest.mark.slow
def test_two_runs_of_different_engagements_at_once(tmp_path):
    out, store = tmp_path / "out", tmp_path / "store"
    ids = ["northwind-2026-09", "meridian-2026-06"]
    procs = [_paos("run", str(DEMO / eid), "--out", str(out), "--store", str(store)) for eid in ids]
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stderr
    _assert_reports_are_their_own(out, ids)
    _assert_store_rows(store, ids)


@pytest.mark.slow
def test_two_runs_of_one_engagement_publish_once(tmp_path):
    out, store = tmp_path / "out", tmp_path / "store"
    procs = [
        _paos("run", str(DEMO / "meridian-2026-06"), "--out", str(out), "--store", str(store))
        for _ in range(2)
    ]
    results = [(proc.wait(timeout=240), proc.stderr.read()) for proc in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert loser.strip().splitlines()[-1].endswith("already exists; use --force to replace it")
    _assert_reports_are_their_own(out, ["meridian-2026-06"])
    _assert_store_rows(store, ["meridian-2026-06"])


@pytest.mark.slow  # two processes scoring the 64-engagement portfolio
def test_two_scores_only_batches_on_one_store_at_once(tmp_path):
    store = tmp_path / "store"
    procs = [
        _paos("batch", str(PORTFOLIO), "--scores-only", "--store", str(store), "--force")
        for _ in range(2)
    ]
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stdout + stderr
        assert "64 engagements: 64 done" in stdout
    ids = sorted(p.name for p in PORTFOLIO.iterdir() if (p / "engagement.yaml").is_file())
    _assert_store_rows(store, ids)


# a Dask worker with two threads, relative paths given on the client -------------------------


@pytest.mark.slow
def test_dask_threads_with_relative_paths_never_mix_clients(tmp_path, monkeypatch):
    from distributed import LocalCluster

    client = tmp_path / "client"
    ids = ["northwind-2026-09", "meridian-2026-06", "alpine-2026-10"]
    pf = client / "pf"
    pf.mkdir(parents=True)
    for eid in ids:
        shutil.copytree(DEMO / eid, pf / eid)
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:  # its worker's cwd: not `client`
        monkeypatch.chdir(client)
        outcomes = run_batch(
            "pf", out="r", store="s", executor="dask", scheduler=cluster.scheduler_address, jobs=2
        )
    assert [o.status for o in outcomes] == ["done"] * 3, [o.reason for o in outcomes]
    _assert_reports_are_their_own(client / "r", ids)
    _assert_store_rows(client / "s", ids)


# kernels started at once cannot take each other's ports ------------------------------------


def test_a_kernel_talks_over_sockets_in_a_private_folder_not_ports(tmp_path):
    """jupyter_client picks TCP ports by binding and closing them; another process can
    take one before the kernel binds it and the kernel dies before kernel_info (issue
    19 item 10). The kernel gets Unix sockets in a folder only this run can write."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from paos.deliverables.run import execute_notebook

    template, output = tmp_path / "probe.ipynb", tmp_path / "probe.out.ipynb"
    probe = (
        "import json, os\n"
        "from ipykernel.connect import get_connection_info\n"
        "info = json.loads(get_connection_info())\n"
        "folder = os.path.dirname(info['ip'])\n"
        "print(info['transport'], folder, oct(os.stat(folder).st_mode & 0o777))"
    )
    nbformat.write(new_notebook(cells=[new_code_cell(probe)]), str(template))
    execute_notebook(template, output, {}, cwd=tmp_path)
    printed = nbformat.read(str(output), as_version=4).cells[-1].outputs[0]["text"]
    transport, folder, mode = printed.split()
    assert (transport, mode) == ("ipc", "0o700"), printed
    assert not os.path.exists(folder)  # removed with the kernel


def test_a_killed_runs_kernel_sockets_are_removed_by_the_next_run(tmp_path):
    """A batch worker killed with its kernel cannot remove the kernel's socket folder;
    it is a staging folder of its own, so the next run's sweep removes it."""
    from paos.deliverables.run import _socket_folder

    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from paos.deliverables.run import _socket_folder\n"
            "f = _socket_folder(); (f / 'kernel.json').write_text('{}'); print(f, flush=True)\n"
            "os._exit(9)",  # killed: no clean-up runs
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    left = Path(made.stdout.strip())
    assert made.returncode == 9 and (left / "kernel.json").is_file(), made.stderr
    mine = _socket_folder()
    try:
        assert not left.exists()
        assert oct(mine.stat().st_mode & 0o777) == "0o700"
    finally:
        shutil.rmtree(mine)
