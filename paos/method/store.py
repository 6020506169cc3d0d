"""The results store: one Parquet file per engagement run, readable without paos.

Layout: `<store>/<engagement_id>/<rulebook id>-<rulebook sha12>-<evidence sha12>.parquet`,
one row each (see `STORE_SCHEMA`). A rerun under a new rulebook version adds a
file; the same evidence under the same rulebook maps to the same file (that is
how a batch knows it can skip an engagement). Read it all with
`polars.scan_parquet("data/results/**/*.parquet")` or DuckDB's `read_parquet`.

A file in the store that is not a run file (not Parquet, truncated, other columns)
is skipped by every reader with a `StoreWarning` naming it, and a batch does not
count it as a finished run, so the next batch rewrites it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from paos._defaults import DEFAULT_STORE
from paos._files import PaosWarning, atomic_write_bytes, make_staging, remove_staging
from paos._types import Evidence, Results
from paos._version import __version__
from paos.base.text import CONTROL_PL
from paos.errors import PaosError

_SIGNAL = pl.Struct(
    {
        "id": pl.String,
        "dimension": pl.String,
        "status": pl.String,
        "score": pl.Float64,
        "strategic": pl.Float64,
        "reality": pl.Float64,
        "divergence": pl.Float64,
        "divergence_class": pl.String,
        "agreement": pl.Float64,
        "validated": pl.Boolean,
        "n_ratings": pl.Int32,
    }
)
_GAP = pl.Struct(
    {
        "signal_id": pl.String,
        "dimension": pl.String,
        "score": pl.Float64,
        "shortfall": pl.Float64,
        "severity": pl.String,
        "escalated": pl.Boolean,
        "provisional": pl.Boolean,
        "priority": pl.String,
        "phase": pl.Int8,
        "changed_in": pl.Int32,  # robustness-v1.md; null in files written before it
        "robust": pl.Boolean,
    }
)
_ROBUSTNESS = pl.Struct(
    {
        "variants": pl.Int32,
        "pai_min": pl.Float64,
        "pai_max": pl.Float64,
        "robust_gaps": pl.Int32,
        "near_gaps": pl.List(pl.String),
    }
)
_DIMENSION = pl.Struct(
    {
        "id": pl.String,
        "score": pl.Float64,
        "coverage": pl.Float64,
        "status": pl.String,
        "maturity": pl.String,
        "gap_count": pl.Int32,
    }
)
STORE_SCHEMA: pl.Schema = pl.Schema(
    {  # type: ignore[arg-type]  # polars stubs: dtype classes
        "engagement_id": pl.String,
        "client": pl.String,
        "industry": pl.String,
        "stage": pl.String,
        "assessed_on": pl.Date,
        "baseline": pl.String,
        "rulebook_id": pl.String,
        "rulebook_sha256": pl.String,
        "evidence_sha256": pl.String,
        "run_at": pl.Datetime("us", "UTC"),
        "paos_version": pl.String,
        "status": pl.String,
        "pai": pl.Float64,
        "pai_display": pl.String,
        "maturity": pl.String,
        "dimensions": pl.List(_DIMENSION),
        "signals": pl.List(_SIGNAL),
        "gaps": pl.List(_GAP),
        "robustness": _ROBUSTNESS,
    }
)
# Columns and gap fields added after the first store files: a file without them
# still reads, with nulls.
_LATER_COLUMNS = ("robustness",)
_LATER_GAP_FIELDS = ("changed_in", "robust")


def evidence_digest(files: Iterable[tuple[str, str]]) -> str:
    """The sha256 of one engagement's evidence: over its files' names and hashes, in
    name order. A batch finds an engagement's run file by it, so the store and the
    batch must use this one function."""
    h = hashlib.sha256()
    for name, sha in sorted(files):
        h.update(f"{name}\0{sha}\n".encode())
    return h.hexdigest()


def evidence_digests(files: pl.DataFrame) -> pl.DataFrame:
    """`evidence_digest` per engagement of a files frame (engagement_id, file, sha256)."""
    parts = files.partition_by("engagement_id", as_dict=True) if files.height else {}
    return pl.DataFrame(
        {
            "engagement_id": [k[0] for k in parts],
            "evidence_sha256": [
                evidence_digest(zip(g["file"].to_list(), g["sha256"].to_list()))
                for g in parts.values()
            ],
        },
        schema={"engagement_id": pl.String, "evidence_sha256": pl.String},
    )


def store_rows(results: Results, run_at: dt.datetime | None = None) -> pl.DataFrame:
    """One store row per engagement of `results` (vectorised over the portfolio)."""
    eng = "engagement_id"
    run_at = run_at or dt.datetime.now(dt.UTC)
    rb = results.rulebook
    sig = results.signals.group_by(eng, maintain_order=True).agg(
        signals=pl.struct(
            pl.col("signal_id").alias("id"),
            "dimension",
            "status",
            "score",
            "strategic",
            "reality",
            "divergence",
            "divergence_class",
            "agreement",
            "validated",
            "n_ratings",
        )
    )
    gaps = results.gaps.with_columns(
        [
            pl.lit(None, _GAP.to_schema()[f]).alias(f)
            for f in _LATER_GAP_FIELDS
            if f not in results.gaps.columns
        ]
    )
    gap = gaps.group_by(eng, maintain_order=True).agg(
        gaps=pl.struct(
            "signal_id",
            "dimension",
            "score",
            "shortfall",
            "severity",
            "escalated",
            "provisional",
            "priority",
            "phase",
            "changed_in",
            "robust",
        )
    )
    dim = results.dimensions.group_by(eng, maintain_order=True).agg(
        dimensions=pl.struct(
            pl.col("dimension").alias("id"), "score", "coverage", "status", "maturity", "gap_count"
        )
    )
    digests = (
        evidence_digests(results.files)
        if results.files is not None
        else pl.DataFrame(schema={eng: pl.String, "evidence_sha256": pl.String})
    )
    rob = (
        results.robustness.select(eng, robustness=pl.struct(*_ROBUSTNESS.to_schema()))
        if results.robustness is not None
        else pl.DataFrame(schema={eng: pl.String, "robustness": _ROBUSTNESS})
    )
    frame = (
        results.engagements.join(sig, on=eng, how="left")
        .join(rob, on=eng, how="left")
        .join(gap, on=eng, how="left")
        .join(dim, on=eng, how="left")
        .join(digests, on=eng, how="left")
        .with_columns(
            rulebook_id=pl.lit(rb.id),
            rulebook_sha256=pl.lit(rb.sha256),
            run_at=pl.lit(run_at),
            paos_version=pl.lit(__version__),
            gaps=pl.col("gaps").fill_null(pl.lit([], dtype=pl.List(_GAP))),
        )
    )
    return frame.select(
        [
            pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c)
            for c, t in STORE_SCHEMA.items()
        ]
    )


def contract_rows(
    contract: Mapping, evidence: Evidence, run_at: dt.datetime | None = None
) -> pl.DataFrame:
    """The store row of one engagement from the results contract its notebook
    computed (its results.json) and the evidence validated before the notebook ran
    (the engagement's meta data and files): the same row as `store_rows` of that
    evidence scored again, without scoring it again (issue 22). Refused (`PaosError`)
    if the contract is of another engagement than the evidence."""
    eng = "engagement_id"
    meta = evidence.engagements
    if meta.height != 1 or meta[eng][0] != contract.get(eng):
        raise PaosError(
            f"results.json is of {contract.get(eng)!r}, not of the engagement validated "
            f"({', '.join(meta[eng].to_list())})"
        )
    pick = lambda d, keys: {k: d.get(k) for k in keys}  # noqa: E731
    row = {
        **meta.row(0, named=True),
        **pick(contract, ("status", "pai", "pai_display", "maturity")),
        "rulebook_id": contract["rulebook"]["id"],
        "rulebook_sha256": contract["rulebook"]["sha256"],
        "evidence_sha256": (
            evidence_digests(evidence.files)[0, "evidence_sha256"]
            if evidence.files is not None and evidence.files.height
            else None
        ),
        "run_at": run_at or dt.datetime.now(dt.UTC),
        "paos_version": __version__,
        "dimensions": [pick(d, _DIMENSION.to_schema()) for d in contract["dimensions"]],
        "signals": [pick(x, _SIGNAL.to_schema()) for x in contract["signals"]],
        "gaps": [pick(g, _GAP.to_schema()) for g in contract["gaps"]],
        "robustness": (
            pick(contract["robustness"], _ROBUSTNESS.to_schema())
            if contract.get("robustness")
            else None
        ),
    }
    if isinstance(row["assessed_on"], str):
        row["assessed_on"] = dt.date.fromisoformat(row["assessed_on"])
    return pl.DataFrame([{c: row.get(c) for c in STORE_SCHEMA}], schema=STORE_SCHEMA)


def run_file(
    store: Path, engagement_id: str, rulebook_id: str, rulebook_sha: str, evidence_sha: str | None
) -> Path:
    """Where the run of this evidence under this rulebook lives in the store."""
    return (
        Path(store)
        / engagement_id
        / (f"{rulebook_id}-{rulebook_sha[:12]}-{(evidence_sha or 'unknown')[:12]}.parquet")
    )


_WRITERS = 8  # threads writing run files (see write_runs)
_QUEUED = 64  # encoded files waiting for them, at most


def write_runs(rows: pl.DataFrame, store: str | Path = DEFAULT_STORE) -> list[Path]:
    """Write each row as its own Parquet file, atomically (each is written in full in a
    staging folder of this process in the store, then renamed into place); returns
    the paths."""
    if rows.height == 0:
        return []
    work = make_staging(Path(store), "paos-write")
    # The files are encoded here and written by a few threads: each write waits for
    # its fsync, and waits on several threads overlap (the file system commits them
    # together): 1,000 one-row files took 1.1-4.6 ms each written one after the other,
    # 0.2-0.8 ms on 8 threads (issue 22, scores-only). At most `_QUEUED` encoded files
    # wait for a thread, so memory stays bounded however many rows there are.
    pool = ThreadPoolExecutor(_WRITERS, thread_name_prefix="paos-write")
    try:
        pending: list[Future[Path]] = []
        for row in rows.iter_slices(1):
            r = row.row(0, named=True)
            path = run_file(
                Path(store),
                r["engagement_id"],
                r["rulebook_id"],
                r["rulebook_sha256"],
                r["evidence_sha256"],
            )
            buf = io.BytesIO()
            row.write_parquet(buf)
            if len(pending) >= _QUEUED:
                pending[-_QUEUED].result()  # raises the first failure, if any
            pending.append(pool.submit(atomic_write_bytes, path, buf.getvalue(), work))
        return [done.result() for done in pending]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        remove_staging(work)


class StoreWarning(PaosWarning):
    """A file in the results store that is not a readable run file, skipped."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(
            f"{path}: {reason}; skipped (move it out of the store, or run "
            "`paos batch` again to rewrite it)"
        )


def _problem(path: Path, schema: Mapping[str, pl.DataType]) -> str | None:
    """Why a run file with this schema cannot be read as a store row, if it cannot."""
    missing = [c for c in STORE_SCHEMA if c not in schema and c not in _LATER_COLUMNS]
    if missing:
        return (
            f"not a results-store run file (no column {', '.join(missing[:3])}"
            + (", ..." if len(missing) > 3 else "")
            + ")"
        )
    return None


def _upgrade(frame: pl.DataFrame) -> pl.DataFrame:
    """A run file of an earlier store version with the columns and gap fields added
    since (null): robustness-v1.md came after the first store files."""
    frame = frame.with_columns(
        [pl.lit(None, STORE_SCHEMA[c]).alias(c) for c in _LATER_COLUMNS if c not in frame.columns]
    )
    gap = frame.schema["gaps"]
    inner = gap.inner if isinstance(gap, pl.List) else None
    if isinstance(inner, pl.Struct):
        have = {f.name for f in inner.fields}
        add = [f for f in _LATER_GAP_FIELDS if f not in have]
        if add:
            types = _GAP.to_schema()
            frame = frame.with_columns(
                pl.col("gaps").list.eval(
                    pl.element().struct.with_fields([pl.lit(None, types[f]).alias(f) for f in add])
                )
            )
    return frame


def readable_run(path: Path) -> bool:
    """Whether `path` is a run file a reader can use (its Parquet footer reads and it
    has the store's columns): a batch counts only such a file as a finished run."""
    try:
        return _problem(path, pl.read_parquet_schema(path)) is None
    except (Exception, pl.exceptions.PanicException):  # noqa: BLE001 - any unreadable file
        return False


def _read_run(path: Path) -> pl.DataFrame | None:
    """One run file with the store schema, or None with a `StoreWarning` naming it."""
    try:
        frame = pl.read_parquet(path)
    except (Exception, pl.exceptions.PanicException) as exc:  # noqa: BLE001
        reason = (
            "not a readable Parquet file"
            if not isinstance(exc, OSError)
            else f"not readable ({exc.strerror or exc})"
        )
        warnings.warn(StoreWarning(path, reason), stacklevel=3)
        return None
    problem = _problem(path, frame.schema)
    if problem is None:
        try:
            return _upgrade(frame).select([pl.col(c).cast(t) for c, t in STORE_SCHEMA.items()])
        except (Exception, pl.exceptions.PanicException):  # noqa: BLE001
            problem = "not a results-store run file (columns of other types)"
    warnings.warn(StoreWarning(path, problem), stacklevel=3)
    return None


def read_store(store: str | Path = DEFAULT_STORE, latest: bool = True) -> pl.DataFrame:
    """Every run in the store (by default only the latest run of each engagement
    under each rulebook id); an empty frame with the store schema if none. A file
    that is not a readable run file is skipped with a `StoreWarning` naming it."""
    frames = [f for f in map(_read_run, sorted(Path(store).glob("*/*.parquet"))) if f is not None]
    if not frames:
        return pl.DataFrame(schema=STORE_SCHEMA)
    frame = pl.concat(frames, how="vertical_relaxed")
    if latest:
        frame = (
            frame.sort("run_at")
            .group_by("engagement_id", "rulebook_id", maintain_order=True)
            .last()
        )
    return _inert(frame.select(list(STORE_SCHEMA)).sort("assessed_on", "engagement_id"))


def _inert(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every character intake now refuses in text (a control character,
    U+FFFE or U+FFFF, which XML cannot hold) shown as U+FFFD: a store written before
    intake refused them still renders. One such character in a stored industry once
    killed the portfolio report's kernel for the whole portfolio."""
    return frame.with_columns(pl.col(pl.String).str.replace_all(CONTROL_PL, "\ufffd"))


def contract_from_row(row: dict, rulebook) -> dict:
    """A store row shaped like the results contract (the fields a comparison
    needs: status, PAI, dimensions, signal statuses, gaps)."""
    names = {d.id: d.name for d in rulebook.dimensions}
    return {
        "engagement_id": row["engagement_id"],
        "rulebook": {"id": row["rulebook_id"], "sha256": row["rulebook_sha256"]},
        "status": row["status"],
        "pai": row["pai"],
        "pai_display": row["pai_display"],
        "maturity": row["maturity"],
        "dimensions": [{**d, "name": names.get(d["id"], d["id"])} for d in row["dimensions"]],
        "signals": row["signals"],
        "gaps": row["gaps"],
        "robustness": row.get("robustness"),
    }


def find_run(store: str | Path, engagement_id: str, rulebook_id: str) -> dict | None:
    """The latest stored run of an engagement under a rulebook id, or None (unreadable
    files skipped with a `StoreWarning`)."""
    files = sorted(Path(store).glob(f"{engagement_id}/{rulebook_id}-*.parquet"))
    frames = [f for f in map(_read_run, files) if f is not None]
    if not frames:
        return None
    frame = pl.concat(frames, how="vertical_relaxed")
    return frame.sort("run_at").row(-1, named=True)
