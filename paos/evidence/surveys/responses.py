"""Response rows to stakeholders and ratings, cell by cell: every cell of a planned
column is used (a rating, a comment, a role, an id) or refused with its file, line,
column and value."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from paos.base.problems import listed
from paos.base.rulebook import Rulebook
from paos.errors import Problem
from paos.evidence.surveys.formats import Export
from paos.evidence.surveys.mapping import Mapping, role_target
from paos.evidence.surveys.matching import Plan
from paos.evidence.vocabulary import NotARating, normalise, rating_from_answer, role_labels

_COUNTER = re.compile(r"\d{1,9}")
FALSE = frozenset({"false", "0", "no"})
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ID = 64  # characters of a stakeholder id paos makes
DIGEST = 10  # hex characters of the response id's hash in an id paos had to alter
# Addresses anywhere in a cell (after NFKC, so a full-width '＠' is an '@'): an
# e-mail address (`Jo <jo@x.de>`, `a@x.com; b@y.com`), an IPv4 address (with a port,
# `198.51.100.7:443`) or an IPv6 one (in brackets, `[2001:db8::1]`); each candidate
# is confirmed by `ipaddress`, so a time (`10:30:00`) or a version (`2.1`) passes.
_EMAIL = re.compile(r"[^@\s<>;,()\[\]\"']+@[^@\s<>;,()\[\]\"']+\.[^@\s<>;,()\[\]\"'.]{2,}")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")
_IPV6 = re.compile(r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Za-z:])")


@dataclass(slots=True)  # one per response: a large export holds hundreds of thousands
class Person:
    line: int
    raw_id: str
    role: str
    perspective: str | None
    complete: bool
    stakeholder_id: str = ""


@dataclass
class Responses:
    """What the rows hold, before ids are settled and files written."""

    people: list[Person] = field(default_factory=list)
    ratings: list[tuple[int, str, int | None, str | None]] = field(
        default_factory=list
    )  # (person index, signal id, rating, comment)
    blanks: int = 0  # rating cells with no rating (blank, N/A, Cannot judge)
    incomplete: int = 0  # incomplete responses imported
    left_out: int = 0  # incomplete responses left out (--complete-only)
    empty: int = 0  # responses without a single rating or comment
    problems: list[Problem] = field(default_factory=list)
    # (file, line) when reading stopped: the file would get more rows than `max_rows`
    over: tuple[str, int] | None = None
    ids_given: bool = False  # the rows carry response ids (else row numbers stand in)
    # the ids number the responses of one form (1, 2, ...: Microsoft Forms' ID, or
    # none given): they tell respondents apart only under a prefix of the export's own
    row_numbers: bool = False
    id_key: str | None = None  # the column of those ids, as messages name it
    skipped: list[str] = field(default_factory=list)  # imported before, same answers
    blank_by: Counter = field(default_factory=Counter)  # blank answers per person

    def keep_only(self, keep: list[int]) -> None:
        """Only the people at these indexes, with their ratings and counts."""
        index = {old: new for new, old in enumerate(keep)}
        self.incomplete -= sum(not p.complete for i, p in enumerate(self.people) if i not in index)
        self.blanks -= sum(n for i, n in self.blank_by.items() if i not in index)
        self.blank_by = Counter({index[i]: n for i, n in self.blank_by.items() if i in index})
        self.people = [self.people[i] for i in keep]
        self.ratings = [(index[i], s, v, c) for i, s, v, c in self.ratings if i in index]


def personal(text: str) -> str | None:
    """What personal data a cell holds anywhere in it (an e-mail or an IP address),
    or None."""
    text = unicodedata.normalize("NFKC", text)
    if _EMAIL.search(text):
        return "an e-mail address"
    for found in (*_IPV4.finditer(text), *_IPV6.finditer(text)):
        if not any(c.isalnum() for c in found.group(0)):  # '::' as a separator
            continue
        try:
            ipaddress.ip_address(found.group(0))
        except ValueError:
            continue
        return "an IP address"
    return None


def _clean(cell: str | None) -> str:
    return (cell or "").strip()


def read_responses(
    export: Export,
    plan: Plan,
    rulebook: Rulebook,
    mapping: Mapping | None,
    complete_only: bool = False,
    max_rows: int | None = None,
) -> Responses:
    """Every response row as a person and their ratings (see the module docstring).
    With `max_rows`, reading stops (`over` set) at the response that would give
    stakeholders.csv or ratings.csv more rows than that: what is held stays bounded."""
    out = Responses()
    persp = rulebook["stakeholder_perspectives"]
    needs = {r.strip().lower() for r in rulebook["roles_requiring_perspective"]}
    signals = {s.id: s for s in rulebook.signals}
    answers = mapping.answers if mapping else {}
    roles_map = mapping.roles if mapping else {}
    key = {j: export.columns[j].key for j in plan.targets}
    rating_cols = [(j, t.signal) for j, t in sorted(plan.targets.items()) if t.kind == "rating"]
    comment_cols = {t.signal: j for j, t in plan.targets.items() if t.kind == "comment"}
    order = [s.id for s in rulebook.signals]
    rated = {sid for _, sid in rating_cols}
    wanted = [sid for sid in order if sid in rated or sid in comment_cols]
    rating_col = {sid: j for j, sid in rating_cols}
    role_col = next(iter(plan.columns("role")), None)
    persp_col = next(iter(plan.columns("perspective")), None)
    id_col = next(iter(plan.columns("stakeholder_id")), None)
    if id_col is None and export.id_column is not None:
        id_col = export.id_column.index
    out.ids_given = id_col is not None
    out.row_numbers = id_col is None or (
        export.survey_tool.ids_are_row_numbers
        and export.id_column is not None
        and id_col == export.id_column.index
    )
    out.id_key = export.columns[id_col].key if id_col is not None else None
    fin = export.finished_column.index if export.finished_column else None
    if role_col is None and not (mapping and (mapping.role or mapping.perspective)):
        out.problems.append(
            export.problem(
                "has no role column (a question whose header holds the word 'role'); map "
                "the role question with `<column>: role` in a mapping file, or give every "
                "respondent's role with `role: <role id>`",
            )
        )
        return out
    memo: dict[tuple[str, str], int | None | str] = {}
    role_memo: dict[str, str | None] = {}
    known_roles = ", ".join(role_labels(rulebook).values())
    bad: dict[str, list[Problem]] = {
        "rating": [],
        "role": [],
        "perspective": [],
        "id": [],
        "personal": [],
    }

    def guard(text: str, j: int) -> bool:
        """Whether a cell paos would copy is personal data (then refused)."""
        what = personal(text)
        if what is not None:
            bad["personal"].append(
                export.problem(
                    f"holds {what}, personal data paos never copies into an engagement; "
                    "delete it from the export, or map the column to ignore",
                    line,
                    key.get(j, export.columns[j].key),
                )
            )
        return what is not None

    # A Qualtrics survey made by `paos questionnaire` (its embedded data names the
    # rulebook) exported as numbers gives each choice's position: the levels from the
    # lowest, then "Cannot judge".
    positions = export.survey_tool.numbers_are_positions and any(
        c.key == "paos_rulebook" for c in export.metadata
    )
    lo, hi = rulebook["rating_scale"]["min"], rulebook["rating_scale"]["max"]

    def rating(sid: str, text: str) -> int | None | str:
        k = (sid, text)
        if k not in memo:
            norm = normalise(text)
            if norm in answers:
                memo[k] = answers[norm]
            elif positions and text.strip().isdigit() and 1 <= int(text) <= hi - lo + 2:
                memo[k] = lo + int(text) - 1 if int(text) <= hi - lo + 1 else None
            else:
                try:
                    memo[k] = rating_from_answer(text, rulebook, signals[sid])
                except NotARating as exc:
                    memo[k] = str(exc)
        return memo[k]

    for i, row in enumerate(export.rows):
        line = export.first_line + i
        if not any(_clean(c) for c in row):
            continue
        complete = fin is None or normalise(row[fin]) not in FALSE
        answered = [
            sid
            for sid in wanted
            if (sid in rating_col and _clean(row[rating_col[sid]]))
            or (sid in comment_cols and _clean(row[comment_cols[sid]]))
        ]
        if not answered:
            out.empty += 1
            continue
        if not complete and complete_only:
            out.left_out += 1
            continue
        # role and perspective
        role: str | None = mapping.role if mapping else None
        if role_col is not None:
            text = _clean(row[role_col])
            if text:
                if text not in role_memo:  # a role answer is read once, not per row
                    role_memo[text] = roles_map.get(normalise(text)) or role_target(text, rulebook)
                role = role_memo[text]
                if role is None:
                    bad["role"].append(
                        export.problem(
                            f"is not a role of the rulebook ({known_roles}); map it under "
                            "`roles:` in a mapping file",
                            line,
                            key[role_col],
                            text,
                        )
                    )
                    continue
        perspective = mapping.perspective if mapping else None
        if persp_col is not None and _clean(row[persp_col]):
            text = _clean(row[persp_col])
            perspective = normalise(text)
            if perspective not in persp:
                bad["perspective"].append(
                    export.problem(
                        f"is not a perspective ({', '.join(persp)})", line, key[persp_col], text
                    )
                )
                continue
        # a respondent who gave only a perspective takes the rulebook's role for that
        # (`roles_requiring_perspective`, `other` in paos-v1), when it has one
        fallback = [r.strip().lower() for r in rulebook["roles_requiring_perspective"][:1]]
        if role is None:
            if perspective is None or not fallback:
                bad["role"].append(
                    export.problem(
                        "is blank; every respondent with answers needs a role",
                        line,
                        key[role_col] if role_col is not None else None,
                    )
                )
                continue
            role = fallback[0]
        if role in needs and perspective is None:
            bad["role"].append(
                export.problem(
                    f"has no default perspective: give one ({', '.join(persp)}) in a "
                    "perspective column or as `perspective:` in a mapping file",
                    line,
                    key[role_col] if role_col is not None else None,
                    role,
                )
            )
            continue
        raw_id = _clean(row[id_col]) if id_col is not None else ""
        if id_col is not None and not raw_id:
            bad["id"].append(
                export.problem(
                    "is blank; every response needs its id", line, export.columns[id_col].key
                )
            )
            continue
        if raw_id and guard(raw_id, id_col):  # type: ignore[arg-type]
            continue
        person = len(out.people)
        out.people.append(Person(line, raw_id or str(i + 1), role, perspective, complete))
        out.incomplete += not complete
        for sid in wanted:
            value: int | None = None
            if sid in rating_col:
                got = rating(sid, _clean(row[rating_col[sid]]))
                if isinstance(got, str):
                    bad["rating"].append(
                        export.problem(got, line, key[rating_col[sid]], row[rating_col[sid]])
                    )
                    continue
                value = got
            comment = row[comment_cols[sid]] if sid in comment_cols else None
            if comment is not None and not comment.strip():
                comment = None
            if comment is not None and guard(comment, comment_cols[sid]):
                continue
            if value is None:
                out.blanks += sid in rating_col
                out.blank_by[person] += sid in rating_col
                if comment is None:
                    continue
            out.ratings.append((person, sid, value, comment))
        if max_rows is not None and max(len(out.people), len(out.ratings)) > max_rows:
            out.over = ("stakeholders" if len(out.people) > max_rows else "ratings", line)
            break
    mapped = id_col is not None and (export.id_column is None or id_col != export.id_column.index)
    if mapped and out.people and all(_COUNTER.fullmatch(p.raw_id) for p in out.people):
        out.row_numbers = True  # a mapped column of counters (1, 2, ...) numbers rows too
    for kind, found in bad.items():
        out.problems += listed(
            found, "personal data" if kind == "personal" else f"a {kind} refused"
        )
    return out


def stakeholder_id(stem: str, raw: str) -> str:
    """`<stem>-<response id>`, as an id may be written (letters, digits, '.', '_', '-';
    at most `MAX_ID`). A response id that has to be altered to fit (other
    characters, or too long) ends in a hash of the whole id instead, so two response
    ids never become one stakeholder and the same response id always gives the same
    stakeholder id."""
    part = _UNSAFE_ID.sub("-", raw).strip("-._")
    full = f"{stem}-{part}" if stem and part else stem or part
    if part == raw and len(full) <= MAX_ID:
        return full
    digest = id_digest(raw)
    head = full[: MAX_ID - DIGEST - 1].rstrip("-._")
    return f"{head}-{digest}" if head else digest


def id_digest(raw: str) -> str:
    """The hash a stakeholder id paos had to alter ends in (`stakeholder_id`)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:DIGEST]


def settle_ids(
    export: Export,
    responses: Responses,
    prefix: str | None,
    taken: set[str],
) -> list[Problem]:
    """Give every person a stakeholder id `<prefix>-<response id>` (`stakeholder_id`;
    the row number where the tool has none). Response ids identify respondents: an
    id the engagement has already (`taken`) is that respondent, whom `once.count_once`
    then recognises, so the tool's prefix is kept. Row numbers identify no one: without
    an explicit prefix, the tool's prefix is numbered (gf, gf2, gf3, ...) until no id
    collides. Returns the problems (ids repeated in the export, or row numbers that
    collide under an explicit prefix)."""
    problems: list[Problem] = []
    base = export.survey_tool.prefix if prefix is None else prefix
    raw = [p.raw_id for p in responses.people]
    seen: dict[str, int] = {}
    for p in responses.people:
        first = seen.setdefault(stakeholder_id(base, p.raw_id).casefold(), p.line)
        if first != p.line:
            problems.append(
                export.problem(
                    f"is the same response id as line {first} (ids are compared without "
                    "case); each response needs its own",
                    p.line,
                    responses.id_key,
                    p.raw_id,
                )
            )
    if problems:
        return listed(problems, "a repeated response id")
    lowered = {t.casefold() for t in taken}
    for n in range(1, 1000):
        stem = base if n == 1 else f"{base}{n}"
        ids = [stakeholder_id(stem, r) for r in raw]
        clash = [i for i in ids if i.casefold() in lowered]
        if not clash or responses.ids_given or prefix is not None or not base:
            break
    if clash and not responses.ids_given:
        problems.append(
            export.problem(
                f"gives stakeholder ids the engagement has already ({', '.join(clash[:5])}"
                f"{', ...' if len(clash) > 5 else ''}); give another prefix (--prefix)"
            )
        )
        return problems
    for p, sid in zip(responses.people, ids, strict=True):
        p.stakeholder_id = sid
    return problems


def perspectives(responses: Responses, rulebook: Rulebook) -> Counter:
    """Respondents per perspective (declared, else their role's)."""
    roles = rulebook.role_perspectives
    return Counter(p.perspective or roles.get(p.role, "?") for p in responses.people)
