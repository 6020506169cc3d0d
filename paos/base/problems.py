"""Capping problem lists: the first `MAX_REPORTED` of one kind in full, the rest as
one line counting them, so reporting stays linear."""

from __future__ import annotations

from paos.base.limits import MAX_REPORTED
from paos.errors import Problem


def more(first: Problem, count: int, kind: str) -> Problem:
    """The one line standing for `count` problems of one kind from `first` on (listed
    after the problems of its file)."""
    return Problem(
        first.file,
        f"... and {count} more rows from this line on: {kind} (only "
        f"the first {MAX_REPORTED} are listed)",
        first.line,
        first.column,
        None,
        first.sheet,
        summary=True,
    )


def listed(problems: list[Problem], kind: str) -> list[Problem]:
    """Problems of one kind in one file, in line order: the first `MAX_REPORTED` in
    full, the rest as one line counting them (so reporting stays linear)."""
    if len(problems) <= MAX_REPORTED:
        return problems
    rest = problems[MAX_REPORTED:]
    return [*problems[:MAX_REPORTED], more(rest[0], len(rest), kind)]


def cascade(problems: list[Problem], refusals: set[Problem]) -> list[Problem]:
    """`problems` without those at a cell already refused as it is (`refusals`: the
    value is a formula or holds a control character, and one line says so)."""
    if not refusals:
        return problems
    key = lambda p: (p.file, p.sheet, p.line, (p.column or "").lower())  # noqa: E731
    cells = {key(p) for p in refusals if not p.summary}
    return [p for p in problems if p in refusals or key(p) not in cells]


def capped_kinds(problems: list[Problem]) -> list[Problem]:
    """`listed` for each kind (rule) of problem in the list."""
    kinds: dict[str, list[Problem]] = {}
    for p in problems:
        kinds.setdefault(p.rule, []).append(p)
    return [q for rule, group in kinds.items() for q in listed(group, rule)]
