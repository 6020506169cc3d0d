"""A kernel template: a process that has imported what a deliverable's kernel
imports, and forks a new kernel from itself for each engagement (issue 22, item 3).

Run by a batch worker (`paos.deliverables._kernels.Template`) as
`python -P -m paos.deliverables._zygote CHANNEL_FD PARENT_PID` (`-P`: no working
folder on its import path, so nothing in the folder it starts in is imported). A
program, not library code: nothing imports it into a caller's process, so its signal
handlers, `dup2`, `chdir` and environment changes (in the template and in each forked
kernel) change only processes paos started for that one purpose. It
runs paos's process set-up (`paos._startup`) and imports ipykernel and the libraries
of the notebook, then serves its channel (a Unix socket, one message a request):
each request is a deadline and, passed with it, the child's end of a new channel;
the template forks, answers with the child's pid, and forgets the channel. The
child reads its request (the kernel's argv, working folder, environment) from its
channel and runs ipykernel with it. So no engagement's data is ever in the
template's memory, which each later kernel copies (issue 22, review item 4): the
template never sees evidence, a path or an environment, never runs a query, and has
no thread of its own. A request whose deadline has passed is not forked; a child
forked after the worker stopped waiting finds its channel closed empty and exits,
so a late fork never becomes a kernel beside the one launched instead.

What must not happen before the fork (libraries whose threads do not survive it):
no polars query (its thread pool is made on the first one), no chart drawn
(vl-convert's JavaScript engine starts on the first chart). Imports alone start
none of those; each child starts them on first use, as a new kernel does.

The template ends when the worker that started it ends, however it ends (its
channel, whose other end only the worker holds, reaches its end; not
PR_SET_PDEATHSIG, which would fire when the worker *thread* that started it ends, as
a Dask worker's thread may), and each kernel dies with the template
(PR_SET_PDEATHSIG: the template has one thread), so a killed batch leaves nothing
running; each kernel is in a session of its own (as jupyter_client starts kernels)
and polls its parent, the template, like any kernel polls the process that launched
it. The template reaps its children (SIGCHLD), so their CPU counts for the worker's
tree as a kernel's does.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import struct
import sys
import time

from paos import _startup

_PR_SET_PDEATHSIG = 1
# A request to fork: the time (`time.monotonic()`, the system's clock) after which
# the worker no longer waits for the child.
_DEADLINE = struct.Struct("d")

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
    # What a forked kernel still imported (issue 22, item 4, step 2): ipykernel's
    # debugger (debugpy, pydevd: 100-odd modules), tornado's queues, parts of IPython,
    # narwhals' pandas layer (altair), pandera's check registry, the standard library
    # modules they bring. 175 modules, about 0.09 CPU-s a kernel; none starts a thread.
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "tornado.gen",
    "tornado.locks",
    "tornado.queues",
    "tornado.platform.asyncio",
    "zmq.utils.garbage",
    "narwhals._interchange.dataframe",
    "narwhals._pandas_like.dataframe",
    "narwhals._pandas_like.namespace",
    "narwhals.stable.v1._namespace",
    "pyarrow.pandas_compat",
    "pandas.core.methods.to_dict",
    "pandas.io.formats.string",
    "pandera.backends.polars.checks",
    "pandera.backends.register_checks",
    "openpyxl.packaging.extended",
    "sqlite3",
    "faulthandler",
    "encodings.idna",
    "encodings.utf_8_sig",
)


def _warm() -> None:
    """What every kernel does first, the same way, and none of it an engagement's:
    the deck's Jinja templates compiled, the bundled rulebooks parsed (cached by
    their content: a kernel that reads the same file uses the copy it inherits).
    Neither starts a thread nor runs a polars query."""
    import importlib

    try:  # imported as PRELOAD is, after `_startup.start()`
        importlib.import_module("paos.deliverables._html").compile_templates()
        rulebook = importlib.import_module("paos.base.rulebook")
        for book in rulebook.known_rulebooks():
            rulebook.load_rulebook(book)
    except Exception:  # noqa: BLE001,S110 - the kernel does it itself, and reports
        pass


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


def _request(chan: int) -> dict:
    """The child's request, read from its own channel to its end (the worker writes it
    there once the template has answered with the child's pid, then closes it)."""
    with os.fdopen(chan, "rb") as stream:
        return json.loads(stream.read())


def _kernel(chan: int, channel: int, template: int) -> None:
    """In the forked child of process `template`: read its request from `chan`,
    become a kernel as jupyter_client would have launched it, then exit (never
    returns). A child whose template has gone, or whose request never comes (the
    worker gave up waiting for the fork: its channel ends empty), exits."""
    code = 1
    try:
        os.setsid()  # a session of its own, so an interrupt reaches it alone
        _die_with_parent(template)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, channel)  # the template's channel, its number kept taken
        os.dup2(null, 0)
        request = _request(chan)
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
            argv=[*_no_history(request["argv"]), f"--IPKernelApp.parent_handle={template}"]
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


def _no_history(argv: list[str]) -> list[str]:
    """A kernel's arguments with its IPython history in memory, whatever history file
    they name (`paos._startup.KERNEL_HISTORY`): a forked kernel is paos's. The option
    given once (traitlets makes a list of an option given twice, and the kernel
    fails on it)."""
    option = _startup.KERNEL_HISTORY.split("=", 1)[0]
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == option:
            skip = True  # `--HistoryManager.hist_file PATH`
        elif not arg.startswith(option + "="):
            kept.append(arg)
    return [*kept, _startup.KERNEL_HISTORY]


def _fork(chan: int, channel: int) -> int:
    """Fork a kernel that reads its request from `chan`; its pid. The template's pid
    is taken before the fork: the child compares its parent with it, and if the
    template has died in between, the child's parent is another process."""
    template = os.getpid()
    pid = os.fork()
    if pid == 0:
        _kernel(chan, channel, template)
    return pid


def _serve(channel: socket.socket) -> None:
    """Answer the worker until it closes its end: for each message (a deadline and
    the child's channel, nothing of the engagement), fork a child, unless the
    deadline has passed (the worker no longer waits for it)."""
    while True:
        data, fds, _flags, _addr = socket.recv_fds(channel, 64, 4)
        if not data and not fds:
            return  # the worker has gone
        for extra in fds[1:]:
            os.close(extra)
        if not fds or len(data) != _DEADLINE.size:
            answer: dict = {"error": "a malformed request"}
        elif time.monotonic() > _DEADLINE.unpack(data)[0]:
            answer = {"error": "asked too late"}
        else:
            try:
                answer = {"pid": _fork(fds[0], channel.fileno())}
            except OSError as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
        if fds:
            os.close(fds[0])  # the child's alone
        channel.send(json.dumps(answer).encode())


def main(argv: list[str]) -> None:
    channel_fd, parent = int(argv[0]), int(argv[1])
    if os.getppid() != parent:  # the worker has gone already
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch stops us with its workers
    channel = socket.socket(fileno=channel_fd)
    import importlib

    _startup.start()  # what paos's processes skip, the kernels forked from it too
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional piece: the kernel imports it itself, or fails
            pass
    _warm()
    signal.signal(signal.SIGCHLD, _reap)
    channel.send(json.dumps({"ready": os.getpid()}).encode())
    try:
        _serve(channel)
    except OSError:
        pass  # the worker's end is broken: it has gone


if __name__ == "__main__":
    main(sys.argv[1:])
