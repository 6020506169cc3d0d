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

import functools
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from paos._defaults import DEFAULT_OUT, DEFAULT_STORE
from paos._files import (
    atomic_write_text,
    fault,
    is_report,
    make_staging,
    owned,
    publish_folder,
    release,
    remove_owned,
    separate_folders,
    sweep_leftovers,
    writable_folder,
)
from paos.bundled import NOTEBOOKS
from paos.errors import FaultError, NotebookError, PaosError, plain

if TYPE_CHECKING:
    from paos.deliverables._browser import Browser

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
    folder = Path(os.environ.get("PAOS_NOTEBOOKS", NOTEBOOKS))
    path = folder / name
    if not path.is_file():
        raise PaosError(f"notebook template {path} is missing")
    return path


def _say(progress: Callable[[str], None] | None, i: int, stage: str, text: str) -> None:
    if progress:
        progress(f"[{i}/{len(STAGES)}] {stage:<8} {text}")


@functools.cache
def _engine() -> type:
    """Papermill's nbclient engine, changed in three ways. Kept for correctness
    first: papermill would change this process's working folder, which a Dask worker
    shares with the runs on its other threads.

    - Papermill's own `cwd=` is a process-wide `chdir`: the kernel is launched with
      `kernel_start` instead (its working folder and its stderr, given to the kernel
      alone).
    - Papermill reads and writes files through handlers that change the working
      folder of the process around every read and write; the notebook comes in as a
      notebook object and goes out through `keep` instead, so none of that runs.
    - The executed notebook is written once, when the run ends (however it ends),
      by `execute_notebook` below, instead of before and after every cell: that is
      29 writes of a growing notebook for the diagnostic, measured at 0.1 s. Nothing
      is lost by it: the run is built in a staging folder that is published only whole."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager
    from papermill.utils import merge_kwargs, remove_args

    class OneWriteManager(NotebookExecutionManager):
        def save(self, **kwargs) -> None:  # papermill's per-cell writes
            self.last_save_time = self.now()

    class OneWriteEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            kernel_start=None,
            **kwargs,
        ):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return PapermillNotebookClient(nb_man, **final).execute(**(kernel_start or {}))

        @classmethod
        def execute_notebook(
            cls,
            nb,
            kernel_name,
            output_path=None,
            progress_bar=True,
            log_output=False,
            autosave_cell_every=30,
            keep=None,
            paths=("", ""),
            **kwargs,
        ):
            nb.metadata.papermill["input_path"], nb.metadata.papermill["output_path"] = paths
            nb_man = OneWriteManager(
                nb,
                output_path=None,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            if keep is not None:
                keep["nb"] = nb_man.nb  # papermill adds its error cell to this one
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    return OneWriteEngine


def execute_notebook(
    template: Path, output: Path, parameters: dict, cwd: Path, title: str = ""
) -> None:
    """Run `template` with papermill into `output`, in a kernel whose working folder
    is `cwd`, given when the kernel is launched (papermill's own `cwd=` changes this
    process's working folder, under every thread). The kernel's own stderr (its
    start-up warnings) is dropped; cell errors stay in the notebook. A failure names
    the cell (or what stopped the kernel). The executed notebook is written however
    the run ends, unless it never started. A `title` goes in its metadata, where
    nbconvert's templates (`paos` too) take the page title from."""
    import nbformat
    import papermill as pm
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    papermill_engines.register("paos", _engine())
    start = {"cwd": str(cwd), "stderr": subprocess.DEVNULL}
    keep: dict = {}
    nb = nbformat.read(str(template), as_version=4)
    if title:
        nb.metadata["title"] = plain(title)
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
            keep=keep,
            paths=(str(template), str(output)),
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
        if "nb" in keep:
            atomic_write_text(output, nbformat.writes(keep["nb"]))


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
) -> RunResult:
    """Produce the deliverables of one engagement in `<out>/<engagement id>/`:
    the executed notebook, results.json, gaps.csv, actions.xlsx (the action plan,
    `paos.deliverables.actions`), executive_summary.html/.pdf/.pptx (the deck, on
    the consultancy's master `pptx_template` if given).
    With a results `store`, the run is recorded there, and the deliverable gains a
    benchmark section once the store holds past engagements. The PDF is printed with
    `browser` if given (a batch worker's), else with one launched for this run.
    An `out` or `store` that cannot be written is refused (`FaultError`) before any
    work starts."""
    from paos.deliverables._pptx import check_master
    from paos.evidence.validate import load_evidence
    from paos.method.rulebook import load_rulebook
    from paos.portfolio.batch import absolute_rulebook

    t0 = time.perf_counter()
    check_master(pptx_template)  # before the evidence is read
    rulebook = absolute_rulebook(rulebook)
    engagement = Path(engagement).resolve()
    evidence = load_evidence([engagement], load_rulebook(rulebook) if rulebook else None)
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
        template or notebook_path(),
        {
            "engagement": str(engagement),
            "rulebook": rulebook or "",
            "run_date": run_date or "",
            "store": str(store or ""),
        },
        out,
        force,
        progress,
        f"{client} · Partner Architecture Diagnostic",
        "executive_summary",
        time.perf_counter() - t0,
        DIAGNOSTIC,
        browser,
        pptx_template,
    )
    if store:  # record the run once it is published
        from paos.method.diagnostic import score_evidence
        from paos.portfolio.store import store_rows, write_runs

        try:
            write_runs(store_rows(score_evidence(evidence, rulebook)), store)
        except OSError as exc:
            raise FaultError(
                f"{result.folder} is published, but the run could not be "
                f"recorded in the store: {fault(exc, store)}"
            ) from None
    return result


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
    pptx_template: str | Path | None = None,
) -> RunResult:
    """Execute `template` with `parameters` (+ output_dir) and publish the executed
    notebook, what it saved, its HTML and PDF, and its slides (a PowerPoint deck on
    the master `pptx_template`, or a plain one) as `<out>/<target_id>/`.
    Without a `browser`, one is launched before the notebook runs, so that it has
    started by the time the HTML is there to print. A fault of the environment (a
    full disk, a folder that cannot be written) is a `FaultError` naming the path;
    nothing is published then."""
    import nbformat

    from paos.deliverables._browser import Browser
    from paos.deliverables._pptx import check_master
    from paos.deliverables._render import html_to_pdf, notebook_html
    from paos.deliverables.slides import notebook_deck

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
    try:
        staging = make_staging(out, target_id)
    except OSError as exc:
        raise fault(exc, out, "--out") from None
    own_browser = None
    writing = out  # what a fault of the disk is named by
    try:
        if browser is None:
            try:
                own_browser = Browser()
            except PaosError as exc:  # no Chromium: say so before the notebook runs
                raise NotebookError(f"{target_id}: stage pdf failed ({exc})") from None
        nb_out = staging / (notebook_name or template.name)
        t = time.perf_counter()
        try:
            execute_notebook(
                template,
                nb_out,
                {**parameters, "output_dir": str(staging)},
                cwd=staging,
                title=title,
            )
        except NotebookError as err:
            kept = _keep_failed(staging, out, target_id)
            notebook = kept / nb_out.name
            raise NotebookError(
                f"{target_id}: {err}; "
                + (f"executed notebook: {notebook}" if notebook.is_file() else f"kept: {kept}")
            ) from None
        seconds["execute"] = time.perf_counter() - t
        _say(progress, 2, "execute", f"notebook executed ({seconds['execute']:.1f} s)")

        t = time.perf_counter()
        html = staging / f"{html_name}.html"
        deck = html.with_suffix(".pptx")
        try:
            executed = nbformat.read(str(nb_out), as_version=4)
            page = notebook_html(executed, title)
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

        t = time.perf_counter()
        writing = target / f"{html_name}.pdf"
        try:
            html_to_pdf(html, html.with_suffix(".pdf"), browser=browser or own_browser)
        except PaosError as exc:
            raise NotebookError(f"{target_id}: stage pdf failed ({exc})") from None
        seconds["pdf"] = time.perf_counter() - t
        _say(progress, 4, "pdf", f"{html.stem}.pdf ({seconds['pdf']:.1f} s)")

        t = time.perf_counter()
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
        if own_browser is not None:
            own_browser.close()
        if os.path.lexists(staging) and owned(staging):
            shutil.rmtree(staging, ignore_errors=True)
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
) -> RunResult:
    """The Architecture Check of a prospect: `<out>/<id>/architecture_check.html/.pdf/
    .pptx`, check.json and the executed notebook."""
    from paos.method.check import assess
    from paos.portfolio.batch import absolute_rulebook

    t0 = time.perf_counter()
    rulebook = absolute_rulebook(rulebook)
    answers = Path(answers).resolve()
    check = assess(answers, rulebook or None, run_date)  # validates, names the id
    return deliver(
        check["id"],
        notebook_path("architecture_check.ipynb"),
        {"answers": str(answers), "rulebook": rulebook or "", "run_date": run_date or ""},
        out,
        force,
        progress,
        f"{check['prospect']} · Architecture Check",
        "architecture_check",
        time.perf_counter() - t0,
        pptx_template=pptx_template,
    )


def run_portfolio_report(
    store: str | Path = DEFAULT_STORE,
    out: str | Path = DEFAULT_OUT,
    rulebook: str | None = None,
    force: bool = False,
    run_date: str | None = None,
    progress: Callable[[str], None] | None = print,
    pptx_template: str | Path | None = None,
) -> RunResult:
    """The portfolio benchmark report in `<out>/portfolio-<rulebook id>/` (HTML, PDF
    and PowerPoint)."""
    from paos.portfolio.batch import absolute_rulebook
    from paos.portfolio.report import collect

    t0 = time.perf_counter()
    rulebook = absolute_rulebook(rulebook)
    store = Path(store).resolve()
    p = collect(store, rulebook, run_date)  # refuses an empty store
    return deliver(
        f"portfolio-{p.rulebook.id}",
        notebook_path("portfolio_benchmark.ipynb"),
        {"store": str(store), "rulebook": rulebook or "", "run_date": run_date or ""},
        out,
        force,
        progress,
        "Portfolio benchmark",
        "portfolio_benchmark",
        time.perf_counter() - t0,
        pptx_template=pptx_template,
    )
