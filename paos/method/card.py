"""The methodology card: a rulebook rendered as readable Markdown.

`paos rulebook show [ID|PATH]` prints it, so an analyst or methodology owner can
read exactly which rules a results file was scored under.
"""

from __future__ import annotations

from paos.method.rulebook import Rulebook


def _fmt(x: float) -> str:
    return f"{x:g}"


def methodology_card(rb: Rulebook) -> str:
    """Every rule and every text of the rulebook, as Markdown."""
    r = rb.raw
    scale = r["rating_scale"]
    out = [
        f"# {r['title']}",
        "",
        f"Rulebook `{rb.id}` version {r['version']}, sha256 `{rb.sha256}`.",
        "",
    ]
    if rb.parent:
        out += [
            f"Derived from rulebook `{rb.parent['id']}`, sha256 `{rb.parent['sha256']}` "
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
    out += [f"- {lvl} **{v['name']}**: {v['meaning']}" for lvl, v in scale["levels"].items()]
    out += ["", "## Perspectives", ""]
    for name, p in r["perspectives"].items():
        if name == rb.metric_perspective:
            roles = "(metric-derived ratings)"
        else:
            roles = ", ".join(p["roles"]) or "(no roles)"
        out.append(f"- `{name}` weight {_fmt(p['weight'])}: {roles}")
    out += [
        "",
        f"Strategic perspective: `{r['strategic_perspective']}`; reality is every "
        "other. Declarable perspectives: "
        + ", ".join(r["stakeholder_perspectives"])
        + "; roles that need one: "
        + ", ".join(r["roles_requiring_perspective"])
        + ".",
        "",
        "## Signals",
        "",
    ]
    for d in rb.dimensions:
        out += [
            f"### {d.id} {d.name} (tier {d.tier} {r['tiers'][d.tier]}, weight {_fmt(d.weight)})",
            "",
            f"Decides {d.decides}. Installation module: "
            f"{d.module}. Screening question: {d.screening_question}",
            "",
        ]
        for s in d.signals:
            out.append(
                f"- **{s.id} {s.name}** (threshold {_fmt(s.threshold)}, weight "
                f"{_fmt(s.weight)}): {s.question}"
            )
            out += [f"    {lvl}. {text}" for lvl, text in s.rubric.items()]
        out.append("")
    dv, ag = r["divergence"], r["agreement"]
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
        + ", ".join(f"{b['name']} >= {_fmt(b['min_shortfall'])}" for b in r["severity"])
        + ".",
        f"- Escalation: a `{r['escalation']['divergence_class']}` gap rises "
        f"{r['escalation']['levels']} level(s).",
        "- Priority: "
        + "; ".join(
            f"{p['priority']} = {p['severity']} in tier(s) " + ", ".join(map(str, p["tiers"]))
            for p in r["priority"]
        ),
        "- Phases: "
        + "; ".join(
            f"{p['phase']} {p['name']} ({p['priority']}, days {p['start_day']}-{p['end_day']})"
            for p in r["phases"]
        ),
        "- Maturity: " + ", ".join(f"{m['name']} from {_fmt(m['min'])}" for m in r["maturity"]),
        f"- Gap evidence: documented ratings at or below {r['gap_evidence_max_rating']}; "
        f"quotes attributed by role only when {r['anonymity_min_role_group']} "
        "stakeholders who gave a rating share both its perspective and its role.",
        f"- Screening: a dimension rated <= {r['screening']['constraint_at_or_below']} is a "
        f'constraint likely -> "{r["screening"]["recommendation_if_constraint"]}", '
        f'otherwise "{r["screening"]["recommendation_otherwise"]}".',
        f"- Peer benchmarks: a score is placed among peers when at least "
        f"{r['benchmark_min_peers']} other clients (the latest engagement of each) scored "
        "with this rulebook hold it.",
        "- Company stages, in order: " + ", ".join(r["company_stages"]) + ".",
        "",
        "## Metrics",
        "",
    ]
    out += [
        f"- `{m.id}` ({m.unit}) -> {m.signal}, {m.direction} is better, cut points "
        + ", ".join(_fmt(c) for c in m.cuts)
        for m in rb.metrics
    ]
    return "\n".join(out) + "\n"
