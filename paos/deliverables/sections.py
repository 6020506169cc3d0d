"""Stage 8 (view side): the sections of the board deliverable as HTML.

Each public function takes a `Deliverable` and returns an `Html` object that a
notebook displays. Every text that comes from evidence or the rulebook goes
through `esc()`: a quote reading `<script>` or `=HYPERLINK(...)` shows as that
same visible text, never as markup.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import PurePath

from markdown_it import MarkdownIt

from paos.deliverables import charts
from paos.deliverables.commentary import SUMMARY
from paos.deliverables.report import (
    Deliverable,
    first_phase_gaps,
    gap_sentence,
    maturities,
    pai_range,
    phases,
    priorities,
    severities,
    severity_counts,
    stakeholder_counts,
    stamp,
)
from paos.errors import BIDI, isolate
from paos.method._numbers import signed
from paos.method.card import methodology_card

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


class Html:
    """An HTML fragment that Jupyter (and nbconvert) display as HTML; its plain-text
    form (`repr`, a terminal, `text()`) is its visible text."""

    def __init__(self, html: str):
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

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
    "reassessment",
    "benchmark",
    "dimension_pages",
    "divergence",
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


# How a finding that hinges on one person is marked (robustness-v1): in text, and in
# the charts' labels.
FRAGILE = "depends on one stakeholder's answers"
FRAGILE_MARK = "†"


def _fragile(g: dict) -> bool:
    """A gap that changes when some one stakeholder is left out (robust false; a gap
    without robustness, fewer than 2 raters, is not marked)."""
    return g.get("robust") is False


def _count(n: float, word: str) -> str:
    """'1 point', '0.5 points', '2 levels'."""
    return f"{n:g} {word}" + ("" if n == 1 else "s")


def _threshold_text(thresholds: dict[str, list[float]]) -> str:
    """'the 2.75 threshold' or 'their signals' thresholds (2.75-3.25)'."""
    values = sorted({t for ts in thresholds.values() for t in ts})
    if len(values) == 1:
        return f"the {values[0]:g} threshold"
    return f"their signals' thresholds ({values[0]:g}-{values[-1]:g})"


def _commentary(d: Deliverable, placement: str) -> str:
    """The analyst's commentary placed here (HTML made safe by
    `paos.deliverables.commentary`), marked apart from the rule-derived findings."""
    items = d.commentary.get(placement)
    return (
        '<aside class="commentary"><div class="commentary-label">Analyst\'s commentary'
        f"</div>{''.join(items)}</aside>"
        if items
        else ""
    )


def _phase_span(p: dict) -> str:
    return f"days {p['start_day']}-{p['end_day']}"


def executive_summary(d: Deliverable) -> Html:
    """Page 1: PAI with maturity, dimension scores against their thresholds, gap
    counts by severity, and the top gaps of the first phase in one sentence each."""
    c, m, rb = d.contract, d.meta, d.rulebook
    if c["status"] == "complete":
        band = charts.by_rank(maturities(rb), charts.MATURITY_RAMP).get(c["maturity"], "#5b6b7b")
        pai = (
            f'<div class="pai"><div class="pai-value">{esc(c["pai_display"])}</div>'
            f'<div class="pai-scale">of {d.score(d.scale[1])}</div>'
            + (f'<div class="pai-range">{esc(pai_range(d))}</div>' if pai_range(d) else "")
            + f'<div class="maturity"{paint(band)}>{esc(c["maturity"])}</div></div>'
        )
    else:
        missing = ", ".join(x["id"] for x in c["dimensions"] if x["score"] is None)
        pai = (
            f'<div class="pai"><div class="pai-value">–</div><div class="maturity">'
            f"Incomplete: insufficient evidence in {esc(missing)}</div></div>"
        )
    colors = _severity_colors(d)
    tiles = "".join(
        f'<div class="tile"{paint(colors.get(s, "#5b6b7b"))}><div class="n">{n}</div>'
        f'<div class="l">{esc(s)}</div></div>'
        for s, n in severity_counts(d).items()
    )
    people = stakeholder_counts(d)
    evidence = ", ".join(f"{n} {p}" for p, n in people.items() if n)
    n_metrics = d.results.metrics.height
    blind = [s["id"] for s in c["signals"] if s["divergence_class"] == "blind_spot"]
    hidden = [s["id"] for s in c["signals"] if s["divergence_class"] == "hidden_strength"]
    first = phases(rb)[0]
    firsts = first_phase_gaps(d)
    top = firsts[:5]
    top_html = (
        "".join(
            f"<li>{esc(gap_sentence(d, g))}"
            + (f' <span class="fragile">{FRAGILE_MARK} {FRAGILE}</span>' if _fragile(g) else "")
            + "</li>"
            for g in top
        )
        or f"<li>No {esc(first['priority'])} gap: nothing for phase {first['phase']}.</li>"
    )
    more = len(firsts) - len(top)
    chart = _chart(d, "dimensions")
    modules = ", ".join(mod["name"] for mod in c["installation_modules"]) or "none"
    head = (
        f'<header class="cover"><div class="kicker">Partner Architecture Diagnostic · '
        f'Executive summary</div><h1>{esc(m["client"])}</h1><div class="meta">'
        f"Assessed {esc(m['assessed_on'])}"
        + (f" · {esc(m['industry'])}" if m.get("industry") else "")
        + (f" · {esc(m['stage'])}" if m.get("stage") else "")
        + (f" · analyst {esc(m['analyst'])}" if m.get("analyst") else "")
        + f" · engagement {esc(d.engagement_id)}</div></header>"
    )
    body = (
        f'{head}<div class="summary-grid"><div class="col-left">'
        f"<h3>Partner Architecture Index</h3>{pai}"
        f'<h3>Gaps by severity</h3><div class="tiles">{tiles}</div>'
        f'<p class="small">{len(c["gaps"])} gaps in all; {len(blind)} blind spots, '
        f"{len(hidden)} hidden strengths. Evidence from {esc(evidence)} stakeholders"
        f"{f' and {n_metrics} metrics' if n_metrics else ''}.</p></div>"
        f'<div class="col-right"><h3>Dimension scores against '
        f"{_threshold_text(d.thresholds())}</h3>{chart}</div></div>"
        f"<h3>Top priorities ({esc(first['priority'])}, phase {first['phase']}: "
        f'{_phase_span(first)})</h3><ol class="top">{top_html}</ol>'
        + (
            f'<p class="small">…and {more} more {esc(first["priority"])} gap(s) in the roadmap.</p>'
            if more > 0
            else ""
        )
        + f'<p class="small"><b>Installation modules in scope:</b> {esc(modules)}.</p>'
        + _commentary(d, SUMMARY)
    )
    return Html(f'<section class="executive">{body}</section>')


def priority_matrix(d: Deliverable) -> Html:
    """Every gap by severity and tier; cells labelled with the rule's priority."""
    svg = _chart(d, "matrix")
    esc_rule, dv = d.rulebook["escalation"], d.rulebook["divergence"]
    why = (
        f"leadership rates it at least {_count(dv['blind_spot_at_or_above'], 'point')} "
        "above operational reality (a blind spot)"
        if esc_rule["divergence_class"] == "blind_spot"
        else "leadership rates it at least "
        f"{_count(-dv['hidden_strength_at_or_below'], 'point')} below operational reality "
        "(a hidden strength)"
    )
    lead = (
        "Priority follows from severity and tier by rule: foundations first. "
        f"* marks a gap escalated {_count(esc_rule['levels'], 'level')} because {why}."
        + (
            f" {FRAGILE_MARK} marks a gap that {FRAGILE}: leaving that one person out changes it."
            if any(_fragile(g) for g in d.contract["gaps"])
            else ""
        )
    )
    return _section(
        "matrix", "Priority matrix", _figure(svg, "Gaps by severity and tier"), esc(lead)
    )


def roadmap(d: Deliverable) -> Html:
    """The phases with their gaps in roadmap order, and the modules in scope."""
    plan = phases(d.rulebook)
    gaps = d.contract["gaps"]
    svg = _chart(d, "roadmap")
    cols = []
    for p in plan:
        items = (
            "".join(
                f"<li>{_severity(d, g['severity'])} <b>{esc(g['signal_id'])}</b> "
                f'{esc(d.names[g["signal_id"]])} <span class="muted">({d.fine(g["score"])})'
                "</span>"
                + (f' <span class="fragile">{FRAGILE_MARK}</span>' if _fragile(g) else "")
                + "</li>"
                for g in gaps
                if g["phase"] == p["phase"]
            )
            or '<li class="muted">no gap</li>'
        )
        cols.append(
            f'<div class="phase"><h3>Phase {p["phase"]}: {esc(p["name"])}</h3>'
            f'<div class="muted">{_phase_span(p)} · '
            f"{esc(p['priority'])}</div><ul>{items}</ul></div>"
        )
    mods = "".join(
        f"<tr><td>{esc(mod['priority'])}</td><td><b>{esc(mod['name'])}</b></td>"
        f"<td>{esc(mod['dimension'])}</td><td>{esc(', '.join(mod['signals']))}</td></tr>"
        for mod in d.contract["installation_modules"]
    )
    table = (
        f'<h3>Installation modules in scope</h3><table class="grid"><thead><tr>'
        f"<th>priority</th><th>module</th><th>dimension</th><th>scope (gaps)</th></tr>"
        f"</thead><tbody>{mods}</tbody></table>"
        if mods
        else "<p>No installation module is in scope: no gap was found.</p>"
    )
    fragile = [g["signal_id"] for g in gaps if _fragile(g)]
    note = (
        f'<p class="small">{FRAGILE_MARK} {FRAGILE} ({esc(", ".join(fragile))}): confirm '
        "it before acting on it.</p>"
        if fragile
        else ""
    )
    return _section(
        "roadmap",
        "Roadmap",
        _figure(svg, "Phases and the gaps they address")
        + note
        + f'<div class="phases" style="--n: {len(cols)}">{"".join(cols)}</div>'
        + table,
    )


def _signal_row(d: Deliverable, s: dict) -> str:
    gap = next((g for g in d.contract["gaps"] if g["signal_id"] == s["id"]), None)
    state = (
        "no evidence"
        if s["status"] == "no_evidence"
        else "validated"
        if s["validated"]
        else "provisional"
    )
    agreement = d.fine(s["agreement"]) + (" (low)" if s["low_consensus"] else "")
    return (
        f'<tr class="{"gap" if gap else ""}"><td><b>{esc(s["id"])}</b> '
        f'{esc(d.names[s["id"]])}</td><td class="num">{d.fine(s["score"])}</td>'
        f'<td class="num">{d.fine(s["strategic"])}</td><td class="num">'
        f"{d.fine(s['reality'])}</td><td>{esc(charts.CLASS_LABELS[s['divergence_class']])}"
        f'</td><td class="num">{agreement}</td><td>{state}</td><td>'
        + (_severity(d, gap["severity"]) + " " + esc(gap["priority"]) if gap else "")
        + (f" {FRAGILE_MARK}" if gap and _fragile(gap) else "")
        + "</td></tr>"
    )


def dimension_pages(d: Deliverable) -> Html:
    """One block per dimension: score, coverage, and every signal with strategic
    against reality, divergence class, agreement, validated or provisional."""
    blocks = []
    near = set((d.contract.get("robustness") or {}).get("near_gaps") or [])
    for dim, spec in zip(d.contract["dimensions"], d.rulebook.dimensions):
        rows = "".join(_signal_row(d, d.signal(s.id)) for s in spec.signals)
        misses = [s for s in spec.signals if s.id in near]
        rows_note = (
            '<p class="small">Near miss (a gap when one stakeholder is left out): '
            + "; ".join(f"<b>{esc(s.id)}</b> {esc(s.name)}" for s in misses)
            + ".</p>"
            if misses
            else ""
        )
        score = d.score(dim["score"]) if dim["score"] is not None else "insufficient evidence"
        blocks.append(
            f'<div class="dimension"><h3>{esc(dim["id"])} · {esc(dim["name"])}</h3>'
            f'<p class="muted">Tier {spec.tier} ({esc(d.rulebook["tiers"][spec.tier])}) · '
            f"score <b>{score}</b>{' (' + esc(dim['maturity']) + ')' if dim['maturity'] else ''}"
            f" · coverage {dim['coverage']:.0%} · {dim['gap_count']} gap(s). Decides "
            f'{esc(spec.decides)}.</p><table class="grid"><thead><tr><th>signal</th>'
            f"<th>score</th><th>leadership</th><th>reality</th><th>divergence</th>"
            f"<th>agreement</th><th>evidence</th><th>gap</th></tr></thead><tbody>{rows}"
            f"</tbody></table>{rows_note}{_commentary(d, dim['id'])}</div>"
        )
    return _section("dimensions", "Dimensions", "".join(blocks))


def divergence(d: Deliverable) -> Html:
    """Blind spots and hidden strengths across all signals in one picture."""
    sigs, dec = d.contract["signals"], d.rulebook["display_decimals"]
    svg = _chart(d, "divergence")

    def listing(cls: str) -> str:
        items = [
            f"<li><b>{esc(s['id'])}</b> {esc(d.names[s['id']])}: leadership "
            f"{d.fine(s['strategic'])}, reality {d.fine(s['reality'])} "
            f"(divergence {signed(s['divergence'], dec + 1)})</li>"
            for s in sigs
            if s["divergence_class"] == cls
        ]
        return f"<ul>{''.join(items)}</ul>" if items else '<p class="muted">None.</p>'

    low = [s["id"] for s in sigs if s["low_consensus"]]
    dv, cut = d.rulebook["divergence"], d.rulebook["agreement"]["low_consensus_below"]
    body = (
        _figure(svg, "Leadership (strategic) against reality, per signal")
        + '<div class="two"><div><h3>Blind spots</h3><p class="small">Leadership assumes '
        "more structure than operational reality shows (by "
        f"{dv['blind_spot_at_or_above']:g} or more).</p>{listing('blind_spot')}</div>"
        '<div><h3>Hidden strengths</h3><p class="small">Reality is ahead of what '
        f"leadership believes (by {-dv['hidden_strength_at_or_below']:g} or more).</p>"
        f"{listing('hidden_strength')}</div></div>"
        + (
            f'<p class="small">Low consensus among stakeholders (agreement below {cut:g}): '
            f"{esc(', '.join(low))}.</p>"
            if low
            else ""
        )
    )
    return _section("divergence", "Cross-stakeholder divergence", body)


def evidence_appendix(d: Deliverable) -> Html:
    """For every gap, the quotes that support it, attributed by perspective (and by
    role only where enough stakeholders share it); then the evidence gaps."""
    rb = d.rulebook
    blocks = [
        f'<p class="lead">Documented ratings at or below {rb["gap_evidence_max_rating"]} '
        "support each gap. A quote names the role of its author only when at least "
        f"{rb['anonymity_min_role_group']} stakeholders who gave a rating share both its "
        "perspective and its role; otherwise the perspective alone.</p>"
    ]
    for g in d.contract["gaps"]:
        quotes = "".join(
            f"<blockquote><p>{esc(e['text'])} <cite>{esc(e['perspective'])}"
            + (f" · {esc(e['role'])}" if e["role"] and e["role"] != e["perspective"] else "")
            + (f" · rating {e['rating']}" if e["rating"] is not None else "")
            + "</cite></p></blockquote>"
            for e in g["evidence"]
        )
        quotes = (
            f'<div class="quotes">{quotes}</div>'
            if quotes
            else '<p class="muted">No documented rating at or below '
            f"{d.rulebook['gap_evidence_max_rating']}.</p>"
        )
        blocks.append(
            f'<div class="gap-evidence"><h3>{esc(g["signal_id"])} '
            f"{esc(d.names[g['signal_id']])} {_severity(d, g['severity'])} "
            f'{esc(g["priority"])}</h3><p class="q">{esc(d.questions[g["signal_id"]])}'
            f"</p>{quotes}</div>"
        )
    none = [s for s in d.contract["signals"] if s["status"] == "no_evidence"]
    gaps_html = (
        (
            "<ul>"
            + "".join(f"<li><b>{esc(s['id'])}</b> {esc(d.names[s['id']])}</li>" for s in none)
            + "</ul>"
        )
        if none
        else '<p class="muted">Every signal has evidence.</p>'
    )
    return _section(
        "appendix",
        "Evidence appendix",
        "".join(blocks) + f"<h3>Evidence gaps (signals nobody could rate)</h3>{gaps_html}",
    )


# The methodology card's Markdown as inert HTML: raw HTML in a rulebook text shows as
# text, and no link, image or autolink is made.
_CARD = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


def methodology(d: Deliverable) -> Html:
    """Appendix: every rule of the rulebook these results were scored with (the
    methodology card, as `paos rulebook show` prints it)."""
    card = methodology_card(d.rulebook).split("\n", 1)[1]  # the title is the h2 here
    return _section(
        "methodology",
        f"Methodology applied: {d.rulebook['title']}",
        f'<div class="card">{_CARD.render(card)}</div>',
    )


def reproducibility(d: Deliverable) -> Html:
    """The stamp: rulebook id and sha256, paos version, evidence hashes, run date."""
    st = stamp(d)
    rows = [
        ("engagement", st["engagement_id"]),
        ("rulebook", st["rulebook"]),
        ("rulebook sha256", st["rulebook_sha256"]),
        ("paos version", st["paos_version"]),
        ("run date", st["run_date"]),
    ]
    rows += [(f"evidence {isolate(f['file'])}", f["sha256"]) for f in st["evidence_files"]]
    body = "".join(f"<tr><th>{esc(k)}</th><td><code>{esc(v)}</code></td></tr>" for k, v in rows)
    return Html(
        f'<section class="stamp"><h2>Reproducibility</h2><table class="kv">{body}</table></section>'
    )


def benchmark(d: Deliverable) -> Html:
    """Where this engagement stands among other clients, the latest past engagement
    of each (aggregates only: peer count, median, quartiles, percentile; never
    another client's name or score)."""
    b = d.benchmark
    if b is None:
        return Html("")
    group = b["peer_group"]
    left = (
        f'<p class="small">Left out: {b["left_out"]} other client(s) whose past engagements '
        "were scored under another rulebook, or another version of this one.</p>"
        if b["left_out"]
        else ""
    )
    if b["status"] != "ok":
        return _section(
            "benchmark",
            "Benchmark",
            f"<p>{esc(b['status'].capitalize())}: "
            f"{group['size']} other client(s) with a past engagement under this rulebook; "
            f"at least {b['min_peers']} are needed.</p>{left}",
        )

    def row(label: str, f: dict) -> str:
        pct = f"{f['percentile']:.0f}" if f.get("percentile") is not None else "–"
        return (
            f'<tr><td>{esc(label)}</td><td class="num">{d.score(f["value"])}</td>'
            f'<td class="num">{pct}</td><td class="num">{d.score(f.get("q1"))}</td>'
            f'<td class="num">{d.score(f.get("median"))}</td><td class="num">'
            f"{d.score(f.get('q3'))}"
            f'</td><td class="num">{f["n"]}</td></tr>'
        )

    names = {x["id"]: x["name"] for x in d.contract["dimensions"]}
    rows = row("PAI", b["pai"]) + "".join(
        row(f"{x['id']} {names.get(x['id'], '')}", x) for x in b["dimensions"]
    )
    body = (
        f'<p class="lead">Peer group: {esc(group["label"])} ({group["size"]} other '
        "clients, the latest past engagement of each: same rulebook, assessed on or "
        "before this one). "
        "Percentile: the share of peers scoring below (ties count half).</p>"
        '<table class="grid"><thead><tr><th></th><th>this engagement</th><th>percentile'
        "</th><th>lower quartile</th><th>median</th><th>upper quartile</th><th>peers</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>{left}"
    )
    return _section("benchmark", "Benchmark", body)


def reassessment(d: Deliverable) -> Html:
    """Progress since the baseline diagnostic: PAI and dimension deltas, gaps closed,
    new and persisting (with their severity change)."""
    if d.reassessment is None:
        return (
            _section(
                "progress", "Progress since the baseline", f"<p>{esc(d.reassessment_note)}</p>"
            )
            if d.reassessment_note
            else Html("")
        )
    c, dec = d.reassessment, d.rulebook["display_decimals"]

    dims = "".join(
        f'<tr><td>{esc(x["id"])} {esc(x["name"])}</td><td class="num">{d.score(x["baseline"])}'
        f'</td><td class="num">{d.score(x["follow_up"])}</td><td class="num">'
        f"{esc(signed(x['delta'], dec) or '–')}</td></tr>"
        for x in c["dimensions"]
    )
    p = c["pai"]

    def client(g: dict) -> str:
        """What the client recorded in the baseline's action plan, if it was read."""
        a = g.get("action")
        if not a or not a.get("status"):
            return ""
        return f"; client: {esc(a['status'])}" + (f", {esc(a['owner'])}" if a.get("owner") else "")

    def gaps(items: list[dict], key: str = "severity") -> str:
        return (
            ", ".join(f"{esc(g['signal_id'])} ({esc(g[key])}{client(g)})" for g in items) or "none"
        )

    persisting = (
        "".join(
            f"<li><b>{esc(g['signal_id'])}</b> {esc(d.names.get(g['signal_id'], ''))}: "
            f"{esc(g['severity_baseline'])} → {esc(g['severity_follow_up'])} ({esc(g['change'])}"
            f"{client(g)})</li>"
            for g in c["gaps_persisting"]
        )
        or "<li>none</li>"
    )
    plan = c.get("actions")
    plan_note = (
        '<p class="small">The client\'s action plan of the baseline '
        + f"({esc(PurePath(plan['file']).name)}): "
        + ("statuses read." if plan["read"] else "no statuses read.")
        + "".join(f"<br>{esc(n)}" for n in plan["notes"])
        + "</p>"
        if plan
        else ""
    )
    note = plan_note + (
        ""
        if c["rulebook"]["same"]
        else '<p class="small">Scored under different '
        "rulebooks: deltas mix methodology changes and progress.</p>"
    )
    body = (
        f'<p class="lead">Baseline {esc(c["baseline"])} → this diagnostic '
        f"{esc(c['follow_up'])}. PAI {d.score(p['baseline'])} → {d.score(p['follow_up'])} "
        f"(<b>{esc(signed(p['delta'], dec) or 'no delta: PAI incomplete')}</b>).</p>{note}"
        '<table class="grid"><thead><tr><th>dimension</th><th>baseline</th><th>now</th>'
        f"<th>change</th></tr></thead><tbody>{dims}</tbody></table>"
        f'<div class="two"><div><h3>Gaps closed ({len(c["gaps_closed"])})</h3><p>'
        f"{gaps(c['gaps_closed'])}</p><h3>New gaps ({len(c['gaps_new'])})</h3><p>"
        f"{gaps(c['gaps_new'])}</p></div><div><h3>Gaps persisting "
        f"({len(c['gaps_persisting'])})</h3><ul>{persisting}</ul></div></div>"
        + (
            f'<p class="small">No longer assessed (no evidence now): '
            f"{esc(', '.join(c['no_longer_assessed']))}.</p>"
            if c["no_longer_assessed"]
            else ""
        )
    )
    return _section("progress", "Progress since the baseline", body)
