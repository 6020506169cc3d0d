"""The package as installed: the wheel ships the notebooks and the board template
(also as nbconvert's template `paos`), the notebooks' defaults do not depend on the
kernel's working folder, environment.yml installs what pyproject.toml does, and the
README's layout names files that exist."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.builders import REPORT_FILES

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
NOTEBOOKS = sorted((ROOT / "paos" / "notebooks").glob("*.ipynb"))


def test_the_notebook_templates_are_in_the_package_only_and_the_readme_says_so():
    assert not os.path.lexists(ROOT / "notebooks")  # no second copy to edit by mistake
    readme = (ROOT / "README.md").read_text()
    assert "`paos/notebooks/`" in readme and "`paos notebook`" in readme
    assert [p.name for p in NOTEBOOKS] == [
        "architecture_check.ipynb",
        "diagnostic.ipynb",
        "portfolio_benchmark.ipynb",
    ]


def _parameters(notebook: Path, cwd: Path) -> dict:
    """The values the notebook's parameters cell sets, run in a fresh interpreter
    started in `cwd` (as a kernel started there would)."""
    nb = nbformat.read(str(notebook), as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    code = (
        cell.source
        + "\nimport json\nprint(json.dumps({k: v for k, v in dict(globals()).items()"
        + " if isinstance(v, str) and not k.startswith('_')}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_defaults_do_not_depend_on_the_working_folder(notebook, tmp_path):
    seen = [_parameters(notebook, cwd) for cwd in (ROOT, ROOT / "paos" / "notebooks", tmp_path)]
    assert seen[0] == seen[1] == seen[2]
    paths = {k: Path(v) for k, v in seen[0].items() if v}
    assert paths and all(
        p.is_absolute() and p.is_relative_to(ROOT / "data") for p in paths.values()
    )
    for name in ("engagement", "answers"):  # the demo inputs exist; the store may not yet
        if name in paths:
            assert paths[name].exists()


def _requirements(items: list[str]) -> set[str]:
    return {re.sub(r"\s+", "", r).lower() for r in items}


def test_environment_yml_installs_what_pyproject_does():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirements(
        project["dependencies"]
        + [r for extra in project["optional-dependencies"].values() for r in extra]
    )
    conda_names = {"pandera[polars]": "pandera-polars", "duckdb": "python-duckdb"}
    conda_names["playwright"] = "playwright-python"
    for pip_name, conda_name in conda_names.items():
        wanted = {re.sub(rf"^{re.escape(pip_name)}(?=[<>=])", conda_name, r) for r in wanted}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    listed = _requirements([d for d in env["dependencies"] if isinstance(d, str)])
    assert listed - {"pip", "python>=3.11"} == wanted
    assert f"python{project['requires-python']}" in listed


def test_readme_layout_names_files_that_exist():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    parents: list[tuple[int, Path]] = []
    named = 0
    for line in block.splitlines()[1:]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        base = parents[-1][1] if parents else ROOT
        for name in re.split(r"[,\s]+", names):
            assert (base / name).exists(), f"README layout: {base / name} is missing"
            named += 1
            if name.endswith("/"):
                parents.append((indent, base / name))
    assert named > 20


def _call(*args: str | Path, **kwargs) -> str:
    """Run a command; its output is shown only when it fails."""
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args[:4]} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def _tags(html: str) -> Counter:
    return Counter(re.findall(r"<([a-zA-Z][\w-]*)", html))


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_runs_outside_the_checkout(tmp_path):
    """Build the wheel, install it with [notebooks] into a new virtual environment
    (dependencies from the package registry), then, in a folder outside the
    checkout and without it on the import path: `paos run` on a copy of the demo,
    nbconvert's `--template paos` and `--to paos_pptx` (the deck, the same bytes as
    `paos run` wrote) on the executed notebook."""
    seconds = {}
    t = time.perf_counter()
    src = tmp_path / "src"  # a copy, so the build writes nothing into the checkout
    shutil.copytree(
        ROOT / "paos", src / "paos", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _call(*pip, "wheel", "--no-deps", "-w", tmp_path / "dist", src)
    (wheel,) = (tmp_path / "dist").glob("paos-*.whl")
    seconds["build"] = time.perf_counter() - t

    t = time.perf_counter()
    venv = tmp_path / "venv"
    _call(sys.executable, "-m", "venv", venv)
    vpip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _call(*vpip, "install", f"{wheel}[notebooks]")
    seconds["install"] = time.perf_counter() - t

    work = tmp_path / "work"
    shutil.copytree(DEMO, work / "engagements" / DEMO.name)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PAOS_NOTEBOOKS", "JUPYTER_PATH", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def run(*args: str | Path) -> str:
        return _call(*args, cwd=work, env=env)

    where = run("python", "-c", "import paos; print(paos.__file__)")
    assert Path(where.strip()).is_relative_to(venv)  # the installed package, not the checkout

    t = time.perf_counter()
    run("paos", "run", f"engagements/{DEMO.name}", "--out", "out", "--run-date", "2026-11-24")
    seconds["paos run"] = time.perf_counter() - t
    report = work / "out" / DEMO.name
    assert sorted(p.name for p in report.iterdir() if not p.name.startswith(".")) == REPORT_FILES
    assert (report / "executive_summary.pdf").read_bytes().startswith(b"%PDF-")

    t = time.perf_counter()
    run(
        "jupyter",
        "nbconvert",
        "--to",
        "html",
        "--template",
        "paos",
        "--output-dir",
        "nbconvert",
        report / "diagnostic.ipynb",
    )
    seconds["nbconvert"] = time.perf_counter() - t
    page = (work / "nbconvert" / "diagnostic.html").read_text()
    board = (report / "executive_summary.html").read_text()
    assert '<main class="report">' in page
    assert "<script" not in page and not re.search(r"""(src|href)=["']https?://""", page)
    assert "jp-CodeCell" not in page and "jp-InputArea" not in page
    assert "report.deliverable(" not in page  # no code
    assert _tags(page) == _tags(board)  # the board deliverable, element for element
    title = re.search(r"<title>(.*?)</title>", board).group(1)
    assert title.startswith("Northwind Analytics GmbH") and f"<title>{title}</title>" in page

    # nbconvert's exporter `paos_pptx` (entry point): the deck that `paos run` wrote
    t = time.perf_counter()
    run(
        "jupyter",
        "nbconvert",
        "--to",
        "paos_pptx",
        "--output-dir",
        "nbx",
        report / "diagnostic.ipynb",
    )
    seconds["nbconvert pptx"] = time.perf_counter() - t
    deck = work / "nbx" / "diagnostic.pptx"
    assert deck.read_bytes() == (report / "executive_summary.pptx").read_bytes()
    print("wheel test seconds:", {k: round(v, 1) for k, v in seconds.items()})
