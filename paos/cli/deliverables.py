"""`paos run` and `paos check`: the board deliverables of an engagement, the
one-page check of a prospect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import paos
from paos.cli._app import (
    DEFAULT_OUT,
    DEFAULT_STORE,
    Engagement,
    PptxTemplate,
    RulebookOpt,
    app,
    guard,
    stage,
    stop,
    written,
)


@app.command()
def run(
    engagement: Engagement,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder for reports; the deliverables go to OUT/<engagement id>/."
        ),
    ] = DEFAULT_OUT,
    rulebook: RulebookOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing report.")] = False,
    run_date: Annotated[
        str | None,
        typer.Option("--run-date", help="Date on the reproducibility stamp (default: today)."),
    ] = None,
    store: Annotated[
        Path,
        typer.Option(
            "--store",
            help="Results store: the run is recorded there, and the deliverable "
            "gains a benchmark section once it holds past engagements.",
        ),
    ] = DEFAULT_STORE,
    pptx_template: PptxTemplate = None,
) -> None:
    """Run the engagement's own notebook (the template if it has none, see
    `paos notebook`) and write the board deliverables: executed
    notebook, results.json, gaps.csv, actions.xlsx (the action plan the client
    tracks), executive_summary.html, .pdf and .pptx (the deck, editable).

    Example: paos run data/engagements/northwind-2026-09 --out reports
    """
    with guard("stopped; nothing was published, an earlier report is as it was"):
        result = paos.run(
            engagement,
            out,
            rulebook,
            force,
            run_date,
            store,
            pptx_template,
            progress=stage,
            stopped=stop().asked,
        )
    written(result)


@app.command()
def check(
    answers: Annotated[
        Path, typer.Argument(help="Answers file (YAML or CSV).", show_default=False)
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for reports; the check goes to OUT/<id>/.")
    ] = DEFAULT_OUT,
    rulebook: RulebookOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing check.")] = False,
    run_date: Annotated[
        str | None, typer.Option("--run-date", help="Date on the page (default: today).")
    ] = None,
    pptx_template: PptxTemplate = None,
) -> None:
    """Screen a prospect (Architecture Check) and write a one-page HTML, PDF and
    PowerPoint with the recommendation.

    Example: paos check data/checks/globex-2026-11.yaml
    """
    with guard():
        result = paos.check(
            answers, out, rulebook, force, run_date, pptx_template, stage, stop().asked
        )
    written(result)
