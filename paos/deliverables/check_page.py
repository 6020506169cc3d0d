"""The Architecture Check one-pager (methodology section 9): the prospect-facing page.

Its title is derived by rule from the screening (`title`); dimensions are named,
never coded; the chart's axis runs over the rating scale, from its minimum; the
screening cut is a labelled line; no hash is shown (the rulebook's sha256 stays in
check.json and in the HTML's <meta>, `meta`).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
from markupsafe import Markup

from paos.deliverables import charts
from paos.deliverables._html import Html, render
from paos.deliverables._page import footer_style, join_names, plural

LIKELY, CLEAR = "constraint likely", "no constraint indicated"
# Okabe-Ito vermillion for a likely constraint, blue for a dimension that passes the
# screen: a check encodes no severity, so it takes no severity colour.
STATUS_COLORS = {LIKELY: "#d55e00", CLEAR: "#0072b2"}


def cut_text(check: dict) -> str:
    """`2 (Emerging) or below`: the screening cut with its level's name."""
    at, level = check["constraint_at_or_below"], check.get("constraint_level", "")
    return f"{at} ({level}) or below" if level else f"{at} or below"


def cut_drawn(check: dict) -> bool:
    """Whether the cut falls inside the scale, where the chart draws it (between the
    last rating that flags a constraint and the next)."""
    lo, hi = check["rating_scale"]
    return lo <= check["constraint_at_or_below"] + 0.5 <= hi


def title(check: dict) -> str:
    """The page's action title, by rule: the dimensions rated at or below the cut,
    by name, with their count; or that none is."""
    dims = check["dimensions"]
    likely = [d["name"] for d in dims if d["constraint_likely"]]
    n = len(dims)
    if not likely:
        return (
            f"No dimension shows a likely structural constraint: all {n} are rated above "
            f"{check['constraint_at_or_below']}"
        )
    verb = "shows" if len(likely) == 1 else "show"
    count = f"All {n} dimensions" if len(likely) == n else f"{len(likely)} of {n} dimensions"
    return f"{count} {verb} a likely structural constraint: {join_names(likely)}"


def screening_chart(check: dict) -> alt.LayerChart | alt.FacetChart:
    """One dot per dimension at its screening rating, on the rating scale from its
    minimum, coloured by whether a constraint is likely; the cut is a labelled line
    between the last rating that flags a constraint and the next."""
    lo, hi = check["rating_scale"]
    at = check["constraint_at_or_below"]
    rows = [
        {
            "dimension": d["name"],
            "rating": d["rating"],
            "label": f"{d['rating']} {d['level']}",
            "status": LIKELY if d["constraint_likely"] else CLEAR,
        }
        for d in check["dimensions"]
    ]
    df = pd.DataFrame(rows)
    x_scale = alt.Scale(domain=[lo, hi], nice=False)
    x = alt.X(
        "rating:Q",
        scale=x_scale,
        title=f"screening rating ({lo} to {hi})",
        axis=alt.Axis(values=list(range(lo, hi + 1)), format="d"),
    )
    y = alt.Y(
        "dimension:N",
        sort=list(df["dimension"]),
        title=None,
        axis=alt.Axis(labelLimit=0, labelPadding=12),  # clear of a dot at the minimum
    )
    dots = (
        alt.Chart(df)
        .mark_circle(size=140, opacity=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                title=None,
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    values = (  # right of the dot: clear of the axis labels and, up to 8 characters, the cut
        alt.Chart(df)
        .mark_text(align="left", dx=9, color=charts.INK, fontSize=10)
        .encode(x=alt.X("rating:Q", scale=x_scale), y=y, text=alt.Text("label:N"))
    )
    cut = pd.DataFrame({"t": [at + 0.5], "txt": [f"constraint likely at {cut_text(check)}"]})
    line = (
        alt.Chart(cut)
        .mark_rule(color=charts.INK, strokeDash=[4, 3])
        .encode(x=alt.X("t:Q", scale=x_scale))
    )
    line_label = (
        alt.Chart(cut)
        .mark_text(align="right", baseline="bottom", dx=-4, dy=-4, color=charts.INK, fontSize=10)
        .encode(x=alt.X("t:Q", scale=x_scale), y=alt.YValue(0), text=alt.Text("txt:N"))
    )
    # a cut below the scale (0) or at its top draws no line
    marks = [line, dots, values, line_label] if cut_drawn(check) else [dots, values]
    return alt.layer(*marks).properties(width=450, height=20 * len(rows))


def meta(check: dict) -> dict[str, str]:
    """What the HTML's <meta> records and the page does not show."""
    return {
        "paos-rulebook": check["rulebook"]["id"],
        "paos-rulebook-sha256": check["rulebook"]["sha256"],
        "paos-prospect-id": check["id"],
    }


def page_data(check: dict) -> dict:
    """The one data object of the one-pager: what its template shows and the
    notebook displays (beside the HTML, `sections.PAGE_MIME`)."""
    likely = [d["name"] for d in check["dimensions"] if d["constraint_likely"]]
    why = (
        f"{plural(len(likely), 'dimension')} rated {cut_text(check)} on the screening "
        "question: a structural constraint is likely there."
        if likely
        else f"No dimension was rated {cut_text(check)} on its screening question."
    )
    meta_line = [
        f"Assessed {check['assessed_on']}" if check["assessed_on"] else "",
        f"analyst {check['analyst']}" if check["analyst"] else "",
        f"rulebook {check['rulebook']['id']}",
    ]
    return {
        "page": {"title": title(check), "kicker": "Partner Architecture Check · screening"},
        "title": title(check),
        "prospect": check["prospect"],
        "meta_line": [x for x in meta_line if x],
        "verdict": "recommend" if likely else "clear",
        "recommendation": check["recommendation"],
        "why": why,
        "chart": Markup(charts.to_svg(screening_chart(check))),
        "caption": "Dots: each dimension's screening rating"
        + ("; dashed line: the screening cut." if cut_drawn(check) else "."),
        "rows": [
            {
                "name": d["name"],
                "id": d["id"],
                "question": d["question"],
                "rating": d["rating"],
                "level": d["level"],
                "likely": d["constraint_likely"],
                "note": d["note"],
            }
            for d in check["dimensions"]
        ],
        "likely_color": STATUS_COLORS[LIKELY],
        "run_date": check["run_date"],
        "footer": Markup(footer_style(check["prospect"])),
    }


def architecture_check(check: dict) -> Html:
    """The one-page Architecture Check (templates/check/check.html.j2): action title,
    recommendation, one screening answer per dimension against the rulebook's
    screening cut; footer with the prospect's name, "Confidential" and the page
    number."""
    return render("check.html.j2", page_data(check))
