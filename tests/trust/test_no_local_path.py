"""Issue 16, findings 13 and 15: no client-facing file holds a local path, and no text
from evidence reorders paos's own sentences around it.

The follow-up deliverable is the one that reads most from the analyst's disk (its
evidence, the baseline's, the action plan the client returned): every file of it
that reaches the client is scanned for the folders it was made from."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import paos
from paos.bundled import data_path
from paos.cli import app
from paos.deliverables import sections
from paos.deliverables.report import deliverable
from paos.errors import FSI, PDI
from paos.method.reassessment import compare_paths, compare_text
from tests.test_actions import client_plan, pair

# The returned plan: a status the reader does not know and a row that is not a gap,
# so the progress page prints notes naming the plan's file and line.
EDITS = {"FIT-01": ("Ana", "blocked"), "PERF-01": ("Cy", "done")}


def _texts_of_xlsx(data: bytes) -> str:
    """Every text part of a workbook (cells, shared strings, properties)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def _notebook_outputs(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            out.append(json.dumps(o.get("data", {})))
            out.append("".join(o.get("text", "")))
            out.append("\n".join(o.get("traceback", [])))
    return "\n".join(out)


def _client_files(report: Path) -> dict[str, str]:
    """What the client receives, as text: HTML, PDF text, xlsx parts, csv, json, and
    the delivered notebook's outputs."""
    pdf = subprocess.run(
        ["pdftotext", str(report / "executive_summary.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        "executive_summary.html": (report / "executive_summary.html").read_text("utf-8"),
        "executive_summary.pdf": pdf,
        "actions.xlsx": _texts_of_xlsx((report / "actions.xlsx").read_bytes()),
        "gaps.csv": (report / "gaps.csv").read_text("utf-8"),
        "results.json": (report / "results.json").read_text("utf-8"),
        "diagnostic.ipynb outputs": _notebook_outputs(report / "diagnostic.ipynb"),
        # the whole notebook: its metadata (papermill's input and output paths, the
        # parameters) and its injected-parameters cell too (fix D13)
        "diagnostic.ipynb": (report / "diagnostic.ipynb").read_text("utf-8"),
    }


def _assert_no_folder(files: dict[str, str], folders: set[str]) -> None:
    for name, text in files.items():
        squeezed = re.sub(r"\s+", "", text)  # a path wrapped over PDF lines
        for folder in folders:
            assert folder not in text and folder not in squeezed, (name, folder)
            assert json.dumps(folder)[1:-1] not in text, (name, folder)  # as JSON writes it


@pytest.mark.slow
def test_no_client_facing_file_of_a_follow_up_holds_a_local_path(tmp_path):
    base, follow = pair(tmp_path / "engagements")
    client_plan(base, base / "actions.xlsx", EDITS)
    out = tmp_path / "out"
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["run", str(follow), "--out", str(out), "--store", str(store)])
    assert result.exit_code == 0, result.output
    files = _client_files(out / "acme-2026")
    html = files["executive_summary.html"]
    assert "actions.xlsx (sheet actions) line" in html  # the notes are there, by name
    folders = {str(p) for p in (base, follow, out, store, tmp_path, Path.home())}
    folders |= {str(p.resolve()) for p in (base, follow, out, store, tmp_path)}
    folders |= {str(Path(paos.__file__).parent), "site-packages", "staging"}
    _assert_no_folder(files, folders)
    nb = json.loads(files["diagnostic.ipynb"])
    assert nb["metadata"]["papermill"]["input_path"] == "diagnostic.ipynb"
    assert nb["metadata"]["papermill"]["output_path"] == "diagnostic.ipynb"
    # the evidence and the store, relative to the deliverable folder: it runs again there
    assert nb["metadata"]["papermill"]["parameters"]["engagement"] == "../../engagements/acme-2026"
    assert nb["metadata"]["papermill"]["parameters"]["store"] == "../../store"
    # the portfolio report's and the Architecture Check's notebooks (and pages) too
    report = CliRunner().invoke(app, ["portfolio-report", "--store", str(store), "--out", str(out)])
    assert report.exit_code == 0, report.output
    (portfolio,) = (out).glob("portfolio-*")
    answers = tmp_path / "answers" / "globex-2026-11.yaml"
    answers.parent.mkdir()
    answers.write_bytes(Path(data_path("checks/globex-2026-11.yaml")).read_bytes())
    check = CliRunner().invoke(app, ["check", str(answers), "--out", str(out)])
    assert check.exit_code == 0, check.output
    (checked,) = (out).glob("globex*")
    others = {
        f"{folder.name}/{f.name}": f.read_text("utf-8")
        for folder in (portfolio, checked)
        for f in folder.iterdir()
        if f.suffix in (".ipynb", ".html", ".json", ".csv")
    }
    assert len([n for n in others if n.endswith(".ipynb")]) == 2, others.keys()
    _assert_no_folder(others, folders | {str(answers.parent)})


def test_the_progress_notes_name_the_plan_by_its_file_name(tmp_path):
    base, follow = pair(tmp_path)
    client_plan(base, base / "actions.xlsx", EDITS)
    text = sections.reassessment(deliverable(follow, run_date="2026-05-10")).text()
    assert "actions.xlsx (sheet actions) line 10: status 'blocked' of FIT-01" in text
    assert str(tmp_path) not in text and "/" not in text.split("action plan of the baseline")[1]


# --- finding 15: direction isolated in every interpolated text ----------------------

_OPENERS = {"\u202a", "\u202b", "\u202d", "\u202e"}  # LRE, RLE, LRO, RLO (close: PDF)
_ISOLATES = {"\u2066", "\u2067", "\u2068"}  # LRI, RLI, FSI (close: PDI)


def _overridden(text: str, words: str) -> bool:
    """Whether `words` of `text` stand inside an embedding or override left open
    before them (Unicode bidi: an isolate's PDI closes everything opened in it)."""
    stack: list[str] = []
    for ch in text[: text.index(words)]:
        if ch in _OPENERS or ch in _ISOLATES:
            stack.append(ch)
        elif ch == "\u202c" and stack and stack[-1] in _OPENERS:
            stack.pop()
        elif ch == PDI and any(c in _ISOLATES for c in stack):
            while stack.pop() not in _ISOLATES:
                pass
        elif ch == "\n":
            stack.clear()
    return any(c in _OPENERS for c in stack)


def test_an_override_in_a_clients_signal_id_reverses_no_sentence_of_paos(tmp_path):
    base, follow = pair(tmp_path)
    client_plan(base, base / "actions.xlsx", {"\u202eXYZ": ("Cy", "done")})
    (note,) = compare_paths(base, follow)["actions"]["notes"]
    assert not _overridden(note, "is not a gap of the baseline")
    d = deliverable(follow, run_date="2026-05-10")
    html = str(sections.reassessment(d))
    assert not _overridden(html, "is not a gap of the baseline")
    assert "\u202e" not in compare_text(compare_paths(base, follow))  # terminal: escaped


def test_right_to_left_text_from_a_client_file_is_isolated_in_the_notes(tmp_path):
    base, follow = pair(tmp_path)
    client_plan(base, base / "actions.xlsx", {"FIT-01": ("Ana", "בוצע")})
    (note,) = compare_paths(base, follow)["actions"]["notes"]
    assert f"status '{FSI}בוצע{PDI}' of FIT-01 is not one of" in note


def test_the_engagements_own_words_in_paos_sentences_are_isolated(tmp_path):
    """An industry, a workbook's file name: each inside a sentence or label of paos's,
    each isolated when it holds right-to-left text."""
    from paos.method.peers import _label

    label = _label("industry", {"industry": "בנקאות", "stage": "seed"}, True, 5)
    assert label == f"same industry: {FSI}בנקאות{PDI}"
    d = deliverable(pair(tmp_path)[1], run_date="2026-05-10")
    d.files = [{"file": "עסקה.xlsx", "sha256": "0" * 64}]  # a workbook named by the client
    text = sections.reproducibility(d).text()
    assert f"evidence {FSI}עסקה.xlsx{PDI}" in text


def test_a_delivered_notebook_records_paths_relative_to_its_folder_never_from_the_root():
    """Fix D13: a path shares a folder with the deliverable: relative to it (it runs
    again there); it shares only the root: it runs so, but is recorded by its name."""
    from paos.deliverables.run import _shown_paths

    target = Path("/srv/work/reports/acme-2026")
    run, shown = _shown_paths(
        {
            "engagement": Path("/srv/work/engagements/acme-2026"),
            "store": Path("/home/alice/results"),
            "rulebook": "paos-v1",
            "output_dir": ".",
        },
        target,
    )
    assert run == {
        "engagement": "../../engagements/acme-2026",
        "store": "../../../../home/alice/results",
        "rulebook": "paos-v1",
        "output_dir": ".",
    }
    assert shown == {**run, "store": "results"}
