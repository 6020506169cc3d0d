"""`paos rulebook show`, `new` and `check`: the methodology as a file to read, copy, check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import paos
from paos.cli._app import DEFAULT_RULEBOOK, app, guard
from paos.cli._lazy import LazyTyper

rulebook_app = LazyTyper(
    no_args_is_help=True,
    help="Rulebooks: show one as a methodology card, make a tailored copy, check it.",
)
app.add_typer(rulebook_app, name="rulebook")


@rulebook_app.command("show")
def rulebook_show(
    ref: Annotated[str, typer.Argument(help="Rulebook id or path.")] = DEFAULT_RULEBOOK,
) -> None:
    """Print a rulebook as a readable methodology card (Markdown).

    Example: paos rulebook show paos-v1 > methodology.md
    """
    with guard():
        typer.echo(paos.methodology_card(ref), nl=False)


@rulebook_app.command("new")
def rulebook_new(
    rulebook_id: Annotated[str, typer.Argument(help="Id of the new rulebook.", show_default=False)],
    parent: Annotated[
        str, typer.Option("--from", help="Rulebook id or path to copy.", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for ID.yaml.")] = Path("."),
) -> None:
    """Write an editable copy of a rulebook under a new id, its parent recorded.

    Example: paos rulebook new acme-v1 --from paos-v1 --out rulebooks
    """
    with guard():
        path = paos.new_rulebook(rulebook_id, parent, out)
    typer.echo(f"wrote {path}")
    typer.echo(f"edit it, then: paos rulebook check {path}", err=True)


@rulebook_app.command("check")
def rulebook_check(
    ref: Annotated[str, typer.Argument(help="Rulebook path or id.", show_default=False)],
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Rulebook id or path to compare with (default: the parent the file records).",
        ),
    ] = None,
) -> None:
    """Validate a rulebook (every problem, one line each; exit 2) and list what
    differs from its parent in methodology terms.

    Example: paos rulebook check rulebooks/acme-v1.yaml
    """
    with guard():
        result = paos.check_rulebook(ref, against)
    typer.echo(paos.rulebook_check_text(result))
