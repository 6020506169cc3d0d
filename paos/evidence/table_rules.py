"""The rules of each table as pandera checks built from the rulebook (`Schemas`),
and their failures in analyst language: file, line, column, value, rule (`run`)."""

from __future__ import annotations

from collections.abc import Callable

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from paos.base.limits import MAX_REPORTED
from paos.base.problems import more
from paos.base.rulebook import Rulebook
from paos.errors import Problem

SOURCES = ("interview", "survey", "workshop", "document")
BLANK = "is blank; a value is required"
UNKNOWN_SID = "is not a stakeholder listed in the stakeholders table"


def clean(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars()


def _col_check(expr: Callable[[str], pl.Expr], rule: str) -> pa.Check:
    """A column check from an expression builder; nulls are left to `nullable`."""
    return pa.Check(
        lambda data: data.lazyframe.select(
            expr(data.key).fill_null(False) | pl.col(data.key).is_null()
        ),
        error=rule,
        n_failure_cases=1,
    )


def _frame_check(expr: pl.Expr, rule: str) -> pa.Check:
    return pa.Check(lambda data: data.lazyframe.select(expr), error=rule, n_failure_cases=1)


def _first_dup(keys: list[str]) -> pl.Expr:
    """True for the first row of each key, and for rows with a blank key part."""
    return pl.struct(keys).is_first_distinct() | pl.any_horizontal(
        [pl.col(k).is_null() for k in keys]
    )


class Schemas:
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
        role_rule = (
            f"is not a known role, so the stakeholder needs a perspective ({', '.join(persp)})"
        )
        needs_rule = f"has no default perspective: give one ({', '.join(persp)})"
        self.frame_columns = {role_rule: "role", needs_rule: "role"}
        role = clean("role").str.to_lowercase()
        declared = pl.col("perspective").is_not_null() | pl.col("role").is_null()
        self.stakeholders = pa.DataFrameSchema(
            {
                "stakeholder_id": pa.Column(str),
                "role": pa.Column(str),
                "perspective": pa.Column(
                    str,
                    _col_check(
                        lambda c: clean(c).str.to_lowercase().is_in(persp),
                        f"is not a perspective ({', '.join(persp)})",
                    ),
                    nullable=True,
                ),
                "function": pa.Column(str, nullable=True),
                "name": pa.Column(str, nullable=True),
            },
            checks=[
                dup("is a duplicate stakeholder id", "stakeholder_id", ["_src", "_sid"]),
                _frame_check(role.is_in(roles + needs) | declared, role_rule),
                _frame_check(~role.is_in(needs) | declared, needs_rule),
            ],
        )
        num = lambda c: clean(c).cast(pl.Float64, strict=False)  # noqa: E731
        self.metrics = pa.DataFrameSchema(
            {
                "metric_id": pa.Column(
                    str,
                    _col_check(
                        lambda c: clean(c).str.to_lowercase().is_in(self.metric_ids),
                        "is not a known metric id (" + ", ".join(self.metric_ids) + ")",
                    ),
                ),
                "value": pa.Column(
                    str,
                    _col_check(
                        lambda c: (
                            num(c).is_finite().fill_null(False) & (num(c) >= 0).fill_null(False)
                        ),
                        "is not a finite number >= 0",
                    ),
                ),
                "as_of": pa.Column(str, nullable=True),
                "source": pa.Column(str, nullable=True),
            },
            checks=[
                dup(
                    "is a duplicate metric (each metric once per engagement)",
                    "metric_id",
                    ["_src", "_mid"],
                ),
                _frame_check(
                    ~(
                        clean("metric_id").str.to_lowercase().is_in(self.percent)
                        & (num("value") > 100).fill_null(False)
                        & num("value").is_finite().fill_null(False)
                    ),
                    "is above 100 for a % metric",
                ),
            ],
        )
        self.frame_columns["is above 100 for a % metric"] = "value"
        levels = [float(v) for v in range(lo, hi + 1)]
        self.lo, self.hi = lo, hi
        self.levels = levels

        self.ratings = pa.DataFrameSchema(
            {
                "stakeholder_id": pa.Column(str),
                "signal_id": pa.Column(
                    str,
                    _col_check(
                        lambda c: clean(c).str.to_uppercase().is_in(self.sig_ids),
                        f"is not a known signal id ({self.sig_ids[0]} .. {self.sig_ids[-1]})",
                    ),
                ),
                "rating": pa.Column(
                    str,
                    _col_check(
                        lambda c: (
                            clean(c)
                            .cast(pl.Float64, strict=False)
                            .is_in(self.levels)
                            .fill_null(False)
                        ),
                        self.rating_rule,
                    ),
                    nullable=True,
                ),
                "evidence": pa.Column(str, nullable=True),
                "source": pa.Column(
                    str,
                    _col_check(
                        lambda c: clean(c).str.to_lowercase().is_in(SOURCES),
                        f"is not a source ({', '.join(SOURCES)} or blank)",
                    ),
                    nullable=True,
                ),
            },
            checks=[
                dup(
                    "is rated twice by the same stakeholder", "signal_id", ["_src", "_sid", "_sig"]
                ),
                _frame_check(pl.col("_known") | pl.col("stakeholder_id").is_null(), UNKNOWN_SID),
            ],
        )
        self.frame_columns[UNKNOWN_SID] = "stakeholder_id"


def run_schema(schema: pa.DataFrameSchema, frame: pl.DataFrame, s: Schemas) -> list[Problem]:
    """Validate lazily; translate failures into `Problem`s located by the row's own
    `_file`, `_sheet` and `_line` (the frame may hold many engagements).

    The failing rows come from each check's boolean output over the whole frame (the
    checks ask pandera for one failure case only: building a million of them costs
    seconds). Of each kind of problem in a file the first `MAX_REPORTED` are listed,
    then one line counts the rest: a million bad rows cost one vectorised pass."""
    if frame.height == 0:
        return []
    try:
        schema.validate(frame, lazy=True)
        return []
    except SchemaErrors as err:
        errors = err.schema_errors
    out, failed = [], []
    first = frame.row(0, named=True)
    for e in errors:
        rule = e.check if isinstance(e.check, str) else getattr(e.check, "error", None)
        column = e.schema.name if isinstance(e.schema, pa.Column) else None
        output = e.check_output
        if rule is None or output is None or output.height != frame.height:
            out.append(
                Problem(
                    first["_file"],
                    f"could not be checked ({rule or e.reason_code})",
                    None,
                    column,
                    None,
                    first["_sheet"],
                )
            )
            continue
        failed.append(
            output.select(
                pl.arg_where(~pl.col(output.columns[0]).fill_null(False))
                .cast(pl.Int64)
                .alias("index")
            ).with_columns(check=pl.lit(rule), column=pl.lit(column, pl.String))
        )
    if not failed:
        return out
    group = ("_file", "_sheet", "check", "column")
    located = (
        pl.concat(failed)
        .join(
            frame.select(
                pl.int_range(pl.len(), dtype=pl.Int64).alias("index"), "_file", "_sheet", "_line"
            ),
            on="index",
            how="left",
        )
        .sort("_line", "index")
        .with_columns(rank=pl.int_range(pl.len()).over(group), total=pl.len().over(group))
        .filter(pl.col("rank") <= MAX_REPORTED)
    )
    rules = set(located["check"].to_list())
    firsts = {
        rule: frame.select(pl.col("_line").min().over(keys))["_line"]
        for rule, (_, keys) in s.dup_rules.items()
        if rule in rules
    }
    for case in located.iter_rows(named=True):
        problem, kind = _problem(case, frame.row(case["index"], named=True), s, firsts)
        out.append(
            problem
            if case["rank"] < MAX_REPORTED
            else more(problem, case["total"] - MAX_REPORTED, kind)
        )
    return out


def _problem(
    case: dict, row: dict, s: Schemas, firsts: dict[str, pl.Series]
) -> tuple[Problem, str]:
    """One failure case as a `Problem`, and the kind of problem it is."""
    rule, column = case["check"], case["column"]
    kind = rule
    if rule == "not_nullable":
        rule = kind = BLANK
        value = None
    elif column is None and rule in s.dup_rules:
        column = s.dup_rules[rule][0]
        rule = f"{rule} (first on line {firsts[rule][case['index']]})"
        value = row[column]
    elif column is None:
        column = s.frame_columns.get(rule, "")
        value = row.get(column)
    else:
        value = row[column]
    if column == "rating" and row.get("_rating_col"):
        column = row["_rating_col"]
    return Problem(row["_file"], rule, row["_line"], column, value, row["_sheet"]), kind
