"""What the questionnaire asks (`paos questionnaire`, every format alike): the role
question (the rulebook's roles as labels, or one perspective's roles, then "Other"
and the perspective question an "Other" answers), then per signal, dimension by
dimension in catalogue order, its question with the rubric levels as answer choices
and an optional 'Why?' comment; and what the form says about itself first (`About`,
`about_lines`): the client, the time it takes, how answers are used, how to return
it. Every label, choice, id and title comes from `paos.evidence.vocabulary`, which
`paos import` reads back with."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from paos.base.rulebook import Rulebook
from paos.errors import PaosError, plain
from paos.evidence.intake import read_meta
from paos.evidence.vocabulary import (
    CANNOT_JUDGE,
    COMMENT_PROMPT,
    PERSPECTIVE_ID,
    PERSPECTIVE_QUESTION,
    ROLE_ID,
    ROLE_QUESTION,
    choices,
    comment_id,
    comment_title,
    other_role_labels,
    perspective_label,
    question_title,
    role_labels,
)

GENERATOR = "paos questionnaire"  # the mark of a file paos wrote
INTRO_ID = "INTRO"  # the Qualtrics introduction text
INSTRUCTIONS = (
    f"For each question, choose the one answer that describes the situation today; "
    f"choose '{CANNOT_JUDGE}' when you cannot tell. '{COMMENT_PROMPT}' is optional: "
    "a sentence on what you have seen helps most."
)


class QuestionnaireError(PaosError):
    """A questionnaire cannot be made as asked (bad perspective, path taken)."""


SECONDS_PER_QUESTION = 30  # reading a question and its four levels, choosing one
NAME_FIELD = "Name or code (never shown in any report)"
SURVEY_FORMATS = ("csv", "qualtrics")  # answered in a survey tool, not returned as a file


@dataclass(frozen=True)
class About:
    """What the form says about itself: the client it is for, who gets it back."""

    client: str = ""
    return_to: str = ""


NOTHING_ABOUT = About()  # a form for no client in particular, returned to its sender


def client_of(engagement: str | Path) -> str:
    """The client named in an engagement's meta data (engagement.yaml or its
    workbook's `engagement` sheet); `QuestionnaireError` when it names none."""
    raw = read_meta(engagement)
    client = str(raw.meta.get("client") or "").strip()
    if not client:
        raise QuestionnaireError(f"{engagement}: no client named in its engagement meta data")
    return client


def minutes(rulebook: Rulebook) -> int:
    """The time the form takes, in minutes: `SECONDS_PER_QUESTION` per signal,
    rounded up to 5 minutes."""
    return max(5, 5 * math.ceil(len(rulebook.signals) * SECONDS_PER_QUESTION / 300))


def about_lines(rulebook: Rulebook, fmt: str, about: About = NOTHING_ABOUT) -> list[str]:
    """The sentences every format opens with: time, how answers are used, how to
    return the form."""
    k = rulebook["anonymity_min_role_group"]
    persp = ", ".join(perspective_label(p) for p in rulebook["stakeholder_perspectives"])
    for_whom = f" for {about.client}" if about.client else ""
    who = about.return_to or "the person who sent it to you"
    returned = (
        "Your answers are recorded when you submit the survey."
        if fmt in SURVEY_FORMATS
        else (
            f"When you are done, save the file and send it back to {who}."
            if fmt == "xlsx"
            else f"When you are done, return the form to {who}: hand it over, or send a scan "
            "or a photo."
        )
    )
    return [
        f"This questionnaire{for_whom} takes about {minutes(rulebook)} minutes: "
        f"{len(rulebook.signals)} questions, one answer each; comments are optional.",
        f"How your answers are used: ratings are reported as averages per perspective "
        f"({persp}), over everyone answering from the same perspective; an average is "
        "shown even when only one person answers for a perspective.",
        f"Comments may be quoted. A quote names a role only when at least {k} respondents "
        "share that role and perspective; otherwise it names the perspective alone.",
        "Your name is never shown in any report: it only makes sure each person counts once.",
        returned,
    ]


@dataclass(frozen=True)
class Question:
    """One question of the form: the role question, a signal's rating or comment."""

    id: str
    type: str  # "role", "rating" or "comment"
    text: str
    choices: tuple[str, ...] = ()
    dimension: str = ""
    dimension_name: str = ""
    signal_id: str = ""
    title: str = ""  # the text where a tool keeps no id: '[FIT-01] ...'


def roles(rulebook: Rulebook, perspective: str | None = None) -> dict[str, str]:
    """The roles asked about (id -> label, rulebook order): all, or one perspective's.
    Raises `QuestionnaireError` for a perspective a stakeholder cannot declare or one
    without roles."""
    labels = role_labels(rulebook)
    if perspective is None:
        return labels
    known = list(rulebook["stakeholder_perspectives"])
    if perspective not in known:
        raise QuestionnaireError(
            f"--perspective {perspective!r} is not a stakeholder perspective of rulebook "
            f"{rulebook.id} (one of: {', '.join(known)})"
        )
    mine = {r: lab for r, lab in labels.items() if rulebook.role_perspectives[r] == perspective}
    if not mine:
        raise QuestionnaireError(
            f"--perspective {perspective!r} has no roles in rulebook {rulebook.id}; "
            "leave --perspective out"
        )
    return mine


def questions(rulebook: Rulebook, perspective: str | None = None) -> list[Question]:
    """Every question of the form, in the order asked."""
    ids = {s.id.casefold() for s in rulebook.signals}
    ids |= {comment_id(s.id).casefold() for s in rulebook.signals}
    for taken in (ROLE_ID, PERSPECTIVE_ID, INTRO_ID):
        if taken.casefold() in ids:
            raise QuestionnaireError(
                f"rulebook {rulebook.id}: a signal id clashes with the question id "
                f"{taken} of the form; rename the signal"
            )
    others = tuple(other_role_labels(rulebook).values())
    persp = [perspective] if perspective else list(rulebook["stakeholder_perspectives"])
    out = [
        Question(
            ROLE_ID,
            "role",
            ROLE_QUESTION,
            tuple(roles(rulebook, perspective).values()) + others,
            title=ROLE_QUESTION,
        )
    ]
    if others:
        out.append(
            Question(
                PERSPECTIVE_ID,
                "perspective",
                PERSPECTIVE_QUESTION,
                tuple(perspective_label(p) for p in persp),
                title=PERSPECTIVE_QUESTION,
            )
        )
    for dim in rulebook.dimensions:
        for s in dim.signals:
            where = (dim.id, dim.name, s.id)
            rating = (s.id, "rating", s.question, tuple(choices(rulebook, s)))
            out.append(Question(*rating, *where, title=question_title(s)))
            comment = (comment_id(s.id), "comment", COMMENT_PROMPT, ())
            out.append(Question(*comment, *where, title=comment_title(s)))
    return out


def heading(
    rulebook: Rulebook, perspective: str | None, about: About = NOTHING_ABOUT
) -> tuple[str, str]:
    """(title, subtitle) of the form."""
    if about.client:
        title = f"Partner ecosystem questionnaire for {plain(about.client)}"
        sub = f"{plain(rulebook['title'])}; rulebook {rulebook.id}, version {rulebook['version']}"
    else:
        title = f"Partner ecosystem questionnaire: {plain(rulebook['title'])}"
        sub = f"Rulebook {rulebook.id}, version {rulebook['version']}"
    if perspective:
        sub += f". For the {perspective} perspective"
    return title, sub
