"""The `paos` command: a few lines over library calls per command."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Annotated

import typer

from paos._defaults import DEFAULT_OUT, DEFAULT_RULEBOOK, DEFAULT_STORE
from paos.errors import FaultError, PaosError, printable

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="PAOS: the deterministic Partner Architecture Diagnostic.",
)

Engagement = Annotated[
    Path,
    typer.Argument(
        help="Engagement folder or workbook (.xlsx, .xlsm, .ods, .xls).", show_default=False
    ),
]
PptxTemplate = Annotated[
    Path | None,
    typer.Option(
        "--pptx-template",
        help="The consultancy's PowerPoint master (.pptx or .potx): fonts, colours and "
        "logo of the deck; default: a plain 16:9 master.",
    ),
]
RulebookOpt = Annotated[
    str | None,
    typer.Option(
        "--rulebook", help="Rulebook id (paos-v1) or path; default: the one engagement.yaml names."
    ),
]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so that both stop a
    command the same way (a run publishes nothing; a batch stops its workers and
    their browsers); the exit status is 143 instead of 130."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


@app.callback()
def _signals() -> None:
    """Before every command: SIGTERM stops it like Ctrl-C. Only the CLI installs
    signal handlers (library code never changes process-wide state)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def _stopped(err: KeyboardInterrupt, what: str) -> None:
    """One line saying the command stopped and what is left, then exit 130 (Ctrl-C)
    or 143 (SIGTERM)."""
    terminated = isinstance(err, Terminated)
    typer.echo(f"{'terminated' if terminated else 'interrupted'}: {what}", err=True)
    raise typer.Exit(143 if terminated else 130)


def _fail(err: PaosError) -> None:
    """One line per problem on stderr, then exit 2 (bad input) or 1 (a fault of the
    environment, `FaultError`)."""
    for line in err.lines():
        typer.echo(line, err=True)
    raise typer.Exit(err.exit_code)


@contextlib.contextmanager
def _guard(stopped: str = "stopped; nothing was published"):
    """Around a command: a `PaosError` or a fault of the operating system (`OSError`)
    becomes its lines on stderr and the exit status; Ctrl-C or SIGTERM one line
    (`stopped`: what is left) and 130 or 143; each warning paos gives while
    carrying on (an unreadable store file skipped) is one line on stderr."""
    from paos._files import PaosWarning, fault
    from paos.errors import printable

    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PaosWarning)
            try:
                yield
            except PaosError as err:
                _fail(err)
            except OSError as err:
                _fail(fault(err))
            except KeyboardInterrupt as err:
                _stopped(err, stopped)
    finally:  # outside catch_warnings: re-shown warnings must not be recorded
        for w in caught:
            if issubclass(w.category, PaosWarning):
                typer.echo(f"warning: {printable(w.message)}", err=True)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _stage(line: str) -> None:
    """Progress lines go to stderr, so stdout holds only the written paths."""
    typer.echo(line, err=True)


def _written(result) -> None:
    """Each file a run wrote, one path per line on stdout."""
    for path in result.files.values():
        typer.echo(str(path))


@app.command()
def validate(engagement: Engagement, rulebook: RulebookOpt = None) -> None:
    """Check an engagement's evidence and report every problem at once.

    Example: paos validate data/engagements/northwind-2026-09
    """
    from paos.base.rulebook import load_rulebook
    from paos.evidence.validate import load_evidence

    with _guard():
        ev = load_evidence([engagement], load_rulebook(rulebook) if rulebook else None)
    n = ev.ratings["rating"].drop_nulls().len()
    typer.echo(
        f"{printable(engagement)}: valid ({ev.stakeholders.height} stakeholders, {n} ratings, "
        f"{ev.metrics.height} metrics)"
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
    from paos.method.diagnostic import diagnose
    from paos.method.figures import Figures
    from paos.method.results import contract, summary_text, to_json

    with _guard():
        results = diagnose(engagement, rulebook)
        c = contract(results)
    typer.echo(to_json(c) if json else summary_text(c, figures=Figures(results.rulebook)))


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
    from paos.base.rulebook import load_rulebook
    from paos.deliverables.notebook import write_notebook
    from paos.evidence.scaffold import new_engagement

    with _guard():
        written = new_engagement(folder, load_rulebook(rulebook or DEFAULT_RULEBOOK), engagement_id)
        written += write_notebook(folder)
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
    from paos.deliverables.notebook import write_notebook

    with _guard():
        written = write_notebook(folder, force)
    typer.echo(f"wrote {written[0]}")
    for path in written[1:]:
        typer.echo(f"kept the old one as {path}")


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
    from paos.base.rulebook import load_rulebook
    from paos.evidence.questionnaire import About, client_of, write_questionnaire

    with _guard():
        if client and engagement:
            raise PaosError("give --client or --engagement, not both")
        name = client or (client_of(engagement) if engagement else "")
        about = About(name.strip(), (return_to or "").strip())
        path = write_questionnaire(load_rulebook(rulebook), fmt, perspective, out, force, about)
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
    from paos.evidence.surveys import import_export, suggest_mapping, summary_text

    with _guard():
        if suggest:
            if into is not None and rulebook is None:
                from paos.evidence.surveys import engagement_rulebook

                rulebook = str(engagement_rulebook(into, None).path)
            text = suggest_mapping(export, rulebook)
            if out is None:
                typer.echo(text, nl=False)
                return
            from paos._files import atomic_write_text

            if out.exists() and not force:
                raise PaosError(f"{out} exists; choose another --out or replace it with --force")
            atomic_write_text(out, text)
            typer.echo(f"wrote {out}")
            return
        if into is None:
            raise PaosError("give the engagement folder to import into: --into FOLDER")
        if out is not None:
            raise PaosError("--out is for --suggest; the import writes into --into")
        result = import_export(
            export,
            into,
            rulebook,
            mapping,
            append,
            force,
            complete_only,
            prefix,
            allow_identical=allow_identical,
        )
    typer.echo(summary_text(result))
    if result.invalid:
        _stage(f"{printable(into)}: written, but not valid evidence yet (paos validate says):")
        for line in result.invalid:
            _stage(f"  {line}")
    else:
        typer.echo(f"{printable(into)}: valid")


def main() -> None:  # pragma: no cover - console entry for `python -m paos`
    sys.exit(app())


rulebook_app = typer.Typer(
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
    from paos.base.card import methodology_card
    from paos.base.rulebook import load_rulebook

    with _guard():
        typer.echo(methodology_card(load_rulebook(ref)), nl=False)


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
    from paos.base.derive import new_rulebook

    with _guard():
        path = new_rulebook(rulebook_id, parent, out)
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
    from paos.base.derive import check_rulebook, check_text

    with _guard():
        result = check_rulebook(ref, against)
    typer.echo(check_text(result))


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
    from paos.deliverables.run import run_engagement

    with _guard("stopped; nothing was published, an earlier report is as it was"):
        result = run_engagement(
            engagement,
            out,
            rulebook,
            force,
            run_date,
            progress=_stage,
            store=store,
            pptx_template=pptx_template,
        )
    _written(result)


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
    from paos.deliverables.run import run_check

    with _guard():
        result = run_check(
            answers, out, rulebook, force, run_date, progress=_stage, pptx_template=pptx_template
        )
    _written(result)


@app.command()
def batch(
    portfolio: Annotated[
        Path,
        typer.Argument(help="Folder holding engagement folders and workbooks.", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for reports.")] = DEFAULT_OUT,
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
    store: Annotated[Path, typer.Option("--store", help="Results store folder.")] = DEFAULT_STORE,
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
    from paos.portfolio.batch import failure_table, run_batch, summary

    left = (
        "workers stopped; finished engagements are kept; run the same command again "
        "to finish the rest"
    )
    with _guard(left):
        outcomes = run_batch(
            portfolio,
            out,
            store,
            jobs,
            scores_only,
            executor,
            scheduler,
            force,
            rulebook,
            pptx_template=pptx_template,
        )
    typer.echo(summary(outcomes))
    table = failure_table(outcomes)
    if table:
        typer.echo("\nFailures:\n" + table)
        raise typer.Exit(1)


@app.command("benchmark")
def benchmark_cmd(
    engagement: Engagement,
    store: Annotated[Path, typer.Option("--store", help="Results store folder.")] = DEFAULT_STORE,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    rulebook: RulebookOpt = None,
) -> None:
    """Percentile rank of the PAI and of each dimension among other clients, the
    latest past engagement of each (same rulebook version, assessed on or before
    this one).

    Example: paos benchmark data/engagements/northwind-2026-09 --store data/results
    """
    import json as js

    from paos.method.diagnostic import diagnose
    from paos.method.peers import benchmark, benchmark_text, subject_from_results
    from paos.method.store import read_store

    with _guard():
        if not store.is_dir():
            raise FaultError(
                f"{store}: no results store there (not a folder); fill one with "
                "`paos batch PORTFOLIO --scores-only` or pass --store DIR"
            )
        b = benchmark(read_store(store), subject_from_results(diagnose(engagement, rulebook)))
    typer.echo(js.dumps(b, indent=2, ensure_ascii=False) if json else benchmark_text(b))


@app.command()
def compare(
    baseline: Annotated[Path, typer.Argument(help="The earlier engagement.", show_default=False)],
    follow_up: Annotated[Path, typer.Argument(help="The re-assessment.", show_default=False)],
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
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
    import json as js

    from paos.method.reassessment import compare_paths, compare_text

    with _guard():
        c = compare_paths(baseline, follow_up, rulebook, actions)
    typer.echo(js.dumps(c, indent=2, ensure_ascii=False) if json else compare_text(c))


@app.command("portfolio-report")
def portfolio_report(
    store: Annotated[Path, typer.Option("--store", help="Results store.")] = DEFAULT_STORE,
    out: Annotated[Path, typer.Option("--out", help="Folder for reports.")] = DEFAULT_OUT,
    rulebook: RulebookOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing report.")] = False,
    run_date: Annotated[
        str | None, typer.Option("--run-date", help="Date on the cover (default: today).")
    ] = None,
    pptx_template: PptxTemplate = None,
) -> None:
    """The portfolio benchmark report: PAI and dimension distributions, PAI by
    industry and stage, the most frequent gaps and divergences, PAI over time.

    Example: paos batch data/portfolio/engagements --scores-only && paos portfolio-report
    """
    from paos.portfolio.publish import run_portfolio_report

    with _guard():
        result = run_portfolio_report(
            store, out, rulebook, force, run_date, progress=_stage, pptx_template=pptx_template
        )
    _written(result)
