"""The Architecture Check (methodology section 9): the screening before a diagnostic.

One rating per dimension after the first focused exchange; a dimension rated
at or below the rulebook's level is a "constraint likely", and any such
dimension recommends a full diagnostic. No PAI is computed from a check.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from paos._defaults import ID_PATTERN
from paos._files import atomic_write_text
from paos.base.csv_rows import csv_rows
from paos.base.files import Refused, decode, read_file
from paos.base.limits import MAX_META_BYTES
from paos.base.problems import cascade, listed
from paos.base.rulebook import DEFAULT_RULEBOOK, Rulebook, load_rulebook
from paos.base.tables import NO_HEADER
from paos.base.text import unsafe_text
from paos.base.yaml_events import read_yaml
from paos.errors import EvidenceError, FaultError, Problem

HEAD_KEYS = ("id", "prospect", "assessed_on", "analyst")


def screen(ratings: dict[str, int], rulebook: Rulebook) -> dict:
    """Screen a prospect from one rating per dimension id (all dimensions required)."""
    rule = rulebook["screening"]
    dims = []
    for d in rulebook.dimensions:
        rating = ratings[d.id]
        dims.append(
            {
                "id": d.id,
                "name": d.name,
                "question": d.screening_question,
                "rating": rating,
                "constraint_likely": rating <= rule["constraint_at_or_below"],
            }
        )
    any_constraint = any(d["constraint_likely"] for d in dims)
    return {
        "rulebook": {"id": rulebook.id, "sha256": rulebook.sha256},
        "rating_scale": [rulebook["rating_scale"]["min"], rulebook["rating_scale"]["max"]],
        "constraint_at_or_below": rule["constraint_at_or_below"],
        # the cut's level name ("" when the cut is no level of the scale, e.g. 0)
        "constraint_level": rulebook["rating_scale"]["levels"]
        .get(rule["constraint_at_or_below"], {})
        .get("name", ""),
        "dimensions": dims,
        "constraints": [d["id"] for d in dims if d["constraint_likely"]],
        "recommendation": rule["recommendation_if_constraint"]
        if any_constraint
        else rule["recommendation_otherwise"],
    }


ANSWER_KEYS = ("rating", "note")
CSV_COLUMNS = ("dimension", "rating", "note")


def read_answers(path: str | Path, rulebook: Rulebook) -> tuple[dict, dict[str, int]]:
    """Read an answers file: CSV `dimension,rating[,note]` or YAML with `answers:`
    mapping dimension -> rating or {rating, note} (plus optional id, prospect,
    assessed_on, analyst).
    Read as evidence is (`paos.evidence.intake`): a regular file of bounded size, strict CSV,
    YAML without aliases or tags whose every value stays the text written. Every cell
    is used or refused: an unknown key or column, a column without a header, a header
    given twice, a control character in any value (or a bidirectional control in a
    dimension or the id) are each one problem.
    Returns (header fields, ratings); raises `EvidenceError` with every problem, or
    `FaultError` if the file cannot be read because of the environment.
    """
    path = Path(path)
    label = str(path)
    if not os.path.lexists(path):
        raise EvidenceError([Problem(label, "does not exist")])
    try:
        text = decode(read_file(path, label, MAX_META_BYTES), label)
        if path.suffix.lower() in (".yaml", ".yml"):
            head, rows, problems = _yaml_answers(text, label)
        else:
            head, (rows, problems) = {}, _csv_answers(text, label)
    except Refused as err:
        if err.fault:
            raise FaultError(str(err.problem)) from None
        raise EvidenceError([err.problem]) from None
    cells = [(line, key, value) for key, (line, value) in head.items()]
    cells += [
        (line, column, value)
        for line, dim, rating, note in rows
        for column, value in (("dimension", dim), ("rating", rating), ("note", note))
    ]
    refusals = {
        Problem(label, rule, line, column, value)
        for line, column, value in cells
        if isinstance(value, str) and (rule := unsafe_text(value, column in ("id", "dimension")))
    }
    ratings, notes = {}, {}
    known = [d.id for d in rulebook.dimensions]
    lo, hi = rulebook["rating_scale"]["min"], rulebook["rating_scale"]["max"]
    for line, dim, rating, note in rows:
        dim_id = dim.strip().upper()
        if dim_id not in known:
            problems.append(
                Problem(label, f"is not a dimension ({', '.join(known)})", line, "dimension", dim)
            )
            continue
        if dim_id in ratings:
            problems.append(Problem(label, "is answered twice", line, "dimension", dim))
        if str(rating).strip() not in {str(v) for v in range(lo, hi + 1)}:
            problems.append(Problem(label, f"is not a rating ({lo}-{hi})", line, "rating", rating))
            continue
        ratings[dim_id], notes[dim_id] = int(str(rating).strip()), note
    answered = {r[1].strip().upper() for r in rows}
    problems += [
        Problem(label, "has no answer", None, "dimension", d) for d in known if d not in answered
    ]
    problems = cascade([*problems, *sorted(refusals, key=Problem.sort_key)], refusals)
    if problems:
        raise EvidenceError(listed(problems, "problems with the answers"))
    out = {k: v for k, (_, v) in head.items()}
    out["notes"] = notes
    return out, ratings


def _yaml_answers(text: str, label: str) -> tuple[dict[str, tuple], list[tuple], list[Problem]]:
    """The head fields ({key: (line, value)}), the (line, dimension, rating, note) rows
    and the problems of a YAML answers file."""
    nested: dict[tuple, int] = {}
    data, lines, problems = read_yaml(text, label, nested)
    if problems:
        raise EvidenceError(problems)
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise EvidenceError(
            [
                Problem(
                    label,
                    "needs a mapping `answers:` of dimension: rating",
                    lines.get("answers"),
                    "answers",
                )
            ]
        )
    known = ", ".join([*HEAD_KEYS, "answers"])
    problems = [
        Problem(label, f"is not a known key (known: {known})", lines.get(k), k)
        for k in data
        if k not in (*HEAD_KEYS, "answers")
    ]
    head = {k: (lines.get(k), v) for k, v in data.items() if k in HEAD_KEYS}
    problems += [
        Problem(label, "must be a single value, not a list or mapping", lines.get(k), k)
        for k, (_, v) in head.items()
        if isinstance(v, dict | list)
    ]
    rows = []
    for k, v in data["answers"].items():
        line = nested.get(("answers", k))
        if isinstance(v, dict):
            problems += [
                Problem(
                    label,
                    f"is not a known key of an answer (known: {', '.join(ANSWER_KEYS)})",
                    nested.get(("answers", k, key)),
                    key,
                    k,
                )
                for key in v
                if key not in ANSWER_KEYS
            ]
            rating, note = v.get("rating"), v.get("note")
        else:
            rating, note = v, ""
        for name, value in (("rating", rating), ("note", note)):
            if isinstance(value, dict | list):
                problems.append(
                    Problem(label, "must be a single value, not a list or mapping", line, name, k)
                )
        if not isinstance(rating, dict | list):
            rows.append((line, k, rating or "", note if isinstance(note, str) else ""))
    return head, rows, problems


def _csv_answers(text: str, label: str) -> tuple[list[tuple], list[Problem]]:
    """The (line, dimension, rating, note) rows of a CSV answers file, and its
    problems: a header named twice, unknown or blank with a value below, a ragged row."""
    rows = csv_rows(text, label)
    fields = [f.strip().lower() for f in rows[0]] if rows else []
    for need in ("dimension", "rating"):
        if need not in fields:
            raise EvidenceError([Problem(label, "required column is missing", 1, need)])
    problems = [
        Problem(label, "appears twice in the header", 1, f)
        for j, f in enumerate(fields)
        if f and f in fields[:j]
    ]
    problems += [
        Problem(label, f"is not a known column (known: {', '.join(CSV_COLUMNS)})", 1, f)
        for f in fields
        if f and f not in CSV_COLUMNS
    ]
    out, ragged, headless = [], [], []
    for i, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue  # blank line
        if len(row) != len(fields):
            ragged.append(
                Problem(label, f"has {len(row)} fields but the header has {len(fields)}", i)
            )
            continue
        headless += [
            Problem(label, NO_HEADER, i, str(j + 1), v)
            for j, (f, v) in enumerate(zip(fields, row))
            if not f and v.strip()
        ]
        cells = {k: v.strip() for k, v in reversed(list(zip(fields, row)))}
        out.append((i, cells["dimension"], cells["rating"], cells.get("note", "")))
    problems += listed(ragged, "more or fewer fields than the header")
    problems += listed(headless, "a value in a column without a header")
    return out, problems


def assess(
    answers: str | Path, rulebook: str | Path | Rulebook | None = None, run_date: str | None = None
) -> dict:
    """Read and screen an answers file. The prospect id (the file's `id`, or its
    name for a CSV) must be a valid id: it becomes the report folder's name."""
    path = Path(answers)
    book = (
        rulebook if isinstance(rulebook, Rulebook) else load_rulebook(rulebook or DEFAULT_RULEBOOK)
    )
    head, ratings = read_answers(path, book)
    pid = str(head.get("id") or path.stem).strip()
    if not re.fullmatch(ID_PATTERN, pid):
        raise EvidenceError(
            [
                Problem(
                    str(path),
                    "is not a valid id (1-64 letters, digits, '.', "
                    "'_' or '-', starting with a letter or digit)",
                    column="id",
                    value=pid,
                )
            ]
        )
    result = screen(ratings, book)
    for d in result["dimensions"]:
        d["note"] = head["notes"].get(d["id"], "")
        d["level"] = book["rating_scale"]["levels"][d["rating"]]["name"]
    return {
        "id": pid,
        "prospect": str(head.get("prospect") or pid),
        "assessed_on": str(head.get("assessed_on") or ""),
        "analyst": str(head.get("analyst") or ""),
        "run_date": run_date or dt.date.today().isoformat(),
        **result,
    }


def save(check: dict, output_dir: str | Path | None) -> list[Path]:
    """Write check.json atomically to `output_dir` (nothing when none is given)."""
    if not output_dir:
        return []
    return [
        atomic_write_text(
            Path(output_dir) / "check.json", json.dumps(check, ensure_ascii=False, indent=2) + "\n"
        )
    ]
