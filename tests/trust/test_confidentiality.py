"""Issue 16, findings 8, 9 and 11: only stakeholders who rated hide a quote's author or
count as evidence; the PAI range is shown only where it identifies nobody; a benchmark
peer is another client, counted once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from paos import score
from paos.cli import app
from paos.deliverables.report import deliverable, stakeholder_counts
from paos.deliverables.sections import benchmark, evidence_appendix, executive_summary
from paos.method.store import store_rows, write_runs
from tests.builders import RB, everywhere, evidence, write_engagement

# --- finding 8: anonymity and evidence counts from raters only -------------------

PEOPLE = [
    ["stakeholder_id", "role", "perspective"],
    ["c", "ceo", ""],
    ["s1", "sales", ""],  # the one sales stakeholder who rates
    ["s2", "sales", ""],  # listed, rates nothing
    ["s3", "sales", ""],  # a row with a blank rating only ("cannot judge")
]
RATED_BY_ONE = [
    ["stakeholder_id", "signal_id", "rating", "evidence"],
    ["c", "FIT-01", "4", "we have a profile"],
    ["s1", "FIT-01", "1", "only the one sales rater says this"],
    ["s3", "FIT-01", "", "cannot judge"],
]


def test_a_role_listed_three_times_but_rated_by_one_is_not_attributed(tmp_path):
    folder = write_engagement(tmp_path / "e", stakeholders=PEOPLE, ratings=RATED_BY_ONE)
    d = deliverable(folder)
    (quote,) = [
        e for g in d.contract["gaps"] for e in g["evidence"] if e["perspective"] == "operational"
    ]
    assert quote["text"] == "only the one sales rater says this"
    assert quote["role"] is None
    text = evidence_appendix(d).text()
    assert "only the one sales rater says this" in text
    assert "operational · sales" not in text and "sales" not in text.split("says this")[1]


def test_the_summary_counts_only_stakeholders_who_rated(tmp_path):
    folder = write_engagement(tmp_path / "e", stakeholders=PEOPLE, ratings=RATED_BY_ONE)
    d = deliverable(folder)
    assert stakeholder_counts(d)["operational"] == 1  # 3 listed, 1 rated
    assert "Evidence from 2 stakeholders" in executive_summary(d).text()  # 1 + 1 who rated


def test_a_stakeholder_whose_first_answer_is_blank_is_still_a_rater():
    """`rated_stakeholders` keeps the first of each run of one stakeholder's non-blank
    ratings: a blank answer first ("cannot judge") must not hide the ratings after it,
    whatever the order of the rows."""
    rows = [
        ("a", "operational", "FIT-01", None),
        ("a", "operational", "FIT-02", 3),
        ("b", "operational", "FIT-01", None),
        ("c", "operational", "FIT-02", None),
        ("c", "operational", "FIT-03", None),
        ("c", "operational", "FIT-01", 2),
        ("b", "operational", "FIT-02", None),
    ]
    for order in (rows, rows[::-1], rows[1:] + rows[:1]):
        rated = score(evidence(order), RB).stakeholders
        assert dict(zip(rated["stakeholder_id"], rated["rated"], strict=True)) == {
            "a": True,
            "b": False,
            "c": True,
        }


def test_a_role_is_attributed_once_three_of_it_rated(tmp_path):
    ratings = [*RATED_BY_ONE[:3], ["s2", "FIT-02", "3", ""], ["s3", "FIT-02", "2", ""]]
    folder = write_engagement(tmp_path / "e", stakeholders=PEOPLE, ratings=ratings)
    d = deliverable(folder)
    roles = {e["text"]: e["role"] for g in d.contract["gaps"] for e in g["evidence"]}
    assert roles["only the one sales rater says this"] == "sales"
    assert stakeholder_counts(d)["operational"] == 3


# --- finding 9: the PAI range only with enough raters ------------------------------


def _everyone(folder: Path, n: int) -> Path:
    """An engagement whose n stakeholders (half strategic, half operational) rate
    every signal, differently enough that leaving one out moves the PAI."""
    people = [["stakeholder_id", "role", "perspective"]]
    ratings = [["stakeholder_id", "signal_id", "rating", "evidence"]]
    for i in range(n):
        people.append([f"p{i}", "ceo" if i % 2 else "sales", ""])
        for j, s in enumerate(RB.signals):
            ratings.append([f"p{i}", s.id, str(1 + (i + j) % 4), ""])
    return write_engagement(folder, stakeholders=people, ratings=ratings)


def test_the_pai_range_is_withheld_below_twice_the_anonymity_minimum(tmp_path):
    least = 2 * RB["anonymity_min_role_group"]
    d = deliverable(_everyone(tmp_path / "few", least - 1))
    r = d.contract["robustness"]
    assert r["variants"] == least - 1 and r["pai_min"] is not None  # results.json keeps it
    text = executive_summary(d).text()
    shown = text.replace("The range without any one stakeholder is withheld", "")
    assert "without any one stakeholder" not in shown
    assert (
        "The range without any one stakeholder is withheld to protect anonymity "
        f"({least - 1} stakeholders rated; it is shown from {least})"
    ) in text
    assert sum("withheld" in line for line in text.splitlines()) == 1


def test_the_pai_range_is_shown_from_twice_the_anonymity_minimum(tmp_path):
    least = 2 * RB["anonymity_min_role_group"]
    d = deliverable(_everyone(tmp_path / "enough", least))
    r = d.contract["robustness"]
    lo, hi = d.figures.score(r["pai_min"]), d.figures.score(r["pai_max"])
    text = executive_summary(d).text()
    assert "withheld" not in text
    assert (f"{lo}–{hi}" if lo != hi else f"stays {lo}") + " without any one stakeholder" in text


# --- finding 11: a benchmark peer is another client, counted once -----------------


def _past(eid: str, client: str, op: list[int], on: dt.date):
    ev = evidence(everywhere(op), eid=eid)
    eng = ev.engagements.with_columns(client=pl.lit(client), assessed_on=pl.lit(on))
    return score(dataclasses.replace(ev, engagements=eng), RB)


def test_the_deliverable_never_benchmarks_against_one_clients_assessments(tmp_path):
    """Five past assessments of one other client: one peer, no quartiles printed."""
    runs = [
        _past(f"globex-{y}", "Globex", [1 + y % 4], dt.date(y, 1, 1)) for y in range(2020, 2025)
    ]
    write_runs(pl.concat([store_rows(r) for r in runs]), tmp_path / "store")
    folder = write_engagement(tmp_path / "acme")
    d = deliverable(folder, store=tmp_path / "store")
    assert d.benchmark is not None and d.benchmark["peer_group"]["size"] == 1
    text = benchmark(d).text()
    assert "Too few peers to benchmark: 1 other client with a past engagement" in text
    assert "quartile" not in text
    cli = CliRunner().invoke(app, ["benchmark", str(folder), "--store", str(tmp_path / "store")])
    assert cli.exit_code == 0, cli.output
    assert "1 other client(s) with a past engagement" in cli.stdout
