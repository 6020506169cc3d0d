"""Stage 7: the results contract (evidence-and-results.md) and a readable summary."""

from __future__ import annotations

import json
from collections.abc import Iterator

import polars as pl

from paos._types import Results
from paos.errors import PaosError
from paos.method._numbers import display
from paos.method.figures import Figures

ENG = "engagement_id"


def _parts(frame: pl.DataFrame, ids: list[str]) -> dict[str, list[dict]]:
    groups = (
        {k[0]: g for k, g in frame.partition_by(ENG, as_dict=True).items()} if frame.height else {}
    )
    return {i: groups[i].to_dicts() if i in groups else [] for i in ids}


def contracts(results: Results) -> Iterator[dict]:
    """The results contract object of every engagement, in engagement order."""
    ids = results.engagement_ids()
    rb = results.rulebook
    dims, sigs = _parts(results.dimensions, ids), _parts(results.signals, ids)
    gaps, mods = _parts(results.gaps, ids), _parts(results.modules, ids)
    evid = _parts(results.evidence, ids)
    rob = (
        {r[ENG]: r for r in results.robustness.to_dicts()}
        if results.robustness is not None
        else None
    )
    perspectives = list(rb.perspective_weights)
    for eng in results.engagements.to_dicts():
        i = eng[ENG]
        by_signal: dict[str, list[dict]] = {}
        for e in evid[i]:
            by_signal.setdefault(e["signal_id"], []).append(
                {
                    "perspective": e["perspective"],
                    "role": e["role"],
                    "rating": e["rating"],
                    "text": e["text"],
                }
            )
        c = {
            "engagement_id": i,
            # `severity`: the band names, most severe first, so two contracts compare
            # without the rulebook file at hand (docs/methodology.md, readings)
            "rulebook": {
                "id": rb.id,
                "sha256": rb.sha256,
                "severity": [b["name"] for b in rb["severity"]],
            },
            "status": eng["status"],
            "pai": eng["pai"],
            "pai_display": eng["pai_display"],
            "maturity": eng["maturity"],
            "dimensions": [
                {
                    "id": d["dimension"],
                    "name": d["name"],
                    "tier": d["tier"],
                    "score": d["score"],
                    "maturity": d["maturity"],
                    "coverage": d["coverage"],
                    "status": d["status"],
                    "gap_count": d["gap_count"],
                }
                for d in dims[i]
            ],
            "signals": [
                {
                    "id": s["signal_id"],
                    "dimension": s["dimension"],
                    "status": s["status"],
                    "score": s["score"],
                    "strategic": s["strategic"],
                    "reality": s["reality"],
                    "divergence": s["divergence"],
                    "divergence_class": s["divergence_class"],
                    "agreement": s["agreement"],
                    "low_consensus": s["low_consensus"],
                    "validated": s["validated"],
                    "n_ratings": s["n_ratings"],
                    "perspective_means": {p: s[f"mean_{p}"] for p in perspectives},
                }
                for s in sigs[i]
            ],
            "gaps": [
                {
                    "signal_id": g["signal_id"],
                    "dimension": g["dimension"],
                    "score": g["score"],
                    "threshold": g["threshold"],
                    "shortfall": g["shortfall"],
                    "severity": g["severity"],
                    "escalated": g["escalated"],
                    "provisional": g["provisional"],
                    "priority": g["priority"],
                    "phase": g["phase"],
                    **(
                        {"changed_in": g["changed_in"], "robust": g["robust"]}
                        if rob is not None
                        else {}
                    ),
                    "evidence": by_signal.get(g["signal_id"], []),
                }
                for g in gaps[i]
            ],
            "installation_modules": [
                {
                    "dimension": m["dimension"],
                    "name": m["module"],
                    "priority": m["priority"],
                    "signals": list(m["signals"]),
                }
                for m in mods[i]
            ],
        }
        if rob is not None:  # robustness-v1.md, when computed (see `robustness()`)
            r = rob.get(i) or {"variants": 0}
            c["robustness"] = {
                "variants": r["variants"],
                "pai_min": r.get("pai_min"),
                "pai_max": r.get("pai_max"),
                "robust_gaps": r.get("robust_gaps"),
                "near_gaps": list(r["near_gaps"]) if r.get("near_gaps") is not None else None,
            }
        yield c


def contract(results: Results, engagement_id: str | None = None) -> dict:
    """The results contract of one engagement: `engagement_id`, or the only one.
    Raises `PaosError` naming the engagements when results hold several and none is
    named, or the one named is not among them."""
    ids = results.engagement_ids()
    if engagement_id is None and len(ids) != 1:
        raise PaosError(
            f"these results hold {len(ids)} engagements ({', '.join(ids) or 'none'}); "
            "name one: contract(results, ENGAGEMENT_ID), or use contracts(results)"
        )
    wanted = ids[0] if engagement_id is None else engagement_id
    if wanted not in ids:
        raise PaosError(
            f"engagement {wanted!r} is not in these results ({', '.join(ids) or 'none'})"
        )
    return next(c for c in contracts(results) if c["engagement_id"] == wanted)


def to_json(obj: dict) -> str:
    """The contract as JSON text: full precision, UTF-8, stable key order."""
    return json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False)


def summary_text(c: dict, rulebook_title: str = "", figures: Figures | None = None) -> str:
    """A readable terminal summary of one contract: PAI, dimensions, gaps in roadmap order.
    With `figures` (`paos.method.figures`), scores are written so that none rounds
    across the cut of the maturity shown beside it (1.987 as 1.99 beside Ad hoc)."""

    def score(value: float) -> str:
        return figures.score(value) if figures else display(value)

    out = [
        f"Engagement {c['engagement_id']}  (rulebook {c['rulebook']['id']}, "
        f"sha256 {c['rulebook']['sha256'][:12]})"
    ]
    if c["status"] == "complete":
        out.append(f"Partner Architecture Index: {score(c['pai'])}  ({c['maturity']})")
        rob = c.get("robustness")
        if rob and rob["pai_min"] is not None:
            out.append(
                f"PAI {score(c['pai'])}; {score(rob['pai_min'])}-{score(rob['pai_max'])}"
                " leaving any one stakeholder out"
            )
    else:
        missing = [d["id"] for d in c["dimensions"] if d["score"] is None]
        out.append(
            "Partner Architecture Index: not computed (incomplete: insufficient "
            f"evidence in {', '.join(missing)})"
        )
    out.append("")
    out.append(f"{'dimension':<34}{'score':>6}  {'maturity':<11}{'coverage':>9}{'gaps':>6}")
    for d in c["dimensions"]:
        shown = score(d["score"]) if d["score"] is not None else "-"
        label = f"{d['id']:<5}{d['name']}"[:33]
        out.append(
            f"{label:<34}{shown:>6}  {d['maturity'] or 'insufficient':<11}"
            f"{d['coverage']:>9.0%}{d['gap_count']:>6}"
        )
    out.append("")
    if c["gaps"]:
        out.append(f"Gaps in roadmap order ({len(c['gaps'])}):")
        for g in c["gaps"]:
            flags = [
                f
                for f, on in (
                    ("escalated", g["escalated"]),
                    ("provisional", g["provisional"]),
                    ("not robust", g.get("robust") is False),
                )
                if on
            ]
            out.append(
                f"  {g['priority']}  phase {g['phase']}  {g['signal_id']:<8}"
                f"score {display(g['score'], 2):>4}  shortfall "
                f"{display(g['shortfall'], 2):>4}  {g['severity']:<9}"
                + (" (" + ", ".join(flags) + ")" if flags else "")
            )
    else:
        out.append("No gaps: every scored signal meets its threshold.")
    rob = c.get("robustness")
    if rob and rob["variants"]:
        robust = rob["robust_gaps"]
        out.append(
            f"Robustness: {robust} of {len(c['gaps'])} gaps hold leaving any one of "
            f"{rob['variants']} stakeholders out"
            + (f"; near gaps: {', '.join(rob['near_gaps'])}" if rob["near_gaps"] else "")
        )
    no_ev = [s["id"] for s in c["signals"] if s["status"] == "no_evidence"]
    if no_ev:
        out.append(f"Evidence gaps (no rating at all): {', '.join(no_ev)}")
    blind = [s["id"] for s in c["signals"] if s["divergence_class"] == "blind_spot"]
    hidden = [s["id"] for s in c["signals"] if s["divergence_class"] == "hidden_strength"]
    if blind:
        out.append(f"Blind spots (leadership sees more than reality): {', '.join(blind)}")
    if hidden:
        out.append(f"Hidden strengths (reality ahead of leadership): {', '.join(hidden)}")
    if c["installation_modules"]:
        out.append(
            "Installation modules in scope: "
            + "; ".join(f"{m['name']} ({m['priority']})" for m in c["installation_modules"])
        )
    return "\n".join(out)
