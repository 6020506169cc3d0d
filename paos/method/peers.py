"""Benchmarking an engagement against past engagements (methodology §10).

Past engagements come from the results store (`paos.method.store.read_store`): scored
with the very rulebook of the subject (same id and same sha256 of its file, so
a tailored or edited rulebook is never mixed with another), assessed on or
before the subject's date, other clients only (names compared by `paos.method.clients.client_key`:
Unicode-normalised, case, spaces, punctuation and legal forms set aside, erring
toward "same client"; a store row without a client name is never counted as
"another client"), never the subject itself.

A peer is another client, counted once: of each client's past engagements under
the subject's rulebook only the latest counts (latest `assessed_on`, then latest
run, then engagement id), so five assessments of one client are one peer, never a
"peer group of 5" whose quartiles are that client's own scores. Other clients whose
past engagements were all scored under another rulebook (or another version of
its file) are left out and counted (`left_out`, in clients).

Peer group: the most specific of same industry and stage, same industry,
same stage, whole portfolio that holds at least `min_peers` other clients
(the rulebook's `benchmark_min_peers`); under `min_peers` in the whole
portfolio the status is "insufficient benchmark data". Each figure (PAI, each
dimension) is then computed over the peers that have it: the PAI over complete
engagements only, a dimension over the engagements that scored it. A figure
with fewer than `min_peers` values (clients) shows its count only, so no aggregate
can stand for one client's score.

Percentile rank of v among N past values x (rounded to 6 decimals first):
100 * (count(x < v) + 0.5 * count(x == v)) / N. Median and quartiles are
polars `quantile(q, interpolation="linear")` (q = 0.5, 0.25, 0.75): linear
interpolation between the closest ranks, as numpy's default.

Output holds aggregates only: never another client's name, engagement id or
individual score.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from paos._types import Results
from paos.base.rulebook import Rulebook, known_rulebooks, load_rulebook
from paos.errors import PaosError, isolate
from paos.method._numbers import cmp, display
from paos.method.clients import client_key, client_key_expr

DECIMALS = 6
INSUFFICIENT = "insufficient benchmark data"
# Peer groups, most specific first: (key, the subject attributes that must match).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("industry_stage", ("industry", "stage")),
    ("industry", ("industry",)),
    ("stage", ("stage",)),
    ("portfolio", ()),
)


def _norm(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_lowercase()


def _norm_value(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _rank(x: pl.Expr, v: pl.Expr) -> pl.Expr:
    """Percentile rank of v among the non-null x (§10), on 6-decimal values."""
    x, v = cmp(x, DECIMALS), cmp(v, DECIMALS)
    return 100 * ((x < v).sum() + 0.5 * (x == v).sum()) / x.count()


def percentile_rank(value: float, values: list[float] | pl.Series) -> float:
    """Percentile rank of `value` among `values` (nulls ignored), per methodology §10.

    >>> percentile_rank(3, [1, 2, 3, 3, 4])
    60.0
    """
    x = pl.Series("x", values, dtype=pl.Float64).drop_nulls()
    if x.len() == 0:
        raise ValueError("percentile rank needs at least one value")
    return pl.DataFrame({"x": x}).select(_rank(pl.col("x"), pl.lit(float(value)))).item()


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _label(key: str | None, subject: dict, opened: bool, min_peers: int) -> str:
    # the engagement's own words inside a sentence of paos's: direction isolated
    industry = isolate((subject.get("industry") or "").strip())
    stage = isolate((subject.get("stage") or "").strip())
    if key == "industry_stage":
        return f"same industry and stage: {industry} / {stage}"
    if key in ("industry", "stage"):
        return f"same {key}: {industry if key == 'industry' else stage}"
    if key == "portfolio":
        return (
            f"whole portfolio (no industry or stage peer group holds {min_peers} other clients)"
            if opened
            else "whole portfolio"
        )
    return f"{INSUFFICIENT} (fewer than {min_peers} other clients in the portfolio)"


def peers(store_frame: pl.DataFrame, subject: dict) -> tuple[dict, pl.DataFrame]:
    """The peer group of `subject` and its peers' engagements (store rows): one row
    per other client, its latest past engagement under the subject's rulebook.

    Returns ({"key", "label", "size", "left_out"}, rows). `key` is "industry_stage",
    "industry", "stage", "portfolio", or None when the whole portfolio holds
    fewer than `min_peers` other clients (rows are then that portfolio). `size` is
    the number of clients. `left_out` counts the other clients with past
    engagements, none of them run under the subject's rulebook (id and sha256).
    The rows carry other clients' data: for computing aggregates, never for
    showing.
    """
    min_peers = _min_peers(subject)
    frame = store_frame
    if "run_at" in frame.columns:  # several runs of one engagement: the latest counts
        frame = frame.sort("run_at", nulls_last=False)
    eligible = frame.filter(
        pl.col("assessed_on") <= _date(subject["assessed_on"]),
        pl.col("engagement_id") != subject["engagement_id"],
        client_key_expr() != (client_key(subject.get("client")) or ""),
    )
    same = (pl.col("rulebook_id") == subject["rulebook_id"]) & (
        pl.col("rulebook_sha256") == subject["rulebook_sha256"]
    )
    past = eligible.filter(same).unique("engagement_id", keep="last", maintain_order=True)
    latest = ["assessed_on", *(["run_at"] if "run_at" in past.columns else []), "engagement_id"]
    past = (  # one engagement per client: its latest
        past.with_columns(_client=client_key_expr())
        .sort(latest, nulls_last=False)
        .unique("_client", keep="last", maintain_order=True)
    )
    left_out = (
        eligible.select(_client=client_key_expr())
        .filter(~pl.col("_client").is_in(past["_client"].implode()))["_client"]
        .n_unique()
    )
    past = past.drop("_client")
    wanted = {a: _norm_value(subject.get(a)) for a in ("industry", "stage")}
    past = past.with_columns(
        **{
            f"_same_{a}": (_norm(pl.col(a)) == v).fill_null(False)
            if v is not None
            else pl.lit(False)
            for a, v in wanted.items()
        }
    )
    counts = past.select(
        industry_stage=(pl.col("_same_industry") & pl.col("_same_stage")).sum(),
        industry=pl.col("_same_industry").sum(),
        stage=pl.col("_same_stage").sum(),
        portfolio=pl.len(),
    ).row(0, named=True)
    key = next((k for k, _ in GROUPS if counts[k] >= min_peers), None)
    needs = dict(GROUPS).get(key, ()) if key else ()
    rows = past.filter(*[pl.col(f"_same_{a}") for a in needs]) if needs else past
    rows = rows.drop("_same_industry", "_same_stage")
    opened = any(v is not None for v in wanted.values())
    group = {
        "key": key,
        "label": _label(key, subject, opened, min_peers),
        "size": rows.height,
        "left_out": left_out,
    }
    return group, rows


def _figures(
    values: pl.DataFrame, subject_values: dict[str, float | None], min_peers: int
) -> list[dict]:
    """Per figure (in `subject_values` order): value, percentile, median, q1, q3, n.

    `values` is long: one row per (figure, x) past value. Vectorised over figures.
    """
    subj = pl.DataFrame(
        {
            "figure": list(subject_values),
            "value": list(subject_values.values()),
            "order": range(len(subject_values)),
        },
        schema={"figure": pl.String, "value": pl.Float64, "order": pl.Int32},
    )
    x = pl.col("x")
    stats = (
        subj.join(values.drop_nulls("x"), on="figure", how="left")
        .group_by("order", "figure", "value")
        .agg(
            n=x.count(),
            rank=_rank(x, pl.col("value")),
            median=x.quantile(0.5, interpolation="linear"),
            q1=x.quantile(0.25, interpolation="linear"),
            q3=x.quantile(0.75, interpolation="linear"),
        )
        .sort("order")
    )
    enough = pl.col("n") >= min_peers
    return stats.select(
        id="figure",
        value="value",
        percentile=pl.when(enough & pl.col("value").is_not_null()).then(
            pl.col("rank").round(DECIMALS)
        ),
        **{q: pl.when(enough).then(pl.col(q).round(DECIMALS)) for q in ("median", "q1", "q3")},
        n=pl.col("n").cast(pl.Int64),
    ).to_dicts()


def benchmark(store_frame: pl.DataFrame, subject: dict) -> dict:
    """Benchmark `subject` (see `subject_from_results`) against the store's past engagements.

    Returns {"engagement_id", "rulebook", "rulebook_sha256", "min_peers",
    "peer_group": {"key", "label", "size"}, "left_out",
    "status": "ok" | "insufficient benchmark data", "pai": {...},
    "dimensions": [{...}, ...]}, each figure {"value", "percentile", "median",
    "q1", "q3", "n"} (dimensions also "id", in the subject's order). `size` and `n`
    count clients (one engagement each, see `peers`). Percentile, median and
    quartiles are None when the figure has fewer than `min_peers` values, and
    always when the status is insufficient. `left_out` counts the other clients
    whose past engagements were scored only under another rulebook or another
    version of its file.
    """
    min_peers = _min_peers(subject)
    group, rows = peers(store_frame, subject)
    left_out = group.pop("left_out")
    if group["key"] is None:
        rows = rows.clear()  # no aggregate at all below the portfolio minimum
    pai_values = rows.filter(
        pl.col("pai").is_not_null(),
        *([pl.col("status") == "complete"] if "status" in rows.columns else []),
    ).select(figure=pl.lit("pai"), x="pai")
    dim_values = (
        rows.select(pl.col("dimensions").explode())
        .drop_nulls()
        .unnest("dimensions")
        .select(figure="id", x="score")
    )
    pai = _figures(pai_values, {"pai": subject.get("pai")}, min_peers)[0]
    del pai["id"]
    return {
        "engagement_id": subject["engagement_id"],
        "rulebook": subject["rulebook_id"],
        "rulebook_sha256": subject["rulebook_sha256"],
        "min_peers": min_peers,
        "peer_group": group,
        "left_out": left_out,
        "status": "ok" if group["key"] else INSUFFICIENT,
        "pai": pai,
        "dimensions": _figures(dim_values, dict(subject.get("dimensions") or {}), min_peers),
    }


def _min_peers(subject: dict) -> int:
    if "min_peers" not in subject or "rulebook_sha256" not in subject:
        raise PaosError(
            "a benchmark subject needs its rulebook's sha256 and minimum peers: make it "
            "with subject_from_results or subject_from_row"
        )
    return int(subject["min_peers"])


def subject_from_results(results: Results, engagement_id: str | None = None) -> dict:
    """The benchmark subject of one engagement of `results` (e.g. `paos.diagnose(path)`)."""
    eng = results.engagements
    if engagement_id is None:
        if eng.height != 1:
            raise PaosError(
                f"these results hold {eng.height} engagements; name the one to benchmark"
            )
        engagement_id = eng["engagement_id"][0]
    found = eng.filter(pl.col("engagement_id") == engagement_id)
    if found.height == 0:
        raise PaosError(f"engagement {engagement_id!r} is not in these results")
    r = found.row(0, named=True)
    dims = results.dimensions.filter(pl.col("engagement_id") == engagement_id).sort(
        "dimension_order"
    )
    return {
        "engagement_id": engagement_id,
        "client": r.get("client"),
        "industry": r.get("industry"),
        "stage": r.get("stage"),
        "assessed_on": r["assessed_on"],
        "rulebook_id": results.rulebook.id,
        "rulebook_sha256": results.rulebook.sha256,
        "min_peers": results.rulebook["benchmark_min_peers"],
        "pai": r["pai"] if r.get("status", "complete") == "complete" else None,
        "dimensions": dict(zip(dims["dimension"].to_list(), dims["score"].to_list())),
    }


def subject_from_row(row: dict | pl.DataFrame, rulebook: Rulebook | None = None) -> dict:
    """The benchmark subject of one results-store row (a dict or a one-row frame).

    Its minimum peers come from the rulebook the row was scored with: `rulebook`,
    or else the bundled rulebook of the row's id if it has the row's sha256; any
    other rulebook must be passed (a custom file is never guessed)."""
    if isinstance(row, pl.DataFrame):
        if row.height != 1:
            raise PaosError(f"expected one store row, got {row.height}")
        row = row.row(0, named=True)
    if rulebook is None and row["rulebook_id"] in known_rulebooks():
        rulebook = load_rulebook(row["rulebook_id"])
    if rulebook is None or (rulebook.id, rulebook.sha256) != (
        row["rulebook_id"],
        row["rulebook_sha256"],
    ):
        raise PaosError(
            f"run {row['engagement_id']} was scored under rulebook {row['rulebook_id']} "
            f"sha256 {str(row['rulebook_sha256'])[:12]}…: pass that rulebook"
        )
    complete = row.get("status", "complete") == "complete"
    return {
        "engagement_id": row["engagement_id"],
        "client": row.get("client"),
        "industry": row.get("industry"),
        "stage": row.get("stage"),
        "assessed_on": row["assessed_on"],
        "rulebook_id": row["rulebook_id"],
        "rulebook_sha256": row["rulebook_sha256"],
        "min_peers": rulebook["benchmark_min_peers"],
        "pai": row["pai"] if complete else None,
        "dimensions": {d["id"]: d["score"] for d in row.get("dimensions") or []},
    }


def _line(name: str, f: dict) -> str:
    def num(v: float | None) -> str:
        return display(v, 1) or "-"

    pct = display(f["percentile"], 0) if f["percentile"] is not None else "-"
    spread = f"{num(f['q1'])}-{num(f['q3'])}" if f["q1"] is not None else "-"
    return f"{name:<8}{num(f['value']):>7}{pct:>12}{num(f['median']):>8}{spread:>12}{f['n']:>5}"


def benchmark_text(b: dict) -> str:
    """A readable terminal summary of a `benchmark` result (aggregates only)."""
    head = f"Benchmark of {b['engagement_id']} (rulebook {b['rulebook']})"
    group, min_peers = b["peer_group"], b["min_peers"]
    left = (
        f"Left out: {b['left_out']} other client(s) whose past engagements were scored "
        "under another rulebook or another version of this one."
    )
    if b["status"] != "ok":
        return (
            f"{head}\n{INSUFFICIENT}: {group['size']} other client(s) with a past "
            f"engagement in the portfolio under this rulebook; at least {min_peers} are "
            f"needed.\n{left}"
        )
    lines = [
        head,
        f"Peer group: {group['label']}; {group['size']} other clients (the latest "
        "engagement of each)",
        left,
        "",
        f"{'':<8}{'value':>7}{'percentile':>12}{'median':>8}{'Q1-Q3':>12}{'n':>5}",
        _line("PAI", b["pai"]),
    ]
    lines += [_line(d["id"], d) for d in b["dimensions"]]
    few = [d["id"] for d in [{"id": "PAI", **b["pai"]}, *b["dimensions"]] if d["n"] < min_peers]
    if few:
        lines += [
            "",
            f"Fewer than {min_peers} clients' scores (count shown only): {', '.join(few)}",
        ]
    return "\n".join(lines)
