"""`paos run`: one engagement -> its deliverables, stage by stage.

validate -> execute (papermill) -> html (nbconvert) -> pdf (Chromium) -> publish

Everything is built in a staging folder next to the target (owned by this
process, see `paos._files`) and published by one rename, so an interrupted run
never leaves a half-written report, two runs of one engagement never mix, and an
existing report is replaced only with `force`. Output paths come only from the
validated engagement id. A failed run keeps its executed notebook (with the
error in it) in `<out>/<id>.failed/` so the analyst can see what broke.

A run may share its process with others (a Dask worker runs tasks on threads), so
it changes nothing process-wide: every path is absolute before the kernel gets it,
and the kernel gets its working folder, environment and stderr when it is
launched, not by changing this process's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from paos._defaults import DEFAULT_OUT
from paos._files import (
    atomic_write_text,
    fault,
    is_report,
    make_staging,
    owned,
    publish_folder,
    release,
    remove_owned,
    remove_staging,
    separate_folders,
    sweep_leftovers,
    writable_folder,
)
from paos.base.rulebook import absolute_rulebook, load_rulebook
from paos.deliverables._browser import Browser
from paos.deliverables._chart_server import ENV as CHART_ENGINE
from paos.deliverables._chart_server import ChartServer
from paos.deliverables._papermill import KERNEL_ARGUMENTS as KERNEL_ARGUMENTS
from paos.deliverables._papermill import engine, launch, shut_down
from paos.deliverables.notebook import for_run, template
from paos.errors import FaultError, NotebookError, PaosError, plain
from paos.evidence.validate import load_evidence
from paos.method.check import assess
from paos.method.diagnostic import published_rows
from paos.method.store import write_runs

if TYPE_CHECKING:
    from paos.deliverables._browser import Browser
    from paos.deliverables._kernels import Template
    from paos.evidence.intake import RawEngagement

DIAGNOSTIC = "diagnostic.ipynb"
STAGES = ("validate", "execute", "html", "pdf", "publish")


@dataclass
class RunResult:
    engagement_id: str
    folder: Path
    files: dict[str, Path]
    seconds: dict[str, float] = field(default_factory=dict)


def notebook_path(name: str = DIAGNOSTIC) -> Path:
    """The notebook template shipped in the package, `paos/notebooks/` (the
    PAOS_NOTEBOOKS environment variable overrides the folder)."""

    return template(name)


def go_on(stopped: Callable[[], bool] | None) -> None:
    """Stop here (KeyboardInterrupt, as any Ctrl-C) if the caller's `stopped` says a
    stop was asked: a Ctrl-C or SIGTERM that Python swallowed (its handler ran inside a
    finalizer or a weakref callback, which only prints "Exception ignored in") must
    still stop the work before anything is published. The caller (the CLI) records
    the signal; library code installs no handler."""
    if stopped is not None and stopped():
        raise KeyboardInterrupt("a stop was asked")


def _say(progress: Callable[[str], None] | None, i: int, stage: str, text: str) -> None:
    if progress:
        progress(f"[{i}/{len(STAGES)}] {stage:<8} {text}")


# A Unix socket's path holds at most 107 bytes (sun_path); the kernel's are
# `<folder>/kernel-ipc-<n>`.
_SOCKET_PATH_MAX = 100


def _socket_folder() -> Path:
    """A private folder (mode 0700) for one kernel's connection file and sockets: a
    staging folder of this process in the system's temporary folder, so that what a
    killed run leaves there (a kernel killed with its batch worker) is removed by the
    next run, like any staging folder whose owner is gone (`paos._files`)."""
    tmp = Path(tempfile.gettempdir())
    sweep_leftovers(tmp)
    try:
        folder = make_staging(tmp, "paos-kernel", private=True)
    except OSError as exc:
        raise fault(exc, tmp, "kernel sockets:") from None
    if len(os.fsencode(str(folder))) + len("/kernel-ipc-99") > _SOCKET_PATH_MAX:
        remove_staging(folder)
        raise FaultError(
            f"{tmp}: too long a path for the kernel's sockets; set TMPDIR to a shorter folder"
        )
    return folder


def _kernel_start(cwd: Path, charts: ChartServer | None) -> dict:
    """What the kernel is launched with: its working folder, its stderr dropped, and
    the chart server's address in its environment alone (not this process's)."""
    start: dict = {"cwd": str(cwd), "stderr": subprocess.DEVNULL}
    if charts is not None and charts.environment():
        start["env"] = {**os.environ, **charts.environment()}
    return start


@contextlib.contextmanager
def kernel_ahead(cwd: Path, charts: ChartServer | None) -> Iterator[object]:
    """A kernel launched now for a notebook run later in `cwd` (`paos run`): it boots
    and imports while this process imports nbconvert and python-pptx and launches
    its browser (measured in bench/README.md). Ended on leaving, however the run
    ends (papermill ends it first after a notebook), with its sockets' folder."""
    sockets = _socket_folder()
    km = None
    try:
        km = launch(str(sockets), _kernel_start(cwd, charts))
        yield km
    finally:
        try:
            if km is not None:
                shut_down(km)
        finally:
            remove_staging(sockets)


def execute_notebook(
    template: Path,
    output: Path,
    parameters: dict,
    cwd: Path,
    title: str = "",
    shown: dict | None = None,
    kernels: Template | None = None,
    charts: ChartServer | None = None,
    launched: object = None,
) -> None:
    """Run `template` with papermill into `output`, in a kernel whose working folder
    is `cwd`, given when the kernel is launched (papermill's own `cwd=` changes this
    process's working folder, under every thread). The kernel's own stderr (its
    start-up warnings) is dropped; cell errors stay in the notebook. A failure names
    the cell (or what stopped the kernel). The executed notebook is written however
    the run ends, unless it never started. A `title` goes in its metadata, where
    nbconvert's templates (`paos` too) take the page title from. `shown` gives, for a
    parameter, the value the written notebook records instead of the one it ran with
    (`_shown_paths`). With `kernels`, the kernel is forked from that kernel template
    (a batch worker's) instead of started anew; with `charts`, its charts are drawn
    by that chart server (its address in the kernel's environment alone). With
    `launched`, in that kernel, started ahead (`kernel_ahead`)."""
    import nbformat
    import papermill as pm
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    papermill_engines.register("paos", engine())
    start = _kernel_start(cwd, charts)
    keep: dict = {}
    nb = nbformat.read(str(template), as_version=4)
    if title:
        nb.metadata["title"] = plain(title)
    sockets = _socket_folder() if launched is None else None
    try:
        pm.execute_notebook(
            nb,
            None,
            parameters=parameters,
            engine_name="paos",
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            kernel_start=start,
            kernel_folder=str(sockets) if sockets else None,
            kernel_template=kernels,
            kernel_launched=launched,
            keep=keep,
            # no local path in the delivered notebook: the template and the output by name
            paths=(template.name, output.name),
        )
    except PapermillExecutionError as exc:
        raise NotebookError(
            f"stage execute failed in cell {exc.exec_count} ({exc.ename}: {exc.evalue})".replace(
                "\n", " "
            )
        ) from None
    except (KeyboardInterrupt, PaosError):
        raise
    except Exception as exc:  # the kernel died, did not start, timed out, ...
        raise NotebookError(
            f"stage execute failed ({type(exc).__name__}: {exc})".replace("\n", " ")
        ) from None
    finally:
        if sockets is not None:
            remove_staging(sockets)
        if "nb" in keep:
            atomic_write_text(output, nbformat.writes(_show(keep["nb"], parameters, shown)))


def _show(nb, parameters: dict, shown: dict | None):
    """`nb` recording the `shown` value of each parameter it names, in papermill's
    metadata and in the injected-parameters cell, instead of the value it ran with."""
    from papermill.translators import PythonTranslator

    for key, value in (shown or {}).items():
        if parameters.get(key) == value:
            continue
        nb.metadata.papermill.parameters[key] = value
        ran = f"{key} = {PythonTranslator.translate(parameters[key])}"
        for cell in nb.cells:
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell.source = cell.source.replace(
                    ran, f"{key} = {PythonTranslator.translate(value)}"
                )
    return nb


def _shown_paths(parameters: dict, target: Path) -> tuple[dict, dict]:
    """The parameters a delivered notebook runs with, and the ones it records: every
    path (a `Path` value) relative to the deliverable folder `target`, where the kernel
    works (its staging folder is a sibling, so the same path holds there), so the
    delivered notebook runs again from its folder and holds no absolute local path.
    A path whose only folder in common with `target` is the root would climb to the
    root and spell the absolute path out: it runs so, but is recorded by its name
    alone (run again with `-p NAME PATH`). See docs/trust.md."""
    run, shown = {}, {}
    folder = os.path.abspath(target)
    for key, value in parameters.items():
        if not isinstance(value, Path):
            run[key] = shown[key] = value
            continue
        path = os.path.abspath(value)
        run[key] = os.path.relpath(path, folder)
        common = os.path.commonpath([path, folder])
        shown[key] = Path(path).name if common == Path(path).anchor else run[key]
    return run, shown


def run_engagement(
    engagement: str | Path,
    out: str | Path = DEFAULT_OUT,
    rulebook: str | None = None,
    force: bool = False,
    run_date: str | None = None,
    progress: Callable[[str], None] | None = print,
    template: Path | None = None,
    store: str | Path | None = None,
    browser: Browser | None = None,
    pptx_template: str | Path | None = None,
    kernels: Template | None = None,
    raw: RawEngagement | None = None,
    charts: ChartServer | None = None,
    stopped: Callable[[], bool] | None = None,
) -> RunResult:
    """Produce the deliverables of one engagement in `<out>/<engagement id>/`:
    the executed notebook, results.json, gaps.csv, actions.xlsx (the action plan,
    `paos.deliverables.actions`), executive_summary.html/.pdf/.pptx (the deck, on
    the consultancy's master `pptx_template` if given).
    With a results `store`, the run is recorded there, and the deliverable gains a
    benchmark section once the store holds past engagements. The PDF is printed with
    `browser` if given (a batch worker's), else with one launched for this run.
    An `out` or `store` that cannot be written is refused (`FaultError`) before any
    work starts. A batch worker gives its kernel template (`kernels`) and the
    engagement as it has read it already (`raw`), and its chart server (`charts`).
    Given neither (`paos run`), the run starts a chart server of its own first thing
    (`_own_charts`), ended when the run ends, however it ends. `stopped` says whether
    a stop was asked (`go_on`): asked before the report is published, the run stops
    as at a Ctrl-C and publishes nothing.

    The evidence is validated here before the notebook runs (bad evidence writes
    nothing), and read, validated and scored by the notebook's kernel; the store
    records what the notebook computed (its results.json, `store.contract_rows`),
    not a second scoring."""
    own = _own_charts() if kernels is None and charts is None else None
    charts = charts or own
    try:
        # deferred: python-pptx, nbconvert and altair take seconds to import; only the
        # steps that write a deck, a PDF or a check page need them
        from paos.deliverables._pptx import check_master

        t0 = time.perf_counter()
        check_master(pptx_template)  # before the evidence is read
        rulebook = absolute_rulebook(rulebook)
        engagement = Path(engagement).resolve()
        book = load_rulebook(rulebook) if rulebook else None
        evidence = load_evidence([engagement], book, [raw] if raw is not None else None)
        template = template or for_run(engagement) or notebook_path()  # the engagement's own first
        if store:
            separate_folders(out, store)
        out = writable_folder(out, "--out")  # bad evidence has written nothing
        if store:
            store = writable_folder(store, "--store")
            sweep_leftovers(store)  # what a killed paos process left
        eid = evidence.engagement_ids()[0]  # validated: safe as a folder name
        client = evidence.engagements["client"][0]
        result = deliver(
            eid,
            template,
            {
                # The notebook runs as `<deliverable>/diagnostic.ipynb` (the kernel works
                # there): its commentary is its own, relative paths start beside it.
                "notebook": DIAGNOSTIC,
                "engagement": engagement,
                "rulebook": rulebook_parameter(rulebook),
                "run_date": run_date or "",
                "store": Path(store) if store else "",
            },
            out,
            force,
            progress,
            f"{client} · Partner Architecture Diagnostic",
            "executive_summary",
            time.perf_counter() - t0,
            DIAGNOSTIC,
            browser,
            pptx_template=pptx_template,
            kernels=kernels,
            charts=charts,
            stopped=stopped,
        )
        if store:  # record the run once it is published
            try:
                write_runs(published_rows(result.folder, evidence, rulebook), store)
            except OSError as exc:
                raise FaultError(
                    f"{result.folder} is published, but the run could not be "
                    f"recorded in the store: {fault(exc, store)}"
                ) from None
        return result
    finally:
        if own is not None:
            own.close()


def _own_charts() -> ChartServer | None:
    """A run of its own (`paos run`) starts its chart server before anything else: it
    warms vl-convert up on the other core while this process imports and validates,
    and the kernel sends its charts there instead of starting vl-convert itself.
    None if it cannot start (the kernel draws its own charts) or with
    PAOS_CHART_ENGINE=inline. Measured (bench/README.md): a kernel template of the
    run's own as well cost about 0.7 CPU-s more and no wall time under load."""
    if os.environ.get(CHART_ENGINE, "").lower() == "inline":
        return None
    try:
        return ChartServer()
    except (OSError, subprocess.SubprocessError):
        return None


def rulebook_parameter(rulebook: str | None) -> str | Path:
    """A rulebook id as it is, a rulebook file (made absolute) as a path."""
    return Path(rulebook) if rulebook and os.path.isabs(rulebook) else rulebook or ""


def _keep_failed(staging: Path, out: Path, target_id: str) -> Path:
    """Move a failed run's staging folder to `<out>/<id>.failed` (replacing an earlier
    failed run that paos kept there, never a folder paos did not make); returns where
    it is. If that name is taken by something else, the folder stays where it is, no
    longer marked for clean-up."""
    failed = out / f"{target_id}.failed"
    try:
        publish_folder(staging, failed, force=owned(failed), keep_marker=True)
        return failed
    except FileExistsError:
        release(staging)
        return staging


def deliver(
    target_id: str,
    template: Path,
    parameters: dict,
    out: str | Path,
    force: bool,
    progress: Callable[[str], None] | None,
    title: str,
    html_name: str,
    validate_seconds: float = 0.0,
    notebook_name: str | None = None,
    browser: Browser | None = None,
    meta: dict | None = None,
    pptx_template: str | Path | None = None,
    kernels: Template | None = None,
    charts: ChartServer | None = None,
    stopped: Callable[[], bool] | None = None,
) -> RunResult:
    """Execute `template` with `parameters` (+ output_dir) and publish the executed
    notebook, what it saved, its HTML and PDF, and its slides (a PowerPoint deck on
    the master `pptx_template`, or a plain one) as `<out>/<target_id>/`.
    Without a `browser`, one is launched before the notebook runs, so that it has
    started by the time the HTML is there to print. A fault of the environment (a
    full disk, a folder that cannot be written) is a `FaultError` naming the path;
    nothing is published then. `meta` goes in the HTML's <meta> elements. A stop asked
    (`stopped`, see `go_on`) stops it between stages and right before it publishes,
    as a Ctrl-C does: the staging folder is removed, nothing is published."""
    import nbformat

    # deferred: python-pptx, nbconvert and altair take seconds to import; only the
    # steps that write a deck, a PDF or a check page need them
    from paos.deliverables._pptx import check_master

    check_master(pptx_template)  # a master that cannot be used: before any work
    out = writable_folder(out, "--out")
    sweep_leftovers(out)  # what a killed paos process left
    target = out / target_id
    if os.path.lexists(target) and not force:
        raise PaosError(f"{target} already exists; use --force to replace it")
    if os.path.lexists(target) and not is_report(target):  # checked again at publish
        raise FaultError(
            f"{target} exists and is not a report paos published; paos "
            "replaces only its own reports: move it away or choose another --out"
        )
    seconds = {"validate": validate_seconds}
    _say(progress, 1, "validate", f"{target_id}: input valid ({validate_seconds:.1f} s)")
    go_on(stopped)
    try:
        staging = make_staging(out, target_id)
    except OSError as exc:
        raise fault(exc, out, "--out") from None
    own_browser = None
    writing = out  # what a fault of the disk is named by
    ahead = contextlib.ExitStack()
    try:
        # A launched kernel (not a batch worker's fork) starts first: it boots on the
        # other core while nbconvert and python-pptx are imported here (about 2 s).
        launched = None if kernels else ahead.enter_context(kernel_ahead(staging, charts))
        from paos.deliverables._render import html_to_pdf, notebook_html
        from paos.deliverables.slides import notebook_deck

        if browser is None:
            try:
                own_browser = Browser()
            except PaosError as exc:  # no Chromium: say so before the notebook runs
                raise NotebookError(f"{target_id}: stage pdf failed ({exc})") from None
        nb_out = staging / (notebook_name or template.name)
        shutil.copyfile(template, nb_out)  # the notebook it runs as, read by its kernel
        t = time.perf_counter()
        # relative to the kernel's working folder, the staging folder: the delivered
        # notebook writes beside itself and finds its evidence when it runs again
        run_with, shown = _shown_paths({**parameters, "output_dir": "."}, target)
        try:
            execute_notebook(
                template,
                nb_out,
                run_with,
                cwd=staging,
                title=title,
                shown=shown,
                kernels=kernels,
                charts=charts,
                launched=launched,
            )
        except NotebookError as err:
            go_on(stopped)  # a notebook stopped by a Ctrl-C is no failure to keep
            kept = _keep_failed(staging, out, target_id)
            notebook = kept / nb_out.name
            raise NotebookError(
                f"{target_id}: {err}; "
                + (f"executed notebook: {notebook}" if notebook.is_file() else f"kept: {kept}")
            ) from None
        seconds["execute"] = time.perf_counter() - t
        _say(progress, 2, "execute", f"notebook executed ({seconds['execute']:.1f} s)")
        go_on(stopped)

        t = time.perf_counter()
        html = staging / f"{html_name}.html"
        deck = html.with_suffix(".pptx")
        try:
            executed = nbformat.read(str(nb_out), as_version=4)
            page = notebook_html(executed, title, meta)
        except Exception as exc:  # nbconvert raises many kinds
            raise NotebookError(
                f"{target_id}: stage html failed ({type(exc).__name__}: {exc})"
            ) from None
        writing = target / html.name
        atomic_write_text(html, page)
        writing = target / deck.name
        try:
            notebook_deck(executed, deck, pptx_template)  # the same pages, as slides
        except (OSError, PaosError):
            raise
        except Exception as exc:  # python-pptx raises many kinds
            raise NotebookError(
                f"{target_id}: stage html failed ({deck.name}: {type(exc).__name__}: {exc})"
            ) from None
        seconds["html"] = time.perf_counter() - t
        _say(progress, 3, "html", f"{html.name}, {deck.name} ({seconds['html']:.1f} s)")
        go_on(stopped)

        t = time.perf_counter()
        writing = target / f"{html_name}.pdf"
        try:
            html_to_pdf(html, html.with_suffix(".pdf"), browser=browser or own_browser)
        except PaosError as exc:
            raise NotebookError(f"{target_id}: stage pdf failed ({exc})") from None
        seconds["pdf"] = time.perf_counter() - t
        _say(progress, 4, "pdf", f"{html.stem}.pdf ({seconds['pdf']:.1f} s)")

        t = time.perf_counter()
        ahead.close()  # the kernel has exited: nothing more is written in staging
        go_on(stopped)  # the last moment a stop keeps the report unpublished
        writing = target
        try:
            publish_folder(staging, target, force)
        except FileExistsError:
            raise PaosError(f"{target} already exists; use --force to replace it") from None
        remove_owned(out / f"{target_id}.failed")
        seconds["publish"] = time.perf_counter() - t
        _say(progress, 5, "publish", f"{target}")
    except OSError as exc:
        raise fault(exc, writing, f"{target_id}: nothing published:") from None
    finally:
        ahead.close()
        if own_browser is not None:
            own_browser.close()
        if os.path.lexists(staging) and owned(staging):
            remove_staging(staging)
    files = {p.name: p for p in sorted(target.iterdir()) if not p.name.startswith(".")}
    return RunResult(target_id, target, files, seconds)


def run_check(
    answers: str | Path,
    out: str | Path = DEFAULT_OUT,
    rulebook: str | None = None,
    force: bool = False,
    run_date: str | None = None,
    progress: Callable[[str], None] | None = print,
    pptx_template: str | Path | None = None,
    stopped: Callable[[], bool] | None = None,
) -> RunResult:
    """The Architecture Check of a prospect: `<out>/<id>/architecture_check.html/.pdf/
    .pptx`, check.json and the executed notebook. `stopped`: as `deliver`'s."""
    # deferred: python-pptx, nbconvert and altair take seconds to import; only the
    # steps that write a deck, a PDF or a check page need them
    from paos.deliverables.check_page import meta

    t0 = time.perf_counter()
    rulebook = absolute_rulebook(rulebook)
    answers = Path(answers).resolve()
    check = assess(answers, rulebook or None, run_date)  # validates, names the id
    return deliver(
        check["id"],
        notebook_path("architecture_check.ipynb"),
        {"answers": answers, "rulebook": rulebook_parameter(rulebook), "run_date": run_date or ""},
        out,
        force,
        progress,
        f"{check['prospect']} · Architecture Check",
        "architecture_check",
        time.perf_counter() - t0,
        meta=meta(check),
        pptx_template=pptx_template,
        stopped=stopped,
    )
