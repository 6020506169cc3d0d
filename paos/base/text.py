"""Text safety: the one rule deciding whether a text value is unsafe to keep."""

from __future__ import annotations

import re

from paos.errors import printable

# Text paos refuses in a value: C0 and C1 control characters and DEL (they drive a
# terminal, break XML and SVG, and are invisible in a report), but tab, LF and CR;
# the characters XML cannot hold at all (U+FFFE, U+FFFF, lone surrogates: one in a
# stored industry once stopped the portfolio report of every engagement); and, in
# values that become labels, file names or chart text (ids, roles, perspectives,
# industry, stage), the bidirectional controls that reorder text around them.
# Evidence text may hold bidi controls: deliverables isolate it.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CONTROL_PL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x{9F}\x{FFFE}\x{FFFF}]"  # for polars
BIDI_PL = r"[\x{061C}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}]"


def unsafe_text(value: str, label: bool = False) -> str | None:
    """The rule a text value breaks by holding a control character (or, if it becomes
    a label, a bidirectional control), naming the first one and its position (from
    1); None if it holds none."""
    found = CONTROL.search(value)
    if found and found.group() >= "\ud800":
        return (
            f"holds a character that XML cannot hold ({printable(found.group())} at "
            f"position {found.start() + 1}); remove it"
        )
    if found:
        return (
            f"holds a control character ({printable(found.group())} at position "
            f"{found.start() + 1}); remove it"
        )
    found = BIDI.search(value) if label else None
    if found:
        return (
            f"holds a bidirectional control character ({printable(found.group())} at "
            f"position {found.start() + 1}); remove it: this value is shown as a label"
        )
    return None
