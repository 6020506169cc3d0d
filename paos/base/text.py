"""Text safety: the one rule deciding which characters a text value may not hold.

`unsafe_char` decides, for every place paos takes text in: the rulebook's texts
(`paos.base.rulebook_schema.text_problem`), evidence of every format and a returned
action plan (`paos.evidence.validate`, `.plan`, `paos.method.check`), the survey
importers (they write evidence that `paos.evidence.validate` reads back) and the
questionnaire's options. The messages keep their place's wording.

A value that becomes one line of a label, a file name, chart text or a rulebook text
(`line=True`: ids, roles, perspectives, industry, stage, every rulebook text) holds
no character of the categories Cc (controls, tab and line breaks included), Cf
(format: bidi controls, zero widths, the soft hyphen, tags), Co (private use), Cn
(unassigned in Python's Unicode database; U+FFFE and U+FFFF among them), Cs (lone
surrogates), Zl and Zp (line and paragraph separators). One exception, so that
ordinary text of every script is text: the joiners ZWJ and ZWNJ where they stand
between two visible characters (emoji sequences, Persian and Indic words).

Free text (`line=False`: the text of a rating, a note, a plan's cell) is what the
contract calls "any Unicode, commas, quotes, newlines" (docs/spec/
evidence-and-results.md): of those categories it may hold tab and line breaks, the
format characters (deliverables isolate bidi text, `paos.errors.isolate`), private-use
and unassigned code points; it may not hold the rest of Cc (C0, DEL, C1: they drive a
terminal, break XML and SVG and are invisible in a report) nor what XML cannot hold
at all (lone surrogates, U+FFFE, U+FFFF: one in a stored industry once stopped the
portfolio report of every engagement). So every character refused in free text is
refused in a line, and a character is refused the same way in every place of a kind.
"""

from __future__ import annotations

import re
import unicodedata

from paos.errors import printable

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
JOINERS = frozenset("\u200c\u200d")
# Free text's refusals, as a regex (exactly the rule above for line=False) and for polars.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
CONTROL_PL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x{9F}\x{FFFE}\x{FFFF}]"  # polars: no surrogates
# The bidirectional controls (Cf), named as such in a message.
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in REFUSED_CATEGORIES


def unsafe_char(text: str, line: bool = False) -> tuple[int, str] | None:
    """The position (from 0) and the character of the first character `text` may not
    hold as one line (`line=True`) or as free text, or None if it holds none."""
    if not line:
        found = CONTROL.search(text)
        return (found.start(), found.group()) if found else None
    if text.isprintable():  # the common case; implies none of the categories refused
        return None
    for i, ch in enumerate(text):
        if unicodedata.category(ch) not in REFUSED_CATEGORIES:
            continue
        if ch in JOINERS and 0 < i < len(text) - 1:
            if _visible(text[i - 1]) and _visible(text[i + 1]):
                continue
        return i, ch
    return None


def _name(ch: str) -> str:
    shown = printable(ch)
    return shown if shown != ch else f"U+{ord(ch):04X}"


def unsafe_text(value: str, label: bool = False) -> str | None:
    """The rule a text value breaks by holding a character `unsafe_char` refuses (as
    one line if it becomes a `label`, else as free text), naming the first one and its
    position (from 1); None if it holds none."""
    found = unsafe_char(value, line=label)
    if found is None:
        return None
    i, ch = found
    at = f"({_name(ch)} at position {i + 1}); remove it"
    if _NOT_XML.match(ch):
        return f"holds a character that XML cannot hold {at}"
    kind = unicodedata.category(ch)
    if kind == "Cc":
        return f"holds a control character {at}"
    what = (
        "a bidirectional control character"
        if BIDI.match(ch)
        else {
            "Cf": "an invisible format character",
            "Co": "a private-use character",
            "Cn": "an unassigned code point",
        }.get(kind, "a line or paragraph separator")
    )
    return f"holds {what} {at}: this value is shown as a label"
