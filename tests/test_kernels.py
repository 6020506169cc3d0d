"""Issue 22: each engagement scored once per run (the store records the notebook's
results.json), and kernels forked from a worker's template, one new process per
engagement: nothing of one engagement reaches the next."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from paos.bundled import data_path
from paos.errors import PaosError
from paos.evidence.validate import load_evidence
from paos.method.diagnostic import score_evidence
from paos.method.results import contract
from paos.method.store import contract_rows, read_store, store_rows

DEMO = Path(data_path("engagements/northwind-2026-09"))
TOKEN = "Zq7Kestrel Quillon Holdings"  # found in nothing but the first engagement's evidence
WHEN = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _client(folder: Path, client: str) -> Path:
    """The demo engagement under another client name, with the same name quoted in a
    piece of evidence (a stakeholder's comment) too."""
    shutil.copytree(DEMO, folder)
    meta = folder / "engagement.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("Northwind Analytics GmbH", client),
        encoding="utf-8",
    )
    ratings = folder / "ratings.csv"
    text = ratings.read_text(encoding="utf-8")
    ratings.write_text(text.replace("If I'm candid,", f"At {client}, if I'm candid,"), "utf-8")
    return folder


def test_store_row_from_the_contract_is_the_row_of_a_second_scoring():
    evidence = load_evidence([DEMO])
    results = score_evidence(evidence)
    kept = json.loads(json.dumps(contract(results)))  # as results.json holds it
    assert contract_rows(kept, evidence, WHEN).equals(store_rows(results, WHEN))


def test_store_row_refuses_the_contract_of_another_engagement():
    evidence = load_evidence([DEMO])
    kept = json.loads(json.dumps(contract(score_evidence(evidence))))
    kept["engagement_id"] = "someone-else"
    with pytest.raises(PaosError, match="someone-else"):
        contract_rows(kept, evidence)


@pytest.mark.slow
def test_a_run_scores_in_its_notebook_only_and_stores_its_results_json(tmp_path, monkeypatch):
    import paos.evidence.intake as intake
    import paos.method.diagnostic as diagnostic
    import paos.method.engine as engine
    import paos.method.robustness as robustness
    from paos.deliverables.run import run_engagement
    from paos.portfolio import batch

    calls: list[str] = []

    def spy(module, name):
        real = getattr(module, name)

        def counted(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    spy(engine, "score")
    spy(robustness, "robustness")
    spy(diagnostic, "score_evidence")
    spy(intake, "read_engagement")
    spy(batch, "read_engagement")
    import paos.evidence.validate as validate

    spy(validate, "read_engagement")
    store = tmp_path / "store"
    # a batch worker's own work for one engagement, in this process
    outcome = batch.deliver_one(str(DEMO), str(tmp_path / "out"), str(store), None, True)
    assert outcome.status == "done", outcome.reason
    # this process read the evidence once (the checks before the notebook) and scored
    # nothing: the kernel read, validated and scored it, once
    assert calls.count("read_engagement") == 1
    assert not [c for c in calls if c != "read_engagement"]
    written = json.loads((tmp_path / "out" / DEMO.name / "results.json").read_text("utf-8"))
    row = read_store(store).row(0, named=True)
    assert row["pai"] == written["pai"] and row["status"] == written["status"]
    assert row["gaps"] == contract_rows(written, load_evidence([DEMO])).row(0, named=True)["gaps"]
    # the same with `paos run`: no scoring outside the kernel
    calls.clear()
    run_engagement(DEMO, tmp_path / "out2", store=tmp_path / "store2", progress=None)
    assert not [c for c in calls if c != "read_engagement"]


# Run in the second engagement's kernel, as its last cell: every object reachable
# from the kernel (the garbage collector's objects, every module), every string and
# bytes among them, every polars frame's values; the token arrives in hex, so that
# the cell's own source does not hold it.
_SCAN = """
def _scan(hexed):
    import gc, sys, os, tempfile
    needle = bytes.fromhex(hexed).decode()
    raw = needle.encode()
    found, seen = [], set()
    stack = gc.get_objects() + list(sys.modules.values())
    mine = {id(found), id(seen), id(stack)}
    pl = sys.modules.get("polars")
    while stack:
        o = stack.pop()
        if id(o) in seen or id(o) in mine or o is needle or o is raw:
            continue
        seen.add(id(o))
        if isinstance(o, str):
            if needle in o:
                found.append(o[:60])
            continue
        if isinstance(o, (bytes, bytearray, memoryview)):
            if raw in bytes(o):
                found.append("bytes")
            continue
        if pl is not None and isinstance(o, (pl.DataFrame, pl.Series)):
            frame = o.to_frame() if isinstance(o, pl.Series) else o
            if any(needle in str(v) for col in frame.iter_columns() for v in col.to_list()):
                found.append("polars")
        try:
            stack.extend(gc.get_referents(o))
        except Exception:
            pass
    for root, _, files in os.walk(tempfile.gettempdir()):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    if raw in f.read():
                        found.append(name)
            except OSError:
                pass
    return len(seen), found

_seen, _found = _scan(HEX)
print("scanned", _seen, "objects; found", len(_found), _found[:5])
"""


# A chart of the client's name (from its own engagement.yaml), drawn by the kernel's
# chart engine: the chart server, if the kernel has one, sees the name.
_NAMED_CHART = """
import pathlib, yaml
from paos.deliverables import chart_engine as _engine
_name = yaml.safe_load(pathlib.Path(engagement, "engagement.yaml").read_text("utf-8"))["client"]
_svg = _engine.to_svg({"data": {"values": [{"a": _name}]}, "mark": "text",
                       "encoding": {"text": {"field": "a"}}})
print("served", _engine.served(), _name in _svg)
del _name, _svg
"""


def _with_scan(template: Path, folder: Path) -> Path:
    nb = nbformat.read(str(template), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_NAMED_CHART))
    nb.cells.append(nbformat.v4.new_code_cell(_SCAN.replace("HEX", repr(TOKEN.encode().hex()))))
    out = folder / "scan.ipynb"
    nbformat.write(nb, str(out))
    return out


def _scan_output(notebook: Path) -> tuple[int, list[str]]:
    nb = nbformat.read(str(notebook), as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert text.startswith("scanned"), text
    seen, found = text.split(";", 1)
    return int(seen.split()[1]), eval(found.split(" ", 3)[3])  # noqa: S307 - our own print


@pytest.mark.slow
def test_two_engagements_through_one_worker_share_nothing(tmp_path, monkeypatch):
    """The isolation proof of item 3: one worker's template gives the kernels of two
    engagements of two clients, one after the other; the first client's name (in its
    engagement.yaml, quoted in its evidence and in the name of the folder its kernel
    works in, which the template never sees) is nowhere in the second's kernel (any
    object it can reach, polars frames included), its notebook, its files or the
    temporary folder. The same scan finds it in the first kernel: it can fail. Both
    kernels' charts are drawn by the worker's one chart server (a chart of each
    client's name too), which answers every kind of request it takes alike before
    the first engagement and after the second: nothing of the first is obtainable
    from it (its freed memory may hold old bytes, as any process's; no request reads
    them, docs/architecture.md)."""

    from paos.deliverables import _kernels
    from paos.deliverables._chart_server import ChartServer
    from paos.deliverables.run import execute_notebook, notebook_path

    temp = Path(tempfile.mkdtemp(prefix="paos-iso-"))  # short: the kernels' sockets are in it
    monkeypatch.setenv("TMPDIR", str(temp))  # the template's, the kernels' and ours
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    template = _kernels.Template()
    charts = ChartServer()  # the worker's one chart engine, for both kernels
    try:
        probe = _probe_server(charts)
        first = _client(tmp_path / "first-2026-01", TOKEN)
        second = _client(tmp_path / "second-2026-02", "Other Client Ltd")
        scan = _with_scan(notebook_path(), tmp_path)
        runs = {}
        for name, engagement in (("first", first), ("second", second)):
            # the first kernel works in a folder named with the token too
            folder = tmp_path / (f"out-{TOKEN}" if name == "first" else f"out-{name}")
            folder.mkdir()
            nb = folder / "diagnostic.ipynb"
            shutil.copyfile(scan, nb)
            params = {"engagement": str(engagement), "output_dir": ".", "notebook": nb.name}
            execute_notebook(scan, nb, params, cwd=folder, kernels=template, charts=charts)
            named = nbformat.read(str(nb), as_version=4).cells[-2].outputs
            assert named[0]["text"].split() == ["served", "True", "True"]  # by the server
            runs[name] = folder
        assert template.alive() and charts.alive()
        after = _probe_server(charts)  # the first client's name went through it
        assert after == probe and TOKEN not in json.dumps(after)  # it answers as before
        seen, found = _scan_output(runs["first"] / "diagnostic.ipynb")
        assert found and seen > 10_000  # the scan sees the client's name where it is
        seen, found = _scan_output(runs["second"] / "diagnostic.ipynb")
        assert seen > 10_000 and found == []
        for path in runs["second"].rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path
        assert TOKEN in (runs["first"] / "results.json").read_text("utf-8") or any(
            TOKEN.encode() in p.read_bytes() for p in runs["first"].rglob("*") if p.is_file()
        )
    finally:
        template.close()
        charts.close()
        shutil.rmtree(temp, ignore_errors=True)


def _probe_server(charts) -> list[dict]:
    """Every kind of request the chart server takes and what it answers: a chart, a
    chart with no data, an empty request, a request that is no specification."""
    import socket

    from paos.deliverables import _chart_server

    answers = []
    for message in (
        {"spec": {"mark": "bar", "data": {"values": [{"a": 1}]}}},
        {"spec": {"mark": "bar"}},
        {},
        {"get": "last"},
    ):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(60)
            conn.connect(charts.path)
            conn.sendall(_chart_server.frame(message))
            answers.append(_chart_server.receive(conn, 1 << 30))
    return answers


@pytest.mark.parametrize("text", [None, "not json", '{"engagement_id": "someone-else"}', "[]"])
def test_a_published_run_without_a_usable_results_json_is_scored_for_the_store(tmp_path, text):
    from paos.method.diagnostic import published_rows

    evidence = load_evidence([DEMO])
    if text is not None:
        (tmp_path / "results.json").write_text(text, encoding="utf-8")
    row = published_rows(tmp_path, evidence, None).drop("run_at")
    assert row.equals(store_rows(score_evidence(evidence)).drop("run_at"))


@pytest.mark.slow  # a template process: ipykernel, polars, altair and vl-convert imported
def test_a_template_ends_when_the_process_that_started_it_is_killed():
    """Its channel, whose other end only that process holds, reaches its end: no template (nor a
    kernel of it) outlives a killed worker, whichever thread started it."""
    import subprocess
    import sys

    import psutil

    code = (
        "import threading, time\n"
        "from paos.deliverables._kernels import Template\n"
        "box = []\n"
        "def start():\n"
        "    t = Template(); t._ready = t._reply(120); box.append(t)\n"
        "th = threading.Thread(target=start); th.start(); th.join()\n"  # the thread ends
        "print(box[0].pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        template = psutil.Process(int(worker.stdout.readline()))
        time.sleep(1)
        assert template.is_running()  # the starting thread ended; the template lives on
    finally:
        worker.kill()
        worker.wait()
    template.wait(timeout=30)


# A kernel forked from a template that runs this file (`exec_lines`) and exits: it
# writes what it was given and what it inherited to probe.json in its folder.
_PROBE = """
import json, os, sys
with open("probe.json", "w") as f:
    json.dump({"cwd": os.getcwd(), "mark": os.environ.get("PAOS_TEST_MARK"),
               "rfc3987_syntax": repr(sys.modules.get("rfc3987_syntax", "absent"))}, f)
os._exit(0)
"""


def _probe_argv(folder: Path) -> list[str]:
    (folder / "probe.py").write_text(_PROBE, encoding="utf-8")
    code = f"exec(open({str(folder / 'probe.py')!r}).read())"
    return ["-f", str(folder / "kernel.json"), f"--IPKernelApp.exec_lines={code}"]


def _wait_for(path: Path, within: float = 60.0) -> dict:
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} not written"
        time.sleep(0.1)
    time.sleep(0.2)  # written whole
    return json.loads(path.read_text("utf-8"))


def _in_memory(pid: int, needle: bytes) -> list[str]:
    """The readable mappings of process `pid` that hold `needle` (its memory read
    through /proc, as its parent or root may)."""
    found = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("r") or fields[-1] in ("[vvar]", "[vsyscall]"):
                continue
            tail = b""
            for at in range(start, end, 1 << 24):
                try:
                    mem.seek(at)
                    chunk = tail + mem.read(min(1 << 24, end - at))
                except (OSError, ValueError, OverflowError):
                    break
                if needle in chunk:
                    found.append(line.strip())
                    break
                tail = chunk[-len(needle) :]
    return found


@pytest.fixture(scope="module")
def template():
    from paos.deliverables import _kernels

    template = _kernels.Template()
    yield template
    template.close()


@pytest.mark.slow
def test_the_template_never_holds_an_engagements_request(template, tmp_path):
    """Item 4 of the review: the request (argv, working folder, environment) reaches
    the forked child alone; the template's memory, which each later kernel copies,
    never held it."""
    import uuid

    marker = f"paos-mark-{uuid.uuid4().hex}"
    folder = tmp_path / f".{marker}.staging"
    folder.mkdir()
    env = {**os.environ, "PAOS_TEST_MARK": marker}
    template.fork(_probe_argv(folder), str(folder), env, True)
    probe = _wait_for(folder / "probe.json")
    assert probe["cwd"] == str(folder) and probe["mark"] == marker  # the child got it
    assert _in_memory(template.pid, marker.encode()) == []
    assert template.alive()


@pytest.mark.slow
def test_the_template_skips_what_paos_processes_skip(template, tmp_path):
    """Item 8 of the review: the template runs `paos._startup.start()` before its
    imports, so neither it nor a kernel forked from it imports rfc3987_syntax."""
    template.fork(_probe_argv(tmp_path), str(tmp_path), dict(os.environ), True)
    probe = _wait_for(tmp_path / "probe.json")
    assert probe["rfc3987_syntax"] == "None"


@pytest.mark.slow
def test_a_template_that_did_not_answer_is_retired_not_closed_under_its_kernels(
    tmp_path, monkeypatch
):
    """Item 3 of the review: a fork that times out makes the next engagement get a new
    template, but the old one is only closed once its kernels have ended (another
    thread's engagement may still run in one); the request that timed out never
    becomes a kernel (its connection file is the fallback kernel's)."""
    import psutil

    from paos.deliverables import _kernels

    monkeypatch.setattr(_kernels, "_shared", None)
    monkeypatch.setattr(_kernels, "_retired", [], raising=False)
    first = _kernels.shared()
    assert first is not None
    kernel = None
    try:
        forked = first.fork(
            ["-f", str(tmp_path / "k1.json")], str(tmp_path), dict(os.environ), True
        )
        kernel = psutil.Process(forked.pid)
        monkeypatch.setattr(_kernels, "_FORK", 1.0)
        os.kill(first.pid, signal.SIGSTOP)
        try:
            with pytest.raises(_kernels.TemplateError):
                first.fork(["-f", str(tmp_path / "k2.json")], str(tmp_path), dict(os.environ), True)
        finally:
            os.kill(first.pid, signal.SIGCONT)
        template = psutil.Process(first.pid)
        deadline = time.monotonic() + 6  # a late kernel would have started by then
        while time.monotonic() < deadline and not (tmp_path / "k2.json").exists():
            time.sleep(0.2)
        running = [c for c in template.children() if c.status() != psutil.STATUS_ZOMBIE]
        assert running == [kernel] and not (tmp_path / "k2.json").exists()
        assert _kernels.shared() is not first
        time.sleep(1)
        assert kernel.is_running() and kernel.status() != psutil.STATUS_ZOMBIE
        kernel.kill()
        kernel.wait(10)
        _kernels.shared()  # the retired template has no kernel left: closed
        assert first._proc.poll() is not None
    finally:
        if kernel is not None and kernel.is_running():
            kernel.kill()
        _kernels._close_shared()


def test_a_template_that_cannot_start_leaves_the_kernel_to_be_launched(monkeypatch):
    """Item 3 of the review: no process or file descriptor left for a template costs
    the engagement nothing; its kernel is launched the usual way."""
    from paos.deliverables import _kernels

    def no_template():
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(_kernels, "_shared", None)
    monkeypatch.setattr(_kernels, "Template", no_template)
    assert _kernels.shared() is None


def test_a_kernel_whose_template_died_before_it_looked_exits():
    """Item 7 of the review: a child compares its parent with the template's pid taken
    before the fork; were it read after, a template dead in between would pass (the
    child's parent is then another process) and the child would run on alone."""
    import subprocess
    import sys

    import psutil

    code = (
        "import os, signal, socket, time\n"
        "from paos.deliverables import _zygote\n"
        "template = os.getpid()\n"
        "mine, theirs = socket.socketpair()\n"
        "real = os.setsid\n"
        "def setsid():\n"  # the child's first step: the template dies before it
        "    print(os.getpid(), flush=True)\n"
        "    os.kill(template, signal.SIGKILL)\n"
        "    while os.getppid() == template:\n"
        "        time.sleep(0.01)\n"
        "    return real()\n"
        "os.setsid = setsid\n"
        "_zygote._fork(theirs.fileno(), os.open(os.devnull, os.O_RDWR))\n"
        "time.sleep(60)\n"
    )
    script = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = None
    try:
        assert script.stdout is not None
        child = psutil.Process(int(script.stdout.readline()))
        script.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if child.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the child of a dead template runs on")
    finally:
        script.kill()
        script.wait()
        if child is not None and child.is_running():
            child.kill()


def test_a_forked_kernel_whose_pid_another_process_took_has_ended(monkeypatch):
    """Item 4 of the hardening review: a forked kernel that ended and whose pid another
    process then took must not look alive (nor be signalled, nor waited for): its pid
    names it only with the start time recorded when it was forked."""
    import subprocess
    import sys

    from paos import _files
    from paos.deliverables import _kernels

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kernel = _kernels._Forked(proc.pid)
        assert kernel.poll() is None  # the process it was forked as

        def reused(pid: int) -> tuple[str, str] | None:
            found = _files.proc_stat(pid)
            if pid != proc.pid or found is None:
                return found
            return ("S", str(int(found[1]) + 100))  # running, started after the kernel

        monkeypatch.setattr(_kernels, "proc_stat", reused, raising=False)
        assert kernel.poll() == 0
        assert kernel.wait(1) == 0
        kernel.kill()
        kernel.terminate()
        time.sleep(0.2)
        assert proc.poll() is None  # the process that took the pid was left alone
    finally:
        proc.kill()
        proc.wait()
