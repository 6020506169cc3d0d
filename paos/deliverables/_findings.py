"""How the deck words a finding: a gap's view (what to build, its target level and
module, what one stakeholder changes), the escalation rule, the views a divergence
compares and the labels of vocabulary values. Shared by the pages."""

from __future__ import annotations

from paos.deliverables import charts, titles
from paos.deliverables._page import vocab_label
from paos.deliverables.actions import target_level
from paos.deliverables.deliverable import (
    Deliverable,
    severities,
)
from paos.deliverables.report import (
    without_one,
)


def severity_colors(d: Deliverable) -> dict[str, str]:
    return charts.by_rank(severities(d.rulebook), charts.SEVERITY_RAMP)


# How a finding that hinges on one person is marked (robustness-v1): the mark, and
# beside it in words what leaving that one stakeholder out would change.
FRAGILE = "depends on one stakeholder's answers"


def is_fragile(g: dict) -> bool:
    """A gap that changes when some one stakeholder is left out (robust false; a gap
    without robustness, fewer than 2 raters, is not marked)."""
    return g.get("robust") is False


def signal_ref(d: Deliverable, sid: str) -> dict:
    return {"id": sid, "name": d.names.get(sid, sid)}


def gap_target(d: Deliverable, sid: str) -> str:
    """What the signal's target level looks like: the rubric text of the lowest
    rating level at or above its threshold."""
    spec = next(s for s in d.rulebook.signals if s.id == sid)
    levels = d.rulebook["rating_scale"]["levels"]
    level = target_level(spec.threshold, list(spec.rubric))
    return f"{levels[level]['name']} ({level}): {spec.rubric[level]}"


def module_of(d: Deliverable, dim: str) -> str:
    return next(x.module for x in d.rulebook.dimensions if x.id == dim)


def without_words(d: Deliverable) -> dict[str, str]:
    """Per fragile gap, what would change without one stakeholder, in words."""
    if "without_one" not in d.drawings:
        d.drawings["without_one"] = without_one(d)
    out = {}
    for g in d.contract["gaps"]:
        alts = d.drawings["without_one"].get(g["signal_id"])
        if not is_fragile(g) or not alts:
            continue
        words = [f"would be {a}" if a else "would close" for a in alts]
        shown = " or ".join(words)
        out[g["signal_id"]] = f"without one stakeholder this gap {shown}" + (
            f", not {g['severity']}" if any(alts) else ""
        )
    return out


def gap_view(d: Deliverable, g: dict) -> dict:
    rb, f = d.rulebook, d.figures
    phase = next(p for p in rb["phases"] if p["phase"] == g["phase"])
    s = d.signal(g["signal_id"])
    reason = ""
    if s["divergence_class"] == "blind_spot":
        lead, real = titles.views(d)
        reason = f"{lead} rates it {f.mean(s['strategic'])}, {real} {f.mean(s['reality'])}"
    return {
        "signal": signal_ref(d, g["signal_id"]),
        "dimension": next(x["name"] for x in d.contract["dimensions"] if x["id"] == g["dimension"]),
        "module": module_of(d, g["dimension"]),
        "target": gap_target(d, g["signal_id"]),
        "severity": g["severity"],
        "color": severity_colors(d).get(g["severity"], charts.MUTED),
        "raised": raised_words(d) if g["escalated"] else "",
        "priority": g["priority"],
        "phase": g["phase"],
        "deadline": phase["end_day"],
        "score": f.mean(g["score"]),
        "threshold": f.threshold(g["threshold"]),
        "reason": reason,
        "without_one": without_words(d).get(g["signal_id"], FRAGILE if is_fragile(g) else ""),
    }


def meta_line(d: Deliverable) -> str:
    m = d.meta
    parts = [f"Assessed {m['assessed_on']}"]
    for key in ("industry", "stage"):
        if m.get(key):
            parts.append(vocab_label(str(m[key])))
    if m.get("analyst"):
        parts.append(f"analyst {m['analyst']}")
    return " · ".join(parts)


def raised_rule(d: Deliverable) -> str:
    """The escalation rule in plain words."""
    esc_rule, dv, f = d.rulebook["escalation"], d.rulebook["divergence"], d.figures
    lead, real = titles.views(d)
    if esc_rule["divergence_class"] == "blind_spot":
        why = (
            f"{lead} rates it at least "
            f"{titles.count_points(f.plain(dv['blind_spot_at_or_above']))} above {real}"
        )
    else:
        why = (
            f"{lead} rates it at least "
            f"{titles.count_points(f.plain(-dv['hidden_strength_at_or_below']))} below {real}"
        )
    return f"A gap is raised {titles.count(esc_rule['levels'], 'level')} where {why}"


def raised_words(d: Deliverable) -> str:
    return f"raised {titles.count(d.rulebook['escalation']['levels'], 'level')}"


def view_heads(d: Deliverable) -> dict[str, str]:
    lead, real = titles.views(d)
    return {"strategic": lead, "reality": real}


def other_perspectives(d: Deliverable) -> str:
    """The perspectives whose mean is the reality view, by their rulebook names."""
    strategic = d.rulebook["strategic_perspective"]
    return titles.joined([p for p in d.rulebook["perspectives"] if p != strategic])


def view_words(d: Deliverable, s: dict) -> str:
    """Divergence class and agreement in plain words."""
    lead, real = titles.views(d)
    words = {
        "blind_spot": f"{lead} higher",
        "hidden_strength": f"{real} higher",
        "aligned": "views agree",
        "not_testable": "one view only",
    }
    out = words.get(s["divergence_class"], "")
    if s["low_consensus"]:
        out += "; raters disagree"
    if s["status"] == "no_evidence":
        return "no evidence"
    if not s["validated"]:
        out += "; one perspective only"
    return out


def threshold_text(d: Deliverable) -> str:
    values = sorted({s.threshold for s in d.rulebook.signals})
    f = d.figures
    if len(values) == 1:
        return f"the threshold of {f.threshold(values[0])} (line)"
    return (
        f"their signals' thresholds, {f.threshold(values[0])} to {f.threshold(values[-1])} (ticks)"
    )
