"""`paos import`: survey exports (Qualtrics, Google Forms, Microsoft Forms,
SurveyMonkey, PAOS's wide layout) and the offline questionnaire returned filled in
(one workbook or a folder of them, `returned`) into an engagement's
stakeholders.csv and ratings.csv.

Reading (`formats`) recognises the tool by its header rows; matching (`matching`)
gives every column a meaning from the rulebook's questions, signal ids and the
questionnaire's words (`paos.evidence.vocabulary`), or from a mapping file
(`mapping`); `responses` turns each row into a stakeholder and ratings; with
`--append`, `once` recognises the respondents the engagement holds already (every
respondent counts once); `write` writes both files or neither. Every problem is
collected and reported at once, and nothing is written if there is one. After
writing, the engagement is validated as `paos validate` does, so the analyst
learns at once what is still missing (typically engagement.yaml's client and
date)."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from paos._defaults import DEFAULT_RULEBOOK, ID_PATTERN
from paos.base.files import Refused
from paos.base.rulebook import Rulebook, load_rulebook
from paos.errors import EvidenceError, FaultError, PaosError, Problem
from paos.evidence.intake import read_meta
from paos.evidence.surveys import bounds
from paos.evidence.surveys.formats import Column, Export, read_export
from paos.evidence.surveys.mapping import MAX_PREFIX, Mapping, load_mapping
from paos.evidence.surveys.matching import Plan, plan_columns
from paos.evidence.surveys.once import count_once
from paos.evidence.surveys.responses import (
    Responses,
    perspectives,
    read_responses,
    settle_ids,
)
from paos.evidence.surveys.returned import Returned, Sheets, read_returned
from paos.evidence.surveys.suggest import suggest_text
from paos.evidence.surveys.write import (
    FILES,
    RATING_COLUMNS,
    STAKEHOLDER_COLUMNS,
    folder_problem,
    read_existing,
    table_text,
    write_both,
)
from paos.evidence.validate import load_evidence

__all__ = ["ImportResult", "import_export", "suggest_mapping", "summary_text"]


@dataclass
class ImportResult:
    export: Export
    plan: Plan
    responses: Responses
    rulebook: Rulebook
    written: list[Path] = field(default_factory=list)
    per_perspective: Counter = field(default_factory=Counter)
    invalid: list[str] = field(default_factory=list)  # `paos validate`'s lines, if any
    seconds: float = 0.0  # reading, matching and writing (not the validation)
    replaced: Replaced | None = None  # what --force replaced


@dataclass
class Replaced:
    """What `--force` replaced: every stakeholder and rating the engagement held, and
    of them those that came from no response of this export (other exports, other
    prefixes, rows typed by hand): gone with the import."""

    stakeholders: int
    ratings: int
    other_stakeholders: list[str]
    other_ratings: int


def _read(path: Path, sheets: Sheets | None = None) -> Export:
    try:
        return read_export(Path(path), sheets)
    except Refused as err:
        if err.fault:
            raise FaultError(str(err.problem)) from None
        raise EvidenceError([err.problem]) from None


def engagement_rulebook(folder: Path, ref: str | Path | None) -> Rulebook:
    """`--rulebook`, else the rulebook engagement.yaml names, else the default."""
    if ref is not None:
        return load_rulebook(ref)
    meta = read_meta(folder).meta.get("rulebook")
    return load_rulebook(str(meta).strip() if meta else DEFAULT_RULEBOOK)


def import_export(
    export_path: str | Path,
    into: str | Path,
    rulebook: str | Path | None = None,
    mapping: str | Path | None = None,
    append: bool = False,
    force: bool = False,
    complete_only: bool = False,
    prefix: str | None = None,
    validate: bool = True,
    allow_identical: bool = False,
) -> ImportResult:
    """Import one survey export into the engagement folder `into` (see the module
    docstring). Raises `EvidenceError` listing every problem (nothing written), or
    `FaultError` for a fault of the environment."""
    start = time.perf_counter()
    folder = Path(into)
    if append and force:
        raise PaosError(
            "--append and --force exclude each other: add to the evidence or replace it"
        )
    if prefix and (not re.fullmatch(ID_PATTERN, prefix) or len(prefix) > MAX_PREFIX):
        raise PaosError(
            f"--prefix {prefix!r} is not a usable id prefix (letters, digits, '.', '_', "
            f"'-'; at most {MAX_PREFIX})"
        )
    bad = folder_problem(folder)
    if bad:
        raise EvidenceError([bad])
    rb = engagement_rulebook(folder, rulebook)
    maps: Mapping | None = load_mapping(Path(mapping), rb) if mapping else None
    got = read_returned(Path(export_path), rb)
    if isinstance(got, Returned):  # questionnaires returned filled in: no columns to map
        if maps is not None:
            raise PaosError(
                f"{export_path}: returned questionnaires are read as paos wrote them; "
                "leave out --mapping"
            )
        export, plan, responses = got.export, got.plan, got.responses
    else:
        export = _read(Path(export_path), got)
        plan = plan_columns(export, rb, maps)
        responses = read_responses(export, plan, rb, maps, complete_only, max_rows=bounds.ROWS)
    if responses.over:  # reading stopped there: only this line is sure
        raise EvidenceError([bounds.too_many(export, *responses.over)])
    if plan.problems or responses.problems:  # every problem at once, columns first
        raise EvidenceError(plan.problems + responses.problems)
    if not responses.people:
        raise EvidenceError([export.problem("holds no response with a rating or a comment")])
    existing = read_existing(folder)
    filled = [f"{n}.csv" for n, (_, rows) in existing.items() if rows]
    if filled and not (append or force):
        raise EvidenceError(
            [
                Problem(
                    str(folder),
                    f"holds evidence already ({', '.join(filled)}); add this export to it "
                    "with --append, or replace it with --force",
                )
            ]
        )
    before = existing
    if force:
        existing = {n: (h, []) for n, (h, _) in existing.items()}
    taken = set()
    if "stakeholders" in existing:
        header, rows = existing["stakeholders"]
        if "stakeholder_id" in header:
            at = header.index("stakeholder_id")
            taken = {r[at].strip() for r in rows if at < len(r)}
    pfx = prefix if prefix is not None else (maps.prefix if maps else None)
    problems = settle_ids(export, responses, pfx, taken)
    if append and not problems:
        # every respondent once
        problems = count_once(export, responses, existing, allow_identical)
    if problems:
        raise EvidenceError(problems)
    # generators: the rows are laid out as the CSV text is written, never held twice
    people = ([p.stakeholder_id, p.role, p.perspective, None, None] for p in responses.people)
    ratings = (
        [responses.people[i].stakeholder_id, sid, value, comment, "survey"]
        for i, sid, value, comment in responses.ratings
    )
    texts = {
        "stakeholders": table_text(STAKEHOLDER_COLUMNS, existing.get("stakeholders"), people),
        "ratings": table_text(RATING_COLUMNS, existing.get("ratings"), ratings),
    }
    assert set(texts) == set(FILES)
    counts = {
        "stakeholders": len(existing.get("stakeholders", ([], []))[1]) + len(responses.people),
        "ratings": len(existing.get("ratings", ([], []))[1]) + len(responses.ratings),
    }
    too_large = bounds.oversized(folder, counts, texts)
    if too_large:
        raise EvidenceError([too_large])
    result = ImportResult(export, plan, responses, rb)
    if force:
        result.replaced = _replaced(before, {p.stakeholder_id for p in responses.people})
    if responses.people:  # else every response was imported before: nothing new
        result.written = write_both(folder, texts)
    result.per_perspective = perspectives(responses, rb)
    result.seconds = time.perf_counter() - start
    if validate:
        try:
            load_evidence([folder], rb)
        except FaultError:
            raise
        except PaosError as err:
            result.invalid = err.lines()
    return result


def _replaced(before: dict[str, tuple[list[str], list[list[str]]]], new: set[str]) -> Replaced:
    """What --force replaces, against the stakeholder ids of this export: a rating
    of a stakeholder this export does not hold, or whose source is not `survey`
    (typed by hand), came from no response of it."""
    new = {i.casefold() for i in new}

    def cells(name: str, column: str) -> list[str]:
        header, rows = before.get(name, ([], []))
        at = header.index(column) if column in header else None
        return [(r[at].strip() if at is not None and at < len(r) else "") for r in rows]

    people = cells("stakeholders", "stakeholder_id")
    rated = cells("ratings", "stakeholder_id")
    sources = cells("ratings", "source")
    others = [i for i in people if i.casefold() not in new]
    other_ratings = sum(
        i.casefold() not in new or s.lower() not in ("", "survey")
        for i, s in zip(rated, sources, strict=True)
    )
    return Replaced(len(people), len(rated), others, other_ratings)


def suggest_mapping(export_path: str | Path, rulebook: str | Path | None = None) -> str:
    """A starter mapping file (YAML text) for an export: every column with paos's
    best guess of its meaning, to edit and pass back with --mapping."""
    rb = load_rulebook(rulebook or DEFAULT_RULEBOOK)
    got = read_returned(Path(export_path), rb)
    if isinstance(got, Returned):
        raise PaosError(
            f"{export_path}: holds returned questionnaires, which paos import reads as "
            "they are: no mapping needed"
        )
    return suggest_text(_read(Path(export_path), got), rb)


def _names(columns: list[Column], limit: int = 8) -> str:
    keys = [c.key for c in columns]
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


def _span(ids: list[str]) -> str:
    return f"{ids[0]} .. {ids[-1]}" if len(ids) > 1 else ids[0]


def summary_text(r: ImportResult) -> str:
    """What was imported, in a few lines."""
    res, ex = r.responses, r.export
    per = ", ".join(f"{k} {v}" for k, v in sorted(r.per_perspective.items()))
    comments = sum(1 for *_, c in res.ratings if c is not None)
    rated = sum(1 for _, _, v, _ in res.ratings if v is not None)
    signals = {t.signal for t in r.plan.targets.values() if t.kind == "rating"}
    lines = [
        f"{ex.path}: {ex.tool_name} export, {len(res.people)} respondents imported"
        + (f" ({per})" if per else "")
        + (
            "; nothing new: every response of this export was imported before"
            if not res.people
            else ""
        ),
        f"  {len(signals)} signals asked; {rated} ratings, {comments} comments, "
        f"{res.blanks} blank answers (blank, N/A, Cannot judge)",
        f"  incomplete responses: {res.incomplete} imported"
        + (f", {res.left_out} left out (--complete-only)" if res.left_out else ""),
    ]
    if res.empty:
        lines.append(f"  left out: {res.empty} responses without a rating or comment")
    by_why: dict[str, list[Column]] = {}
    for col, why in r.plan.ignored:
        by_why.setdefault(why, []).append(col)
    for why, cols in by_why.items():
        lines.append(f"  ignored ({why}): {_names(cols)}")
    if res.skipped:
        lines.append(
            f"  already imported, skipped: {len(res.skipped)} responses with the same "
            f"answers ({_span(res.skipped)})"
        )
    ids = [p.stakeholder_id for p in res.people]
    if ids:
        lines.append(
            f"  stakeholder ids: {_span(ids)}" if len(ids) > 1 else f"  stakeholder id: {ids[0]}"
        )
    if r.replaced is not None and (r.replaced.stakeholders or r.replaced.ratings):
        rp = r.replaced
        others = (
            f"{len(rp.other_stakeholders)} stakeholders and {rp.other_ratings} ratings of "
            "them came from no response of this export and are gone"
            + (f" ({_span(rp.other_stakeholders)})" if rp.other_stakeholders else "")
            if rp.other_stakeholders or rp.other_ratings
            else "all of them responses of this export"
        )
        lines.append(
            f"  --force replaced all the engagement held: {rp.stakeholders} stakeholders, "
            f"{rp.ratings} ratings; {others}"
        )
    for path in r.written:
        lines.append(f"wrote {path}")
    return "\n".join(lines)
