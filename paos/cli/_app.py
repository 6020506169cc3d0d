"""The `paos` application and what every command shares: the options, one line per
failure with its exit status, Ctrl-C and SIGTERM, and where lines go."""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Annotated

import typer

import paos
from paos import (
    PaosError,
    PaosWarning,
    _startup,  # the process set-up of paos's own processes
    printable,
)
from paos.cli._lazy import LazyTyper

app = LazyTyper(
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
Force = Annotated[bool, typer.Option("--force", help="Replace an existing report.")]
Out = Annotated[Path, typer.Option("--out", help="Folder for reports.")]
Store = Annotated[Path, typer.Option("--store", help="Results store folder.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DEFAULT_OUT, DEFAULT_STORE, DEFAULT_RULEBOOK = (
    paos.DEFAULT_OUT,
    paos.DEFAULT_STORE,
    paos.DEFAULT_RULEBOOK,
)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so that both stop a
    command the same way (a run publishes nothing; a batch stops its workers and
    their browsers); the exit status is 143 instead of 130."""


class Stop:
    """The stop asked of the running command: the first Ctrl-C or SIGTERM, recorded by
    the CLI's handlers before they raise. Python drops an exception a handler raises
    while it runs a finalizer or a weakref callback (it only prints "Exception ignored
    in: ..."), and the command would go on and publish; the library asks `asked`
    (its `stopped`) between stages and before it publishes, and stops then."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def asked(self) -> bool:
        return self.signum is not None

    def handle(self, signum: int, frame: object) -> None:
        """The handler of SIGINT and SIGTERM: record, then raise as Python's own does."""
        if self.signum is None:
            self.signum = signum
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    def unraisable(self, previous):
        """`sys.unraisablehook` while the command runs: an interrupt Python swallowed
        is recorded already and stops the command at its next check, so it is not
        printed (the command's one line says it stopped); anything else is."""

        def hook(unraisable) -> None:
            if not (isinstance(unraisable.exc_value, KeyboardInterrupt) and self.asked()):
                previous(unraisable)

        return hook


# The running command's `Stop`: set for the command (in its thread) by `_signals`.
_RUNNING: contextvars.ContextVar[Stop | None] = contextvars.ContextVar("paos_stop", default=None)


def stop() -> Stop:
    """The running command's `Stop` (a fresh one, never asked, outside a command)."""
    return _RUNNING.get() or Stop()


@app.callback()
def _signals(ctx: typer.Context) -> None:
    """Before every command: SIGTERM stops it like Ctrl-C, each recorded (`Stop`), and
    polars runs the command's queries on its in-memory engine. Only the CLI installs
    signal handlers and sets polars' default engine (library code never changes
    process-wide state); likewise the process set-up of `paos._startup`. The handlers
    and hook are put back when the command ends, for a program that runs the CLI in
    process."""
    _startup.start()
    asked = Stop()
    token = _RUNNING.set(asked)
    ctx.call_on_close(lambda: _RUNNING.reset(token))
    if threading.current_thread() is threading.main_thread():
        # a SIGINT ignored from the start (a job started with `nohup`) stays ignored
        caught = [
            s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) != signal.SIG_IGN
        ]
        handlers = {s: signal.signal(s, asked.handle) for s in caught}
        hook = sys.unraisablehook
        sys.unraisablehook = asked.unraisable(hook)

        def restore() -> None:
            sys.unraisablehook = hook
            for s, handler in handlers.items():
                signal.signal(s, handler)

        ctx.call_on_close(restore)
    _in_memory(ctx)


def _in_memory(ctx: typer.Context) -> None:
    """polars' in-memory engine as the default of `LazyFrame.collect()` while the
    command runs, unless POLARS_ENGINE_AFFINITY chooses one. paos's queries are small
    (an engagement is a few hundred rows) and pandera's polars backend collects one
    query per column check: the default engine ("auto", the streaming engine) costs
    0.16 ms CPU per collect against 0.04 ms in memory, 14 ms of `paos score` on the
    demo (issue 22). Set as an engine object, which polars keeps in this process
    only (a name would go into os.environ, to every process the command starts:
    the kernel, its browser). When the command ends, however it ends (click closes
    its context on an error or Ctrl-C too), the engine set before is back, for a
    program that runs the CLI in process with an engine of its own. (Not polars'
    `Config` as a context manager: leaving it removes and sets again every POLARS_*
    variable of os.environ.) A query that asks for an engine keeps it."""
    if os.environ.get("POLARS_ENGINE_AFFINITY") is not None:
        return
    import polars as pl
    from polars.lazyframe.engine_config import get_engine_affinity_override

    before = get_engine_affinity_override()  # an engine object, or None: the default
    pl.Config.set_engine_affinity(pl.InMemoryEngine())
    ctx.call_on_close(lambda: pl.Config.set_engine_affinity(before))


def _stopped(err: KeyboardInterrupt, what: str) -> None:
    """One line saying the command stopped and what is left, then exit 130 (Ctrl-C)
    or 143 (SIGTERM, also when the library stopped at the record of one)."""
    terminated = isinstance(err, Terminated) or stop().signum == signal.SIGTERM
    typer.echo(f"{'terminated' if terminated else 'interrupted'}: {what}", err=True)
    raise typer.Exit(143 if terminated else 130)


def _fail(err: PaosError) -> None:
    """One line per problem on stderr, then exit 2 (bad input) or 1 (a fault of the
    environment, `FaultError`)."""
    for line in err.lines():
        typer.echo(line, err=True)
    raise typer.Exit(err.exit_code)


@contextlib.contextmanager
def guard(stopped: str = "stopped; nothing was published"):
    """Around a command: a `PaosError` (the library turns a fault of the operating
    system into a `FaultError`) becomes its lines on stderr and the exit status;
    Ctrl-C or SIGTERM one line (`stopped`: what is left) and 130 or 143; each warning
    paos gives while carrying on (an unreadable store file skipped) is one line on
    stderr."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PaosWarning)
            try:
                yield
            except PaosError as err:
                _fail(err)
            except KeyboardInterrupt as err:
                _stopped(err, stopped)
    finally:  # outside catch_warnings: re-shown warnings must not be recorded
        for w in caught:
            if issubclass(w.category, PaosWarning):
                typer.echo(f"warning: {printable(w.message)}", err=True)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def stage(line: str) -> None:
    """Progress lines go to stderr, so stdout holds only the written paths."""
    typer.echo(line, err=True)


def written(result: paos.RunResult) -> None:
    """Each file a run wrote, one path per line on stdout."""
    for path in result.files.values():
        typer.echo(str(path))


def main() -> None:
    """The console entry (`paos`, `python -m paos`): the app, and a result that
    cannot be written to standard output (a full disk, a closed pipe) as one line
    and exit status 1, as any fault of the environment, never a traceback."""
    try:
        app()  # exits itself; click already ends a closed pipe (`paos ... | head`) quietly
    except OSError as exc:
        try:
            sys.stderr.write(
                f"paos: the result could not be written to standard output "
                f"({exc.strerror or exc}); check the disk or the file it goes to\n"
            )
        finally:
            os._exit(1)  # stdout's buffer cannot be flushed: skip the flush at exit
