"""The Architecture Check (methodology section 9): the screening before a diagnostic.

One rating per dimension after the first focused exchange; a dimension rated
at or below the rulebook's level is a "constraint likely", and any such
dimension recommends a full diagnostic. No PAI is computed from a check.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import yaml

from paos.errors import EvidenceError, Problem
from paos.files import atomic_write_text
from paos.rulebook import DEFAULT_RULEBOOK, Rulebook, load_rulebook

ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"


def screen(ratings: dict[str, int], rulebook: Rulebook) -> dict:
    """Screen a prospect from one rating per dimension id (all dimensions required)."""
    rule = rulebook["screening"]
    dims = []
    for d in rulebook.dimensions:
        rating = ratings[d.id]
        dims.append({"id": d.id, "name": d.name, "question": d.screening_question,
                     "rating": rating,
                     "constraint_likely": rating <= rule["constraint_at_or_below"]})
    any_constraint = any(d["constraint_likely"] for d in dims)
    return {
        "rulebook": {"id": rulebook.id, "sha256": rulebook.sha256},
        "dimensions": dims,
        "constraints": [d["id"] for d in dims if d["constraint_likely"]],
        "recommendation": rule["recommendation_if_constraint"] if any_constraint
        else rule["recommendation_otherwise"],
    }


def read_answers(path: str | Path, rulebook: Rulebook) -> tuple[dict, dict[str, int]]:
    """Read an answers file: CSV `dimension,rating[,note]` or YAML with `answers:`
    mapping dimension -> rating (plus optional prospect, assessed_on, analyst).
    Returns (header fields, ratings); raises `EvidenceError` with every problem.
    """
    path = Path(path)
    if not path.is_file():
        raise EvidenceError([Problem(str(path), "does not exist")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise EvidenceError([Problem(str(path), "is not UTF-8 text; save it as UTF-8")])
    rows: list[tuple[int | None, str, object, str]] = []
    head: dict = {}
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
            raise EvidenceError([Problem(str(path), "needs a mapping `answers:` of "
                                         "dimension: rating", column="answers")])
        head = {k: v for k, v in data.items() if k != "answers"}
        for k, v in data["answers"].items():
            rating, note = (v.get("rating"), v.get("note", "")) if isinstance(v, dict) else (v, "")
            rows.append((None, str(k), rating, note or ""))
    else:
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        for need in ("dimension", "rating"):
            if need not in fields:
                raise EvidenceError([Problem(str(path), "required column is missing", 1, need)])
        for i, row in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            rows.append((i, row["dimension"], row["rating"], row.get("note", "")))
    problems, ratings, notes = [], {}, {}
    known = [d.id for d in rulebook.dimensions]
    lo, hi = rulebook["rating_scale"]["min"], rulebook["rating_scale"]["max"]
    for line, dim, rating, note in rows:
        dim_id = dim.strip().upper()
        if dim_id not in known:
            problems.append(Problem(str(path), f"is not a dimension ({', '.join(known)})",
                                    line, "dimension", dim))
            continue
        if dim_id in ratings:
            problems.append(Problem(str(path), "is answered twice", line, "dimension", dim))
        if str(rating).strip() not in {str(v) for v in range(lo, hi + 1)}:
            problems.append(Problem(str(path), f"is not a rating ({lo}-{hi})", line, "rating",
                                    rating))
            continue
        ratings[dim_id], notes[dim_id] = int(str(rating).strip()), note
    problems += [Problem(str(path), "has no answer", None, "dimension", d)
                 for d in known if d not in ratings and not any(
                     r[1].strip().upper() == d for r in rows)]
    if problems:
        raise EvidenceError(problems)
    head["notes"] = notes
    return head, ratings


def prepare(answers: str | Path, rulebook: str | Path | Rulebook | None = None,
            run_date: str | None = None) -> dict:
    """Read and screen an answers file. The prospect id (the file's `id`, or its
    name for a CSV) must be a valid id: it becomes the report folder's name."""
    path = Path(answers)
    book = rulebook if isinstance(rulebook, Rulebook) else load_rulebook(
        rulebook or DEFAULT_RULEBOOK)
    head, ratings = read_answers(path, book)
    pid = str(head.get("id") or path.stem).strip()
    if not re.fullmatch(ID_PATTERN, pid):
        raise EvidenceError([Problem(str(path), "is not a valid id (1-64 letters, digits, '.', "
                                     "'_' or '-', starting with a letter or digit)",
                                     column="id", value=pid)])
    result = screen(ratings, book)
    for d in result["dimensions"]:
        d["note"] = head["notes"].get(d["id"], "")
        d["level"] = book["rating_scale"]["levels"][d["rating"]]["name"]
    return {"id": pid, "prospect": str(head.get("prospect") or pid),
            "assessed_on": str(head.get("assessed_on") or ""),
            "analyst": str(head.get("analyst") or ""),
            "run_date": run_date or dt.date.today().isoformat(), **result}


def save(check: dict, output_dir: str | Path | None) -> list[Path]:
    """Write check.json atomically to `output_dir` (nothing when none is given)."""
    if not output_dir:
        return []
    return [atomic_write_text(Path(output_dir) / "check.json",
                              json.dumps(check, ensure_ascii=False, indent=2) + "\n")]
