"""Wide to long: a ratings table with one row per stakeholder and one column per
signal, split into long ratings and the stakeholders it carries."""

from __future__ import annotations

import polars as pl

from paos.base.tables import Table
from paos.errors import Problem
from paos.evidence.intake import SIGNAL_LIKE, WIDE_EVIDENCE

PERSON_COLUMNS = ("stakeholder_id", "role", "perspective", "function", "name")


def wide_to_long(
    table: Table, signal_ids: list[str], stakeholders: bool = False
) -> tuple[Table, Table, list[Problem]]:
    """Split a wide ratings table (one row per stakeholder, one column per signal)
    into a long ratings table and the stakeholders it carries. Every long row keeps
    its line and the name of the column its rating came from (`_rating_col`).

    A wide table holds the stakeholder columns (`stakeholder_id`, `role` and the
    optional `perspective`, `function`, `name`), one column per signal id and
    `<signal id>_evidence` columns; any other column is refused, and so is an evidence
    column without its signal's column (its quotes would have no rating row). When a
    stakeholders table is given too (`stakeholders`), the people are read from it,
    so the wide table's person columns but `stakeholder_id` are refused."""
    problems: list[Problem] = []
    canon = {s.lower(): s for s in signal_ids}
    signal_cols: dict[str, str] = {}
    for h in table.header:
        evidence = WIDE_EVIDENCE.match(h)
        if h in canon:
            signal_cols[canon[h]] = h
        elif h in PERSON_COLUMNS:
            if stakeholders and h != "stakeholder_id":
                problems.append(
                    table.problem(
                        "is a stakeholder column, but the stakeholders table is given too; keep "
                        "each stakeholder's details in one place",
                        1,
                        h,
                    )
                )
        elif evidence and evidence.group(1).lower() in canon:
            if evidence.group(1).lower() not in table.header:
                problems.append(
                    table.problem(
                        f"holds evidence for {canon[evidence.group(1).lower()]}, which has no "
                        "rating column; add that column (a blank rating is allowed)",
                        1,
                        h,
                    )
                )
        elif SIGNAL_LIKE.match(h) or evidence:
            problems.append(table.problem("is not a known signal id (column header)", 1, h, h))
        else:
            problems.append(
                table.problem(
                    "is not a known column of wide ratings (known: stakeholder_id, role, "
                    "perspective, function, name, a column per signal id, <signal id>_evidence)",
                    1,
                    h,
                )
            )
    f = table.frame
    parts = []
    for sid, col in signal_cols.items():
        ev = f"{col}_evidence"
        parts.append(
            f.select(
                "stakeholder_id"
                if "stakeholder_id" in f.columns
                else pl.lit(None, pl.String).alias("stakeholder_id"),
                pl.lit(sid).alias("signal_id"),
                pl.col(col).alias("rating"),
                (pl.col(ev) if ev in f.columns else pl.lit(None, pl.String)).alias("evidence"),
                pl.lit(None, pl.String).alias("source"),
                "_line",
                pl.lit(col.upper()).alias("_rating_col"),
            )
        )
    long = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={
                "stakeholder_id": pl.String,
                "signal_id": pl.String,
                "rating": pl.String,
                "evidence": pl.String,
                "source": pl.String,
                "_line": pl.Int32,
                "_rating_col": pl.String,
            }
        )
    )
    people = f.select(
        [c for c in ("stakeholder_id", "role", "perspective", "function", "name") if c in f.columns]
        + ["_line"]
    )
    header = ["stakeholder_id", "signal_id", "rating", "evidence", "source"]
    return (
        Table(table.file, table.sheet, long, header),
        Table(table.file, table.sheet, people, [c for c in people.columns if c != "_line"]),
        problems,
    )
