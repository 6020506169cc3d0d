"""The rulebook's structure: `SCHEMA` (every key, its type, which are optional),
the ranges of its numbers and the one-line-text rule for its texts."""

from __future__ import annotations

import math

from paos.base.text import unsafe_char
from paos.errors import printable

# What reading a key of data the schema refused raises (skipped, not raised).
BROKEN = (KeyError, TypeError, IndexError, AttributeError, ValueError)


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


def text_problem(text: str) -> str | None:
    """Why `text` is not one line of printable text, or None when it is: the rule of
    `paos.base.text.unsafe_char` for one line (docs/methodology.md, "Texts are one
    line of printable text"). A rulebook's texts reach Markdown, HTML, SVG and
    spreadsheets, where such a character breaks a line, reorders or hides text or
    kills the chart engine."""
    found = unsafe_char(text, line=True)
    if found is None:
        return None
    i, ch = found
    return f"must be one line of printable text (U+{ord(ch):04X} at character {i + 1})"


def check_structure(value, schema, path: str, errors: list[str]):
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
                    check_structure(value[key], sub.item, where, errors)
            elif key not in value:
                errors.append(f"key {where}: missing")
            else:
                check_structure(value[key], sub, where, errors)
    elif isinstance(schema, _ListOf):
        if not isinstance(value, list) or not value and schema.item is not str:
            errors.append(f"key {path}: expected a non-empty list")
            return
        for i, item in enumerate(value):
            check_structure(item, schema.item, f"{path}[{i}]", errors)
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
            check_structure(item, schema.value, where, errors)
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
    except BROKEN:
        pass
    try:
        out["escalation.levels"] = (0, len(raw["severity"]) - 1)
    except BROKEN:
        pass
    try:
        out["validated_min_perspectives"] = (1, len(raw["perspectives"]))
    except BROKEN:
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


def range_problems(raw: dict) -> list[str]:
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
    except BROKEN:
        pass
    return out


def _g(x: float) -> str:
    """A number as a message shows it: short, never thousands of digits."""
    if isinstance(x, int) and abs(x) >= 10**15:
        return f"about {'-' if x < 0 else ''}1e{int(abs(x).bit_length() * 0.30103)}"
    return f"{x:.6g}" if isinstance(x, float) else str(x)
