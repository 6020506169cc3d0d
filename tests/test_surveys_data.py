"""data/surveys: the committed survey exports are what data/surveys/generate.py writes,
and each holds every rating and evidence comment of northwind-2026-09 in its own tool's
encoding (read back here with csv and openpyxl, not with `paos import`)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from pathlib import Path

import openpyxl
import pytest

from paos.base.rulebook import load_rulebook
from paos.evidence.vocabulary import CANNOT_JUDGE, choice_text, role_label

ROOT = Path(__file__).resolve().parents[1]
SURVEYS = ROOT / "data" / "surveys"
DEMO = ROOT / "data" / "engagements" / "northwind-2026-09"
RB = load_rulebook("paos-v1")
SIGNALS = list(RB.signals)
LEVELS = {v["name"]: int(k) for k, v in RB["rating_scale"]["levels"].items()}
NAMES = [
    "northwind-qualtrics.csv",
    "northwind-google-forms.csv",
    "northwind-ms-forms.xlsx",
    "northwind-surveymonkey.csv",
    "northwind-surveymonkey-legacy.csv",
]


def generator():
    spec = importlib.util.spec_from_file_location("surveys_generate", SURVEYS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def demo() -> tuple[list[tuple[str, str]], dict[tuple[str, str], tuple[int | None, str | None]]]:
    """[(role label, perspective)] in file order and (rating, evidence) by (stakeholder
    number from 1, signal)."""
    with open(DEMO / "stakeholders.csv", newline="", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    number = {p["stakeholder_id"]: n for n, p in enumerate(people, start=1)}
    with open(DEMO / "ratings.csv", newline="", encoding="utf-8") as fh:
        ratings = {
            (number[r["stakeholder_id"]], r["signal_id"]): (
                int(r["rating"]) if r["rating"] else None,
                r["evidence"] or None,
            )
            for r in csv.DictReader(fh)
        }
    return [(role_label(p["role"]), p["perspective"]) for p in people], ratings


def rows_of(name: str) -> list[list[str]]:
    data = (SURVEYS / name).read_bytes()
    if name.endswith(".xlsx"):
        ws = openpyxl.load_workbook(io.BytesIO(data))["Sheet1"]
        return [
            ["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)
        ]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))


def test_the_committed_exports_are_what_the_generator_writes(tmp_path):
    assert generator().main(["--out", str(tmp_path)]) == 0
    for name in NAMES:
        if name.endswith(".xlsx"):
            # Cell by cell: openpyxl writes the same cells with other XML spacing when
            # lxml is installed (python-pptx brings it), so the bytes depend on the venv.
            ws = openpyxl.load_workbook(tmp_path / name)["Sheet1"]
            made = [
                ["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)
            ]
            assert made == rows_of(name), name
        else:
            assert (tmp_path / name).read_bytes() == (SURVEYS / name).read_bytes(), name


def read_back(name: str):
    """(role label, perspective) per response and {(response number, signal): (rating,
    evidence)} for every answered pair, decoded as each tool encodes it."""
    rows = rows_of(name)
    if name.endswith("qualtrics.csv"):
        ids, texts, imports = rows[:3]
        assert all("ImportId" in json.loads(cell) for cell in imports)
        assert texts[ids.index("role")] == "What is your role?"
        col = {sid: ids.index(sid) for sid in (s.id for s in SIGNALS)}
        why = {sid: ids.index(f"{sid}_why") for sid in col}
        assert all(texts[why[s]] == "Why?" for s in why)
        assert all(texts[col[s.id]] == s.question for s in SIGNALS)
        body, role, persp = rows[3:], ids.index("role"), ids.index("perspective")
        no_rating = CANNOT_JUDGE
    elif name.endswith("google-forms.csv"):
        head = rows[0]
        dims = {d.id: d.name for d in RB.dimensions}
        col = {s.id: head.index(f"{dims[s.dimension]} [{s.question}]") for s in SIGNALS}
        why = {s.id: head.index(f"Why? {s.question}") for s in SIGNALS}
        body, role, persp = rows[1:], head.index("What is your role?"), head.index("perspective")
        no_rating = CANNOT_JUDGE
    elif name.endswith("ms-forms.xlsx"):
        head = rows[0]
        assert head[:6] == [
            "ID",
            "Start time",
            "Completion time",
            "Email",
            "Name",
            "Last modified time",
        ]
        col = {s.id: head.index(f"{n}. {s.question}") for n, s in enumerate(SIGNALS, start=1)}
        why = {s.id: head.index(f"Comment: {s.question}") for s in SIGNALS}
        body, role, persp = rows[1:], head.index("What is your role?"), head.index("perspective")
        no_rating = None
    else:
        first, second = rows[:2]
        col = {s.id: first.index(f"Q{n}. {s.question}") for n, s in enumerate(SIGNALS, start=1)}
        why = {s.id: col[s.id] + 1 for s in SIGNALS}
        assert all(first[why[s]] == "Why?" for s in why)
        assert all(second[col[s]] == "Response" for s in col)
        assert all(second[why[s]] == "Open-Ended Response" for s in why)
        body, role, persp = rows[2:], first.index("What is your role?"), first.index("perspective")
        no_rating = "Don't know"
    people, got = [], {}
    by_signal = {s.id: s for s in SIGNALS}
    for n, row in enumerate(body, start=1):
        people.append((row[role], row[persp]))
        for sid in col:
            answer, comment = row[col[sid]], row[why[sid]]
            if not answer and not comment:
                continue
            if answer in ("", no_rating):
                rating = None
            elif "surveymonkey" in name:
                rating = LEVELS[answer]
            elif name.endswith("ms-forms.xlsx"):
                rating = int(answer)
            else:
                level = int(answer.split(" - ", 1)[0])
                assert answer == choice_text(level, by_signal[sid].rubric[level])
                rating = level
            got[(n, sid)] = (rating, comment or None)
    return people, got


@pytest.mark.parametrize("name", NAMES)
def test_each_export_holds_every_rating_and_comment_of_the_demo(name):
    want_people, want = demo()
    people, got = read_back(name)
    assert people == want_people
    if name.endswith("ms-forms.xlsx"):
        # Microsoft Forms leaves "no rating" blank: a no-rating row without a comment
        # leaves no trace (it scores the same: such a row adds nothing).
        want = {k: v for k, v in want.items() if v != (None, None)}
    assert got == want


@pytest.mark.parametrize("name", NAMES)
def test_no_real_name_of_the_demo_reaches_an_export(name):
    with open(DEMO / "stakeholders.csv", newline="", encoding="utf-8") as fh:
        names = [r["name"] for r in csv.DictReader(fh)]
    text = "\n".join(",".join(r) for r in rows_of(name))
    assert not [n for n in names if n in text]
