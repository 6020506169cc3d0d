"""Every respondent counts once: an export's responses against the evidence already in
the engagement (`paos import --append`).

- A response id identifies its respondent whatever the prefix it was imported under
  (the empty one too): Qualtrics' `R_...` and SurveyMonkey's respondent ids are
  unique across the tool's surveys, a returned questionnaire's id is its
  respondent's, the wide layout's and a mapped column's ids are the analyst's. Only
  ids that number one form's responses (Microsoft Forms' 1, 2, ..., or a mapped
  column of such counters; `row_numbers`) tell respondents apart under a prefix
  of the export's own.
- A response whose respondent the engagement holds already: answers identical to
  the survey evidence there (role, perspective, and every rating and comment of
  source `survey`) are skipped, and the summary says so; answers that differ are
  refused, naming what differs. The respondent is never renamed and counted twice.
- Any other response that answers exactly as a stakeholder already there (one that
  no response of this export is) is refused, ids or not: a row number, a timestamp
  or another id scheme may be the same response imported again. The analyst who
  knows them to be other respondents says so (`allow_identical`).
"""

from __future__ import annotations

import re

from paos._files import FORMULA_STARTS
from paos.base.problems import listed
from paos.errors import Problem
from paos.evidence.surveys.formats import Export
from paos.evidence.surveys.responses import (
    DIGEST,
    MAX_ID,
    Responses,
    id_digest,
    stakeholder_id,
)

# (role, perspective, {signal id: (rating, comment)}) of one stakeholder
Answers = tuple[str, str, dict[str, tuple[int | None, str]]]
_NEUTRALISED_LINE = re.compile(r"(\r\n|\r|\n)'(?=[=+\-@\t])")


def _plain(text: str | None) -> str:
    """A comment as compared: stripped, without the apostrophes earlier versions of
    `paos import` put before text that starts like a formula."""
    text = _NEUTRALISED_LINE.sub(r"\1", (text or "").strip())
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def _rating(text: str) -> int | None:
    try:
        return int(float(text)) if text.strip() else None
    except (ValueError, OverflowError):
        return None


def existing_answers(existing: dict[str, tuple[list[str], list[list[str]]]]) -> dict[str, Answers]:
    """The survey answers of every stakeholder of the engagement, by id (case folded)."""
    out: dict[str, Answers] = {}
    header, rows = existing.get("stakeholders", ([], []))

    def cell(header: list[str], row: list[str], name: str) -> str:
        at = header.index(name) if name in header else len(row)
        return row[at].strip() if at < len(row) else ""

    for r in rows:
        sid = cell(header, r, "stakeholder_id")
        if sid:
            role = cell(header, r, "role").lower()
            out[sid.casefold()] = (role, cell(header, r, "perspective").lower(), {})
    header, rows = existing.get("ratings", ([], []))
    for r in rows:
        who = out.get(cell(header, r, "stakeholder_id").casefold())
        source = cell(header, r, "source").lower()
        if who is not None and source in ("", "survey"):
            signal = cell(header, r, "signal_id").upper()
            who[2][signal] = (
                _rating(cell(header, r, "rating")),
                _plain(cell(header, r, "evidence")),
            )
    return out


def new_answers(responses: Responses) -> list[Answers]:
    out: list[Answers] = [(p.role, p.perspective or "", {}) for p in responses.people]
    for i, sid, value, comment in responses.ratings:
        out[i][2][sid.upper()] = (value, _plain(comment))
    return out


def _difference(there: Answers, here: Answers) -> str:
    """The first difference between two stakeholders' answers, as a message says it."""
    if there[0] != here[0]:
        return f"role: {there[0]} there, {here[0]} here"
    if there[1] != here[1]:
        return f"perspective: {there[1] or 'none'} there, {here[1] or 'none'} here"
    for sid in sorted(set(there[2]) | set(here[2])):
        a, b = there[2].get(sid), here[2].get(sid)
        if a == b:
            continue
        if a is None or b is None:
            return f"{sid}: answered {'here, not there' if a is None else 'there, not here'}"
        if a[0] != b[0]:
            return f"{sid}: {_shown(a[0])} there, {_shown(b[0])} here"
        return f"{sid}: another comment"
    return ""


def _shown(rating: int | None) -> str:
    return "no rating" if rating is None else str(rating)


def count_once(
    export: Export,
    responses: Responses,
    existing: dict[str, tuple[list[str], list[list[str]]]],
    allow_identical: bool = False,
) -> list[Problem]:
    """Drop the responses the engagement holds already with the same answers (their
    stakeholder ids go to `responses.skipped`); return a problem for each response
    imported before with other answers, and for each that answers exactly as a
    stakeholder already there that no response of this export is (unless
    `allow_identical`: the analyst knows them to be other respondents). Ids must be
    settled first."""
    there = existing_answers(existing)
    if not there:
        return []
    here = new_answers(responses)
    column = responses.id_key or (export.id_column.key if export.id_column else None)
    ids = {k.casefold(): k for k in _original_ids(existing)}
    index = _Index(there) if responses.ids_given and not responses.row_numbers else None
    problems: list[Problem] = []
    found: dict[int, str] = {}  # response index -> the stakeholder (case folded) it is
    for i, p in enumerate(responses.people):
        if not responses.ids_given:
            continue
        own = p.stakeholder_id.casefold()
        if own in there:
            found[i] = own
        elif index is not None:  # a response id is the respondent's, whatever the prefix
            candidates = index.find(p.raw_id)
            same = [sid for sid in candidates if there[sid] == here[i]]
            if same or candidates:
                found[i] = (same or candidates)[0]
    claimed = set(found.values())
    same_answers: dict[tuple, list[str]] = {}
    for sid, answers in there.items():
        same_answers.setdefault(_key(answers), []).append(sid)
    keep: list[int] = []
    for i, p in enumerate(responses.people):
        old = found.get(i)
        if old is not None:
            shown = ids.get(old, old)
            if there[old] == here[i]:
                responses.skipped.append(shown)
                continue
            problems.append(
                export.problem(
                    f"{p.raw_id!r} was imported before as stakeholder {shown} with other "
                    f"answers ({_difference(there[old], here[i])}); a respondent counts once: "
                    "remove the response from this export, or, if these are the newer "
                    f"answers, delete the rows of stakeholder {shown} from stakeholders.csv "
                    "and ratings.csv first"
                    + (
                        " (if this export is another form whose responses are numbered "
                        "1, 2, ... too, give it a --prefix of its own)"
                        if responses.row_numbers
                        else ""
                    ),
                    p.line,
                    column,
                )
            )
            continue
        twin = next((s for s in same_answers.get(_key(here[i]), ()) if s not in claimed), None)
        if twin is None or allow_identical:
            keep.append(i)
            continue
        problems.append(
            export.problem(
                f"answers exactly as stakeholder {ids.get(twin, twin)} already in the "
                "engagement (role, ratings and comments), whose response is not in this "
                "export under its id: paos cannot tell another respondent who answered "
                "alike from the same response imported again under another id or row "
                "number; remove the response from this export, or, if you know it is "
                "another respondent, import with --allow-identical",
                p.line,
                column if responses.ids_given else None,
            )
        )
    if problems:
        return listed(problems, "a response imported before")
    if len(keep) < len(responses.people):
        responses.keep_only(keep)
    return []


class _Index:
    """The stakeholders (case folded) by the response id they may have been imported
    from under any prefix, the empty one too: by each ending of their id after a '-'
    and the whole id (a response id paos kept as it is), and by the hash an id paos
    had to alter ends in. Linear in the ids' length: a large engagement costs no
    quadratic search."""

    def __init__(self, there: dict[str, Answers]):
        self.ending: dict[str, list[str]] = {}
        self.digest: dict[str, list[str]] = {}
        for sid in there:
            # a response id paos makes into an id is at most MAX_ID characters long
            for at in range(max(0, len(sid) - MAX_ID - 1), len(sid)):
                if at == 0 or sid[at - 1] == "-":
                    self.ending.setdefault(sid[at:], []).append(sid)
            tail = _HASHED.search(sid)
            if tail:
                self.digest.setdefault(tail.group(1), []).append(sid)

    def find(self, raw: str) -> list[str]:
        """The stakeholders that are response id `raw` under some prefix."""
        near = self.ending.get(raw.casefold(), []) + self.digest.get(id_digest(raw), [])
        return [sid for sid in dict.fromkeys(near) if _made_from(sid, raw)]


_HASHED = re.compile(rf"(?:^|-)([0-9a-f]{{{DIGEST}}})$")


def _made_from(sid: str, raw: str) -> bool:
    """Whether stakeholder id `sid` (case folded) is `raw` under some prefix: the
    empty one, or the part of `sid` before one of its '-'."""
    if len(sid) > MAX_ID:  # longer than any id paos makes
        return False
    stems = [""] + [sid[:k] for k in range(len(sid)) if sid[k] == "-"]
    return any(stakeholder_id(stem, raw).casefold() == sid for stem in stems)


def _key(answers: Answers) -> tuple:
    role, perspective, rated = answers
    return role, perspective, tuple(sorted(rated.items(), key=lambda kv: kv[0]))


def _original_ids(existing: dict[str, tuple[list[str], list[list[str]]]]) -> list[str]:
    header, rows = existing.get("stakeholders", ([], []))
    if "stakeholder_id" not in header:
        return []
    at = header.index("stakeholder_id")
    return [r[at].strip() for r in rows if at < len(r)]
