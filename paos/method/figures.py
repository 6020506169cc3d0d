"""How a figure is written in a deliverable: one rule, so that a number never
contradicts the label beside it.

Each kind of figure has one number of decimals, from the rulebook's
`display_decimals` (d):

- a score: the PAI or a dimension score, d decimals (the maturity bands' kind);
- a mean: a signal score, a perspective mean, a threshold, d + 1 decimals
  (thresholds such as 2.75 are compared with signal means, so they share them);
- a delta or divergence, d + 1 decimals with a sign.

A figure shown with its decimals would sometimes round across a cut of the
rulebook: 1.987 is below the Emerging band's 2.0 but shows as "2.0". So a
figure takes as many more decimals as it needs (up to the comparison
decimals) to stay on its true side of every cut: 1.987 shows as "1.99" beside
"Ad hoc". The cuts are every number the rulebook compares a figure with: the
maturity bands' lower bounds, the rating levels, the signal thresholds and
each threshold less each severity band's minimum shortfall.
"""

from __future__ import annotations

from decimal import Decimal

from paos.base.rulebook import Rulebook
from paos.method._numbers import display, signed


def cuts(rb: Rulebook) -> tuple[float, ...]:
    """Every value the rulebook compares a score or a mean with, ascending."""
    scale = rb["rating_scale"]
    out = {float(b["min"]) for b in rb["maturity"]}
    out |= {float(v) for v in range(scale["min"], scale["max"] + 1)}
    thresholds = {float(s.threshold) for s in rb.signals}
    out |= thresholds
    out |= {t - b["min_shortfall"] for t in thresholds for b in rb["severity"]}
    return tuple(sorted(round(c, rb["comparison_decimals"]) for c in out))


def exact(value: float, cut_points: tuple[float, ...], decimals: int, compare: int = 6) -> str:
    """`value` with `decimals` decimals (half up), or with more when fewer would show
    it on another side of a cut than it is, or on a cut it is not on (compared at
    `compare` decimals: bands include their lower bound, severities their cut)."""
    true = round(value, compare)
    for places in range(decimals, compare + 1):
        shown = display(value, places)
        number = float(Decimal(shown))
        if all(_side(true, c) == _side(number, c) for c in cut_points):
            return shown
    return display(value, compare)


def _side(x: float, cut: float) -> int:
    """-1 below the cut, 0 on it, 1 above (a cut may include either side)."""
    return (x > cut) - (x < cut)


class Figures:
    """The figures of one rulebook: `score`, `mean`, `threshold` and `delta`."""

    def __init__(self, rb: Rulebook):
        self.decimals = rb["display_decimals"]
        self.compare = rb["comparison_decimals"]
        self.cuts = cuts(rb)

    def score(self, value: float | None) -> str:
        """The PAI or a dimension score; a dash when there is none."""
        return "–" if value is None else exact(value, self.cuts, self.decimals, self.compare)

    def mean(self, value: float | None) -> str:
        """A signal score or perspective mean; a dash when there is none."""
        return "–" if value is None else exact(value, self.cuts, self.decimals + 1, self.compare)

    def threshold(self, value: float) -> str:
        """A threshold or other cut, with the decimals of a mean (or more when the
        rulebook gives more)."""
        own = f"{value:g}".partition(".")[2]
        return display(value, max(self.decimals + 1, len(own)))

    def plain(self, value: float) -> str:
        """A rule's own number as the rulebook writes it (1.0 -> '1', 0.75 -> '0.75')."""
        return f"{value:g}"

    def delta(self, value: float | None) -> str:
        """A change or a divergence with its sign ('+0.30', '-0.25', '0.00')."""
        return "–" if value is None else signed(value, self.decimals + 1) or "–"
