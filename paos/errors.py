"""One error family: everything paos refuses is a `PaosError`.

The CLI turns these into one-line messages and exit status 2; library
callers can catch the family or a specific kind.
"""
from __future__ import annotations

from dataclasses import dataclass


class PaosError(Exception):
    """Root of every error paos raises on purpose."""

    def lines(self) -> list[str]:
        """The analyst-readable lines of this error (one per problem)."""
        return [str(self)]


class RulebookError(PaosError):
    """The rulebook file is missing, malformed, or unknown."""


def _show(value: object) -> str:
    text = str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > 60:
        text = text[:57] + "..."
    return "'" + text + "'"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the evidence, located as a spreadsheet shows it."""

    file: str
    rule: str
    line: int | None = None
    column: str | None = None
    value: object | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        where = self.file + (f" (sheet {self.sheet})" if self.sheet else "")
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        said = f"{_show(self.value)} {self.rule}" if self.value is not None else self.rule
        return f"{where}: {said}"

    def sort_key(self) -> tuple:
        return (self.file, self.sheet or "", self.line or 0, self.column or "", self.rule)


class EvidenceError(PaosError):
    """The evidence of one or more engagements is refused; carries every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class NotebookError(PaosError):
    """A stage of a deliverable run failed (names the stage and, if any, the cell)."""
