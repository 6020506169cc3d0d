"""Library first (issue 21 item 4): every command is one typed function of `paos`,
raising only the `PaosError` family and printing nothing; the CLI uses no other name
of paos; `import paos` stays cheap; `paos batch` counts on a rich progress."""

from __future__ import annotations

import ast
import inspect
import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.main import get_command
from typer.testing import CliRunner

import paos
from paos.cli import app
from tests.test_batch import _portfolio

ROOT = Path(__file__).resolve().parent.parent
CLI = sorted((ROOT / "paos" / "cli").glob("*.py"))

# each command of `paos --help` and the function of `paos` it is a few lines over
COMMANDS = {
    "validate": "validate",
    "score": "diagnose",
    "new": "new_engagement",
    "notebook": "notebook",
    "questionnaire": "questionnaire",
    "import": "import_survey",
    "run": "run",
    "check": "check",
    "batch": "batch",
    "benchmark": "benchmark",
    "compare": "compare",
    "portfolio-report": "portfolio_report",
    "rulebook show": "methodology_card",
    "rulebook new": "new_rulebook",
    "rulebook check": "check_rulebook",
}


def _commands(group, prefix: str = "") -> set[str]:
    found = set()
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found.add(prefix + name)
    return found


def test_every_command_is_one_documented_typed_function_of_paos():
    assert _commands(get_command(app)) == set(COMMANDS)
    for name in COMMANDS.values():
        func = getattr(paos, name)
        assert name in paos.__all__ and func.__module__ == "paos.api", name
        assert inspect.getdoc(func), name
        signature = inspect.signature(func)
        assert signature.return_annotation is not inspect.Signature.empty, name
        for p in signature.parameters.values():
            assert p.annotation is not inspect.Parameter.empty, (name, p.name)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = ("." * node.level) + (node.module or "")
            found.append((module, [a.name for a in node.names]))
    return found


@pytest.mark.parametrize("path", CLI, ids=lambda p: p.name)
def test_the_cli_uses_only_the_public_names_of_paos(path):
    for module, names in _imports(path):
        if module == "paos":  # and the set-up of the process the CLI owns (_startup)
            assert set(names) - {"_startup"} <= set(paos.__all__), (path.name, names)
        elif module.startswith("paos.") or module.startswith("."):
            assert module.startswith("paos.cli"), f"{path.name} imports {module}"
    tree = ast.parse(path.read_text())
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "paos"
    }
    assert used <= set(paos.__all__), sorted(used - set(paos.__all__))


def test_the_cli_is_small_modules():
    assert not (ROOT / "paos" / "cli.py").exists()
    for path in CLI:
        assert len(path.read_text().splitlines()) < 600, path.name


def test_import_paos_loads_nothing_until_a_name_is_used():
    code = (
        "import sys, paos\n"
        "print(sorted(m for m in sys.modules if m.startswith(('paos', 'polars', 'typing'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT)},
    ).stdout
    assert out.strip() == "['paos', 'paos._version']"
    assert all(getattr(paos, name) is not None for name in paos.__all__)


def test_a_fault_of_the_environment_is_a_fault_error_naming_the_path(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(paos.FaultError) as err:  # was a FileExistsError's traceback
        paos.questionnaire(out=tmp_path / "afile" / "q.html")
    assert err.value.exit_code == 1
    (line,) = err.value.lines()
    assert line.startswith(f"{tmp_path / 'afile'}: ")


def test_bad_input_is_a_paos_error_with_exit_status_2(tmp_path):
    with pytest.raises(paos.PaosError) as err:
        paos.validate(tmp_path / "missing")
    assert err.value.exit_code == 2 and len(err.value.lines()) == 1


def test_the_library_prints_nothing_and_batch_counts_on_a_rich_progress(tmp_path, capfd):
    root = _portfolio(tmp_path / "p")  # three good engagements, four refused (two share an id)
    result = paos.batch(root, store=tmp_path / "s", scores_only=True)
    assert capfd.readouterr() == ("", "")
    assert [o.status for o in result.outcomes].count("failed") == 4
    assert result.summary() == "7 engagements: 3 done, 0 skipped (unchanged), 4 failed"

    shown = io.StringIO()
    with Progress(console=Console(file=shown)) as bar:
        again = paos.batch(root, store=tmp_path / "s", scores_only=True, progress=bar)
    (task,) = bar.tasks
    assert (task.description, task.completed, task.total) == ("scoring", 7, 7)
    assert task.fields["failed"] == 4 and task.fields["current"] in {p.name for p in root.iterdir()}
    assert again.summary() == "7 engagements: 0 done, 3 skipped (unchanged), 4 failed"


def test_a_batch_off_a_terminal_shows_plain_lines_with_counts_and_time(tmp_path):
    root = _portfolio(tmp_path / "p")
    result = CliRunner().invoke(
        app, ["batch", str(root), "--scores-only", "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 1  # four refused engagements
    assert result.stdout.startswith("7 engagements: 3 done, 0 skipped (unchanged), 4 failed")
    lines = result.stderr.splitlines()
    assert lines[0].startswith("scoring [####..") and " 1/7, " in lines[0]
    assert lines[-1].startswith("scoring [" + "#" * 28 + "] 7/7, ")
    assert " elapsed  " in lines[-1] and "\x1b" not in result.stderr
