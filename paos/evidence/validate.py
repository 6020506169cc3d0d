"""Stage 2: validate raw engagement tables with pandera and turn them into the
typed, validated frames the engine scores.

Every table is checked lazily so that every problem is collected; pandera's
failure cases are translated into analyst language (file, line, column,
value, rule). Only evidence without a single problem becomes `Evidence`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from paos._defaults import ID_PATTERN
from paos._types import Evidence
from paos.base.limits import MAX_REPORTED
from paos.base.problems import cascade, listed, more
from paos.base.rulebook import DEFAULT_RULEBOOK, Rulebook, known_rulebooks, load_rulebook
from paos.base.tables import Table
from paos.base.text import unsafe_char, unsafe_text
from paos.base.workbook import is_workbook
from paos.errors import EvidenceError, FaultError, Problem
from paos.evidence.intake import SIGNAL_LIKE, WIDE_EVIDENCE, RawEngagement, read_engagement
from paos.evidence.schemas import EMPTY_METRICS, validated
from paos.evidence.table_rules import BLANK, Schemas, clean, run_schema
from paos.evidence.wide import wide_to_long

COLUMNS = {  # required, optional
    "stakeholders": (["stakeholder_id", "role"], ["perspective", "function", "name"]),
    "ratings": (["stakeholder_id", "signal_id", "rating", "evidence"], ["source"]),
    "metrics": (["metric_id", "value"], ["as_of", "source"]),
}
META_REQUIRED = ("id", "client", "assessed_on")
META_OPTIONAL = ("industry", "stage", "analyst", "rulebook", "baseline")
META_KNOWN = (*META_REQUIRED, *META_OPTIONAL)
# Values that become labels, file names or chart text: no bidirectional control either.
LABEL_KEYS = ("id", "baseline", "industry", "stage")
LABEL_COLUMNS = ("stakeholder_id", "role", "perspective")


def _columns(table: Table, name: str) -> list[Problem]:
    """A required column missing, or a column the format does not know (its cells
    would be dropped), each one problem on the header line."""
    required, optional = COLUMNS[name]
    known = f"is not a known column of {name} (known: {', '.join([*required, *optional])})"
    return [
        table.problem("required column is missing", 1, c) for c in required if c not in table.header
    ] + [
        table.problem(known, 1, c) for c in table.header if c not in required and c not in optional
    ]


def _with_optional(table: Table, name: str, src: int) -> pl.DataFrame:
    """The table's frame with every optional column and its provenance columns."""
    _, optional = COLUMNS[name]
    missing = [pl.lit(None, pl.String).alias(c) for c in optional if c not in table.frame.columns]
    keep = [
        c
        for c in (*COLUMNS[name][0], *optional, "_line", "_rating_col")
        if c in table.frame.columns
    ]
    return table.frame.select(
        *keep,
        *missing,
        _src=pl.lit(src, pl.Int32),
        _file=pl.lit(table.file),
        _sheet=pl.lit(table.sheet, pl.String),
    )


def _meta(
    raw: RawEngagement,
    problems: list[Problem],
    refusals: set[Problem],
    rulebook: Rulebook | None = None,
) -> dict:
    """The engagement's meta data, checked: every key known, every value free of
    control characters, the required ones there, id, date and rulebook valid (any id
    when `rulebook` is given: it is scored under that one, e.g. a custom rulebook
    file the engagement names by id). A value refused for its characters (into
    `refusals`) is not reported again."""
    where: dict[str, Any] = {"file": raw.meta_file, "sheet": raw.meta_sheet}
    meta = {k: raw.meta.get(k) for k in (*META_REQUIRED, *META_OPTIONAL)}
    line = lambda k: raw.meta_lines.get(k)  # noqa: E731
    for key, value in raw.meta.items():
        if key not in META_KNOWN:
            rule = (
                f"is not a known key (known: {', '.join(META_KNOWN)})"
                if key
                else "has a value but no key"
            )
            problems.append(
                Problem(
                    rule=rule,
                    line=line(key),
                    column=key or None,
                    value=None if key else value,
                    **where,
                )
            )
        elif isinstance(value, str) and (unsafe := unsafe_text(value, key in LABEL_KEYS)):
            refusals.add(Problem(rule=unsafe, line=line(key), column=key, value=value, **where))
    refused = {
        (p.line, p.column)
        for p in raw.problems
        if p.file == raw.meta_file and p.sheet == raw.meta_sheet
    }
    for key in META_REQUIRED if not raw.meta_unread else ():
        if meta[key] is None and (line(key), key) not in refused:
            rule = "required key is missing" if key not in raw.meta else BLANK
            problems.append(Problem(rule=rule, line=line(key), column=key, **where))
    for key in ("id", "baseline"):
        if meta[key] is not None and not re.fullmatch(ID_PATTERN, str(meta[key]).strip()):
            problems.append(
                Problem(
                    rule="is not a valid engagement id (1-64 letters, digits, "
                    "'.', '_' or '-', starting with a letter or digit)",
                    line=line(key),
                    column=key,
                    value=meta[key],
                    **where,
                )
            )
    if meta["assessed_on"] is not None:
        try:
            meta["assessed_on"] = dt.date.fromisoformat(str(meta["assessed_on"]).strip())
        except ValueError:
            problems.append(
                Problem(
                    rule="is not an ISO date (YYYY-MM-DD)",
                    line=line("assessed_on"),
                    column="assessed_on",
                    value=meta["assessed_on"],
                    **where,
                )
            )
    book = str(meta["rulebook"] or DEFAULT_RULEBOOK).strip()
    if book not in known_rulebooks() and rulebook is None:
        problems.append(
            Problem(
                rule="is not a known rulebook version (known: "
                + ", ".join(known_rulebooks())
                + "; for a custom rulebook pass --rulebook PATH)",
                line=line("rulebook"),
                column="rulebook",
                value=book,
                **where,
            )
        )
    meta["rulebook"] = book
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in meta.items()}


def _tables(
    i: int, raw: RawEngagement, s: Schemas, problems: list[Problem]
) -> dict[str, pl.DataFrame]:
    """One engagement's tables with provenance, after the layout and column checks."""
    tables = dict(raw.tables)
    ratings = tables.get("ratings")
    if (
        ratings is not None
        and "signal_id" not in ratings.header
        and any(SIGNAL_LIKE.match(h) or WIDE_EVIDENCE.match(h) for h in ratings.header)
    ):
        long, people, wide_problems = wide_to_long(ratings, s.sig_ids, "stakeholders" in tables)
        problems += wide_problems
        problems += [
            ratings.problem("required column is missing", 1, c)
            for c in ("stakeholder_id", "role")
            if c not in ratings.header and not (c == "role" and "stakeholders" in tables)
        ]
        tables["ratings"] = long
        tables.setdefault("stakeholders", people)
    workbook = is_workbook(raw.source)
    for name in ("stakeholders", "ratings"):
        label = str(raw.source) if workbook else str(raw.source / f"{name}.csv")
        if name not in tables and not any(p.file == label for p in problems):
            problems.append(
                Problem(
                    label,
                    f"required sheet is missing ({name})"
                    if workbook
                    else "required file is missing",
                )
            )
    frames = {}
    for name in ("stakeholders", "ratings", "metrics"):
        table = tables.get(name)
        if table is not None:
            missing = _columns(table, name)
            problems += missing
            if not missing:
                frames[name] = _with_optional(table, name, i)
    return frames


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame | None:
    return pl.concat(frames, how="diagonal_relaxed") if frames else None


def check_engagements(
    raws: list[RawEngagement], rulebook: Rulebook | None = None
) -> tuple[Evidence | None, list[list[Problem]]]:
    """Validate many raw engagements at once: one pandera pass per table over the
    whole portfolio. Returns the evidence of the engagements without any problem
    (None if there is none) and, for every raw engagement, its problems."""
    problems: list[list[Problem]] = [list(r.problems) for r in raws]
    refusals: list[set[Problem]] = [set(r.cell_refusals) for r in raws]
    metas: dict[int, dict] = {}
    groups: dict[str, list[int]] = {}
    known = set(known_rulebooks())
    for i, raw in enumerate(raws):
        if raw.unreadable:
            continue
        metas[i] = _meta(raw, problems[i], refusals[i], rulebook)
        for table in raw.tables.values():
            refusals[i].update(_unsafe_cells(table))
        book = rulebook.id if rulebook else metas[i]["rulebook"]
        if book in known or rulebook:
            groups.setdefault(book, []).append(i)
    ids = [metas[i].get("id") if i in metas else None for i in range(len(raws))]
    for i, problem in duplicate_ids(raws, ids).items():
        problems[i].append(problem)
    parts = []
    for book_id, members in groups.items():
        book = rulebook or load_rulebook(book_id)
        ev = _check_group(members, raws, metas, book, problems)
        if ev is not None:
            parts.append(ev)
    for i, found in enumerate(problems):
        new = refusals[i] - set(raws[i].cell_refusals)
        problems[i] = cascade([*found, *sorted(new, key=Problem.sort_key)], refusals[i])
    return (concat_evidence(parts) if parts else None), [_capped(ps) for ps in problems]


def _unsafe_cells(table: Table) -> list[Problem]:
    """Every cell of a table holding a character `unsafe_char` refuses (as one line in
    a column that becomes a label, else as free text): the first `MAX_REPORTED` of the
    file, then one line counting the rest. A clean table (the common case) costs one
    search of its cells joined (a free-text refusal cannot arise from joining) and the
    one-line rule applied once to each distinct label that is not printable ASCII; only
    a table with a hit is searched cell by cell to name them. In Python, with the rule
    itself: a polars query per table cost 0.2 ms, four times this (issue 22)."""
    f = table.frame
    columns = {c: f.get_column(c).to_list() for c in table.header}
    bad_labels = [
        v
        for c in table.header
        if c in LABEL_COLUMNS
        for v in set(columns[c])
        if v is not None and not (v.isascii() and v.isprintable()) and unsafe_char(v, line=True)
    ]
    joined = "".join([v for c in table.header for v in columns[c] if v is not None])
    if not bad_labels and unsafe_char(joined) is None:
        return []
    lines = f.get_column("_line").to_list()
    found = [
        (line, c, v, rule)
        for c in table.header
        for line, v in zip(lines, columns[c], strict=True)
        if v is not None and (rule := unsafe_text(v, c in LABEL_COLUMNS))
    ]
    found.sort(key=lambda hit: hit[0])  # stable: a line's cells in column order
    out = [table.problem(rule, line, c, v) for line, c, v, rule in found[: MAX_REPORTED + 1]]
    if len(found) > MAX_REPORTED:
        out[-1] = more(out[-1], len(found) - MAX_REPORTED, "a control character")
    return out


def _capped(problems: list[Problem]) -> list[Problem]:
    """At most `MAX_REPORTED` problems of one kind (same file and rule, numbers aside)
    listed, then one line counting the rest, whatever produced them."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.file, p.sheet, re.sub(r"\d+", "#", p.rule)), []).append(p)
    if all(len(g) <= MAX_REPORTED for g in groups.values()):
        return problems
    out: list[Problem] = []
    for group in groups.values():
        group.sort(key=Problem.sort_key)
        out += listed(group, group[min(MAX_REPORTED, len(group) - 1)].rule)
    return out


def _check_group(
    members: list[int],
    raws: list[RawEngagement],
    metas: dict[int, dict],
    rulebook: Rulebook,
    problems: list[list[Problem]],
) -> Evidence | None:
    s = Schemas(rulebook)
    found: dict[str, list[pl.DataFrame]] = {"stakeholders": [], "ratings": [], "metrics": []}
    complete = set()
    rating_files: dict[int, tuple[str, str | None]] = {}
    for i in members:
        frames = _tables(i, raws[i], s, problems[i])
        for name, frame in frames.items():
            found[name].append(frame)
        if "ratings" in frames:
            table = raws[i].tables["ratings"]
            rating_files[i] = (table.file, table.sheet)
        if "ratings" in frames and "stakeholders" in frames:
            complete.add(i)
    st, ra, me = (_concat(found[n]) for n in ("stakeholders", "ratings", "metrics"))
    located: list[Problem] = []
    if st is not None:
        st = st.with_columns(_sid=clean("stakeholder_id"))
        located += run_schema(s.stakeholders, st, s)
    if ra is not None:
        known = (
            st.select("_src", "_sid").unique().with_columns(_known=pl.lit(True))
            if st is not None
            else pl.DataFrame(schema={"_src": pl.Int32, "_sid": pl.String, "_known": pl.Boolean})
        )
        ra = (
            ra.with_columns(
                _sid=clean("stakeholder_id"), _sig=clean("signal_id").str.to_uppercase()
            )
            .join(known, on=["_src", "_sid"], how="left")
            .with_columns(
                pl.col("_known").fill_null(False) | ~pl.col("_src").is_in(sorted(complete))
            )
        )
        located += run_schema(s.ratings, ra, s)
        with_metrics = set(me["_src"].unique().to_list()) if me is not None else set()
        rated = dict(ra.group_by("_src").agg(pl.col("rating").is_not_null().sum()).iter_rows())
        for i, (f, sh) in rating_files.items():
            if rated.get(i, 0) == 0 and i not in with_metrics:
                problems[i].append(
                    Problem(
                        f,
                        "holds no rating at all: every rating is blank or there are no rows",
                        None,
                        "rating",
                        None,
                        sh,
                    )
                )
    if me is not None:
        me = me.with_columns(_mid=clean("metric_id").str.to_lowercase())
        located += run_schema(s.metrics, me, s)
    by_file = {}
    for i in members:
        for f in {t.file for t in raws[i].tables.values()}:
            by_file[f] = i
    for p in located:
        problems[by_file[p.file]].append(p)
    ok = [i for i in sorted(complete) if not problems[i]]
    if not ok:
        return None
    assert st is not None and ra is not None  # each of `ok` is complete: it has both tables
    return _typed(ok, metas, raws, st, ra, me, rulebook)


def duplicate_ids(raws: list[RawEngagement], ids: list[str | None]) -> dict[int, Problem]:
    """The engagements (by index) whose id another one uses too, each with its problem.
    Ids name report folders and store files, so every engagement sharing one is
    refused, in a portfolio as in a batch."""
    owners: dict[str, list[int]] = {}
    for i, eid in enumerate(ids):
        if eid:
            owners.setdefault(eid, []).append(i)
    out = {}
    for eid, idx in owners.items():
        for i in idx if len(idx) > 1 else []:
            others = [str(raws[j].source) for j in idx if j != i]
            shown = ", ".join(others[:3]) + (
                f" and {len(others) - 3} more" if len(others) > 3 else ""
            )
            out[i] = Problem(
                raws[i].meta_file,
                f"engagement id is used by another engagement too ({shown})",
                raws[i].meta_lines.get("id"),
                "id",
                eid,
                raws[i].meta_sheet,
            )
    return out


def _typed(
    ok: list[int],
    metas: dict[int, dict],
    raws: list[RawEngagement],
    st: pl.DataFrame,
    ra: pl.DataFrame,
    me: pl.DataFrame | None,
    rulebook: Rulebook,
) -> Evidence:
    """Typed, validated frames of the engagements `ok` (source indexes)."""
    ids = pl.DataFrame(
        {"_src": ok, "engagement_id": [metas[i]["id"] for i in ok]},
        schema={"_src": pl.Int32, "engagement_id": pl.String},
    )
    roles = rulebook.role_perspectives
    people = st.join(ids, on="_src", how="inner").select(
        "engagement_id",
        pl.col("_sid").alias("stakeholder_id"),
        clean("role").str.to_lowercase().alias("role"),
        pl.coalesce(
            clean("perspective").str.to_lowercase(),
            clean("role").str.to_lowercase().replace_strict(roles, default=None),
        ).alias("perspective"),
        "function",
        "name",
    )
    ratings = (
        ra.join(ids, on="_src", how="inner")
        .select(
            "engagement_id",
            pl.col("_sid").alias("stakeholder_id"),
            pl.col("_sig").alias("signal_id"),
            clean("rating").cast(pl.Float64).cast(pl.Int8).alias("rating"),
            "evidence",
            clean("source").str.to_lowercase().alias("source"),
            pl.col("_line").alias("line"),
        )
        .join(
            people.select("engagement_id", "stakeholder_id", "role", "perspective"),
            on=["engagement_id", "stakeholder_id"],
            how="left",
        )
    )
    metrics = (
        me.join(ids, on="_src", how="inner").select(
            "engagement_id",
            pl.col("_mid").alias("metric_id"),
            clean("value").cast(pl.Float64).alias("value"),
            "as_of",
            "source",
            pl.col("_line").alias("line"),
        )
        if me is not None
        else pl.DataFrame(schema=EMPTY_METRICS)
    )
    eng = pl.DataFrame(
        [
            {
                "engagement_id": metas[i]["id"],
                **{k: v for k, v in metas[i].items() if k != "id"},
                "source": str(raws[i].source),
            }
            for i in ok
        ],
        schema={
            "engagement_id": pl.String,
            "client": pl.String,
            "assessed_on": pl.Date,
            "industry": pl.String,
            "stage": pl.String,
            "analyst": pl.String,
            "rulebook": pl.String,
            "baseline": pl.String,
            "source": pl.String,
        },
    )
    files = pl.DataFrame(
        [
            {"engagement_id": metas[i]["id"], "file": f, "sha256": h}
            for i in ok
            for f, h in raws[i].files
        ],
        schema={"engagement_id": pl.String, "file": pl.String, "sha256": pl.String},
    )
    # every value passed the table rules above: the typed frames' columns and types
    return validated(Evidence(eng, people, ratings, metrics, files), rulebook, values=False)


def load_evidence(
    sources: Iterable[str | Path],
    rulebook: Rulebook | None = None,
    raws: list[RawEngagement] | None = None,
) -> Evidence:
    """Read and validate one or more engagements; raises `EvidenceError` listing
    every problem of every engagement if any is refused, or `FaultError` (with the
    same lines) if a file could not be read because of the environment. `raws`:
    the sources already read (one each, in order), not read again."""
    sources = list(sources)
    raws = raws if raws is not None else [read_engagement(s) for s in sources]
    ev, problems = check_engagements(raws, rulebook)
    flat = [p for ps in problems for p in ps]
    if any(raw.faults for raw in raws):  # the environment, not the evidence
        raise FaultError("\n".join(str(p) for p in sorted(set(flat), key=Problem.sort_key)))
    if flat:
        raise EvidenceError(flat)
    if ev is None:
        raise EvidenceError([Problem(str(s), "holds no engagement") for s in sources])
    return ev


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
