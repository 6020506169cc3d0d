"""Round trip through the survey tools: the northwind demo as each tool exports it
(data/surveys/, written by its generator from the demo's evidence) imports with
`paos import` to evidence that scores exactly as the demo does; and (issue 16) for
every signal of every bundled rulebook, an export whose columns carry the titles
`paos questionnaire --format csv` writes (with and without the id prefix, with and
without the Why? columns; answers as numbers, level names or `3 - ...` choices)
imports to evidence that scores exactly as the evidence it was made from."""

from __future__ import annotations

import csv
import functools
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import paos
from paos import contract, diagnose
from paos.base.rulebook import Rulebook, load_rulebook
from paos.evidence.questionnaire import render
from paos.evidence.scaffold import new_engagement
from paos.evidence.surveys import import_export
from paos.evidence.surveys.responses import personal
from paos.evidence.vocabulary import CANNOT_JUDGE, ROLE_QUESTION, choice_text, role_labels
from tests.profiles import examples

DATA = Path(__file__).parent.parent / "data"
DEMO = DATA / "engagements" / "northwind-2026-09"
EXPORTS = sorted((DATA / "surveys").glob("northwind-*.*"))


@pytest.fixture(scope="module")
def demo() -> dict:
    return contract(diagnose(DEMO))


def test_there_is_an_export_of_every_tool():
    assert [p.name for p in EXPORTS] == [
        "northwind-google-forms.csv",
        "northwind-ms-forms.xlsx",
        "northwind-qualtrics.csv",
        "northwind-surveymonkey-legacy.csv",
        "northwind-surveymonkey.csv",
    ]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_an_imported_export_scores_as_the_demo(export, demo, tmp_path):
    folder = tmp_path / "northwind-2026-09"
    folder.mkdir()
    for name in ("engagement.yaml", "metrics.csv"):
        shutil.copy(DEMO / name, folder / name)
    import_export(export, folder)
    assert contract(diagnose(folder)) == demo


def test_an_overlapping_export_appended_scores_as_the_demo(demo, tmp_path):
    """Issue 16 item 1: the first 6 responses imported, then the whole export
    appended: every respondent counts once (13, not 19), the scores are the demo's."""
    export = DATA / "surveys" / "northwind-qualtrics.csv"
    rows = export.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    first = tmp_path / "first.csv"
    first.write_text("".join(rows[: 3 + 6]), encoding="utf-8")
    folder = tmp_path / "northwind-2026-09"
    folder.mkdir()
    for name in ("engagement.yaml", "metrics.csv"):
        shutil.copy(DEMO / name, folder / name)
    import_export(first, folder)
    import_export(export, folder, append=True)
    import_export(export, folder, append=True)  # the same export again: nothing new
    assert contract(diagnose(folder)) == demo


# --- the questionnaire's own titles, every signal of every bundled rulebook ---------

BUNDLED = sorted(p.stem for p in (Path(paos.__file__).parent / "rulebooks").glob("*.yaml"))


def _titles(rb: Rulebook) -> dict[str, tuple[str, str]]:
    """(rating title, comment title) per signal, as `paos questionnaire --format csv`
    writes them."""
    out: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(render(rb, "csv").decode("utf-8"))):
        if row["type"] in ("rating", "comment"):
            out.setdefault(row["signal_id"], []).append(row["question"])
    return {sid: (t[0], t[1]) for sid, t in out.items()}


COMMENTS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\n=-+@"),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() and personal(t) is None)
STYLES = ("number", "level", "choice")


@st.composite
def surveys(draw, rb: Rulebook):
    """(respondents as (role, {signal: (rating, comment)}), with id prefix, with Why?
    columns, an answer style per cell)."""
    roles = [r for r in rb.role_perspectives]  # each with a default perspective
    with_ids, with_why = draw(st.booleans()), draw(st.booleans())
    people = []
    for _ in range(draw(st.integers(1, 5))):
        answers = {}
        for s in rb.signals:
            rating = draw(
                st.none() | st.integers(rb["rating_scale"]["min"], rb["rating_scale"]["max"])
            )
            comment = draw(st.none() | COMMENTS) if with_why else None
            answers[s.id] = (rating, comment, draw(st.sampled_from(STYLES)))
        people.append((draw(st.sampled_from(roles)), answers))
    return people, with_ids, with_why


def _answer(rb: Rulebook, sid: str, rating: int | None, style: str, n: int) -> str:
    if rating is None:
        return ("", CANNOT_JUDGE)[n % 2]
    if style == "level":
        return rb["rating_scale"]["levels"][rating]["name"]
    if style == "choice":
        return choice_text(rating, {s.id: s for s in rb.signals}[sid].rubric[rating])
    return str(rating)


@functools.cache
def _meta(rulebook: str) -> str:
    """engagement.yaml as `paos new` writes it, client and date filled in."""
    with tempfile.TemporaryDirectory() as tmp:
        new_engagement(Path(tmp) / "acme", load_rulebook(rulebook), "acme")
        text = (Path(tmp) / "acme" / "engagement.yaml").read_text()
    text = text.replace("client:\n", 'client: "Acme"\n')
    return text.replace("assessed_on:\n", 'assessed_on: "2026-03-01"\n')


def _engagement(folder: Path, rulebook: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "engagement.yaml").write_text(_meta(rulebook))
    return folder


def _csv(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("rulebook", BUNDLED)
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_survey_titled_as_the_questionnaire_scores_as_its_evidence(rulebook, data):
    rb = load_rulebook(rulebook)
    people, with_ids, with_why = data.draw(surveys(rb))
    assume(any(r is not None for _, a in people for r, _, _ in a.values()))
    titles = _titles(rb)
    labels = role_labels(rb)
    header = ["Timestamp", ROLE_QUESTION]
    for s in rb.signals:
        rating, comment = titles[s.id]
        if not with_ids:
            rating, comment = rating.split("] ", 1)[1], comment.split("] ", 1)[1]
        header += [rating, comment] if with_why else [rating]
    export = [header]
    stakeholders = [["stakeholder_id", "role"]]
    ratings = [["stakeholder_id", "signal_id", "rating", "evidence", "source"]]
    for n, (role, answers) in enumerate(people, start=1):
        row = [f"2026/02/01 10:00:{n:02d}", labels[role]]
        for s in rb.signals:
            rating, comment, style = answers[s.id]
            row.append(_answer(rb, s.id, rating, style, n))
            if with_why:
                row.append(comment or "")
        export.append(row)
        mine = [
            [f"gf-{n}", s.id, "" if r is None else str(r), c or "", "survey"]
            for s in rb.signals
            for r, c, _ in [answers[s.id]]
            if r is not None or c is not None
        ]
        if mine:
            stakeholders.append([f"gf-{n}", role])
            ratings += mine
    with tempfile.TemporaryDirectory() as tmp:
        typed = _engagement(Path(tmp) / "typed" / "acme", rulebook)
        _csv(typed / "stakeholders.csv", stakeholders)
        _csv(typed / "ratings.csv", ratings)
        survey = _engagement(Path(tmp) / "survey" / "acme", rulebook)
        _csv(Path(tmp) / "export.csv", export)
        result = import_export(Path(tmp) / "export.csv", survey)
        assert result.invalid == []
        assert {j: t.kind for j, t in result.plan.targets.items() if t.signal} == {
            j: ("comment" if with_why and j % 2 else "rating")
            for j in range(2, 2 + len(rb.signals) * (2 if with_why else 1))
        }
        assert contract(diagnose(survey)) == contract(diagnose(typed))
