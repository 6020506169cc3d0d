"""Papermill's engine as `paos run` drives it: the kernel launched with its own
working folder, environment and stderr, over private Unix sockets, optionally
forked from a kernel template; the executed notebook written once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from typing import TYPE_CHECKING

from paos import _startup

if TYPE_CHECKING:
    from paos.deliverables._kernels import Template


@functools.cache
def engine() -> type:
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

    class Client(PapermillNotebookClient):
        def papermill_execute_cells(self) -> None:
            super().papermill_execute_cells()
            # every cell ran (or one failed and the rest were skipped): the kernel is
            # idle, and a kernel launched ahead may end while the run goes on (`_Ahead`)
            self.km.ran = True

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
            kernel_folder=None,
            kernel_template=None,
            kernel_launched=None,
            **kwargs,
        ):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            if kernel_launched is not None:  # started ahead (`launch`): nbclient ends it
                kwargs["km"] = kernel_launched
                kernel_start = {"cleanup_kc": True}
            elif kernel_folder is not None:
                kwargs["km"] = kernel_manager(kernel_name, kernel_folder, kernel_template)
                kernel_start = {**(kernel_start or {}), "cleanup_kc": True}
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=_RunLog(logging.getLogger("papermill"), kwargs.get("km")),
                extra_arguments=KERNEL_ARGUMENTS,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return Client(nb_man, **final).execute(**(kernel_start or {}))

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


def kernel_manager(kernel_name: str, folder: str, template: Template | None = None):
    """A kernel manager whose kernel talks over Unix sockets in `folder` (ZeroMQ's
    `ipc` transport) instead of TCP ports on localhost. jupyter_client picks TCP ports
    by binding, closing and writing them to the connection file; another process can
    take one before the kernel binds it, and the kernel dies before it replies to
    kernel_info (jupyter_client issue 154: two `paos run` started together, batch
    workers). Socket files in a folder this run made cannot be taken by anyone else.
    With a `template` (a batch worker's), the kernel is forked from it
    (`paos.deliverables._kernels`): a new process that has not to import again."""
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(
        kernel_name=kernel_name,
        transport="ipc",
        connection_file=os.path.join(folder, "kernel.json"),
    )
    if template is not None:
        from paos.deliverables._kernels import fork_from  # jupyter_client (HEAVY)

        fork_from(km, template)
    return km


def launch(folder: str, start: dict):
    """A kernel launched now, ahead of its notebook (`paos run`): it boots and imports
    the deliverable's libraries (`LAUNCHED_ARGUMENTS`) while this process imports
    nbconvert and python-pptx and launches its browser, on the other core. `start` is
    what nbclient would give `start_kernel` (the kernel's working folder, environment,
    stderr). When its notebook has run, papermill asks it to end and the run goes on
    (`_Ahead`); `shut_down` waits for that end (or ends it)."""
    from jupyter_core.utils import run_sync

    km = _ahead_class()(
        kernel_name="python3",
        transport="ipc",
        connection_file=os.path.join(folder, "kernel.json"),
    )
    try:
        run_sync(km.start_kernel)(extra_arguments=LAUNCHED_ARGUMENTS, **start)
    except BaseException:  # a kernel launched before the failure (or Ctrl-C) is killed
        with contextlib.suppress(Exception):
            shut_down(km)
        raise
    return km


class _RunLog(logging.LoggerAdapter):
    """The notebook client's log for one run: silent once its kernel is being ended
    because the run stopped (`km.stopping`, set by `shut_down`), when the stopped cell's
    wait for a reply reports the kernel we end as dead ("Kernel died while waiting
    for execute reply."): the run's one line says it stopped. Per run, so no logger
    shared with other runs changes."""

    def __init__(self, logger: logging.Logger, km: object) -> None:
        super().__init__(logger, {})
        self.km = km

    def isEnabledFor(self, level: int) -> bool:
        if getattr(self.km, "stopping", False):
            return False
        return super().isEnabledFor(level)


def shut_down(km) -> None:
    """The end of a launched kernel: once asked to end (its notebook has run), wait
    for it to exit, as jupyter_client would have (terminated, then killed, if it does
    not); never asked (the run stopped before its notebook), killed now. Its
    resources (connection file, sockets) are released either way.

    Stopped mid-cell (Ctrl-C, SIGTERM), the notebook client's tasks for that cell may
    still be pending on this thread's loop and run while the kernel is killed
    (`_stopping`)."""
    from jupyter_core.utils import ensure_event_loop, run_sync

    loop = ensure_event_loop()
    if asyncio.all_tasks(loop):  # pending: the run stopped mid-cell
        _stopping(km, loop)
    run_sync(km.finish)()


def _stopping(km, loop: asyncio.AbstractEventLoop) -> None:
    """The run stopped mid-notebook and its kernel is being ended: the notebook
    client's log is silent from now on (`_RunLog`), and the error each of its pending
    tasks ends with (the kernel is dead) is taken as it ends, so asyncio does not
    print it as never retrieved. Both belong to this run only."""
    km.stopping = True
    for task in asyncio.all_tasks(loop):
        task.add_done_callback(_taken)


def _taken(task: asyncio.Task) -> None:
    if not task.cancelled():
        task.exception()  # the stopped cell's, not news


@functools.cache
def _ahead_class() -> type:
    """A kernel manager whose graceful shutdown only asks the kernel to end: the kernel
    saves and exits (about 0.6 s) while the run writes its HTML, deck and PDF, and
    `finish` (before anything is published) waits for it. jupyter_client's own waits
    for the exit before returning, in series with the rest of the run."""
    from jupyter_client.manager import AsyncKernelManager

    class Ahead(AsyncKernelManager):
        asked = False
        ran = False  # set once its notebook has run (`engine`'s client)

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
            # Stopped mid-cell (Ctrl-C, SIGTERM), jupyter_client's own shutdown: the cell
            # is interrupted and answers, and nbclient's tasks for it end while the kernel
            # exits. Only asked to end, the kernel would go without answering, and those
            # tasks, run again by `finish`, report it dead: tracebacks after the run's line.
            if now or restart or not self.has_kernel or not self.ran:
                if self.has_kernel and not self.ran:  # stopped mid-notebook
                    _stopping(self, asyncio.get_running_loop())
                await super().shutdown_kernel(now=now, restart=restart)
                return
            self.shutting_down = True
            self.stop_restarter()
            await self._async_request_shutdown()
            self.asked = True

        async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
            if not self.asked:  # once asked, released by `finish`
                await super()._async_cleanup_resources(restart=restart)

        async def finish(self) -> None:
            try:
                if self.asked and self.has_kernel:
                    await self._async_finish_shutdown()
                elif self.has_kernel:
                    await self._async_kill_kernel()
            finally:
                self.asked = False
                await self._async_cleanup_resources()

    return Ahead


# The kernel's command line: paos's process set-up (`paos._startup`) runs in it before
# the notebook's first cell, as in the CLI; its IPython history is kept in memory
# (`_startup.KERNEL_HISTORY`: nothing of the engagement's in the user's home).
KERNEL_ARGUMENTS = [f"--IPKernelApp.exec_lines={_startup.KERNEL_LINE}", _startup.KERNEL_HISTORY]
# A launched kernel imports, before it says it is ready, what the deliverable's first
# cell imports (the chart engine's client, not vl-convert: a run's charts are drawn by
# its chart server). Nothing of a client's is read; a failed import here is the
# notebook's own to report when its cell runs.
LAUNCHED_ARGUMENTS = [
    f"--IPKernelApp.exec_lines={_startup.KERNEL_LINE}; "
    "__import__('paos.deliverables.report'); __import__('paos.deliverables.sections')",
    _startup.KERNEL_HISTORY,
]
