"""The charts of the deck (Vega-Lite specifications from `paos.deliverables.charts`)
and the numbers behind each, for a native chart in the PowerPoint deck."""

from __future__ import annotations

from paos.deliverables import charts, titles
from paos.deliverables._page import vocab_label
from paos.deliverables.deliverable import (
    Deliverable,
    maturities,
    phases,
    priorities,
    severities,
)


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
        gaps, prio, d.rulebook["tiers"], severities(d.rulebook), priorities(d.rulebook), d.names
    )


def _roadmap_chart(d: Deliverable):
    plan, gaps = phases(d.rulebook), d.contract["gaps"]
    counts = {p["phase"]: sum(g["phase"] == p["phase"] for g in gaps) for p in plan}
    return charts.roadmap_timeline(plan, counts)


def _divergence_chart(d: Deliverable):
    return charts.divergence_dumbbell(d.contract["signals"], d.names, d.scale, titles.views(d))


# The numbers behind each chart, for a native (editable) chart in the PowerPoint
# deck: the results' own values, with the label each shows in the HTML.
def dimension_native(d: Deliverable) -> dict:
    f, limits = d.figures, d.thresholds()
    return {
        "categories": [x["name"] for x in d.contract["dimensions"]],
        "score": [x["score"] for x in d.contract["dimensions"]],
        "labels": [f.score(x["score"]) for x in d.contract["dimensions"]],
        "threshold_low": [min(limits[x["id"]]) for x in d.contract["dimensions"]],
        "threshold_high": [max(limits[x["id"]]) for x in d.contract["dimensions"]],
        "scale": list(d.scale),
    }


def matrix_native(d: Deliverable) -> dict:
    prio = {(r["severity"], t): r["priority"] for r in d.rulebook["priority"] for t in r["tiers"]}
    tiers = d.rulebook["tiers"]
    gaps = [(g["severity"], d.tier(g["dimension"])) for g in d.contract["gaps"]]
    raised = [(g["severity"], d.tier(g["dimension"])) for g in d.contract["gaps"] if g["escalated"]]
    return {
        "columns": [f"{vocab_label(name)} (tier {t})" for t, name in tiers.items()],
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


def divergence_native(d: Deliverable) -> dict:
    sigs = [
        s for s in d.contract["signals"] if s["strategic"] is not None and s["reality"] is not None
    ]
    return {
        "categories": [d.names.get(s["id"], s["id"]) for s in sigs],
        "strategic": [s["strategic"] for s in sigs],
        "reality": [s["reality"] for s in sigs],
        "scale": list(d.scale),
    }


def roadmap_native(d: Deliverable) -> dict:
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


def draw_charts(d: Deliverable) -> None:
    """Send every chart of the deliverable to the chart engine now: it draws them
    while the notebook goes on, and each section then takes its own. Optional:
    a section draws its chart itself when it was not sent ahead."""
    for name, build in CHARTS.items():
        if name not in d.drawings:
            d.drawings[name] = charts.submit(build(d))


def chart(d: Deliverable, name: str) -> str:
    drawing = d.drawings.get(name)
    if drawing is None:
        drawing = d.drawings[name] = charts.submit(CHARTS[name](d))
    return charts.svg_of(drawing)
