"""The portfolio benchmark report: the whole results store at a glance.

For a practice lead, internal to the firm: PAI distribution, dimension
distributions, PAI by industry and stage, the most frequent gaps and
divergences, PAI over time. Aggregates and charts only; no client name is shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import altair as alt
import polars as pl

from paos._defaults import DEFAULT_RULEBOOK, DEFAULT_STORE
from paos._files import atomic_write_text, csv_text
from paos.deliverables import charts
from paos.deliverables.report import scale_of, severities
from paos.deliverables.sections import Html, esc, paint
from paos.errors import PaosError
from paos.method._numbers import display
from paos.method.rulebook import Rulebook, load_rulebook
from paos.portfolio.store import read_store


@dataclass
class Portfolio:
    runs: pl.DataFrame  # latest run per engagement under the rulebook (id and sha256)
    rulebook: Rulebook
    run_date: str
    # Engagements in the store with no run under this rulebook's sha256 (scored only
    # under another rulebook, or another version of this one's file): not in `runs`.
    left_out: int = 0


def collect(
    store: str | Path = DEFAULT_STORE, rulebook: str | None = None, run_date: str | None = None
) -> Portfolio:
    """The latest run of every engagement in the store scored under `rulebook` (its id
    and the sha256 of its file: runs of another version are left out and counted)."""
    book = load_rulebook(rulebook or DEFAULT_RULEBOOK)
    everything = read_store(store)
    same = (pl.col("rulebook_id") == book.id) & (pl.col("rulebook_sha256") == book.sha256)
    runs = everything.filter(same)
    left_out = everything.filter(~pl.col("engagement_id").is_in(runs["engagement_id"].implode()))[
        "engagement_id"
    ].n_unique()
    if runs.height == 0:
        raise PaosError(
            f"{store}: no engagement scored under rulebook {book.id} (sha256 "
            f"{book.sha256[:12]}…; {left_out} scored under another rulebook or version); "
            "run `paos batch <portfolio> --scores-only"
            + (f" --rulebook {rulebook}" if rulebook else "")
            + "` first"
        )
    return Portfolio(runs, book, run_date or dt.date.today().isoformat(), left_out)


# The sections of the portfolio report in page order, as its notebook shows them.
PAGES = (
    "overview",
    "pai_distribution",
    "dimension_distributions",
    "by_industry_stage",
    "frequent_findings",
    "over_time",
)


def robust_share(p: Portfolio) -> tuple[int, int] | None:
    """(robust gaps, gaps whose robustness is known) across the portfolio; None when
    no run in the store carries robustness (older runs, or fewer than 2 raters)."""
    gaps = p.runs.select("gaps").explode("gaps").unnest("gaps")
    if "robust" not in gaps.columns:
        return None
    known = gaps.filter(pl.col("robust").is_not_null())
    return (int(known["robust"].sum()), known.height) if known.height else None


def stage_order(p: Portfolio, stages) -> list[str]:
    """The rulebook's company stages in its order, then any other stage found,
    alphabetically."""
    known = list(p.rulebook["company_stages"])
    return known + sorted({str(s) for s in stages.dropna()} - set(known))


def dimension_scores(p: Portfolio) -> pl.DataFrame:
    """One row per engagement and dimension score."""
    return (
        p.runs.select("engagement_id", "industry", "stage", "dimensions")
        .explode("dimensions")
        .unnest("dimensions")
        .rename({"id": "dimension"})
        .filter(pl.col("score").is_not_null())
    )


def gap_frequency(p: Portfolio) -> pl.DataFrame:
    """How often each signal is a gap (and of the most severe band), and a blind spot,
    across the portfolio."""
    n, top_severity = p.runs.height, severities(p.rulebook)[0]
    gaps = (
        p.runs.select("gaps")
        .explode("gaps")
        .unnest("gaps")
        .filter(pl.col("signal_id").is_not_null())
        .group_by("signal_id")
        .agg(gaps=pl.len(), most_severe=(pl.col("severity") == top_severity).sum())
    )
    blind = (
        p.runs.select("signals")
        .explode("signals")
        .unnest("signals")
        .group_by("id")
        .agg(
            blind_spots=(pl.col("divergence_class") == "blind_spot").sum(),
            hidden_strengths=(pl.col("divergence_class") == "hidden_strength").sum(),
        )
        .rename({"id": "signal_id"})
    )
    names = pl.DataFrame(
        {
            "signal_id": [s.id for s in p.rulebook.signals],
            "name": [s.name for s in p.rulebook.signals],
        }
    )
    return (
        names.join(gaps, on="signal_id", how="left")
        .join(blind, on="signal_id", how="left")
        .fill_null(0)
        .with_columns(share=pl.col("gaps") / n)
        .sort(["gaps", "most_severe", "signal_id"], descending=[True, True, False])
    )


def save(p: Portfolio, output_dir: str | Path | None) -> list[Path]:
    """Write portfolio.csv (one row per engagement: PAI and dimension scores)."""
    if not output_dir:
        return []
    dims = [d.id for d in p.rulebook.dimensions]
    header = ["engagement_id", "industry", "stage", "assessed_on", "pai", *dims]
    rows = []
    for r in p.runs.iter_rows(named=True):
        scores = {d["id"]: d["score"] for d in r["dimensions"]}
        rows.append(
            [
                r["engagement_id"],
                r["industry"],
                r["stage"],
                r["assessed_on"],
                r["pai"],
                *[scores.get(d) for d in dims],
            ]
        )
    return [atomic_write_text(Path(output_dir) / "portfolio.csv", csv_text(header, rows))]


def _section(cls: str, title: str, body: str) -> Html:
    return Html(f'<section class="{cls}"><h2>{esc(title)}</h2>{body}</section>')


def overview(p: Portfolio) -> Html:
    """Cover: how many engagements, when, under which rulebook, median PAI."""
    r = p.runs
    complete = r.filter(pl.col("pai").is_not_null())
    first, last = str(r["assessed_on"].min()), str(r["assessed_on"].max())
    med = cast(float, complete["pai"].median())
    per_engagement = cast(float, r["gaps"].list.len().mean())
    head = (
        f'<header class="cover"><div class="kicker">Partner Architecture Diagnostic · '
        f"portfolio benchmark</div><h1>Portfolio of {r.height} engagements</h1>"
        f'<div class="meta">Assessed {first} to {last} · rulebook {esc(p.rulebook.id)} · '
        f"run {esc(p.run_date)}</div></header>"
    )
    dec = p.rulebook["display_decimals"]
    ramp = charts.ramp(3, charts.SEVERITY_RAMP)[::-1]
    figures = [
        (str(r.height), "engagements"),
        (display(med, dec) if med is not None else "–", "median PAI"),
        (f"{per_engagement:.0f}", "gaps per engagement"),
    ]
    tiles = '<div class="tiles">' + "".join(
        f'<div class="tile"{paint(color)}><div class="n">{n}</div><div class="l">{label}</div>'
        "</div>"
        for (n, label), color in zip(figures, ramp)
    )
    share = robust_share(p)
    tiles += (
        "</div>"
        + (
            f'<p class="small">Robust gaps: {share[0] / share[1]:.0%} of {share[1]} gaps hold '
            "whichever one stakeholder is left out (robustness-v1).</p>"
            if share
            else ""
        )
        + (
            f'<p class="small">Left out: {p.left_out} engagement(s) with no run under this '
            f"rulebook (scored under another rulebook, or another version of "
            f"{esc(p.rulebook.id)}).</p>"
            if p.left_out
            else ""
        )
    )
    return Html(f'<section class="executive">{head}{tiles}</section>')


def pai_distribution(p: Portfolio) -> Html:
    df = p.runs.filter(pl.col("pai").is_not_null()).select("pai", "stage").to_pandas()
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(
                "pai:Q", bin=alt.Bin(extent=list(scale_of(p.rulebook)), step=0.25), title="PAI"
            ),
            y=alt.Y("count():Q", title="engagements"),
            color=alt.Color(
                "stage:N",
                title="stage",
                sort=stage_order(p, df["stage"]),
                legend=alt.Legend(orient="bottom"),
            ),
        )
        .properties(width=560, height=220)
    )
    return _section("portfolio", "PAI distribution", charts.to_svg(chart))


def dimension_distributions(p: Portfolio) -> Html:
    df = dimension_scores(p).to_pandas()
    order = [d.id for d in p.rulebook.dimensions]
    x = alt.X("dimension:N", sort=order, title=None)
    box = (
        alt.Chart(df)
        .mark_boxplot(extent="min-max", size=26)
        .encode(
            x=x,
            y=alt.Y(
                "score:Q",
                scale=alt.Scale(domain=list(scale_of(p.rulebook))),
                title="dimension score",
            ),
        )
    )
    ticks = (  # each dimension's signal thresholds
        alt.Chart(
            alt.Data(
                values=[
                    {"dimension": d.id, "t": t}
                    for d in p.rulebook.dimensions
                    for t in sorted({s.threshold for s in d.signals})
                ]
            )
        )
        .mark_tick(color=charts.INK, thickness=2, size=34, strokeDash=[4, 2])
        .encode(x=x, y="t:Q")
    )
    return _section(
        "portfolio",
        "Dimension distributions",
        charts.to_svg((box + ticks).properties(width=560, height=240))
        + '<p class="small">Dashed ticks: each dimension\'s signal threshold(s).</p>',
    )


def by_industry_stage(p: Portfolio) -> Html:
    df = (
        p.runs.filter(pl.col("pai").is_not_null())
        .group_by("industry", "stage")
        .agg(median=pl.col("pai").median(), n=pl.len())
        .to_pandas()
    )
    dec, (lo, hi) = p.rulebook["display_decimals"], scale_of(p.rulebook)
    df["label"] = [f"{display(m, dec)} (n={n})" for m, n in zip(df["median"], df["n"])]
    stages = stage_order(p, df["stage"])
    base = alt.Chart(df).encode(
        x=alt.X("stage:N", sort=stages, title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("industry:N", title=None),
    )
    heat = base.mark_rect().encode(
        color=alt.Color(
            "median:Q",
            scale=alt.Scale(domain=[lo + 0.5, hi - 0.5], scheme="redyellowgreen"),
            title="median PAI",
        )
    )
    text = base.mark_text(fontSize=11).encode(text="label:N")
    return _section(
        "portfolio",
        "PAI by industry and stage",
        charts.to_svg((heat + text).properties(width=480, height=240)),
    )


def frequent_findings(p: Portfolio, top: int = 10) -> Html:
    freq = gap_frequency(p)
    df = freq.head(top).with_columns(label=pl.format("{} {}", "signal_id", "name")).to_pandas()
    chart = (
        alt.Chart(df)
        .mark_bar(color=charts.SEVERITY_RAMP[0])
        .encode(
            x=alt.X(
                "share:Q", axis=alt.Axis(format="%"), title="share of engagements with the gap"
            ),
            y=alt.Y("label:N", sort=list(df["label"]), title=None, axis=alt.Axis(labelLimit=260)),
        )
    )
    blind = freq.sort("blind_spots", descending=True).head(5)
    items = "".join(
        f"<li><b>{esc(r['signal_id'])}</b> {esc(r['name'])}: blind spot in "
        f"{r['blind_spots']} engagement(s)</li>"
        for r in blind.iter_rows(named=True)
        if r["blind_spots"]
    )
    body = (
        charts.to_svg(chart.properties(width=380, height=22 * len(df)))
        + f"<h3>Most frequent blind spots</h3><ul>{items or '<li>none</li>'}</ul>"
    )
    return _section("portfolio", "Most frequent gaps and divergences", body)


def over_time(p: Portfolio) -> Html:
    df = (
        p.runs.filter(pl.col("pai").is_not_null())
        .with_columns(quarter=pl.col("assessed_on").dt.truncate("1q"))
        .select("assessed_on", "pai", "stage", "quarter")
        .to_pandas()
    )
    points = (
        alt.Chart(df)
        .mark_circle(size=45, opacity=0.75)
        .encode(
            x=alt.X("assessed_on:T", title="assessed on"),
            y=alt.Y("pai:Q", scale=alt.Scale(domain=list(scale_of(p.rulebook))), title="PAI"),
            color=alt.Color(
                "stage:N", sort=stage_order(p, df["stage"]), legend=alt.Legend(orient="bottom")
            ),
        )
    )
    median = (
        alt.Chart(df)
        .mark_line(color=charts.INK, point=True)
        .encode(x="quarter:T", y="median(pai):Q")
    )
    return _section(
        "portfolio",
        "PAI over time (quarterly median)",
        charts.to_svg((points + median).properties(width=560, height=240)),
    )
