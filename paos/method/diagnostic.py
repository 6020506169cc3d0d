"""The library entry point: evidence on disk in, complete results out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from paos._types import Evidence, Results
from paos.base.files import read_file
from paos.base.rulebook import Rulebook, load_rulebook
from paos.errors import PaosError
from paos.evidence.validate import load_evidence
from paos.method.engine import score
from paos.method.robustness import robustness
from paos.method.store import contract_rows, store_rows


def diagnose(
    sources: str | Path | Iterable[str | Path], rulebook: str | Path | Rulebook | None = None
) -> Results:
    """Read, validate and score one or more engagements.

    `rulebook` overrides the version the engagements name (an id such as
    `paos-v1`, a path to a rulebook file, or a loaded `Rulebook`); without it
    every engagement is scored under the rulebook its engagement.yaml names,
    which must then be the same for all.

    >>> results = diagnose("data/engagements/northwind-2026-09")
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    book = (
        rulebook if isinstance(rulebook, Rulebook) or rulebook is None else load_rulebook(rulebook)
    )
    return score_evidence(load_evidence(sources, book), book)


def score_evidence(evidence: Evidence, rulebook: str | Path | Rulebook | None = None) -> Results:
    """Score evidence already validated, under `rulebook` or else the one its
    engagements name (which must then be the same for all), with the robustness
    of the findings (robustness-v1.md)."""
    book = (
        rulebook if isinstance(rulebook, Rulebook) or rulebook is None else load_rulebook(rulebook)
    )
    if book is None:
        named = evidence.engagements["rulebook"].unique().sort().to_list()
        if len(named) > 1:
            raise PaosError(
                "these engagements name different rulebooks "
                f"({', '.join(named)}); score them separately or pass one rulebook"
            )
        book = load_rulebook(named[0])
    return robustness(evidence, book, score(evidence, book))


# A results.json is a few hundred KiB at most (24 signals and their quoted evidence).
MAX_RESULTS_BYTES = 16 << 20


def published_rows(
    folder: Path, evidence: Evidence, rulebook: str | Path | Rulebook | None
) -> pl.DataFrame:
    """The store row of a published run: from the results.json its notebook wrote
    (`store.contract_rows`), so the run is scored once, when that file is this
    engagement's results under the rulebook the evidence was validated with (its id
    and sha256, every signal and dimension of it, every figure finite and on the
    rating scale, every severity its own). Anything else (no file, a file too large,
    not JSON, another engagement, another rulebook, a contract the notebook's own code
    changed out of shape) is scored here instead: the store never holds a row the
    rulebook could not have given, and never a path taken from the file."""
    book = (
        rulebook
        if isinstance(rulebook, Rulebook)
        else load_rulebook(rulebook or evidence.engagements["rulebook"][0])
    )
    try:
        data = read_file(folder / "results.json", "results.json", MAX_RESULTS_BYTES)
        row = contract_rows(json.loads(data), evidence)
        if _consistent(row, book):
            return row
    except Exception:  # noqa: BLE001 - whatever the notebook wrote, the rulebook scores
        pass
    return store_rows(score_evidence(evidence, book))


def _consistent(row: pl.DataFrame, book: Rulebook) -> bool:
    """Whether a store row read from a notebook's results.json is one the rulebook
    `book` could have given (the shape and ranges of the contract, not its numbers)."""
    r = row.row(0, named=True)
    low, high = book["rating_scale"]["min"], book["rating_scale"]["max"]

    def on_scale(x: object) -> bool:
        return x is None or (isinstance(x, float | int) and low <= x <= high)

    dims = [d["id"] for d in r["dimensions"] or []]
    sigs = [x["signal_id"] if "signal_id" in x else x.get("id") for x in r["signals"] or []]
    known = {s.id for s in book.signals}
    severity = {b["name"] for b in book["severity"]}
    priority = {p["priority"] for p in book["priority"]}
    phase = {p["phase"] for p in book["phases"]}
    return (
        r["rulebook_id"] == book.id
        and r["rulebook_sha256"] == book.sha256
        and dims == [d.id for d in book.dimensions]
        and sigs == [s.id for s in book.signals]
        and on_scale(r["pai"])
        and all(on_scale(d["score"]) for d in r["dimensions"])
        and all(on_scale(x.get(k)) for x in r["signals"] for k in ("score", "strategic", "reality"))
        and all(
            g["signal_id"] in known
            and g["severity"] in severity
            and g["priority"] in priority
            and g["phase"] in phase
            and on_scale(g["score"])
            for g in r["gaps"] or []
        )
    )
