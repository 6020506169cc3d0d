"""The demo engagements against their reviewed golden files (tests/golden/).
A difference is either a regression or an intended change: then `make golden`
and review the diff."""

from __future__ import annotations

import difflib

import pytest

from tests.golden import ENGAGEMENTS, GOLDEN, page_texts, results_json, section_texts


def _same(expected: str, actual: str, name: str) -> None:
    if expected != actual:
        diff = "".join(
            list(
                difflib.unified_diff(
                    expected.splitlines(True), actual.splitlines(True), name, "now"
                )
            )[:60]
        )
        pytest.fail(f"{name} differs from its golden file (make golden if intended):\n{diff}")


@pytest.mark.parametrize("name", ENGAGEMENTS)
def test_results_contract_matches_golden(name):
    golden = GOLDEN / f"{name}.results.json"
    _same(golden.read_text(encoding="utf-8"), results_json(name), golden.name)


def test_section_texts_match_golden():
    golden = GOLDEN / "northwind-2026-09.sections.txt"
    _same(golden.read_text(encoding="utf-8"), section_texts("northwind-2026-09"), golden.name)


@pytest.mark.slow
def test_every_page_of_the_demo_deck_matches_golden():
    """The demo deck as printed: every page's text, its title, footer and page number."""
    golden = GOLDEN / "northwind-2026-09.pages.txt"
    _same(golden.read_text(encoding="utf-8"), page_texts("northwind-2026-09"), golden.name)
