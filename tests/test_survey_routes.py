"""`paos import` routes an analyst used to do by hand: SurveyMonkey's older header
spelling, the offline questionnaire returned filled in, and exports too large for
the evidence they would make (refused before anything is written, in bounded
memory)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paos.cli import app
from paos.evidence.scaffold import new_engagement
from paos.evidence.surveys import import_export, suggest_mapping
from paos.evidence.validate import load_evidence
from paos.method.rulebook import load_rulebook

RB = load_rulebook("paos-v1")
SIG = {s.id: s for s in RB.signals}
Q = {sid: s.question for sid, s in SIG.items()}


def csv_file(path: Path, rows: list[list[object]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


@pytest.fixture
def eng(tmp_path) -> Path:
    """An engagement folder as `paos new` makes it, with client and date filled in."""
    folder = tmp_path / "acme"
    new_engagement(folder, RB, "acme")
    text = (folder / "engagement.yaml").read_text()
    text = text.replace("client:\n", 'client: "Acme"\n').replace(
        "assessed_on:\n", 'assessed_on: "2026-03-01"\n'
    )
    (folder / "engagement.yaml").write_text(text)
    return folder


def imported(folder: Path) -> tuple[dict, dict]:
    """(role and perspective by stakeholder, (rating, evidence) by stakeholder and signal)."""
    ev = load_evidence([folder])
    people = {
        r["stakeholder_id"]: (r["role"], r["perspective"]) for r in ev.stakeholders.to_dicts()
    }
    ratings = {
        (r["stakeholder_id"], r["signal_id"]): (r["rating"], r["evidence"])
        for r in ev.ratings.to_dicts()
    }
    return people, ratings


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- SurveyMonkey's older header spelling -----------------------------------------

LEGACY_META = [
    "RespondentID",
    "CollectorID",
    "StartDate",
    "EndDate",
    "IPAddress",
    "Email",
    "FirstName",
    "LastName",
    "CustomData",
]


def legacy_surveymonkey(path: Path) -> Path:
    return csv_file(
        path,
        [
            LEGACY_META + ["What is your role?", f"Q1. {Q['FIT-01']}", "Why?"],
            [None] * len(LEGACY_META) + ["Response", "Response", "Open-Ended Response"],
            [
                "114000000001",
                "400000001",
                "02/01/2026 10:00:00 AM",
                "02/01/2026 10:05:00 AM",
                "198.51.100.7",
                "carol@client.example",
                "Carol",
                "Example",
                "NW-01",
                "Head of Partnerships",
                "Defined",
                "We apply written criteria",
            ],
            [
                "114000000002",
                "400000001",
                "02/01/2026 11:00:00 AM",
                "02/01/2026 11:05:00 AM",
                "198.51.100.8",
                "dan@client.example",
                "Dan",
                "Example",
                "NW-02",
                "CEO",
                "Don't know",
                None,
            ],
        ],
    )


def test_surveymonkey_older_header_spelling_imports_unchanged(eng, tmp_path):
    export = legacy_surveymonkey(tmp_path / "monkey.csv")
    result = import_export(export, eng)
    assert result.export.tool == "surveymonkey"
    assert [c.key for c in result.export.metadata] == LEGACY_META
    people, ratings = imported(eng)
    assert people == {
        "sm-114000000001": ("head_of_partnerships", "strategic"),
        "sm-114000000002": ("ceo", "strategic"),
    }
    assert ratings == {("sm-114000000001", "FIT-01"): (3, "We apply written criteria")}
    text = (eng / "stakeholders.csv").read_text() + (eng / "ratings.csv").read_text()
    assert not any(v in text for v in ("Carol", "carol@", "198.51.100", "NW-01"))


def test_suggest_ignores_the_older_surveymonkey_metadata(tmp_path):
    text = suggest_mapping(legacy_surveymonkey(tmp_path / "monkey.csv"))
    assert "(SurveyMonkey export)" in text
    for name in LEGACY_META:
        assert f'  "{name}": ignore  # SurveyMonkey metadata' in text
    assert "# CHECK" not in text


def test_suggest_never_guesses_a_metadata_column_as_a_signal(tmp_path):
    """A plain table (no tool recognised) with a tool's metadata headers: suggested
    as ignored, to check, never as the signal their words resemble."""
    export = csv_file(
        tmp_path / "plain.csv",
        [["Custom Data 1", "CustomData", "IP Address", Q["FIT-01"]], ["x", "y", "z", "3"]],
    )
    text = suggest_mapping(export)
    assert '  "Custom Data 1": ignore  # CHECK: a survey tool\'s metadata column' in text
    assert '  "CustomData": ignore  # CHECK: a survey tool\'s metadata column' in text
    assert '  "IP Address": ignore  # CHECK' in text
