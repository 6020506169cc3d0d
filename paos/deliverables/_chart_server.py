"""One warm chart engine per batch worker (or `paos run`), shared by its kernels.

vl-convert's JavaScript engine costs about 0.45 CPU-s to start, and its threads do
not survive a fork, so a kernel forked from a template (`paos.deliverables._zygote`)
had to start it again for every engagement. A `ChartServer` is a process of its own,
started once by the process that runs the kernels (a batch worker, `paos run`): it
warms vl-convert up once, then turns each Vega-Lite specification a kernel sends it
into an SVG document. A kernel finds it through PAOS_CHART_ENGINE=unix:<pid>:<socket>
in its own launch environment (and talks only to a socket that owner made, `peer_pid`) (`environment()`, given to jupyter_client when the kernel
is launched; the owner's `os.environ` is never changed), and falls back to drawing
in its own process whenever the server does not answer (`paos.deliverables.
chart_engine`).

The protocol, one connection per chart: the kernel sends a 4-byte length and the
specification as JSON (at most `MAX_SPEC` bytes), the server answers with a length
and {"svg": ...} or {"error": ..., "type": ...} and closes the connection. Nothing
else is offered: no registration of fonts or locales, no cache, no state a later
request can read back (docs/architecture.md, "One chart engine per worker").

Bounds and ends: a request must arrive whole within `READ_TIMEOUT` seconds and be
no larger than `MAX_SPEC`; the socket is in a private folder (mode 0700) that only
the owner's user can enter; the server ends when its owner ends, however it ends (it
reads a pipe whose writing end only the owner holds: when that reaches its end, the
owner has gone), and removes its socket's folder then. A program, not library code:
it is run as `python -P -m paos.deliverables._chart_server LISTENER_FD OWNER_FD
FOLDER`, so its signal handling changes only this process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from paos._files import make_staging, remove_staging, sweep_leftovers

ENV = "PAOS_CHART_ENGINE"  # unix:<owner pid>:<socket path>, or inline (see chart_engine)
MAX_SPEC = 32 << 20  # bytes of one specification (the diagnostic's largest: ~0.2 MB)
MAX_REPLY = 256 << 20  # bytes of one answer; more means a broken stream
READ_TIMEOUT = 10.0  # seconds a request may take to arrive whole
_HEADER = struct.Struct("!I")
_SOCKET_PATH_MAX = 100  # a Unix socket's path holds at most 107 bytes
WARM_UP = {  # a first chart: vl-convert starts its engine on it
    "data": {"values": [{"a": "a", "b": 1}]},
    "mark": "text",
    "config": {"font": "DejaVu Sans"},
    "encoding": {
        "x": {"field": "b", "type": "quantitative"},
        "y": {"field": "a", "type": "nominal"},
        "text": {"field": "a"},
    },
}


def address(setting: str) -> tuple[int, str] | None:
    """The owner's pid and the server's socket path from a PAOS_CHART_ENGINE setting
    (`unix:<pid>:<path>`), or None."""
    if not setting.startswith("unix:"):
        return None
    pid, _, path = setting[len("unix:") :].partition(":")
    return (int(pid), path) if pid.isdigit() and path else None


def peer_pid(conn: socket.socket) -> int:
    """The pid of the process that made the listening socket a connection reached
    (Linux reports the creator's credentials as of `listen()`: the owner, which
    listens and hands the socket to the server). A kernel checks it against its
    environment: a process that took the socket's path meanwhile gets no chart."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[0]


def frame(message: dict) -> bytes:
    data = json.dumps(message).encode("utf-8")
    return _HEADER.pack(len(data)) + data


def receive(conn: socket.socket, limit: int) -> dict:
    """One length-prefixed JSON message from `conn`; ValueError if it is larger than
    `limit` or cut short. The connection's own timeout bounds the whole message, not
    each read (TimeoutError): a peer that sends a byte now and then is not waited for
    longer; the timeout is as it was afterwards."""
    timeout = conn.gettimeout()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        head = _read(conn, _HEADER.size, deadline)
        (size,) = _HEADER.unpack(head)
        if size > limit:
            raise ValueError(f"a message of {size} bytes (at most {limit})")
        message = json.loads(_read(conn, size, deadline))
    finally:
        conn.settimeout(timeout)
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    return message


def _read(conn: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")
            conn.settimeout(remaining)
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            raise ValueError("the message was cut short")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# -- the server process --------------------------------------------------------


def _answer(conn: socket.socket) -> None:
    """Read one request from `conn`, answer it, close it."""
    import vl_convert

    with conn:
        conn.settimeout(READ_TIMEOUT)
        try:
            request = receive(conn, MAX_SPEC)
            spec = request["spec"]
        except (OSError, ValueError, KeyError) as exc:
            reply = {"error": f"refused: {exc}", "type": "refused"}
        else:
            try:
                reply = {"svg": vl_convert.vegalite_to_svg(spec)}
            except Exception as exc:  # noqa: BLE001 - sent back: that chart fails alone
                reply = {"error": str(exc), "type": type(exc).__name__}
        try:
            conn.sendall(frame(reply))
        except OSError:
            pass  # the kernel went away: it draws the chart itself


def _owner_gone(owner: int, folder: str) -> None:
    """Block until the owner's end of the pipe closes, then end this process."""
    try:
        while os.read(owner, 64):
            pass
    except OSError:
        pass
    remove_staging(folder)
    os._exit(0)


def serve(listener: socket.socket, owner: int, folder: str) -> None:
    """Warm the engine up, then answer each connection on a thread of its own, until
    the owner goes."""
    threading.Thread(target=_owner_gone, args=(owner, folder), daemon=True).start()
    import vl_convert

    try:
        vl_convert.vegalite_to_svg(WARM_UP)
    except Exception:  # noqa: BLE001,S110 - the first real chart reports any problem
        pass
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_answer, args=(conn,), daemon=True).start()


def main(argv: list[str]) -> None:
    listener_fd, owner, folder = int(argv[0]), int(argv[1]), argv[2]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # it ends with its owner
    serve(socket.socket(fileno=listener_fd), owner, folder)


# -- the owner's side ----------------------------------------------------------


class ChartServer:
    """A chart server process of this process (see the module docstring)."""

    def __init__(self) -> None:
        tmp = tempfile.gettempdir()
        sweep_leftovers(tmp)  # what a killed owner left
        self.folder = make_staging(tmp, "paos-charts", private=True)
        self._proc: subprocess.Popen | None = None
        self._owner: int | None = None
        try:
            self.path = str(self.folder / "engine.sock")
            if len(os.fsencode(self.path)) > _SOCKET_PATH_MAX:
                raise OSError(f"{tmp}: too long a path for a socket")
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(self.path)
                listener.listen(64)  # kernels may connect now: they wait until it is warm
                reader, self._owner = os.pipe()
                try:
                    self._proc = subprocess.Popen(
                        [
                            sys.executable,
                            "-P",
                            "-m",
                            "paos.deliverables._chart_server",
                            str(listener.fileno()),
                            str(reader),
                            str(self.folder),
                        ],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        pass_fds=(listener.fileno(), reader),
                        cwd=os.sep,
                    )
                finally:
                    os.close(reader)
        except BaseException:
            self.close()
            raise
        self.pid = self._proc.pid
        self.owner = os.getpid()  # the listener's creator: what a connection's peer is

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def environment(self) -> dict[str, str]:
        """What a kernel's launch environment needs to reach this server (nothing if
        it has ended: the kernel then draws its charts itself)."""
        return {ENV: f"unix:{self.owner}:{self.path}"} if self.alive() else {}

    def close(self) -> None:
        """End the server at once and remove its folder. It holds nothing to finish or
        save, and waiting for it to see its pipe end cost a run stopped right after it
        started (bad evidence, Ctrl-C) the rest of the server's warm-up, during which
        vl-convert holds its interpreter, and up to 5 s if it read nothing."""
        if self._owner is not None:
            os.close(self._owner)  # the pipe ends: what ends it should the owner be killed
            self._owner = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
        remove_staging(self.folder)


_lock = threading.Lock()
_shared: ChartServer | None = None


def shared() -> ChartServer | None:
    """This process's chart server, started (again) if it is not running; None if
    none can be started or PAOS_CHART_ENGINE=inline (kernels draw their own charts)."""
    global _shared
    if os.environ.get(ENV, "").lower() == "inline":
        return None
    with _lock:
        if _shared is not None and not _shared.alive():
            _shared.close()
            _shared = None
        if _shared is None:
            try:
                _shared = ChartServer()
            except (OSError, subprocess.SubprocessError):
                return None
        return _shared


def _close_shared() -> None:
    if _shared is not None:
        _shared.close()


import atexit  # noqa: E402 - registered after the server it closes

atexit.register(_close_shared)


if __name__ == "__main__":
    main(sys.argv[1:])
