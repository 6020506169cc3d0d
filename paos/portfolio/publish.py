"""`paos portfolio-report`: the portfolio benchmark notebook run over the results
store and published (HTML, PDF, PowerPoint) as every deliverable is
(`paos.deliverables.run.deliver`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from paos._defaults import DEFAULT_OUT, DEFAULT_STORE
from paos.base.rulebook import absolute_rulebook
from paos.deliverables.run import RunResult, deliver, notebook_path, rulebook_parameter
from paos.portfolio.report import collect, meta


def run_portfolio_report(
    store: str | Path = DEFAULT_STORE,
    out: str | Path = DEFAULT_OUT,
    rulebook: str | None = None,
    force: bool = False,
    run_date: str | None = None,
    progress: Callable[[str], None] | None = print,
    pptx_template: str | Path | None = None,
    stopped: Callable[[], bool] | None = None,
) -> RunResult:
    """The portfolio benchmark report in `<out>/portfolio-<rulebook id>/` (HTML, PDF
    and PowerPoint). `stopped`: as `deliver`'s."""
    t0 = time.perf_counter()
    rulebook = absolute_rulebook(rulebook)
    store = Path(store).resolve()
    p = collect(store, rulebook, run_date)  # refuses an empty store
    return deliver(
        f"portfolio-{p.rulebook.id}",
        notebook_path("portfolio_benchmark.ipynb"),
        {"store": store, "rulebook": rulebook_parameter(rulebook), "run_date": run_date or ""},
        out,
        force,
        progress,
        "Portfolio benchmark",
        "portfolio_benchmark",
        time.perf_counter() - t0,
        meta=meta(p),
        pptx_template=pptx_template,
        stopped=stopped,
    )
