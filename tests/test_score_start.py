"""What `paos score` imports: its start-up is measured against importing polars,
pandera and yaml alone (bench/bench_score_start.py, issue 22); this keeps the heavy
libraries of the other commands off its path, without timing anything."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
PORTFOLIO = ROOT / "data" / "portfolio" / "engagements"

# Libraries the deliverables, workbooks, notebooks, batch workers and Dask use; none
# is needed to score. (pandera imports hypothesis on its first validation when it is
# installed, as in the dev extra: pandera's own lazy import, not paos's.)
HEAVY = {
    "altair",
    "jsonschema",
    "openpyxl",
    "python_calamine",
    "olefile",
    "rich",
    "jinja2",
    "markdown_it",
    "nbformat",
    "nbconvert",
    "papermill",
    "jupyter_client",
    "ipykernel",
    "IPython",
    "zmq",
    "tornado",
    "vl_convert",
    "playwright",
    "pptx",
    "psutil",
    "duckdb",
    "dask",
    "distributed",
    "matplotlib",
    "scipy",
}
# `paos --help`'s commands, in order
COMMANDS = ["validate", "score", "new", "notebook", "questionnaire", "import", "run", "check"]
COMMANDS += ["batch", "benchmark", "compare", "portfolio-report"]
SCORING = {"polars", "pandera", "pandas", "numpy", "pyarrow", "yaml"}


def _imported(code: str) -> set[str]:
    """The top-level packages in sys.modules after `code` ran in a fresh process."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}\nimport json, sys\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_paos_score_imports_no_library_of_the_other_commands():
    code = (
        "import contextlib, io, sys\n"
        f"sys.argv = ['paos', 'score', {str(DEMO)!r}]\n"
        "from paos.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        app()\n"
        "    except SystemExit as end:\n"
        "        assert not end.code, end.code\n"
        "assert 'PAI' in out.getvalue(), out.getvalue()\n"
    )
    found = _imported(code)
    assert {"polars", "pandera", "yaml", "paos"} <= found  # it did score
    assert found & HEAVY == set()


def test_the_cli_module_imports_no_data_library():
    """`paos --help` and every command's start: the data libraries come with the
    command that uses them."""
    found = _imported("import paos.cli")
    assert found & (HEAVY | SCORING) == set()


def test_scores_only_imports_no_library_of_the_deliverables(tmp_path):
    """`paos batch --scores-only` over the bundled portfolio (the folders the
    1,000-folder goal copies; CSV, so no workbook reader either) scores without them."""
    code = (
        "import contextlib, io, sys\n"
        f"sys.argv = ['paos', 'batch', {str(PORTFOLIO)!r}, '--scores-only', "
        f"'--store', {str(tmp_path / 'store')!r}]\n"
        "from paos.cli import app\n"
        "with contextlib.redirect_stderr(io.StringIO()) as err:\n"
        "    try:\n"
        "        app()\n"
        "    except SystemExit as end:\n"
        "        assert not end.code, (end.code, err.getvalue())\n"
    )
    found = _imported(code)
    assert list((tmp_path / "store").rglob("*.parquet"))  # it did score and write
    assert found & (HEAVY - {"rich"}) == set()  # rich draws the batch's progress


def test_paos_score_builds_only_the_command_called(monkeypatch):
    """typer reads a command's parameters from its signature when it builds it (about
    1 ms each): `paos score` builds its own command and the app's callback, not the
    other 14; `paos --help` still lists every command with its help line."""
    import typer.main
    from typer.testing import CliRunner

    from paos.cli import app

    read: list[str] = []
    real = typer.main.get_params_from_function

    def spy(func):
        read.append(func.__name__)
        return real(func)

    monkeypatch.setattr(typer.main, "get_params_from_function", spy)
    result = CliRunner().invoke(app, ["score", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "PAI" in result.output
    assert set(read) == {"_signals", "score"}

    read.clear()
    shown = CliRunner().invoke(app, ["--help"]).output
    listed = re.findall(r"^\S ([a-z][a-z-]*) ", shown, flags=re.M)
    assert listed == [*COMMANDS, "rulebook"]  # as registered, the sub-app last
    assert "Score an engagement: PAI, dimensions" in shown
    assert "Rulebooks: show one as a methodology card" in shown


@pytest.fixture
def engines_used(monkeypatch) -> list[str]:
    """The names of the polars engines that collect queries from now on, in order (no
    engine chosen through the environment)."""
    from polars.lazyframe import engine as engines

    monkeypatch.delenv("POLARS_ENGINE_AFFINITY", raising=False)
    seen: list[str] = []
    real = engines._LocalEngine.collect

    def spy(self, lf, **kwargs):
        seen.append(self.name)
        return real(self, lf, **kwargs)

    monkeypatch.setattr(engines._LocalEngine, "collect", spy)
    return seen


def test_the_cli_runs_polars_queries_in_memory_and_then_restores_the_default(engines_used):
    """pandera's polars backend collects a query per column check; on polars' default
    engine each costs four times the in-memory one. The command's queries run in
    memory (but those that name an engine); the default is back after it."""
    import polars as pl
    from typer.testing import CliRunner

    from paos.cli import app

    seen = engines_used
    result = CliRunner().invoke(app, ["score", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "in-memory" in seen and "auto" not in seen, sorted(set(seen))
    assert "POLARS_ENGINE_AFFINITY" not in os.environ  # nothing for a child process
    pl.LazyFrame({"a": [1]}).collect()
    assert seen[-1] == "auto"


@pytest.mark.parametrize("ending", ["done", "bad evidence", "interrupted", "a bug"])
def test_a_program_running_the_cli_in_process_keeps_its_own_polars_engine(
    monkeypatch, tmp_path, ending, engines_used
):
    """A program that runs the CLI in its own process and chose polars' engine (an
    engine object, which polars keeps in the process) has that same engine back after
    the command, however the command ends: done, refused, interrupted, or a bug."""
    import polars as pl
    from typer.testing import CliRunner

    import paos
    from paos.cli import app

    seen = engines_used

    def stop(*args, **kwargs):
        raise {"interrupted": KeyboardInterrupt, "a bug": RuntimeError}[ending]()

    if ending in ("interrupted", "a bug"):
        monkeypatch.setattr(paos, "diagnose", stop)
    target = tmp_path / "missing" if ending == "bad evidence" else DEMO
    status = {"done": 0, "bad evidence": 2, "interrupted": 130, "a bug": 1}[ending]
    mine = pl.StreamingEngine()
    pl.Config.set_engine_affinity(mine)
    try:
        result = CliRunner().invoke(app, ["score", str(target)])
        assert result.exit_code == status, result.output
        if ending == "done":
            assert "in-memory" in seen, sorted(set(seen))
        seen.clear()
        pl.LazyFrame({"a": [1]}).collect()
        assert seen == ["streaming"]
        assert pl.Config.state(env_only=True).get("POLARS_ENGINE_AFFINITY") is None
    finally:
        pl.Config.set_engine_affinity(None)
