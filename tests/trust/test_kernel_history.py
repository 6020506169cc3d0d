"""Trust: a kernel paos starts keeps no IPython history on disk. IPython records every
cell a kernel runs in `<IPYTHONDIR>/profile_default/history.sqlite` (the user's home,
outside the engagement folder) unless told otherwise; a deliverable's cells start
with the injected parameters, which name the engagement's folder and client. So every
kernel paos starts, launched, launched ahead or forked from a batch worker's template,
keeps its history in memory (`--HistoryManager.hist_file=:memory:`)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEMO = Path(__file__).parent.parent.parent / "data" / "engagements"
ROOT = Path(__file__).parent.parent.parent
ENGAGEMENTS = ("northwind-2026-09", "meridian-2026-06")


def _histories_naming(folder: Path, *needles: str) -> list[str]:
    """The IPython history files under `folder` whose cells hold one of `needles`."""
    found = []
    for db in folder.rglob("history.sqlite"):
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            cells = [row[0] for row in con.execute("SELECT source FROM history")]
        if any(n in cell for cell in cells for n in needles):
            found.append(str(db))
    return found


def _paos(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "paos", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow  # kernels, a browser
def test_paos_run_and_batch_keep_no_ipython_history(tmp_path):
    ipython = tmp_path / "ipython"
    env = {**os.environ, "IPYTHONDIR": str(ipython), "PYTHONPATH": str(ROOT)}
    portfolio = tmp_path / "portfolio"
    clients = []
    for eid in ENGAGEMENTS:
        shutil.copytree(DEMO / eid, portfolio / eid)
        meta = yaml.safe_load((DEMO / eid / "engagement.yaml").read_text(encoding="utf-8"))
        clients.append(meta["client"])
    out, store = tmp_path / "reports", tmp_path / "store"
    _paos(["run", str(portfolio / "northwind-2026-09"), "--out", str(out / "run")], env)
    _paos(["batch", str(portfolio), "--out", str(out / "batch"), "--store", str(store)], env)
    assert (out / "batch" / "meridian-2026-06" / "diagnostic.ipynb").is_file()
    # the injected parameters name the engagement by a path ending in its folder
    assert _histories_naming(ipython, *clients, *ENGAGEMENTS) == []
    assert not list(ipython.rglob("history.sqlite*"))  # none written at all


@pytest.mark.slow  # a kernel
def test_a_kernel_started_with_paos_kernel_arguments_keeps_no_history(tmp_path, monkeypatch):
    """Whoever starts a kernel with paos's command line (`KERNEL_ARGUMENTS`: a Jupyter
    client of its own, a benchmark, a test) gets no history file, not only the kernels
    nbclient starts (nbclient adds `:memory:` itself where no history is named)."""
    from jupyter_client.manager import KernelManager

    from paos.deliverables.run import KERNEL_ARGUMENTS

    ipython = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython))  # the kernel inherits it
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=KERNEL_ARGUMENTS, cwd=str(tmp_path))
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        kc.execute_interactive('client = "Zq7 Kestrel Holdings"', timeout=120)
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
    assert _histories_naming(ipython, "Zq7 Kestrel") == []


@pytest.mark.slow  # a template process, a forked kernel
def test_a_kernel_forked_from_a_template_keeps_no_history_whatever_it_is_asked(tmp_path):
    """A batch worker's kernels are forked from its template (`paos.deliverables.
    _kernels`); the template's child keeps its history in memory even when its
    request names no history file (or names one), since only paos forks kernels."""
    import json
    import time

    from paos.deliverables._kernels import Template

    probe = tmp_path / "probe.json"
    code = (
        "import json; json.dump({'hist_file': str(get_ipython().history_manager.hist_file)}, "
        f"open({str(probe)!r}, 'w'))"
    )
    history = tmp_path / "history.sqlite"
    argv = [
        "-f",
        str(tmp_path / "kernel.json"),
        f"--IPKernelApp.exec_lines={code}",
        f"--HistoryManager.hist_file={history}",
    ]
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    template = Template()
    try:
        kernel = template.fork(argv, str(tmp_path), env, True)
        deadline = time.monotonic() + 120
        while not probe.exists() or not probe.read_text():
            assert time.monotonic() < deadline and kernel.poll() is None, "no probe"
            time.sleep(0.1)
        time.sleep(0.2)  # written whole
        assert json.loads(probe.read_text())["hist_file"] == ":memory:"
        kernel.kill()
    finally:
        template.close()
    assert not history.exists()
    assert not list((tmp_path / "ipython").rglob("history.sqlite*"))


@pytest.mark.parametrize(
    "argv",
    [
        ["-f", "k.json"],
        ["-f", "k.json", "--HistoryManager.hist_file=:memory:"],
        ["--HistoryManager.hist_file=/home/me/h.sqlite", "-f", "k.json"],
        ["--HistoryManager.hist_file", "/home/me/h.sqlite", "-f", "k.json"],
    ],
)
def test_a_forked_kernels_arguments_name_the_history_in_memory_once(argv):
    from paos._startup import KERNEL_HISTORY
    from paos.deliverables._zygote import _no_history

    assert _no_history(argv) == ["-f", "k.json", KERNEL_HISTORY]
