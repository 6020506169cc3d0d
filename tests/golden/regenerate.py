"""Write the golden files the tests compare against: `make golden`.

Run this only when a change of numbers or wording is intended (a methodology or
section change), then review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.golden import (  # noqa: E402
    ENGAGEMENTS,
    GOLDEN,
    page_texts,
    results_json,
    section_texts,
)


def main() -> None:
    for name in ENGAGEMENTS:
        (GOLDEN / f"{name}.results.json").write_text(results_json(name), encoding="utf-8")
        print(f"wrote tests/golden/{name}.results.json")
    (GOLDEN / "northwind-2026-09.sections.txt").write_text(
        section_texts("northwind-2026-09"), encoding="utf-8"
    )
    print("wrote tests/golden/northwind-2026-09.sections.txt")
    (GOLDEN / "northwind-2026-09.pages.txt").write_text(
        page_texts("northwind-2026-09"), encoding="utf-8"
    )
    print("wrote tests/golden/northwind-2026-09.pages.txt (the PDF, page by page)")


if __name__ == "__main__":
    main()
