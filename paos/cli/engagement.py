"""`paos validate`, `score`, `new` and `notebook`: one engagement's evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import paos
from paos import printable
from paos.cli._app import DEFAULT_RULEBOOK, Engagement, RulebookOpt, app, guard


@app.command()
def validate(engagement: Engagement, rulebook: RulebookOpt = None) -> None:
    """Check an engagement's evidence and report every problem at once.

    Example: paos validate data/engagements/northwind-2026-09
    """
    with guard():
        v = paos.validate(engagement, rulebook)
    typer.echo(
        f"{printable(engagement)}: valid ({v.stakeholders} stakeholders, {v.ratings} ratings, "
        f"{v.metrics} metrics)"
    )


@app.command()
def score(
    engagement: Engagement,
    rulebook: RulebookOpt = None,
    json: Annotated[
        bool, typer.Option("--json", help="Print the results contract as JSON.")
    ] = False,
) -> None:
    """Score an engagement: PAI, dimensions, gaps in roadmap order.

    Example: paos score data/engagements/northwind-2026-09 --json > results.json
    """
    with guard():
        text = paos.score_text(paos.diagnose(engagement, rulebook), json=json)
    typer.echo(text)


@app.command()
def new(
    folder: Annotated[Path, typer.Argument(help="Folder to create.", show_default=False)],
    engagement_id: Annotated[
        str | None, typer.Option("--id", help="Engagement id (default: the folder name).")
    ] = None,
    rulebook: RulebookOpt = None,
) -> None:
    """Scaffold a blank engagement: CSV files with headers, an .xlsx collection
    workbook with drop-downs and each signal's question and rubric, and the
    engagement's own notebook (see `paos notebook`).

    Example: paos new engagements/acme-2026-12
    """
    with guard():
        written = paos.new_engagement(folder, engagement_id, rulebook or DEFAULT_RULEBOOK)
    for path in written:
        typer.echo(f"wrote {path}")


@app.command()
def notebook(
    folder: Annotated[Path, typer.Argument(help="Engagement folder.", show_default=False)],
    force: Annotated[
        bool,
        typer.Option("--force", help="Write a new one; the old one is kept beside it, renamed."),
    ] = False,
) -> None:
    """Write the engagement's own notebook, FOLDER/diagnostic.ipynb, from the template:
    open it in JupyterLab to explore and add commentary; `paos run` executes it.
    An existing notebook is never overwritten.

    Example: paos notebook data/engagements/northwind-2026-09 && jupyter lab
    """
    with guard():
        written = paos.notebook(folder, force)
    typer.echo(f"wrote {written[0]}")
    for path in written[1:]:
        typer.echo(f"kept the old one as {path}")
