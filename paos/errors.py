"""One error family: everything paos refuses is a `PaosError`.

Two kinds reach the user, each as one line per problem and never a traceback:

- bad input (evidence, answers, a rulebook, a command-line value): exit status 2,
  nothing written;
- a fault of the environment (`FaultError`: permissions, a full disk, a folder
  that is a file, a corrupt store file): exit status 1, naming the path and
  what to do.

Every text paos echoes from input goes through `printable`, so an id or value
holding terminal escape sequences or bidirectional controls cannot drive the
terminal or reorder the message around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0/C1 controls (but tab), DEL, and the Unicode format characters that change how
# text around them is shown: bidi embeddings, overrides and isolates, marks, zero
# widths, the BOM and the line/paragraph separators; and what XML cannot hold
# (lone surrogates, U+FFFE, U+FFFF).
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
    "\ud800-\udfff\ufeff\ufffe\uffff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def printable(value: object) -> str:
    """`value` as text that is safe to echo: every control or bidi character is
    shown escaped (`\\e`, `\\n`, `\\u202e`) instead of acting on the terminal."""
    return _UNSAFE.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}"), str(value))


# Characters that change the direction of the text around them: bidi controls and
# right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, ... and their
# presentation forms). HTML isolates text holding one in <bdi>
# (`paos.deliverables.sections.esc`), plain text between FSI and PDI (`isolate`).
BIDI = re.compile(
    "[\u0590-\u08ff\u200e\u200f\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff"
    "\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
FSI, PDI = "\u2068", "\u2069"


def isolate(value: object) -> str:
    """`value` as text to place inside a sentence of paos's own: between FSI and PDI
    (Unicode isolates) when it holds a character that could reorder its neighbours,
    so an override in a client's id reverses that id alone, never the sentence
    around it; unchanged otherwise. For text that reaches a document (HTML, PDF);
    the terminal shows such characters escaped (`printable`)."""
    text = "" if value is None else str(value)
    return f"{FSI}{text}{PDI}" if BIDI.search(text) else text


def inline(value: object) -> str:
    """A value from input as a sentence of paos's in a document shows it: controls
    escaped (`printable`), then direction isolated (`isolate`)."""
    return isolate(printable("" if value is None else value))


def plain(value: object) -> str:
    """`value` without control or bidi characters: for places that can hold neither
    escapes nor isolation, such as a document title."""
    return _UNSAFE.sub("", str(value))


class PaosError(Exception):
    """Root of every error paos raises on purpose: bad input, exit status 2."""

    exit_code = 2

    def lines(self) -> list[str]:
        """The analyst-readable lines of this error (one per problem), escaped."""
        return [printable(line) for line in str(self).split("\n")]


class FaultError(PaosError):
    """A fault of the environment, not of the input (permissions, disk space, a
    path that is a file instead of a folder, a corrupt store file): exit status 1.
    The message names the path and what to do."""

    exit_code = 1


class PaosWarning(UserWarning):
    """Something paos skipped and carried on without (for example an unreadable
    results-store file); the CLI prints each as one line on stderr."""


class RulebookError(PaosError):
    """The rulebook file is missing, malformed, or unknown."""


def _show(value: object) -> str:
    text = printable(value)
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
    summary: bool = False  # "... and N more": listed after the problems of its file

    def __str__(self) -> str:
        where = self.file + (f" (sheet {self.sheet})" if self.sheet else "")
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        said = f"{_show(self.value)} {self.rule}" if self.value is not None else self.rule
        return printable(f"{where}: {said}")

    def isolated(self) -> str:
        """The line as a document shows it (a note in a deliverable): as `str()`, with
        the file, sheet and value each isolated (`isolate`), so none can reorder the
        words of the line around it."""
        where = inline(self.file)
        if self.sheet:
            where += f" (sheet {inline(self.sheet)})"
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {inline(self.column)}"
        rule = printable(self.rule)
        if self.value is None:
            return f"{where}: {rule}"
        shown = _show(self.value)
        return f"{where}: '{isolate(shown[1:-1])}' {rule}"

    def sort_key(self) -> tuple:
        return (
            self.file,
            self.sheet or "",
            self.summary,
            self.line or 0,
            self.column or "",
            self.rule,
        )


class EvidenceError(PaosError):
    """The evidence of one or more engagements is refused; carries every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class NotebookError(PaosError):
    """A stage of a deliverable run failed (names the stage and, if any, the cell)."""
