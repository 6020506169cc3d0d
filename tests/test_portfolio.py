"""The bundled portfolio end to end: store, benchmark, compare, portfolio report,
and the benchmark and progress sections of an engagement deliverable."""

from __future__ import annotations

import json
import re
import subprocess
from html import unescape as html_unescape
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from pptx import Presentation
from typer.testing import CliRunner

from paos import load_rulebook
from paos.cli import app
from paos.deliverables import charts as charts_engagement
from paos.deliverables.charts import spec
from paos.method.store import read_store
from paos.portfolio import charts as pcharts
from paos.portfolio import figures
from paos.portfolio import report as portfolio
from paos.portfolio.batch import run_batch

PORTFOLIO = Path(__file__).parent.parent / "data" / "portfolio" / "engagements"
FOLLOW_UP = PORTFOLIO / "cloudmere-2025-03"
BASELINE = PORTFOLIO / "cloudmere-2024-05"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("store")
    outcomes = run_batch(PORTFOLIO, store=path, scores_only=True)
    assert {o.status for o in outcomes} == {"done"}
    return path


def test_portfolio_is_large_and_varied(store):
    runs = read_store(store)
    assert runs.height >= 60
    assert runs["industry"].n_unique() >= 5 and runs["stage"].n_unique() == 4
    assert runs.filter(runs["baseline"].is_not_null()).height >= 5


def test_store_is_readable_with_duckdb_without_paos(store):
    import duckdb

    rows = duckdb.sql(
        f"select count(*), min(pai), max(pai) from read_parquet('{store}/*/*.parquet')"
    ).fetchall()[0]
    assert rows[0] >= 60 and 1 <= rows[1] < rows[2] <= 4


def test_benchmark_cli_json(store):
    result = CliRunner().invoke(app, ["benchmark", str(FOLLOW_UP), "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    b = json.loads(result.stdout)
    assert b["status"] == "ok" and b["peer_group"]["size"] >= 5
    assert 0 <= b["pai"]["percentile"] <= 100
    assert [d["id"] for d in b["dimensions"]] == ["FIT", "REC", "ONB", "ECO", "PERF", "ORG"]
    clients = {r["client"] for r in read_store(store).iter_rows(named=True)}
    assert not [c for c in clients if c in result.stdout]


def test_compare_cli(store):
    result = CliRunner().invoke(app, ["compare", str(BASELINE), str(FOLLOW_UP)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Progress cloudmere-2024-05 -> cloudmere-2025-03")
    c = json.loads(
        CliRunner().invoke(app, ["compare", str(BASELINE), str(FOLLOW_UP), "--json"]).stdout
    )
    assert c["pai"]["delta"] > 0 and c["gaps_closed"] and c["gaps_persisting"]
    wrong = CliRunner().invoke(app, ["compare", str(FOLLOW_UP), str(BASELINE)])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output


@pytest.mark.slow
def test_deliverable_gains_benchmark_and_progress_sections(store, tmp_path):
    before = len(list(store.glob("*/*.parquet")))
    result = CliRunner().invoke(
        app, ["run", str(FOLLOW_UP), "--out", str(tmp_path), "--store", str(store), "--force"]
    )
    assert result.exit_code == 0, result.output
    assert len(list(store.glob("*/*.parquet"))) == before  # same evidence: same run file
    assert list(store.glob("cloudmere-2025-03/*.parquet"))
    html = (tmp_path / "cloudmere-2025-03" / "executive_summary.html").read_text()
    assert 'data-page="progress"' in html and "Closed (" in html
    assert 'data-page="benchmark"' in html and ("Peers:" in html or "Too few peers" in html)
    clients = {
        r["client"]
        for r in read_store(store).iter_rows(named=True)
        if not r["engagement_id"].startswith("cloudmere")
    }
    assert not [c for c in clients if c in html]
    others = [
        r["engagement_id"]
        for r in read_store(store).iter_rows(named=True)
        if not r["engagement_id"].startswith("cloudmere")
    ]
    assert not [e for e in others if e in html]


@pytest.mark.slow
def test_portfolio_report(store, tmp_path):
    result = CliRunner().invoke(
        app, ["portfolio-report", "--store", str(store), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "portfolio-paos-v1"
    pdf = folder / "portfolio_benchmark.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for title in (
        "PAI distribution",
        "Dimension distributions",
        "PAI by industry and stage",
        "Most frequent gaps and divergences",
        "PAI over time",
    ):
        assert title.lower() in text.lower()  # the topic, above each page's action title
    assert re.search(r"Portfolio of \d+ engagements", text)
    deck = [
        s.shapes.title.text_frame.text
        for s in Presentation(str(folder / "portfolio_benchmark.pptx")).slides
    ]
    p = portfolio.collect(store)
    assert deck[0] == figures.overview_title(p, figures.headline(p))  # the action title
    flat = " ".join(text.split())  # a title wraps over PDF lines
    shown = [t for t in deck if " ".join(t.split()) in flat]
    assert shown == [t for t in deck if not t.endswith("(continued)")]
    assert len((folder / "portfolio.csv").read_text().splitlines()) == read_store(store).height + 1


def test_portfolio_report_on_empty_store_is_refused(tmp_path):
    result = CliRunner().invoke(
        app, ["portfolio-report", "--store", str(tmp_path / "none"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "no engagement scored under rulebook paos-v1" in result.stderr
    assert not (tmp_path / "r").exists()


# --- the report's pages follow the deck rules (issue 17 item 10, issue 16 item 11) ---


def _pages(p) -> dict[str, str]:
    return {name: str(getattr(portfolio, name)(p)) for name in portfolio.PAGES}


def _titles(pages: dict[str, str]) -> list[str]:
    return [
        html_unescape(re.sub(r"<[^>]+>", "", t))
        for html in pages.values()
        for t in re.findall(r'<h2 class="action-title">(.*?)</h2>', html)
    ]


def test_every_page_has_an_action_title_by_rule(store):
    p = portfolio.collect(store, run_date="2026-12-04")
    titles = _titles(_pages(p))
    assert len(titles) == len(portfolio.PAGES)
    assert len(set(titles)) == len(titles)  # none repeated
    for t in titles:
        assert len(t.split()) >= 6, t  # a sentence, not a topic
        assert "(s)" not in t and not re.search(r"\b1 (engagements|clients|gaps)\b", t), t
        assert not re.search(r"\b(FIT|REC|ONB|ECO|PERF|ORG)(-\d+)?\b", t), t  # names
    assert titles[0] == (
        "Across 64 engagements of 56 clients, the median PAI is 2.5 and the median "
        "engagement has 16 gaps"
    )
    assert "Median PAI by industry ranges from" in titles[3]


def _with_clients(p, names: list[str]):
    """The portfolio with its runs' clients replaced, cycling through `names`."""
    clients = [names[i % len(names)] for i in range(p.runs.height)]
    return portfolio.Portfolio(p.runs.with_columns(client=pl.Series(clients)), p.rulebook, "x")


def test_no_aggregate_from_fewer_distinct_clients_than_the_minimum(store):
    p = portfolio.collect(store, run_date="2026-12-04")
    k = p.rulebook["benchmark_min_peers"]
    cells = figures.median_cells(p, portfolio.stage_order(p, list(p.runs["stage"])))
    assert (
        cells.filter(pl.col("clients") < k)["median"].null_count()
        == cells.filter(pl.col("clients") < k).height
    )
    assert cells.filter(pl.col("clients") >= k)["median"].null_count() == 0
    q = figures.quarters(p)
    assert q.filter(pl.col("clients") < k)["median"].is_null().all()
    # 64 engagements of 4 clients (one written five ways): every aggregate is withheld
    few = _with_clients(
        p, ["Acme", " acme ", "ACME GmbH.", "Acme\u00a0 GmbH", "Beta", "Gamma", "Delta"]
    )
    assert figures.clients(few.runs) == 4
    assert figures.headline(few)["median_pai"] is None
    assert figures.median_cells(few, ["startup"])["median"].is_null().all()
    assert figures.quarters(few)["median"].is_null().all()
    assert figures.dimension_stats(few, portfolio.dimension_scores(few))["median"].is_null().all()
    pages = _pages(few)
    text = " ".join(pages.values())
    assert "n &lt; 5 clients" in text
    for t in _titles(pages):
        assert t.startswith(("Across 64 engagements of 4 clients, too few", "Too few")), t
    # a run without a client name counts for no client
    nameless = _with_clients(p, [""])
    assert figures.clients(nameless.runs) == 0


def test_portfolio_charts_are_colour_blind_safe_and_neutral(store):
    p = portfolio.collect(store, run_date="2026-12-04")
    pages = _pages(p)
    svgs = " ".join(pages.values()).lower()
    for red in (*charts_engagement.SEVERITY_RAMP, "#a50026", "#006837"):  # redyellowgreen ends
        assert red not in svgs, red
    cells = pd.DataFrame(
        [{"row": "a", "col": "b", "median": 2.5, "label": "2.5 (n=6)"}], columns=None
    )
    heat = spec(pcharts.median_heatmap(cells, ["a"], ["b"], (1, 4)), validate=True)
    schemes = json.dumps(heat)
    assert '"scheme": "cividis"' in schemes and "redyellowgreen" not in schemes
    assert re.search(r"--c: " + pcharts.NAVY, pages["overview"])  # neutral tiles


def test_values_on_bars_and_n_on_every_aggregate(store):
    p = portfolio.collect(store, run_date="2026-12-04")
    pages = _pages(p)
    freq = portfolio.gap_frequency(p).head(10)
    for r in freq.iter_rows(named=True):
        assert f"{r['share']:.0%} (n={r['gaps']})" in pages["frequent_findings"]
    _, totals = figures.pai_bins(p, portfolio.stage_order(p, list(p.runs["stage"])))
    svg = pages["pai_distribution"]
    assert all(f">{n}</text>" in svg for n in totals["n"])
    q = figures.quarters(p)
    for r in q.filter(pl.col("median").is_not_null()).iter_rows(named=True):
        assert f">n={r['n']}</text>" in pages["over_time"]
    assert pages["over_time"].count(">n &lt; 5 clients</text>") == q["median"].null_count()
    heat = pages["by_industry_stage"]
    cells = figures.median_cells(p, portfolio.stage_order(p, list(p.runs["stage"])))
    assert len(re.findall(r"\(n=\d+\)</text>", heat)) == cells["median"].is_not_null().sum()
    for r in figures.dimension_stats(p, portfolio.dimension_scores(p)).iter_rows(named=True):
        assert f"{r['name']} (n={r['n']})" in html_unescape(pages["dimension_distributions"])


def test_captions_describe_the_marks_drawn(store):
    p = portfolio.collect(store, run_date="2026-12-04")
    page = str(portfolio.dimension_distributions(p))
    assert "dashed" not in page.lower()  # no dash is drawn
    assert "orange ticks: the thresholds" in page
    stats = figures.dimension_stats(p, portfolio.dimension_scores(p)).to_pandas()
    stats["label"], stats["value"], stats["note"] = stats["name"], "", ""
    ticks = pd.DataFrame([{"label": stats["label"][0], "t": 2.75}])
    layers = spec(pcharts.dimension_boxes(stats, ticks, (1, 4)), validate=True)["layer"]
    tick_layers = [x for x in layers if x["mark"]["type"] == "tick"]
    assert all("strokeDash" not in x["mark"] for x in tick_layers)
    colours = json.dumps(layers)
    assert pcharts.OKABE_ITO[0] in colours  # the orange of the caption


@pytest.mark.slow
def test_portfolio_report_pages_carry_footer_and_no_hash(store, tmp_path):
    result = CliRunner().invoke(
        app, ["portfolio-report", "--store", str(store), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "portfolio-paos-v1"
    pdf = folder / "portfolio_benchmark.pdf"
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout,
        )[1]
    )
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for n in range(1, pages + 1):
        assert re.search(rf"\b{n}\s*/\s*{pages}\b", text)
    assert text.count("Confidential") == pages
    sha = load_rulebook().sha256
    assert sha not in text and "sha256" not in text
    assert f'content="{sha}"' in (folder / "portfolio_benchmark.html").read_text()


def test_portfolio_pages_are_templates_fed_by_one_data_object(store):
    from paos.deliverables.sections import PAGE_MIME

    p = portfolio.collect(store, run_date="2026-12-04")
    for name in portfolio.PAGES:
        page = getattr(portfolio, name)(p)
        data = page._repr_mimebundle_()[PAGE_MIME]["data"]  # the notebook displays it too
        assert data["page"]["title"] in html_unescape(page.html)
    source = Path(portfolio.__file__).read_text()
    assert not re.search(r"<(section|div|table|tr|td|span|h\d)\b", source)  # HTML in templates
    assert "esc(" not in source


def test_industries_and_stages_are_named_not_coded(store):
    p = portfolio.collect(store, run_date="2026-12-04")
    page = portfolio.by_industry_stage(p)
    assert ">SaaS</text>" in page.html and ">saas</text>" not in page.html
    assert ">IT-services</text>" in page.html
