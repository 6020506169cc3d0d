"""The rulebook: the methodology as a versioned data file.

`load_rulebook("paos-v1")` reads `paos/rulebooks/paos-v1.yaml` (or any path),
checks it against `SCHEMA` (every key present, no unknown key, right types,
consistent rules) and returns a frozen `Rulebook`. Results carry its id and
the sha256 of the file's bytes.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl
import yaml

from paos._defaults import DEFAULT_RULEBOOK, ID_PATTERN
from paos.errors import FaultError, RulebookError, printable
from paos.evidence.intake import MAX_META_BYTES, Refused, read_file, read_yaml

RULEBOOK_DIR = Path(__file__).parent.parent / "rulebooks"


class _ListOf:
    def __init__(self, item):
        self.item = item


class _MapOf:
    def __init__(self, key: type, value):
        self.key, self.value = key, value


class _Optional:
    """A key a rulebook may leave out (the bundled ones do)."""

    def __init__(self, item):
        self.item = item


_num = (int, float)
_SIGNAL = {
    "id": str,
    "name": str,
    "question": str,
    "threshold": _num,
    "weight": _num,
    "rubric": _MapOf(int, str),
}
SCHEMA = {
    "id": str,
    # A rulebook made by `paos rulebook new` names the rulebook it was copied from,
    # so `paos rulebook check` can tell what differs without guessing.
    "parent": _Optional({"id": str, "sha256": str}),
    "title": str,
    "version": int,
    "comparison_decimals": int,
    "display_decimals": int,
    "rating_scale": {"min": int, "max": int, "levels": _MapOf(int, {"name": str, "meaning": str})},
    "tiers": _MapOf(int, str),
    "perspectives": _MapOf(str, {"weight": _num, "roles": _ListOf(str)}),
    # The perspective of metric-derived ratings. Optional: without it, it is the one
    # perspective that holds no roles and that no stakeholder may declare (`data` in
    # paos-v1); a rulebook where that is not exactly one perspective must name it.
    "metric_perspective": _Optional(str),
    "strategic_perspective": str,
    # How the deliverables name the two views a divergence compares: the strategic
    # perspective's mean and every other perspective's (words, not ids). Optional:
    # without it, the perspectives' own names.
    "view_labels": _Optional({"strategic": str, "reality": str}),
    "stakeholder_perspectives": _ListOf(str),
    "roles_requiring_perspective": _ListOf(str),
    "divergence": {"blind_spot_at_or_above": _num, "hidden_strength_at_or_below": _num},
    "agreement": {"null_variance": _num, "min_ratings": int, "low_consensus_below": _num},
    "validated_min_perspectives": int,
    "min_coverage": _num,
    "severity": _ListOf({"name": str, "min_shortfall": _num}),
    "escalation": {"divergence_class": str, "levels": int},
    "priority": _ListOf({"priority": str, "severity": str, "tiers": _ListOf(int)}),
    "phases": _ListOf(
        {"phase": int, "priority": str, "name": str, "start_day": int, "end_day": int}
    ),
    "maturity": _ListOf({"name": str, "min": _num}),
    "metrics": _ListOf(
        {"id": str, "unit": str, "signal": str, "direction": str, "cuts": _ListOf(_num)}
    ),
    "screening": {
        "constraint_at_or_below": int,
        "recommendation_if_constraint": str,
        "recommendation_otherwise": str,
    },
    "anonymity_min_role_group": int,
    "gap_evidence_max_rating": int,
    "benchmark_min_peers": int,
    "company_stages": _ListOf(str),
    "dimensions": _ListOf(
        {
            "id": str,
            "name": str,
            "decides": str,
            "tier": int,
            "weight": _num,
            "module": str,
            "screening_question": str,
            "signals": _ListOf(_SIGNAL),
        }
    ),
}


def schema_paths(schema=SCHEMA, prefix: str = "") -> set[str]:
    """Every key path the code implements, e.g. `dimensions[].signals[].threshold`."""
    if isinstance(schema, dict):
        out: set[str] = set()
        for key, sub in schema.items():
            out |= schema_paths(sub, f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(schema, _ListOf):  # a list of scalars is one leaf
        return (
            schema_paths(schema.item, prefix + "[]") if isinstance(schema.item, dict) else {prefix}
        )
    if isinstance(schema, _MapOf):
        return schema_paths(schema.value, prefix + ".*")
    if isinstance(schema, _Optional):
        return schema_paths(schema.item, prefix)
    return {prefix}


def optional_paths(schema=SCHEMA, prefix: str = "") -> set[str]:
    """The key paths of `schema_paths` under an optional key (e.g. `parent.id`)."""
    out: set[str] = set()
    for key, sub in schema.items():
        where = f"{prefix}.{key}" if prefix else key
        if isinstance(sub, _Optional):
            out |= schema_paths(sub.item, where)
    return out


# Categories a rulebook text may not hold: controls (Cc), format characters (Cf:
# soft hyphen, bidi and zero-width marks, tag characters, ...), private use (Co),
# unassigned code points (Cn, as of Python's Unicode database; U+FFFE and U+FFFF
# among them), lone surrogates (Cs) and the line and paragraph separators (Zl, Zp).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
# The joiners are format characters but part of ordinary text: ZWJ in emoji
# sequences, ZWNJ and ZWJ in Persian and Indic words. They are text only between two
# visible characters.
_JOINERS = frozenset("\u200c\u200d")


def _visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in _REFUSED_CATEGORIES


def text_problem(text: str) -> str | None:
    """Why `text` is not one line of printable text, or None when it is. Refused: line
    breaks, tabs and every other control character, format characters (bidi, zero
    width, soft hyphen, tags), private-use and unassigned code points, lone
    surrogates (`_REFUSED_CATEGORIES`), and whatever `printable` escapes; a joiner
    (ZWJ, ZWNJ) only where it joins two visible characters. A rulebook's texts reach
    Markdown, HTML, SVG and spreadsheets, where such a character breaks a line,
    reorders or hides text or kills the chart engine."""
    if text.isprintable():  # the common case; implies none of the characters below
        return None
    for i, ch in enumerate(text):
        if ch in _JOINERS and 0 < i < len(text) - 1:
            if _visible(text[i - 1]) and _visible(text[i + 1]):
                continue
        elif ch != "\t" and unicodedata.category(ch) not in _REFUSED_CATEGORIES:
            if printable(ch) == ch:
                continue
        return f"must be one line of printable text (U+{ord(ch):04X} at character {i + 1})"
    return None


def _check(value, schema, path: str, errors: list[str]):
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            errors.append(f"key {path or '(top)'}: expected a mapping of {', '.join(schema)}")
            return
        for key in value:
            if key not in schema:
                errors.append(
                    f"key {path + '.' if path else ''}{key}: unknown key "
                    "(not implemented by this version of paos)"
                )
        for key, sub in schema.items():
            where = f"{path}.{key}" if path else key
            if isinstance(sub, _Optional):
                if key in value:
                    _check(value[key], sub.item, where, errors)
            elif key not in value:
                errors.append(f"key {where}: missing")
            else:
                _check(value[key], sub, where, errors)
    elif isinstance(schema, _ListOf):
        if not isinstance(value, list) or not value and schema.item is not str:
            errors.append(f"key {path}: expected a non-empty list")
            return
        for i, item in enumerate(value):
            _check(item, schema.item, f"{path}[{i}]", errors)
    elif isinstance(schema, _MapOf):
        if not isinstance(value, dict) or not value:
            errors.append(f"key {path}: expected a non-empty mapping")
            return
        for key, item in value.items():
            where = f"{path}.{printable(key)}"
            if not isinstance(key, schema.key):
                errors.append(f"key {where}: key must be {schema.key.__name__}")
            elif isinstance(key, str) and (why := text_problem(key)):
                errors.append(f"key {where}: the name {why}")
            _check(item, schema.value, where, errors)
    else:
        kinds = schema if isinstance(schema, tuple) else (schema,)
        ok = isinstance(value, kinds) and not isinstance(value, bool)
        if ok and isinstance(value, float) and not math.isfinite(value):
            ok = False
        if ok and isinstance(value, str) and not value.strip():
            ok = False
        if not ok:
            want = "a number" if schema is _num else f"a {kinds[0].__name__}"
            errors.append(f"key {path}: {value!r} is not {want}")
        elif isinstance(value, str) and (why := text_problem(value)):
            errors.append(f"key {path}: {why}")


# The range of every numeric key, inclusive (docs/methodology.md, "Ranges of the
# numbers"): what scoring holds without an integer overflow (tiers and phases are
# 8-bit), a NaN or a silent loss of precision (weights), a date past the calendar
# (phase days) or a rounding polars cannot do (decimals). `lo`..`hi` is the rating
# scale, `span` its width. Numbers: the schema's `int` and number leaves.
WEIGHT_RANGE = (0.001, 1000)
MAX_TIER = 99
MAX_DAY = 3650  # ten years of roadmap


def numeric_ranges(raw: dict) -> dict[str, tuple[float, float]]:
    """The range of each numeric key path of `schema_paths`, for the parsed rulebook
    `raw` (some depend on its rating scale, severity bands and perspectives; those are
    left out while the keys they depend on are broken)."""
    out: dict[str, tuple[float, float]] = {
        "version": (1, 1_000_000),
        "comparison_decimals": (0, 12),
        "display_decimals": (0, 6),
        "rating_scale.min": (0, 9),
        "rating_scale.max": (1, 10),
        "perspectives.*.weight": WEIGHT_RANGE,
        "agreement.null_variance": WEIGHT_RANGE,
        "agreement.min_ratings": (2, 1000),
        "agreement.low_consensus_below": (0, 1),
        "min_coverage": (0.01, 1),
        "priority[].tiers": (1, MAX_TIER),
        "phases[].phase": (1, MAX_TIER),
        "phases[].start_day": (0, MAX_DAY - 1),
        "phases[].end_day": (1, MAX_DAY),
        "metrics[].cuts": (0, 1e9),
        "anonymity_min_role_group": (3, 1000),
        "benchmark_min_peers": (1, 1000),
        "dimensions[].tier": (1, MAX_TIER),
        "dimensions[].weight": WEIGHT_RANGE,
        "dimensions[].signals[].weight": WEIGHT_RANGE,
    }
    try:
        lo, hi = raw["rating_scale"]["min"], raw["rating_scale"]["max"]
        if all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)) and lo < hi:
            span = hi - lo
            out |= {
                "divergence.blind_spot_at_or_above": (0, span),
                "divergence.hidden_strength_at_or_below": (-span, 0),
                "severity[].min_shortfall": (0, span),
                "maturity[].min": (lo, hi),
                "screening.constraint_at_or_below": (lo - 1, hi),
                "gap_evidence_max_rating": (lo, hi),
                "dimensions[].signals[].threshold": (lo, hi),
            }
    except _BROKEN:
        pass
    try:
        out["escalation.levels"] = (0, len(raw["severity"]) - 1)
    except _BROKEN:
        pass
    try:
        out["validated_min_perspectives"] = (1, len(raw["perspectives"]))
    except _BROKEN:
        pass
    return out


def numeric_paths(schema=SCHEMA, prefix: str = "") -> set[str]:
    """The key paths of `schema_paths` that hold numbers (each needs a range)."""
    if isinstance(schema, dict):
        out: set[str] = set()
        for key, sub in schema.items():
            out |= numeric_paths(sub, f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(schema, _ListOf):
        return numeric_paths(
            schema.item, prefix + "[]" if isinstance(schema.item, dict) else prefix
        )
    if isinstance(schema, _MapOf):
        return numeric_paths(schema.value, prefix + ".*")
    if isinstance(schema, _Optional):
        return numeric_paths(schema.item, prefix)
    return {prefix} if schema in (int, _num) else set()


def _numbers(value, schema, path: str, spath: str):
    """(path, schema path, number) of every numeric leaf of `value` the schema accepts."""
    if isinstance(schema, _Optional):
        yield from _numbers(value, schema.item, path, spath)
    elif isinstance(schema, dict) and isinstance(value, dict):
        for key, sub in schema.items():
            if key in value:
                yield from _numbers(
                    value[key],
                    sub,
                    f"{path}.{key}" if path else key,
                    f"{spath}.{key}" if spath else key,
                )
    elif isinstance(schema, _ListOf) and isinstance(value, list):
        sub = spath + "[]" if isinstance(schema.item, dict) else spath
        for i, item in enumerate(value):
            yield from _numbers(item, schema.item, f"{path}[{i}]", sub)
    elif isinstance(schema, _MapOf) and isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, schema.value, f"{path}.{printable(key)}", spath + ".*")
    elif schema in (int, _num):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and (not isinstance(value, float) or math.isfinite(value)):
            yield path, spath, value


def _range_problems(raw: dict) -> list[str]:
    ranges = numeric_ranges(raw)
    out = []
    for path, spath, value in _numbers(raw, SCHEMA, "", ""):
        if spath in ranges:
            lo, hi = ranges[spath]
            if not lo <= value <= hi:
                out.append(f"key {path}: {_g(value)} is outside its range {_g(lo)} to {_g(hi)}")
    try:
        for t in raw["tiers"]:
            if isinstance(t, int) and not 1 <= t <= MAX_TIER:
                out.append(f"key tiers.{_g(t)}: a tier is numbered 1 to {MAX_TIER}")
    except _BROKEN:
        pass
    return out


def _g(x: float) -> str:
    """A number as a message shows it: short, never thousands of digits."""
    if isinstance(x, int) and abs(x) >= 10**15:
        return f"about {'-' if x < 0 else ''}1e{int(abs(x).bit_length() * 0.30103)}"
    return f"{x:.6g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Signal:
    id: str
    dimension: str
    name: str
    question: str
    threshold: float
    weight: float
    rubric: dict[int, str]


@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    decides: str
    tier: int
    weight: float
    module: str
    screening_question: str
    signals: tuple[Signal, ...]


@dataclass(frozen=True)
class Metric:
    id: str
    unit: str
    signal: str
    direction: str
    cuts: tuple[float, ...]


@dataclass(frozen=True)
class Rulebook:
    """A loaded, validated rulebook. `raw` is the parsed file; `sha256` its bytes' hash."""

    id: str
    path: Path
    sha256: str
    raw: dict = field(repr=False, compare=False, hash=False)

    def __getitem__(self, key: str):
        return self.raw[key]

    @property
    def decimals(self) -> int:
        return self.raw["comparison_decimals"]

    @property
    def parent(self) -> dict[str, str] | None:
        """{"id", "sha256"} of the rulebook this one was made from (`paos rulebook new`),
        or None for a rulebook made by hand (the bundled ones)."""
        par = self.raw.get("parent")
        return {"id": par["id"], "sha256": par["sha256"]} if par else None

    @cached_property
    def dimensions(self) -> tuple[Dimension, ...]:
        return tuple(
            Dimension(
                d["id"],
                d["name"],
                d["decides"],
                d["tier"],
                float(d["weight"]),
                d["module"],
                d["screening_question"],
                tuple(
                    Signal(
                        s["id"],
                        d["id"],
                        s["name"],
                        s["question"],
                        float(s["threshold"]),
                        float(s["weight"]),
                        dict(s["rubric"]),
                    )
                    for s in d["signals"]
                ),
            )
            for d in self.raw["dimensions"]
        )

    @cached_property
    def signals(self) -> tuple[Signal, ...]:
        return tuple(s for d in self.dimensions for s in d.signals)

    @cached_property
    def metrics(self) -> tuple[Metric, ...]:
        return tuple(
            Metric(
                m["id"], m["unit"], m["signal"], m["direction"], tuple(float(c) for c in m["cuts"])
            )
            for m in self.raw["metrics"]
        )

    @cached_property
    def role_perspectives(self) -> dict[str, str]:
        """Default perspective of each known role (lower case)."""
        return {
            role.strip().lower(): name
            for name, p in self.raw["perspectives"].items()
            for role in p["roles"]
        }

    @cached_property
    def perspective_weights(self) -> dict[str, float]:
        """Every perspective's weight, the metric perspective included, in file order."""
        return {name: float(p["weight"]) for name, p in self.raw["perspectives"].items()}

    @cached_property
    def metric_perspective(self) -> str:
        """The perspective of metric-derived ratings: `metric_perspective` when the file
        names it, else the one perspective with no roles that stakeholders cannot
        declare (loading refuses a rulebook where that is not exactly one)."""
        return self.raw.get("metric_perspective") or metric_perspectives(self.raw)[0]

    @cached_property
    def people_perspectives(self) -> list[str]:
        """The perspectives stakeholders rate from (every one but the metric one)."""
        return [p for p in self.perspective_weights if p != self.metric_perspective]

    def signal_table(self) -> pl.DataFrame:
        """One row per signal in catalogue order, with its dimension's tier and order."""
        dim_order = {d.id: i for i, d in enumerate(self.dimensions)}
        tiers = {d.id: d.tier for d in self.dimensions}
        return pl.DataFrame(
            {
                "signal_id": [s.id for s in self.signals],
                "dimension": [s.dimension for s in self.signals],
                "tier": [tiers[s.dimension] for s in self.signals],
                "threshold": [s.threshold for s in self.signals],
                "signal_weight": [s.weight for s in self.signals],
                "signal_order": list(range(len(self.signals))),
                "dimension_order": [dim_order[s.dimension] for s in self.signals],
            },
            schema_overrides={
                "tier": pl.Int8,
                "signal_order": pl.Int32,
                "dimension_order": pl.Int32,
            },
        )

    def dimension_table(self) -> pl.DataFrame:
        """One row per dimension in display order."""
        return pl.DataFrame(
            {
                "dimension": [d.id for d in self.dimensions],
                "name": [d.name for d in self.dimensions],
                "tier": [d.tier for d in self.dimensions],
                "dimension_weight": [d.weight for d in self.dimensions],
                "module": [d.module for d in self.dimensions],
                "n_signals": [len(d.signals) for d in self.dimensions],
                "dimension_order": list(range(len(self.dimensions))),
            },
            schema_overrides={"tier": pl.Int8, "n_signals": pl.Int32, "dimension_order": pl.Int32},
        )


_BROKEN = (KeyError, TypeError, IndexError, AttributeError, ValueError)


class _Rules:
    """Collects the problems of `_consistency`; a rule whose data the schema already
    refused (a missing key, a value of the wrong type) is skipped, not raised, so
    every other rule is still checked and every problem is listed."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, rule, *args) -> None:
        try:
            rule(*args)
        except _BROKEN:
            pass

    def add(self, text: str) -> None:
        self.errors.append(text)


def _consistency(raw: dict) -> list[str]:
    """Rules the schema alone cannot state: references and orderings. Each rule is
    checked on its own, so a file with several problems gets every one listed."""
    rules = _Rules()
    err = rules.add
    ctx: dict = {}

    def scale() -> None:
        lo, hi = raw["rating_scale"]["min"], raw["rating_scale"]["max"]
        if hi <= lo:
            err(f"key rating_scale.max: must be above min {lo}")
            return
        ctx["lo"], ctx["hi"], ctx["levels"] = lo, hi, list(range(lo, hi + 1))
        if sorted(raw["rating_scale"]["levels"]) != ctx["levels"]:
            err(f"key rating_scale.levels: must define every level {lo}..{hi}")

    def parent() -> None:
        if "parent" not in raw:
            return
        par = raw["parent"]
        if not re.fullmatch(ID_PATTERN, str(par["id"])):
            err(f"key parent.id: {par['id']!r} is not a rulebook id")
        if par["id"] == raw["id"]:
            err("key parent.id: a rulebook cannot be its own parent; give this one another id")
        if not re.fullmatch(r"[0-9a-f]{64}", str(par["sha256"])):
            err("key parent.sha256: must be the 64 lower-case hex digits of a sha256")

    def ident() -> None:
        if not re.fullmatch(ID_PATTERN, raw["id"]):
            err(f"key id: {raw['id']!r} is not a rulebook id (letters, digits, . _ -)")

    def perspectives() -> None:
        persp = raw["perspectives"]
        if raw["strategic_perspective"] not in persp:
            err("key strategic_perspective: not one of the perspectives")
        for i, p in enumerate(raw["stakeholder_perspectives"]):
            if p not in persp:
                err(f"key stakeholder_perspectives[{i}]: {p!r} is not a perspective")
        rules(metric_perspective)
        seen_roles: dict[str, str] = {}
        for name, p in persp.items():
            rules(perspective, name, p, seen_roles)

    def metric_perspective() -> None:
        named = raw.get("metric_perspective")
        found = metric_perspectives(raw)
        if named is None:
            if len(found) != 1:
                err(
                    "key metric_perspective: missing; name the perspective of metric-derived "
                    "ratings (a perspective with no roles that stakeholders cannot declare: "
                    + (", ".join(found) if found else "none here")
                    + ")"
                )
        elif named not in found:
            err(
                f"key metric_perspective: {named!r} is not a perspective with no roles that "
                "stakeholders cannot declare, other than the strategic one"
            )

    def perspective(name, p, seen_roles) -> None:
        for role in p["roles"]:
            if role.lower() in seen_roles:
                err(
                    f"key perspectives.{name}.roles: role {role!r} is also in "
                    f"{seen_roles[role.lower()]}"
                )
            seen_roles[role.lower()] = name

    def severity() -> None:
        mins = [s["min_shortfall"] for s in raw["severity"]]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0:
            err("key severity: bands must be ordered by min_shortfall, descending, the last at 0")
        names = [s["name"] for s in raw["severity"]]
        if len(set(names)) != len(names):
            err("key severity: a band name is listed twice")

    def priority() -> None:
        sev = [s["name"] for s in raw["severity"]]
        tiers = sorted(raw["tiers"])
        seen = set()
        for i, rule in enumerate(raw["priority"]):
            if rule["severity"] not in sev:
                err(f"key priority[{i}].severity: {rule['severity']!r} is not a severity")
            for t in rule["tiers"]:
                if t not in raw["tiers"]:
                    err(f"key priority[{i}].tiers: {t} is not a tier")
                if (rule["severity"], t) in seen:
                    err(f"key priority[{i}]: {rule['severity']} in tier {t} already has a priority")
                seen.add((rule["severity"], t))
        missing = [(s, t) for s in sev for t in tiers if (s, t) not in seen]
        if missing:
            err("key priority: no rule for " + ", ".join(f"{s} in tier {t}" for s, t in missing))

    def phases() -> None:
        prios = sorted({r["priority"] for r in raw["priority"]})
        if sorted(p["priority"] for p in raw["phases"]) != prios:
            err("key phases: need exactly one phase per priority " + ", ".join(prios))
        for i, p in enumerate(raw["phases"]):
            if p["end_day"] <= p["start_day"]:
                err(f"key phases[{i}].end_day: must come after start_day {p['start_day']}")

    def divergence() -> None:
        dv = raw["divergence"]
        if not dv["hidden_strength_at_or_below"] < dv["blind_spot_at_or_above"]:
            err("key divergence.blind_spot_at_or_above: must be above hidden_strength_at_or_below")

    def escalation() -> None:
        if raw["escalation"]["divergence_class"] not in ("blind_spot", "hidden_strength"):
            err("key escalation.divergence_class: must be blind_spot or hidden_strength")

    def maturity() -> None:
        mat = [m["min"] for m in raw["maturity"]]
        if mat != sorted(mat) or mat[0] != ctx["lo"]:
            err(f"key maturity: bands must ascend by min, the first at {ctx['lo']}")

    def dimensions() -> None:
        sig_ids: set[str] = set()
        dim_ids: set[str] = set()
        ctx["sig_ids"] = sig_ids
        for i, d in enumerate(raw["dimensions"]):
            rules(dimension, i, d, dim_ids, sig_ids)

    def dimension(i, d, dim_ids, sig_ids) -> None:
        if d["id"] in dim_ids:
            err(f"key dimensions[{i}].id: duplicate {d['id']!r}")
        dim_ids.add(d["id"])
        if d["tier"] not in raw["tiers"]:
            err(f"key dimensions[{i}].tier: {d['tier']} is not a tier")
        for j, s in enumerate(d["signals"]):
            rules(signal, f"key dimensions[{i}].signals[{j}]", s, sig_ids)

    def signal(where, s, sig_ids) -> None:
        if s["id"] in sig_ids:
            err(f"{where}.id: duplicate {s['id']!r}")
        sig_ids.add(s["id"])
        lo, hi = ctx["lo"], ctx["hi"]
        if sorted(s["rubric"]) != ctx["levels"]:
            err(f"{where}.rubric: must define every level {lo}..{hi}")

    def stages() -> None:
        if len(set(raw["company_stages"])) != len(raw["company_stages"]):
            err("key company_stages: a stage is listed twice")

    def metrics() -> None:
        for i, m in enumerate(raw["metrics"]):
            rules(metric, i, m)

    def metric(i, m) -> None:
        if "sig_ids" in ctx and m["signal"] not in ctx["sig_ids"]:
            err(f"key metrics[{i}].signal: {m['signal']!r} is not a signal id")
        if m["direction"] not in ("higher", "lower"):
            err(f"key metrics[{i}].direction: must be higher or lower")
        n = ctx["hi"] - ctx["lo"]
        if len(m["cuts"]) != n or list(m["cuts"]) != sorted(set(m["cuts"])):
            err(f"key metrics[{i}].cuts: need {n} strictly ascending cut points")

    for rule in (
        scale,
        ident,
        parent,
        perspectives,
        severity,
        priority,
        phases,
        divergence,
        escalation,
        maturity,
        dimensions,
        stages,
        metrics,
    ):
        rules(rule)
    return rules.errors


def metric_perspectives(raw: dict) -> list[str]:
    """The perspectives that can be the metric one: no roles, not declarable by a
    stakeholder, not the strategic perspective."""
    return [
        name
        for name, p in raw["perspectives"].items()
        if not p["roles"]
        and name not in raw["stakeholder_perspectives"]
        and name != raw["strategic_perspective"]
    ]


def rulebook_problems(raw: object) -> list[str]:
    """Every problem of a parsed rulebook, one line each: structure (`SCHEMA`), the
    ranges of its numbers (`numeric_ranges`), then the rules that relate keys
    (`_consistency`); empty when it is valid. Texts from the file are escaped
    (`printable`), so each problem stays one line."""
    errors: list[str] = []
    _check(raw, SCHEMA, "", errors)
    if isinstance(raw, dict):
        errors += _range_problems(raw)
        errors += [e for e in _consistency(raw) if e not in errors]
    return [printable(e) for e in errors]


def resolve_rulebook_path(ref: str | Path) -> Path:
    """A rulebook id (`paos-v1`) names a bundled file; anything else is a path."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return RULEBOOK_DIR / f"{ref}.yaml"


def known_rulebooks() -> list[str]:
    return sorted(p.stem for p in RULEBOOK_DIR.glob("*.yaml"))


def same_id(a: object, b: object) -> bool:
    """Whether two rulebook ids are one, as paos compares ids: after NFKC and casefold."""
    return (
        unicodedata.normalize("NFKC", str(a)).casefold()
        == unicodedata.normalize("NFKC", str(b)).casefold()
    )


def bundled_id(book_id: object) -> str | None:
    """The bundled rulebook id that `book_id` is (`PAOS-V1` is `paos-v1`), or None."""
    return next((k for k in known_rulebooks() if same_id(k, book_id)), None)


def _bundled_id_taken(path: Path, book_id: str, sha: str) -> str | None:
    """Why a file that is not the bundled rulebook `book_id` may not carry its id, or
    None: a bundled id names that file's exact bytes, so a results file, a store run
    and a deliverable naming it always mean the same methodology. Ids are compared
    as paos compares them everywhere, after NFKC and casefold (`PAOS-V1` is
    `paos-v1`)."""
    match = bundled_id(book_id)
    if match is None:
        return None
    bundled = RULEBOOK_DIR / f"{match}.yaml"
    try:
        if path.resolve() == bundled.resolve():
            return None
        same = hashlib.sha256(bundled.read_bytes()).hexdigest() == sha
    except OSError as exc:
        raise FaultError(f"{bundled}: cannot read the bundled rulebook ({exc})") from None
    if same:
        return None
    return (
        f"key id: {book_id!r} is the id of a bundled rulebook and this file differs from "
        f"it; give it its own id (paos rulebook new ID --from {match})"
    )


_CACHE: dict[tuple[str, str], Rulebook] = {}
# libyaml's safe loader when PyYAML has it (about 10x faster; same result), else Python's.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rulebook(ref: str | Path = DEFAULT_RULEBOOK) -> Rulebook:
    """Load and validate a rulebook by id or path; raises `RulebookError` naming the key.

    A rulebook from a path is user input: it is read as evidence is (a regular file
    of at most `MAX_META_BYTES`; no YAML anchor, alias or tag, no key twice, bounded
    nesting, checked on the parser's events) before PyYAML builds its values."""
    path = resolve_rulebook_path(ref)
    if not os.path.lexists(path):
        raise RulebookError(
            f"unknown rulebook {str(ref)!r} (known: {', '.join(known_rulebooks())})"
        )
    try:
        data = read_file(path, str(path), MAX_META_BYTES)
    except Refused as err:
        if err.fault:
            raise FaultError(str(err.problem)) from None
        raise RulebookError(f"rulebook {err.problem}") from None
    sha = hashlib.sha256(data).hexdigest()
    if (str(path), sha) in _CACHE:
        return _CACHE[(str(path), sha)]
    try:
        text = data.decode("utf-8")
        _, _, refused = read_yaml(text, path.name)
        if refused:
            raise RulebookError("\n".join(f"rulebook {p}" for p in refused))
        raw = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - safe, and checked above
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulebookError(
            f"rulebook {path.name}: not readable YAML ({exc})".replace("\n", " ")
        ) from exc
    errors = rulebook_problems(raw)
    if not errors and (taken := _bundled_id_taken(path, raw["id"], sha)):
        errors.append(taken)
    if errors:
        raise RulebookError("\n".join(f"rulebook {path.name}: {e}" for e in errors))
    book = Rulebook(raw["id"], path, sha, raw)
    _CACHE[(str(path), sha)] = book
    return book
