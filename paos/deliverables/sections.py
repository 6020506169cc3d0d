"""Stage 8 (view side): the sections of the board deliverable as HTML.

Each public function takes a `Deliverable` and returns an `Html` object that a
notebook displays. Every text that comes from evidence or the rulebook goes
through `esc()`: a quote reading `<script>` or `=HYPERLINK(...)` shows as that
same visible text, never as markup.
"""

from __future__ import annotations

import re
from html import escape

from paos.deliverables import charts
from paos.deliverables.report import (
    SEVERITIES,
    Deliverable,
    fmt,
    gap_sentence,
    severity_counts,
    stakeholder_counts,
    stamp,
    top_gaps,
)


class Html:
    """An HTML fragment that Jupyter (and nbconvert) display as HTML."""

    def __init__(self, html: str):
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


# Characters that change the direction of the text around them: bidi controls and
# right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, ... and their
# presentation forms). Text holding one is isolated in <bdi>, so a quote ending in
# U+202E cannot reverse the attribution printed after it.
_BIDI = re.compile(
    "[\u0590-\u08ff\u200e\u200f\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff"
    "\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def esc(text: object) -> str:
    """Visible text, safe in HTML: markup escaped, newlines kept as line breaks, and
    text that could reorder its neighbours isolated (<bdi>). For element content only;
    attributes take `_cls`."""
    text = "" if text is None else str(text)
    html = escape(text, quote=True).replace("\n", "<br>")
    return f"<bdi>{html}</bdi>" if _BIDI.search(text) else html


def _cls(name: object) -> str:
    """A class attribute value from a rulebook name: letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", str(name).lower()).strip("-")


def _badge(kind: str, text: str | None = None) -> str:
    return f'<span class="badge {_cls(kind)}">{esc(text or kind)}</span>'


def _section(cls: str, title: str, body: str, lead: str = "") -> Html:
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return Html(f'<section class="{cls}"><h2>{esc(title)}</h2>{lead_html}{body}</section>')


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def _dimension_chart(d: Deliverable):
    return charts.dimension_bars(d.contract["dimensions"], d.rulebook.signals[0].threshold)


def _matrix_chart(d: Deliverable):
    prio = {(r["severity"], t): r["priority"] for r in d.rulebook["priority"] for t in r["tiers"]}
    gaps = [{**g, "tier": d.tier(g["dimension"])} for g in d.contract["gaps"]]
    return charts.priority_matrix(
        gaps, prio, d.rulebook["tiers"], [b["name"] for b in d.rulebook["severity"]]
    )


def _roadmap_chart(d: Deliverable):
    phases, gaps = d.rulebook["phases"], d.contract["gaps"]
    counts = {p["phase"]: sum(g["phase"] == p["phase"] for g in gaps) for p in phases}
    return charts.roadmap_timeline(phases, counts)


def _divergence_chart(d: Deliverable):
    return charts.divergence_dumbbell(d.contract["signals"], d.names)


# The charts of the deliverable, in page order.
CHARTS = {
    "dimensions": _dimension_chart,
    "matrix": _matrix_chart,
    "roadmap": _roadmap_chart,
    "divergence": _divergence_chart,
}


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


def executive_summary(d: Deliverable) -> Html:
    """Page 1: PAI with maturity, dimension scores against the threshold, gap
    counts by severity, and the top P1 gaps in one sentence each."""
    c, m = d.contract, d.meta
    threshold = d.rulebook.signals[0].threshold
    if c["status"] == "complete":
        pai = (
            f'<div class="pai"><div class="pai-value">{esc(c["pai_display"])}</div>'
            f'<div class="pai-scale">of 4.0</div>'
            f'<div class="maturity {_cls(c["maturity"])}">'
            f"{esc(c['maturity'])}</div></div>"
        )
    else:
        missing = ", ".join(x["id"] for x in c["dimensions"] if x["score"] is None)
        pai = (
            f'<div class="pai"><div class="pai-value">–</div><div class="maturity">'
            f"Incomplete: insufficient evidence in {esc(missing)}</div></div>"
        )
    counts = severity_counts(d)
    tiles = "".join(
        f'<div class="tile {s}"><div class="n">{counts[s]}</div><div class="l">{s}</div></div>'
        for s in SEVERITIES
    )
    people = stakeholder_counts(d)
    evidence = ", ".join(f"{n} {p}" for p, n in people.items() if n)
    n_metrics = d.results.metrics.height
    blind = [s["id"] for s in c["signals"] if s["divergence_class"] == "blind_spot"]
    hidden = [s["id"] for s in c["signals"] if s["divergence_class"] == "hidden_strength"]
    top = top_gaps(d)
    top_html = (
        "".join(f"<li>{esc(gap_sentence(d, g))}</li>" for g in top)
        or "<li>No P1 gap: the foundation holds.</li>"
    )
    more = len([g for g in c["gaps"] if g["priority"] == "P1"]) - len(top)
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
        f'<div class="col-right"><h3>Dimension scores against the {threshold:g} threshold</h3>'
        f"{chart}</div></div>"
        f'<h3>Top priorities (P1, phase 1: days 0-90)</h3><ol class="top">{top_html}</ol>'
        + (f'<p class="small">…and {more} more P1 gap(s) in the roadmap.</p>' if more > 0 else "")
        + f'<p class="small"><b>Installation modules in scope:</b> {esc(modules)}.</p>'
    )
    return Html(f'<section class="executive">{body}</section>')


def priority_matrix(d: Deliverable) -> Html:
    """Every gap by severity and tier; cells labelled with the rule's priority."""
    svg = _chart(d, "matrix")
    lead = (
        "Priority follows from severity and tier by rule: foundations first. "
        "* marks a gap escalated one level because leadership rates it at least one "
        "point above operational reality (a blind spot)."
    )
    return _section(
        "matrix", "Priority matrix", _figure(svg, "Gaps by severity and tier"), esc(lead)
    )


def roadmap(d: Deliverable) -> Html:
    """The three phases with their gaps in roadmap order, and the modules in scope."""
    phases = d.rulebook["phases"]
    gaps = d.contract["gaps"]
    svg = _chart(d, "roadmap")
    cols = []
    for p in phases:
        items = (
            "".join(
                f"<li>{_badge(g['severity'])} <b>{esc(g['signal_id'])}</b> "
                f'{esc(d.names[g["signal_id"]])} <span class="muted">({fmt(g["score"], 2)})</span></li>'
                for g in gaps
                if g["phase"] == p["phase"]
            )
            or '<li class="muted">no gap</li>'
        )
        cols.append(
            f'<div class="phase"><h3>Phase {p["phase"]}: {esc(p["name"])}</h3>'
            f'<div class="muted">days {p["start_day"]}-{p["end_day"]} · '
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
    return _section(
        "roadmap",
        "Roadmap",
        _figure(svg, "Phases and the gaps they address")
        + f'<div class="phases">{"".join(cols)}</div>'
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
    agreement = fmt(s["agreement"], 2) + (" (low)" if s["low_consensus"] else "")
    return (
        f'<tr class="{"gap" if gap else ""}"><td><b>{esc(s["id"])}</b> '
        f'{esc(d.names[s["id"]])}</td><td class="num">{fmt(s["score"], 2)}</td>'
        f'<td class="num">{fmt(s["strategic"], 2)}</td><td class="num">'
        f"{fmt(s['reality'], 2)}</td><td>{esc(charts.CLASS_LABELS[s['divergence_class']])}"
        f'</td><td class="num">{agreement}</td><td>{state}</td><td>'
        + (_badge(gap["severity"]) + " " + esc(gap["priority"]) if gap else "")
        + "</td></tr>"
    )


def dimension_pages(d: Deliverable) -> Html:
    """One block per dimension: score, coverage, and every signal with strategic
    against reality, divergence class, agreement, validated or provisional."""
    blocks = []
    for dim, spec in zip(d.contract["dimensions"], d.rulebook.dimensions):
        rows = "".join(_signal_row(d, d.signal(s.id)) for s in spec.signals)
        score = fmt(dim["score"]) if dim["score"] is not None else "insufficient evidence"
        blocks.append(
            f'<div class="dimension"><h3>{esc(dim["id"])} · {esc(dim["name"])}</h3>'
            f'<p class="muted">Tier {spec.tier} ({esc(d.rulebook["tiers"][spec.tier])}) · '
            f"score <b>{score}</b>{' (' + esc(dim['maturity']) + ')' if dim['maturity'] else ''}"
            f" · coverage {dim['coverage']:.0%} · {dim['gap_count']} gap(s). Decides "
            f'{esc(spec.decides)}.</p><table class="grid"><thead><tr><th>signal</th>'
            f"<th>score</th><th>leadership</th><th>reality</th><th>divergence</th>"
            f"<th>agreement</th><th>evidence</th><th>gap</th></tr></thead><tbody>{rows}"
            f"</tbody></table></div>"
        )
    return _section("dimensions", "Dimensions", "".join(blocks))


def divergence(d: Deliverable) -> Html:
    """Blind spots and hidden strengths across all signals in one picture."""
    sigs = d.contract["signals"]
    svg = _chart(d, "divergence")

    def listing(cls: str) -> str:
        items = [
            f"<li><b>{esc(s['id'])}</b> {esc(d.names[s['id']])}: leadership "
            f"{fmt(s['strategic'], 2)}, reality {fmt(s['reality'], 2)} "
            f"(divergence {s['divergence']:+.2f})</li>"
            for s in sigs
            if s["divergence_class"] == cls
        ]
        return f"<ul>{''.join(items)}</ul>" if items else '<p class="muted">None.</p>'

    low = [s["id"] for s in sigs if s["low_consensus"]]
    body = (
        _figure(svg, "Leadership (strategic) against reality, per signal")
        + '<div class="two"><div><h3>Blind spots</h3><p class="small">Leadership assumes '
        f"more structure than operational reality shows.</p>{listing('blind_spot')}</div>"
        '<div><h3>Hidden strengths</h3><p class="small">Reality is ahead of what '
        f"leadership believes.</p>{listing('hidden_strength')}</div></div>"
        + (
            f'<p class="small">Low consensus among stakeholders (agreement below 0.5): '
            f"{esc(', '.join(low))}.</p>"
            if low
            else ""
        )
    )
    return _section("divergence", "Cross-stakeholder divergence", body)


def evidence_appendix(d: Deliverable) -> Html:
    """For every gap, the quotes that support it, attributed by perspective (and by
    role only where enough stakeholders share it); then the evidence gaps."""
    blocks = []
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
            else '<p class="muted">No documented rating at or below 2.</p>'
        )
        blocks.append(
            f'<div class="gap-evidence"><h3>{esc(g["signal_id"])} '
            f"{esc(d.names[g['signal_id']])} {_badge(g['severity'])} "
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
    rows += [(f"evidence {f['file']}", f["sha256"]) for f in st["evidence_files"]]
    body = "".join(f"<tr><th>{esc(k)}</th><td><code>{esc(v)}</code></td></tr>" for k, v in rows)
    return Html(
        f'<section class="stamp"><h2>Reproducibility</h2><table class="kv">{body}</table></section>'
    )


def architecture_check(check: dict, constraint_at: int = 2) -> Html:
    """The one-page Architecture Check: recommendation, the six screening answers."""
    likely = check["constraints"]
    svg = charts.to_svg(charts.screening_bars(check["dimensions"], constraint_at))
    rows = "".join(
        f"<tr><td><b>{esc(d['id'])}</b> {esc(d['name'])}</td><td>{esc(d['question'])}</td>"
        f'<td class="num">{d["rating"]} {esc(d["level"])}</td><td>'
        + (_badge("critical", "likely") if d["constraint_likely"] else "–")
        + f"</td><td>{esc(d['note'])}</td></tr>"
        for d in check["dimensions"]
    )
    verdict = "recommend" if likely else "clear"
    head = (
        f'<header class="cover"><div class="kicker">Partner Architecture Check · '
        f'screening</div><h1>{esc(check["prospect"])}</h1><div class="meta">'
        + (f"Assessed {esc(check['assessed_on'])} · " if check["assessed_on"] else "")
        + (f"analyst {esc(check['analyst'])} · " if check["analyst"] else "")
        + f"rulebook {esc(check['rulebook']['id'])} · {esc(check['id'])}</div></header>"
    )
    why = (
        f"A structural constraint is likely in {esc(', '.join(likely))}: rated at or below "
        f"{constraint_at} on the screening question."
        if likely
        else f"No dimension was rated at or below {constraint_at}."
    )
    body = (
        f'{head}<div class="verdict {verdict}"><div class="kicker">Recommendation</div>'
        f'<div class="big">{esc(check["recommendation"])}</div><p>{why}</p></div>'
        f'{svg}<table class="grid check"><thead><tr><th>dimension</th><th>screening '
        f"question</th><th>rating</th><th>constraint</th><th>note</th></tr></thead>"
        f'<tbody>{rows}</tbody></table><p class="small">A screening, not a diagnostic: no '
        f"PAI is computed from a check. Run on {esc(check['run_date'])}; rulebook sha256 "
        f"{esc(check['rulebook']['sha256'])}.</p>"
    )
    return Html(f'<section class="check-page">{body}</section>')


def benchmark(d: Deliverable) -> Html:
    """Where this engagement stands among past engagements (aggregates only: peer
    count, median, quartiles, percentile; never another client's name or score)."""
    b = d.benchmark
    if b is None:
        return Html("")
    group = b["peer_group"]
    if b["status"] != "ok":
        return _section(
            "benchmark",
            "Benchmark",
            f"<p>{esc(b['status'].capitalize())}: "
            f"{group['size']} past engagement(s) under this rulebook; at least 5 "
            "are needed.</p>",
        )

    def row(label: str, f: dict) -> str:
        pct = f"{f['percentile']:.0f}" if f.get("percentile") is not None else "–"
        return (
            f'<tr><td>{esc(label)}</td><td class="num">{fmt(f["value"])}</td>'
            f'<td class="num">{pct}</td><td class="num">{fmt(f.get("q1"))}</td>'
            f'<td class="num">{fmt(f.get("median"))}</td><td class="num">{fmt(f.get("q3"))}'
            f'</td><td class="num">{f["n"]}</td></tr>'
        )

    names = {x["id"]: x["name"] for x in d.contract["dimensions"]}
    rows = row("PAI", b["pai"]) + "".join(
        row(f"{x['id']} {names.get(x['id'], '')}", x) for x in b["dimensions"]
    )
    body = (
        f'<p class="lead">Peer group: {esc(group["label"])} ({group["size"]} past '
        "engagements of other clients, same rulebook, assessed on or before this one). "
        "Percentile: the share of peers scoring below (ties count half).</p>"
        '<table class="grid"><thead><tr><th></th><th>this engagement</th><th>percentile'
        "</th><th>lower quartile</th><th>median</th><th>upper quartile</th><th>peers</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
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
    c = d.reassessment
    from paos.portfolio.reassessment import signed

    dims = "".join(
        f'<tr><td>{esc(x["id"])} {esc(x["name"])}</td><td class="num">{fmt(x["baseline"])}</td>'
        f'<td class="num">{fmt(x["follow_up"])}</td><td class="num">'
        f"{esc(signed(x['delta']) or '–')}</td></tr>"
        for x in c["dimensions"]
    )
    p = c["pai"]

    def gaps(items: list[dict], key: str = "severity") -> str:
        return ", ".join(f"{esc(g['signal_id'])} ({esc(g[key])})" for g in items) or "none"

    persisting = (
        "".join(
            f"<li><b>{esc(g['signal_id'])}</b> {esc(d.names.get(g['signal_id'], ''))}: "
            f"{esc(g['severity_baseline'])} → {esc(g['severity_follow_up'])} ({esc(g['change'])})"
            "</li>"
            for g in c["gaps_persisting"]
        )
        or "<li>none</li>"
    )
    note = (
        ""
        if c["rulebook"]["same"]
        else '<p class="small">Scored under different '
        "rulebooks: deltas mix methodology changes and progress.</p>"
    )
    body = (
        f'<p class="lead">Baseline {esc(c["baseline"])} → this diagnostic '
        f"{esc(c['follow_up'])}. PAI {fmt(p['baseline'])} → {fmt(p['follow_up'])} "
        f"(<b>{esc(signed(p['delta']) or 'no delta: PAI incomplete')}</b>).</p>{note}"
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
