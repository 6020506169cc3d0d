"""Issue 9, cases 5, 6 and 9: no person identifiable from a deliverable, no CSV cell
or line that a spreadsheet runs, no echoed text that drives a terminal or reorders
the text around it."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from typer.testing import CliRunner

from paos._files import csv_text, neutralise
from paos.cli import app
from paos.deliverables.report import deliverable
from paos.deliverables.sections import esc, evidence_appendix
from paos.errors import Problem, printable
from tests.builders import RATINGS, STAKEHOLDERS, gap, run, write_engagement

FORMULA = ("=", "+", "-", "@")


# --- case 5: anonymity by perspective and role as displayed ------------------------


def _quotes(c: dict, sid: str) -> list[dict]:
    return gap(c, sid)["evidence"]


def test_a_role_shared_across_perspectives_does_not_name_the_one_strategic_holder():
    # One partner manager declared strategic, two operational partner managers: the
    # role is shared by 3 people, but "strategic · partner_manager" fits one person.
    roles = {"pm1": "partner_manager", "pm2": "partner_manager", "pm3": "partner_manager"}
    ratings = [
        ("pm1", "strategic", "FIT-01", 1, "strategic view"),
        ("pm2", "operational", "FIT-01", 1, "ops view a"),
        ("pm3", "operational", "FIT-01", 1, "ops view b"),
    ]
    quotes = _quotes(run(ratings, roles=roles), "FIT-01")
    assert {q["text"]: q["role"] for q in quotes} == {
        "strategic view": None,
        "ops view a": None,
        "ops view b": None,
    }


def test_a_role_is_shown_once_three_share_the_perspective_and_the_role():
    roles = {f"pm{i}": "partner_manager" for i in range(1, 5)}
    ratings = [("pm1", "strategic", "FIT-01", 1, "strategic view")] + [
        (f"pm{i}", "operational", "FIT-01", 1, f"ops view {i}") for i in (2, 3, 4)
    ]
    quotes = {q["text"]: q["role"] for q in _quotes(run(ratings, roles=roles), "FIT-01")}
    assert quotes.pop("strategic view") is None
    assert set(quotes.values()) == {"partner_manager"}


def test_the_appendix_never_prints_the_role_of_a_group_too_small(tmp_path):
    people = [
        ["stakeholder_id", "role", "perspective"],
        ["a", "partner_manager", "strategic"],
        ["b", "partner_manager", ""],
        ["c", "partner_manager", ""],
        ["d", "ceo", ""],
    ]
    ratings = [
        ["stakeholder_id", "signal_id", "rating", "evidence"],
        ["a", "FIT-01", "1", "only the strategic PM says this"],
        ["b", "FIT-01", "1", "ops"],
        ["c", "FIT-01", "2", "ops too"],
        ["d", "FIT-01", "4", "fine"],
    ]
    folder = write_engagement(tmp_path / "e", stakeholders=people, ratings=ratings)
    html = str(evidence_appendix(deliverable(folder)))
    assert "partner_manager" not in html
    assert "only the strategic PM says this" in html


# --- case 6: formula safety in every CSV cell and line -----------------------------

HOSTILE = [
    "harmless\r=cmd|' /C calc'!A0",
    'line one\n=HYPERLINK("http://x")',
    "a\r\n+1+1",
    "@SUM(A1)",
    "-2+3",
    "\t=1",
    'ok, with "quotes"',
    "x\r\r-1",
    "=1\n@2\r+3",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_cells_stay_one_cell_and_start_no_formula(text):
    out = csv_text(["a", "evidence", "b"], [["x", text, 1.5], ["y", "plain", -2]])
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == 3 and all(len(r) == 3 for r in rows)
    cell = rows[1][1]
    assert not cell.startswith(FORMULA + ("\t", "\r"))
    for line in cell.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(FORMULA + ("\t",)), line
    # what a line-splitting tool sees: no physical line starts a formula
    for line in out.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(FORMULA + ("\t",)), line
    # the text is all there: only apostrophes were added
    assert cell.replace("'", "") == text.replace("'", "")
    assert rows[2][2] == "-2"  # numbers stay numbers


def test_csv_is_read_back_whole_by_polars():
    out = csv_text(["evidence", "n"], [[t, i] for i, t in enumerate(HOSTILE)])
    frame = pl.read_csv(io.StringIO(out))
    assert frame.height == len(HOSTILE) and frame["n"].to_list() == list(range(len(HOSTILE)))


def test_neutralise_leaves_numbers_and_plain_text_alone():
    assert neutralise(-3) == -3 and neutralise("plain text") == "plain text"
    assert neutralise("=1") == "'=1"


def test_gaps_csv_of_a_run_with_a_bare_cr_keeps_one_row_per_quote(tmp_path):
    ratings = [r[:] for r in RATINGS]
    ratings[2][3] = "harmless\r=cmd|' /C calc'!A0"
    folder = write_engagement(tmp_path / "e", ratings=None)
    with open(folder / "ratings.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(ratings)  # the CR quoted
    from paos.deliverables.report import save_results

    d = deliverable(folder)
    save_results(d, tmp_path / "out")
    data = (tmp_path / "out" / "gaps.csv").read_bytes().decode()
    rows = list(csv.reader(io.StringIO(data, newline="")))
    n_quotes = sum(max(1, len(g["evidence"])) for g in d.contract["gaps"])
    assert len(rows) == 1 + n_quotes
    assert all(len(r) == len(rows[0]) for r in rows)
    for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(FORMULA), line


# --- case 9: control characters escaped in messages, bidi isolated in HTML ---------

ESCAPES = [
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "abc\u202edcba",
    "x\u2066y\u2069",
    "nul\x00",
    "\x9b2J",
    "a\u200fb",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_printable_shows_controls_escaped(text):
    shown = printable(text)
    assert all(ch.isprintable() and ch not in "\u202e\u2066\u2069\u200f" for ch in shown)
    assert str(Problem("f.csv", "is wrong", 2, "role", text)).isprintable()


def test_the_cli_echoes_no_escape_sequence(tmp_path):
    people = [r[:] for r in STAKEHOLDERS]
    people[1][1] = "\x1b]0;pwned\x07\x1b[2J\u202ewizard"
    folder = write_engagement(tmp_path / "e", stakeholders=people)
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2
    text = result.output
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\e]0;pwned" in text and "\\u202e" in text


def test_right_to_left_overrides_are_isolated_in_html():
    assert esc("quote\u202e") == "<bdi>quote\u202e</bdi>"
    assert esc("plain <b>") == "plain &lt;b&gt;"
    assert esc("שלום") == "<bdi>שלום</bdi>"


def test_an_override_in_a_quote_cannot_reach_its_attribution(tmp_path):
    ratings = [r[:] for r in RATINGS]
    ratings[2][3] = "Nobody uses it\u202e"
    folder = write_engagement(tmp_path / "e", ratings=ratings)
    html = str(evidence_appendix(deliverable(folder)))
    quote = html.index("Nobody uses it")
    assert html[quote - 5 : quote] == "<bdi>"
    assert html.index("</bdi>", quote) < html.index("<cite>", quote)
