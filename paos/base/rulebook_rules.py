"""The rules of a rulebook that relate its keys (references, orderings), and
`rulebook_problems`: every problem of a parsed rulebook, one line each."""

from __future__ import annotations

import re
from collections.abc import Mapping

from paos._defaults import ID_PATTERN
from paos.base.rulebook_schema import BROKEN, SCHEMA, check_structure, range_problems
from paos.errors import printable


class _Rules:
    """Collects the problems of `_consistency`; a rule whose data the schema already
    refused (a missing key, a value of the wrong type) is skipped, not raised, so
    every other rule is still checked and every problem is listed."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, rule, *args) -> None:
        try:
            rule(*args)
        except BROKEN:
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


def metric_perspectives(raw: Mapping) -> list[str]:
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
    check_structure(raw, SCHEMA, "", errors)
    if isinstance(raw, dict):
        errors += range_problems(raw)
        errors += [e for e in _consistency(raw) if e not in errors]
    return [printable(e) for e in errors]
