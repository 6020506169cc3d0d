"""The portfolio benchmark report: the whole results store at a glance.

For a practice lead, internal to the firm: PAI distribution, dimension
distributions, PAI by industry and stage, the most frequent gaps and
divergences, PAI over time. Aggregates and charts only; no client name is shown,
and no aggregate of fewer clients than the rulebook's `benchmark_min_peers`
(`paos.portfolio.figures`). Each page is headed by a sentence derived by rule from
its figures; every printed page carries "Confidential" and its number. Each page is
a Jinja template (templates/portfolio/, autoescaped) fed by one data object, which
the notebook displays beside the HTML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from markupsafe import Markup

from paos._defaults import DEFAULT_RULEBOOK, DEFAULT_STORE
from paos._files import atomic_write_text, csv_text
from paos.base.rulebook import Rulebook, load_rulebook
from paos.deliverables._html import Html, render
from paos.deliverables._page import footer_style, plural
from paos.deliverables.charts import to_svg
from paos.deliverables.deliverable import severities
from paos.errors import PaosError
from paos.method._numbers import display
from paos.method.store import read_store
from paos.portfolio import charts, figures
from paos.portfolio.figures import too_few


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
    return known + sorted({str(s) for s in stages if s is not None and s == s} - set(known))


def dimension_scores(p: Portfolio) -> pl.DataFrame:
    """One row per engagement and dimension score."""
    return (
        p.runs.select("engagement_id", "client", "industry", "stage", "dimensions")
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


FOOTER = "Portfolio benchmark, internal"


def meta(p: Portfolio) -> dict[str, str]:
    """What the HTML's <meta> records and the pages do not show."""
    return {"paos-rulebook": p.rulebook.id, "paos-rulebook-sha256": p.rulebook.sha256}


def _page(kicker: str, title: str, **data) -> Html:
    """A page (templates/portfolio/portfolio_page.html.j2) from its one data object:
    its topic small (`kicker`), its action title, the figure (`chart`: an SVG), a
    `note`, a list (`list_head`, `items`), the `caption`; `dropped` when too few
    clients stand behind it."""
    fields = {"chart": "", "dropped": "", "note": "", "list_head": "", "items": [], "caption": ""}
    return render(
        "portfolio_page.html.j2", {**fields, "page": {"kicker": kicker, "title": title}, **data}
    )


def _svg(chart) -> Markup:
    return Markup(to_svg(chart))


def overview(p: Portfolio) -> Html:
    """Cover: how many engagements and clients, when, under which rulebook, median
    PAI and median gap count (neutral tiles: none of them is a severity)."""
    r, h, k = p.runs, figures.headline(p), figures.min_clients(p)
    first, last = str(r["assessed_on"].min()), str(r["assessed_on"].max())
    pai = figures.number(p, h["median_pai"]) if h["median_pai"] is not None else too_few(p)
    gaps = display(h["median_gaps"], 0) if h["median_gaps"] is not None else too_few(p)
    notes = []
    share = robust_share(p)
    if share and h["clients"] >= k:
        notes.append(
            f"Robust gaps: {share[0] / share[1]:.0%} of {share[1]} gaps hold whichever one "
            "stakeholder is left out (robustness-v1)."
        )
    if p.left_out:
        notes.append(
            f"Left out: {plural(p.left_out, 'engagement')} with no run under this rulebook "
            f"(scored under another rulebook, or another version of {p.rulebook.id})."
        )
    notes.append(
        f"No aggregate shown is made from fewer than {k} distinct clients (the rulebook's "
        "benchmark minimum); n: the engagements an aggregate is made from."
    )
    return render(
        "portfolio_overview.html.j2",
        {
            "page": {"title": figures.overview_title(p, h), "kicker": "Portfolio benchmark"},
            "heading": f"Portfolio of {plural(r.height, 'engagement')}",
            "meta_line": f"Assessed {first} to {last} · rulebook {p.rulebook.id} · "
            f"run {p.run_date}",
            "tiles": [
                {"n": str(h["engagements"]), "label": "engagements"},
                {"n": str(h["clients"]), "label": "clients"},
                {"n": pai, "label": f"median PAI (n={h['complete']})"},
                {"n": gaps, "label": f"median gaps per engagement (n={h['engagements']})"},
            ],
            "tile_color": charts.NAVY,
            "notes": notes,
            "footer": Markup(footer_style(FOOTER)),
        },
    )


def pai_distribution(p: Portfolio) -> Html:
    stages = stage_order(p, list(figures.complete(p)["stage"]))
    bins, totals = figures.pai_bins(p, stages)
    title = figures.distribution_title(p)
    if not bins.height:
        return _page("PAI distribution", title, dropped=too_few(p))
    chart = charts.pai_histogram(bins.to_pandas(), totals.to_pandas(), stages, figures.scale(p))
    return _page(
        "PAI distribution",
        title,
        chart=_svg(chart),
        caption=f"Bars: engagements per PAI band of {figures.BIN:g}, stacked by company stage; the "
        f"number on a bar: its engagements (n={int(totals['n'].sum())}, "
        f"{plural(figures.clients(figures.complete(p)), 'client')}).",
    )


def dimension_distributions(p: Portfolio) -> Html:
    stats = figures.dimension_stats(p, dimension_scores(p))
    dec = p.rulebook["display_decimals"]
    df = stats.to_pandas()
    df["label"] = [f"{name} (n={n})" for name, n in zip(df["name"], df["n"])]
    df["value"] = [
        f"median {display(m, dec)}" if m == m and m is not None else "" for m in df["median"]
    ]
    df["note"] = too_few(p)
    labels = dict(zip(df["dimension"], df["label"]))
    ticks = pl.DataFrame(
        [
            {"label": labels[d.id], "t": t}
            for d in p.rulebook.dimensions
            for t in sorted({s.threshold for s in d.signals})
        ]
    ).to_pandas()
    return _page(
        "Dimension distributions",
        figures.dimensions_title(p, stats),
        chart=_svg(charts.dimension_boxes(df, ticks, figures.scale(p))),
        caption="Each row: a dimension's scores across the engagements that scored it (n). Light box: "
        "the middle half (lower to upper quartile); navy line: the median; grey line: lowest "
        "to highest score; orange ticks: the thresholds of the dimension's signals. A "
        f"dimension scored for fewer than {figures.min_clients(p)} clients shows no box.",
    )


def by_industry_stage(p: Portfolio) -> Html:
    stages = stage_order(p, list(figures.complete(p)["stage"]))
    cells = figures.median_cells(p, stages)
    rows = sorted(set(cells["row"]) - {figures.ALL_INDUSTRIES}) + [figures.ALL_INDUSTRIES]
    cols = [s for s in stages if s in set(cells["col"])] + [figures.ALL_STAGES]
    df = cells.to_pandas()
    df["median"] = df["median"].astype(object).where(df["median"].notna(), None)
    df["row"], df["col"] = df["row"].map(figures.shown_name), df["col"].map(figures.shown_name)
    rows, cols = [figures.shown_name(x) for x in rows], [figures.shown_name(x) for x in cols]
    df["label"] = [
        f"{figures.number(p, m)} (n={n})" if m is not None else too_few(p)
        for m, n in zip(df["median"], df["n"])
    ]
    return _page(
        "PAI by industry and stage",
        figures.cells_title(p, cells),
        chart=_svg(charts.median_heatmap(df, rows, cols, figures.scale(p))),
        caption="Each cell: the median PAI of its engagements (n); grey: engagements of fewer than "
        f"{figures.min_clients(p)} clients, no median shown. Colour: cividis, dark for a low "
        "median, yellow for a high one.",
    )


def frequent_findings(p: Portfolio, top: int = 10) -> Html:
    freq = gap_frequency(p)
    title = figures.findings_title(p, freq)
    if figures.clients(p.runs) < figures.min_clients(p):
        return _page("Most frequent gaps and divergences", title, dropped=too_few(p))
    df = freq.head(top).with_columns(label=pl.format("{} ({})", "name", "signal_id")).to_pandas()
    df["value"] = [f"{s:.0%} (n={g})" for s, g in zip(df["share"], df["gaps"])]
    blind = freq.sort("blind_spots", descending=True).head(5)
    return _page(
        "Most frequent gaps and divergences",
        title,
        chart=_svg(charts.frequency_bars(df)),
        note=f"Bars: the share of the {plural(p.runs.height, 'engagement')} where the signal "
        "is a gap; n: those engagements.",
        list_head="Most frequent blind spots",
        items=[
            {
                "name": r["name"],
                "id": r["signal_id"],
                "text": f"a blind spot in {plural(r['blind_spots'], 'engagement')}",
            }
            for r in blind.iter_rows(named=True)
            if r["blind_spots"]
        ],
    )


def over_time(p: Portfolio) -> Html:
    full = figures.complete(p)
    stages = stage_order(p, list(full["stage"]))
    points = full.select("assessed_on", "pai", pl.col("stage").fill_null(figures.NOT_GIVEN))
    q = figures.quarters(p)
    medians = q.with_columns(n_label=pl.format("n={}", "n")).to_pandas()
    medians["median"] = medians["median"].astype(object).where(medians["median"].notna(), None)
    hidden = q.filter(pl.col("median").is_null()).with_columns(note=pl.lit(too_few(p))).to_pandas()
    k = figures.min_clients(p)
    return _page(
        "PAI over time (quarterly median)",
        figures.trend_title(p, q),
        chart=_svg(charts.pai_trend(points.to_pandas(), medians, hidden, stages, figures.scale(p))),
        caption="Dots: one engagement each, coloured by company stage; line: the median PAI of each "
        f"quarter whose engagements come from at least {k} clients, with its n; "
        f"“{too_few(p)}” at the foot: a quarter of fewer clients, no median shown.",
    )
