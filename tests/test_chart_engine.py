"""The chart engine: vl-convert in a helper process, with this process as the fallback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import altair as alt
import jsonschema
import pandas as pd
import pytest
import vl_convert

from paos.deliverables import chart_engine
from paos.deliverables import charts
from paos.method import check
from paos.portfolio import report as portfolio
from paos.deliverables import report
from paos.deliverables import sections
from paos.portfolio.batch import run_batch

DATA = Path(__file__).parent.parent / "data"
DEMO = DATA / "engagements"
SPEC = {"data": {"values": [{"k": "a", "v": 1}, {"k": "b", "v": 3}]}, "mark": "bar",
        "encoding": {"x": {"field": "v", "type": "quantitative"},
                     "y": {"field": "k", "type": "nominal"}}}
BAD = {"data": {"values": [{"k": "a"}]}, "mark": "no-such-mark"}


@pytest.fixture
def helper():
    chart_engine.start()
    assert chart_engine.running()
    yield chart_engine._helper
    # leave a helper running for the other tests, as a notebook would


def test_helper_draws_what_vl_convert_draws(helper):
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)
    assert chart_engine.running()


def test_start_twice_keeps_one_helper(helper):
    chart_engine.start()
    assert chart_engine._helper is helper


def test_invalid_spec_raises_value_error_from_the_helper_and_here(helper):
    with pytest.raises(ValueError) as from_helper:
        chart_engine.to_svg(BAD)
    with pytest.raises(ValueError) as here:
        vl_convert.vegalite_to_svg(BAD)
    assert str(from_helper.value) == str(here.value)
    assert chart_engine.running()                 # one bad chart does not stop the engine


def test_many_charts_in_flight_arrive_in_order(helper):
    d = report.prepare(DEMO / "northwind-2026-09")
    big = charts.spec(sections.CHARTS["divergence"](d))        # about 60 kB of SVG each
    specs = [SPEC if i % 2 else big for i in range(40)]
    futures = []                                             # more than a pipe's buffer
    sender = threading.Thread(target=lambda: futures.extend(map(chart_engine.submit, specs)),
                              daemon=True)
    sender.start()
    sender.join(timeout=120)
    assert not sender.is_alive(), "submitting charts deadlocked"
    svgs = [f.result(timeout=120) for f in futures]
    assert svgs[0] == svgs[2] and svgs[1] == svgs[3] and svgs[0] != svgs[1]
    assert svgs[1] == vl_convert.vegalite_to_svg(SPEC)


def test_a_dead_helper_loses_no_chart():
    chart_engine.start()
    old = chart_engine._helper
    os.kill(old.proc.pid, signal.SIGKILL)
    old.proc.wait(timeout=10)
    svg = chart_engine.to_svg(SPEC)                          # drawn here instead
    assert svg == vl_convert.vegalite_to_svg(SPEC)
    assert not old.alive and not chart_engine.running()
    chart_engine.start()                                     # and a new helper starts
    assert chart_engine.running() and chart_engine._helper is not old
    assert chart_engine.to_svg(SPEC) == svg


def test_without_a_helper_charts_are_drawn_here(monkeypatch):
    monkeypatch.setattr(chart_engine, "_helper", None)
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)
    with pytest.raises(ValueError):
        chart_engine.to_svg(BAD)


def test_helper_ends_with_its_parent():
    code = ("from paos.deliverables import chart_engine; chart_engine.start(); "
            "print(chart_engine._helper.proc.pid, flush=True)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    pid = int(out.split()[0])
    assert _exits(pid), f"chart engine helper {pid} outlived its parent"   # it reads EOF


def _exits(pid: int, within: float = 10) -> bool:
    end = time.monotonic() + within
    while _running(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"                        # a zombie has exited


def test_helper_is_outside_the_kernels_process_group(helper):
    # ipykernel terminates the children in its process group at shutdown and waits
    # for them in growing steps (up to seconds); the helper must not be one of them.
    assert os.getpgid(helper.proc.pid) != os.getpgrp()


# Charts are not validated against the Vega-Lite schema when drawn (it costs time
# on every run); these tests validate every chart the deliverables draw.

@pytest.fixture
def validating(monkeypatch):
    drawn = []
    plain = charts.spec

    def spec(chart, validate=False):
        drawn.append(chart)
        return plain(chart, validate=True)
    monkeypatch.setattr(charts, "spec", spec)
    return drawn


def test_validation_catches_a_broken_chart():
    broken = alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x="a:Q")
    broken.width = "wide"
    charts.spec(broken)                                   # drawn unvalidated
    with pytest.raises(jsonschema.ValidationError, match="wide"):
        charts.spec(broken, validate=True)


@pytest.mark.parametrize("path", sorted(DEMO.iterdir()), ids=lambda p: p.name)
def test_every_chart_of_the_diagnostic_is_valid_vega_lite(validating, path):
    d = report.prepare(path)
    sections.draw_charts(d)
    for name in ("executive_summary", "priority_matrix", "roadmap", "dimension_pages",
                 "divergence", "evidence_appendix"):
        assert "<svg" in str(getattr(sections, name)(d)) or name in (
            "dimension_pages", "evidence_appendix")
    assert len(validating) == len(sections.CHARTS) == 4     # each drawn once


def test_sections_draw_their_chart_when_not_sent_ahead(validating):
    d = report.prepare(DEMO / "northwind-2026-09")
    assert "<svg" in str(sections.divergence(d))
    assert len(validating) == 1 and set(d.drawings) == {"divergence"}


def test_check_and_portfolio_charts_are_valid_vega_lite(validating, tmp_path):
    assert "<svg" in str(sections.architecture_check(
        check.prepare(DATA / "checks" / "globex-2026-11.yaml")))
    run_batch(DATA / "portfolio" / "engagements", store=tmp_path, scores_only=True)
    p = portfolio.prepare(tmp_path)
    for name in ("overview", "pai_distribution", "dimension_distributions",
                 "by_industry_stage", "frequent_findings", "over_time"):
        str(getattr(portfolio, name)(p))
    assert len(validating) >= 6


def test_inline_setting_starts_no_helper(monkeypatch):
    monkeypatch.setattr(chart_engine, "_helper", None)
    monkeypatch.setenv("PAOS_CHART_ENGINE", "inline")
    chart_engine.start()
    assert not chart_engine.running()
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)


# What the review of the engine found; each of these once desynchronised or hung it.

def test_a_spec_that_is_not_json_is_refused_and_the_engine_stays_in_step(helper):
    with pytest.raises(TypeError):
        chart_engine.submit({"data": {"values": [{"k": {1, 2}}]}, "mark": "bar"})
    point = {**SPEC, "mark": "point"}
    a, b = chart_engine.submit(SPEC), chart_engine.submit(point)
    assert a.result(timeout=60) == vl_convert.vegalite_to_svg(SPEC)
    assert b.result(timeout=60) == vl_convert.vegalite_to_svg(point)


def test_a_cancelled_chart_does_not_stop_the_others(helper):
    first = chart_engine.submit(SPEC)
    first.cancel()
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)
    assert chart_engine.running()


def test_a_forked_child_draws_its_own_charts():
    # In a fresh process that has drawn through the helper only (a process that ran
    # vl-convert itself cannot fork safely: its engine threads do not survive).
    code = textwrap.dedent("""
        import os
        from paos.deliverables import chart_engine
        spec = %r
        chart_engine.start()
        parent = chart_engine.to_svg(spec)
        pid = os.fork()
        if pid == 0:
            ok = chart_engine._helper is None and chart_engine.to_svg(spec) == parent
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "child"
        assert chart_engine.to_svg(spec) == parent and chart_engine.running(), "parent"
        print("ok")
    """) % (SPEC,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-500:]


def test_a_hung_helper_is_stopped_and_the_chart_drawn_here(monkeypatch):
    chart_engine.start()
    hung = chart_engine._helper
    monkeypatch.setattr(chart_engine, "TIMEOUT", 2.0)
    os.kill(hung.proc.pid, signal.SIGSTOP)
    try:
        t = time.perf_counter()
        svg = charts.svg_of(chart_engine.submit(SPEC))
        assert svg.startswith("<svg") and time.perf_counter() - t < 30
        assert not hung.alive
    finally:
        if hung.proc.poll() is None:
            os.kill(hung.proc.pid, signal.SIGCONT)
    chart_engine.start()
    assert chart_engine.running()


# One warm engine shared by the kernels of a batch worker (PAOS_CHART_ENGINE=unix:...)

@pytest.fixture
def shared(monkeypatch):
    monkeypatch.delenv("PAOS_CHART_ENGINE", raising=False)   # restored afterwards
    monkeypatch.setattr(chart_engine, "_helper", None)
    address = chart_engine.share()
    server = chart_engine._shared
    yield address, server
    chart_engine._stop_shared()
    assert server.poll() is not None


def _client(code: str) -> str:
    """Run `code` in a fresh process, as a kernel launched by the worker would be: with
    the worker's environment plus the shared engine's address."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, check=True,
                          env={**os.environ, **chart_engine.kernel_environment()}
                          ).stdout.strip()


def test_kernels_share_one_warm_engine(shared):
    address, server = shared
    assert address.startswith("unix:") and "PAOS_CHART_ENGINE" not in os.environ
    assert chart_engine.kernel_environment() == {"PAOS_CHART_ENGINE": address}
    code = f"""
        import json
        from paos.deliverables import chart_engine
        chart_engine.start()
        own_process = chart_engine._helper.proc is not None
        svg = chart_engine.to_svg({SPEC!r})
        try:
            chart_engine.to_svg({BAD!r})
        except ValueError:
            bad = "refused"
        print(json.dumps([own_process, svg, bad]))
    """
    import json
    expected = vl_convert.vegalite_to_svg(SPEC)
    for _ in range(2):                                     # one kernel after another
        own_process, svg, bad = json.loads(_client(code))
        assert not own_process and svg == expected and bad == "refused"
    assert server.poll() is None and chart_engine.share() == address   # still the same one


def test_hanging_up_on_the_shared_engine_loses_no_chart(shared):
    chart_engine.start()
    connection = chart_engine._helper
    assert connection.proc is None and connection.sock is not None
    connection.stop()
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)   # drawn here
    chart_engine.start()                                   # the next kernel connects again
    assert chart_engine._helper is not connection and chart_engine._helper.proc is None
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)


def test_an_unreachable_shared_engine_means_a_helper_of_ones_own(monkeypatch, tmp_path):
    monkeypatch.setattr(chart_engine, "_helper", None)
    monkeypatch.setenv("PAOS_CHART_ENGINE", f"unix:{tmp_path / 'gone.sock'}")
    chart_engine.start()
    assert chart_engine.running() and chart_engine._helper.proc is not None
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)


def test_the_shared_engine_ends_with_its_owner():
    # a clean exit stops it and removes its folder; a killed owner closes its stdin,
    # and the engine exits on its own, removing its folder
    code = """
        import os
        from paos.deliverables import chart_engine
        chart_engine.share()
        print(chart_engine._shared.pid, chart_engine._shared_folder, flush=True)
        {end}
    """
    pid, folder = _client(code.format(end="")).split()
    assert not Path(folder).exists()
    assert _exits(int(pid)), "the shared chart engine outlived a clean exit"
    pid, folder = _client(code.format(end="os._exit(0)")).split()
    assert _exits(int(pid)), "the shared chart engine outlived its killed owner"
    assert not Path(folder).exists()          # it tidied up what its owner could not


def test_share_leaves_the_inline_setting_alone(monkeypatch):
    monkeypatch.setenv("PAOS_CHART_ENGINE", "inline")
    monkeypatch.setattr(chart_engine, "_shared", None)
    assert chart_engine.share() == "inline" and chart_engine._shared is None


def test_share_from_many_threads_starts_one_engine(shared):
    address, server = shared
    chart_engine._stop_shared()                    # start afresh, from 4 threads at once
    barrier = threading.Barrier(4)
    seen = []

    def go():
        barrier.wait()
        seen.append(chart_engine.share())
    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and seen[0].startswith("unix:")
    engines = [p for p in Path("/proc").iterdir() if p.name.isdigit()
               and b"--listen" in (p / "cmdline").read_bytes()
               and seen[0][5:].encode() in (p / "cmdline").read_bytes()]
    assert len(engines) == 1


def test_a_kernel_that_dies_with_replies_unread_does_not_trouble_the_engine():
    # closing a socket with unread data resets the connection: the engine's next read
    # fails with ECONNRESET rather than seeing the end of the stream. Run in a process
    # of its own, whose stderr (the engine's too) is captured here.
    code = f"""
        import socket, time
        from paos.deliverables import chart_engine
        address = chart_engine.share()[len("unix:"):]
        spec = {SPEC!r}
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(address)
        conn.sendall(chart_engine._frame({{"spec": spec}}))
        with conn.makefile("rb") as replies:
            assert "svg" in chart_engine._receive(replies)     # the engine is warm
        many = {{**spec, "data": {{"values": [{{"k": f"k{{i}}", "v": i}} for i in range(150)]}}}}
        for _ in range(3):
            conn.sendall(chart_engine._frame({{"spec": many}}))
        time.sleep(2)                                          # the replies wait, unread
        conn.close()
        chart_engine.start()
        print(chart_engine._helper.proc is None, chart_engine.to_svg(spec)[:4])
    """
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120, check=True)
    assert run.stdout.strip() == "True <svg"                    # still serving
    assert "Traceback" not in run.stderr, run.stderr


def test_a_long_temporary_folder_does_not_stop_the_shared_engine(monkeypatch, tmp_path):
    long = tmp_path / ("x" * 60) / ("y" * 60)
    long.mkdir(parents=True)
    monkeypatch.setattr(chart_engine.tempfile, "tempdir", str(long))
    monkeypatch.delenv("PAOS_CHART_ENGINE", raising=False)
    monkeypatch.setattr(chart_engine, "_shared", None)
    try:
        address = chart_engine.share()
        assert address.startswith("unix:/tmp/paos-charts-") and len(address) < 100
        assert _client("""
            from paos.deliverables import chart_engine
            chart_engine.start()
            print(chart_engine._helper.proc is None)
        """) == "True"
    finally:
        chart_engine._stop_shared()
