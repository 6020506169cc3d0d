"""What every printed page of a one-off report carries, and the words its titles use.

The footer (`footer_style`) is printed by Chromium from the CSS page's margin boxes
(`@bottom-left`, `@bottom-right`, supported since Chromium 131): the client's name
and "Confidential" on the left, "page / pages" on the right, on every page. Text
reaches the stylesheet only as a CSS string whose every character other than a
letter, digit or space is a CSS escape, so a name cannot end the string or the
style element.
"""

from __future__ import annotations

import re

CONFIDENTIAL = "Confidential"


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, inert: each character other than an ASCII
    letter, digit or space written as a CSS hex escape (six digits and the one space
    that ends an escape, so a space after it stays)."""
    out = (
        c if re.fullmatch(r"[A-Za-z0-9 ]", c) else f"\\{ord(c):06x} "
        for c in " ".join(str(text).split())
    )
    return '"' + "".join(out) + '"'


def footer_style(client: str) -> str:
    """A <style> element giving every printed page the footer
    `<client> · Confidential` (left) and `n / N` (right)."""
    left = css_string(f"{client} · {CONFIDENTIAL}" if client.strip() else CONFIDENTIAL)
    box = "font: 8pt 'DejaVu Sans', sans-serif; color: #5b6b7b;"
    return (
        "<style>@page { margin-bottom: 18mm; "
        f"@bottom-left {{ content: {left}; {box} }} "
        f'@bottom-right {{ content: counter(page) " / " counter(pages); {box} }} }}</style>'
    )


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 gap`, `2 gaps`, `0 gaps` (`many` when the plural is not `one` + s)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def join_names(names: list[str]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def vocab_label(text: str) -> str:
    """A vocabulary value as a label: 'saas' -> 'SaaS', 'scale-up' -> 'Scale-up'."""
    known = {"saas": "SaaS", "fintech": "FinTech", "ai": "AI", "it": "IT", "b2b": "B2B"}
    out = "-".join(known.get(part.lower(), part) for part in text.split("-"))
    return out[:1].upper() + out[1:]
