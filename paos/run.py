"""`paos run`: one engagement -> its deliverables, stage by stage.

validate -> execute (papermill) -> html (nbconvert) -> pdf (Chromium) -> publish

Everything is built in a staging folder next to the target and published by
one rename, so an interrupted run never leaves a half-written report and an
existing report is replaced only with `force`. Output paths come only from the
validated engagement id. A failed run keeps its executed notebook (with the
error in it) in `<out>/<id>.failed/` so the analyst can see what broke.
"""
from __future__ import annotations

import functools
import os
import shutil
import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from paos.errors import NotebookError, PaosError
from paos.files import atomic_write_text, make_staging, publish_folder

if TYPE_CHECKING:
    from paos.browser import Browser

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
DIAGNOSTIC = "diagnostic.ipynb"
STAGES = ("validate", "execute", "html", "pdf", "publish")


@dataclass
class RunResult:
    engagement_id: str
    folder: Path
    files: dict[str, Path]
    seconds: dict[str, float] = field(default_factory=dict)


def notebook_path(name: str = DIAGNOSTIC) -> Path:
    """The bundled notebook template (PAOS_NOTEBOOKS overrides the folder)."""
    folder = Path(os.environ.get("PAOS_NOTEBOOKS", NOTEBOOKS))
    path = folder / name
    if not path.is_file():
        raise PaosError(f"notebook template {path} is missing")
    return path


def _say(progress: Callable[[str], None] | None, i: int, stage: str, text: str) -> None:
    if progress:
        progress(f"[{i}/{len(STAGES)}] {stage:<8} {text}")


@contextlib.contextmanager
def _kernel_stderr_to(log: Path):
    """Send what the kernel process prints to stderr (its start-up warnings) to a
    log file instead of the analyst's terminal; cell errors stay in the notebook."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(log, "ab") as fh:
            os.dup2(fh.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
        log.unlink(missing_ok=True)


@functools.cache
def _engine() -> type:
    """Papermill's nbclient engine, with the executed notebook written once, when the
    run ends (however it ends), instead of before and after every cell: that is
    29 writes of a growing notebook for the diagnostic, about 0.1 s. Papermill
    itself writes it after a run (with a cell error or not); this engine writes it
    when the kernel dies. Nothing is lost by it: the run is built in a staging
    folder that is published only whole."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager
    from papermill.iorw import write_ipynb

    class OneWriteManager(NotebookExecutionManager):
        def save(self, **kwargs) -> None:        # papermill's per-cell writes
            self.last_save_time = self.now()

    class OneWriteEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                             log_output=False, autosave_cell_every=30, **kwargs):
            nb_man = OneWriteManager(nb, output_path=output_path, progress_bar=progress_bar,
                                     log_output=log_output,
                                     autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                             **kwargs)
            except BaseException:                # the kernel died, ...: papermill will not
                nb_man.cleanup_pbar()            # write the notebook, so write it here
                nb_man.notebook_complete()
                if output_path:
                    write_ipynb(nb_man.nb, output_path)
                raise
            nb_man.cleanup_pbar()                # papermill writes it next (cell error or not)
            nb_man.notebook_complete()
            return nb_man.nb

    return OneWriteEngine


def execute_notebook(template: Path, output: Path, parameters: dict, cwd: Path) -> None:
    """Run `template` with papermill into `output`; a failure names the cell (or
    what stopped the kernel). The executed notebook is written however it ends."""
    import papermill as pm
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError
    papermill_engines.register("paos", _engine())
    try:
        with _kernel_stderr_to(output.with_suffix(".kernel.log")):
            pm.execute_notebook(str(template), str(output), parameters=parameters,
                                engine_name="paos", kernel_name="python3",
                                progress_bar=False, cwd=str(cwd), log_output=False)
    except PapermillExecutionError as exc:
        raise NotebookError(f"stage execute failed in cell {exc.exec_count} "
                            f"({exc.ename}: {exc.evalue})".replace("\n", " ")) from None
    except (KeyboardInterrupt, PaosError):
        raise
    except Exception as exc:  # the kernel died, did not start, timed out, ...
        raise NotebookError(f"stage execute failed ({type(exc).__name__}: {exc})"
                            .replace("\n", " ")) from None


def run_engagement(engagement: str | Path, out: str | Path = "reports",
                   rulebook: str | None = None, force: bool = False,
                   run_date: str | None = None,
                   progress: Callable[[str], None] | None = print,
                   template: Path | None = None,
                   store: str | Path | None = None,
                   browser: Browser | None = None) -> RunResult:
    """Produce the deliverables of one engagement in `<out>/<engagement id>/`:
    the executed notebook, results.json, gaps.csv, executive_summary.html/.pdf.
    With a results `store`, the run is recorded there, and the deliverable gains a
    benchmark section once the store holds past engagements. The PDF is printed with
    `browser` if given (a batch worker's), else with one launched for this run."""
    from paos.rulebook import load_rulebook
    from paos.validate import load_evidence

    t0 = time.perf_counter()
    engagement = Path(engagement).resolve()
    evidence = load_evidence([engagement], load_rulebook(rulebook) if rulebook else None)
    eid = evidence.engagement_ids()[0]               # validated: safe as a folder name
    client = evidence.engagements["client"][0]
    result = deliver(eid, template or notebook_path(), {
        "engagement": str(engagement), "rulebook": rulebook or "", "run_date": run_date or "",
        "store": str(Path(store).resolve()) if store else ""},
        out, force, progress, f"{client} · Partner Architecture Diagnostic",
        "executive_summary", time.perf_counter() - t0, DIAGNOSTIC, browser)
    if store:                                        # record the run once it is published
        from paos.diagnostic import score_evidence
        from paos.store import store_rows, write_runs
        write_runs(store_rows(score_evidence(evidence, rulebook)), store)
    return result


def deliver(target_id: str, template: Path, parameters: dict, out: str | Path, force: bool,
            progress: Callable[[str], None] | None, title: str, html_name: str,
            validate_seconds: float = 0.0, notebook_name: str | None = None,
            browser: Browser | None = None) -> RunResult:
    """Execute `template` with `parameters` (+ output_dir) and publish the executed
    notebook, what it saved, and its HTML and PDF as `<out>/<target_id>/`.
    Without a `browser`, one is launched before the notebook runs, so that it has
    started by the time the HTML is there to print."""
    from paos.browser import Browser
    from paos.render import html_to_pdf, notebook_html

    out = Path(out).resolve()
    target = out / target_id
    if target.exists() and not force:
        raise PaosError(f"{target} already exists; use --force to replace it")
    seconds = {"validate": validate_seconds}
    _say(progress, 1, "validate", f"{target_id}: input valid ({validate_seconds:.1f} s)")
    staging = make_staging(out, target_id)
    own_browser = None
    try:
        if browser is None:
            try:
                own_browser = Browser()
            except PaosError as exc:             # no Chromium: say so before the notebook runs
                raise NotebookError(f"{target_id}: stage pdf failed ({exc})") from None
        nb_out = staging / (notebook_name or template.name)
        t = time.perf_counter()
        try:
            execute_notebook(template, nb_out, {**parameters, "output_dir": str(staging)},
                             cwd=staging)
        except NotebookError as err:
            failed = out / f"{target_id}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            os.replace(staging, failed)
            kept = failed / nb_out.name
            raise NotebookError(f"{target_id}: {err}; " + (
                f"executed notebook: {kept}" if kept.is_file() else f"kept: {failed}"))
        seconds["execute"] = time.perf_counter() - t
        _say(progress, 2, "execute", f"notebook executed ({seconds['execute']:.1f} s)")

        t = time.perf_counter()
        html = staging / f"{html_name}.html"
        try:
            atomic_write_text(html, notebook_html(nb_out, title))
        except Exception as exc:  # nbconvert raises many kinds
            raise NotebookError(f"{target_id}: stage html failed ({type(exc).__name__}: {exc})")
        seconds["html"] = time.perf_counter() - t
        _say(progress, 3, "html", f"{html.name} ({seconds['html']:.1f} s)")

        t = time.perf_counter()
        try:
            html_to_pdf(html, html.with_suffix(".pdf"), browser=browser or own_browser)
        except PaosError as exc:
            raise NotebookError(f"{target_id}: stage pdf failed ({exc})") from None
        seconds["pdf"] = time.perf_counter() - t
        _say(progress, 4, "pdf", f"{html.stem}.pdf ({seconds['pdf']:.1f} s)")

        t = time.perf_counter()
        publish_folder(staging, target, force)
        shutil.rmtree(out / f"{target_id}.failed", ignore_errors=True)
        seconds["publish"] = time.perf_counter() - t
        _say(progress, 5, "publish", f"{target}")
    finally:
        if own_browser is not None:
            own_browser.close()
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    files = {p.name: p for p in sorted(target.iterdir())}
    return RunResult(target_id, target, files, seconds)


def run_check(answers: str | Path, out: str | Path = "reports", rulebook: str | None = None,
              force: bool = False, run_date: str | None = None,
              progress: Callable[[str], None] | None = print) -> RunResult:
    """The Architecture Check of a prospect: `<out>/<id>/architecture_check.html/.pdf`,
    check.json and the executed notebook."""
    from paos.check import prepare
    t0 = time.perf_counter()
    answers = Path(answers).resolve()
    check = prepare(answers, rulebook or None, run_date)          # validates, names the id
    return deliver(check["id"], notebook_path("architecture_check.ipynb"), {
        "answers": str(answers), "rulebook": rulebook or "", "run_date": run_date or ""},
        out, force, progress, f"{check['prospect']} · Architecture Check",
        "architecture_check", time.perf_counter() - t0)


def run_portfolio_report(store: str | Path = "data/results", out: str | Path = "reports",
                         rulebook: str | None = None, force: bool = False,
                         run_date: str | None = None,
                         progress: Callable[[str], None] | None = print) -> RunResult:
    """The portfolio benchmark report in `<out>/portfolio-<rulebook id>/`."""
    from paos.portfolio import prepare
    t0 = time.perf_counter()
    store = Path(store).resolve()
    p = prepare(store, rulebook, run_date)                 # refuses an empty store
    return deliver(f"portfolio-{p.rulebook.id}", notebook_path("portfolio_benchmark.ipynb"), {
        "store": str(store), "rulebook": rulebook or "", "run_date": run_date or ""},
        out, force, progress, "Portfolio benchmark", "portfolio_benchmark",
        time.perf_counter() - t0)
