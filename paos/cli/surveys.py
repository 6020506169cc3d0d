"""`paos questionnaire` and `paos import`: the survey out to stakeholders, answers back in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

import paos
from paos import PaosError, printable
from paos.cli._app import DEFAULT_RULEBOOK, RulebookOpt, app, guard, stage


@app.command()
def questionnaire(
    rulebook: Annotated[
        str, typer.Option("--rulebook", help=f"Rulebook id ({DEFAULT_RULEBOOK}) or path.")
    ] = DEFAULT_RULEBOOK,
    perspective: Annotated[
        str | None,
        typer.Option("--perspective", help="Only this perspective's roles (e.g. partner)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="html (printable), xlsx, csv or qualtrics (TXT).")
    ] = "html",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write (default: questionnaire-<rulebook>.<format>)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a questionnaire paos wrote there.")
    ] = False,
    client: Annotated[
        str | None, typer.Option("--client", help="The client's name, shown on the form.")
    ] = None,
    engagement: Annotated[
        Path | None,
        typer.Option("--engagement", help="Take the client's name from this engagement."),
    ] = None,
    return_to: Annotated[
        str | None,
        typer.Option("--return-to", help="Who gets the form back (a name or an email)."),
    ] = None,
) -> None:
    """Write the stakeholder questionnaire: what it is for, how long it takes, how the
    answers are used and how to return it; the role, then each signal's question with
    its rubric levels as answers, for a survey tool or on paper.

    Example: paos questionnaire --format qualtrics --perspective partner --client "Acme GmbH"
    """
    with guard():
        path = paos.questionnaire(
            rulebook,
            perspective,
            cast(paos.QuestionnaireFormat, fmt),  # the library refuses any other
            out,
            force,
            client,
            engagement,
            return_to,
        )
    typer.echo(f"wrote {printable(path)}")


@app.command("import")
def import_cmd(
    export: Annotated[
        Path,
        typer.Argument(
            help="Survey export: Qualtrics, Google Forms or SurveyMonkey CSV, Microsoft "
            "Forms or SurveyMonkey .xlsx, or PAOS's wide layout; or questionnaires "
            "returned filled in (paos questionnaire --format xlsx): one workbook, or a "
            "folder of them (one respondent each).",
            show_default=False,
        ),
    ],
    into: Annotated[
        Path | None,
        typer.Option("--into", help="Engagement folder (made by paos new) to write into."),
    ] = None,
    rulebook: RulebookOpt = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Mapping file: column meanings, role labels, answers."),
    ] = None,
    append: Annotated[
        bool, typer.Option("--append", help="Add to the stakeholders and ratings there.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace ALL the stakeholders and ratings there, those of other exports "
            "and prefixes and rows typed by hand too (the output counts them).",
        ),
    ] = False,
    allow_identical: Annotated[
        bool,
        typer.Option(
            "--allow-identical",
            help="With --append: import responses that answer exactly as a stakeholder "
            "already there, as other respondents (you know they are).",
        ),
    ] = False,
    complete_only: Annotated[
        bool, typer.Option("--complete-only", help="Leave out incomplete responses.")
    ] = False,
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Stakeholder id prefix (default: the tool's, e.g. qx)."),
    ] = None,
    suggest: Annotated[
        bool,
        typer.Option("--suggest", help="Write a starter mapping file instead of importing."),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="With --suggest: the mapping file to write.")
    ] = None,
) -> None:
    """Import a survey export into an engagement's stakeholders.csv and ratings.csv
    (both or neither), then validate the engagement.

    Example: paos import responses.csv --into engagements/acme-2026-12
    """
    with guard():
        if suggest:
            text = paos.suggest_mapping(export, rulebook, into, out, force)
            typer.echo(text if out is None else f"wrote {out}", nl=out is not None)
            return
        if into is None:
            raise PaosError("give the engagement folder to import into: --into FOLDER")
        if out is not None:
            raise PaosError("--out is for --suggest; the import writes into --into")
        result = paos.import_survey(
            export, into, rulebook, mapping, append, force, complete_only, prefix, allow_identical
        )
    typer.echo(paos.import_text(result))
    if result.invalid:
        stage(f"{printable(into)}: written, but not valid evidence yet (paos validate says):")
        for line in result.invalid:
            stage(f"  {line}")
    else:
        typer.echo(f"{printable(into)}: valid")
