"""The mapping file (`paos import --mapping MAP.yaml`): what paos cannot tell by itself.

    # every key is optional
    prefix: partner            # stakeholder ids partner-1, partner-2, ...
    role: partner              # every respondent's role (the export asks none)
    perspective: partner       # every respondent's perspective
    columns:                   # column (Qualtrics id or header text) -> meaning
      Q7: FIT-01               # a rating of a signal
      Q7_TEXT: comment FIT-01  # the evidence (comment) of a signal's rating
      "What is your job?": role
      Q2: perspective
      Q3: stakeholder_id       # the respondent's id, instead of the tool's
      Department: ignore
    roles:                     # role answer -> rulebook role id
      Alliances lead: head_of_partnerships
    answers:                   # answer text -> rating, or blank for no rating
      Strongly agree: 4
      Not sure: blank

Read like every other YAML input (`paos.base.yaml_events.read_yaml`: no anchors, aliases or tags,
every value the text written); an unknown key or target is refused with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from paos._defaults import ID_PATTERN
from paos.base.files import Refused, decode, read_file
from paos.base.limits import MAX_META_BYTES
from paos.base.rulebook import Rulebook
from paos.base.yaml_events import read_yaml
from paos.errors import EvidenceError, FaultError, Problem
from paos.evidence.vocabulary import normalise, role_from_answer

KEYS = ("format", "prefix", "role", "perspective", "columns", "roles", "answers")
SIMPLE_TARGETS = ("role", "perspective", "stakeholder_id", "ignore")
BLANK_WORDS = ("blank", "none", "null", "no rating", "")
_COMMENT = re.compile(r"^comment\s+(?:of\s+)?(\S+)$", re.IGNORECASE)
MAX_PREFIX = 24  # characters of a stakeholder id prefix


@dataclass(frozen=True)
class Target:
    """What a column means: kind `rating`/`comment` (with its signal), `role`,
    `perspective`, `stakeholder_id` or `ignore`."""

    kind: str
    signal: str | None = None

    def __str__(self) -> str:
        if self.kind == "rating":
            return str(self.signal)
        if self.kind == "comment":
            return f"comment {self.signal}"
        return self.kind


@dataclass
class Mapping:
    file: str = ""
    prefix: str | None = None
    role: str | None = None
    perspective: str | None = None
    columns: dict[str, tuple[Target, int]] = field(default_factory=dict)  # by normalised key
    roles: dict[str, str] = field(default_factory=dict)  # normalised answer -> role
    answers: dict[str, int | None] = field(default_factory=dict)  # normalised answer -> rating
    used: set[str] = field(default_factory=set)  # column keys the export has


def role_target(value: str, rulebook: Rulebook) -> str | None:
    """A rulebook role id (or a role that needs a declared perspective, `other`)."""
    wanted = normalise(value)
    for role in rulebook["roles_requiring_perspective"]:
        if wanted == normalise(role):
            return role.strip().lower()
    return role_from_answer(value, rulebook)


def parse_target(value: str, rulebook: Rulebook) -> Target | None:
    text = value.strip()
    ids = {s.id.upper(): s.id for s in rulebook.signals}
    if text.upper() in ids:
        return Target("rating", ids[text.upper()])
    m = _COMMENT.match(text)
    if m and m.group(1).upper() in ids:
        return Target("comment", ids[m.group(1).upper()])
    if text.lower() in SIMPLE_TARGETS:
        return Target(text.lower())
    return None


def load_mapping(path: Path, rulebook: Rulebook) -> Mapping:
    """Read and check a mapping file; `EvidenceError` listing every problem."""
    label = str(path)
    nested: dict[tuple, int] = {}
    try:
        text = decode(read_file(path, label, MAX_META_BYTES), label)
    except Refused as err:
        if err.fault:
            raise FaultError(str(err.problem)) from None
        raise EvidenceError([err.problem]) from None
    tree, lines, problems = read_yaml(text, label, nested)
    out = Mapping(label)
    if problems:
        raise EvidenceError(problems)
    if tree is None:
        return out
    if not isinstance(tree, dict):
        raise EvidenceError([Problem(label, "must be a mapping of key: value lines", 1)])
    p = lambda rule, key, line=None, value=None: problems.append(  # noqa: E731
        Problem(label, rule, line or lines.get(key), key, value)
    )
    for key, value in tree.items():
        if key not in KEYS:
            p(f"is not a key of a mapping file (known: {', '.join(KEYS)})", key)
        elif key in ("columns", "roles", "answers"):
            if value is not None and not isinstance(value, dict):
                p("must be a mapping of `text: value` lines", key)
        elif value is not None and not isinstance(value, str):
            p("must be a single value", key)
    if problems:
        raise EvidenceError(problems)
    persp = rulebook["stakeholder_perspectives"]
    if tree.get("prefix"):
        prefix = str(tree["prefix"]).strip()
        if not re.fullmatch(ID_PATTERN, prefix) or len(prefix) > MAX_PREFIX:
            p(
                f"is not a usable id prefix (letters, digits, '.', '_', '-'; at most {MAX_PREFIX})",
                "prefix",
            )
        out.prefix = prefix
    if tree.get("role"):
        role = role_target(str(tree["role"]), rulebook)
        if role is None:
            p("is not a role of the rulebook", "role", value=tree["role"])
        out.role = role
    if tree.get("perspective"):
        value = normalise(tree["perspective"])
        if value not in persp:
            p(
                f"is not a perspective ({', '.join(persp)})",
                "perspective",
                value=tree["perspective"],
            )
        out.perspective = value
    lo, hi = rulebook["rating_scale"]["min"], rulebook["rating_scale"]["max"]
    for section in ("columns", "roles", "answers"):
        for k, v in (tree.get(section) or {}).items():
            line = nested.get((section, k))
            text = "" if v is None else v
            if not isinstance(text, str):
                p("must be a single value", k, line)
                continue
            if section == "columns":
                target = parse_target(text, rulebook)
                if target is None:
                    p(
                        "is not a column meaning (a signal id, comment <signal id>, role, "
                        "perspective, stakeholder_id or ignore)",
                        k,
                        line,
                        text,
                    )
                elif normalise(k) in out.columns:
                    p("names the same column as an earlier key", k, line)
                else:
                    out.columns[normalise(k)] = (target, line or 0)
            elif section == "roles":
                role = role_target(text, rulebook)
                if role is None:
                    p("is not a role of the rulebook", k, line, text)
                else:
                    out.roles[normalise(k)] = role
            else:
                if normalise(text) in BLANK_WORDS:
                    out.answers[normalise(k)] = None
                elif re.fullmatch(r"\d+", text.strip()) and lo <= int(text) <= hi:
                    out.answers[normalise(k)] = int(text)
                else:
                    p(f"is not a rating ({lo}-{hi}) or blank", k, line, text)
    if problems:
        raise EvidenceError(problems)
    return out
