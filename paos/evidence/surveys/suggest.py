"""`paos import --suggest EXPORT`: a starter mapping file listing every column of an
export with paos's best guess of its meaning, the role answers and the answers it
cannot read as they are. A guess paos is not sure of is marked `CHECK`; a column
it cannot guess at all gets `"?"`, which is refused until it is edited."""

from __future__ import annotations

import re

from paos.base.rulebook import Rulebook
from paos.evidence.surveys.formats import Export
from paos.evidence.surveys.mapping import role_target
from paos.evidence.surveys.matching import plan_columns
from paos.evidence.surveys.tools import TOOLS
from paos.evidence.vocabulary import NotARating, normalise, rating_from_answer, role_labels

GUESS_FROM = 0.5  # share of a signal's telling words from which it is a column's guess
MAX_LISTED = 50  # distinct role answers or answers listed
_STOP = frozenset(
    "a an the is are it of to with and or in on for do does your you we our there which "
    "what how by be as at from that this partner partners new".split()
)


def yaml_quote(text: str) -> str:
    """`text` as a YAML double-quoted scalar (every control character escaped)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or 0x7F <= code < 0xA0 or code in (0x2028, 0x2029, 0xFEFF):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        elif 0xD800 <= code < 0xE000:
            out.append("\\uFFFD")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _note(text: str, limit: int = 70) -> str:
    """Text for a comment after a value: one line, no control characters, short."""
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# Every survey tool's metadata column names, spaces left out ("Custom Data 1" and
# "CustomData" alike): such a column is suggested as ignored, never guessed a signal.
_META = frozenset(normalise(m).replace(" ", "") for t in TOOLS for m in t.metadata)
_CUSTOM = re.compile(r"customdata\d*|customvariable\d*")


def looks_like_metadata(header: str) -> bool:
    """Whether a header is a survey tool's metadata column in any spelling."""
    compact = normalise(header).replace(" ", "")
    return compact in _META or bool(_CUSTOM.fullmatch(compact))


def _words(text: str) -> set[str]:
    return {w for w in normalise(text).split() if w not in _STOP and len(w) > 1}


def guess_signal(header: str, rulebook: Rulebook) -> tuple[str, float, str] | None:
    """(signal id, share of words, its question) of the signal whose name or question
    shares the largest share of its telling words with `header` (at least
    `GUESS_FROM`), if any."""
    words = _words(header)
    best: tuple[str, float, str] | None = None
    for s in rulebook.signals:
        score = 0.0
        for ref in (s.name, s.question):
            ws = _words(ref)
            if ws:
                score = max(score, len(words & ws) / len(ws))
        if score > 0 and (best is None or score > best[1]):
            best = (s.id, score, s.question)
    return best if best and best[1] >= GUESS_FROM else None


def suggest_text(export: Export, rulebook: Rulebook) -> str:
    plan = plan_columns(export, rulebook, None)
    ignored = {c.index: why for c, why in plan.ignored}
    guessed: dict[int, str] = {}
    roles = ", ".join(role_labels(rulebook))
    lines = [
        f"# paos import mapping for {_note(str(export.path), 200)} ({export.tool_name} export),",
        "# written by `paos import --suggest`. Each column's meaning: a signal id (its",
        "# rating), `comment <signal id>` (the evidence of that rating), role, perspective,",
        '# stakeholder_id or ignore. Check every line marked CHECK and replace every "?",',
        "# then: paos import EXPORT --into ENGAGEMENT --mapping THIS_FILE",
        "#",
        "# role: partner          # every respondent's role, when the export asks none",
        f"# perspective: partner   # every respondent's perspective "
        f"({', '.join(rulebook['stakeholder_perspectives'])})",
        "# prefix: partner        # stakeholder ids partner-1, partner-2, ...",
        "columns:",
    ]
    for col in export.columns:
        j = col.index
        if not col.key.strip() or col.key == f"column {col.letter}":
            continue
        key = yaml_quote(col.key)
        if j in ignored:
            lines.append(f"  {key}: ignore  # {ignored[j]}")
        elif j in plan.targets:
            t = plan.targets[j]
            lines.append(f"  {key}: {yaml_quote(str(t))}  # {plan.how[j]}: {_note(col.words)}")
        elif looks_like_metadata(col.text):
            lines.append(f"  {key}: ignore  # CHECK: a survey tool's metadata column")
        else:
            guess = guess_signal(col.words, rulebook)
            if guess is None:
                lines.append(
                    f'  {key}: "?"  # CHECK: no signal is like {_note(col.words, 50)}'
                    " (a signal id, comment <id>, role, perspective or ignore)"
                )
            else:
                sid, score, question = guess
                guessed[j] = sid
                lines.append(
                    f"  {key}: {sid}  # CHECK: guessed ({score:.0%} of its words): {_note(question, 60)}"
                )
    role_cols = plan.columns("role")
    signals = {s.id: s for s in rulebook.signals}
    rating_columns: dict[int, str] = {
        j: t.signal for j, t in plan.targets.items() if t.kind == "rating" and t.signal
    }
    rated = sorted({**rating_columns, **guessed}.items())
    # One pass over the rows (a CSV export is parsed again on each), and at most
    # MAX_LISTED answers of each kind collected: a large export costs one read.
    unknown_roles: dict[str, None] = {}
    odd: dict[str, None] = {}
    for row in export.rows:
        for j in role_cols[:1]:
            text = (row[j] or "").strip()
            if (
                text
                and len(unknown_roles) < MAX_LISTED
                and text not in unknown_roles
                and role_target(text, rulebook) is None
            ):
                unknown_roles[text] = None
        if len(odd) >= MAX_LISTED:
            continue
        for j, sid in rated:
            text = (row[j] or "").strip()
            if not text or text in odd:
                continue
            try:
                rating_from_answer(text, rulebook, signals[sid])
            except NotARating:
                odd[text] = None
    if unknown_roles:
        lines += ["roles:  # answers to the role question -> role id (" + _note(roles, 200) + ")"]
        lines += [f'  {yaml_quote(t)}: "?"  # CHECK' for t in unknown_roles]
    if odd:
        scale = rulebook["rating_scale"]
        lines += [f"answers:  # answer -> rating {scale['min']}-{scale['max']}, or blank"]
        lines += [f'  {yaml_quote(t)}: "?"  # CHECK' for t in list(odd)[:MAX_LISTED]]
    return "\n".join(lines) + "\n"
