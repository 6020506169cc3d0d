"""The deck's pages of findings: the dimensions, the divergence between the views and
the benchmark against other clients."""

from __future__ import annotations

from markupsafe import Markup

from paos.deliverables import charts, titles
from paos.deliverables._deck_charts import chart, dimension_native, divergence_native
from paos.deliverables._findings import (
    FRAGILE,
    is_fragile,
    other_perspectives,
    severity_colors,
    signal_ref,
    threshold_text,
    view_heads,
    view_words,
    vocab_label,
    without_words,
)
from paos.deliverables._html import Html, render
from paos.deliverables.deliverable import (
    Deliverable,
)


def dimension_pages(d: Deliverable) -> Html:
    """Each dimension: score and level, and every signal with its score, threshold
    (where thresholds differ), leadership against reality and its gap."""
    f, rb = d.figures, d.rulebook
    near = set((d.contract.get("robustness") or {}).get("near_gaps") or [])
    thresholds = {s.threshold for s in rb.signals}
    gaps = {g["signal_id"]: g for g in d.contract["gaps"]}
    without = without_words(d)
    dims = []
    every = d.contract["dimensions"]
    for i, (dim, spec) in enumerate(zip(every, rb.dimensions)):
        rows = []
        for sig in spec.signals:
            s = d.signal(sig.id)
            g = gaps.get(sig.id)
            rows.append(
                {
                    "signal": signal_ref(d, sig.id),
                    "score": f.mean(s["score"]),
                    "threshold": f.threshold(sig.threshold),
                    "strategic": f.mean(s["strategic"]),
                    "reality": f.mean(s["reality"]),
                    "views": view_words(d, s),
                    "note": "",
                    "gap": (
                        {
                            "severity": g["severity"],
                            "color": severity_colors(d).get(g["severity"], charts.MUTED),
                            "priority": g["priority"],
                            "without_one": without.get(sig.id, FRAGILE if is_fragile(g) else ""),
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
                    f"{vocab_label(rb['tiers'][spec.tier])} tier · {titles.count(n_gaps, 'gap')} · "
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
                "continued": titles.dimension_page(d, dim),
                # the titles of a printed page that holds this dimension (or its
                # rest) and the next one, the next two, ... (paginate.js)
                "groups": [
                    titles.dimension_pages(d, every[i : j + 1]) for j in range(i + 1, len(every))
                ],
            }
        )
    data = {
        "page": {"title": titles.dimensions(d), "kicker": "Dimensions"},
        "chart": Markup(chart(d, "dimensions")),
        "native": dimension_native(d),
        "caption": (
            "Dimension scores (bars, n = the dimension's rated signals) against "
            + threshold_text(d)
        ),
        "dims": dims,
        "views": view_heads(d),
        "show_thresholds": len(thresholds) > 1,
        "fragile": any(is_fragile(g) for g in gaps.values()),
    }
    return render("dimensions.html.j2", data)


def divergence(d: Deliverable) -> Html:
    """Blind spots and hidden strengths across all signals in one picture."""
    sigs, f, dv = d.contract["signals"], d.figures, d.rulebook["divergence"]
    up = titles.count_points(f.plain(dv["blind_spot_at_or_above"]))
    down = titles.count_points(f.plain(-dv["hidden_strength_at_or_below"]))

    def items(cls: str) -> list[dict]:
        return [
            {
                "signal": signal_ref(d, s["id"]),
                "strategic": f.mean(s["strategic"]),
                "reality": f.mean(s["reality"]),
                "delta": f.delta(s["divergence"]),
            }
            for s in sigs
            if s["divergence_class"] == cls
        ]

    low = [d.names[s["id"]] for s in sigs if s["low_consensus"]]
    cut = d.rulebook["agreement"]["low_consensus_below"]
    lead, real = titles.views(d)
    cap = titles.cap
    data = {
        "page": {"title": titles.divergence(d), "kicker": f"{cap(lead)} against {real}"},
        "lead": (
            f"{cap(lead)}'s mean rating of each signal against {real}: the mean of every "
            f"other perspective ({other_perspectives(d)})."
        ),
        "chart": Markup(chart(d, "divergence")),
        "native": divergence_native(d),
        "caption": f"{cap(lead)} against {real}, per signal (mean ratings)",
        "views": view_heads(d),
        "groups": [
            {
                "head": f"{cap(lead)} rates higher (blind spots)",
                "explain": f"{cap(lead)} assumes more structure than {real} shows, by {up} or more.",
                "entries": items("blind_spot"),
            },
            {
                "head": f"{cap(real)} is ahead (hidden strengths)",
                "explain": f"{cap(real)} is ahead of what {lead} believes, by {down} or more.",
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
    return render("divergence.html.j2", data)


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
        return render(
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
    return render("benchmark.html.j2", data)
