"""The chart engine: vl-convert warmed up on a thread of its own, with the calling
thread as the fallback; and every chart the deliverables draw is valid Vega-Lite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import altair as alt
import jsonschema
import nbformat
import pandas as pd
import pytest
import vl_convert

from paos.deliverables import chart_engine, charts, check_page, report, sections
from paos.deliverables.run import execute_notebook
from paos.method import check
from paos.portfolio import report as portfolio
from paos.portfolio.batch import run_batch

DATA = Path(__file__).parent.parent / "data"
DEMO = DATA / "engagements"
SPEC = {
    "data": {"values": [{"k": "a", "v": 1}, {"k": "b", "v": 3}]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "v", "type": "quantitative"},
        "y": {"field": "k", "type": "nominal"},
    },
}
BAD = {"data": {"values": [{"k": "a"}]}, "mark": "no-such-mark"}


@pytest.fixture
def engine():
    chart_engine.start()
    assert chart_engine.running()
    yield
    # left running for the other tests, as a notebook would


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("paos-chart-engine")]


def test_the_engine_draws_what_vl_convert_draws(engine):
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)


def test_start_twice_keeps_one_engine(engine):
    chart_engine.to_svg(SPEC)
    before = _engine_threads()
    chart_engine.start()
    chart_engine.to_svg(SPEC)
    assert len(before) == 1 and _engine_threads() == before


def test_a_spec_that_fails_is_an_error_for_that_chart_only(engine):
    bad, good = chart_engine.submit(BAD), chart_engine.submit(SPEC)
    with pytest.raises(ValueError) as from_engine:
        chart_engine.result(bad)
    with pytest.raises(ValueError) as here:
        vl_convert.vegalite_to_svg(BAD)
    assert str(from_engine.value) == str(here.value)
    assert chart_engine.result(good) == vl_convert.vegalite_to_svg(SPEC)
    assert chart_engine.running()  # one bad chart does not stop the engine


@pytest.mark.slow  # a few hundred charts through the JavaScript engine
def test_many_charts_in_flight_arrive_in_order(engine):
    d = report.deliverable(DEMO / "northwind-2026-09")
    big = charts.spec(sections.CHARTS["divergence"](d))  # about 60 kB of SVG each
    futures = [chart_engine.submit(SPEC if i % 2 else big) for i in range(40)]
    svgs = [chart_engine.result(f) for f in futures]
    assert svgs[0] == svgs[2] and svgs[1] == svgs[3] and svgs[0] != svgs[1]
    assert svgs[1] == vl_convert.vegalite_to_svg(SPEC)


def test_a_cancelled_chart_does_not_stop_the_others(engine):
    first = chart_engine.submit(SPEC)
    first.cancel()
    assert chart_engine.to_svg(SPEC) == vl_convert.vegalite_to_svg(SPEC)


def test_stop_draws_what_was_sent_and_later_charts_are_drawn_here(engine):
    sent = [chart_engine.submit(SPEC) for _ in range(3)]
    chart_engine.stop()
    assert not chart_engine.running() and not _engine_threads()
    assert [f.result(timeout=0) for f in sent] == [vl_convert.vegalite_to_svg(SPEC)] * 3
    later = chart_engine.submit(SPEC)
    assert later.done() and later.result() == sent[0].result()  # drawn here, now
    with pytest.raises(ValueError):
        chart_engine.to_svg(BAD)
    chart_engine.start()
    assert chart_engine.running() and chart_engine.to_svg(SPEC) == later.result()


def test_inline_setting_starts_nothing(monkeypatch):
    chart_engine.stop()
    monkeypatch.setenv("PAOS_CHART_ENGINE", "inline")
    chart_engine.start()
    assert not chart_engine.running() and not _engine_threads()
    drawing = chart_engine.submit(SPEC)
    assert drawing.done() and drawing.result() == vl_convert.vegalite_to_svg(SPEC)


def _fresh_process(code: str) -> str:
    """Run `code` in a fresh Python process (as a kernel would); its stdout."""
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def test_an_engine_that_takes_no_more_work_loses_no_chart():
    # At interpreter shutdown concurrent.futures refuses new work before atexit
    # handlers run: a chart asked for then is drawn in the calling thread.
    assert (
        _fresh_process(f"""
        import atexit
        from paos.deliverables import chart_engine
        chart_engine.start()
        first = chart_engine.to_svg({SPEC!r})
        atexit.register(lambda: print(chart_engine.to_svg({SPEC!r}) == first))
    """)
        == "True"
    )


def test_the_engine_starts_no_process():
    # Nothing to outlive the kernel, nor for ipykernel to wait for at shutdown (it
    # waits for the children in its process group).
    assert (
        _fresh_process(f"""
        import psutil
        from paos.deliverables import chart_engine
        chart_engine.start()
        chart_engine.to_svg({SPEC!r})
        print(psutil.Process().children(recursive=True))
    """)
        == "[]"
    )


@pytest.mark.slow
def test_a_kernel_that_drew_charts_leaves_no_child_to_wait_for(tmp_path):
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [
        nbformat.v4.new_code_cell(
            textwrap.dedent(f"""
        import psutil
        from paos.deliverables import chart_engine
        chart_engine.start()
        svg = chart_engine.to_svg({SPEC!r})
        print(svg.count("<svg"), psutil.Process().children(recursive=True))
    """)
        )
    ]
    template = tmp_path / "t.ipynb"
    nbformat.write(nb, template)
    execute_notebook(template, tmp_path / "out.ipynb", {}, cwd=tmp_path)
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[-1].outputs[0].text.strip() == "1 []"


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
    charts.spec(broken)  # drawn unvalidated
    with pytest.raises(jsonschema.ValidationError, match="wide"):
        charts.spec(broken, validate=True)


@pytest.mark.parametrize("path", sorted(DEMO.iterdir()), ids=lambda p: p.name)
def test_every_chart_of_the_diagnostic_is_valid_vega_lite(validating, path):
    d = report.deliverable(path)
    sections.draw_charts(d)
    for name in (
        "executive_summary",
        "priority_matrix",
        "roadmap",
        "dimension_pages",
        "divergence",
        "evidence_appendix",
    ):
        page = str(getattr(sections, name)(d))
        chartless = name in ("executive_summary", "priority_matrix", "evidence_appendix")
        shared = name == "roadmap" and 'class="page roadmap shared"' in page  # a short roadmap
        assert "<svg" in page or chartless or shared
    assert len(validating) == len(sections.CHARTS) == 4  # each drawn once


def test_sections_draw_their_chart_when_not_sent_ahead(validating):
    d = report.deliverable(DEMO / "northwind-2026-09")
    assert "<svg" in str(sections.divergence(d))
    assert len(validating) == 1 and set(d.drawings) == {"divergence"}


@pytest.mark.slow  # every chart of the check and the portfolio validated by the engine
def test_check_and_portfolio_charts_are_valid_vega_lite(validating, tmp_path):
    assert "<svg" in str(
        check_page.architecture_check(check.assess(DATA / "checks" / "globex-2026-11.yaml"))
    )
    run_batch(DATA / "portfolio" / "engagements", store=tmp_path, scores_only=True)
    p = portfolio.collect(tmp_path)
    for name in portfolio.PAGES:
        str(getattr(portfolio, name)(p))
    assert len(validating) >= 6
