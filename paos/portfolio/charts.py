"""Charts of the portfolio benchmark report (altair, drawn to SVG by
`paos.deliverables.charts`). Every figure is computed before it reaches a chart
(`paos.portfolio.report`), so what is drawn is exactly what the rules allow: no
aggregate of fewer clients than the rulebook's minimum, the count beside every
aggregate, values on bars.

Colours: none of these figures is a severity, so none takes a severity colour.
Company stages take the Okabe-Ito palette (safe for colour-blind readers); the
median-PAI heat map takes cividis (the same); neutral figures are navy.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from paos.deliverables.charts import INK, MUTED

NAVY = "#1f3a5f"
# Okabe & Ito (2008), without vermillion and reddish purple (close to the severity red).
OKABE_ITO = ("#e69f00", "#56b4e9", "#009e73", "#0072b2", "#f0e442", "#cc79a7", "#999999")
SUPPRESSED = "#e3e7ec"


def stage_colors(stages: list[str]) -> alt.Scale:
    """Each stage its Okabe-Ito colour, in the stages' order."""
    return alt.Scale(
        domain=stages, range=[OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(stages))]
    )


def pai_histogram(bins: pd.DataFrame, totals: pd.DataFrame, stages: list[str], scale) -> alt.Chart:
    """Engagements per PAI bin (`start`, `end`, `stage`, `bottom`, `top`), stacked by stage, the
    bin's total (`totals`: `start`, `end`, `mid`, `n`) written on each bar."""
    x = alt.X("start:Q", scale=alt.Scale(domain=list(scale), nice=False), title="PAI")
    y_scale = alt.Scale(domain=[0, int(totals["n"].max()) + 1])
    bars = (
        alt.Chart(bins)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=x,
            x2="end:Q",
            y=alt.Y("bottom:Q", scale=y_scale, title="engagements"),
            y2="top:Q",
            color=alt.Color(
                "stage:N",
                scale=stage_colors(stages),
                sort=stages,
                title="stage",
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    values = (
        alt.Chart(totals)
        .mark_text(baseline="bottom", dy=-3, color=INK, fontSize=10)
        .encode(
            x=alt.X("mid:Q", scale=alt.Scale(domain=list(scale), nice=False)),
            y=alt.Y("n:Q", scale=y_scale),
            text="n:Q",
        )
    )
    return (bars + values).properties(width=560, height=200)


def dimension_boxes(stats: pd.DataFrame, ticks: pd.DataFrame, scale) -> alt.LayerChart:
    """One row per dimension (`label`, in order): the box from the lower to the upper
    quartile, the median line, whiskers from the lowest to the highest score; a row
    of too few clients shows its `note` instead; the signal thresholds as ticks."""
    order = list(stats["label"])
    x_scale = alt.Scale(domain=list(scale), nice=False)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=0))
    shown = stats[stats["median"].notna()]
    kind = alt.Color(
        "mark:N",
        scale=alt.Scale(
            domain=["lowest to highest", "middle half (quartiles)", "median", "signal threshold"],
            range=[MUTED, "#9fb3c8", NAVY, OKABE_ITO[0]],
        ),
        title=None,
        legend=alt.Legend(orient="bottom"),
    )
    whisker = (
        alt.Chart(shown.assign(mark="lowest to highest"))
        .mark_rule()
        .encode(
            x=alt.X(
                "low:Q",
                scale=x_scale,
                title="dimension score",
                axis=alt.Axis(
                    values=[scale[0] + i / 2 for i in range(2 * (scale[1] - scale[0]) + 1)]
                ),
            ),
            x2="high:Q",
            y=y,
            color=kind,
        )
    )
    box = (
        alt.Chart(shown.assign(mark="middle half (quartiles)"))
        .mark_bar(size=16)
        .encode(x=alt.X("q1:Q", scale=x_scale), x2="q3:Q", y=y, color=kind)
    )
    median = (
        alt.Chart(shown.assign(mark="median"))
        .mark_tick(thickness=3, size=16)
        .encode(x=alt.X("median:Q", scale=x_scale), y=y, color=kind)
    )
    threshold = (
        alt.Chart(ticks.assign(mark="signal threshold"))
        .mark_tick(thickness=2, size=26)
        .encode(x=alt.X("t:Q", scale=x_scale), y=y, color=kind)
    )
    value = (
        alt.Chart(shown)
        .mark_text(align="left", dx=6, color=INK, fontSize=10)
        .encode(x=alt.X("high:Q", scale=x_scale), y=y, text="value:N")
    )
    layers = whisker + box + median + threshold + value
    hidden = stats[stats["median"].isna()]
    if len(hidden):
        layers += (
            alt.Chart(hidden)
            .mark_text(align="left", color=MUTED, fontSize=10, fontStyle="italic")
            .encode(x=alt.XDatum(scale[0], scale=x_scale), y=y, text="note:N")
        )
    return layers.properties(width=380, height=30 * len(order))


def median_heatmap(cells: pd.DataFrame, rows: list[str], cols: list[str], scale) -> alt.LayerChart:
    """Median PAI per cell (`row`, `col`, `median` or None, `label`), cividis; a cell
    of too few clients is grey and labelled so."""
    lo, hi = scale
    base = alt.Chart(cells).encode(
        x=alt.X("col:N", sort=cols, title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("row:N", sort=rows, title=None),
    )
    shown = cells[cells["median"].notna()]
    heat = (
        alt.Chart(shown)
        .mark_rect()
        .encode(
            x=alt.X("col:N", sort=cols),
            y=alt.Y("row:N", sort=rows),
            color=alt.Color(
                "median:Q",
                scale=alt.Scale(domain=[lo, hi], scheme="cividis"),
                title="median PAI",
            ),
        )
    )
    empty = (
        alt.Chart(cells[cells["median"].isna()])
        .mark_rect(color=SUPPRESSED)
        .encode(x=alt.X("col:N", sort=cols), y=alt.Y("row:N", sort=rows))
    )
    mid = (lo + hi) / 2
    text = base.mark_text(fontSize=10).encode(
        text="label:N",
        color=alt.condition(
            f"datum.median != null && datum.median < {mid}", alt.value("white"), alt.value(INK)
        ),
    )
    return (empty + heat + text).properties(width=90 * len(cols), height=26 * len(rows))


def frequency_bars(df: pd.DataFrame) -> alt.LayerChart:
    """The share of engagements with each gap (`label`, `share`, `value`), navy,
    the share and count written on each bar."""
    y = alt.Y("label:N", sort=list(df["label"]), title=None, axis=alt.Axis(labelLimit=300))
    x = alt.X(
        "share:Q",
        axis=alt.Axis(format="%"),
        scale=alt.Scale(domain=[0, 1]),
        title="share of engagements with the gap",
    )
    bars = alt.Chart(df).mark_bar(color=NAVY, height=14).encode(x=x, y=y)
    values = (
        alt.Chart(df)
        .mark_text(align="left", dx=4, color=INK, fontSize=9)
        .encode(x=x, y=y, text="value:N")
    )
    return (bars + values).properties(width=300, height=16 * len(df))


def pai_trend(
    points: pd.DataFrame, medians: pd.DataFrame, hidden: pd.DataFrame, stages: list[str], scale
) -> alt.LayerChart:
    """Each engagement's PAI by date (`assessed_on`, `pai`, `stage`); the quarterly
    median (`quarter`, `median`, `n_label`) where enough clients hold it, each point
    with its n, the line broken where a quarter has none; quarters of too few clients
    marked `n < k` at the axis (`hidden`)."""
    y_scale = alt.Scale(domain=list(scale))
    x_scale = alt.Scale(padding=14)  # the first n clear of the axis
    dots = (
        alt.Chart(points)
        .mark_circle(size=40, opacity=0.8)
        .encode(
            x=alt.X("assessed_on:T", title="assessed on", scale=x_scale),
            y=alt.Y("pai:Q", scale=y_scale, title="PAI"),
            color=alt.Color(
                "stage:N",
                scale=stage_colors(stages),
                sort=stages,
                title="stage (one dot per engagement)",
                legend=alt.Legend(orient="bottom", titleLimit=0),
            ),
        )
    )
    layers = dots
    shown = medians[medians["median"].notna()]
    if len(shown):
        line = (
            alt.Chart(medians)
            .mark_line(color=INK, invalid="break-paths-show-domains")
            .encode(x="quarter:T", y=alt.Y("median:Q", scale=y_scale))
        )
        dots_m = (
            alt.Chart(shown)
            .mark_point(color=INK, filled=True, size=50, opacity=1)
            .encode(x="quarter:T", y=alt.Y("median:Q", scale=y_scale))
        )
        n = (
            alt.Chart(shown)
            .mark_text(dy=-10, color=INK, fontSize=9, fontWeight="bold")
            .encode(x="quarter:T", y=alt.Y("median:Q", scale=y_scale), text="n_label:N")
        )
        name = (
            alt.Chart(shown.tail(1).assign(txt="quarterly median"))
            .mark_text(align="left", dx=8, dy=10, color=INK, fontSize=10)
            .encode(x="quarter:T", y=alt.Y("median:Q", scale=y_scale), text="txt:N")
        )
        layers += line + dots_m + n + name
    if len(hidden):
        layers += (
            alt.Chart(hidden)
            .mark_text(baseline="bottom", dy=-2, color=MUTED, fontSize=9, fontStyle="italic")
            .encode(x="quarter:T", y=alt.YDatum(scale[0], scale=y_scale), text="note:N")
        )
    return layers.properties(width=520, height=170)
