"""Small builders for tests: engagements as validated frames, or as files on disk."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl

from paos import contract, load_rulebook, score
from paos._types import Evidence
from paos.evidence.schemas import validated

RB = load_rulebook("paos-v1")
# What a published report folder holds (sorted), besides paos's `.paos-report` marker.
REPORT_FILES = [
    "actions.xlsx",
    "diagnostic.ipynb",
    "executive_summary.html",
    "executive_summary.pdf",
    "executive_summary.pptx",
    "gaps.csv",
    "results.json",
]
DEFAULT_ROLE = {"strategic": "ceo", "operational": "sales", "partner": "partner"}


def evidence(
    ratings: list[tuple],
    metrics: dict[str, float] | None = None,
    eid: str = "e1",
    roles: dict[str, str] | None = None,
) -> Evidence:
    """Evidence from (stakeholder, perspective, signal, rating[, text]) tuples."""
    roles = roles or {}
    people: dict[str, str] = {}
    rows = []
    for i, r in enumerate(ratings):
        sid, persp, sig, rating = r[:4]
        text = r[4] if len(r) > 4 else None
        people[sid] = persp
        rows.append(
            {
                "engagement_id": eid,
                "stakeholder_id": sid,
                "signal_id": sig,
                "rating": rating,
                "perspective": persp,
                "role": roles.get(sid, DEFAULT_ROLE[persp]),
                "evidence": text,
                "line": i + 2,
            }
        )
    st = pl.DataFrame(
        [
            {
                "engagement_id": eid,
                "stakeholder_id": s,
                "role": roles.get(s, DEFAULT_ROLE[p]),
                "perspective": p,
            }
            for s, p in people.items()
        ],
        schema={
            "engagement_id": pl.String,
            "stakeholder_id": pl.String,
            "role": pl.String,
            "perspective": pl.String,
        },
    )
    ra = pl.DataFrame(
        rows,
        schema={
            "engagement_id": pl.String,
            "stakeholder_id": pl.String,
            "signal_id": pl.String,
            "rating": pl.Int8,
            "perspective": pl.String,
            "role": pl.String,
            "evidence": pl.String,
            "line": pl.Int32,
        },
    )
    me = pl.DataFrame(
        {
            "engagement_id": [eid] * len(metrics or {}),
            "metric_id": list((metrics or {}).keys()),
            "value": [float(v) for v in (metrics or {}).values()],
        },
        schema={"engagement_id": pl.String, "metric_id": pl.String, "value": pl.Float64},
    )
    eng = pl.DataFrame(
        {
            "engagement_id": [eid],
            "client": ["Client"],
            "assessed_on": [dt.date(2026, 1, 1)],
            "rulebook": ["paos-v1"],
            "industry": [None],
            "stage": [None],
            "baseline": [None],
        },
        schema_overrides={"industry": pl.String, "stage": pl.String, "baseline": pl.String},
    )
    return validated(Evidence(eng, st, ra, me), RB)


def run(ratings: list[tuple], metrics: dict[str, float] | None = None, rulebook=RB, **kw) -> dict:
    """The results contract of an engagement built from rating tuples."""
    return contract(score(evidence(ratings, metrics, **kw), rulebook))


def signal(c: dict, sid: str) -> dict:
    return next(s for s in c["signals"] if s["id"] == sid)


def gap(c: dict, sid: str) -> dict | None:
    return next((g for g in c["gaps"] if g["signal_id"] == sid), None)


def dimension(c: dict, did: str) -> dict:
    return next(d for d in c["dimensions"] if d["id"] == did)


def everywhere(op_ratings: list[int], signals=None) -> list[tuple]:
    """Operational ratings `op_ratings` (one stakeholder each) on every signal."""
    signals = signals or [s.id for s in RB.signals]
    return [(f"o{i}", "operational", sig, r) for sig in signals for i, r in enumerate(op_ratings)]


# --- on disk ---------------------------------------------------------------

STAKEHOLDERS = [
    ["stakeholder_id", "role", "perspective", "function", "name"],
    ["s1", "ceo", "", "", "Ana"],
    ["s2", "sales", "", "", "Ben"],
    ["s3", "partner", "", "", "Cy"],
]
RATINGS = [
    ["stakeholder_id", "signal_id", "rating", "evidence", "source"],
    ["s1", "FIT-01", "4", "We have a profile", "interview"],
    ["s2", "FIT-01", "2", "Nobody uses it", "interview"],
    ["s3", "FIT-02", "1", "No idea what type we are", "survey"],
]
METRICS = [
    ["metric_id", "value", "as_of", "source"],
    ["partner_activation_rate", "35", "2026-06-30", "crm"],
]
META = "id: acme-2026\nclient: Acme\nassessed_on: 2026-05-04\nrulebook: paos-v1\n"


def write_csv(path: Path, rows: list[list[str]], bom: bool = False) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def write_engagement(
    folder: Path, meta: str = META, stakeholders=STAKEHOLDERS, ratings=RATINGS, metrics=METRICS
) -> Path:
    """A small valid engagement folder; pass None to leave a file out."""
    folder.mkdir(parents=True, exist_ok=True)
    if meta is not None:
        (folder / "engagement.yaml").write_text(meta, encoding="utf-8")
    for name, rows in (("stakeholders", stakeholders), ("ratings", ratings), ("metrics", metrics)):
        if rows is not None:
            write_csv(folder / f"{name}.csv", rows)
    return folder
