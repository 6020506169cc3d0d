"""The deck's first pages, the plan: the summary (the answer first), the priorities
(what to build first) and the roadmap (the phases and their modules)."""

from __future__ import annotations

from markupsafe import Markup

from paos._defaults import DEFAULT_RULEBOOK
from paos.deliverables import charts, titles
from paos.deliverables._deck_charts import chart, matrix_native, roadmap_native
from paos.deliverables._findings import (
    gap_view,
    is_fragile,
    meta_line,
    module_of,
    raised_rule,
    raised_words,
    severity_colors,
    signal_ref,
)
from paos.deliverables._html import FRAGILE_MARK, Html, render
from paos.deliverables.deliverable import (
    Deliverable,
    earliest_phase,
    maturities,
    phases,
)
from paos.deliverables.pages_progress import disagreements
from paos.deliverables.report import (
    pai_range,
    severity_counts,
    stakeholder_counts,
)


def contents(d: Deliverable) -> list[dict]:
    """The deck's contents: the body's pages, then the appendix."""
    out = [
        {"label": "Summary", "appendix": False},
        {"label": "Priorities: " + titles.priorities(d), "appendix": False},
        {"label": "Roadmap: " + titles.roadmap(d), "appendix": False},
        {"label": "Dimensions: " + titles.dimensions(d), "appendix": False},
        {"label": "Divergence: " + titles.divergence(d), "appendix": False},
    ]
    if d.reassessment is not None:
        out.append({"label": "Progress: " + titles.progress(d), "appendix": False})
    if d.benchmark is not None and d.benchmark["status"] == "ok":
        out.append({"label": "Benchmark: " + titles.benchmark(d), "appendix": False})
    out += [
        {"label": "Appendix A · Evidence behind each gap", "appendix": True},
        {"label": "Appendix B · Terms and methodology", "appendix": True},
        {"label": "Appendix C · Reproducibility", "appendix": True},
    ]
    return out


def executive_summary(d: Deliverable) -> Html:
    """Page 1, the answer first: the headline (PAI, level, the constraint that
    matters most), the three decisions for the board, what is at stake; a
    re-assessment leads with its progress."""
    return render("summary.html.j2", summary_data(d))


def summary_data(d: Deliverable) -> dict:
    c, rb, f = d.contract, d.rulebook, d.figures
    m = d.meta
    gaps = c["gaps"]
    decisions = [gap_view(d, g) for g in gaps[:3]]
    pai: dict = {
        "value": "–",
        "scale": f"{d.scale[0]}–{d.scale[1]}",
        "level": "",
        "color": "",
        "range": "",
    }
    if c["status"] == "complete":
        band = charts.by_rank(maturities(rb), charts.MATURITY_RAMP).get(c["maturity"], "")
        pai.update(value=f.score(c["pai"]), level=c["maturity"], color=band)
        pai["range"] = pai_range(d)
    else:
        pai["level"] = "incomplete"
    colors = severity_colors(d)
    tiles = [
        {"n": n, "label": s, "color": colors.get(s, charts.MUTED)}
        for s, n in severity_counts(d).items()
    ]
    raised = sum(g["escalated"] for g in gaps)
    stakes = [f"{titles.count(len(gaps), 'gap')} below threshold in all"]
    if raised:
        stakes.append(
            f"{titles.count(raised, 'gap')} {raised_words(d)} because "
            + raised_rule(d)
            .split(" where ", 1)[1]
            .replace(" it ", " them " if raised > 1 else " it ")
        )
    fragile = sum(is_fragile(g) for g in gaps)
    if fragile:
        stakes.append(
            f"{titles.count(fragile, 'gap')} {titles.verb(fragile, 'depends')} on one stakeholder's answers"
        )
    people = stakeholder_counts(d)
    n_people = sum(people.values())
    n_metrics = d.results.metrics.height
    stakes.append(
        f"Evidence from {titles.count(n_people, 'stakeholder')}"
        + (f" and {titles.count(n_metrics, 'metric')}" if n_metrics else "")
    )
    progress = None
    title = titles.headline(d)
    if d.reassessment is not None:
        title = titles.progress_headline(d)
        pc = d.reassessment
        lines = [titles.headline(d)]
        worse = [g for g in pc["gaps_persisting"] if g["change"] == "worsened"]
        new = len(pc["gaps_new"])
        lines.append(
            (titles.count(new, "new gap") if new else "No new gap")
            + "; "
            + (
                f"{titles.count(len(worse), 'persisting gap')} got worse"
                if worse
                else "no persisting gap got worse"
            )
        )
        flags = disagreements(d)
        if flags:
            lines.append(
                f"{titles.count(len(flags), 'recorded status', 'recorded statuses')} "
                f"{titles.verb(len(flags), 'disagrees')} with the measured result"
            )
        progress = {"since": pc["assessed_on"]["baseline"], "lines": lines}
    first = phases(rb)[0]
    note = ""
    if rb.id != DEFAULT_RULEBOOK:
        note = f"Scored under rulebook {rb['title']} ({rb.id}), not the bundled default"
    return {
        "page": {"title": title},
        "title": title,
        "client": m["client"],
        "footer": f"{m['client']} · Confidential",
        "meta_line": meta_line(d),
        "rulebook_note": note,
        "progress": progress,
        "pai": pai,
        "tiles": tiles,
        "stakes": stakes,
        "decisions_head": (
            "The decisions for the board" if len(decisions) != 1 else "The decision for the board"
        ),
        "decisions": decisions,
        "no_decision": f"No gap: nothing to decide for phase {first['phase']}.",
        "fragile": any(g["without_one"] for g in decisions),
        "commentary": d.commentary.get("summary", []),
        "contents": contents(d),
    }


# The priorities page lists at most this many gaps (the roadmap lists them all).
PRIORITY_ROWS = 15
# With at most this many gaps listed, the priorities and the roadmap share a page.
SHARE_BELOW = 5

ORDER_RULE = (
    "the phase takes the gaps of its priority; within it, the foundation tier first, "
    "then the most severe, then the lowest score (then the signal id)."
)


def priority_matrix(d: Deliverable) -> Html:
    """The earliest phase's gaps with what to build (target level, module); without
    any gap, one line."""
    first, firsts = earliest_phase(d)
    if not firsts:
        return render("priorities.html.j2", {"oneliner": titles.priorities(d), "page": {}})
    rows = [gap_view(d, g) for g in firsts[:PRIORITY_ROWS]]
    more = len(firsts) - len(rows)
    span = f"phase {first['phase']} ({first['name']}, days {first['start_day']}–{first['end_day']})"
    listed = (
        f"The table lists every gap of {span}"
        if not more
        else f"The table lists the first {len(rows)} gaps of {span} (the roadmap lists the other {more})"
    )
    lead = (
        "Priority follows from severity and the dimension's tier by rule: foundations "
        f"first (the matrix on the roadmap page). {raised_rule(d)}. {listed}, with the "
        "target level each "
        "must reach and the module that builds it."
    )
    data = {
        "oneliner": "",
        "page": {"title": titles.priorities(d), "kicker": "Priorities"},
        "lead": lead,
        "rows": rows,
        "fragile": any(g["without_one"] for g in rows),
    }
    return render("priorities.html.j2", data)


def roadmap(d: Deliverable) -> Html:
    """The phases with their gaps in roadmap order, the ordering rule, and the modules."""
    f = d.figures
    gaps = d.contract["gaps"]
    plan = []
    for p in phases(d.rulebook):
        mine = [g for g in gaps if g["phase"] == p["phase"]]
        modules: dict[str, list[dict]] = {}
        for g in mine:
            modules.setdefault(module_of(d, g["dimension"]), []).append(
                {
                    "signal": signal_ref(d, g["signal_id"]),
                    "score": f.mean(g["score"]),
                    "mark": is_fragile(g),
                }
            )
        plan.append(
            {
                "phase": p["phase"],
                "name": p["name"],
                "start": p["start_day"],
                "end": p["end_day"],
                "priority": p["priority"],
                "count": titles.count(len(mine), "gap"),
                "modules": [{"name": k, "gaps": v} for k, v in modules.items()],
            }
        )
    data = {
        # a short priorities page shares its sheet with the roadmap
        "shared": len(earliest_phase(d)[1]) <= SHARE_BELOW,
        "page": {"title": titles.roadmap(d), "kicker": "Roadmap"},
        "chart": Markup(chart(d, "roadmap")),
        "native": roadmap_native(d),
        "caption": "Phases on a day scale, with the number of gaps each closes",
        "matrix": Markup(chart(d, "matrix")),
        "matrix_native": matrix_native(d),
        "matrix_caption": (
            "Every gap by severity (rows) and tier (columns); the cell's label is the priority "
            "the rule gives it. * raised "
            f"{titles.count(d.rulebook['escalation']['levels'], 'level')} by the divergence rule"
            + (
                f"; {FRAGILE_MARK} depends on one stakeholder."
                if any(map(is_fragile, gaps))
                else "."
            )
        ),
        "order_rule": ORDER_RULE[:1].upper() + ORDER_RULE[1:],
        "phases": plan,
        "fragile": any(is_fragile(g) for g in gaps),
    }
    return render("roadmap.html.j2", data)
