"""Stage 5: gaps, severity, escalation, priority, roadmap (methodology section 5),
and the evidence behind each gap (results contract, methodology section 11).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from paos.base.rulebook import Rulebook
from paos.method._keys import ENG, KEYS, code, sort_by_codes
from paos.method._numbers import cmp

GAP_ORDER = [*KEYS, "priority_rank", "tier", "severity_rank", "score_cmp", "signal_id"]


def _lookups(rulebook: Rulebook) -> dict[str, pl.Expr]:
    """A gap's severity, priority, phase and priority_rank from its `severity_rank` and
    `tier`, as lookups on one integer key: the rulebook holds one priority per severity
    and tier and one phase per priority (`paos.base.rulebook_rules`), so these are the
    joins of its tables by name, a fifth of their cost over a portfolio's variants."""
    names = [b["name"] for b in rulebook["severity"]]
    phase = {p["priority"]: p["phase"] for p in rulebook["phases"]}
    rank = {f: i + 1 for i, f in enumerate(sorted(set(phase.values())))}  # dense, by phase
    prio = {
        t * len(names) + names.index(r["severity"]): r["priority"]
        for r in rulebook["priority"]
        for t in r["tiers"]
    }
    key = pl.col("tier").cast(pl.Int32) * len(names) + pl.col("severity_rank")

    def lookup(values: dict, dtype: type[pl.DataType]) -> pl.Expr:
        return key.replace_strict(
            list(values), list(values.values()), default=None, return_dtype=dtype
        )

    return {
        "severity": pl.col("severity_rank").replace_strict(
            list(range(len(names))), names, default=None, return_dtype=pl.String
        ),
        "priority": lookup(prio, pl.String),
        "phase": lookup({k: phase[v] for k, v in prio.items()}, pl.Int8),
        "priority_rank": lookup({k: rank[phase[v]] for k, v in prio.items()}, pl.Int8),
    }


def is_gap(rulebook: Rulebook) -> pl.Expr:
    """A signal is a gap iff it is scored and V < threshold (compared at the rulebook's
    decimals)."""
    score = cmp(pl.col("score"), rulebook.decimals)
    return (pl.col("status") == "scored") & (score < pl.col("threshold"))


def severity_rank(rulebook: Rulebook) -> pl.Expr:
    """A gap's severity rank (0 the most severe): the band its shortfall (threshold - V,
    compared at the rulebook's decimals) reaches, raised by escalation for the rulebook's
    divergence class. The one rule of severity, for `detect_gaps` and robustness."""
    bands = rulebook["severity"]  # most severe first
    shortfall = cmp(pl.col("threshold") - pl.col("score"), rulebook.decimals)
    base = pl.lit(len(bands) - 1, dtype=pl.Int8)
    for i in reversed(range(len(bands))):
        base = (
            pl.when(shortfall >= bands[i]["min_shortfall"])
            .then(pl.lit(i, dtype=pl.Int8))
            .otherwise(base)
        )
    esc = rulebook["escalation"]
    return (
        pl.when(escalated(rulebook))
        .then((base - esc["levels"]).clip(lower_bound=0))
        .otherwise(base)
        .cast(pl.Int8)
    )


def escalated(rulebook: Rulebook) -> pl.Expr:
    """Whether a gap's severity is raised: its divergence is of the rulebook's class."""
    return pl.col("divergence_class") == rulebook["escalation"]["divergence_class"]


def detect_gaps(signals: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """One row per gap, in roadmap order within each engagement and variant.

    A scored signal is a gap iff V < threshold; severity from the shortfall,
    raised by escalation for the rulebook's divergence class (`severity_rank`), priority
    from severity and tier, phase from priority.
    """
    d = rulebook.decimals
    gaps = (
        signals.filter(is_gap(rulebook))
        .with_columns(
            shortfall=pl.col("threshold") - pl.col("score"),
            escalated=escalated(rulebook),
            severity_rank=severity_rank(rulebook),
            provisional=~pl.col("validated"),
            score_cmp=cmp(pl.col("score"), d),
        )
        .with_columns(**_lookups(rulebook))
        .sort(GAP_ORDER)
    )
    return gaps.select(
        *KEYS,
        "signal_id",
        "dimension",
        "tier",
        "dimension_order",
        "score",
        "threshold",
        "shortfall",
        "severity",
        "severity_rank",
        "escalated",
        "provisional",
        "priority",
        "priority_rank",
        "phase",
        "divergence_class",
        "score_cmp",
    )


def rated_stakeholders(stakeholders: pl.DataFrame, ratings: pl.DataFrame) -> pl.DataFrame:
    """The stakeholders listed, with `rated`: whether they gave at least one non-blank
    rating. The raters (robustness-v1's definition) are those rated: whoever is counted
    towards anonymity, or as having given evidence. A stakeholder listed but rating
    nothing is nobody's cover.

    Validation refuses a rating by a stakeholder not listed and gives each rating its
    stakeholder's perspective and role (`paos.evidence.validate`), so the listed row is
    the rater's. A semi-join of the few stakeholders on the ratings, of which only the
    first non-blank rating of each run of one stakeholder's rows is needed (ratings
    usually come a stakeholder at a time; any order gives the same): a fifth of a
    `unique` over every rating, and the rows are picked before any string is copied."""
    rated = pl.col("rating").is_not_null()
    first = (
        (pl.col(ENG) != pl.col(ENG).shift())
        | (pl.col("stakeholder_id") != pl.col("stakeholder_id").shift())
        | ~rated.shift()
    ).fill_null(True)
    raters = ratings.lazy().filter(rated & first).select(ENG, "stakeholder_id")
    at = (
        stakeholders.lazy()
        .select(ENG, "stakeholder_id")
        .with_row_index("_i")
        .join(raters, on=[ENG, "stakeholder_id"], how="semi")
        .collect(engine="streaming")["_i"]
    )
    flag = pl.repeat(False, stakeholders.height, dtype=pl.Boolean, eager=True)
    return stakeholders.with_columns(flag.scatter(at, True).alias("rated"))


def gap_evidence(
    gaps: pl.DataFrame,
    ratings: pl.DataFrame,
    stakeholders: pl.DataFrame,
    metric_rated: pl.DataFrame,
    rulebook: Rulebook,
) -> pl.DataFrame:
    """The evidence of every gap: documented stakeholder ratings at or below the
    rulebook's level, then the metric-derived ratings. Quotes are attributed by
    perspective, and by role only where enough raters (the `stakeholders` rated, from
    `rated_stakeholders`) share that perspective and role.

    In order per engagement and signal (as strings): perspective in the rulebook's
    order, rating, line, text. The keys are integer codes (`code`): a gap's `_cell`
    (engagement and signal, in string order) and a perspective's `_place`, so the joins
    and the sort read no string (`sort_by_codes`)."""
    engagements = gaps[ENG].unique().sort()
    signals = gaps["signal_id"].unique().sort()
    order = list(rulebook.perspective_weights)
    cell = (
        code(ENG, engagements).cast(pl.Int64) * signals.len() + code("signal_id", signals)
    ).alias("_cell")
    place = code("perspective", order).fill_null(len(order)).cast(pl.Int64).alias("_place")
    of_gap = pl.col("_cell").is_in(gaps.select(cell)["_cell"].implode())
    low, top = rulebook["rating_scale"]["min"], rulebook["gap_evidence_max_rating"]
    documented = (
        ratings.select(ENG, "signal_id", "rating", "perspective", "role", "evidence", "line")
        .filter(pl.col("rating") <= top, pl.col("evidence").is_not_null())
        .filter(pl.col("evidence").str.strip_chars() != "")  # strings: the few rows left
        .with_columns(cell)
        .filter(of_gap)
        .with_columns(place)
    )
    raters = stakeholders.select(
        code(ENG, engagements).cast(pl.Int64).alias("_engagement"), place, "role"
    ).filter(stakeholders["rated"])
    groups = _RoleGroups(raters["role"].drop_nulls().unique(), len(order) + 1)
    shared = raters.group_by(groups.of(pl.col("_engagement")).alias("_group")).len("_shared")
    shown = pl.col("_shared") >= rulebook["anonymity_min_role_group"]
    quotes = documented.join(
        shared, left_on=groups.of(pl.col("_cell") // signals.len()), right_on="_group", how="left"
    ).select(
        ENG,
        "signal_id",
        pl.col("perspective").cast(pl.String),
        pl.when(shown).then(pl.col("role")).alias("role"),
        pl.col("rating").cast(pl.Int8),
        pl.col("evidence").alias("text"),
        "_cell",
        "_place",
        pl.col("line").cast(pl.Int64).fill_null(2**31).alias("_seq"),
    )
    metrics = _metric_texts(metric_rated.with_columns(cell).filter(of_gap), rulebook)
    both = pl.concat(
        [quotes, metrics.with_columns(place).select(quotes.columns)], how="vertical_relaxed"
    ).with_columns(_rating=pl.col("rating") - low)
    bounds = {
        "_cell": engagements.len() * signals.len(),
        "_place": len(order) + 1,
        "_rating": top - low + 1,
        "_seq": 2**31 + 1,  # a line (Int32, not negative), or 2^31: no line
    }
    return sort_by_codes(both, bounds, "text").select(EVIDENCE)


EVIDENCE = [ENG, "signal_id", "perspective", "role", "rating", "text"]


@dataclass(frozen=True)
class _RoleGroups:
    """The group a quote's attribution names: its engagement, perspective (`_place`) and
    role, as one integer `_group`. A quote shows "perspective · role", so one strategic
    partner manager among operational ones would otherwise be named by it; only raters
    count (a stakeholder listed without a single rating hides nobody)."""

    roles: pl.Series  # every role of a rater
    places: int  # perspectives, and one for a perspective not in the rulebook

    def of(self, engagement: pl.Expr) -> pl.Expr:
        """The `_group` of the rows with `engagement` (a code), `_place` and `role`."""
        at = (engagement * self.places + pl.col("_place")) * self.roles.len()
        return at + code("role", self.roles)


def _metric_texts(data: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """The metric-derived ratings `data` as evidence: each stated as its value, unit,
    rating, direction and cut points. `_seq` the text's rank among them."""
    units = {m.id: m.unit for m in rulebook.metrics}
    unit = pl.col("metric_id").replace_strict(units, default="")
    uniq = data["value"].unique()  # format each distinct value once
    value = pl.col("value").replace_strict(
        uniq, [_fmt(v) for v in uniq.to_list()], return_dtype=pl.String
    )
    text = pl.format(
        "{} = {}{}: rating {} ({} is better; cut points {})",
        "metric_id",
        value,
        pl.when(unit == "%").then(pl.lit("%")).otherwise(pl.lit(" ") + unit),
        "rating",
        "direction",
        "cuts",
    )
    return data.select(
        ENG,
        "signal_id",
        pl.lit(rulebook.metric_perspective, dtype=pl.String).alias("perspective"),
        pl.lit(None, dtype=pl.String).alias("role"),
        pl.col("rating").cast(pl.Int8),
        text.alias("text"),
        "_cell",
    ).with_columns(pl.col("text").rank("dense").cast(pl.Int64).alias("_seq"))


def _fmt(x: float) -> str:
    return f"{x:.10g}"
