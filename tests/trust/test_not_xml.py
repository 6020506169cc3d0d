"""Trust: text that XML cannot hold (U+FFFE, U+FFFF, control characters) is refused
where it comes in (evidence of every format, returned action plans), and a results
store written before that still renders (issue 19 item 5)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from paos import EvidenceError, load_evidence
from paos.base.workbook import workbook_sheets
from paos.method.store import read_store, store_rows, write_runs
from tests.builders import RATINGS, write_engagement

ROOT = Path(__file__).resolve().parents[2]
XLS = ROOT / "tests" / "fixtures" / "workbooks" / "harbor-2026-11.xls"
DEMO = ROOT / "data" / "engagements"


def xls_with_industry(path: Path, industry: str) -> Path:
    """harbor-2026-11.xls with its industry (18 one-byte characters in the shared
    string table) replaced by 9 UTF-16 characters: the same byte count, so no record
    or stream changes size."""
    data = bytearray(XLS.read_bytes())
    at = data.index(b"logistics-software")
    assert data[at - 3 : at] == bytes([18, 0, 0]) and len(industry) == 9
    data[at - 3 : at + 18] = bytes([9, 0, 1]) + industry.encode("utf-16-le")
    path.write_bytes(bytes(data))
    return path


def test_an_xls_industry_holding_u_fffe_is_refused(tmp_path):
    path = xls_with_industry(tmp_path / "harbor.xls", "logis\ufffetic")
    assert dict(workbook_sheets(path))["engagement"][4] == ["industry", "logis\ufffetic"]
    with pytest.raises(EvidenceError) as info:
        load_evidence([path])
    assert info.value.lines() == [
        f"{path} (sheet engagement) line 5, column industry: 'logis\\ufffetic' holds a "
        "character that XML cannot hold (\\ufffe at position 6); remove it"
    ]


@pytest.mark.parametrize("char", ["\ufffe", "\uffff"])
def test_a_csv_quote_holding_a_noncharacter_is_refused(tmp_path, char):
    ratings = [*RATINGS[:-1], [*RATINGS[-1][:3], f"No idea{char}", "survey"]]
    folder = write_engagement(tmp_path / "e", ratings=ratings)
    with pytest.raises(EvidenceError) as info:
        load_evidence([folder])
    (line,) = info.value.lines()
    assert "ratings.csv line 4, column evidence" in line
    assert f"holds a character that XML cannot hold (\\u{ord(char):04x} at position 8)" in line


def _store_with_industry(store: Path, industry: str) -> None:
    """A store as a paos before this fix wrote it: one engagement's industry holding
    what intake now refuses."""
    from paos.method.diagnostic import score_evidence

    ev = load_evidence([DEMO / "northwind-2026-09", DEMO / "meridian-2026-06"])
    rows = store_rows(score_evidence(ev, None))
    meridian = pl.col("engagement_id") == "meridian-2026-06"
    rows = rows.with_columns(
        industry=pl.when(meridian).then(pl.lit(industry)).otherwise(pl.col("industry"))
    )
    write_runs(rows, store)


def test_a_store_written_before_shows_such_text_as_a_replacement_character(tmp_path):
    _store_with_industry(tmp_path / "store", "logis\ufffetic\x1b[2J")
    industries = dict(read_store(tmp_path / "store").select("engagement_id", "industry").rows())
    assert industries["meridian-2026-06"] == "logis\ufffdtic\ufffd[2J"


@pytest.mark.slow
def test_the_portfolio_report_of_such_a_store_renders(tmp_path):
    from paos.portfolio.publish import run_portfolio_report

    _store_with_industry(tmp_path / "store", "logis\ufffetic")
    result = run_portfolio_report(tmp_path / "store", tmp_path / "out", progress=None)
    assert (result.folder / "portfolio_benchmark.pdf").stat().st_size > 0
    # named as the report names an industry (a capital first, `shown_name`)
    assert "Logis\ufffdtic" in (result.folder / "portfolio_benchmark.html").read_text()
