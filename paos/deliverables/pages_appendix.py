"""The deck's appendix: the evidence behind each gap, the method's terms and rules
(the methodology card), and the reproducibility stamp."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup

from paos.base.card import methodology_card
from paos.deliverables import charts, titles
from paos.deliverables._findings import (
    other_perspectives,
    severity_colors,
    signal_ref,
)
from paos.deliverables._html import FRAGILE_MARK, Html, render
from paos.deliverables.deliverable import (
    Deliverable,
)
from paos.deliverables.report import (
    stamp,
)
from paos.errors import isolate


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
                "signal": signal_ref(d, g["signal_id"]),
                "severity": g["severity"],
                "color": severity_colors(d).get(g["severity"], charts.MUTED),
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
    return render("evidence.html.j2", data)


# The methodology card's Markdown as inert HTML: raw HTML in a rulebook text shows as
# text, and no link, image or autolink is made.
_CARD = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


def terms(d: Deliverable) -> list[dict]:
    """The method's terms that the body avoids, defined in plain words."""
    rb, f = d.rulebook, d.figures
    dv, esc_rule = rb["divergence"], rb["escalation"]
    lead, real = titles.views(d)
    return [
        {
            "term": "PAI",
            "text": "Partner Architecture Index: the weighted mean of the dimension scores.",
        },
        {
            "term": "blind spot",
            "text": f"{lead} rates a signal at least {f.plain(dv['blind_spot_at_or_above'])} "
            f"above {real} (the mean of every other perspective: {other_perspectives(d)}).",
        },
        {
            "term": "hidden strength",
            "text": f"{real} rates a signal at least "
            f"{f.plain(-dv['hidden_strength_at_or_below'])} above {lead}.",
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


def card_parts(html: str) -> list[dict]:
    """The rendered methodology card cut before each heading (h2, h3), so a printed
    page may start before any part (a page that does is headed by the section's
    title, continued: the part's heading names one part, not what the page holds)."""
    return [{"html": Markup(piece)} for piece in re.split(r"(?=<h[23]>)", html) if piece.strip()]


def methodology(d: Deliverable) -> Html:
    """Appendix B: the method's terms, and every rule of the rulebook these results
    were scored with (the methodology card, as `paos rulebook show` prints it)."""
    card = methodology_card(d.rulebook).split("\n", 1)[1]  # the title is the h2 here
    data = {
        "page": {"title": titles.methodology(d), "kicker": "Appendix B · Terms and methodology"},
        "terms": terms(d),
        "card": card_parts(_CARD.render(card)),
    }
    return render("methodology.html.j2", data)


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
    return render("reproducibility.html.j2", data)
