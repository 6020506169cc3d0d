"""The words of a questionnaire, shared by what asks (`paos questionnaire`) and what
reads the answers back (`paos import`): role labels, answer choices, "cannot judge".

Everything here derives from the rulebook; the matching is forgiving about case,
spacing and punctuation, never about meaning: an answer either names one rating
(or no rating) unambiguously, or it is refused.
"""

from __future__ import annotations

import re

from paos.base.rulebook import Rulebook, Signal

CANNOT_JUDGE = "Cannot judge"
# Answers that mean "no rating" (compared after `normalise`); a blank cell too.
NO_RATING = frozenset(
    {
        "",
        "na",
        "n a",
        "not applicable",
        "dont know",
        "do not know",
        "don t know",
        "cannot judge",
        "can t judge",
        "cant judge",
        "unknown",
    }
)
COMMENT_PROMPT = "Why?"  # the optional comment after each rating question

# Role id words shown in capitals or a set spelling; other words are capitalised,
# short connecting words stay lower-case ("Head of Partnerships").
_SPELLED = {
    "ceo": "CEO",
    "cro": "CRO",
    "cmo": "CMO",
    "cfo": "CFO",
    "coo": "COO",
    "cpo": "CPO",
    "cto": "CTO",
    "revops": "RevOps",
    "ops": "Ops",
    "vp": "VP",
}
_LOWER = {"of", "and", "for", "the", "to", "in"}


def normalise(text: object) -> str:
    """Text as compared: case folded, every run of non-alphanumerics one space."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").casefold()).split())


def role_label(role: str) -> str:
    """A rulebook role id as people read it: head_of_partnerships -> Head of Partnerships."""
    words = [w for w in re.split(r"[_\s]+", role.strip()) if w]
    return " ".join(
        _SPELLED.get(w.lower())
        or (w.lower() if i and w.lower() in _LOWER else w[:1].upper() + w[1:].lower())
        for i, w in enumerate(words)
    )


def role_labels(rulebook: Rulebook) -> dict[str, str]:
    """Every role of the rulebook (declarable in a stakeholders table) with its label,
    in rulebook order."""
    return {role: role_label(role) for role in rulebook.role_perspectives}


def other_role_labels(rulebook: Rulebook) -> dict[str, str]:
    """The roles a respondent may pick that carry no default perspective ("other"),
    with their labels: they need the perspective question answered."""
    return {r.strip().lower(): role_label(r) for r in rulebook["roles_requiring_perspective"]}


def perspective_label(perspective: str) -> str:
    """A perspective id as an answer choice: operational -> Operational (read back
    by `paos import`, case ignored)."""
    return role_label(perspective)


def role_from_answer(text: object, rulebook: Rulebook) -> str | None:
    """The rulebook role an answer names, by its id or its label (case, spacing and
    punctuation ignored: 'Head of Partnerships', 'head-of-partnerships', 'RevOps');
    None when it names none."""
    wanted = normalise(text)
    for role, label in role_labels(rulebook).items():
        if wanted in (normalise(role), normalise(label)):
            return role
    return None


def choice_text(level: int, rubric_line: str) -> str:
    """An answer choice: '3 - Written exclusion criteria are applied consistently.'"""
    return f"{level} - {rubric_line}"


def choices(rulebook: Rulebook, signal: Signal) -> list[str]:
    """A signal's answer choices, lowest level first, then 'Cannot judge'."""
    return [choice_text(level, line) for level, line in signal.rubric.items()] + [CANNOT_JUDGE]


class NotARating(ValueError):
    """An answer that names no rating of the scale (its message says why)."""


def rating_from_answer(
    text: object, rulebook: Rulebook, signal: Signal | None = None
) -> int | None:
    """The rating an answer gives, or None for no rating. Accepted: '3', '3.0',
    '3 - <anything>', a level name ('Defined'), the signal's rubric line for a level,
    and the answers of `NO_RATING` (blank, 'N/A', "Don't know", 'Cannot judge').
    Anything else raises `NotARating`."""
    raw = "" if text is None else str(text).strip()
    key = normalise(raw)
    if key in NO_RATING:
        return None
    scale = rulebook["rating_scale"]
    lo, hi = scale["min"], scale["max"]
    m = re.fullmatch(r"([+-]?\d+)(?:\.0+)?(?:\s*[-–—:)]\s*.*)?", raw, re.S)
    if m:
        value = int(m.group(1))
        if lo <= value <= hi:
            return value
        raise NotARating(f"is not a rating ({lo}-{hi} or blank)")
    for level, spec in scale["levels"].items():
        if key == normalise(spec["name"]):
            return int(level)
    if signal is not None:
        for level, line in signal.rubric.items():
            if key == normalise(line):
                return int(level)
    raise NotARating(
        f"is not a rating ({lo}-{hi}, '{lo} - …', a level name such as "
        f"'{scale['levels'][hi]['name']}', or blank / '{CANNOT_JUDGE}')"
    )


# -- question ids and titles -------------------------------------------------
# Survey tools export each answer under the question's id (Qualtrics: its export
# tag) or, where a tool has no ids (a form built from the csv), under its title. Both
# carry the signal id, so an export names what each column answers.

ROLE_ID = "ROLE"  # the role question's id
ROLE_QUESTION = "Which of these best describes your role?"
# Asked after the role: a role with no default perspective (the rulebook's
# `roles_requiring_perspective`, "Other") needs one. No word "role" in it, so an
# export's column of it is read as the perspective (`surveys.matching`).
PERSPECTIVE_ID = "PERSPECTIVE"
PERSPECTIVE_QUESTION = "Only if you chose Other: from which perspective do you answer?"
COMMENT_ID_SUFFIX = "_why"  # FIT-01 is the rating question, FIT-01_why its comment


def comment_id(signal_id: str) -> str:
    """The id of a signal's comment question: FIT-01 -> FIT-01_why."""
    return signal_id + COMMENT_ID_SUFFIX


def question_title(signal: Signal) -> str:
    """A rating question's title where a tool keeps no id: '[FIT-01] Is it ...?'"""
    return f"[{signal.id}] {signal.question}"


def comment_title(signal: Signal) -> str:
    """A comment question's title where a tool keeps no id: '[FIT-01] Why?'"""
    return f"[{signal.id}] {COMMENT_PROMPT}"


def question_of(text: object, rulebook: Rulebook) -> tuple[str, bool] | None:
    """(signal id, whether it is the comment) of a column an export names by a
    question id ('FIT-01', 'FIT-01_why') or title ('[FIT-01] ...', '[FIT-01] Why?');
    None for any other column (the role question too: compare with `ROLE_ID`)."""
    raw = str(text or "").strip()
    known = {s.id.casefold(): s.id for s in rulebook.signals}
    m = re.fullmatch(r"\[([^\]]+)\]\s*(.*)", raw, re.S)
    if m:
        sid = known.get(m.group(1).strip().casefold())
        return None if sid is None else (sid, normalise(m.group(2)) == normalise(COMMENT_PROMPT))
    key = raw.casefold()
    if key in known:
        return known[key], False
    if key.endswith(COMMENT_ID_SUFFIX) and key[: -len(COMMENT_ID_SUFFIX)] in known:
        return known[key[: -len(COMMENT_ID_SUFFIX)]], True
    return None
