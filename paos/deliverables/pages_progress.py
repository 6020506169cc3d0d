"""The deck's progress page of a re-assessment: closed, new and persisting gaps by
name, regressions, and every disagreement between the client's recorded status and
the measured result."""

from __future__ import annotations

from pathlib import PurePath

from paos.deliverables import titles
from paos.deliverables._findings import (
    signal_ref,
)
from paos.deliverables._html import Html, render
from paos.deliverables.deliverable import (
    Deliverable,
)

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
                    "signal": signal_ref(d, g["signal_id"]),
                    "text": f"recorded done, but still a {g['severity_follow_up']} gap below "
                    "its threshold",
                }
            )
    for g in c["gaps_closed"]:
        a = g.get("action") or {}
        if a.get("status") in OPEN:
            out.append(
                {
                    "signal": signal_ref(d, g["signal_id"]),
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
            render("progress.html.j2", {"oneliner": d.reassessment_note, "page": {}})
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
                    "signal": signal_ref(d, g["signal_id"]),
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
                    "signal": signal_ref(d, g["signal_id"]),
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
                    "signal": signal_ref(d, g["signal_id"]),
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
    return render("progress.html.j2", data)
