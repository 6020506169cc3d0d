"""Stage 8 (view side): the pages of the board deliverable as HTML.

Each public page function takes a `Deliverable`, gathers what its page shows
into one data mapping (numbers written by `paos.method.figures`, titles by
`paos.deliverables.titles`) and renders the page's Jinja template
(templates/deck/, autoescaped): a quote reading `<script>` or `=HYPERLINK(...)`
shows as that same visible text, never as markup. It returns an `Html` object
that a notebook displays. (The Architecture Check's page is
`paos.deliverables.check_page`.)
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import PurePath

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from paos._defaults import DEFAULT_RULEBOOK
from paos.base.card import methodology_card
from paos.bundled import TEMPLATES
from paos.deliverables import charts, titles
from paos.deliverables.actions import target_level
from paos.deliverables.deliverable import (
    Deliverable,
    earliest_phase,
    maturities,
    phases,
    priorities,
    severities,
)
from paos.deliverables.report import (
    pai_range,
    severity_counts,
    stakeholder_counts,
    stamp,
    without_one,
)
from paos.errors import BIDI, isolate

_BLOCKS = {"p", "li", "tr", "h1", "h2", "h3", "h4", "div", "blockquote", "header", "figcaption"}


class _PlainText(HTMLParser):
    """The visible text of a fragment: a line per block, cells apart, charts as [chart]."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.in_svg = 0
        self.in_style = False  # a <style> element's text is not visible

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.in_style = tag == "style"
        if tag == "svg":
            if not self.in_svg:
                self.parts.append("[chart]")
            self.in_svg += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("  ")

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False
        if tag == "svg":
            self.in_svg -= 1
        elif tag in _BLOCKS and not self.in_svg:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.in_svg and not self.in_style:
            self.parts.append(data)


# The mimetype under which a deck page's data mapping travels in the executed
# notebook beside its HTML: what `paos.deliverables.slides` builds the PowerPoint deck
# from (nbconvert's `paos_pptx` exporter too), so that no number or title is derived
# a second time.
PAGE_MIME = "application/vnd.paos.page+json"


class Html:
    """An HTML fragment that Jupyter (and nbconvert) display as HTML; its plain-text
    form (`repr`, a terminal, `text()`) is its visible text. A deck page also carries
    its `page` name and the `data` mapping its template got."""

    def __init__(self, html: str, page: str = "", data: dict | None = None):
        self.html = html
        self.page = page
        self.data = data

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        if self.data is None:
            return {}
        return {PAGE_MIME: {"page": self.page, "data": jsonable(self.data)}}

    def __str__(self) -> str:
        return self.html

    def text(self) -> str:
        parser = _PlainText()
        parser.feed(self.html)
        parser.close()
        lines = "".join(parser.parts).splitlines()
        return "\n".join(" ".join(line.split()) for line in lines if line.strip())

    def __repr__(self) -> str:
        return self.text()


def esc(text: object) -> str:
    """Visible text, safe in HTML: markup escaped, newlines kept as line breaks, and
    text that could reorder its neighbours isolated (<bdi>). For element content only;
    attributes take `_cls`."""
    text = "" if text is None else str(text)
    html = escape(text, quote=True).replace("\n", "<br>")
    # isolated when it holds a character that changes the direction of the text around
    # it (`paos.errors.BIDI`): a quote ending in U+202E cannot reverse its attribution
    return f"<bdi>{html}</bdi>" if BIDI.search(text) else html


def _cls(name: object) -> str:
    """A class attribute value from a rulebook name: letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", str(name).lower()).strip("-")


def paint(color: str) -> str:
    """A style attribute giving an element its colour (a ramp colour, '#rrggbb')."""
    assert re.fullmatch(r"#[0-9a-f]{6}", color)
    return f' style="--c: {color}"'


def _severity_colors(d: Deliverable) -> dict[str, str]:
    return charts.by_rank(severities(d.rulebook), charts.SEVERITY_RAMP)


def _badge(text: str, color: str) -> str:
    return f'<span class="badge"{paint(color)}>{esc(text)}</span>'


def _severity(d: Deliverable, name: str) -> str:
    return _badge(name, _severity_colors(d).get(name, charts.MUTED))


def _section(cls: str, title: str, body: str, lead: str = "") -> Html:
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return Html(f'<section class="{cls}"><h2>{esc(title)}</h2>{lead_html}{body}</section>')


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def _dimension_chart(d: Deliverable):
    return charts.dimension_bars(
        d.contract["dimensions"],
        d.thresholds(),
        maturities(d.rulebook),
        d.scale,
        d.rulebook["display_decimals"],
        shown=d.figures.score,
        threshold_shown=d.figures.threshold,
        rated={
            dim.id: sum(d.signal(s.id)["status"] == "scored" for s in dim.signals)
            for dim in d.rulebook.dimensions
        },
    )


def _matrix_chart(d: Deliverable):
    prio = {(r["severity"], t): r["priority"] for r in d.rulebook["priority"] for t in r["tiers"]}
    gaps = [{**g, "tier": d.tier(g["dimension"])} for g in d.contract["gaps"]]
    return charts.priority_matrix(
        gaps, prio, d.rulebook["tiers"], severities(d.rulebook), priorities(d.rulebook)
    )


def _roadmap_chart(d: Deliverable):
    plan, gaps = phases(d.rulebook), d.contract["gaps"]
    counts = {p["phase"]: sum(g["phase"] == p["phase"] for g in gaps) for p in plan}
    return charts.roadmap_timeline(plan, counts)


def _divergence_chart(d: Deliverable):
    return charts.divergence_dumbbell(d.contract["signals"], d.names, d.scale)


# The numbers behind each chart, for a native (editable) chart in the PowerPoint
# deck: the results' own values, with the label each shows in the HTML.
def _dimension_native(d: Deliverable) -> dict:
    f, limits = d.figures, d.thresholds()
    return {
        "categories": [x["name"] for x in d.contract["dimensions"]],
        "score": [x["score"] for x in d.contract["dimensions"]],
        "labels": [f.score(x["score"]) for x in d.contract["dimensions"]],
        "threshold_low": [min(limits[x["id"]]) for x in d.contract["dimensions"]],
        "threshold_high": [max(limits[x["id"]]) for x in d.contract["dimensions"]],
        "scale": list(d.scale),
    }


def _matrix_native(d: Deliverable) -> dict:
    prio = {(r["severity"], t): r["priority"] for r in d.rulebook["priority"] for t in r["tiers"]}
    tiers = d.rulebook["tiers"]
    gaps = [(g["severity"], d.tier(g["dimension"])) for g in d.contract["gaps"]]
    raised = [(g["severity"], d.tier(g["dimension"])) for g in d.contract["gaps"] if g["escalated"]]
    return {
        "columns": [f"{_label(name)} (tier {t})" for t, name in tiers.items()],
        "rows": [
            {
                "severity": sev,
                "cells": [
                    {
                        "n": gaps.count((sev, t)),
                        "raised": raised.count((sev, t)),
                        "priority": prio.get((sev, t), ""),
                    }
                    for t in tiers
                ],
            }
            for sev in severities(d.rulebook)
        ],
    }


def _divergence_native(d: Deliverable) -> dict:
    sigs = [
        s for s in d.contract["signals"] if s["strategic"] is not None and s["reality"] is not None
    ]
    return {
        "categories": [d.names.get(s["id"], s["id"]) for s in sigs],
        "strategic": [s["strategic"] for s in sigs],
        "reality": [s["reality"] for s in sigs],
        "scale": list(d.scale),
    }


def _roadmap_native(d: Deliverable) -> dict:
    gaps = d.contract["gaps"]
    plan = phases(d.rulebook)
    return {
        "categories": [f"Phase {p['phase']}: {p['name']}" for p in plan],
        "start": [p["start_day"] for p in plan],
        "days": [p["end_day"] - p["start_day"] for p in plan],
        "labels": [titles.count(sum(g["phase"] == p["phase"] for g in gaps), "gap") for p in plan],
    }


# The charts of the deliverable, in page order.
CHARTS = {
    "dimensions": _dimension_chart,
    "matrix": _matrix_chart,
    "roadmap": _roadmap_chart,
    "divergence": _divergence_chart,
}


# The sections of an engagement's deliverable in page order, as the diagnostic
# notebook shows them (one cell each).
PAGES = (
    "executive_summary",
    "priority_matrix",
    "roadmap",
    "dimension_pages",
    "divergence",
    "reassessment",
    "benchmark",
    "evidence_appendix",
    "methodology",
    "reproducibility",
)


def draw_charts(d: Deliverable) -> None:
    """Send every chart of the deliverable to the chart engine now: it draws them
    while the notebook goes on, and each section then takes its own. Optional:
    a section draws its chart itself when it was not sent ahead."""
    for name, build in CHARTS.items():
        if name not in d.drawings:
            d.drawings[name] = charts.submit(build(d))


def _chart(d: Deliverable, name: str) -> str:
    drawing = d.drawings.get(name)
    if drawing is None:
        drawing = d.drawings[name] = charts.submit(CHARTS[name](d))
    return charts.svg_of(drawing)


# How a finding that hinges on one person is marked (robustness-v1): the mark, and
# beside it in words what leaving that one stakeholder out would change.
FRAGILE = "depends on one stakeholder's answers"
FRAGILE_MARK = "†"


def _fragile(g: dict) -> bool:
    """A gap that changes when some one stakeholder is left out (robust false; a gap
    without robustness, fewer than 2 raters, is not marked)."""
    return g.get("robust") is False


# The deck's pages are Jinja templates (templates/deck/), autoescaped: every text
# from evidence or the rulebook is shown as text. Text that could reorder its
# neighbours (bidi controls, right-to-left scripts) is isolated in <bdi>.
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES / "deck")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=lambda v: (
        Markup(f"<bdi>{escape(str(v))}</bdi>")
        if isinstance(v, str) and not isinstance(v, Markup) and BIDI.search(v)
        else v
    ),
)


def _render(template: str, data: dict) -> Html:
    html = _ENV.get_template(template).render(mark=FRAGILE_MARK, **data).strip()
    return Html(html, template.split(".")[0], data)


def jsonable(value: object) -> object:
    """A page's data mapping as JSON: an SVG chart is left out (its numbers travel
    beside it, under `native`), other markup becomes its visible text, tuples become
    lists."""
    if isinstance(value, dict):
        return {
            k: jsonable(v)
            for k, v in value.items()
            if not (isinstance(v, Markup) and v.lstrip().startswith("<svg"))
        }
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Markup):
        return Html(str(value)).text()
    return value


def _sig(d: Deliverable, sid: str) -> dict:
    return {"id": sid, "name": d.names.get(sid, sid)}


def _target(d: Deliverable, sid: str) -> str:
    """What the signal's target level looks like: the rubric text of the lowest
    rating level at or above its threshold."""
    spec = next(s for s in d.rulebook.signals if s.id == sid)
    levels = d.rulebook["rating_scale"]["levels"]
    level = target_level(spec.threshold, list(spec.rubric))
    return f"{levels[level]['name']} ({level}): {spec.rubric[level]}"


def _module(d: Deliverable, dim: str) -> str:
    return next(x.module for x in d.rulebook.dimensions if x.id == dim)


def _without(d: Deliverable) -> dict[str, str]:
    """Per fragile gap, what would change without one stakeholder, in words."""
    if "without_one" not in d.drawings:
        d.drawings["without_one"] = without_one(d)
    out = {}
    for g in d.contract["gaps"]:
        alts = d.drawings["without_one"].get(g["signal_id"])
        if not _fragile(g) or not alts:
            continue
        words = [f"would be {a}" if a else "would close" for a in alts]
        shown = " or ".join(words)
        out[g["signal_id"]] = f"without one stakeholder this gap {shown}" + (
            f", not {g['severity']}" if any(alts) else ""
        )
    return out


def _gap_view(d: Deliverable, g: dict) -> dict:
    rb, f = d.rulebook, d.figures
    phase = next(p for p in rb["phases"] if p["phase"] == g["phase"])
    s = d.signal(g["signal_id"])
    reason = ""
    if s["divergence_class"] == "blind_spot":
        reason = (
            f"leadership rates it {f.mean(s['strategic'])}, operational reality "
            f"{f.mean(s['reality'])}"
        )
    return {
        "signal": _sig(d, g["signal_id"]),
        "dimension": next(x["name"] for x in d.contract["dimensions"] if x["id"] == g["dimension"]),
        "module": _module(d, g["dimension"]),
        "target": _target(d, g["signal_id"]),
        "severity": g["severity"],
        "color": _severity_colors(d).get(g["severity"], charts.MUTED),
        "raised": _raised(d) if g["escalated"] else "",
        "priority": g["priority"],
        "phase": g["phase"],
        "deadline": phase["end_day"],
        "score": f.mean(g["score"]),
        "threshold": f.threshold(g["threshold"]),
        "reason": reason,
        "without_one": _without(d).get(g["signal_id"], FRAGILE if _fragile(g) else ""),
    }


def _meta_line(d: Deliverable) -> str:
    m = d.meta
    parts = [f"Assessed {m['assessed_on']}"]
    for key in ("industry", "stage"):
        if m.get(key):
            parts.append(_label(str(m[key])))
    if m.get("analyst"):
        parts.append(f"analyst {m['analyst']}")
    return " · ".join(parts)


def _label(text: str) -> str:
    """A vocabulary value as a label: 'saas' -> 'SaaS', 'scale-up' -> 'Scale-up'."""
    known = {"saas": "SaaS", "fintech": "FinTech", "ai": "AI", "it": "IT", "b2b": "B2B"}
    out = "-".join(known.get(part.lower(), part) for part in text.split("-"))
    return out[:1].upper() + out[1:]


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
    return _render("summary.html.j2", summary_data(d))


def summary_data(d: Deliverable) -> dict:
    c, rb, f = d.contract, d.rulebook, d.figures
    m = d.meta
    gaps = c["gaps"]
    decisions = [_gap_view(d, g) for g in gaps[:3]]
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
    colors = _severity_colors(d)
    tiles = [
        {"n": n, "label": s, "color": colors.get(s, charts.MUTED)}
        for s, n in severity_counts(d).items()
    ]
    raised = sum(g["escalated"] for g in gaps)
    stakes = [f"{titles.count(len(gaps), 'gap')} below threshold in all"]
    if raised:
        stakes.append(
            f"{titles.count(raised, 'gap')} {_raised(d)} because "
            + raised_rule(d)
            .split(" where ", 1)[1]
            .replace(" it ", " them " if raised > 1 else " it ")
        )
    fragile = sum(_fragile(g) for g in gaps)
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
        "meta_line": _meta_line(d),
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


def raised_rule(d: Deliverable) -> str:
    """The escalation rule in plain words."""
    esc_rule, dv, f = d.rulebook["escalation"], d.rulebook["divergence"], d.figures
    if esc_rule["divergence_class"] == "blind_spot":
        why = (
            f"leadership rates it at least "
            f"{titles.count_points(f.plain(dv['blind_spot_at_or_above']))} above operational reality"
        )
    else:
        why = (
            f"leadership rates it at least "
            f"{titles.count_points(f.plain(-dv['hidden_strength_at_or_below']))} below operational "
            "reality"
        )
    return f"A gap is raised {titles.count(esc_rule['levels'], 'level')} where {why}"


def _raised(d: Deliverable) -> str:
    return f"raised {titles.count(d.rulebook['escalation']['levels'], 'level')}"


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
        return _render("priorities.html.j2", {"oneliner": titles.priorities(d), "page": {}})
    rows = [_gap_view(d, g) for g in firsts[:PRIORITY_ROWS]]
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
    return _render("priorities.html.j2", data)


def roadmap(d: Deliverable) -> Html:
    """The phases with their gaps in roadmap order, the ordering rule, and the modules."""
    f = d.figures
    gaps = d.contract["gaps"]
    plan = []
    for p in phases(d.rulebook):
        mine = [g for g in gaps if g["phase"] == p["phase"]]
        modules: dict[str, list[dict]] = {}
        for g in mine:
            modules.setdefault(_module(d, g["dimension"]), []).append(
                {
                    "signal": _sig(d, g["signal_id"]),
                    "score": f.mean(g["score"]),
                    "mark": _fragile(g),
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
        "chart": Markup(_chart(d, "roadmap")),
        "native": _roadmap_native(d),
        "caption": "Phases on a day scale, with the number of gaps each closes",
        "matrix": Markup(_chart(d, "matrix")),
        "matrix_native": _matrix_native(d),
        "matrix_caption": (
            "Every gap by severity (rows) and tier (columns); the cell's label is the priority "
            "the rule gives it. * raised "
            f"{titles.count(d.rulebook['escalation']['levels'], 'level')} by the divergence rule"
            + (f"; {FRAGILE_MARK} depends on one stakeholder." if any(map(_fragile, gaps)) else ".")
        ),
        "order_rule": ORDER_RULE[:1].upper() + ORDER_RULE[1:],
        "phases": plan,
        "fragile": any(_fragile(g) for g in gaps),
    }
    return _render("roadmap.html.j2", data)


def _views(d: Deliverable, s: dict) -> str:
    """Divergence class and agreement in plain words."""
    words = {
        "blind_spot": "leadership higher",
        "hidden_strength": "reality higher",
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


def dimension_pages(d: Deliverable) -> Html:
    """Each dimension: score and level, and every signal with its score, threshold
    (where thresholds differ), leadership against reality and its gap."""
    f, rb = d.figures, d.rulebook
    near = set((d.contract.get("robustness") or {}).get("near_gaps") or [])
    thresholds = {s.threshold for s in rb.signals}
    gaps = {g["signal_id"]: g for g in d.contract["gaps"]}
    without = _without(d)
    dims = []
    for dim, spec in zip(d.contract["dimensions"], rb.dimensions):
        rows = []
        for sig in spec.signals:
            s = d.signal(sig.id)
            g = gaps.get(sig.id)
            rows.append(
                {
                    "signal": _sig(d, sig.id),
                    "score": f.mean(s["score"]),
                    "threshold": f.threshold(sig.threshold),
                    "strategic": f.mean(s["strategic"]),
                    "reality": f.mean(s["reality"]),
                    "views": _views(d, s),
                    "note": "",
                    "gap": (
                        {
                            "severity": g["severity"],
                            "color": _severity_colors(d).get(g["severity"], charts.MUTED),
                            "priority": g["priority"],
                            "without_one": without.get(sig.id, FRAGILE if _fragile(g) else ""),
                        }
                        if g
                        else None
                    ),
                }
            )
        misses = [s.name for s in spec.signals if s.id in near]
        n_gaps = dim["gap_count"]
        dims.append(
            {
                "id": dim["id"],
                "name": dim["name"],
                "score": f.score(dim["score"]) if dim["score"] is not None else "not scored",
                "level": dim["maturity"] or "",
                "line": (
                    f"{_label(rb['tiers'][spec.tier])} tier · {titles.count(n_gaps, 'gap')} · "
                    f"{dim['coverage']:.0%} of signals rated · decides {spec.decides}"
                ),
                "rows": rows,
                "near": (
                    "without one stakeholder "
                    + titles.joined(misses)
                    + (" would be a gap" if len(misses) == 1 else " would be gaps")
                    if misses
                    else ""
                ),
                "commentary": d.commentary.get(f"dimension:{dim['id']}", []),
            }
        )
    data = {
        "page": {"title": titles.dimensions(d), "kicker": "Dimensions"},
        "chart": Markup(_chart(d, "dimensions")),
        "native": _dimension_native(d),
        "caption": (
            "Dimension scores (bars, n = the dimension's rated signals) against "
            + _threshold_text(d)
        ),
        "dims": dims,
        "show_thresholds": len(thresholds) > 1,
        "fragile": any(_fragile(g) for g in gaps.values()),
    }
    return _render("dimensions.html.j2", data)


def _threshold_text(d: Deliverable) -> str:
    values = sorted({s.threshold for s in d.rulebook.signals})
    f = d.figures
    if len(values) == 1:
        return f"the threshold of {f.threshold(values[0])} (line)"
    return (
        f"their signals' thresholds, {f.threshold(values[0])} to {f.threshold(values[-1])} (ticks)"
    )


def divergence(d: Deliverable) -> Html:
    """Blind spots and hidden strengths across all signals in one picture."""
    sigs, f, dv = d.contract["signals"], d.figures, d.rulebook["divergence"]
    up = titles.count_points(f.plain(dv["blind_spot_at_or_above"]))
    down = titles.count_points(f.plain(-dv["hidden_strength_at_or_below"]))

    def items(cls: str) -> list[dict]:
        return [
            {
                "signal": _sig(d, s["id"]),
                "strategic": f.mean(s["strategic"]),
                "reality": f.mean(s["reality"]),
                "delta": f.delta(s["divergence"]),
            }
            for s in sigs
            if s["divergence_class"] == cls
        ]

    low = [d.names[s["id"]] for s in sigs if s["low_consensus"]]
    cut = d.rulebook["agreement"]["low_consensus_below"]
    data = {
        "page": {"title": titles.divergence(d), "kicker": "Leadership against operational reality"},
        "lead": (
            "Leadership's mean rating of each signal against the mean of everyone else "
            "(operational staff, partners, metrics)."
        ),
        "chart": Markup(_chart(d, "divergence")),
        "native": _divergence_native(d),
        "caption": "Leadership against operational reality, per signal (mean ratings)",
        "groups": [
            {
                "head": "Leadership rates higher (blind spots)",
                "explain": f"Leadership assumes more structure than reality shows, by {up} or more.",
                "entries": items("blind_spot"),
            },
            {
                "head": "Reality is ahead (hidden strengths)",
                "explain": f"Reality is ahead of what leadership believes, by {down} or more.",
                "entries": items("hidden_strength"),
            },
        ],
        "low": (
            f"Raters disagree (agreement below {f.plain(cut)}) on "
            f"{titles.count(len(low), 'signal')}: {titles.joined(low)}."
            if low
            else ""
        ),
    }
    return _render("divergence.html.j2", data)


def evidence_appendix(d: Deliverable) -> Html:
    """Appendix A: for every gap, the quotes that support it, attributed by
    perspective (and by role only where enough stakeholders share it)."""
    rb = d.rulebook
    gaps = []
    for g in d.contract["gaps"]:
        quotes = [
            {
                "text": e["text"],
                "by": " · ".join(
                    [e["perspective"]]
                    + ([e["role"]] if e["role"] and e["role"] != e["perspective"] else [])
                    + ([f"rating {e['rating']}"] if e["rating"] is not None else [])
                ),
            }
            for e in g["evidence"]
        ]
        gaps.append(
            {
                "signal": _sig(d, g["signal_id"]),
                "severity": g["severity"],
                "color": _severity_colors(d).get(g["severity"], charts.MUTED),
                "priority": g["priority"],
                "question": d.questions[g["signal_id"]],
                "quotes": quotes,
            }
        )
    none = [d.names[s["id"]] for s in d.contract["signals"] if s["status"] == "no_evidence"]
    data = {
        "page": {"title": titles.evidence(d), "kicker": "Appendix A · Evidence behind each gap"},
        "lead": (
            f"Documented ratings at or below {rb['gap_evidence_max_rating']} support each gap. "
            "A quote names the role of its author only when at least "
            f"{rb['anonymity_min_role_group']} stakeholders who gave a rating share both its perspective and "
            "its role; otherwise the perspective alone."
        ),
        "gaps": gaps,
        "no_quote": f"No documented rating at or below {rb['gap_evidence_max_rating']}.",
        "unrated": titles.joined(none) + "." if none else "none: every signal has evidence.",
    }
    return _render("evidence.html.j2", data)


# The methodology card's Markdown as inert HTML: raw HTML in a rulebook text shows as
# text, and no link, image or autolink is made.
_CARD = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


def terms(d: Deliverable) -> list[dict]:
    """The method's terms that the body avoids, defined in plain words."""
    rb, f = d.rulebook, d.figures
    dv, esc_rule = rb["divergence"], rb["escalation"]
    return [
        {
            "term": "PAI",
            "text": "Partner Architecture Index: the weighted mean of the dimension scores.",
        },
        {
            "term": "blind spot",
            "text": f"leadership rates a signal at least {f.plain(dv['blind_spot_at_or_above'])} "
            "above operational reality (everyone else's mean).",
        },
        {
            "term": "hidden strength",
            "text": "operational reality rates a signal at least "
            f"{f.plain(-dv['hidden_strength_at_or_below'])} above leadership.",
        },
        {
            "term": "raised (escalated)",
            "text": f"a gap's severity raised {titles.count(esc_rule['levels'], 'level')} "
            "because of a divergence between the views.",
        },
        {
            "term": "agreement",
            "text": "how closely the raters of a signal agree (r_wg, 0 to 1); below "
            f"{f.plain(rb['agreement']['low_consensus_below'])} the raters disagree.",
        },
        {
            "term": "one perspective only (provisional)",
            "text": f"a signal rated from fewer than {rb['validated_min_perspectives']} "
            "perspectives.",
        },
        {
            "term": f"{FRAGILE_MARK} depends on one stakeholder",
            "text": "scoring again without one stakeholder's answers (each in turn) changes "
            "the finding; the deck states what it would become.",
        },
        {
            "term": "tier",
            "text": ", ".join(f"{k}: {v}" for k, v in rb["tiers"].items())
            + "; foundations are addressed first.",
        },
    ]


def methodology(d: Deliverable) -> Html:
    """Appendix B: the method's terms, and every rule of the rulebook these results
    were scored with (the methodology card, as `paos rulebook show` prints it)."""
    card = methodology_card(d.rulebook).split("\n", 1)[1]  # the title is the h2 here
    data = {
        "page": {"title": titles.methodology(d), "kicker": "Appendix B · Terms and methodology"},
        "terms": terms(d),
        "card": Markup(_CARD.render(card)),
    }
    return _render("methodology.html.j2", data)


def reproducibility(d: Deliverable) -> Html:
    """Appendix C, the stamp: rulebook id and sha256, paos version, evidence hashes,
    run date."""
    st = stamp(d)
    rows = [
        ("engagement", st["engagement_id"]),
        ("rulebook", st["rulebook"]),
        ("rulebook sha256", st["rulebook_sha256"]),
        ("paos version", st["paos_version"]),
        ("run date", st["run_date"]),
    ]
    rows += [(f"evidence {isolate(f['file'])}", f["sha256"]) for f in st["evidence_files"]]
    data = {
        "page": {"title": titles.reproducibility(d), "kicker": "Appendix C · Reproducibility"},
        "rows": rows,
    }
    return _render("reproducibility.html.j2", data)


def benchmark(d: Deliverable) -> Html:
    """Where this engagement stands among other clients, the latest past engagement
    of each (aggregates only: peer count, median, quartiles, percentile; never
    another client's name or score).
    Too few peers: one line, not a page."""
    b = d.benchmark
    if b is None:
        return Html("")
    f = d.figures
    left = (
        f"Left out: {titles.count(b['left_out'], 'other client')} whose past engagements were "
        "scored under another rulebook, or another version of this one."
        if b["left_out"]
        else ""
    )
    if b["status"] != "ok":
        return _render(
            "benchmark.html.j2", {"oneliner": titles.benchmark(d) + ". " + left, "page": {}}
        )

    def row(label: str, x: dict) -> dict:
        pct = x.get("percentile")
        return {
            "label": label,
            "value": f.score(x["value"]),
            "pct": titles.ordinal(round(pct)) if pct is not None else "–",
            "q1": f.score(x.get("q1")),
            "median": f.score(x.get("median")),
            "q3": f.score(x.get("q3")),
            "n": x["n"],
        }

    names = {x["id"]: x["name"] for x in d.contract["dimensions"]}
    group = b["peer_group"]
    data = {
        "oneliner": "",
        "page": {"title": titles.benchmark(d), "kicker": "Benchmark"},
        "lead": (
            f"Peers: {group['label']} ({titles.count(group['size'], 'other client')}, the "
            "latest past engagement of each: same rulebook, assessed on or before this one). "
            "Percentile: the share of peers scoring below (ties count half)."
        ),
        "rows": [row("PAI", b["pai"])]
        + [row(names.get(x["id"], x["id"]), x) for x in b["dimensions"]],
        "left": left,
    }
    return _render("benchmark.html.j2", data)


# What the client may record as a gap's status in the action plan, read back by
# `paos compare` (paos.deliverables.actions), and what the measurement says.
DONE, OPEN = "done", ("open", "in progress")


def disagreements(d: Deliverable) -> list[dict]:
    """Every gap whose status recorded by the client in the baseline's action plan
    disagrees with the measured result: recorded done but still a gap, or closed
    while recorded open or in progress."""
    c = d.reassessment
    if c is None:
        return []
    out = []
    for g in c["gaps_persisting"]:
        a = g.get("action") or {}
        if a.get("status") == DONE:
            out.append(
                {
                    "signal": _sig(d, g["signal_id"]),
                    "text": f"recorded done, but still a {g['severity_follow_up']} gap below "
                    "its threshold",
                }
            )
    for g in c["gaps_closed"]:
        a = g.get("action") or {}
        if a.get("status") in OPEN:
            out.append(
                {
                    "signal": _sig(d, g["signal_id"]),
                    "text": f"recorded {a['status']}, but measured at or above its threshold now",
                }
            )
    return out


def reassessment(d: Deliverable) -> Html:
    """Progress since the baseline diagnostic: PAI and dimension deltas, gaps closed,
    new and persisting by name, regressions highlighted, and every disagreement
    between the client's recorded status and the measured result."""
    if d.reassessment is None:
        return (
            _render("progress.html.j2", {"oneliner": d.reassessment_note, "page": {}})
            if d.reassessment_note
            else Html("")
        )
    c, f = d.reassessment, d.figures
    dates = c.get("assessed_on") or {"baseline": c["baseline"], "follow_up": d.meta["assessed_on"]}

    def client(g: dict) -> str:
        a = g.get("action")
        if not a or not a.get("status"):
            return ""
        return a["status"] + (f", {a['owner']}" if a.get("owner") else "")

    p = c["pai"]
    lead = (
        f"Baseline assessed {dates['baseline']}, this diagnostic {dates['follow_up']}. "
        f"PAI {f.score(p['baseline'])} → {f.score(p['follow_up'])} "
        f"({f.delta(p['delta']) if p['delta'] is not None else 'no change computed: a PAI is incomplete'})."
    )
    plan = c.get("actions")
    notes = []
    if plan:
        notes.append(
            f"The client's action plan of the baseline ({PurePath(plan['file']).name}): "
            + ("statuses read." if plan["read"] else "no statuses read.")
        )
        notes += plan["notes"]
    if not c["rulebook"]["same"]:
        notes.append("Scored under different rulebooks: changes mix methodology and progress.")
    groups = [
        {
            "head": f"Closed ({len(c['gaps_closed'])})",
            "entries": [
                {
                    "signal": _sig(d, g["signal_id"]),
                    "text": f"was {g['severity']}",
                    "client": client(g),
                    "worse": False,
                }
                for g in c["gaps_closed"]
            ],
        },
        {
            "head": f"New ({len(c['gaps_new'])})",
            "entries": [
                {
                    "signal": _sig(d, g["signal_id"]),
                    "text": g["severity"],
                    "client": "",
                    "worse": True,
                }
                for g in c["gaps_new"]
            ],
        },
        {
            "head": f"Persisting ({len(c['gaps_persisting'])})",
            "entries": [
                {
                    "signal": _sig(d, g["signal_id"]),
                    "text": (
                        g["severity_follow_up"]
                        if g["change"] == "unchanged"
                        else f"{g['severity_baseline']} → {g['severity_follow_up']} ({g['change']})"
                    ),
                    "client": client(g),
                    "worse": g["change"] == "worsened",
                }
                for g in c["gaps_persisting"]
            ],
        },
    ]
    data = {
        "oneliner": "",
        "page": {"title": titles.progress(d), "kicker": f"Progress since {dates['baseline']}"},
        "lead": lead,
        "notes": notes,
        "disagreements": disagreements(d),
        "base_date": dates["baseline"],
        "now_date": dates["follow_up"],
        "dims": [
            {
                "id": x["id"],
                "name": x["name"],
                "baseline": f.score(x["baseline"]),
                "now": f.score(x["follow_up"]),
                "delta": f.delta(x["delta"]),
                "worse": x["delta"] is not None and round(x["delta"], 6) < 0,
            }
            for x in c["dimensions"]
        ],
        "groups": groups,
        "gone": titles.joined([d.names.get(s, s) for s in c["no_longer_assessed"]]),
    }
    return _render("progress.html.j2", data)


def deck(d: Deliverable) -> dict[str, Html]:
    """The whole deck, page by page (the notebook shows the same pages cell by cell)."""
    return {name: globals()[name](d) for name in PAGES}
