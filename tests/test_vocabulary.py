"""The questionnaire's words, shared by `paos questionnaire` and `paos import`."""

from __future__ import annotations

import pytest

from paos.base.rulebook import load_rulebook
from paos.evidence.vocabulary import (
    CANNOT_JUDGE,
    NotARating,
    choices,
    rating_from_answer,
    role_from_answer,
    role_label,
)

RB = load_rulebook("paos-v1")
FIT01 = RB.signals[0]


@pytest.mark.parametrize(
    "role, label",
    [("head_of_partnerships", "Head of Partnerships"), ("revops", "RevOps"), ("ceo", "CEO")],
)
def test_role_labels_read_and_read_back(role, label):
    assert role_label(role) == label
    assert role_from_answer(label, RB) == role
    assert role_from_answer(f"  {label.upper()} ", RB) == role
    assert role_from_answer(role.replace("_", "-"), RB) == role


def test_an_unknown_role_is_none():
    assert role_from_answer("Wizard", RB) is None


@pytest.mark.parametrize(
    "answer, rating",
    [
        ("3", 3),
        ("3.0", 3),
        ("3 - Defined", 3),
        ("Defined", 3),
        (" scalable ", 4),
        (FIT01.rubric[2], 2),
        (choices(RB, FIT01)[0], 1),
        ("", None),
        (None, None),
        ("N/A", None),
        ("Don't know", None),
        (CANNOT_JUDGE, None),
    ],
)
def test_answers_that_give_a_rating(answer, rating):
    assert rating_from_answer(answer, RB, FIT01) == rating


@pytest.mark.parametrize("answer", ["5", "0", "2.5", "three", "Defined-ish"])
def test_answers_that_give_no_rating_are_refused(answer):
    with pytest.raises(NotARating, match="is not a rating"):
        rating_from_answer(answer, RB, FIT01)


def test_choices_follow_the_rubric_then_cannot_judge():
    assert choices(RB, FIT01)[-1] == CANNOT_JUDGE
    assert choices(RB, FIT01)[2] == f"3 - {FIT01.rubric[3]}"
