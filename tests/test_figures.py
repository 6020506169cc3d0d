"""Item 6 of issue 17: a figure never rounds across a cut of the rulebook it is
shown beside (tested at every cut of every bundled rulebook)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from paos.base.rulebook import load_rulebook
from paos.method.figures import Figures, cuts, exact

ROOT = Path(__file__).resolve().parents[1]
RULEBOOKS = ["paos-v1", str(ROOT / "data" / "rulebooks" / "paos-strict.yaml")]


def _side(x: float, c: float) -> int:
    return (x > c) - (x < c)


@pytest.mark.parametrize("name", RULEBOOKS)
def test_no_figure_rounds_across_a_cut(name):
    rb = load_rulebook(name)
    f = Figures(rb)
    assert len(cuts(rb)) >= 6
    for c in cuts(rb):
        for eps in (0.5, 0.05, 0.013, 0.005, 0.0049, 0.001, 0.0004, 1e-5, 1e-6, 0.0):
            for value in (c - eps, c + eps):
                true = round(value, 6)
                for shown in (f.score(value), f.mean(value)):
                    for cut in cuts(rb):
                        assert _side(float(Decimal(shown)), cut) == _side(true, cut), (
                            value,
                            shown,
                            cut,
                        )


def test_the_demo_case_shows_two_decimals_beside_ad_hoc():
    f = Figures(load_rulebook("paos-v1"))
    assert f.score(1.9868055555555555) == "1.99"  # FIT of northwind: Ad hoc, not "2.0"
    assert f.score(2.212) == "2.2"  # no extra decimal when none is needed
    assert f.mean(1.875) == "1.88"


def test_one_number_of_decimals_per_kind():
    f = Figures(load_rulebook("paos-v1"))  # display_decimals 1
    assert [f.threshold(3), f.threshold(2.75)] == ["3.00", "2.75"]
    assert f.delta(0.3) == "+0.30"
    assert f.score(None) == f.mean(None) == "–"
    assert exact(2.9, (), 1) == "2.9"
