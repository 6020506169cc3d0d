"""One notebook per engagement that the analyst owns: written from the template
(`paos notebook`, `paos new`), never overwritten, run by `paos run` with the analyst's
cells and commentary, delivered without a staging path, and run alike by papermill
from any folder and by a Jupyter server (JupyterLab's kernel)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from paos import contract, diagnose
from paos.base.rulebook import load_rulebook
from paos.cli import app
from paos.deliverables import commentary
from paos.deliverables.notebook import NotebookTemplateError, for_run, template, write_notebook
from paos.deliverables.run import run_engagement
from paos.method.figures import Figures

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
TEMPLATES = ROOT / "paos" / "notebooks"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}  # kernels import this checkout's paos


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _templates() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in TEMPLATES.iterdir()}


def _engagement(tmp_path: Path, name: str = "northwind") -> Path:
    folder = tmp_path / name
    shutil.copytree(DEMO, folder)
    return folder


def _add_commentary(nb_path: Path, cells: list[tuple[str, str]], code: str = "") -> None:
    """Add markdown cells (tag, text) after the first code cell, as an analyst does in
    JupyterLab, and a code cell of their own at the end."""
    nb = nbformat.read(str(nb_path), as_version=4)
    new = []
    for tag, text in cells:
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [tag] if tag else []
        new.append(cell)
    nb.cells[3:3] = new
    if code:
        nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, str(nb_path))


# -- paos notebook / paos new ---------------------------------------------------------


def test_paos_notebook_writes_the_engagements_own_notebook(tmp_path):
    folder = _engagement(tmp_path)
    before = _templates()
    result = invoke("notebook", folder)
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {folder / 'diagnostic.ipynb'}\n"
    nb = nbformat.read(str(folder / "diagnostic.ipynb"), as_version=4)
    nbformat.validate(nb)
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert 'engagement = "."' in params.source
    assert f'notebook = "{folder.absolute() / "diagnostic.ipynb"}"' in params.source
    assert "data_path" not in params.source  # nothing points at the demo any more
    assert nb.metadata["paos"]["engagement_id"] == "northwind-2026-09"
    want = json.loads(template().read_text())["metadata"]["paos"]["template_version"]
    assert nb.metadata["paos"]["template_version"] == want
    assert "northwind-2026-09" in nb.cells[0].source and "commentary" in nb.cells[0].source
    assert _templates() == before


def test_an_existing_notebook_is_never_overwritten_and_force_keeps_it(tmp_path):
    folder = _engagement(tmp_path)
    write_notebook(folder)
    mine = folder / "diagnostic.ipynb"
    _add_commentary(mine, [("commentary", "Mine, not to be lost.")])
    kept_bytes = mine.read_bytes()
    result = invoke("notebook", folder)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"{mine} already exists; use --force to write a new one (the old one is kept "
        "beside it, renamed)"
    ]
    assert mine.read_bytes() == kept_bytes
    result = invoke("notebook", folder, "--force")
    assert result.exit_code == 0, result.output
    (kept,) = [p for p in folder.glob("diagnostic.*.ipynb")]
    assert kept.read_bytes() == kept_bytes
    assert result.output.splitlines() == [f"wrote {mine}", f"kept the old one as {kept}"]
    assert "Mine, not to be lost." not in mine.read_text()


def test_paos_new_writes_the_notebook_too(tmp_path):
    result = invoke("new", tmp_path / "acme-2026-12")
    assert result.exit_code == 0, result.output
    nb_path = tmp_path / "acme-2026-12" / "diagnostic.ipynb"
    assert f"wrote {nb_path}" in result.output.splitlines()
    assert json.loads(nb_path.read_text())["metadata"]["paos"]["engagement_id"] == "acme-2026-12"


def test_a_workbook_engagement_gets_no_notebook_and_runs_the_template(tmp_path):
    book = ROOT / "data" / "engagements" / "harbor-2026-11.xlsx"
    result = invoke("notebook", book)
    assert result.exit_code == 2 and "not an engagement folder" in result.output
    assert for_run(book) is None


def test_a_notebook_from_another_template_version_is_refused_in_one_line(tmp_path):
    folder = _engagement(tmp_path)
    write_notebook(folder)
    nb_path = folder / "diagnostic.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["metadata"]["paos"]["template_version"] = 0
    nb_path.write_text(json.dumps(nb))
    result = invoke("run", folder, "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"{nb_path} was made from diagnostic template version 0, this paos has version "
        f"{json.loads(template().read_text())['metadata']['paos']['template_version']}: run "
        f"`paos notebook {folder} --force` (your notebook is kept beside it, renamed) and "
        "copy your cells into the new one"
    ]
    assert not (tmp_path / "out").exists() and not (tmp_path / "store").exists()
    del nb["metadata"]["paos"]  # a notebook that records no template at all
    nb_path.write_text(json.dumps(nb))
    with pytest.raises(NotebookTemplateError, match="template version unknown"):
        for_run(folder)


# -- where a notebook is, from inside its kernel ---------------------------------------


def _here(cwd: Path, notebook: str, session: str | None) -> str:
    env = {k: v for k, v in ENV.items() if k != "JPY_SESSION_NAME"}
    if session is not None:
        env["JPY_SESSION_NAME"] = session
    code = f"from paos.deliverables.notebook import here; print(here({notebook!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_notebook_is_where_jupyter_says_else_where_its_parameter_says(tmp_path):
    (tmp_path / "a").mkdir()
    mine = str(tmp_path / "a" / "n.ipynb")
    # a Jupyter server's kernel: started in the notebook's folder, told its path
    assert _here(tmp_path / "a", "/elsewhere/x.ipynb", mine) == mine
    # a kernel started by a kernel inherits the variable, not the folder: not trusted
    assert _here(tmp_path, "d.ipynb", mine) == str(tmp_path / "d.ipynb")
    assert _here(tmp_path, "/abs/x.ipynb", None) == "/abs/x.ipynb"
    assert _here(tmp_path, "", None) == "None"


# -- commentary --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def northwind():
    return contract(diagnose(DEMO)), load_rulebook("paos-v1")


def _render(northwind, *cells: tuple[str, str]):
    c, rb = northwind
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": f"c{i}", "metadata": {"tags": [tag]}, "source": text}
            for i, (tag, text) in enumerate(cells)
        ]
    }
    dims = [d.id for d in rb.dimensions]
    return commentary.render(commentary.cells(nb), c, Figures(rb), dims)


def test_placeholders_show_the_results_with_the_rulebooks_decimals(northwind):
    c, _ = northwind
    fit = next(d for d in c["dimensions"] if d["id"] == "FIT")
    out = _render(
        northwind,
        ("commentary", "PAI {{ pai }}, {{ gaps | length }} gaps, {{ maturity }}."),
        ("commentary:FIT", "Fit at {{ dimensions.FIT.score }}; {{ gaps[0].signal_id }}."),
        ("notes", "not commentary"),
    )
    assert out == {
        "summary": [f"<p>PAI {c['pai_display']}, {len(c['gaps'])} gaps, {c['maturity']}.</p>\n"],
        "FIT": [f"<p>Fit at 1.99; {c['gaps'][0]['signal_id']}.</p>\n"],
    }
    assert round(fit["score"], 3) == 1.987  # below Emerging's 2.0: never "2.0" beside Ad hoc
    assert c["pai_display"] != str(c["pai"])  # the full-precision value is not shown


def test_commentary_is_inert(northwind):
    (html,) = _render(
        northwind,
        (
            "commentary",
            "<script>alert(1)</script> <img src=x onerror=y> [site](http://evil.example) "
            "![i](http://evil.example/i.png) <http://evil.example> **bold**",
        ),
    )["summary"]
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<strong>bold</strong>" in html


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{{ nope }}", "commentary cell 1 (id c0): unknown placeholder {{ nope }}: it names"),
        ("{{ dimensions.XYZ.score }}", "unknown placeholder {{ dimensions.XYZ.score }}"),
        ("{{ pai.__class__ }}", "{{ pai.__class__ }}"),
        ("{{ 9 ** 9 ** 9 }}", "operator ** is not allowed"),
        ("{{ 'x' * 100000000 }}", "operator * is not allowed"),
        ("{{ signals }}", "is not a figure"),
        ("{{ range(10) }}", "unknown placeholder {{ range(10) }}"),
    ],
)
def test_a_placeholder_that_is_no_figure_fails_naming_it_and_the_cell(northwind, text, says):
    with pytest.raises(commentary.CommentaryError) as info:
        _render(northwind, ("commentary", text))
    assert says in str(info.value) and "\n" not in str(info.value)


def test_a_tag_naming_no_dimension_is_refused(northwind):
    with pytest.raises(commentary.CommentaryError, match="commentary:FTI names no dimension"):
        _render(northwind, ("commentary:FTI", "typo"))


# -- paos run -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """northwind with its own notebook, commentary and an analyst's cell, delivered."""
    tmp = tmp_path_factory.mktemp("run")
    folder = _engagement(tmp)
    before = _templates()
    write_notebook(folder)
    _add_commentary(
        folder / "diagnostic.ipynb",
        [
            ("commentary", "The board should discuss fit first: PAI {{ pai }}. <b>x</b>"),
            ("commentary:FIT", "Fit scores {{ dimensions.FIT.score }} after two interviews."),
            ("", "ANALYST-ONLY-NOTE: ask the CRO who wrote the ECO quotes"),
        ],
        code=(
            "analyst_count = len(d.contract['gaps'])\nprint('analyst cell ran', analyst_count)\n"
            "from IPython.display import HTML\ndisplay(HTML('<p>ANALYST-ONLY-TABLE</p>'))"
        ),
    )
    result = run_engagement(folder, tmp / "out", run_date="2026-11-24", progress=None)
    assert _templates() == before  # the package's templates are read only
    return folder, result, tmp


@pytest.mark.slow
def test_run_executes_the_engagements_notebook_with_its_commentary(delivered):
    folder, result, _ = delivered
    c = contract(diagnose(folder))
    html = (result.folder / "executive_summary.html").read_text()
    summary = html.split('data-page="summary"', 1)[1].split("</section>", 1)[0]
    assert (
        '<aside class="commentary"><div class="commentary-label">Analyst\'s commentary</div>'
        f"<p>The board should discuss fit first: PAI {c['pai_display']}. &lt;b&gt;x&lt;/b&gt;"
        in summary
    )
    pages = html.split('data-page="dimensions"', 1)[1].split("</section>", 1)[0]
    fit_page = pages.split('<span class="id">FIT</span>', 1)[1].split("<h3>", 1)[0]
    assert "Analyst's commentary</div><p>Fit scores 1.99 after two" in fit_page
    assert html.count("Analyst's commentary") == 2
    # the analyst's own cells stay in the notebook: neither their Markdown nor their
    # outputs reach the client's deliverable
    assert "ANALYST-ONLY" not in html
    assert "{{" not in html  # the commentary cells are not also shown raw
    nb = nbformat.read(str(result.folder / "diagnostic.ipynb"), as_version=4)
    ran = [o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert f"analyst cell ran {len(c['gaps'])}\n" in ran
    assert "ANALYST-ONLY-TABLE" in nbformat.writes(nb)  # kept in the notebook, the record
    from tests.test_deliverables import _pdf_text

    pdf = " ".join(_pdf_text(result.folder / "executive_summary.pdf").split())
    assert f"The board should discuss fit first: PAI {c['pai_display']}" in pdf


@pytest.mark.slow
def test_the_delivered_notebook_holds_no_staging_path_and_reruns_in_its_folder(delivered):
    folder, result, tmp = delivered
    text = (result.folder / "diagnostic.ipynb").read_text()
    assert "staging" not in text and str(result.folder.parent) not in text
    nb = nbformat.reads(text, as_version=4)
    (injected,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert (
        'output_dir = "."' in injected.source and 'notebook = "diagnostic.ipynb"' in injected.source
    )
    before = {p: p.stat().st_mtime_ns for p in tmp.rglob("*")}
    again = tmp / "elsewhere" / "again.ipynb"
    again.parent.mkdir()
    subprocess.run(
        [sys.executable, "-m", "papermill", "diagnostic.ipynb", str(again)],
        cwd=result.folder,
        env=ENV,
        capture_output=True,
        check=True,
    )
    changed = {
        p for p in tmp.rglob("*") if p not in before or p.stat().st_mtime_ns != before[p]
    } - {again, again.parent, result.folder}
    assert changed and all(p.is_relative_to(result.folder) for p in changed), changed
    assert {p.name for p in changed} <= {"results.json", "gaps.csv", "actions.xlsx"}
    assert '"ename"' not in again.read_text()


@pytest.mark.slow
def test_an_unknown_placeholder_fails_the_run_in_one_line(tmp_path):
    folder = _engagement(tmp_path)
    write_notebook(folder)
    _add_commentary(folder / "diagnostic.ipynb", [("commentary:ECO", "{{ dimensions.ECO.scroe }}")])
    result = invoke("run", folder, "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert result.exit_code == 2
    progress, line = result.output.strip().splitlines()  # [1/5] validate ..., the failure
    assert progress.startswith("[1/5] validate")
    assert "commentary cell 4 (id " in line
    assert "unknown placeholder {{ dimensions.ECO.scroe }}" in line
    assert not (tmp_path / "out" / "northwind-2026-09").exists()


@pytest.mark.slow
def test_plain_papermill_runs_the_engagement_notebook_from_another_folder(tmp_path):
    folder = _engagement(tmp_path)
    write_notebook(folder)
    _add_commentary(folder / "diagnostic.ipynb", [("commentary", "PAI {{ pai }} today.")])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = sorted(p.name for p in folder.iterdir())
    subprocess.run(
        [sys.executable, "-m", "papermill", str(folder / "diagnostic.ipynb"), "out.ipynb"],
        cwd=elsewhere,
        env=ENV,
        capture_output=True,
        check=True,
    )
    out = (elsewhere / "out.ipynb").read_text()
    assert '"ename"' not in out and "PAI 2.2 today." in out
    assert sorted(p.name for p in folder.iterdir()) == before  # output_dir "": nothing written
    assert sorted(p.name for p in elsewhere.iterdir()) == ["out.ipynb"]


@pytest.mark.slow
def test_the_portfolio_notebook_runs_on_the_store_make_demo_fills(tmp_path):
    nb = nbformat.read(str(TEMPLATES / "portfolio_benchmark.ipynb"), as_version=4)
    command = "paos batch data/portfolio/engagements --scores-only"
    assert command in nb.cells[0].source
    assert f"$(BIN)/{command}" in (ROOT / "Makefile").read_text().split("demo:", 1)[1]
    store = tmp_path / "results"
    subprocess.run(
        [sys.executable, "-m", "paos", *command.split()[1:], "--store", str(store)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "papermill", str(TEMPLATES / "portfolio_benchmark.ipynb"),
         str(tmp_path / "p.ipynb"), "-p", "store", str(store)],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        check=True,
    )  # fmt: skip
    assert '"ename"' not in (tmp_path / "p.ipynb").read_text()


def test_a_huge_notebook_is_refused_before_it_is_read(tmp_path):
    folder = _engagement(tmp_path)
    write_notebook(folder)
    with open(folder / "diagnostic.ipynb", "r+b") as f:
        f.truncate(commentary.MAX_NOTEBOOK_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(NotebookTemplateError, match="larger than 64 MiB"):
        for_run(folder)
    with pytest.raises(commentary.CommentaryError, match="larger than 64 MiB"):
        commentary.read(folder / "diagnostic.ipynb")
