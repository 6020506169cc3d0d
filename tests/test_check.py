"""Architecture Check (methodology section 9): screening logic, answers files, one-page report."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from typer.testing import CliRunner

from paos import EvidenceError, load_rulebook
from paos.cli import app
from paos.method.check import assess, read_answers, screen

RB = load_rulebook()
DIMS = ["FIT", "REC", "ONB", "ECO", "PERF", "ORG"]
DEMO = Path(__file__).parent.parent / "data" / "checks" / "globex-2026-11.yaml"


@pytest.mark.parametrize(
    "ratings, constraints, recommendation",
    [
        ([3, 3, 3, 3, 3, 3], [], "No structural constraint indicated"),
        ([4, 4, 4, 4, 4, 3], [], "No structural constraint indicated"),
        ([3, 3, 2, 3, 3, 3], ["ONB"], "Partner Architecture Diagnostic recommended"),  # 2 is <= 2
        ([1, 3, 3, 3, 3, 2], ["FIT", "ORG"], "Partner Architecture Diagnostic recommended"),
    ],
)
def test_screening_rule(ratings, constraints, recommendation):
    result = screen(dict(zip(DIMS, ratings)), RB)
    assert result["constraints"] == constraints
    assert result["recommendation"] == recommendation
    assert "pai" not in json.dumps(result).lower()


def test_csv_answers(tmp_path):
    path = tmp_path / "initech.csv"
    path.write_text("dimension,rating,note\n" + "\n".join(f"{d},3," for d in DIMS) + "\n")
    head, ratings = read_answers(path, RB)
    assert ratings == dict.fromkeys(DIMS, 3)
    assert assess(path, run_date="2026-01-02")["id"] == "initech"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("dimension,rating\nFIT,5\n", "line 2, column rating: '5' is not a rating (1-4)"),
        ("dimension,rating\nFTI,3\n", "line 2, column dimension: 'FTI' is not a dimension"),
        ("dimension,rating\nFIT,3\n", "column dimension: 'REC' has no answer"),
        ("dimension,score\nFIT,3\n", "line 1, column rating: required column is missing"),
    ],
)
def test_bad_answers_are_refused_by_line(tmp_path, body, fragment):
    path = tmp_path / "x.csv"
    path.write_text(body)
    with pytest.raises(EvidenceError) as info:
        read_answers(path, RB)
    assert any(fragment in line and line.startswith(str(path)) for line in info.value.lines())


def test_invalid_prospect_id_is_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("id: ../../etc\nanswers: {FIT: 3, REC: 3, ONB: 3, ECO: 3, PERF: 3, ORG: 3}\n")
    with pytest.raises(EvidenceError, match="column id: '../../etc' is not a valid id"):
        assess(path)


@pytest.mark.slow
def test_paos_check_writes_a_one_page_report(tmp_path):
    result = CliRunner().invoke(app, ["check", str(DEMO), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "globex-2026-11"
    pdf = folder / "architecture_check.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Partner Architecture Diagnostic recommended" in text
    assert "Globex Cloud Services Ltd" in text
    saved = json.loads((folder / "check.json").read_text())
    assert saved["constraints"] == ["FIT", "REC", "ONB", "PERF"]
    assert "<script" not in (folder / "architecture_check.html").read_text()
    deck = Presentation(str(folder / "architecture_check.pptx"))  # the one-pager as a deck
    assert deck.slides[0].shapes.title.text_frame.text == "Globex Cloud Services Ltd"
    assert any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in deck.slides[0].shapes)
    assert any(sh.has_table for s in deck.slides for sh in s.shapes)
