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
from paos.deliverables import charts
from paos.deliverables._page import footer_style
from paos.deliverables.check_page import architecture_check, screening_chart, title
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
    html = (folder / "architecture_check.html").read_text()
    assert "<script" not in html
    # no hash on the prospect's page: the rulebook's sha256 is in the HTML's <meta>
    sha = saved["rulebook"]["sha256"]
    assert sha not in text and sha[:12] not in text and "sha256" not in text
    assert f'<meta name="paos-rulebook-sha256" content="{sha}">' in html
    # names, not codes; the footer on the page
    assert "FIT, REC" not in text.replace("\n", " ")
    assert "Globex Cloud Services Ltd · Confidential" in text
    assert re.search(r"\b1\s*/\s*1\b", text)  # page n / N
    deck = Presentation(str(folder / "architecture_check.pptx"))  # the one-pager as a deck
    assert deck.slides[0].shapes.title.text_frame.text == title(saved)  # the action title
    assert any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in deck.slides[0].shapes)
    assert any(sh.has_table for s in deck.slides for sh in s.shapes)


def _check(ratings: list[int]) -> dict:
    out = screen(dict(zip(DIMS, ratings)), RB)
    for d in out["dimensions"]:
        d["note"], d["level"] = "", RB["rating_scale"]["levels"][d["rating"]]["name"]
    return {"id": "p", "prospect": "P", "assessed_on": "", "analyst": "", "run_date": "x", **out}


@pytest.mark.parametrize(
    "ratings, expected",
    [
        (
            [2, 1, 2, 3, 2, 3],
            "4 of 6 dimensions show a likely structural constraint: Partner Fit, Partner "
            "Recruitment, Partner Onboarding & Activation and Partner Performance Management",
        ),
        (
            [3, 3, 2, 3, 3, 3],
            "1 of 6 dimensions shows a likely structural constraint: Partner Onboarding & "
            "Activation",
        ),
        (
            [1, 1, 1, 1, 1, 2],
            "All 6 dimensions show a likely structural constraint: "
            "Partner Fit, Partner Recruitment, Partner Onboarding & Activation, Partner Economics,"
            " Partner Performance Management and Internal Readiness",
        ),
        (
            [3, 3, 3, 3, 4, 3],
            "No dimension shows a likely structural constraint: all 6 are rated above 2",
        ),
    ],
)
def test_check_title_is_a_sentence_of_dimension_names(ratings, expected):
    assert title(_check(ratings)) == expected


def test_check_headline_names_dimensions_not_codes():
    page = architecture_check(_check([2, 1, 2, 3, 2, 3])).text()
    head = page.split("dimension screening question")[0]  # above the table (ids small there)
    assert not re.search(r"\b(FIT|REC|ONB|PERF)\b", head)
    assert "Partner Fit" in head and "sha256" not in page and RB.sha256 not in page


def test_check_chart_axis_runs_over_the_rating_scale_and_its_line_is_labelled():
    spec = charts.spec(screening_chart(_check([2, 1, 2, 3, 2, 3])), validate=True)
    domains = {
        str(layer["encoding"]["x"]["scale"]["domain"])
        for layer in spec["layer"]
        if "scale" in layer["encoding"].get("x", {})
    }
    assert domains == {"[1, 4]"}  # from the scale's minimum, never 0
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1
    svg = charts.to_svg(screening_chart(_check([2, 1, 2, 3, 2, 3])))
    assert "constraint likely at 2 (Emerging) or below" in svg
    assert "constraint likely" in svg and "no constraint indicated" in svg  # legend
    assert "1 Absent" in svg and "3 Defined" in svg  # every dot valued


def test_footer_text_is_inert_css():
    style = footer_style('Evil" } body { display: none } </style><script>')
    content = style.split("content: ", 1)[1].split('";', 1)[0]
    assert "<" not in style.replace("<style>", "").replace("</style>", "")
    assert '"' not in content[1:] and "}" not in content


def test_a_cut_outside_the_scale_draws_and_names_no_line():
    check = _check([3, 3, 3, 3, 3, 3])
    check["constraint_at_or_below"], check["constraint_level"] = 0, ""
    layers = charts.spec(screening_chart(check))["layer"]
    assert not [x for x in layers if x["mark"]["type"] == "rule"]
    page = architecture_check(check).text()
    assert "dashed" not in page and "all 6 are rated above 0" in page


def test_check_page_is_a_template_fed_by_one_data_object():
    from paos.deliverables import check_page
    from paos.deliverables.sections import PAGE_MIME

    hostile = _check([2, 1, 2, 3, 2, 3])
    hostile["prospect"] = "<script>alert(1)</script> Acme"
    hostile["dimensions"][0]["note"] = '<img src=x onerror="x()">'
    page = architecture_check(hostile)
    assert "<script>alert" not in page.html and "<img" not in page.html  # autoescaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Acme" in page.html
    shown = page._repr_mimebundle_()[PAGE_MIME]  # what the notebook keeps beside the HTML
    assert shown["page"] == "check" and shown["data"]["title"] == title(hostile)
    assert [r["rating"] for r in shown["data"]["rows"]] == [2, 1, 2, 3, 2, 3]
    source = Path(check_page.__file__).read_text()
    assert not re.search(r"<(section|div|table|tr|td|span|h\d)\b", source)  # HTML in the template
