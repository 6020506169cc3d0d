"""Every respondent counts once: an export's responses against the evidence already in
the engagement (`paos import --append`).

- With response ids (Qualtrics, SurveyMonkey, Microsoft Forms, the wide layout, or a
  column mapped to `stakeholder_id`) a response whose stakeholder id the engagement
  holds already is the same respondent. Answers identical to the survey evidence
  there (role, perspective, and every rating and comment of source `survey`): it is
  skipped, and the summary says so. Answers that differ: refused, naming what
  differs; the respondent is never renamed and counted a second time.
- Without response ids (Google Forms, a plain table) a row number is no identity, so
  each export gets ids of its own (gf, gf2, ...); a response that answers exactly as
  a stakeholder already there is refused, since paos cannot tell a second respondent
  from the same response imported twice.
"""

from __future__ import annotations

import re

from paos._files import FORMULA_STARTS
from paos.errors import Problem
from paos.evidence.intake import listed
from paos.evidence.surveys.formats import Export
from paos.evidence.surveys.responses import MAX_ID, Responses, stakeholder_id

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
) -> list[Problem]:
    """Drop the responses the engagement holds already with the same answers (their
    ids go to `responses.skipped`); return a problem for each response that was
    imported before with other answers, or (without response ids) that answers
    exactly as a stakeholder already there. Ids must be settled first."""
    there = existing_answers(existing)
    if not there:
        return []
    here = new_answers(responses)
    column = export.id_column.key if export.id_column else None
    problems: list[Problem] = []
    keep: list[int] = []
    ids = {k.casefold(): k for k in _original_ids(existing)}
    if responses.ids_given:
        ending = _by_ending(there)
        for i, p in enumerate(responses.people):
            old = there.get(p.stakeholder_id.casefold())
            if old is None:
                other = _under_another_prefix(p.raw_id, here[i], there, ending)
                if other is None:
                    keep.append(i)
                    continue
                problems.append(
                    export.problem(
                        f"{p.raw_id!r} was imported before, with the same answers, as "
                        f"stakeholder {ids.get(other, other)} (another prefix); a "
                        "respondent counts once: import this export with the prefix used "
                        "then (--prefix), or remove the response from it",
                        p.line,
                        responses.id_key or column,
                    )
                )
            elif old == here[i]:
                responses.skipped.append(p.stakeholder_id)
            else:
                problems.append(
                    export.problem(
                        f"{p.raw_id!r} was imported before as stakeholder {p.stakeholder_id} "
                        f"with other answers ({_difference(old, here[i])}); a respondent "
                        "counts once: remove the response from this export, or import the "
                        "newer export whole with --force (if this export is another survey "
                        "whose response ids repeat the first one's, give it a --prefix of "
                        "its own)",
                        p.line,
                        responses.id_key or column,
                    )
                )
    else:
        same: dict[tuple, str] = {}
        for sid, answers in there.items():
            same.setdefault(_key(answers), sid)
        for i, p in enumerate(responses.people):
            twin = same.get(_key(here[i]))
            if twin is None:
                keep.append(i)
                continue
            problems.append(
                export.problem(
                    f"answers exactly as stakeholder {ids.get(twin, twin)} already in the "
                    "engagement (role, ratings and comments); this export has no response "
                    "ids, so paos cannot tell a second respondent from the same response "
                    "imported twice: remove the response from this export, or name a "
                    "column of response ids `stakeholder_id` in a mapping file",
                    p.line,
                )
            )
    if problems:
        return listed(problems, "a response imported before")
    if len(keep) < len(responses.people):
        responses.keep_only(keep)
    return []


def _by_ending(there: dict[str, Answers]) -> dict[str, list[str]]:
    """The stakeholders (case folded) by each ending of their id after a '-': the
    response id they may have been imported from under some prefix (linear in the
    ids' length, so a large engagement costs no quadratic search)."""
    out: dict[str, list[str]] = {}
    for sid in there:
        # a response id paos makes into an id is at most MAX_ID characters long
        for at in range(max(0, len(sid) - MAX_ID - 1), len(sid)):
            if sid[at] == "-":
                out.setdefault(sid[at + 1 :], []).append(sid)
    return out


def _under_another_prefix(
    raw: str, answers: Answers, there: dict[str, Answers], ending: dict[str, list[str]]
) -> str | None:
    """The stakeholder (case folded) that is this response imported under another
    prefix: its id ends in the same response id and its answers are the same."""
    for sid in ending.get(stakeholder_id("", raw).casefold(), ()):
        if there[sid] == answers:
            return sid
    return None


def _key(answers: Answers) -> tuple:
    role, perspective, rated = answers
    return role, perspective, tuple(sorted(rated.items(), key=lambda kv: kv[0]))


def _original_ids(existing: dict[str, tuple[list[str], list[list[str]]]]) -> list[str]:
    header, rows = existing.get("stakeholders", ([], []))
    if "stakeholder_id" not in header:
        return []
    at = header.index("stakeholder_id")
    return [r[at].strip() for r in rows if at < len(r)]
