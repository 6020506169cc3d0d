"""The codebase's shape holds: the pipeline's layers (import-linter's contracts in
pyproject.toml), no paos import inside a function but the listed ones, and no module
over 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAOS = ROOT / "paos"
MAX_LINES = 600
# paos imports inside a function, each for a reason other than a cycle (a cycle is
# refused by the layers contract whichever way it is written).
# The public API (paos.api) imports each command's machinery when the command is
# called, so `import paos` and `paos score` pay only for what they use.
# cli/portfolio.py: the batch command's progress bar (rich) is imported by that
# command only, so `paos score` never loads it (tests/test_score_start.py).
DEFERRED = {"paos/api.py", "paos/cli/portfolio.py"}
# Modules whose import costs seconds (python-pptx, nbconvert, altair): imported where
# a deck, a PDF or a check page is made, so a run that makes none never pays for them.
HEAVY = {
    "paos.deliverables._pptx",
    "paos.deliverables._render",
    "paos.deliverables.slides",
    "paos.deliverables.check_page",
    "paos.deliverables._kernels",  # jupyter_client: only a batch worker forks kernels
}


def test_layers_contract_is_kept():
    importlinter = pytest.importorskip("importlinter.cli")
    code = importlinter.lint_imports(
        config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True
    )
    assert code == 0, "an import goes against the layers: run `lint-imports` to see which"


def test_layers_contract_names_the_pipeline():
    """The contract is the pipeline's order, bottom to top, and covers every
    sub-package and top-level module of paos."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    names = [n.strip() for layer in layers for n in layer.split("|")]
    order = [
        n
        for n in names
        if n.split(".")[1] in ("base", "evidence", "method", "deliverables", "portfolio", "cli")
    ]
    assert order == [
        "paos.cli",
        "paos.portfolio",
        "paos.deliverables",
        "paos.method",
        "paos.evidence",
        "paos.base",
    ]
    present = {
        f"paos.{p.stem if p.is_file() else p.name}"
        for p in PAOS.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert present <= set(names), sorted(present - set(names))


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and node.module in HEAVY:
                continue
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("paos"):
                out.append(f"{fn.name}: from {node.module} (line {node.lineno})")
            elif isinstance(node, ast.Import) and any(
                a.name.startswith("paos") for a in node.names
            ):
                out.append(f"{fn.name}: import paos... (line {node.lineno})")
    return out


def test_no_paos_import_inside_a_function():
    found = {
        str(p.relative_to(ROOT)): imports
        for p in sorted(PAOS.rglob("*.py"))
        if str(p.relative_to(ROOT)) not in DEFERRED and (imports := _function_imports(p))
    }
    assert not found, found


def _lines(rel: str) -> int:
    return len((ROOT / rel).read_text(encoding="utf-8").splitlines())


def test_no_module_over_600_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted(PAOS.rglob("*.py"))
        if (n := _lines(str(p.relative_to(ROOT)))) > MAX_LINES
    }
    assert not long, long
