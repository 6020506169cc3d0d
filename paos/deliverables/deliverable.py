"""What a deliverable shows, as one object: `Deliverable` (one engagement's results
ready to be shown, gathered by `paos.deliverables.report.deliverable`) and the
rulebook's orders its sections follow (severities, maturities, phases, priorities)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from paos._types import Evidence, Results
from paos.base.rulebook import Rulebook
from paos.method.figures import Figures


@dataclass
class Deliverable:
    """One engagement's results, ready to be shown."""

    contract: dict
    results: Results
    rulebook: Rulebook
    meta: dict
    files: list[dict]
    run_date: str
    names: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    benchmark: dict | None = None  # aggregates against past engagements (a store given)
    reassessment: dict | None = None  # comparison with the baseline diagnostic
    reassessment_note: str = ""  # why there is no comparison although a baseline is named
    drawings: dict = field(default_factory=dict)  # chart name -> its SVG to come (a Future)
    evidence: Evidence | None = None  # the validated evidence (for `without_one`)
    # The analyst's commentary (issue 18), by placement: "summary", or
    # "dimension:<id>" for a dimension's block: safe HTML. Templates show it, marked as
    # the analyst's, apart from the rule-derived findings; empty, nothing is shown.
    commentary: dict[str, list[str]] = field(default_factory=dict)
    base: Path = field(default_factory=Path.cwd)  # relative paths start here: the notebook's folder

    @cached_property
    def figures(self) -> Figures:
        """How each kind of figure is written (`paos.method.figures`)."""
        return Figures(self.rulebook)

    @property
    def engagement_id(self) -> str:
        return self.contract["engagement_id"]

    def tier(self, dimension: str) -> int:
        return next(d.tier for d in self.rulebook.dimensions if d.id == dimension)

    def signal(self, sid: str) -> dict:
        return next(s for s in self.contract["signals"] if s["id"] == sid)

    @property
    def scale(self) -> tuple[int, int]:
        """The rating scale's ends, e.g. (1, 4)."""
        return scale_of(self.rulebook)

    def score(self, value: float | None) -> str:
        """A dimension score or the PAI as the rulebook shows it (display_decimals)."""
        return self.figures.score(value)

    def fine(self, value: float | None) -> str:
        """A signal-level mean, shown with one decimal more than a score."""
        return self.figures.mean(value)

    def thresholds(self) -> dict[str, list[float]]:
        """Each dimension's signal thresholds, in catalogue order."""
        return {dim.id: [s.threshold for s in dim.signals] for dim in self.rulebook.dimensions}


def scale_of(rb: Rulebook) -> tuple[int, int]:
    return rb["rating_scale"]["min"], rb["rating_scale"]["max"]


def severities(rb: Rulebook) -> list[str]:
    """Severity names, most severe first (the rulebook's order)."""
    return [b["name"] for b in rb["severity"]]


def maturities(rb: Rulebook) -> list[str]:
    """Maturity band names, lowest first (the rulebook's order)."""
    return [b["name"] for b in rb["maturity"]]


def phases(rb: Rulebook) -> list[dict]:
    """The roadmap's phases in their order."""
    return sorted(rb["phases"], key=lambda p: p["phase"])


def priorities(rb: Rulebook) -> list[str]:
    """Priorities in the order of the phases that address them."""
    return [p["priority"] for p in phases(rb)]


def earliest_phase(d: Deliverable) -> tuple[dict, list[dict]]:
    """The earliest phase of the roadmap that has gaps, and its gaps in roadmap
    order (the first phase and no gaps when there is none)."""
    for p in phases(d.rulebook):
        mine = [g for g in d.contract["gaps"] if g["phase"] == p["phase"]]
        if mine:
            return p, mine
    return phases(d.rulebook)[0], []
