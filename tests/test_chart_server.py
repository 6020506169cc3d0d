"""One warm chart engine per batch worker (issue 22, item 4): a chart server process
the worker owns, reached by its kernels over a Unix socket in a private folder; a
server that is gone, silent or refusing costs a chart's time, never a chart; it ends
with its owner, however the owner ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import psutil
import pytest
import vl_convert

from paos.deliverables import _chart_server, chart_engine
from paos.deliverables._chart_server import ENV, MAX_SPEC, ChartServer
from tests.test_chart_engine import BAD, SPEC


@pytest.fixture(scope="module")
def server():
    server = ChartServer()
    yield server
    server.close()


@pytest.fixture
def served(server, monkeypatch):
    """This process's chart engine as a kernel of `server`'s owner has it."""
    chart_engine.stop()
    monkeypatch.setitem(os.environ, ENV, server.environment()[ENV])
    chart_engine.start()
    yield server
    chart_engine.stop()


def _ask(server: ChartServer, data: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect(server.path)
        conn.sendall(data)
        return _chart_server.receive(conn, 1 << 30)


def test_the_server_listens_in_a_private_folder_and_leaves_our_environment_alone(server):
    assert server.alive()
    assert os.stat(server.folder).st_mode & 0o777 == 0o700
    assert server.environment() == {ENV: f"unix:{os.getpid()}:{server.path}"}
    assert ENV not in os.environ  # the kernel's launch environment alone names it


def test_charts_drawn_by_the_server_are_vl_converts_and_arrive_in_order(served):
    assert chart_engine.served()
    other = {**SPEC, "mark": "point"}
    futures = [chart_engine.submit(SPEC if i % 2 else other) for i in range(8)]
    svgs = [chart_engine.result(f) for f in futures]
    assert svgs[1] == vl_convert.vegalite_to_svg(SPEC)
    assert svgs[0] == vl_convert.vegalite_to_svg(other) and svgs[0] != svgs[1]
    assert svgs == [svgs[0], svgs[1]] * 4
    assert chart_engine.served()  # every chart came from the server


def test_a_bad_spec_fails_that_chart_only_with_vl_converts_message(served):
    bad, good = chart_engine.submit(BAD), chart_engine.submit(SPEC)
    with pytest.raises(ValueError) as from_server:
        chart_engine.result(bad)
    with pytest.raises(ValueError) as here:
        vl_convert.vegalite_to_svg(BAD)
    assert str(from_server.value) == str(here.value)
    assert chart_engine.result(good) == vl_convert.vegalite_to_svg(SPEC)
    assert chart_engine.served()


def test_the_server_refuses_an_oversized_or_malformed_request_and_serves_on(server):
    too_big = _chart_server._HEADER.pack(MAX_SPEC + 1)
    assert _ask(server, too_big)["type"] == "refused"
    assert _ask(server, _chart_server.frame({"not": "a spec"}))["type"] == "refused"
    assert _ask(server, _chart_server._HEADER.pack(2) + b"[]")["type"] == "refused"
    assert _ask(server, _chart_server.frame({"spec": SPEC}))["svg"] == (
        vl_convert.vegalite_to_svg(SPEC)
    )


def test_a_request_that_never_arrives_whole_is_dropped_after_the_read_timeout(monkeypatch):
    monkeypatch.setattr(_chart_server, "READ_TIMEOUT", 0.2)
    ours, theirs = socket.socketpair()
    with ours:
        ours.sendall(_chart_server._HEADER.pack(100) + b"{")  # and nothing more
        answering = threading.Thread(target=_chart_server._answer, args=(theirs,))
        t = time.monotonic()
        answering.start()
        answering.join(10)
        assert not answering.is_alive() and time.monotonic() - t < 5
        reply = _chart_server.receive(ours, 1 << 20)
    assert reply["type"] == "refused" and "timed out" in reply["error"]


def test_a_request_trickled_in_is_dropped_after_the_read_timeout(monkeypatch):
    """READ_TIMEOUT bounds the whole request, not each read: a client that sends a
    byte now and then, each within the timeout, holds the server's thread no longer."""
    monkeypatch.setattr(_chart_server, "READ_TIMEOUT", 0.5)
    body = _chart_server.frame({"spec": SPEC})
    ours, theirs = socket.socketpair()

    def trickle() -> None:
        try:
            for i in range(len(body)):
                ours.sendall(body[i : i + 1])
                time.sleep(0.05)  # the whole request: several seconds
        except OSError:  # the server hung up
            pass

    with ours:
        sending = threading.Thread(target=trickle, daemon=True)
        answering = threading.Thread(target=_chart_server._answer, args=(theirs,))
        t = time.monotonic()
        sending.start()
        answering.start()
        answering.join(30)
        took = time.monotonic() - t
        assert not answering.is_alive()
        reply = _chart_server.receive(ours, 1 << 20)
    assert len(body) * 0.05 > 4  # the trickle would take longer than what is allowed
    assert reply["type"] == "refused" and "timed out" in reply["error"], reply
    assert took < 3


def test_charts_are_drawn_here_once_the_server_is_gone(monkeypatch):
    own = ChartServer()
    chart_engine.stop()
    monkeypatch.setitem(os.environ, ENV, own.environment()[ENV])
    chart_engine.start()
    try:
        assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)
        psutil.Process(own.pid).kill()
        psutil.Process(own.pid).wait(10)
        assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)  # drawn here
        assert not chart_engine.served()
        with pytest.raises(ValueError):
            chart_engine.to_svg(BAD)
    finally:
        chart_engine.stop()
        own.close()
    assert not os.path.exists(own.folder)


def test_a_silent_server_costs_one_reply_timeout_then_charts_are_drawn_here(tmp_path, monkeypatch):
    path = str(tmp_path / "silent.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.bind(path)
        silent.listen(8)  # accepts (the kernel connects) and never answers
        chart_engine.stop()
        monkeypatch.setattr(chart_engine, "REPLY_TIMEOUT", 0.5)
        monkeypatch.setitem(os.environ, ENV, f"unix:{os.getpid()}:{path}")  # we listen
        chart_engine.start()
        try:
            t = time.monotonic()
            first, second = chart_engine.submit(SPEC), chart_engine.submit(SPEC)
            assert chart_engine.result(first) == vl_convert.vegalite_to_svg(SPEC)
            assert chart_engine.result(second) == chart_engine.result(first)
            assert time.monotonic() - t < 20  # one timeout, not one per chart
            assert not chart_engine.served()
        finally:
            chart_engine.stop()


def test_a_kernel_with_a_server_does_not_start_vl_convert(server):
    code = textwrap.dedent(f"""
        import sys
        from paos.deliverables import chart_engine
        chart_engine.start()
        svg = chart_engine.to_svg({SPEC!r})
        print(chart_engine.served(), "vl_convert" in sys.modules, svg.startswith("<svg"))
    """)
    env = {**os.environ, **server.environment()}
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.stdout.split() == ["True", "False", "True"], run.stderr[-2000:]


def test_the_server_ends_with_its_owner_even_when_the_owner_is_killed():
    code = (
        "import time\n"
        "from paos.deliverables._chart_server import ChartServer\n"
        "s = ChartServer()\n"
        "print(s.pid, s.folder, flush=True)\n"
        "time.sleep(600)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pid, folder = owner.stdout.readline().split()
        server = psutil.Process(int(pid))
        assert server.is_running() and os.path.isdir(folder)
    finally:
        owner.kill()
        owner.wait()
    server.wait(timeout=30)  # no orphan
    deadline = time.monotonic() + 10
    while os.path.exists(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(folder)  # its socket's folder went with it


def test_closing_a_server_that_does_not_read_its_pipe_is_at_once():
    """`close()` ends the server at once, whatever it is doing: `paos run` starts its
    server first thing, and a run stopped right after (bad evidence, Ctrl-C) must not
    wait for the server to notice, which it cannot while vl-convert's warm-up holds its
    interpreter, nor up to 5 s for a server that reads nothing (here: stopped)."""
    own = ChartServer()
    server = psutil.Process(own.pid)
    server.suspend()
    t = time.monotonic()
    try:
        own.close()
        took = time.monotonic() - t
    finally:
        if server.is_running():
            server.resume()
    assert not own.alive() and not os.path.exists(own.folder)
    assert took < 2, took


def test_shared_restarts_a_server_that_died_and_honours_inline(monkeypatch):
    first = _chart_server.shared()
    assert first is not None and first is _chart_server.shared()
    psutil.Process(first.pid).kill()
    psutil.Process(first.pid).wait(10)
    second = _chart_server.shared()
    assert second is not None and second is not first and second.alive()
    monkeypatch.setitem(os.environ, ENV, "inline")
    assert _chart_server.shared() is None


def test_a_kernel_talks_only_to_the_server_its_environment_names(tmp_path, monkeypatch):
    """A process that took the socket's path (the server's socket removed and bound
    again by someone else) gets no chart: the kernel checks the peer's pid (here the
    impostor is a thread of another process than the owner it names)."""
    own = ChartServer()
    chart_engine.stop()
    setting = own.environment()[ENV].replace(f"unix:{os.getpid()}:", f"unix:{os.getppid()}:")
    monkeypatch.setitem(os.environ, ENV, setting)  # its owner: another process than ours
    chart_engine.start()
    received: list[bytes] = []
    try:
        os.unlink(own.path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as impostor:
            impostor.bind(own.path)
            impostor.listen(8)

            def listen() -> None:
                conn, _ = impostor.accept()
                with conn:
                    conn.settimeout(5)
                    try:
                        received.append(conn.recv(1 << 16))
                        conn.sendall(_chart_server.frame({"svg": "<svg>impostor</svg>"}))
                    except OSError:  # the kernel hung up on it
                        pass

            threading.Thread(target=listen, daemon=True).start()
            named = {**SPEC, "data": {"values": [{"k": "a confidential name", "v": 1}]}}
            assert chart_engine.to_svg(named) == vl_convert.vegalite_to_svg(named)  # here
            assert not chart_engine.served()
        assert not any(b"confidential" in r for r in received)
    finally:
        chart_engine.stop()
        own.close()
