"""`paos batch --executor dask` when the cluster is not what it should be: no worker,
an unreachable scheduler, and --jobs (issue 19 item 9)."""

from __future__ import annotations

import io
import threading
import time

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from paos.cli import app
from paos.portfolio import batch
from paos.portfolio.batch import Outcome, run_batch
from tests.test_batch import _portfolio


@pytest.mark.slow
def test_a_cluster_without_workers_is_named_and_the_batch_stops(tmp_path, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(batch, "_NO_WORKER_SAY", 1.0)
    monkeypatch.setattr(batch, "_NO_WORKER_STOP", 3.0)
    root = _portfolio(tmp_path / "p", broken=False)
    said = io.StringIO()
    shown = Progress(console=Console(file=said, width=60))
    with LocalCluster(n_workers=0, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        t = time.monotonic()
        outcomes = run_batch(
            root,
            store=tmp_path / "s",
            scores_only=True,
            executor="dask",
            scheduler=address,
            progress=shown,
        )
        took = time.monotonic() - t
    assert took < 30, took
    assert [o.status for o in outcomes] == ["failed"] * 4
    assert {o.stage for o in outcomes} == {"worker"}
    assert outcomes[0].reason.startswith(f"no Dask worker at {address} for 3 s; not run:")
    assert f"no Dask worker has been seen at {address} for 1 s" in said.getvalue()


def test_an_unreachable_scheduler_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "_CONNECT", 1.0)
    root = _portfolio(tmp_path / "p", broken=False)
    result = CliRunner().invoke(
        app,
        [
            "batch",
            str(root),
            "--scores-only",
            "--store",
            str(tmp_path / "s"),
            "--executor",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Dask scheduler tcp://127.0.0.1:9: cannot be reached ("), line
    assert line.endswith("check that it runs and that the address is right, then run again")


_LOCK = threading.Lock()
_RUNNING = [0, 0]  # now, at most


def _slow_deliver(source, out, store, rulebook, force, pptx_template=None):
    """deliver_one's stand-in on worker threads of this process: counts itself."""
    with _LOCK:
        _RUNNING[0] += 1
        _RUNNING[1] = max(_RUNNING[1], _RUNNING[0])
    time.sleep(0.5)
    with _LOCK:
        _RUNNING[0] -= 1
    return Outcome(source, None, "done")


@pytest.mark.slow
@pytest.mark.parametrize(("jobs", "most"), [(1, 1), (2, 2)])
def test_jobs_bounds_the_engagements_a_dask_cluster_runs_at_once(tmp_path, monkeypatch, jobs, most):
    from distributed import LocalCluster

    _RUNNING[:] = [0, 0]
    monkeypatch.setattr(batch, "deliver_one", _slow_deliver)  # worker threads in this process
    root = _portfolio(tmp_path / "p", broken=False)
    with LocalCluster(
        n_workers=1, threads_per_worker=4, processes=False, dashboard_address=None
    ) as cluster:
        outcomes = run_batch(
            root,
            out=tmp_path / "r",
            store=tmp_path / "s",
            executor="dask",
            scheduler=cluster.scheduler_address,
            jobs=jobs,
        )
    assert [o.status for o in outcomes] == ["done"] * 4
    assert _RUNNING[1] == most
