"""docs/api.md cannot rot: every python block in it runs, as it is, in a folder
holding a copy of the repository's data/ (a block starting `# slow` is marked slow:
it runs a notebook and prints a PDF), and every function of `paos.api` has one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import paos.api

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def _cases() -> list:
    cases = []
    for i, code in enumerate(BLOCKS):
        heading = DOC.read_text().split(code)[0].rsplit("\n### ", 1)[-1].split("\n")[0]
        name = f"{i:02d}-" + re.sub(r"\W+", "-", heading.split("(")[0]).strip("-")
        marks = [pytest.mark.slow] if code.startswith("# slow") else []
        cases.append(pytest.param(code, id=name, marks=marks))
    return cases


@pytest.mark.parametrize("code", _cases())
def test_the_example_runs(code, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("results"))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(DOC), "exec"), {"__name__": "__doc_example__"})


def test_every_command_function_is_shown_with_an_example():
    shown = set(re.findall(r"paos\.(\w+)\(", "\n".join(BLOCKS)))
    functions = {n for n in paos.api.__all__ if n[0].islower()}
    assert functions <= shown, sorted(functions - shown)


def test_the_readme_and_the_architecture_link_it():
    for doc in (ROOT / "README.md", ROOT / "docs" / "architecture.md"):
        assert "api.md" in doc.read_text(), doc
