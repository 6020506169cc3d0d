"""`paos batch`, `benchmark`, `compare` and `portfolio-report`: many engagements."""

from __future__ import annotations

import json as js
from pathlib import Path
from typing import Annotated, cast

import typer

import paos
from paos.cli._app import (
    DEFAULT_OUT,
    DEFAULT_STORE,
    Engagement,
    Force,
    Json,
    Out,
    PptxTemplate,
    RulebookOpt,
    Store,
    app,
    guard,
    stage,
    stop,
    written,
)


@app.command()
def batch(
    portfolio: Annotated[
        Path,
        typer.Argument(help="Folder holding engagement folders and workbooks.", show_default=False),
    ],
    out: Out = DEFAULT_OUT,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", help="Parallel engagements (default: the core count)."),
    ] = None,
    scores_only: Annotated[
        bool,
        typer.Option(
            "--scores-only",
            help="No notebooks: score the whole portfolio in one "
            "vectorised pass into the results store.",
        ),
    ] = False,
    executor: Annotated[str, typer.Option("--executor", help="local or dask.")] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:PORT.")
    ] = None,
    store: Store = DEFAULT_STORE,
    force: Annotated[
        bool, typer.Option("--force", help="Rerun unchanged engagements too.")
    ] = False,
    rulebook: RulebookOpt = None,
    pptx_template: PptxTemplate = None,
) -> None:
    """Rerun every engagement of a portfolio (for example after a rulebook change).

    Unchanged engagements are skipped unless --force; one broken engagement never
    stops the others; exit status 1 if any failed.

    Example: paos batch data/portfolio/engagements --scores-only
    """
    from paos.cli._progress import progress  # rich: only `paos batch` pays for it

    left = (
        "workers stopped; finished engagements are kept; run the same command again "
        "to finish the rest"
    )
    with guard(left), progress() as bar:
        result = paos.batch(
            portfolio,
            out,
            store,
            jobs,
            scores_only,
            cast(paos.Executor, executor),  # the library refuses any other
            scheduler,
            force,
            rulebook,
            pptx_template,
            progress=bar,
            stopped=stop().asked,
        )
    typer.echo(result.summary())
    table = result.failure_table()
    if table:
        typer.echo("\nFailures:\n" + table)
        raise typer.Exit(1)


@app.command("benchmark")
def benchmark_cmd(
    engagement: Engagement,
    store: Store = DEFAULT_STORE,
    json: Json = False,
    rulebook: RulebookOpt = None,
) -> None:
    """Percentile rank of the PAI and of each dimension among other clients, the
    latest past engagement of each (same rulebook version, assessed on or before
    this one).

    Example: paos benchmark data/engagements/northwind-2026-09 --store data/results
    """
    with guard():
        b = paos.benchmark(engagement, store, rulebook)
    typer.echo(js.dumps(b, indent=2, ensure_ascii=False) if json else paos.benchmark_text(b))


@app.command()
def compare(
    baseline: Annotated[Path, typer.Argument(help="The earlier engagement.", show_default=False)],
    follow_up: Annotated[Path, typer.Argument(help="The re-assessment.", show_default=False)],
    json: Json = False,
    rulebook: RulebookOpt = None,
    actions: Annotated[
        Path | None,
        typer.Option(
            "--actions",
            help="The baseline's action plan as the client returned it (default: "
            "actions.xlsx, .xlsm, .ods or .xls inside the baseline engagement folder, "
            "when there).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Progress between a baseline diagnostic and a re-assessment: PAI and dimension
    deltas, gaps closed, new and persisting with their severity change, and for
    closed and persisting gaps the status and owner the client recorded in the
    baseline's action plan (actions.xlsx). A plan that cannot be read (a formula in
    it, damage) is one note: the comparison goes on without statuses.

    Example: paos compare engagements/acme-2025-03 engagements/acme-2026-02
    """
    with guard():
        c = paos.compare(baseline, follow_up, rulebook, actions)
    typer.echo(js.dumps(c, indent=2, ensure_ascii=False) if json else paos.compare_text(c))


@app.command("portfolio-report")
def portfolio_report(
    store: Annotated[Path, typer.Option("--store", help="Results store.")] = DEFAULT_STORE,
    out: Out = DEFAULT_OUT,
    rulebook: RulebookOpt = None,
    force: Force = False,
    run_date: Annotated[
        str | None, typer.Option("--run-date", help="Date on the cover (default: today).")
    ] = None,
    pptx_template: PptxTemplate = None,
) -> None:
    """The portfolio benchmark report: PAI and dimension distributions, PAI by
    industry and stage, the most frequent gaps and divergences, PAI over time.

    Example: paos batch data/portfolio/engagements --scores-only && paos portfolio-report
    """
    with guard():
        result = paos.portfolio_report(
            store, out, rulebook, force, run_date, pptx_template, stage, stop().asked
        )
    written(result)
