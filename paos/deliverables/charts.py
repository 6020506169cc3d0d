"""Charts of the deliverable: altair specifications rendered to static SVG
(vl-convert), so reports show them offline, without any script or CDN.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from concurrent.futures import Future

import altair as alt
import pandas as pd
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema

from paos.deliverables import chart_engine
from paos.method._numbers import display

FONT = "DejaVu Sans"
INK, MUTED, GRID = "#1d2b3a", "#5b6b7b", "#d9dee4"
# Colours go by rank, never by name: a rulebook may rename, add or drop severity
# bands, maturity bands or priorities. Each ramp runs from the most urgent (or the
# lowest maturity) on; n bands take n colours spread evenly along it.
# Severity colours are for severity only; every other ramp is colour-blind safe and
# free of red: maturity on cividis, priorities and phases on one blue, divergence
# classes on Okabe-Ito.
SEVERITY_RAMP = ("#b42318", "#dc6803", "#a68700")  # most severe first
MATURITY_RAMP = ("#00224e", "#3d4e6f", "#7c7b78", "#b7a572")  # cividis, lowest band first
PRIORITY_RAMP = ("#1f3a5f", "#3d6491", "#6f93bd")  # first phase first
PRIORITY_CELL_RAMP = ("#a9c0db", "#d0dcea", "#f1f4f8")  # the same, as cell backgrounds


def ramp(n: int, stops: tuple[str, ...]) -> list[str]:
    """`n` colours evenly along the ramp through `stops` (the stops themselves when
    n equals their number)."""
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in stops]
    out = []
    for k in range(n):
        pos = k * (len(rgb) - 1) / (n - 1) if n > 1 else 0.0
        i = min(int(pos), len(rgb) - 2)
        t = pos - i
        mix = (round(a + (b - a) * t) for a, b in zip(rgb[i], rgb[i + 1]))
        out.append("#" + "".join(f"{v:02x}" for v in mix))
    return out


def by_rank(names: list[str], stops: tuple[str, ...]) -> dict[str, str]:
    """Each name (in rank order) with its colour on the ramp."""
    return dict(zip(names, ramp(len(names), stops)))


CLASS_COLORS = {  # Okabe-Ito
    "blind_spot": "#0072b2",
    "hidden_strength": "#009e73",
    "aligned": "#999999",
    "not_testable": "#cccccc",
}
CLASS_LABELS = {
    "blind_spot": "blind spot",
    "hidden_strength": "hidden strength",
    "aligned": "aligned",
    "not_testable": "not testable",
}


# Chart text on paper: board.css prints the deck zoomed (PRINT_ZOOM, its
# `@media print`) and a CSS px is 0.75 pt, so MIN_TEXT px is the smallest text that
# prints at 9 pt (the matrix's names once printed at about 6 pt).
PRINT_ZOOM = 0.88
MIN_TEXT = math.ceil(9 / (0.75 * PRINT_ZOOM))  # 14 px
# The mean advance of DejaVu Sans per character, in em, rounded up: what a line of
# a wrapped label may hold. Measured: the signal names print at about 0.625 em a
# character; at 0.6 the renderer cut one (its `limit` stops what still runs over).
EM = 0.64
EM_BOLD = 0.7


# The house style, merged into each specification's config (the same JSON as
# altair's configure_* calls give, without their copies of the whole chart): every
# text of a chart at MIN_TEXT px.
HOUSE_STYLE = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "labelColor": INK,
        "titleColor": MUTED,
        "gridColor": GRID,
        "domainColor": GRID,
        "tickColor": GRID,
        "labelFontSize": MIN_TEXT,
        "titleFontSize": MIN_TEXT,
    },
    "legend": {
        "labelFontSize": MIN_TEXT,
        "titleFontSize": MIN_TEXT,
        "labelColor": INK,
        "titleColor": MUTED,
    },
    # every text mark prints at least 9 pt unless it sets its own (larger) size
    "text": {"fontSize": MIN_TEXT},
}


def spec(chart: alt.TopLevelMixin, validate: bool = False) -> dict:
    """The Vega-Lite specification of a chart with the house style. Not validated
    against the Vega-Lite schema by default (it costs 10-30 ms a chart); the tests
    validate every chart the deliverables draw."""
    out = chart.to_dict(validate=False)
    config = out.setdefault("config", {})
    for key, value in HOUSE_STYLE.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    if validate:
        validate_jsonschema(out, load_schema())
    return out


def submit(chart: alt.TopLevelMixin) -> Future:
    """Send a chart to the chart engine; the future's result is its SVG (`svg_of`)."""
    return chart_engine.submit(spec(chart))


def svg_of(drawing: Future) -> str:
    """The SVG element of a submitted chart, once drawn (no XML prolog)."""
    svg = chart_engine.result(drawing)
    return svg[svg.index("<svg") :] if "<svg" in svg else svg


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string (no network, no JavaScript in the output)."""
    return svg_of(submit(chart))


def _scale(colors: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colors), range=list(colors.values()))


def _span(scale: tuple[float, float]) -> str:
    return f"{scale[0]:g}-{scale[1]:g}"


def _text_width(text: str, bold: bool = False) -> float:
    """The width (px) a text of MIN_TEXT px takes at most (EM or EM_BOLD a character)."""
    return len(text) * (EM_BOLD if bold else EM) * MIN_TEXT


def _tick_labels(ts: list[float], shown: Callable[[float], str], per: float) -> list[dict]:
    """The labels of one row's threshold ticks (`ts` sorted, `per` px a unit): one a
    tick, or, where two would meet, one for the ticks that meet ('2.75 · 3.00'), at
    the middle of them."""
    groups = [[t] for t in ts]

    def box(g: list[float]) -> tuple[float, float]:
        mid, w = (g[0] + g[-1]) / 2 * per, _text_width(" · ".join(map(shown, g)))
        return mid - w / 2, mid + w / 2

    merged = True
    while merged:
        merged = False
        for i in range(len(groups) - 1):
            if box(groups[i])[1] + 6 > box(groups[i + 1])[0]:
                groups[i : i + 2] = [groups[i] + groups[i + 1]]
                merged = True
                break
    return [{"t": (g[0] + g[-1]) / 2, "txt": " · ".join(map(shown, g))} for g in groups]


def dimension_bars(
    dims: list[dict],
    thresholds: dict[str, list[float]],
    maturity: list[str],
    scale: tuple[float, float],
    decimals: int = 1,
    shown: Callable[[float], str] | None = None,
    rated: dict[str, int] | None = None,
    threshold_shown: Callable[[float], str] | None = None,
) -> alt.Chart:
    """The dimension scores in dimension order, each against its signals' thresholds:
    one dashed line when every signal has the same threshold, else a tick per
    threshold on each dimension's row, labelled with its value above it (ticks whose
    labels would meet share one). Bars coloured by maturity band (by rank), on the
    scale from its minimum; each bar's value written by `shown` (default: `decimals`
    half up) after its end, or after a threshold it would run into; each row's n
    (`rated`: its rated signals) in its label. Every text MIN_TEXT px."""
    label_of = shown or (lambda v: display(v, decimals))
    tick_label = threshold_shown or (lambda t: f"{t:g}")
    width = 340  # px: the bars, beside the dimensions' names, within the printed column
    per = width / (scale[1] - scale[0])  # px a unit of the score
    distinct = sorted({t for ts in thresholds.values() for t in ts})
    rows = []
    for d in dims:
        label = label_of(d["score"]) if d["score"] is not None else "not scored"
        x = d["score"]
        if x is not None:  # a threshold within the value's width: the value goes after it
            reach = x + (_text_width(label, bold=True) + 8) / per
            x = max([x, *(t for t in thresholds.get(d["id"], []) if x <= t <= reach)])
        rows.append(
            {
                "dimension": f"{d['name']} · {d['id']}"
                + (f" (n={rated[d['id']]})" if rated and d["id"] in rated else ""),
                "score": d["score"],
                "label": label,
                "at": x,
                "maturity": d["maturity"] or "insufficient evidence",
            }
        )
    df = pd.DataFrame(rows)
    order = list(df["dimension"])
    y = alt.Y("dimension:N", sort=order, title=None, axis=alt.Axis(labelLimit=0))
    colors = by_rank(maturity, MATURITY_RAMP)
    bars = (
        alt.Chart(df)
        .mark_bar(height=18, cornerRadiusEnd=2)
        .encode(
            x=alt.X(
                "score:Q", scale=alt.Scale(domain=list(scale)), title=f"score ({_span(scale)})"
            ),
            x2=alt.X2Datum(scale[0]),
            y=y,
            color=alt.Color(
                "maturity:N",
                scale=_scale(colors),
                title="maturity",
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    labels = (
        alt.Chart(df)
        .mark_text(align="left", dx=4, color=INK, fontWeight="bold", fontSize=MIN_TEXT)
        .encode(x=alt.X("at:Q"), y=y, text=alt.Text("label:N"))
    )
    if len(distinct) == 1:
        t = distinct[0]
        step = 28
        marks = (
            alt.Chart(pd.DataFrame({"t": [t]}))
            .mark_rule(color=INK, strokeDash=[4, 3])
            .encode(x=alt.X("t:Q"))
        ) + (
            alt.Chart(pd.DataFrame({"t": [t], "txt": [f"threshold {tick_label(t)}"]}))
            .mark_text(align="left", baseline="bottom", dx=3, dy=-2, color=MUTED)
            .encode(x=alt.X("t:Q"), y=alt.YValue(0), text=alt.Text("txt:N"))
        )
    else:
        # a row holds its bar, its ticks and, above them, their labels
        step = 44
        ticks = pd.DataFrame(
            [
                {"dimension": label, "t": t, "threshold": f"signal threshold {t:g}"}
                for d, label in zip(dims, order)
                for t in sorted(set(thresholds[d["id"]]))
            ]
        )
        named = pd.DataFrame(
            [
                {"dimension": label, **x}
                for d, label in zip(dims, order)
                for x in _tick_labels(sorted(set(thresholds[d["id"]])), tick_label, per)
            ]
        )
        marks = (
            alt.Chart(ticks)
            .mark_tick(color=INK, thickness=2, size=22)
            .encode(x=alt.X("t:Q"), y=y, tooltip=["threshold:N"])
        ) + (
            alt.Chart(named)
            .mark_text(align="center", baseline="bottom", dy=-12, color=MUTED)
            .encode(x=alt.X("t:Q"), y=y, text=alt.Text("txt:N"))
        )
    return (bars + labels + marks).properties(width=width, height=step * len(rows) + 20)


def wrapped(text: str, chars: int, max_lines: int, marks: str = "") -> str:
    """`text` and its `marks` on lines of at most `chars` characters (its own
    whitespace and line breaks folded; a word longer than a line broken), at most
    `max_lines` of them: a longer text is cut at the end of the last line, which
    ends in '…' and the marks. Lines joined by a line break."""
    words = " ".join(text.split())
    lines = textwrap.wrap(words + marks, chars) or [marks]
    if len(lines) > max_lines:
        lines = textwrap.wrap(words, chars)[:max_lines]
        lines[-1] = lines[-1][: max(1, chars - 1 - len(marks))].rstrip() + "…" + marks
    return "\n".join(lines)


def priority_matrix(
    gaps: list[dict],
    priority_of: dict[tuple[str, int], str],
    tiers: dict[int, str],
    severities: list[str],
    priorities: list[str],
    names: dict[str, str],
) -> alt.Chart:
    """Every gap, by its signal's name, placed by severity (rows, most severe on top)
    and tier (columns); each cell coloured (by the priority's rank in `priorities`)
    and labelled by the priority the rulebook gives it. Every text is MIN_TEXT px;
    a name wraps to the width of its cell (at most MAX_LINES lines, then shortened),
    and a row is as tall as its fullest cell: its names' lines, under the cell's
    priority."""
    LINE = round(MIN_TEXT * 1.3)  # px: one line of text, the y scale's unit
    PAD = 1.3  # a row's lines beside its names: the priority tag and a margin
    GAP = 0.35  # lines between two names of a cell, so a wrapped name reads as one
    MAX_LINES = 3
    width = 760  # px: fits the printed column (main.report, 216 mm at print)
    margin = max(len(s) for s in severities) * EM_BOLD * MIN_TEXT + 12  # the row names
    tier_ids = list(tiers)
    column = (width - margin) / len(tier_ids)  # px per tier
    limit = column * 0.92
    chars = max(1, int(limit / (EM * MIN_TEXT)))
    labels = [
        wrapped(
            names.get(g["signal_id"], g["signal_id"]),
            chars,
            MAX_LINES,
            ("*" if g["escalated"] else "") + ("†" if g.get("robust") is False else ""),
        )
        for g in gaps
    ]
    used: dict[tuple[str, int], float] = {}
    for g, label in zip(gaps, labels):
        key = (g["severity"], g["tier"])
        used[key] = used.get(key, -GAP) + GAP + label.count("\n") + 1
    lines = {s: max([1, *(used.get((s, t), 0) for t in tier_ids)]) for s in severities}
    total = sum(lines[s] + PAD for s in severities)  # in text lines: tag, names, padding
    top, y = {}, total
    for s in severities:  # each row's upper edge, most severe on top
        top[s], y = y, y - (lines[s] + PAD)
    cells = [
        {
            "x": i,
            "x2": i + 1,
            "y": top[s] - lines[s] - PAD,
            "y2": top[s],
            "priority": priority_of[(s, t)],
            "tx": i + 0.04,
            "ty": top[s] - 0.25,
        }
        for i, t in enumerate(tier_ids)
        for s in severities
    ]
    below: dict[tuple[str, int], float] = {}  # lines already taken in each cell
    points = []
    for g, label in zip(gaps, labels):
        key = (g["severity"], g["tier"])
        k = below.get(key, 0.0)
        n = label.count("\n") + 1
        below[key] = k + n + GAP
        points.append(
            {
                "x": tier_ids.index(g["tier"]) + 0.04,
                "y": top[g["severity"]] - 1.15 - k,
                "label": label,
                "lines": n,
            }
        )
    heads = [
        {"x": i + 0.5, "y": total + 0.7, "label": f"Tier {t}: {name}"}
        for i, (t, name) in enumerate(tiers.items())
    ]
    rows = [{"x": -0.04, "y": top[s] - (lines[s] + PAD) / 2, "label": s} for s in severities]
    left = margin / column
    X = alt.Scale(domain=[-left, len(tier_ids)], nice=False)
    Y = alt.Scale(domain=[0, total + 1.3], nice=False)
    rect = (
        alt.Chart(pd.DataFrame(cells))
        .mark_rect(stroke="white", strokeWidth=4)
        .encode(
            x=alt.X("x:Q", scale=X, axis=None),
            x2=alt.X2("x2:Q"),
            y=alt.Y("y:Q", scale=Y, axis=None),
            y2=alt.Y2("y2:Q"),
            color=alt.Color(
                "priority:N", scale=_scale(by_rank(priorities, PRIORITY_CELL_RAMP)), legend=None
            ),
        )
    )
    tag = (
        alt.Chart(pd.DataFrame(cells))
        .mark_text(
            align="left",
            baseline="top",
            fontWeight="bold",
            color=MUTED,
            fontSize=MIN_TEXT,
            limit=limit,
        )
        .encode(x=alt.X("tx:Q", scale=X), y=alt.Y("ty:Q", scale=Y), text=alt.Text("priority:N"))
    )
    head = (
        alt.Chart(pd.DataFrame(heads))
        .mark_text(color=INK, fontWeight="bold", fontSize=MIN_TEXT, limit=column)
        .encode(x=alt.X("x:Q", scale=X), y=alt.Y("y:Q", scale=Y), text=alt.Text("label:N"))
    )
    side = (
        alt.Chart(pd.DataFrame(rows))
        .mark_text(align="right", color=INK, fontWeight="bold", fontSize=MIN_TEXT, limit=margin)
        .encode(x=alt.X("x:Q", scale=X), y=alt.Y("y:Q", scale=Y), text=alt.Text("label:N"))
    )
    layers = rect + tag + head + side
    if points:
        layers += (
            alt.Chart(pd.DataFrame(points))
            .mark_text(
                align="left",
                baseline="top",
                color=INK,
                fontSize=MIN_TEXT,
                limit=limit,
                lineBreak="\n",
                lineHeight=LINE,
            )
            .encode(x=alt.X("x:Q", scale=X), y=alt.Y("y:Q", scale=Y), text=alt.Text("label:N"))
        )
    return layers.properties(width=width, height=round(LINE * (total + 1.3)))


def divergence_dumbbell(
    signals: list[dict],
    names: dict[str, str],
    scale: tuple[float, float],
    views: tuple[str, str],
) -> alt.Chart:
    """Strategic view against operational reality for every signal, coloured by
    divergence class: blind spots and hidden strengths in one picture. The views' key
    above the chart, the classes' below in two columns (side by side, or in one row,
    they run past the printed column at MIN_TEXT)."""
    rows, pts = [], []
    order = [f"{names[s['id']]} · {s['id']} (n={s.get('n_ratings', 0)})" for s in signals]
    for s, label in zip(signals, order):
        cls = s["divergence_class"]
        rows.append(
            {
                "signal": label,
                "strategic": s["strategic"],
                "reality": s["reality"],
                "class": CLASS_LABELS[cls],
            }
        )
        for who in ("strategic", "reality"):
            if s[who] is not None:
                pts.append(
                    {
                        "signal": label,
                        "view": views[0] if who == "strategic" else views[1],
                        "value": s[who],
                    }
                )
    y = alt.Y("signal:N", sort=order, title=None, axis=alt.Axis(labelLimit=0))
    x_scale = alt.Scale(domain=list(scale))
    cls_scale = alt.Scale(
        domain=[CLASS_LABELS[c] for c in CLASS_COLORS], range=list(CLASS_COLORS.values())
    )
    lines = (
        alt.Chart(pd.DataFrame(rows))
        .mark_rule(strokeWidth=3)
        .encode(
            x=alt.X("strategic:Q", scale=x_scale, title=f"mean rating ({_span(scale)})"),
            x2=alt.X2("reality:Q"),
            y=y,
            color=alt.Color(
                "class:N",
                scale=cls_scale,
                title="divergence",
                legend=alt.Legend(orient="bottom", columns=2),
            ),
        )
    )
    dots = (
        alt.Chart(pd.DataFrame(pts))
        .mark_point(filled=True, size=90, opacity=1)
        .encode(
            x=alt.X("value:Q", scale=x_scale),
            y=y,
            shape=alt.Shape(
                "view:N",
                title=None,
                scale=alt.Scale(range=["circle", "diamond"]),
                legend=alt.Legend(orient="top"),
            ),
            fill=alt.Fill(
                "view:N",
                title=None,
                scale=alt.Scale(range=[INK, "#e69f00"]),
                legend=alt.Legend(orient="top"),
            ),
            stroke=alt.StrokeValue("white"),
        )
    )
    return (
        (lines + dots)
        .properties(width=360, height=16 * len(signals))
        .resolve_scale(color="independent")
    )


def _gaps(n: int) -> str:
    return f"{n} gap" + ("" if n == 1 else "s")


def roadmap_timeline(phases: list[dict], counts: dict[int, int]) -> alt.Chart:
    """The phases on a day scale, with the number of gaps each addresses (in white in
    its bar, or after the bar where the bar is too short for it); coloured by the
    phases' order."""
    width = 440  # px: the bars, beside the phases' names, within the printed column
    per = width / max(p["end_day"] for p in phases)  # px a day
    df = pd.DataFrame(
        [
            {
                "phase": f"Phase {p['phase']}: {p['name']}",
                "start": p["start_day"],
                "end": p["end_day"],
                "priority": p["priority"],
                "label": _gaps(counts.get(p["phase"], 0)),
            }
            for p in phases
        ]
    )
    inside = [
        _text_width(x, bold=True) + 12 <= (e - b) * per
        for x, b, e in zip(df["label"], df["start"], df["end"])
    ]
    df["at"] = [b if fits else e for fits, b, e in zip(inside, df["start"], df["end"])]
    df["ink"] = ["white" if fits else INK for fits in inside]
    y = alt.Y("phase:N", sort=list(df["phase"]), title=None, axis=alt.Axis(labelLimit=0))
    bars = (
        alt.Chart(df)
        .mark_bar(height=20, cornerRadius=2)
        .encode(
            x=alt.X(
                "start:Q", title="days", scale=alt.Scale(domain=[0, max(df["end"])], nice=False)
            ),
            x2=alt.X2("end:Q"),
            y=y,
            color=alt.Color(
                "priority:N",
                scale=_scale(by_rank([p["priority"] for p in phases], PRIORITY_RAMP)),
                title="priority",
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    layers = bars
    for ink in ("white", INK):
        if ink in set(df["ink"]):
            layers += (
                alt.Chart(df[df["ink"] == ink])
                .mark_text(align="left", dx=6, fontWeight="bold", color=ink)
                .encode(x=alt.X("at:Q"), y=y, text=alt.Text("label:N"))
            )
    return layers.properties(width=width, height=28 * len(phases))
