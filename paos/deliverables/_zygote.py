"""A kernel template: a process that has imported what a deliverable's kernel
imports, and forks a new kernel from itself for each engagement (issue 22, item 3).

Run by a batch worker (`paos.deliverables._kernels.Template`) as
`python -P -m paos.deliverables._zygote REPLY_FD PARENT_PID` (`-P`: no working
folder on its import path, so nothing in the folder it starts in is imported). It imports ipykernel and
the libraries of the notebook, then reads one request per line on stdin (JSON: the
kernel's argv, working folder, environment) and answers on REPLY_FD with the pid of
a forked child that runs ipykernel with that argv. The child is a new process, so
nothing of one engagement can be reached from the next: the template itself never
sees evidence, never runs a query, and has no thread of its own.

What must not happen before the fork (libraries whose threads do not survive it):
no polars query (its thread pool is made on the first one), no chart drawn
(vl-convert's JavaScript engine starts on the first chart). Imports alone start
none of those; each child starts them on first use, as a new kernel does.

The template ends when the worker that started it ends, however it ends (its stdin,
which only the worker holds, reaches its end; not PR_SET_PDEATHSIG, which would
fire when the worker *thread* that started it ends, as a Dask worker's thread may),
and each kernel dies with the template (PR_SET_PDEATHSIG: the template has one
thread), so a killed batch leaves nothing running; each kernel is in a
session of its own (as jupyter_client starts kernels) and polls its parent, the
template, like any kernel polls the process that launched it. The template reaps its
children (SIGCHLD), so their CPU counts for the worker's tree as a kernel's does.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1

# What a deliverable's kernel imports: the notebook's modules (and through them
# polars, pandera, altair, vl-convert, openpyxl ...), and ipykernel's own. Lazy
# imports the first run would make (pandera's polars backend) are made here too.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "paos.deliverables.report",
    "paos.deliverables.sections",
    "paos.deliverables.charts",
    "paos.deliverables.chart_engine",
    "paos.deliverables.actions",
    "paos.deliverables.commentary",
    "paos.deliverables.notebook",
    "paos.evidence.validate",
    "paos.method.robustness",
    "paos.method.peers",
    "paos.method.store",
    "paos.method.reassessment",
    "pandera.backends.polars.base",
    "pandera.backends.polars.container",
    "pandera.backends.polars.components",
    "pandera.backends.polars.builtin_checks",
    "vl_convert",
)


def _die_with_parent(parent: int) -> None:
    """SIGKILL when the parent goes (the worker, for the template; the template, for
    a kernel); exit now if it has gone already."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _reap(*_) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kernel(request: dict, reply_fd: int) -> None:
    """In the forked child: become a kernel as jupyter_client would have launched
    it, then exit (never returns)."""
    code = 1
    try:
        os.setsid()  # a session of its own, so an interrupt reaches it alone
        parent = os.getppid()
        _die_with_parent(parent)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, reply_fd)  # the template's channel, its number kept taken
        os.dup2(null, 0)
        if request.get("stderr_null"):
            os.dup2(null, 2)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path.insert(0, os.getcwd())  # a kernel's first path is its own folder
        sys.argv = [sys.executable, *request["argv"]]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(
            argv=[*request["argv"], f"--IPKernelApp.parent_handle={parent}"]
        )
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the kernel ends here, whatever happened
        code = 1
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(argv: list[str]) -> None:
    reply_fd, parent = int(argv[0]), int(argv[1])
    if os.getppid() != parent:  # the worker has gone already
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch stops us with its workers
    reply = os.fdopen(reply_fd, "w", buffering=1)
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional piece: the kernel imports it itself, or fails
            pass
    signal.signal(signal.SIGCHLD, _reap)
    reply.write(json.dumps({"ready": os.getpid()}) + "\n")
    for line in sys.stdin:
        try:
            request = json.loads(line)
            pid = os.fork()
        except (ValueError, OSError) as exc:
            reply.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
            continue
        if pid == 0:
            _kernel(request, reply_fd)
        reply.write(json.dumps({"pid": pid}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
