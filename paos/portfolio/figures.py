"""The figures of the portfolio benchmark report and the titles they prove.

Every aggregate (a median, a cell, a trend point, a share) is computed here over
the runs of `paos.portfolio.report.collect`, with its count of engagements (`n`)
and of distinct clients (`clients`: names compared by `paos.method.clients.client_key`,
a run without a client name counted for none, as in `paos.method.peers`). An
aggregate made from fewer distinct clients than the rulebook's
`benchmark_min_peers` is not shown: its figure is None and its text says
"n < k clients", so no median can stand for one client's score.

Each page's title is a sentence derived by rule from these figures (the
`*_title` functions): which is lowest and highest, where the middle half lies,
which way the median moved. No analyst text, no judgement.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

from paos.deliverables._page import join_names, plural, vocab_label
from paos.method._numbers import display
from paos.method.clients import client_key_expr

if TYPE_CHECKING:
    from paos.portfolio.report import Portfolio

NOT_GIVEN = "not given"
ALL_STAGES, ALL_INDUSTRIES = "all stages", "all industries"
BIN = 0.25  # width of a PAI band in the distribution


CLIENTS = client_key_expr().drop_nulls().n_unique().alias("clients")


def clients(frame: pl.DataFrame) -> int:
    """The number of distinct clients in `frame`."""
    return int(frame.select(CLIENTS).item()) if frame.height else 0


def min_clients(p: Portfolio) -> int:
    return int(p.rulebook["benchmark_min_peers"])


def too_few(p: Portfolio) -> str:
    return f"n < {min_clients(p)} clients"


def number(p: Portfolio, value: float | None) -> str:
    return display(value, p.rulebook["display_decimals"]) if value is not None else "–"


def scale(p: Portfolio) -> tuple[int, int]:
    return p.rulebook["rating_scale"]["min"], p.rulebook["rating_scale"]["max"]


def complete(p: Portfolio) -> pl.DataFrame:
    return p.runs.filter(pl.col("pai").is_not_null())


def headline(p: Portfolio) -> dict:
    """The cover's figures: engagements, clients, median PAI and median gap count
    (None under the minimum of clients)."""
    r, full = p.runs, complete(p)
    enough = clients(full) >= min_clients(p)
    gaps_enough = clients(r) >= min_clients(p)
    return {
        "engagements": r.height,
        "clients": clients(r),
        "complete": full.height,
        "median_pai": full["pai"].median() if enough else None,
        "median_gaps": r["gaps"].list.len().median() if gaps_enough else None,
    }


def overview_title(p: Portfolio, h: dict) -> str:
    who = f"{plural(h['engagements'], 'engagement')} of {plural(h['clients'], 'client')}"
    if h["median_pai"] is None:
        return f"Across {who}, too few clients for a portfolio median (fewer than {min_clients(p)})"
    out = f"Across {who}, the median PAI is {number(p, h['median_pai'])}"
    if h["median_gaps"] is not None:
        gaps = int(display(h["median_gaps"], 0))
        out += f" and the median engagement has {plural(gaps, 'gap')}"
    return out


def pai_bins(p: Portfolio, stages: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Engagements per PAI band and stage (start, end, stage, order, n, and bottom and
    top of its part of the band's stacked bar), and per band
    (start, end, mid, n); empty under the minimum of clients."""
    full = complete(p)
    if clients(full) < min_clients(p):
        empty = pl.DataFrame(schema={"start": pl.Float64, "end": pl.Float64, "n": pl.UInt32})
        return empty, empty
    lo, hi = scale(p)
    last = math.ceil((hi - lo) / BIN) - 1
    banded = full.with_columns(
        stage=pl.col("stage").fill_null(NOT_GIVEN),
        band=((pl.col("pai").round(6) - lo) / BIN).floor().clip(0, last).cast(pl.Int64),
    ).with_columns(start=lo + pl.col("band") * BIN, end=lo + (pl.col("band") + 1) * BIN)
    order = {s: i for i, s in enumerate(stages)}
    by_stage = (
        banded.group_by("start", "end", "stage")
        .agg(n=pl.len())
        .with_columns(order=pl.col("stage").replace_strict(order, default=len(order)))
        .sort("start", "order")
        .with_columns(top=pl.col("n").cum_sum().over("start"))
        .with_columns(bottom=pl.col("top") - pl.col("n"))
    )
    totals = (
        banded.group_by("start", "end")
        .agg(n=pl.len())
        .with_columns(mid=(pl.col("start") + pl.col("end")) / 2)
        .sort("start")
    )
    return by_stage, totals


def distribution_title(p: Portfolio) -> str:
    full = complete(p)
    if clients(full) < min_clients(p):
        return f"Too few clients for a PAI distribution (fewer than {min_clients(p)})"
    q1, med, q3 = (full["pai"].quantile(q, interpolation="linear") for q in (0.25, 0.5, 0.75))
    return (
        f"Half of the {plural(full.height, 'engagement')} score a PAI between "
        f"{number(p, q1)} and {number(p, q3)}, around a median of {number(p, med)}"
    )


def dimension_stats(p: Portfolio, scores: pl.DataFrame) -> pl.DataFrame:
    """Per dimension in the rulebook's order: name, n, clients, lowest, quartiles,
    median and highest score (None under the minimum of clients)."""
    k = min_clients(p)
    stats = scores.group_by("dimension").agg(
        n=pl.len(),
        clients=CLIENTS,
        low=pl.col("score").min(),
        q1=pl.col("score").quantile(0.25, interpolation="linear"),
        median=pl.col("score").median(),
        q3=pl.col("score").quantile(0.75, interpolation="linear"),
        high=pl.col("score").max(),
    )
    dims = pl.DataFrame(
        {
            "dimension": [d.id for d in p.rulebook.dimensions],
            "name": [d.name for d in p.rulebook.dimensions],
        }
    )
    figures = ["low", "q1", "median", "q3", "high"]
    return (
        dims.join(stats, on="dimension", how="left", maintain_order="left")
        .with_columns(pl.col("n", "clients").fill_null(0))
        .with_columns([pl.when(pl.col("clients") >= k).then(pl.col(c)).alias(c) for c in figures])
    )


def dimensions_title(p: Portfolio, stats: pl.DataFrame) -> str:
    shown = stats.filter(pl.col("median").is_not_null())
    if shown.height < 2:
        return f"Too few clients to compare the dimensions (fewer than {min_clients(p)} each)"
    rows = list(shown.iter_rows(named=True))
    low = min(rows, key=lambda r: r["median"])
    high = max(rows, key=lambda r: r["median"])
    if number(p, low["median"]) == number(p, high["median"]):
        return f"All {shown.height} dimensions have a median score of {number(p, low['median'])}"
    return (
        f"{low['name']} has the lowest median score ({number(p, low['median'])}), "
        f"{high['name']} the highest ({number(p, high['median'])})"
    )


def median_cells(p: Portfolio, stages: list[str]) -> pl.DataFrame:
    """Median PAI per industry and stage, with an "all stages" column and an "all
    industries" row: row, col, n, clients, median (None under the minimum)."""
    k = min_clients(p)
    full = complete(p).with_columns(
        pl.col("industry").fill_null(NOT_GIVEN), pl.col("stage").fill_null(NOT_GIVEN)
    )
    agg = {"n": pl.len(), "clients": CLIENTS, "median": pl.col("pai").median()}
    parts = [
        full.group_by("industry", "stage").agg(**agg),
        full.group_by("industry").agg(**agg).with_columns(stage=pl.lit(ALL_STAGES)),
        full.group_by("stage").agg(**agg).with_columns(industry=pl.lit(ALL_INDUSTRIES)),
        full.select(**agg).with_columns(industry=pl.lit(ALL_INDUSTRIES), stage=pl.lit(ALL_STAGES)),
    ]
    cols = ["industry", "stage", "n", "clients", "median"]
    cells = pl.concat([x.select(cols) for x in parts], how="vertical_relaxed")
    cells = cells.with_columns(median=pl.when(pl.col("clients") >= k).then(pl.col("median")))
    return cells.rename({"industry": "row", "stage": "col"})


def shown_name(value: str) -> str:
    """An industry or stage as the report names it ('saas' -> 'SaaS'); the report's
    own row and column names as they are."""
    return value if value in (ALL_INDUSTRIES, ALL_STAGES, NOT_GIVEN) else vocab_label(value)


def cells_title(p: Portfolio, cells: pl.DataFrame) -> str:
    rows = [
        r
        for r in cells.filter(
            (pl.col("col") == ALL_STAGES)
            & (pl.col("row") != ALL_INDUSTRIES)
            & pl.col("median").is_not_null()
        ).iter_rows(named=True)
    ]
    if len(rows) < 2:
        return f"Too few clients per industry to compare their median PAI (fewer than {min_clients(p)})"
    low = min(rows, key=lambda r: (r["median"], r["row"]))
    high = max(rows, key=lambda r: (r["median"], r["row"]))
    if number(p, low["median"]) == number(p, high["median"]):
        return f"The {len(rows)} industries with enough clients share a median PAI of {number(p, low['median'])}"
    return (
        f"Median PAI by industry ranges from {number(p, low['median'])} in "
        f"{shown_name(low['row'])} to {number(p, high['median'])} in {shown_name(high['row'])}"
    )


def findings_title(p: Portfolio, freq: pl.DataFrame) -> str:
    n = p.runs.height
    if clients(p.runs) < min_clients(p):
        return f"Too few clients to rank the gaps (fewer than {min_clients(p)})"
    top = freq.filter(pl.col("gaps") == freq["gaps"].max())
    if top["gaps"][0] == 0:
        return f"No signal is a gap in any of the {plural(n, 'engagement')}"
    share = f"{top['gaps'][0] / n:.0%} of the {plural(n, 'engagement')}"
    names = join_names(list(top["name"]))
    if top.height == 1:
        return f"{names} is the most frequent gap, found in {share}"
    return f"{names} are the most frequent gaps, each found in {share}"


def quarter_label(d) -> str:
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def quarters(p: Portfolio) -> pl.DataFrame:
    """Per quarter of assessment: quarter, label, n, clients, median PAI (None
    under the minimum of clients)."""
    k = min_clients(p)
    q = (
        complete(p)
        .with_columns(quarter=pl.col("assessed_on").dt.truncate("1q"))
        .group_by("quarter")
        .agg(n=pl.len(), clients=CLIENTS, median=pl.col("pai").median())
        .sort("quarter")
    )
    return q.with_columns(
        median=pl.when(pl.col("clients") >= k).then(pl.col("median")),
        label=pl.col("quarter").map_elements(quarter_label, return_dtype=pl.String),
    )


def trend_title(p: Portfolio, q: pl.DataFrame) -> str:
    shown = q.filter(pl.col("median").is_not_null())
    if shown.height < 2:
        return f"Too few clients per quarter for a trend of the median PAI (fewer than {min_clients(p)})"
    first, last = shown.row(0, named=True), shown.row(-1, named=True)
    a, b = number(p, first["median"]), number(p, last["median"])
    if a == b:
        return f"The quarterly median PAI was {a} in {first['label']} and again in {last['label']}"
    verb = "rose" if float(b) > float(a) else "fell"
    return f"The quarterly median PAI {verb} from {a} in {first['label']} to {b} in {last['label']}"
