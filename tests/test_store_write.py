"""`write_runs`: one Parquet file per row, written by a few threads (issue 22,
scores-only over 1,000 folders): each row in its own file, the paths in row order, and
a failed write raises with nothing of the batch's staging left behind."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from paos.method import store
from paos.method.diagnostic import diagnose
from paos.method.store import store_rows, write_runs

PORTFOLIO = Path(__file__).resolve().parent.parent / "data" / "portfolio" / "engagements"


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    return store_rows(diagnose(sorted(p for p in PORTFOLIO.iterdir() if p.is_dir())[:6]))


def test_each_row_is_its_file_in_row_order(rows, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "_QUEUED", 2)  # the bound on waiting files comes into play
    paths = write_runs(rows, tmp_path)
    assert [p.parent.name for p in paths] == rows["engagement_id"].to_list()
    for i, path in enumerate(paths):
        assert pl.read_parquet(path).equals(rows.slice(i, 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(rows["engagement_id"])


def test_a_failed_write_raises_and_leaves_no_staging(rows, tmp_path):
    blocked = rows["engagement_id"][3]
    (tmp_path / blocked).write_text("not a folder")  # its run file cannot be made
    with pytest.raises(OSError):
        write_runs(rows, tmp_path)
    assert (tmp_path / blocked).read_text() == "not a folder"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".staging")]
