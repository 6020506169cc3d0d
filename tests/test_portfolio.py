"""The bundled portfolio end to end: store, benchmark, compare, portfolio report,
and the benchmark and progress sections of an engagement deliverable."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation
from typer.testing import CliRunner

from paos.cli import app
from paos.portfolio.batch import run_batch
from paos.portfolio.store import read_store

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
    assert "Progress since the baseline" in html and "Gaps closed" in html
    assert "Benchmark" in html and "Peer group:" in html
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
        assert title in text
    assert re.search(r"Portfolio of \d+ engagements", text)
    deck = [
        s.shapes.title.text_frame.text
        for s in Presentation(str(folder / "portfolio_benchmark.pptx")).slides
    ]
    assert re.fullmatch(r"Portfolio of \d+ engagements", deck[0])
    assert [t for t in deck if t in text] == [t for t in deck if not t.endswith("(continued)")]
    assert len((folder / "portfolio.csv").read_text().splitlines()) == read_store(store).height + 1


def test_portfolio_report_on_empty_store_is_refused(tmp_path):
    result = CliRunner().invoke(
        app, ["portfolio-report", "--store", str(tmp_path / "none"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "no engagement scored under rulebook paos-v1" in result.stderr
    assert not (tmp_path / "r").exists()
