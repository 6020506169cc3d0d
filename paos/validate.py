"""Stage 2: validate raw engagement tables with pandera and turn them into the
typed, validated frames the engine scores.

Every table is checked lazily so that every problem is collected; pandera's
failure cases are translated into analyst language (file, line, column,
value, rule). Only evidence without a single problem becomes `Evidence`.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from paos.engine import Evidence
from paos.errors import EvidenceError, Problem
from paos.intake import SIGNAL_LIKE, RawEngagement, Table, read_engagement, wide_to_long
from paos.rulebook import DEFAULT_RULEBOOK, Rulebook, known_rulebooks, load_rulebook
from paos.schemas import validated

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SOURCES = ("interview", "survey", "workshop", "document")
COLUMNS = {  # required, optional
    "stakeholders": (["stakeholder_id", "role"], ["perspective", "function", "name"]),
    "ratings": (["stakeholder_id", "signal_id", "rating", "evidence"], ["source"]),
    "metrics": (["metric_id", "value"], ["as_of", "source"]),
}
META_REQUIRED = ("id", "client", "assessed_on")
META_OPTIONAL = ("industry", "stage", "analyst", "rulebook", "baseline")
BLANK = "is blank; a value is required"


def _clean(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars()


def _col_check(expr: Callable[[str], pl.Expr], rule: str) -> pa.Check:
    """A column check from an expression builder; nulls are left to `nullable`."""
    return pa.Check(lambda data: data.lazyframe.select(
        expr(data.key).fill_null(False) | pl.col(data.key).is_null()), error=rule)


def _frame_check(expr: pl.Expr, rule: str) -> pa.Check:
    return pa.Check(lambda data: data.lazyframe.select(expr), error=rule)


def _first_dup(keys: list[str]) -> pl.Expr:
    """True for the first row of each key, and for rows with a blank key part."""
    return pl.struct(keys).is_first_distinct() | pl.any_horizontal(
        [pl.col(k).is_null() for k in keys])


class _Schemas:
    """The pandera schemas of one engagement's tables, built from the rulebook."""

    def __init__(self, rulebook: Rulebook):
        self.rb = rulebook
        roles = sorted(rulebook.role_perspectives)
        persp = rulebook["stakeholder_perspectives"]
        self.sig_ids = [s.id for s in rulebook.signals]
        self.metric_ids = [m.id for m in rulebook.metrics]
        self.percent = [m.id for m in rulebook.metrics if m.unit == "%"]
        lo, hi = rulebook["rating_scale"]["min"], rulebook["rating_scale"]["max"]
        self.rating_rule = f"is not a rating ({lo}-{hi} or blank)"
        self.dup_rules: dict[str, tuple[str, list[str]]] = {}

        def dup(rule: str, column: str, keys: list[str]) -> pa.Check:
            self.dup_rules[rule] = (column, keys)
            return _frame_check(_first_dup(keys), rule)

        needs = [r.strip().lower() for r in rulebook["roles_requiring_perspective"]]
        role_rule = ("is not a known role, so the stakeholder needs a perspective "
                     f"({', '.join(persp)})")
        needs_rule = f"has no default perspective: give one ({', '.join(persp)})"
        self.frame_columns = {role_rule: "role", needs_rule: "role"}
        role = _clean("role").str.to_lowercase()
        declared = pl.col("perspective").is_not_null() | pl.col("role").is_null()
        txt = {"nullable": True}
        self.stakeholders = pa.DataFrameSchema({
            "stakeholder_id": pa.Column(str),
            "role": pa.Column(str),
            "perspective": pa.Column(str, _col_check(
                lambda c: _clean(c).str.to_lowercase().is_in(persp),
                f"is not a perspective ({', '.join(persp)})"), **txt),
            "function": pa.Column(str, **txt), "name": pa.Column(str, **txt),
        }, checks=[
            dup("is a duplicate stakeholder id", "stakeholder_id", ["_sid"]),
            _frame_check(role.is_in(roles + needs) | declared, role_rule),
            _frame_check(~role.is_in(needs) | declared, needs_rule),
        ])
        num = lambda c: _clean(c).cast(pl.Float64, strict=False)  # noqa: E731
        self.metrics = pa.DataFrameSchema({
            "metric_id": pa.Column(str, _col_check(
                lambda c: _clean(c).str.to_lowercase().is_in(self.metric_ids),
                "is not a known metric id (" + ", ".join(self.metric_ids) + ")")),
            "value": pa.Column(str, _col_check(
                lambda c: num(c).is_finite().fill_null(False) & (num(c) >= 0).fill_null(False),
                "is not a finite number >= 0")),
            "as_of": pa.Column(str, nullable=True), "source": pa.Column(str, nullable=True),
        }, checks=[
            dup("is a duplicate metric (each metric once per engagement)", "metric_id",
                ["_mid"]),
            _frame_check(~(_clean("metric_id").str.to_lowercase().is_in(self.percent)
                           & (num("value") > 100).fill_null(False)
                           & num("value").is_finite().fill_null(False)),
                         "is above 100 for a % metric"),
        ])
        self.frame_columns["is above 100 for a % metric"] = "value"
        levels = [float(v) for v in range(lo, hi + 1)]
        self.lo, self.hi = lo, hi
        self.levels = levels

    def ratings(self, stakeholder_ids: list[str]) -> pa.DataFrameSchema:
        return pa.DataFrameSchema({
            "stakeholder_id": pa.Column(str, _col_check(
                lambda c: _clean(c).is_in(stakeholder_ids),
                "is not a stakeholder listed in the stakeholders table")),
            "signal_id": pa.Column(str, _col_check(
                lambda c: _clean(c).str.to_uppercase().is_in(self.sig_ids),
                f"is not a known signal id ({self.sig_ids[0]} .. {self.sig_ids[-1]})")),
            "rating": pa.Column(str, _col_check(
                lambda c: _clean(c).cast(pl.Float64, strict=False).is_in(self.levels)
                .fill_null(False), self.rating_rule), nullable=True),
            "evidence": pa.Column(str, nullable=True),
            "source": pa.Column(str, _col_check(
                lambda c: _clean(c).str.to_lowercase().is_in(SOURCES),
                f"is not a source ({', '.join(SOURCES)} or blank)"), nullable=True),
        }, checks=[_frame_check(_first_dup(["_sid", "_sig"]), "is rated twice by the same "
                                "stakeholder")])


def _run(schema: pa.DataFrameSchema, table: Table, frame: pl.DataFrame,
         s: _Schemas) -> list[Problem]:
    """Validate lazily; translate every failure case into a `Problem`."""
    try:
        schema.validate(frame, lazy=True)
        return []
    except SchemaErrors as err:
        cases = err.failure_cases
    out = []
    dup_rules = dict(s.dup_rules)
    dup_rules["is rated twice by the same stakeholder"] = ("signal_id", ["_sid", "_sig"])
    for case in cases.iter_rows(named=True):
        idx, rule, column = case["index"], case["check"], case["column"]
        if idx is None:
            out.append(table.problem(f"could not be checked ({rule})", column=column))
            continue
        row = frame.row(idx, named=True)
        if rule == "not_nullable":
            rule, value = BLANK, None
        elif column is None and rule in dup_rules:
            column, keys = dup_rules[rule]
            first = frame.filter(pl.all_horizontal([pl.col(k) == row[k] for k in keys]))
            rule = f"{rule} (first on line {first['_line'][0]})"
            value = row[column]
        elif column is None:
            column = s.frame_columns.get(rule, "")
            value = row.get(column)
        else:
            value = case["failure_case"]
        if column == "rating" and "_rating_col" in row:
            column = row["_rating_col"]
        out.append(table.problem(rule, row["_line"], column, value))
    return out


def _columns(table: Table, name: str) -> list[Problem]:
    required, optional = COLUMNS[name]
    return [table.problem("required column is missing", 1, c) for c in required
            if c not in table.header]


def _with_optional(table: Table, name: str) -> pl.DataFrame:
    _, optional = COLUMNS[name]
    missing = [pl.lit(None, pl.String).alias(c) for c in optional if c not in table.frame.columns]
    return table.frame.with_columns(missing) if missing else table.frame


def _meta(raw: RawEngagement, problems: list[Problem]) -> dict:
    where = dict(file=raw.meta_file, sheet=raw.meta_sheet)
    meta = {k: raw.meta.get(k) for k in (*META_REQUIRED, *META_OPTIONAL)}
    line = lambda k: raw.meta_lines.get(k)  # noqa: E731
    for key in META_REQUIRED:
        if meta[key] is None:
            rule = "required key is missing" if key not in raw.meta else BLANK
            problems.append(Problem(rule=rule, line=line(key), column=key, **where))
    for key in ("id", "baseline"):
        if meta[key] is not None and not re.match(ID_PATTERN, str(meta[key]).strip()):
            problems.append(Problem(rule="is not a valid engagement id (1-64 letters, digits, "
                                    "'.', '_' or '-', starting with a letter or digit)",
                                    line=line(key), column=key, value=meta[key], **where))
    if meta["assessed_on"] is not None:
        try:
            meta["assessed_on"] = dt.date.fromisoformat(str(meta["assessed_on"]).strip())
        except ValueError:
            problems.append(Problem(rule="is not an ISO date (YYYY-MM-DD)",
                                    line=line("assessed_on"), column="assessed_on",
                                    value=meta["assessed_on"], **where))
    book = (meta["rulebook"] or DEFAULT_RULEBOOK).strip()
    if book not in known_rulebooks():
        problems.append(Problem(rule="is not a known rulebook version (known: "
                                + ", ".join(known_rulebooks()) + ")", line=line("rulebook"),
                                column="rulebook", value=book, **where))
    meta["rulebook"] = book
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in meta.items()}


def check_engagement(raw: RawEngagement, rulebook: Rulebook | None = None
                     ) -> tuple[Evidence | None, list[Problem]]:
    """Validate one raw engagement; returns (evidence or None, every problem)."""
    problems = list(raw.problems)
    if raw.unreadable:
        return None, problems
    meta = _meta(raw, problems)
    if rulebook is None:
        rulebook = load_rulebook(meta["rulebook"] if meta["rulebook"] in known_rulebooks()
                                 else DEFAULT_RULEBOOK)
    s = _Schemas(rulebook)
    tables = dict(raw.tables)
    ratings = tables.get("ratings")
    if ratings is not None and "signal_id" not in ratings.header and any(
            SIGNAL_LIKE.match(h) for h in ratings.header):
        long, people, wide_problems = wide_to_long(ratings, s.sig_ids)
        problems += wide_problems
        problems += [ratings.problem("required column is missing", 1, c)
                     for c in ("stakeholder_id", "role") if c not in ratings.header
                     and not (c == "role" and "stakeholders" in tables)]
        tables["ratings"] = long
        tables.setdefault("stakeholders", people)
    label = lambda n: (f"{raw.source / (n + '.csv')}" if raw.source.is_dir()  # noqa: E731
                       else str(raw.source))
    for name in ("stakeholders", "ratings"):
        if name not in tables and not any(p.file == label(name) for p in problems):
            where = "sheet" if raw.source.suffix.lower() in (".xlsx", ".xlsm") else "file"
            problems.append(Problem(label(name), f"required {where} is missing"
                                    + (f" ({name})" if where == "sheet" else "")))
    frames: dict[str, pl.DataFrame] = {}
    for name in ("stakeholders", "ratings", "metrics"):
        table = tables.get(name)
        if table is None:
            continue
        missing = _columns(table, name)
        problems += missing
        if not missing:
            frames[name] = _with_optional(table, name)
    sids: list[str] = []
    if "stakeholders" in frames:
        st = frames["stakeholders"].with_columns(_sid=_clean("stakeholder_id"))
        problems += _run(s.stakeholders, tables["stakeholders"], st, s)
        sids = st["_sid"].drop_nulls().to_list()
    if "ratings" in frames:
        ra = frames["ratings"].with_columns(_sid=_clean("stakeholder_id"),
                                            _sig=_clean("signal_id").str.to_uppercase())
        if "stakeholders" in frames:
            problems += _run(s.ratings(sids), tables["ratings"], ra, s)
        if ra["rating"].null_count() == ra.height \
                and (frames.get("metrics") is None or frames["metrics"].height == 0):
            problems.append(tables["ratings"].problem(
                "holds no rating at all: every rating is blank or there are no rows",
                column="rating"))
    if "metrics" in frames:
        me = frames["metrics"].with_columns(_mid=_clean("metric_id").str.to_lowercase())
        problems += _run(s.metrics, tables["metrics"], me, s)
    if problems or "ratings" not in frames or "stakeholders" not in frames:
        return None, problems
    return _typed(meta, frames, raw, rulebook), problems


def _typed(meta: dict, frames: dict[str, pl.DataFrame], raw: RawEngagement,
           rulebook: Rulebook) -> Evidence:
    eid = meta["id"]
    roles = rulebook.role_perspectives
    st = frames["stakeholders"].select(
        pl.lit(eid).alias("engagement_id"),
        _clean("stakeholder_id").alias("stakeholder_id"),
        _clean("role").str.to_lowercase().alias("role"),
        pl.coalesce(_clean("perspective").str.to_lowercase(),
                    _clean("role").str.to_lowercase().replace_strict(roles, default=None))
        .alias("perspective"),
        "function", "name")
    ra = (frames["ratings"].select(
        pl.lit(eid).alias("engagement_id"),
        _clean("stakeholder_id").alias("stakeholder_id"),
        _clean("signal_id").str.to_uppercase().alias("signal_id"),
        _clean("rating").cast(pl.Float64).cast(pl.Int8).alias("rating"),
        "evidence", _clean("source").str.to_lowercase().alias("source"),
        pl.col("_line").alias("line"))
        .join(st.select("stakeholder_id", "role", "perspective"), on="stakeholder_id",
              how="left"))
    me = (frames["metrics"].select(
        pl.lit(eid).alias("engagement_id"),
        _clean("metric_id").str.to_lowercase().alias("metric_id"),
        _clean("value").cast(pl.Float64).alias("value"), "as_of", "source",
        pl.col("_line").alias("line")) if "metrics" in frames else None)
    eng = pl.DataFrame([{"engagement_id": eid, **{k: v for k, v in meta.items() if k != "id"},
                         "source": str(raw.source)}],
                       schema={"engagement_id": pl.String, "client": pl.String,
                               "assessed_on": pl.Date, "industry": pl.String,
                               "stage": pl.String, "analyst": pl.String,
                               "rulebook": pl.String, "baseline": pl.String,
                               "source": pl.String})
    files = pl.DataFrame({"engagement_id": [eid] * len(raw.files),
                          "file": [f for f, _ in raw.files],
                          "sha256": [h for _, h in raw.files]},
                         schema={"engagement_id": pl.String, "file": pl.String,
                                 "sha256": pl.String})
    return validated(Evidence(eng, st, ra, me, files))


def load_evidence(sources: Iterable[str | Path], rulebook: Rulebook | None = None) -> Evidence:
    """Read and validate one or more engagements; raises `EvidenceError` listing
    every problem of every engagement if any is refused."""
    sources = list(sources)
    parts, problems = [], []
    for src in sources:
        ev, found = check_engagement(read_engagement(src), rulebook)
        problems += found
        if ev is not None:
            parts.append(ev)
    if problems:
        raise EvidenceError(problems)
    ids = [i for ev in parts for i in ev.engagement_ids()]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise EvidenceError([Problem(str(Path(s)), "engagement id is used by another "
                                     "engagement too", column="id", value=i)
                             for ev, s in zip(parts, sources) for i in ev.engagement_ids()
                             if i in dups])
    return concat_evidence(parts)


def concat_evidence(parts: list[Evidence]) -> Evidence:
    """One `Evidence` holding several engagements."""
    cat = lambda xs: pl.concat(xs, how="vertical_relaxed")  # noqa: E731
    return Evidence(
        engagements=cat([p.engagements for p in parts]),
        stakeholders=cat([p.stakeholders for p in parts]),
        ratings=cat([p.ratings for p in parts]),
        metrics=cat([p.metrics for p in parts]),
        files=cat([p.files for p in parts]),
    )
