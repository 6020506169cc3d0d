"""vl-convert, the engine that turns chart specifications into SVG, in a helper process.

vl-convert starts a JavaScript engine on its first conversion, which takes about
0.5 s, and it holds the GIL while it works, so a thread cannot hide either. A
deliverable notebook calls `start()` before its imports: the helper process warms
the engine up on the other core while the kernel imports and scores. Charts are
then converted there: `submit()` sends a specification and returns at once (a
future), so the kernel can build the next chart while the helper draws this one.

If the helper cannot start or dies, charts are converted in this process instead:
a chart is never lost, it only waits. The helper ends when this process closes the
pipe, however this process ends. It runs in a session of its own, so a kernel
shutting down does not wait to terminate it (ipykernel signals the children in its
process group and waits, in steps, for them to go).

A batch worker runs one notebook after another: `share()` starts one engine for
all of them (a server on a Unix socket in a private folder, warm once), and
`kernel_environment()` names it for the kernels this process launches,
PAOS_CHART_ENGINE=unix:<path>, which `paos.deliverables.run` puts in each kernel's environment
when it launches it (this process's own environment is never changed: other
threads may be launching processes meanwhile). A kernel that cannot reach it
starts a helper of its own.

    python -m paos.deliverables.chart_engine                # a helper: length-prefixed JSON on stdin/stdout
    python -m paos.deliverables.chart_engine --listen PATH  # a shared engine, until its stdin closes
"""
from __future__ import annotations

import atexit
import collections
import json
import multiprocessing.util
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, InvalidStateError, TimeoutError
from typing import BinaryIO

_HEADER = struct.Struct("!Q")
_MAX_MESSAGE = 256 << 20             # a larger length means the stream is corrupt
TIMEOUT = 120.0                      # seconds a chart may take in the helper
_WARM_UP = {"data": {"values": [{"a": "a", "b": 1}]}, "mark": "text",
            "config": {"font": "DejaVu Sans"},
            "encoding": {"x": {"field": "b", "type": "quantitative"},
                         "y": {"field": "a", "type": "nominal"}, "text": {"field": "a"}}}


class _Helper:
    """The helper process, the requests it has not answered yet (in order), and a
    thread that reads its answers as they come, so that neither pipe can fill up
    while the other side waits. Whatever goes wrong with the helper (it dies, hangs
    past `TIMEOUT`, or a request is cut short), it is stopped and the charts it
    still owes are drawn in this process: each future is settled exactly once."""

    def __init__(self, address: str | None = None) -> None:
        """A helper process of our own, or a connection to the shared engine at
        `address` (a Unix socket)."""
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        if address:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(address)
            except OSError:
                self.sock.close()
                raise
            self.requests, self.replies = self.sock.makefile("wb"), self.sock.makefile("rb")
        else:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "paos.deliverables.chart_engine"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, start_new_session=True)
            self.requests, self.replies = self.proc.stdin, self.proc.stdout
        self.pending: collections.deque[tuple[Future, dict]] = collections.deque()
        self.sending = threading.Lock()      # requests go out in the order they queue
        self.alive = True
        threading.Thread(target=self._read, name="paos-chart-engine", daemon=True).start()

    def submit(self, spec: dict) -> Future | None:
        """Send one specification; None if the helper is gone."""
        data = _frame({"spec": spec})                # fails here, before anything is queued
        future: Future = Future()
        future.paos_helper = self            # type: ignore[attr-defined] - see result()
        with self.sending:
            if not self.alive:
                return None
            self.pending.append((future, spec))
            try:
                self.requests.write(data)
                self.requests.flush()
            except BaseException as exc:     # a request cut short leaves the stream unusable
                self.stop()                  # the reader draws what is queued, this one too
                if not isinstance(exc, (OSError, ValueError)):
                    raise
        return future

    def stop(self) -> None:
        """Stop the helper (or hang up on the shared engine); the reader then draws
        the pending charts here."""
        self.alive = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _read(self) -> None:
        try:
            while True:
                reply = _receive(self.replies)
                future, _ = self.pending.popleft()
                if "svg" in reply:
                    _settle(future, result=reply["svg"])
                else:
                    _settle(future, error=ValueError(reply.get("error", "chart engine error")))
        except BaseException:  # noqa: BLE001 - any end of the helper: draw the rest here
            pass
        finally:
            self.stop()                      # before the lock: a writer may be blocked in it
            with self.sending:
                orphans = list(self.pending)
                self.pending.clear()
            if self.proc is not None:
                self.proc.wait()
            for stream in (self.requests, self.replies, self.sock):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass
            for future, spec in orphans:
                _convert_here(future, spec)


_lock = threading.Lock()
_helper: _Helper | None = None
_shared: subprocess.Popen | None = None      # the shared engine this process started
_shared_folder: str | None = None
_shared_address = ""                         # unix:<path> of the engine this process shares
_share_lock = threading.Lock()
_share_failed = False
_finalizer: multiprocessing.util.Finalize | None = None
_SOCKET_PATH_MAX = 100                       # Linux allows 107 bytes in a socket path


def _forget_helper_after_fork() -> None:
    """A forked child must not talk to its parent's helper (it has no reader), nor
    stop the parent's shared engine when it exits."""
    global _helper, _lock, _shared, _shared_folder, _shared_address, _share_lock, _finalizer
    _helper, _lock, _share_lock = None, threading.Lock(), threading.Lock()
    _shared = _shared_folder = _finalizer = None
    _shared_address = ""


os.register_at_fork(after_in_child=_forget_helper_after_fork)


def start() -> None:
    """Start the helper process, which warms the engine up in the background, or
    connect to the shared engine that PAOS_CHART_ENGINE=unix:<path> names, or that
    this process shares (and start a helper if neither can be reached). Calling it
    again while the helper runs does nothing; with PAOS_CHART_ENGINE=inline, nothing
    starts and charts are drawn in this process."""
    global _helper
    setting = os.environ.get("PAOS_CHART_ENGINE", "")
    if setting.lower() == "inline":
        return
    with _lock:
        if _helper is not None and _helper.alive:
            return
        _helper = None
        addresses = [setting[len("unix:"):]] if setting.startswith("unix:") else []
        own = kernel_environment().get("PAOS_CHART_ENGINE", "")
        if own and own != setting:
            addresses.append(own[len("unix:"):])
        for address in addresses + [None]:
            try:
                _helper = _Helper(address)
                return
            except OSError:
                continue


def running() -> bool:
    """Whether the helper process is up."""
    return _helper is not None and _helper.alive


def submit(spec: dict) -> Future:
    """Convert a Vega-Lite specification to an SVG document: in the helper when it
    runs (the future completes when it is drawn), else here and now. An invalid
    specification raises ValueError from `result()` either way."""
    helper = _helper
    future = helper.submit(spec) if helper is not None else None
    if future is None:
        future = Future()
        _convert_here(future, spec)
    return future


def result(future: Future) -> str:
    """The SVG of a submitted chart. A helper that has not answered within
    `TIMEOUT` seconds is stopped, and the chart is drawn here instead."""
    try:
        return future.result(timeout=TIMEOUT)
    except TimeoutError:
        helper = getattr(future, "paos_helper", None)
        if helper is not None:
            helper.stop()
        return future.result()


def to_svg(spec: dict) -> str:
    """`result(submit(spec))`."""
    return result(submit(spec))


def _settle(future: Future, result: str | None = None, error: BaseException | None = None
            ) -> None:
    try:
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
    except InvalidStateError:        # cancelled by its caller: nobody waits for it
        pass


def _convert_here(future: Future, spec: dict) -> None:
    if future.done():
        return
    import vl_convert
    try:
        svg = vl_convert.vegalite_to_svg(spec)
    except Exception as exc:  # noqa: BLE001 - raised by result()
        _settle(future, error=exc)
    else:
        _settle(future, result=svg)


def _frame(message: dict) -> bytes:
    data = json.dumps(message).encode("utf-8")
    return _HEADER.pack(len(data)) + data


def _send(stream: BinaryIO, message: dict) -> None:
    stream.write(_frame(message))
    stream.flush()


def _receive(stream: BinaryIO) -> dict:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("chart engine closed its pipe")
    size, = _HEADER.unpack(head)
    if size > _MAX_MESSAGE:
        raise ValueError(f"chart engine message of {size} bytes: the stream is corrupt")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("chart engine closed its pipe")
    return json.loads(data)


def _warm_up() -> None:
    import vl_convert
    try:
        vl_convert.vegalite_to_svg(_WARM_UP)
    except Exception:  # noqa: BLE001 - the first real chart reports any problem
        pass


def serve(requests: BinaryIO, replies: BinaryIO, warm_up: bool = True) -> None:
    """The helper: warm the engine up, then convert until the pipe closes."""
    import vl_convert
    if warm_up:
        _warm_up()
    while True:
        try:
            request = _receive(requests)
        except (EOFError, OSError):          # closed, or reset by a kernel that died
            return
        try:
            reply = {"svg": vl_convert.vegalite_to_svg(request["spec"])}
        except Exception as exc:  # noqa: BLE001 - sent back, raised in the caller
            reply = {"error": str(exc) if isinstance(exc, ValueError)
                     else f"{type(exc).__name__}: {exc}"}
        try:
            _send(replies, reply)
        except OSError:
            return


def serve_shared(path: str) -> None:
    """The shared engine: listen on the Unix socket `path`, warm up once, then serve
    each connection (a kernel) in a thread of its own until it closes; exit when
    stdin closes, that is when the process that started it is gone."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()                  # kernels may connect now: they queue until warm

    def owner_gone() -> None:
        sys.stdin.buffer.read()
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)   # its owner may not have
        os._exit(0)

    def connection(conn: socket.socket) -> None:
        try:
            with conn, conn.makefile("rb") as requests, conn.makefile("wb") as replies:
                serve(requests, replies, warm_up=False)
        except (OSError, ValueError):        # the kernel went away mid-reply: serve others
            pass

    threading.Thread(target=owner_gone, daemon=True).start()
    _warm_up()
    while True:
        conn, _ = server.accept()
        threading.Thread(target=connection, args=(conn,), daemon=True).start()


def share() -> str:
    """Start the shared engine for the kernels this process will launch (once; again
    if it died). Returns the setting the kernels will get from `kernel_environment`;
    PAOS_CHART_ENGINE=inline is left as it is. If the engine cannot listen (say, a
    temporary folder whose path is too long for a socket), the kernels start helpers
    of their own, as without it."""
    global _shared, _shared_folder, _shared_address, _share_failed, _finalizer
    with _share_lock:
        setting = os.environ.get("PAOS_CHART_ENGINE", "")
        if setting.lower() == "inline" or _share_failed:
            return setting
        if _shared is not None and _shared.poll() is None:
            return _shared_address
        if _finalizer is None:       # multiprocessing workers skip atexit, not this
            _finalizer = multiprocessing.util.Finalize(None, _stop_shared, exitpriority=0)
        _stop_shared()
        folder = tempfile.mkdtemp(prefix="paos-charts-")              # private: 0700
        path = os.path.join(folder, "engine.sock")
        if len(path.encode()) > _SOCKET_PATH_MAX:
            shutil.rmtree(folder, ignore_errors=True)
            folder = tempfile.mkdtemp(prefix="paos-charts-", dir="/tmp")
            path = os.path.join(folder, "engine.sock")
        server = subprocess.Popen([sys.executable, "-m", "paos.deliverables.chart_engine", "--listen", path],
                                  stdin=subprocess.PIPE,
                                  start_new_session=True)
        _shared, _shared_folder = server, folder
        deadline = time.monotonic() + 10         # listening in about 0.1 s; kernels take 1 s
        while not os.path.exists(path) and server.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        if not os.path.exists(path):             # it cannot listen: do without, for good
            _stop_shared()
            _share_failed = True
            return ""
        _shared_address = f"unix:{path}"
        return _shared_address


def kernel_environment() -> dict[str, str]:
    """What a kernel launched by this process needs in its environment to reach the
    engine this process shares (`share`): {"PAOS_CHART_ENGINE": "unix:<path>"}, or
    nothing when it shares none (or PAOS_CHART_ENGINE=inline)."""
    if os.environ.get("PAOS_CHART_ENGINE", "").lower() == "inline":
        return {}
    if _shared is None or _shared.poll() is not None or not _shared_address:
        return {}
    return {"PAOS_CHART_ENGINE": _shared_address}


@atexit.register
def _stop_shared() -> None:
    global _shared, _shared_folder, _shared_address
    _shared_address = ""
    if _shared is not None:
        _shared.stdin.close()                    # the engine exits when its stdin closes
        try:
            _shared.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _shared.kill()
            _shared.wait()
        _shared = None
    if _shared_folder is not None:
        shutil.rmtree(_shared_folder, ignore_errors=True)
        _shared_folder = None


def main(argv: list[str] | None = None) -> None:
    """The entry point of a helper or (--listen PATH) of the shared engine. Replies
    go out on the stdout a helper was started with; anything else that writes to
    stdout (fd 1) lands on stderr instead, so it cannot corrupt the replies."""
    argv = sys.argv[1:] if argv is None else argv
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    if argv[:1] == ["--listen"] and len(argv) == 2:
        serve_shared(argv[1])
    else:
        serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
