"""Papermill's engine as `paos run` drives it: the kernel launched with its own
working folder, environment and stderr, over private Unix sockets, optionally
forked from a kernel template; the executed notebook written once."""

from __future__ import annotations

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
            **kwargs,
        ):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            if kernel_folder is not None:
                kwargs["km"] = kernel_manager(kernel_name, kernel_folder, kernel_template)
                kernel_start = {**(kernel_start or {}), "cleanup_kc": True}
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                extra_arguments=KERNEL_ARGUMENTS,
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


# The kernel's command line: paos's process set-up (`paos._startup`) runs in it before
# the notebook's first cell, as in the CLI.
KERNEL_ARGUMENTS = [f"--IPKernelApp.exec_lines={_startup.KERNEL_LINE}"]
