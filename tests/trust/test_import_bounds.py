"""Bounded work in `paos import` (docs/trust.md, "Bounded work"): an export too
large for the evidence it would make is refused before anything is written, in
memory linear in its size, tested under an address-space limit."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paos.cli import app
from paos.errors import EvidenceError
from paos.evidence.surveys import bounds, import_export
from tests.test_survey_routes import RB, files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def eng(blank_engagement) -> Path:
    return blank_engagement  # as `paos new` makes it: no client, no date


# --- exports too large for the evidence they would make ----------------------------


def google_forms_export(path: Path, size: int, answers: str = "3") -> int:
    """A Google Forms export of about `size` bytes: every response rates every signal
    (`answers`), comments blank. Returns the number of responses."""
    dims = {d.id: d.name for d in RB.dimensions}
    head = ["Timestamp", "Email Address", "What is your role?"]
    for s in RB.signals:
        head += [f"{dims[s.dimension]} [{s.question}]", f"Why? {s.question}"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(head)
    row = "2026/03/01 9:33:09,,CEO," + ",".join([f"{answers},"] * len(RB.signals)) + "\r\n"
    count = (size - len(buf.getvalue())) // len(row)
    path.write_text(buf.getvalue() + row * count, encoding="utf-8")
    return count


def test_an_export_giving_more_ratings_than_validation_reads_is_refused(eng, tmp_path):
    """7 MB, 1.7 million ratings: refused in one line before anything is written (it
    used to write a ratings.csv that `paos validate` then refused)."""
    export = tmp_path / "responses.csv"
    count = google_forms_export(export, 7_000_000)
    assert count * len(RB.signals) > 1_500_000
    before = files(eng)
    r = CliRunner().invoke(app, ["import", str(export), "--into", str(eng)])
    assert r.exit_code == 2
    limit = bounds.MAX_ROWS - 1
    line = limit // len(RB.signals) + 2  # the response that passes the limit
    assert r.output == (
        f"{export} line {line}: holds more ratings and comments than ratings.csv may "
        f"(at most {limit} rows, which paos validate reads; passed at this line); nothing "
        "was written. One engagement's survey is far smaller: check that this is the "
        "right export, or split its responses between engagements\n"
    )
    assert files(eng) == before


def test_appending_past_the_limits_validation_reads_is_refused(eng, tmp_path, monkeypatch):
    """With --append, the rows already there count too; and so does the file's size."""
    export = tmp_path / "responses.csv"
    assert google_forms_export(export, 6_000) > 5  # a few responses
    import_export(export, eng)
    before = files(eng)
    rows = len((eng / "ratings.csv").read_text().splitlines()) - 1
    export = tmp_path / "second.csv"  # other respondents: other answers
    google_forms_export(export, 6_000, answers="2")
    monkeypatch.setattr(bounds, "ROWS", rows + 5)  # room for less than one more response
    with pytest.raises(EvidenceError) as info:
        import_export(export, eng, append=True, prefix="more")
    assert info.value.lines() == [
        f"{eng / 'ratings.csv'}: would hold {2 * rows} rows with this import, more than "
        f"the {rows + 5} paos validate reads; nothing was written. One engagement's survey "
        "is far smaller: check that this is the right export, or split its responses "
        "between engagements"
    ]
    monkeypatch.setattr(bounds, "ROWS", 10 * rows)
    monkeypatch.setattr(bounds, "MAX_TABLE_BYTES", len(before["ratings.csv"]) + 10)
    with pytest.raises(EvidenceError) as info:
        import_export(export, eng, append=True, prefix="more")
    [line] = info.value.lines()
    assert line.startswith(f"{eng / 'ratings.csv'}: would be ")
    assert f"bytes with this import, more than the {len(before['ratings.csv']) + 10} " in line
    assert files(eng) == before


def _vm_peak(code: str) -> int:
    """The peak address space (bytes) of a Python running `code`, as the kernel counts it."""
    out = subprocess.run(
        [sys.executable, "-c", code + "\nprint(open('/proc/self/status').read())"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    ).stdout
    [kb] = re.findall(r"^VmPeak:\s+(\d+) kB", out, re.M)
    return int(kb) * 1024


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    env.pop("PYTHONSTARTUP", None)
    return env


@pytest.mark.slow  # a 64 MiB export read under prlimit in a process
@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs util-linux prlimit")
def test_a_64_mib_export_is_refused_in_bounded_memory(eng, tmp_path):
    """The 64 MiB export with 900,000 responses (it used to take 5.4 GB and end in a
    MemoryError traceback) is refused in one line within the stated bound: its bytes
    and text, the ratings up to the limit, 128 MiB besides, over what paos itself
    takes to start (measured here, as it varies between machines)."""
    export = tmp_path / "responses.csv"
    size = 64 * 2**20 - 4096
    assert google_forms_export(export, size) > 600_000
    base = _vm_peak("import paos.cli, paos.evidence.surveys, polars")
    limit = base + 2 * size + 128 * 2**20
    before = files(eng)
    r = subprocess.run(
        ["prlimit", f"--as={limit}", "--", sys.executable, "-m", "paos", "import"]
        + [str(export), "--into", str(eng)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert r.returncode == 2, r.stderr[-2000:]
    [line] = (r.stdout + r.stderr).splitlines()
    assert line.startswith(f"{export} line ") and "more ratings and comments" in line
    assert files(eng) == before
