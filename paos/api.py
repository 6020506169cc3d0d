"""Every `paos` command as one typed Python function (library first, as sqlite-utils).

`paos validate` is `paos.validate`, `paos run` is `paos.run`, `paos rulebook check`
is `paos.check_rulebook`, and so on (docs/api.md shows each with an example). The
command line only reads its arguments, prints what these return and turns a
`PaosError` into its exit status; everything it does is reachable from here.

Each function takes paths, ids and flags as Python values and returns a result
(a dataclass, a path, the results contract), never an exit code. Every failure is
a `PaosError` (`paos.errors`): bad input (`EvidenceError`, `RulebookError`, ...)
or a fault of the environment (`FaultError`, naming the path: an `OSError` is
turned into one here). Nothing is printed: long work reports through the optional
`progress` callback (one line per stage) or, for `batch`, a `rich.progress.Progress`
passed in.

The internals are imported inside each function, so that `import paos` and the
command line stay quick to start: a command pays only for what it uses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, ParamSpec, TypeVar

from paos._defaults import DEFAULT_OUT, DEFAULT_RULEBOOK, DEFAULT_STORE
from paos.errors import FaultError, PaosError

if TYPE_CHECKING:
    from rich.progress import Progress

    from paos._types import Evidence, Results
    from paos.base.derive import RulebookCheck
    from paos.base.rulebook import Rulebook
    from paos.deliverables.run import RunResult
    from paos.evidence.surveys import ImportResult
    from paos.portfolio.batch import Outcome

__all__ = [
    "BatchResult",
    "Executor",
    "QuestionnaireFormat",
    "Validation",
    "batch",
    "benchmark",
    "benchmark_text",
    "check",
    "check_rulebook",
    "compare",
    "compare_text",
    "diagnose",
    "import_survey",
    "import_text",
    "methodology_card",
    "new_engagement",
    "new_rulebook",
    "notebook",
    "portfolio_report",
    "questionnaire",
    "rulebook_check_text",
    "run",
    "score_text",
    "suggest_mapping",
    "validate",
]

Lines = Callable[[str], None]
"""A progress callback: called with one line per stage of a run (`[2/5] execute ...`)."""
Stopped = Callable[[], bool]
"""Whether a stop was asked (`threading.Event().is_set`, or the command line's record
of Ctrl-C and SIGTERM): `run`, `check` and `batch` ask it between stages and right
before they publish; a stop asked stops them as a Ctrl-C does (KeyboardInterrupt),
nothing published. It catches a Ctrl-C that Python swallowed (raised inside a
finalizer, where Python only prints "Exception ignored in")."""
QuestionnaireFormat = Literal["html", "xlsx", "csv", "qualtrics"]
"""The formats of `questionnaire` (anything else is refused, `PaosError`)."""
Executor = Literal["local", "dask"]
"""Where `batch` runs the engagements: local processes or a Dask cluster."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _refusing(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """`func` raising only the `PaosError` family: a fault of the operating system
    (`OSError`: permissions, a full disk) becomes a one-line `FaultError` naming the
    path and what to do."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except OSError as err:
            from paos._files import fault

            raise fault(err) from None

    return wrapper


def _book(rulebook: str | Path | Rulebook | None) -> Rulebook | None:
    from paos.base.rulebook import Rulebook, load_rulebook

    if rulebook is None or isinstance(rulebook, Rulebook):
        return rulebook
    return load_rulebook(rulebook)


# -- evidence ------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """A valid engagement: its validated frames and what they hold."""

    engagement: Path
    evidence: Evidence
    stakeholders: int
    ratings: int  # ratings given (blank cells not counted)
    metrics: int


@_refusing
def validate(engagement: str | Path, rulebook: str | Path | Rulebook | None = None) -> Validation:
    """Check an engagement's evidence (a folder or a workbook) under `rulebook`, else
    the one its engagement.yaml names. Raises `EvidenceError` listing every problem
    at once (file, line, column, value, rule)."""
    from paos.evidence.validate import load_evidence

    ev = load_evidence([engagement], _book(rulebook))
    n = ev.ratings["rating"].drop_nulls().len()
    return Validation(Path(engagement), ev, ev.stakeholders.height, n, ev.metrics.height)


@_refusing
def diagnose(
    sources: str | Path | Iterable[str | Path], rulebook: str | Path | Rulebook | None = None
) -> Results:
    """Read, validate and score one or more engagements (`paos score`): every result
    frame, with the robustness of the findings. Under `rulebook`, else the one the
    engagements name (then the same for all). `score_text` prints the results;
    `paos.contract` gives one engagement's results contract (a dict)."""
    from paos.method.diagnostic import diagnose as read_and_score

    return read_and_score(sources, rulebook)


@_refusing
def score_text(results: Results, engagement_id: str | None = None, json: bool = False) -> str:
    """What `paos score` prints for `paos.diagnose(...)`'s results: the summary (PAI,
    dimensions, gaps in roadmap order, each score written so that it never rounds
    across the maturity beside it), or with `json` the results contract as JSON."""
    from paos.method.figures import Figures
    from paos.method.results import contract, summary_text, to_json

    c = contract(results, engagement_id)
    return to_json(c) if json else summary_text(c, figures=Figures(results.rulebook))


@_refusing
def new_engagement(
    folder: str | Path,
    engagement_id: str | None = None,
    rulebook: str | Path | Rulebook = DEFAULT_RULEBOOK,
) -> list[Path]:
    """Scaffold a blank engagement in `folder` (made; refused if it holds anything):
    CSV files with headers, an .xlsx collection workbook and the engagement's own
    notebook. `engagement_id` defaults to the folder name. Returns the files written."""
    from paos.deliverables.notebook import write_notebook
    from paos.evidence.scaffold import new_engagement as scaffold

    book = _book(rulebook)
    assert book is not None  # a rulebook is always given here
    return scaffold(Path(folder), book, engagement_id) + write_notebook(folder)


@_refusing
def notebook(folder: str | Path, force: bool = False) -> list[Path]:
    """Write the engagement's own notebook, `folder/diagnostic.ipynb`, from the
    template; an existing one is refused, or with `force` kept beside it renamed.
    Returns the notebook written, then the renamed old one if any."""
    from paos.deliverables.notebook import write_notebook

    return write_notebook(folder, force)


@_refusing
def questionnaire(
    rulebook: str | Path | Rulebook = DEFAULT_RULEBOOK,
    perspective: str | None = None,
    fmt: QuestionnaireFormat = "html",
    out: str | Path | None = None,
    force: bool = False,
    client: str | None = None,
    engagement: str | Path | None = None,
    return_to: str | None = None,
) -> Path:
    """Write the stakeholder questionnaire (printable HTML, an .xlsx to return filled
    in, or a survey tool's CSV or Qualtrics TXT) to `out`, default
    `questionnaire-<rulebook>[-<perspective>].<ext>` in the working folder. The
    client's name comes from `client` or from the `engagement`'s meta data. An
    existing file is refused; `force` replaces one paos wrote. Returns its path."""
    from paos.evidence.questionnaire import About, client_of, write_questionnaire

    if client and engagement:
        raise PaosError("give --client or --engagement, not both")
    name = client or (client_of(engagement) if engagement else "")
    about = About(name.strip(), (return_to or "").strip())
    book = _book(rulebook)
    assert book is not None
    return write_questionnaire(book, fmt, perspective, out, force, about)


@_refusing
def import_survey(
    export: str | Path,
    into: str | Path,
    rulebook: str | Path | None = None,
    mapping: str | Path | None = None,
    append: bool = False,
    force: bool = False,
    complete_only: bool = False,
    prefix: str | None = None,
    allow_identical: bool = False,
) -> ImportResult:
    """Import a survey export (Qualtrics, Google Forms, SurveyMonkey, Microsoft
    Forms, PAOS's wide layout, or returned questionnaires: one workbook or a folder
    of them) into the engagement folder `into`: its stakeholders.csv and ratings.csv,
    both or neither; then validate it (`result.invalid`: the problems left, if any).
    `append` adds to what is there; `force` replaces all of it."""
    from paos.evidence.surveys import import_export

    return import_export(
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


def import_text(result: ImportResult) -> str:
    """What `paos import` prints about an import: responses, stakeholders and
    ratings written per perspective, what was left out or replaced."""
    from paos.evidence.surveys import summary_text

    return summary_text(result)


@_refusing
def suggest_mapping(
    export: str | Path,
    rulebook: str | Path | None = None,
    into: str | Path | None = None,
    out: str | Path | None = None,
    force: bool = False,
) -> str:
    """A starter mapping file (YAML) for a survey export: every column with paos's
    guess of its meaning, to edit and pass to `import_survey(mapping=...)`. Under
    `rulebook`, else the one the engagement `into` names. With `out` it is also
    written there (an existing file only with `force`). Returns the text."""
    from paos.evidence.surveys import engagement_rulebook
    from paos.evidence.surveys import suggest_mapping as suggest

    if into is not None and rulebook is None:
        rulebook = str(engagement_rulebook(Path(into), None).path)
    text = suggest(export, rulebook)
    if out is not None:
        from paos._files import atomic_write_text

        if Path(out).exists() and not force:
            raise PaosError(f"{out} exists; choose another --out or replace it with --force")
        atomic_write_text(Path(out), text)
    return text


# -- deliverables --------------------------------------------------------------


@_refusing
def run(
    engagement: str | Path,
    out: str | Path = DEFAULT_OUT,
    rulebook: str | None = None,
    force: bool = False,
    run_date: str | None = None,
    store: str | Path | None = None,
    pptx_template: str | Path | None = None,
    progress: Lines | None = None,
    stopped: Stopped | None = None,
) -> RunResult:
    """Run the engagement's own notebook (the template if it has none) and publish
    the board deliverables in `out/<engagement id>/`: the executed notebook,
    results.json, gaps.csv, actions.xlsx, executive_summary.html, .pdf and .pptx
    (on the consultancy's master `pptx_template`). With a results `store` the run is
    recorded there (the command line's default: data/results) and the deliverable
    gains a benchmark section once it holds past engagements. An existing report is
    refused unless `force`; an interrupted run publishes nothing, nor one whose
    `stopped` says a stop was asked (`Stopped`)."""
    from paos.deliverables.run import run_engagement

    return run_engagement(
        engagement,
        out,
        rulebook,
        force,
        run_date,
        progress=progress,
        store=store,
        pptx_template=pptx_template,
        stopped=stopped,
    )


@_refusing
def check(
    answers: str | Path,
    out: str | Path = DEFAULT_OUT,
    rulebook: str | None = None,
    force: bool = False,
    run_date: str | None = None,
    pptx_template: str | Path | None = None,
    progress: Lines | None = None,
    stopped: Stopped | None = None,
) -> RunResult:
    """Screen a prospect (the Architecture Check) from its answers file (YAML or CSV):
    a one-page HTML, PDF and PowerPoint with the recommendation in `out/<id>/`;
    `stopped` as `run`'s."""
    from paos.deliverables.run import run_check

    return run_check(answers, out, rulebook, force, run_date, progress, pptx_template, stopped)


@_refusing
def portfolio_report(
    store: str | Path = DEFAULT_STORE,
    out: str | Path = DEFAULT_OUT,
    rulebook: str | None = None,
    force: bool = False,
    run_date: str | None = None,
    pptx_template: str | Path | None = None,
    progress: Lines | None = None,
    stopped: Stopped | None = None,
) -> RunResult:
    """The portfolio benchmark report of a results store in
    `out/portfolio-<rulebook id>/` (HTML, PDF, PowerPoint): PAI and dimension
    distributions, PAI by industry and stage, the most frequent gaps, PAI over time;
    `stopped` as `run`'s."""
    from paos.portfolio.publish import run_portfolio_report

    return run_portfolio_report(
        store, out, rulebook, force, run_date, progress, pptx_template, stopped
    )


# -- portfolio -----------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: one outcome per engagement, in the portfolio's order."""

    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> str:
        """One line: how many engagements were done, skipped (unchanged) and failed."""
        from paos.portfolio.batch import summary

        return summary(self.outcomes)

    def failure_table(self) -> str:
        """The failures as a plain-text table, one line each ("" when none failed)."""
        from paos.portfolio.batch import failure_table

        return failure_table(self.outcomes)


@_refusing
def batch(
    portfolio: str | Path,
    out: str | Path = DEFAULT_OUT,
    store: str | Path = DEFAULT_STORE,
    jobs: int | None = None,
    scores_only: bool = False,
    executor: Executor = "local",
    scheduler: str | None = None,
    force: bool = False,
    rulebook: str | None = None,
    pptx_template: str | Path | None = None,
    progress: Progress | None = None,
    stopped: Stopped | None = None,
) -> BatchResult:
    """Rerun every engagement under `portfolio` (folders with engagement.yaml and
    workbooks): with `scores_only` scored in one vectorised pass into the results
    `store`, else the full `run` per engagement in `jobs` processes or on a Dask
    cluster (`executor="dask"`, `scheduler`). Unchanged engagements are skipped
    unless `force`; one broken engagement never stops the others (its outcome says
    why). `progress`: a `rich.progress.Progress` to show the count, the time left
    and the engagement just finished on. A stop asked (`stopped`, see `Stopped`) stops
    it as a Ctrl-C does: its workers are stopped, nothing more is published."""
    from paos.portfolio.batch import run_batch

    return BatchResult(
        run_batch(
            portfolio,
            out,
            store,
            jobs,
            scores_only,
            executor,
            scheduler,
            force,
            rulebook,
            progress=progress,
            pptx_template=pptx_template,
            stopped=stopped,
        )
    )


@_refusing
def benchmark(
    engagement: str | Path,
    store: str | Path = DEFAULT_STORE,
    rulebook: str | Path | Rulebook | None = None,
) -> dict:
    """The engagement's percentile rank (PAI and each dimension) among other clients
    in the results `store`: the latest past engagement of each, same rulebook
    version, assessed on or before this one. A dict (`benchmark_text` prints it)."""
    from paos.method.diagnostic import diagnose
    from paos.method.peers import benchmark as rank
    from paos.method.peers import subject_from_results
    from paos.method.store import read_store

    if not Path(store).is_dir():
        raise FaultError(
            f"{store}: no results store there (not a folder); fill one with "
            "`paos batch PORTFOLIO --scores-only` or pass --store DIR"
        )
    return rank(read_store(store), subject_from_results(diagnose(engagement, rulebook)))


def benchmark_text(b: dict) -> str:
    """A benchmark as `paos benchmark` prints it."""
    from paos.method.peers import benchmark_text as text

    return text(b)


@_refusing
def compare(
    baseline: str | Path,
    follow_up: str | Path,
    rulebook: str | Path | Rulebook | None = None,
    actions: str | Path | None = None,
) -> dict:
    """Progress from a baseline diagnostic to its re-assessment: PAI and dimension
    deltas, gaps closed, new and persisting, and the status and owner the client
    recorded in the baseline's action plan (`actions`, default: the actions
    workbook in the baseline folder). A dict (`compare_text` prints it)."""
    from paos.method.reassessment import compare_paths

    return compare_paths(baseline, follow_up, rulebook, actions)


def compare_text(c: dict) -> str:
    """A comparison as `paos compare` prints it."""
    from paos.method.reassessment import compare_text as text

    return text(c)


# -- rulebooks -----------------------------------------------------------------


@_refusing
def methodology_card(rulebook: str | Path | Rulebook = DEFAULT_RULEBOOK) -> str:
    """A rulebook as a readable methodology card (Markdown), as `paos rulebook show`."""
    from paos.base.card import methodology_card as card

    book = _book(rulebook)
    assert book is not None
    return card(book)


@_refusing
def new_rulebook(rulebook_id: str, parent: str | Path, out: str | Path = ".") -> Path:
    """Write an editable copy of the rulebook `parent` under the id `rulebook_id` to
    `out/<rulebook_id>.yaml`, its parent recorded. Returns the path."""
    from paos.base.derive import new_rulebook as derive

    return derive(rulebook_id, parent, out)


@_refusing
def check_rulebook(rulebook: str | Path, against: str | Path | None = None) -> RulebookCheck:
    """Validate a rulebook (a `RulebookError` lists every problem) and find what
    differs from its parent, or from `against`, in methodology terms."""
    from paos.base.derive import check_rulebook as check_book

    return check_book(rulebook, against)


def rulebook_check_text(result: RulebookCheck) -> str:
    """A rulebook check as `paos rulebook check` prints it."""
    from paos.base.derive import check_text

    return check_text(result)
