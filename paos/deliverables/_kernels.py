"""Kernels forked from a template that has done the imports (issue 22, item 3).

A batch worker starts one `Template` (`paos.deliverables._zygote`, a process that
imports what a deliverable's kernel imports) and gets each engagement's kernel
forked from it: a new process per engagement, as before, without paying the
imports (about 1.5 CPU-s) again. jupyter_client drives the kernel as any other: the
`ForkProvisioner` (its provisioning API) only replaces how the process is started;
connection file, sockets, messages, interrupts and shutdown are jupyter_client's.
If the template cannot start or fork (it died, it is stuck), the kernel is launched
the usual way and the next engagement gets a new template: a template's failure
costs time, never an engagement. The old one is retired, not closed, while a kernel
forked from it runs (another thread's engagement), since its kernels end with it.
docs/architecture.md says why this and not a reused kernel.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from paos._files import proc_stat

_READY = 120.0  # seconds the template may take to import
_FORK = 30.0  # seconds a fork may take to be answered
_DEADLINE = struct.Struct("d")  # as paos.deliverables._zygote reads it


class TemplateError(Exception):
    """The template could not give a kernel."""


class Template:
    """A kernel template process of this worker (see `paos.deliverables._zygote`)."""

    def __init__(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-P",
                    "-m",
                    "paos.deliverables._zygote",
                    str(theirs.fileno()),
                    str(os.getpid()),
                ],
                stdin=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd=os.sep,
            )
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        self._channel = mine
        self._lock = threading.Lock()
        self._broken = False
        self.pid = self._proc.pid
        self._ready: dict | None = None

    def _reply(self, timeout: float) -> dict:
        ready, _, _ = select.select([self._channel], [], [], timeout)
        data = self._channel.recv(4096) if ready else b""
        if not data:
            self._broken = True
            raise TemplateError("the kernel template did not answer")
        return json.loads(data)

    def alive(self) -> bool:
        return not self._broken and self._proc.poll() is None

    def busy(self) -> bool:
        """Whether a kernel forked from it still runs."""
        import psutil

        if self._proc.poll() is not None:
            return False
        try:
            children = psutil.Process(self.pid).children()
        except psutil.Error:
            return False
        for child in children:
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    return True
            except psutil.Error:
                pass
        return False

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], stderr_null: bool) -> _Forked:
        """A new kernel forked from the template, running ipykernel with `argv` in
        `cwd` with `env`. The template gets a deadline and the child's end of a new
        channel, nothing else: the request goes to the child alone, so no
        engagement's data is ever in the template's memory, which later kernels copy.
        A child forked after the worker stopped waiting finds its channel closed
        empty and exits. The kernel's start time is read before its request is sent:
        the child cannot end before it has read its request but by dying, and then
        the request finds its channel closed; so the start time is the kernel's, not
        that of a process that took its pid."""
        request = {"argv": argv, "cwd": cwd, "env": env, "stderr_null": stderr_null}
        mine, pid = self._fork()
        with mine:
            kernel = _Forked(pid)
            if kernel.poll() is not None:
                raise TemplateError("the forked kernel ended before its request")
            try:  # to the child alone
                mine.settimeout(_FORK)
                mine.sendall(json.dumps(request).encode())
            except OSError as exc:
                raise TemplateError(f"the forked kernel took no request ({exc})") from None
        return kernel

    def _fork(self) -> tuple[socket.socket, int]:
        """A child forked by the template, and the worker's end of its channel."""
        with self._lock:
            if not self.alive():
                raise TemplateError("the kernel template is not running")
            try:
                if self._ready is None:
                    self._ready = self._reply(_READY)
                mine, theirs = socket.socketpair()
            except (OSError, ValueError) as exc:
                self._broken = True
                raise TemplateError(f"the kernel template failed ({exc})") from None
            try:
                with theirs:
                    deadline = _DEADLINE.pack(time.monotonic() + _FORK)
                    socket.send_fds(self._channel, [deadline], [theirs.fileno()])
                answer = self._reply(_FORK)
            except (OSError, ValueError) as exc:
                mine.close()  # a child forked late finds its channel closed, and exits
                self._broken = True
                raise TemplateError(f"the kernel template failed ({exc})") from None
            except TemplateError:
                mine.close()
                raise
            if "pid" not in answer:
                mine.close()
                raise TemplateError(f"the kernel template could not fork ({answer.get('error')})")
            return mine, int(answer["pid"])

    def close(self) -> None:
        """End the template (its channel closed, killed if it lingers); kernels it forked
        and that still run end with it."""
        self._broken = True
        self._channel.close()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


class _Forked:
    """A forked kernel as jupyter_client's provisioner handles a `Popen`. The kernel is
    the template's child (the template reaps it), so this process cannot wait for it:
    it has ended when its pid is gone, a zombie, or another process's. A pid alone
    could be reused, so the kernel is its pid and the start time it had when it was
    forked (`paos._files.proc_stat`, the rule a staging folder's marker follows):
    a process that took the pid after the kernel ended has another start time, and
    is neither taken for the kernel nor signalled."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        found = proc_stat(pid)
        self._start = None if found is None else found[1]
        if not self._running():
            self.returncode = -1

    def _running(self) -> bool:
        found = proc_stat(self.pid)
        return found is not None and found[0] not in ("Z", "X") and found[1] == self._start

    def poll(self) -> int | None:
        if self.returncode is None and not self._running():
            self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired([sys.executable, str(self.pid)], timeout or 0)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _ipykernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments of an ipykernel launch command (`python -m ipykernel_launcher
    ARGS`) run by this Python, else None (that kernel is launched the usual way)."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        if os.path.realpath(cmd[0]) == os.path.realpath(sys.executable):
            return cmd[3:]
    return None


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, the process forked from a `Template`."""

    template: Template | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        argv = _ipykernel_argv(cmd)
        template = self.template
        if argv is None or template is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            kernel = template.fork(argv, cwd, env, kwargs.get("stderr") == subprocess.DEVNULL)
        except TemplateError:
            return await super().launch_kernel(cmd, **kwargs)  # the next gets a new template
        self.process = kernel  # type: ignore[assignment]
        self.pid, self.pgid, self.cwd = kernel.pid, kernel.pid, cwd  # in a session of its own
        return self.connection_info


def fork_from(km, template: Template) -> None:
    """Make the kernel manager `km` start its kernel from `template`."""
    import uuid

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.template = template
    km.provisioner = provisioner


_shared_lock = threading.Lock()
_shared: Template | None = None
_retired: list[Template] = []


def shared() -> Template | None:
    """This process's kernel template, started (again) if it is not running: a
    batch worker forks all its engagements' kernels from one. None if none can be
    started (the kernel is launched the usual way). A template that failed is
    retired, not closed: kernels forked from it may still run engagements of other
    threads, and they end with it; it is closed once they have ended."""
    global _shared
    with _shared_lock:
        if _shared is not None and not _shared.alive():
            _retired.append(_shared)
            _shared = None
        for old in [t for t in _retired if not t.busy()]:
            _retired.remove(old)
            old.close()
        if _shared is None:
            try:
                _shared = Template()
            except (OSError, subprocess.SubprocessError):
                return None
        return _shared


def _close_shared() -> None:
    for template in [*_retired, *([_shared] if _shared is not None else [])]:
        template.close()


import atexit  # noqa: E402 - registered after the template it closes

atexit.register(_close_shared)
