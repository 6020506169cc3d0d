"""The methodology card: a rulebook rendered as readable Markdown.

`paos rulebook show [ID|PATH]` prints it, so an analyst or methodology owner can
read exactly which rules a results file was scored under; the deliverable's
Methodology appendix renders it.

Every text taken from the rulebook is shown literally, never as Markdown: `md`
backslash-escapes the CommonMark specials in it (and what would start a block:
a heading `#`, a quote `>`, a list `-` `+` `*` or `7.`/`7)`, `=`), `code` puts a
name in a code span whose fence no backtick in it can close. So a rubric line
`## Rule 7: leadership ratings count double` shows as that text, not a heading.
"""

from __future__ import annotations

import re

from paos.base.rulebook import Rulebook

# Inline specials: backslash, code, emphasis, links and images, raw HTML and
# entities, GFM strikethrough; `_` only where it could open or close emphasis
# (inside a word, as in `partner_manager`, it cannot).
_INLINE = re.compile(r"[\\`*\[\]<~]|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
# What would start a block at the start of a text: heading, quote, list, setext.
_BLOCK = re.compile(r"^([#>+=-])|^(\d+)([.)])")


def md(value: object) -> str:
    """A rulebook text as Markdown that shows exactly that text (one line)."""
    text = _INLINE.sub(lambda m: "\\" + m.group(), str(value).strip())
    return _BLOCK.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def code(value: object) -> str:
    """A rulebook name as a code span that no backtick in it can close."""
    text = str(value)
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _mds(values) -> str:
    return ", ".join(md(v) for v in values)


def _fmt(x: float) -> str:
    return f"{x:g}"


def methodology_card(rb: Rulebook) -> str:
    """Every rule and every text of the rulebook, as Markdown (texts shown literally)."""
    r = rb.raw
    scale = r["rating_scale"]
    out = [
        f"# {md(r['title'])}",
        "",
        f"Rulebook {code(rb.id)} version {r['version']}, sha256 `{rb.sha256}`.",
        "",
    ]
    if rb.parent:
        out += [
            f"Derived from rulebook {code(rb.parent['id'])}, sha256 {code(rb.parent['sha256'])} "
            "(`paos rulebook check` lists what differs).",
            "",
        ]
    out += [
        f"Comparisons on values rounded to {r['comparison_decimals']} decimals; scores "
        f"shown with {r['display_decimals']} decimal(s), rounded half up.",
        "",
        f"## Rating scale {scale['min']}..{scale['max']} (blank = cannot judge)",
        "",
    ]
    out += [
        f"- {lvl} **{md(v['name'])}**: {md(v['meaning'])}" for lvl, v in scale["levels"].items()
    ]
    out += ["", "## Perspectives", ""]
    for name, p in r["perspectives"].items():
        if name == rb.metric_perspective:
            roles = "(metric-derived ratings)"
        else:
            roles = _mds(p["roles"]) or "(no roles)"
        out.append(f"- {code(name)} weight {_fmt(p['weight'])}: {roles}")
    out += [
        "",
        f"Strategic perspective: {code(r['strategic_perspective'])}; "
        f"{md(r['view_labels']['reality']) if r.get('view_labels') else 'reality'} is every "
        "other. Declarable perspectives: "
        + _mds(r["stakeholder_perspectives"])
        + "; roles that need one: "
        + _mds(r["roles_requiring_perspective"])
        + "."
        + (
            f" The deliverables call the strategic view {md(r['view_labels']['strategic'])}."
            if r.get("view_labels")
            else ""
        ),
        "",
        "## Signals",
        "",
    ]
    for d in rb.dimensions:
        out += [
            f"### {md(d.id)} {md(d.name)} (tier {d.tier} {md(r['tiers'][d.tier])}, "
            f"weight {_fmt(d.weight)})",
            "",
            f"Decides {md(d.decides)}. Installation module: "
            f"{md(d.module)}. Screening question: {md(d.screening_question)}",
            "",
        ]
        for s in d.signals:
            out.append(
                f"- **{md(s.id)} {md(s.name)}** (threshold {_fmt(s.threshold)}, weight "
                f"{_fmt(s.weight)}): {md(s.question)}"
            )
            out += [f"    {lvl}. {md(text)}" for lvl, text in s.rubric.items()]
        out.append("")
    dv, ag, sc = r["divergence"], r["agreement"], r["screening"]
    out += [
        "## Rules",
        "",
        f"- Blind spot: divergence >= {_fmt(dv['blind_spot_at_or_above'])}; hidden "
        f"strength: <= {_fmt(dv['hidden_strength_at_or_below'])}.",
        f"- Agreement r_wg = max(0, 1 - s^2 / {_fmt(ag['null_variance'])}) from "
        f"{ag['min_ratings']} stakeholder ratings; low consensus below "
        f"{_fmt(ag['low_consensus_below'])}.",
        f"- Validated with ratings from {r['validated_min_perspectives']} perspectives; a "
        f"dimension needs coverage >= {_fmt(r['min_coverage'])}.",
        "- Severity by shortfall: "
        + ", ".join(f"{md(b['name'])} >= {_fmt(b['min_shortfall'])}" for b in r["severity"])
        + ".",
        f"- Escalation: a {code(r['escalation']['divergence_class'])} gap rises "
        f"{r['escalation']['levels']} level(s).",
        "- Priority: "
        + "; ".join(
            f"{md(p['priority'])} = {md(p['severity'])} in tier(s) "
            + ", ".join(map(str, p["tiers"]))
            for p in r["priority"]
        ),
        "- Phases: "
        + "; ".join(
            f"{p['phase']} {md(p['name'])} ({md(p['priority'])}, days "
            f"{p['start_day']}-{p['end_day']})"
            for p in r["phases"]
        ),
        "- Maturity: " + ", ".join(f"{md(m['name'])} from {_fmt(m['min'])}" for m in r["maturity"]),
        f"- Gap evidence: documented ratings at or below {r['gap_evidence_max_rating']}; "
        f"quotes attributed by role only when {r['anonymity_min_role_group']} "
        "stakeholders who gave a rating share both its perspective and its role.",
        f"- Screening: a dimension rated <= {sc['constraint_at_or_below']} is a "
        f'constraint likely -> "{md(sc["recommendation_if_constraint"])}", '
        f'otherwise "{md(sc["recommendation_otherwise"])}".',
        f"- Peer benchmarks: a score is placed among peers when at least "
        f"{r['benchmark_min_peers']} other clients (the latest engagement of each) scored "
        "with this rulebook hold it.",
        "- Company stages, in order: " + _mds(r["company_stages"]) + ".",
        "",
        "## Metrics",
        "",
    ]
    out += [
        f"- {code(m.id)} ({md(m.unit)}) -> {md(m.signal)}, {md(m.direction)} is better, "
        "cut points " + ", ".join(_fmt(c) for c in m.cuts)
        for m in rb.metrics
    ]
    return "\n".join(out) + "\n"
