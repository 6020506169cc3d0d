"""`paos batch`: every engagement of a portfolio, after a rulebook change or any time.

- `scores_only`: the whole portfolio read, validated and scored in one vectorised
  pass, each engagement's run written to the results store.
- `deliverables`: the `paos run` pipeline per engagement, in parallel local
  processes or on an existing Dask cluster, each run also recorded in the store.

One broken engagement never stops the others: each outcome carries a one-line
reason, whatever went wrong. Two engagements with one id are both refused (their
reports and store files would overwrite each other). Every path is made absolute
here, where the user typed it, before any work is handed to a process or a Dask
worker whose working folder may be another.

Resumable: an engagement whose evidence files and rulebook are unchanged since its
last successful run (its store file exists and reads, and for deliverables its
report folder too) is skipped unless `force`. Every file is written atomically,
so an interrupted batch loses no finished result; rerunning it finishes the rest.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from paos import _startup
from paos._defaults import DEFAULT_OUT, DEFAULT_RULEBOOK, DEFAULT_STORE
from paos._files import separate_folders, sweep_leftovers, writable_folder
from paos._types import Evidence
from paos.base.rulebook import Rulebook, absolute_rulebook, known_rulebooks, load_rulebook
from paos.base.workbook import is_workbook
from paos.deliverables._browser import shared as shared_browser
from paos.deliverables._chart_server import shared as shared_charts
from paos.deliverables.run import go_on, run_engagement
from paos.errors import EvidenceError, FaultError, NotebookError, PaosError
from paos.evidence.intake import RawEngagement, read_engagement, read_meta
from paos.evidence.validate import check_engagements
from paos.evidence.validate import duplicate_ids as clashes
from paos.method.engine import score
from paos.method.robustness import robustness
from paos.method.store import evidence_digest, readable_run, run_file, store_rows, write_runs
from paos.portfolio._bar import Bar

if TYPE_CHECKING:
    from rich.progress import Progress


@dataclass
class Outcome:
    """What happened to one engagement of a batch."""

    source: str
    engagement_id: str | None
    status: str  # done | skipped | failed
    stage: str = ""  # where it failed: read/validate, execute, html, pdf, ...
    reason: str = ""
    seconds: float = 0.0


def discover(portfolio: str | Path) -> list[Path]:
    """Every engagement under `portfolio`: folders holding engagement.yaml, and
    workbooks (.xlsx, .xlsm, .ods, .xls) that are not inside such a folder. Hidden
    folders and files, and Excel's lock files (~$name), are skipped."""
    root = Path(portfolio)
    if not root.is_dir():
        raise PaosError(f"{root}: not a folder")
    found = set()
    for meta in root.rglob("engagement.yaml"):
        if not any(part.startswith(".") for part in meta.relative_to(root).parts):
            found.add(meta.parent)
    for book in root.rglob("*"):
        if not is_workbook(book):
            continue
        rel = book.relative_to(root).parts
        if not any(p.startswith((".", "~$")) for p in rel) and not any(
            parent in found for parent in book.parents
        ):
            found.add(book)
    return sorted(found)


def _book(raw: RawEngagement, rulebook: Rulebook | None) -> Rulebook | None:
    if rulebook is not None:
        return rulebook
    ref = str(raw.meta.get("rulebook") or DEFAULT_RULEBOOK).strip()
    return load_rulebook(ref) if ref in known_rulebooks() else None


def is_current(
    raw: RawEngagement, rulebook: Rulebook | None, store: Path, reports: Path | None = None
) -> bool:
    """True when this evidence under this rulebook already has a successful run (a
    readable run file: a corrupt one is rewritten)."""
    book, eid = _book(raw, rulebook), raw.meta.get("id")
    if book is None or not eid or raw.problems:
        return False
    done = readable_run(
        run_file(store, str(eid).strip(), book.id, book.sha256, evidence_digest(raw.files))
    )
    return done and (reports is None or (reports / str(eid).strip() / "results.json").is_file())


def _reason(err: BaseException) -> str:
    """One line for an unexpected error (a bug or a fault): its kind and message."""
    if isinstance(err, PaosError):
        lines = err.lines()
        return lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
    return f"{type(err).__name__}: {err}".replace("\n", " ")


def _first(err: EvidenceError) -> str:
    return _reason(err)


def score_sources(
    sources: list[Path],
    store: Path,
    rulebook: Rulebook | None = None,
    force: bool = False,
    progress: Bar | None = None,
    timings: dict[str, float] | None = None,
    stopped: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Read, validate and score `sources` in one vectorised pass; record each valid
    engagement's run in the store. Runs in one process (or one Dask task).
    `timings`, when given, receives the seconds spent reading, validating, scoring
    and writing. A stop asked (`stopped`, see `go_on`) before the store is written
    stops it as a Ctrl-C does."""

    t0 = time.perf_counter()
    clock = timings if timings is not None else {}
    mark = [t0]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        clock[stage] = clock.get(stage, 0.0) + now - mark[0]
        mark[0] = now

    outcomes: dict[int, Outcome] = {}
    raws: list[RawEngagement | None] = []
    books: dict[str, Rulebook | None] = {}  # each rulebook an engagement names, loaded once
    for i, src in enumerate(sources):
        try:
            raw = read_engagement(src)
            ref = str(raw.meta.get("rulebook") or DEFAULT_RULEBOOK).strip()
            if ref not in books:
                books[ref] = _book(raw, rulebook)
            if not force and is_current(raw, books[ref], store):
                outcomes[i] = Outcome(
                    str(src),
                    str(raw.meta["id"]).strip(),
                    "skipped",
                    reason="unchanged since its last run",
                )
        except Exception as err:  # noqa: BLE001 - this engagement fails, not the portfolio
            raw = None
            outcomes[i] = Outcome(str(src), None, "failed", "read", _reason(err))
        raws.append(raw)
        if progress:
            progress.advance(failed=int(raw is None), current=src.name)
    todo = [i for i, raw in enumerate(raws) if i not in outcomes and raw is not None]
    read = {i: raw for i, raw in enumerate(raws) if raw is not None}
    lap("read")
    evidence, problems = check_engagements([read[i] for i in todo], rulebook)
    lap("validate")
    for i, found in zip(todo, problems):
        if found:
            eid = read[i].meta.get("id")
            outcomes[i] = Outcome(
                str(sources[i]),
                str(eid).strip() if eid else None,
                "failed",
                "validate",
                _first(EvidenceError(found)),
            )
    if evidence is not None:
        by_source = {str(Path(s)): i for i, s in enumerate(sources)}
        for book_id in evidence.engagements["rulebook"].unique().sort().to_list():
            book = rulebook or load_rulebook(book_id)
            part = _subset(evidence, None if rulebook else book_id)
            if part.engagements.height == 0:
                continue
            rows = store_rows(robustness(part, book, score(part, book)))
            lap("score")
            go_on(stopped)
            for path, (eid, src) in zip(
                write_runs(rows, store),
                part.engagements.select("engagement_id", "source").iter_rows(),
            ):
                outcomes[by_source[src]] = Outcome(src, eid, "done", reason=str(path))
            lap("write")
    elapsed = time.perf_counter() - t0
    for i in range(len(sources)):
        outcomes[i].seconds = elapsed / max(1, len(sources))
    if progress:
        progress.failures(sum(o.status == "failed" for o in outcomes.values()))
    return [outcomes[i] for i in range(len(sources))]


def _subset(evidence: Evidence, book_id: str | None) -> Evidence:
    """The engagements of one rulebook (all of them when `book_id` is None)."""
    if book_id is None:
        return evidence
    ids = evidence.engagements.filter(pl.col("rulebook") == book_id)["engagement_id"].to_list()

    def pick(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("engagement_id").is_in(ids))

    return Evidence(
        pick(evidence.engagements),
        pick(evidence.stakeholders),
        pick(evidence.ratings),
        pick(evidence.metrics),
        pick(evidence.files) if evidence.files is not None else None,
    )


def deliver_one(
    source: str,
    out: str,
    store: str,
    rulebook: str | None,
    force: bool,
    pptx_template: str | None = None,
) -> Outcome:
    """The full `paos run` pipeline for one engagement plus its store record (its
    PowerPoint deck on the master `pptx_template`, or a plain one).
    Never raises: whatever goes wrong with this engagement is its outcome."""

    t0 = time.perf_counter()
    eid = None
    try:
        # jupyter_client: a worker that delivers forks its kernels; scores-only never
        from paos.deliverables._kernels import shared as shared_kernels

        raw = read_engagement(source)
        eid = str(raw.meta.get("id") or "").strip() or None
        book = load_rulebook(rulebook) if rulebook else None
        if not force and is_current(raw, book, Path(store), Path(out)):
            return Outcome(source, eid, "skipped", reason="unchanged since its last run")
        result = run_engagement(
            source,
            out,
            rulebook,
            force=True,
            progress=None,
            store=store,
            browser=shared_browser(),
            pptx_template=pptx_template,
            kernels=shared_kernels(),  # each kernel forked from this worker's template
            charts=shared_charts(),  # its charts drawn by this worker's chart server
            raw=raw,  # read once here: validated from it, not read again
        )
        return Outcome(
            source,
            result.engagement_id,
            "done",
            reason=str(result.folder),
            seconds=time.perf_counter() - t0,
        )
    except EvidenceError as err:
        return Outcome(source, eid, "failed", "validate", _first(err), time.perf_counter() - t0)
    except NotebookError as err:
        text = str(err)
        stage = next((s for s in ("execute", "html", "pdf") if f"stage {s}" in text), "run")
        return Outcome(source, eid, "failed", stage, text, time.perf_counter() - t0)
    except Exception as err:  # noqa: BLE001 - a fault or a bug must not stop the portfolio
        return Outcome(source, eid, "failed", "run", _reason(err), time.perf_counter() - t0)


def _chunks(items: list, n: int) -> list[list]:
    size = max(1, -(-len(items) // max(1, n)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _score_chunk(sources: list[str], store: str, rulebook: str | None, force: bool) -> list[dict]:
    book = load_rulebook(rulebook) if rulebook else None
    return [asdict(o) for o in score_sources([Path(s) for s in sources], Path(store), book, force)]


def run_batch(
    portfolio: str | Path,
    out: str | Path = DEFAULT_OUT,
    store: str | Path = DEFAULT_STORE,
    jobs: int | None = None,
    scores_only: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    rulebook: str | None = None,
    progress: Progress | None = None,
    pptx_template: str | Path | None = None,
    stopped: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Run every engagement under `portfolio`; returns one outcome per engagement,
    counted on `progress` (a `rich.progress.Progress`) if given. An --out or --store
    that cannot be written, or a `pptx_template` that is no PowerPoint master, is
    refused before any work starts. A stop asked (`stopped`, see `go_on`) stops the
    batch as a Ctrl-C does, even one Python swallowed: it is asked while the batch
    waits for its engagements, at least every `_POLL` seconds."""
    if executor not in ("local", "dask"):
        raise PaosError(f"unknown executor {executor!r} (local or dask)")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise PaosError(f"--jobs must be a whole number of at least 1, not {jobs!r}")
    sources = discover(Path(os.path.abspath(portfolio)))
    master = None
    if pptx_template and not scores_only:
        # deferred: python-pptx, nbconvert and altair take seconds to import; only the
        # steps that write a deck, a PDF or a check page need them
        from paos.deliverables._pptx import check_master

        check_master(pptx_template)
        master = os.path.abspath(pptx_template)  # the same file from a worker elsewhere
    limit, jobs = jobs, jobs or os.cpu_count() or 1
    if not scores_only:
        separate_folders(out, store)
    store = writable_folder(store, "--store")
    out = Path(os.path.abspath(out)) if scores_only else writable_folder(out, "--out")
    rulebook = absolute_rulebook(rulebook)
    sweep_leftovers(out, store)  # what a killed paos process left there, only that
    bar = Bar(progress, len(sources), "scoring" if scores_only else "deliverables")
    if executor == "dask":
        work = (sources, out, store, jobs, scores_only, scheduler, force, rulebook, bar)
        return _run_dask(*work, limit, master, stopped)
    if scores_only:
        book = load_rulebook(rulebook) if rulebook else None
        return score_sources(sources, store, book, force, bar, stopped=stopped)
    return _run_local(sources, out, store, jobs, force, rulebook, bar, master, stopped)


def _run_local(
    sources, out, store, jobs, force, rulebook, bar, master=None, stopped=None
) -> list[Outcome]:
    results: dict[str, Outcome] = duplicate_ids(sources)
    bar.advance(len(results), failed=len(results))
    todo = [s for s in sources if str(s) not in results]
    if not todo:
        return [results[str(s)] for s in sources]
    go_on(stopped)  # before a worker starts
    ctx = mp.get_context("spawn")  # polars' thread pool does not survive fork
    # workers are paos's own processes: the CLI's process set-up (`paos._startup`)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_startup.start)
    futures = {
        pool.submit(deliver_one, str(s), str(out), str(store), rulebook, force, master): str(s)
        for s in todo
    }
    pending = set(futures)
    try:
        while pending:
            go_on(stopped)  # a stop Python swallowed: the workers are stopped all the same
            ready, pending = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
            for fut in ready:
                src = futures[fut]
                try:
                    outcome = fut.result()
                except BrokenProcessPool as exc:
                    outcome = Outcome(src, None, "failed", "worker", f"worker process died ({exc})")
                except Exception as exc:  # noqa: BLE001 - e.g. an outcome that would not pickle
                    outcome = Outcome(src, None, "failed", "worker", _reason(exc))
                results[src] = outcome
                bar.advance(failed=outcome.status == "failed", current=_name(outcome))
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM as the CLI turns it into one
        _stop_workers(pool)
        sweep_leftovers(out, store)  # the killed workers' staging folders, only those
        raise
    pool.shutdown(wait=True)
    return [results[str(s)] for s in sources]


_STOP_WAIT = 10.0  # seconds the workers' kernels and browsers get to end by themselves


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once, its workers' kernels, Playwright drivers and Chromiums
    with it, so nothing is left running (or publishing) once the batch has exited.

    The workers are killed outright: one cannot publish a report after that, and the
    staging folder it leaves is marked as its own, so the batch removes it once they are
    gone (`sweep_leftovers`; a worker's own Ctrl-C may not have finished cleaning up).
    Their children end by themselves when their parent dies (a kernel polls its
    parent; Playwright's driver reads from the worker's pipe and closes Chromium on
    its end), and are killed if they have not gone within `_STOP_WAIT` seconds.
    Waiting for the running engagements instead (the pool's own shutdown) let them
    publish minutes after the batch had exited."""
    import psutil

    workers = []
    for process in list(getattr(pool, "_processes", {}).values()):
        try:
            workers.append(psutil.Process(process.pid))
        except (psutil.Error, TypeError):
            continue
    family = list(workers)
    for worker in workers:
        try:
            family += worker.children(recursive=True)
        except psutil.Error:
            continue
    for worker in workers:
        try:
            worker.kill()
        except psutil.Error:
            continue
    pool.shutdown(wait=False, cancel_futures=True)
    _, alive = psutil.wait_procs(family, timeout=_STOP_WAIT)
    for process in alive:
        try:
            for child in process.children(recursive=True):
                child.kill()
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=_STOP_WAIT)


def duplicate_ids(sources: list[Path]) -> dict[str, Outcome]:
    """Sources whose engagement id another source uses too, as failed outcomes: the
    check validation makes over a whole portfolio, on the meta data alone."""

    raws = [read_meta(s) for s in sources]
    ids = [str(r.meta.get("id") or "").strip() or None for r in raws]
    return {
        str(sources[i]): Outcome(str(sources[i]), ids[i], "failed", "validate", str(p))
        for i, p in clashes(raws, ids).items()
    }


# A Dask batch with no worker: after `_NO_WORKER_SAY` seconds it says so; after
# `_NO_WORKER_STOP` it stops, the engagements not finished failing with the reason.
_NO_WORKER_SAY = 30.0
_NO_WORKER_STOP = 120.0
_CONNECT = 10.0  # seconds to reach the scheduler
_POLL = 0.5  # seconds between looks at the scheduler while nothing finishes


class _WorkerWatch:
    """Whether a Dask cluster has been without a worker for too long: it says so
    after `_NO_WORKER_SAY` seconds, and gives the reason to stop after
    `_NO_WORKER_STOP` (tasks wait for ever on a cluster without workers)."""

    def __init__(self, client, scheduler: str, bar: Bar) -> None:
        self.client, self.scheduler, self.bar = client, scheduler, bar
        self.seen, self.said = time.monotonic(), False

    def gone(self) -> str | None:
        """The reason to stop, once no worker has been seen for `_NO_WORKER_STOP`."""
        if self.client.scheduler_info(n_workers=1)["workers"]:
            self.seen, self.said = time.monotonic(), False
        quiet = time.monotonic() - self.seen
        if quiet >= _NO_WORKER_STOP:
            return (
                f"no Dask worker at {self.scheduler} for {quiet:.0f} s; not run: start "
                "workers and run the same command again"
            )
        if quiet >= _NO_WORKER_SAY and not self.said:
            self.bar.say(
                f"no Dask worker has been seen at {self.scheduler} for {quiet:.0f} s; "
                f"waiting up to {_NO_WORKER_STOP:.0f} s"
            )
            self.said = True
        return None


def _run_dask(
    sources,
    out,
    store,
    jobs,
    scores_only,
    scheduler,
    force,
    rulebook,
    bar,
    limit=None,
    master=None,
    stopped=None,
) -> list[Outcome]:
    """Run the work on a Dask cluster: with `limit` (--jobs), at most that many
    engagements at once (scores-only chunks: `jobs * 4`, each one task)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise PaosError(
            "the dask executor needs the optional `distributed` package: "
            "pip install 'paos[distributed]'"
        ) from None
    if not scheduler:
        raise PaosError("--executor dask needs --scheduler tcp://HOST:PORT")
    try:
        client = Client(scheduler, timeout=_CONNECT)
    except ValueError as exc:
        raise PaosError(f"--scheduler {scheduler}: not a scheduler address ({exc})") from None
    except OSError as exc:  # TimeoutError included
        raise FaultError(
            f"Dask scheduler {scheduler}: cannot be reached ({_reason(exc)}); check that it "
            "runs and that the address is right, then run again"
        ) from None
    results: dict[str, Outcome] = duplicate_ids(sources)
    bar.advance(len(results), failed=len(results))
    todo = [str(s) for s in sources if str(s) not in results]
    work = _chunks(todo, jobs * 4) if scores_only else [[s] for s in todo]

    def submit(chunk: list[str]):
        if scores_only:
            return client.submit(
                _score_chunk, chunk, store=str(store), rulebook=rulebook, force=force, pure=False
            )
        return client.submit(
            deliver_one,
            chunk[0],
            out=str(out),
            store=str(store),
            rulebook=rulebook,
            force=force,
            pptx_template=master,
            pure=False,
        )

    with client:
        waiting = list(work)
        running: dict[str, list[str]] = {}
        done = dask_completed()
        submitted: list = []
        most = limit or len(work) or 1

        def top_up() -> None:
            while waiting and len(running) < most:
                chunk = waiting.pop(0)
                fut = submit(chunk)
                running[fut.key] = chunk
                submitted.append(fut)
                done.add(fut)

        try:
            top_up()
            watch = _WorkerWatch(client, scheduler, bar)
            while running:
                go_on(stopped)  # a stop Python swallowed: nothing more is started
                ready = done.next_batch(block=False)
                if not ready:
                    if reason := watch.gone():
                        for chunk in [*running.values(), *waiting]:
                            for src in chunk:
                                results[src] = Outcome(src, None, "failed", "worker", reason)
                                bar.advance(failed=True)
                        client.cancel(submitted)
                        break
                    time.sleep(_POLL)
                    continue
                for fut in ready:
                    chunk = running.pop(fut.key)
                    try:
                        got = fut.result()
                        outcomes = [Outcome(**o) for o in got] if scores_only else [got]
                    except Exception as exc:  # noqa: BLE001 - a worker died, ...: these fail alone
                        outcomes = [
                            Outcome(src, None, "failed", "worker", _reason(exc)) for src in chunk
                        ]
                    for outcome in outcomes:
                        results[outcome.source] = outcome
                        bar.advance(failed=outcome.status == "failed", current=_name(outcome))
                top_up()
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: nothing more is started
            client.cancel(submitted)
            raise
    return [results[str(s)] for s in sources]


def _name(o: Outcome) -> str:
    return o.engagement_id or Path(o.source).name


def failure_table(outcomes: Iterable[Outcome]) -> str:
    """The failures as a plain-text table, one line each."""
    failed = [o for o in outcomes if o.status == "failed"]
    if not failed:
        return ""
    name = max(len(_name(o)) for o in failed)
    lines = [f"{'engagement':<{name}}  {'stage':<8}  reason"]
    lines += [f"{_name(o):<{name}}  {o.stage:<8}  {o.reason}" for o in failed]
    return "\n".join(lines)


def summary(outcomes: list[Outcome]) -> str:
    counts = {k: sum(o.status == k for o in outcomes) for k in ("done", "skipped", "failed")}
    return (
        f"{len(outcomes)} engagements: {counts['done']} done, {counts['skipped']} skipped "
        f"(unchanged), {counts['failed']} failed"
    )
