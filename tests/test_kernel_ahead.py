"""`paos run` launches its kernel ahead (`run.kernel_ahead`): the kernel boots and
imports while the run imports nbconvert and python-pptx and launches its browser;
after the notebook it is asked to end, and the run writes its HTML, deck and PDF
while it exits. Nothing of the kernel outlives the run, and what the kernel writes as
it exits is in the published folder (its exit is waited for before publishing)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import psutil
import pytest

from paos.deliverables import run as run_module
from paos.errors import NotebookError, PaosError
from tests.builders import write_engagement
from tests.test_deliverables import notebook_with

pytestmark = pytest.mark.slow  # each runs a kernel


def _kernels() -> set[int]:
    """This process's live kernel processes (the browser's end on their own, later)."""
    found = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(p.cmdline()):
                found.add(p.pid)
        except psutil.Error:  # ended meanwhile
            pass
    return found


def _kernel_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("*paos-kernel*")}


def test_what_the_kernel_writes_as_it_exits_is_published(tmp_path, monkeypatch):
    """The kernel's own exit (its atexit handlers) runs while the run renders; the
    run waits for it before publishing, so the folder is whole when it is published
    (the kernel works in the staging folder: a write after the rename would land in
    the published report)."""
    at_publish: list[set[str]] = []
    real = run_module.publish_folder

    def recorded(staging, target, force):
        at_publish.append({p.name for p in Path(staging).iterdir()})
        return real(staging, target, force)

    monkeypatch.setattr(run_module, "publish_folder", recorded)
    code = (
        "import atexit, pathlib, time\n"
        "def _late():\n"
        "    time.sleep(2.3)\n"  # longer than the HTML, deck and PDF take
        "    pathlib.Path('written_at_exit.txt').write_text('the kernel ended')\n"
        "atexit.register(_late)"
    )
    src = write_engagement(tmp_path / "src")
    result = run_module.run_engagement(
        src, tmp_path / "out", progress=None, template=notebook_with(tmp_path, code)
    )
    assert "written_at_exit.txt" in at_publish[0]
    assert (result.folder / "written_at_exit.txt").read_text() == "the kernel ended"


def test_a_run_that_stops_before_its_notebook_leaves_no_kernel(tmp_path, monkeypatch):
    """The kernel is launched before the browser: a browser that cannot start fails
    the run with one message, and the kernel launched for it is ended, its sockets'
    folder removed."""
    launched = []
    real = run_module.launch

    def recorded(folder, start):
        km = real(folder, start)
        launched.append(km)
        return km

    def no_browser():
        raise PaosError("Chromium cannot start (on purpose)")

    monkeypatch.setattr(run_module, "launch", recorded)
    monkeypatch.setattr(run_module, "Browser", no_browser)
    src = write_engagement(tmp_path / "src")
    before, folders = _kernels(), _kernel_folders()
    with pytest.raises(NotebookError, match="stage pdf failed"):
        run_module.run_engagement(src, tmp_path / "out", progress=None)
    assert len(launched) == 1 and not launched[0].has_kernel
    assert _kernels() - before == set()
    assert _kernel_folders() <= folders


def test_a_run_leaves_no_kernel_and_no_socket_folder(tmp_path):
    src = write_engagement(tmp_path / "src")
    before, folders = _kernels(), _kernel_folders()
    run_module.run_engagement(src, tmp_path / "out", progress=None)
    assert _kernels() - before == set()
    assert _kernel_folders() <= folders


def test_the_kernel_launched_ahead_keeps_no_history_file(tmp_path, monkeypatch):
    """nbclient starts its kernels with IPython's history in memory
    (`--HistoryManager.hist_file=:memory:`); a kernel launched ahead is started by the
    run, not by nbclient, and must be too: otherwise every cell it runs (the injected
    parameters name the engagement and its client) is kept in the user's IPython
    folder after the run, in one SQLite file that concurrent runs share."""
    from jupyter_core.utils import run_sync

    ipython = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython))  # the kernel inherits it
    with run_module.kernel_ahead(tmp_path, None) as km:
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=120)  # its shell is set up
        finally:
            kc.stop_channels()
    assert not list(ipython.rglob("history.sqlite*"))


def test_a_kernel_whose_start_fails_half_way_is_killed(tmp_path, monkeypatch):
    """The kernel's process runs, then its start fails (here: jupyter_client's step
    after the launch raises): the launch kills it before the error goes up, so a
    long-lived process (a Dask worker) is not left with a kernel nobody owns."""
    from paos.deliverables import _papermill

    cls = _papermill._ahead_class()

    async def broken(self, **kwargs):
        raise RuntimeError("the start failed after the launch (on purpose)")

    monkeypatch.setattr(cls, "_async_post_start_kernel", broken)
    before = _kernels()
    with pytest.raises(RuntimeError, match="on purpose"):
        _papermill.launch(str(tmp_path), {"cwd": str(tmp_path)})
    assert _kernels() - before == set()
