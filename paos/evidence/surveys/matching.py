"""Columns of an export to meanings: a signal's rating, its comment (evidence), the
respondent's role or perspective, or ignored. A mapping file decides first; then,
column by column in file order:

1. the tool's own metadata columns are ignored (and reported as such);
2. a Qualtrics `_TEXT` (or `_why`, `_comment`, `_evidence`) companion of a rating
   column, or SurveyMonkey's `Open-Ended Response` / `Other (please specify)` under
   a rating question, is that signal's comment;
3. a header holding a signal id as a word (`FIT-01`, `FIT-01_why`) is its rating,
   or its comment when the id is followed by why/comment/evidence/text;
4. a header holding a signal's question text (case, spacing and punctuation
   ignored; after a numbering or a dimension name, or as a grid row
   `Partner Fit [question]`) is its rating, or its comment when the rest of the
   header says comment/why/evidence; a header that is a signal's name is its rating;
   the rulebook's own words (the signal's question, every signal's and dimension's
   name and module) never count as saying comment (`[REC-04] Is there a tested
   reason ...?` is REC-04's rating, and so is a grid row of a dimension named
   `Why Partners Join`);
5. a header starting with Why, Comment or Evidence right after a rating column (or
   after a column rules 3-4 made that signal's comment) is that signal's comment;
6. a header with the word `role` is the role, with `perspective` the perspective;
7. then what the columns hold settles their kind: of the columns rules 2-5 gave
   one signal, a comment column whose answers are all ratings (a number, `3 - ...`,
   a level name; Cannot judge too, even when every answer is) is the rating when
   the signal has no rating column,
   and of two rating columns the second is the comment when it holds free text
   and the first does not.

Any other column is refused by name: nothing is dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from paos.base.rulebook import Rulebook, Signal
from paos.errors import Problem
from paos.evidence.surveys.formats import Column, Export
from paos.evidence.surveys.mapping import Mapping, Target
from paos.evidence.vocabulary import NotARating, normalise, rating_from_answer

COMMENT_WORDS = frozenset(
    {"why", "comment", "comments", "evidence", "explain", "explanation", "reason", "text"}
)
COMMENT_STARTS = ("why", "comment", "evidence")
SM_COMMENT_SUBS = ("open ended response", "other please specify", "comment", "comments")
# Header words of personal data, in the survey tools' languages (English, German,
# French, Spanish), compared without accents: `personal_header`.
PERSONAL_WORDS = frozenset(
    "name names vorname nachname familienname nom prenom nombre apellido apellidos "
    "courriel courrier electronique correo phone telephone telefon tel mobile portable "
    "handy ip ipv4 ipv6 latitude longitude".split()
)
WIDE_PERSONAL = ("name", "function")  # the wide layout's person columns paos leaves out
# how `Matcher.classify` found a signal in a header (not from a neighbour)
SIGNAL_HOW = ("signal id in the header", "question text")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


@dataclass
class Plan:
    """What each column of an export means, and what was refused."""

    targets: dict[int, Target] = field(default_factory=dict)  # by column index
    how: dict[int, str] = field(default_factory=dict)  # why paos chose it
    ignored: list[tuple[Column, str]] = field(default_factory=list)  # (column, why)
    problems: list[Problem] = field(default_factory=list)

    def columns(self, kind: str) -> list[int]:
        return [j for j, t in self.targets.items() if t.kind == kind]


def personal_header(text: str) -> bool:
    """Whether a header names personal data: a name, an e-mail or IP address, a phone
    number, a location (`E-Mail-Adresse`, `Courriel`, `Adresse électronique`,
    `Prénom`, `Telefon`, `Mobiltelefon`, `Handynummer`, `Portable`, `IP`, `IPv6`)."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )
    words = [w for w in re.split(r"[^0-9a-z]+", plain) if w]
    joined = "".join(words)
    return "ipaddress" in joined or any(
        w in PERSONAL_WORDS
        or "mail" in w  # e-mail, email, mailadresse, emailaddress
        or w.endswith("name")  # firstname, username, vorname
        or w.startswith(("telefon", "phone", "mobiltel", "mobilnummer", "handy"))
        for w in words
    )


def _padded(text: str) -> str:
    return f" {normalise(text)} "


class Matcher:
    """The rulebook's signals, ready to be found in header texts."""

    def __init__(self, rulebook: Rulebook):
        self.rb = rulebook
        self.questions = [(_padded(s.question), s.id) for s in rulebook.signals]
        self.questions.sort(key=lambda q: -len(q[0]))
        self.names = {normalise(s.name): s.id for s in rulebook.signals}
        # the rulebook's own words (the signal's question, every signal's and
        # dimension's name and module), which never say what kind of column names
        # it: '[REC-04] Is there a tested reason ...?' is not a comment, nor a grid
        # row of a dimension named 'Why Partners Join'; longest first
        names = {_padded(s.name) for s in rulebook.signals}
        for d in rulebook.dimensions:
            names |= {_padded(d.name), _padded(d.module)}
        self.own = {
            s.id: sorted(names | {_padded(s.question)}, key=len, reverse=True)
            for s in rulebook.signals
        }
        prefixes = sorted({s.id.rsplit("-", 1)[0] for s in rulebook.signals}, key=len)[::-1]
        self.ids = {
            (s.id.rsplit("-", 1)[0].upper(), int(s.id.rsplit("-", 1)[1])): s.id
            for s in rulebook.signals
            if re.fullmatch(r"[A-Za-z]+-\d+", s.id)
        }
        self.id_re = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, prefixes)) + r")[-_](\d+)(?![0-9])"
            r"(.*)$",
            re.IGNORECASE | re.S,
        )

    def by_id(self, text: str) -> tuple[str, str] | None:
        """(signal id, the text after it) when `text` holds a signal id as a word."""
        for m in self.id_re.finditer(text):
            sid = self.ids.get((m.group(1).upper(), int(m.group(2))))
            if sid:
                return sid, m.group(3)
        return None

    def by_question(self, text: str) -> tuple[str, str] | None:
        """(signal id, the rest of the header) when `text` holds a question's text."""
        padded = _padded(text)
        for question, sid in self.questions:
            at = padded.find(question)
            if at >= 0:
                return sid, padded[:at] + " " + padded[at + len(question) :]
        return None

    def kind(self, sid: str, rest: str) -> str:
        """`comment` when the header, apart from the signal's id and the rulebook's
        own words (`own`), says why/comment/evidence; else `rating`."""
        text = _padded(rest)
        for own in self.own[sid]:
            text = text.replace(own, " ")
        return "comment" if set(text.split()) & COMMENT_WORDS else "rating"

    def classify(self, col: Column) -> tuple[Target, str] | None:
        """A column's meaning by rules 3, 4 and 6 (the ones that need no neighbour)."""
        for text in (col.qid, col.words):
            found = self.by_id(text or "")
            if found:
                sid, rest = found
                return Target(self.kind(sid, rest), sid), "signal id in the header"
        found = self.by_question(col.text + " " + (col.sub or ""))
        if found:
            sid, rest = found
            return Target(self.kind(sid, rest), sid), "question text"
        name = normalise(col.sub if col.sub and not col.text else col.text)
        if name in self.names:
            return Target("rating", self.names[name]), "signal name"
        words = set(normalise(col.words).split())
        if "role" in words or "roles" in words:
            return Target("role"), "role question"
        if "perspective" in words:
            return Target("perspective"), "perspective question"
        return None


def _blank_column(export: Export, j: int) -> bool:
    return j not in export.filled


def plan_columns(export: Export, rulebook: Rulebook, mapping: Mapping | None) -> Plan:
    """Decide every column's meaning (see the module docstring)."""
    plan = Plan()
    matcher = Matcher(rulebook)
    meta = {c.index for c in export.metadata}
    mapped: dict[str, tuple[Target, int]] = mapping.columns if mapping else {}
    seen_keys: set[str] = set()
    for col in export.columns:
        j = col.index
        key = normalise(col.key)
        entry = mapped.get(key)
        if entry is None and not col.sub:
            entry = mapped.get(normalise(col.text))
        if entry is not None:
            seen_keys.add(key if key in mapped else normalise(col.text))
            target = entry[0]
            if target.kind == "ignore":
                plan.ignored.append((col, "mapping file"))
            elif personal_header(col.key) and (
                j in meta or target.kind in ("stakeholder_id", "comment")
            ):
                plan.problems.append(
                    export.problem(
                        "holds personal data (names, e-mail or IP addresses, phone "
                        "numbers), which paos never copies into an engagement; map it to "
                        "ignore",
                        1,
                        col.key,
                    )
                )
            else:
                plan.targets[j], plan.how[j] = target, "mapping file"
            continue
        if j in meta:
            plan.ignored.append((col, f"{export.tool_name} metadata"))
            continue
        if not col.key.strip() or col.key == f"column {col.letter}":
            if not _blank_column(export, j):
                plan.problems.append(
                    export.problem(
                        "has answers but no header: paos cannot tell what they answer",
                        1,
                        col.letter,
                    )
                )
            continue
        if export.survey_tool.columns_are_signal_ids:
            found = _wide(col, matcher, rulebook)
            if found is None:
                name = normalise(col.text)
                if name in WIDE_PERSONAL:
                    plan.ignored.append((col, "personal data, not copied"))
                    continue
            else:
                plan.targets[j], plan.how[j] = found
                continue
        prev = plan.targets.get(j - 1)
        prev_col = export.columns[j - 1] if j else None
        companion = _companion(col, plan, export)
        if companion is not None:
            plan.targets[j], plan.how[j] = Target("comment", companion), "comment companion"
            continue
        if (
            prev is not None
            and prev.kind == "rating"
            and prev_col is not None
            and col.sub
            and normalise(col.sub) in SM_COMMENT_SUBS
            and col.text == prev_col.text
        ):
            plan.targets[j], plan.how[j] = Target("comment", prev.signal), "comment companion"
            continue
        found = matcher.classify(col)
        if found is not None and found[0].kind in ("rating", "comment"):
            plan.targets[j], plan.how[j] = found
            continue
        head = normalise(col.sub if col.sub and normalise(col.sub) not in SM_COMMENT_SUBS else "")
        head = head or normalise(col.text)
        if prev is not None and head.startswith(COMMENT_STARTS):
            if prev.kind == "rating" or (prev.kind == "comment" and plan.how[j - 1] in SIGNAL_HOW):
                # after a comment column: one of the two holds the ratings, which the
                # answers settle (`_settle_kinds`), else both are refused as comments
                plan.targets[j], plan.how[j] = (
                    Target("comment", prev.signal),
                    "comment after a rating",
                )
                continue
        if found is not None:
            plan.targets[j], plan.how[j] = found
            continue
        plan.problems.append(
            export.problem(
                "is a question paos cannot match to a signal, comment or role; give its "
                "meaning in a mapping file (--mapping; paos import --suggest EXPORT "
                "writes a starter) or map it to ignore",
                1,
                col.key,
            )
        )
    for key, (_target, line) in mapped.items():
        if key not in seen_keys:
            plan.problems.append(
                Problem(
                    mapping.file if mapping else "",
                    f"names no column of {export.label}",
                    line,
                    key,
                )
            )
    _settle_kinds(plan, export, rulebook, mapping)
    _check_unique(plan, export)
    return plan


def _holds(export: Export, j: int, signal: Signal, rulebook: Rulebook, answers: dict) -> str:
    """What column `j` holds for `signal`: `ratings` (every answer reads as a rating
    or no rating, as `Cannot judge` does), `text` (an answer that is no rating), or
    `nothing` (blank)."""
    seen: set[str] = set()
    rated = False
    for row in export.rows:
        text = (row[j] or "").strip()
        if not text or text in seen:
            continue
        seen.add(text)
        key = normalise(text)
        if key in answers:
            rated = True
            continue
        if _NUMBER.fullmatch(text):  # a number is an answer, never free text
            rated = True
            continue
        try:
            rating_from_answer(text, rulebook, signal)
        except NotARating:
            return "text"
        rated = True  # a rating, or an answer that gives none (Cannot judge, N/A)
    return "ratings" if rated else "nothing"


def _settle_kinds(plan: Plan, export: Export, rulebook: Rulebook, mapping: Mapping | None) -> None:
    """A column's kind follows from what it holds and where it stands: of the columns
    the headers gave one signal (a mapping file's choices are final), a comment column
    whose answers are ratings is the rating when the signal has no rating column; of
    two rating columns, the second is the comment when it holds free text and the
    first does not."""
    answers = mapping.answers if mapping else {}
    signals = {s.id: s for s in rulebook.signals}
    by_signal: dict[str, list[int]] = {}
    for j in sorted(plan.targets):
        t = plan.targets[j]
        if t.kind in ("rating", "comment") and t.signal and plan.how[j] != "mapping file":
            by_signal.setdefault(t.signal, []).append(j)
    for sid, cols in by_signal.items():
        signal = signals[sid]

        def holds(j: int, signal: Signal = signal) -> str:
            return _holds(export, j, signal, rulebook, answers)

        kinds = [plan.targets[j].kind for j in cols]
        if "rating" not in kinds:
            rating = [j for j in cols if holds(j) == "ratings"]
            if len(rating) == 1:
                plan.targets[rating[0]] = Target("rating", sid)
                plan.how[rating[0]] = "answers are ratings"
        elif kinds == ["rating", "rating"] and holds(cols[1]) == "text":
            if holds(cols[0]) != "text":
                plan.targets[cols[1]] = Target("comment", sid)
                plan.how[cols[1]] = "free text after its rating"


def _wide(col: Column, matcher: Matcher, rulebook: Rulebook) -> tuple[Target, str] | None:
    name = col.text.strip().lower()
    ids = {s.id.lower(): s.id for s in rulebook.signals}
    if name in ids:
        return Target("rating", ids[name]), "signal id"
    if name.endswith("_evidence") and name[: -len("_evidence")] in ids:
        return Target("comment", ids[name[: -len("_evidence")]]), "signal id"
    if name in ("role", "perspective", "stakeholder_id"):
        return Target(name), "wide layout"
    return None


def _companion(col: Column, plan: Plan, export: Export) -> str | None:
    """The signal of the rating column this Qualtrics `_TEXT`/`_why` column belongs to."""
    if not col.qid:
        return None
    m = re.fullmatch(r"(.+?)(?:_\d+)?_(text|why|comments?|evidence)", col.qid, re.IGNORECASE)
    if not m:
        return None
    for j, target in plan.targets.items():
        if target.kind == "rating" and export.columns[j].qid == m.group(1):
            return target.signal
    return None


def _check_unique(plan: Plan, export: Export) -> None:
    """A signal rated (or commented) in two columns, or two role columns, is refused."""
    seen: dict[tuple[str, str | None], int] = {}
    for j in sorted(plan.targets):
        t = plan.targets[j]
        if t.kind == "ignore":
            continue
        first = seen.setdefault((t.kind, t.signal), j)
        if first != j:
            what = f"{t.kind} of {t.signal}" if t.signal else f"the {t.kind}"
            plan.problems.append(
                export.problem(
                    f"holds {what}, as column {export.columns[first].key!r} does too; map "
                    "one of them to ignore (or to another signal) in a mapping file",
                    1,
                    export.columns[j].key,
                )
            )
