"""Faults a review found at the command line's edges: a result that cannot be
written to standard output, and a number of parallel jobs that is no number of
workers. Each is one line and its exit status, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paos.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["validate"], ["score", "--json"]])
def test_a_full_disk_on_stdout_is_one_line_and_exit_1(command):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "paos", *command, str(DEMO)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "standard output" in lines[0] and "No space" in lines[0]


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_jobs_below_one_is_refused_before_anything_is_made(tmp_path, jobs):
    out, store = tmp_path / "out", tmp_path / "store"
    result = CliRunner().invoke(
        app,
        [
            "batch",
            str(ROOT / "data" / "portfolio" / "engagements"),
            "--jobs",
            jobs,
            "--out",
            str(out),
            "--store",
            str(store),
        ],
    )
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"--jobs must be a whole number of at least 1, not {jobs}"
    assert not out.exists() and not store.exists()
