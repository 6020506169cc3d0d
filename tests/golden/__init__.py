"""Golden files: the results contract of every demo engagement and the text of
every section of the northwind deliverable, as reviewed. `make golden` rewrites
them (tests/golden/regenerate.py); the tests only compare."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
DEMO = GOLDEN.parents[1] / "data" / "engagements"
ENGAGEMENTS = ["alpine-2026-10", "harbor-2026-11.xlsx", "meridian-2026-06", "northwind-2026-09"]
RUN_DATE = "2026-11-24"


def results_json(name: str) -> str:
    """`paos score --json` of a demo engagement."""
    from paos.method.diagnostic import diagnose
    from paos.method.results import contract, to_json

    return to_json(contract(diagnose(DEMO / name))) + "\n"


def section_texts(name: str) -> str:
    """The visible text of every section of a demo engagement's deliverable (charts
    shown as [chart]; no results store, so no benchmark section)."""
    from paos.deliverables import report, sections

    d = report.deliverable(DEMO / name, run_date=RUN_DATE)
    return "".join(f"== {s}\n{getattr(sections, s)(d).text()}\n" for s in sections.PAGES)


def page_texts(name: str) -> str:
    """The text of every page of a demo engagement's PDF deliverable, page by page
    (`paos run`, then pdftotext; each line's spacing collapsed)."""
    import subprocess
    import tempfile

    from paos.deliverables.run import run_engagement

    with tempfile.TemporaryDirectory() as tmp:
        r = run_engagement(DEMO / name, Path(tmp), run_date=RUN_DATE, progress=None)
        text = subprocess.run(
            ["pdftotext", str(r.folder / "executive_summary.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    pages = text.split("\f")[:-1]
    out = []
    for i, page in enumerate(pages, 1):
        lines = [" ".join(ln.split()) for ln in page.splitlines() if ln.strip()]
        out.append(f"== page {i} / {len(pages)}\n" + "\n".join(lines) + "\n")
    return "".join(out)
