"""The library entry point: evidence on disk in, complete results out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from paos._types import Evidence, Results
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


def published_rows(folder: Path, evidence: Evidence, rulebook: str | None) -> pl.DataFrame:
    """The store row of a published run: from the results.json its notebook wrote
    (`store.contract_rows`), so the run is scored once. An engagement's own notebook
    that writes none, or one that is not this engagement's results contract, is
    scored here instead."""
    try:
        contract = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        return contract_rows(contract, evidence)
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError, PaosError):
        return store_rows(score_evidence(evidence, rulebook))
