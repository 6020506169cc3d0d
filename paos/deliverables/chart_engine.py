"""vl-convert, the engine that turns chart specifications into SVG, warmed up ahead.

vl-convert starts a JavaScript engine on its first conversion (about 0.5 s of CPU)
and releases the GIL while it converts. A deliverable notebook calls `start()` in its
first cell: a one-thread pool (`concurrent.futures.ThreadPoolExecutor`) warms the
engine up on the other core while the kernel imports and scores. `submit()` then
returns a future at once, so the kernel builds the next chart while this one is
drawn; charts are drawn one at a time, in the order they were sent. Without
`start()`, with PAOS_CHART_ENGINE=inline, or when the pool takes no more work (the
interpreter is shutting down), a chart is drawn in the calling thread instead.

Why a thread and not a process pool: a `ProcessPoolExecutor` (spawn or forkserver)
in a kernel starts multiprocessing's resource tracker, which ignores SIGTERM, so at
shutdown ipykernel waits for it (it waits for the children in its process group)
until jupyter_client terminates the kernel 2.5 s later; and the pool's worker and
tracker outlive a kernel killed with SIGKILL. Measured on the demo `paos run`
(median of 6 interleaved runs): 6.6 s with this thread, 6.8 s drawing every chart
inline, 1.8 s more with a one-process pool than with the thread (1.7 s of it in the
kernel's shutdown). A thread starts no process: nothing delays the kernel's shutdown
or outlives it.

vl-convert's own threads do not survive `fork`: a forked child of a process that has
drawn a chart cannot draw one (kernels do not fork; batch workers are spawned).

A kernel launched with PAOS_CHART_ENGINE=unix:<pid>:<socket> in its environment (a batch
worker's kernels, `paos run`'s: `paos.deliverables._chart_server`) does not start
vl-convert at all: the engine's thread sends each specification to that server,
warm already, and waits for its SVG (one connection per chart, in order). A server
that is not there, refuses, dies or does not answer within `REPLY_TIMEOUT` seconds
costs only time: that chart and every later one are drawn in this process instead.
A specification vl-convert refuses fails that chart alone, with vl-convert's message.
Measured in a batch: about 0.45 CPU-s less per engagement (bench/README.md).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from paos.deliverables._chart_server import (
    ENV,
    MAX_REPLY,
    MAX_SPEC,
    WARM_UP,
    address,
    frame,
    peer_pid,
    receive,
)

REPLY_TIMEOUT = 30.0  # seconds the chart server may take to answer (or go silent)


_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_address: tuple[int, str] | None = None  # the chart server's pid and socket, while it answers


def _draw(spec: dict) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)


def _ask(server: tuple[int, str], data: bytes) -> dict:
    pid, path = server
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(REPLY_TIMEOUT)
        conn.connect(path)
        if peer_pid(conn) != pid:  # not the owner's socket: another process took its path
            raise ConnectionRefusedError(f"{path}: not the chart server")
        conn.sendall(data)
        return receive(conn, MAX_REPLY)


def _served(spec: dict) -> str:
    """A chart drawn by the chart server if there is one that answers, else here."""
    global _address
    server = _address
    if server is not None:
        try:
            data = frame({"spec": spec})
        except (TypeError, ValueError):  # not JSON: vl-convert says what is wrong, here
            data = b""
        if 0 < len(data) <= MAX_SPEC:
            try:
                reply = _ask(server, data)
            except (OSError, ValueError):
                _address = None  # gone, or silent: this and later charts drawn here
            else:
                if isinstance(reply.get("svg"), str):
                    return reply["svg"]
                if reply.get("type") == "ValueError":  # what vl-convert raises here too
                    raise ValueError(str(reply.get("error")))
    return _draw(spec)  # a refusal of another kind: vl-convert's own error, here


def _warm_up() -> None:
    with contextlib.suppress(Exception):  # the first real chart reports any problem
        _draw(WARM_UP)


def start() -> None:
    """Start the engine's thread, which warms vl-convert up in the background, or
    sends the charts to the chart server that PAOS_CHART_ENGINE=unix:<pid>:<socket>
    names.
    Calling it again does nothing; with PAOS_CHART_ENGINE=inline nothing starts and
    charts are drawn in the calling thread."""
    global _pool, _address
    setting = os.environ.get(ENV, "")
    if setting.lower() == "inline":
        return
    with _lock:
        if _pool is None:
            _address = address(setting)
            if _address is None:
                # Imported in the calling thread: imported on the pool's thread,
                # vl-convert holds the GIL through its first conversion (measured
                # 0.5-0.9 s), which would stall the kernel's imports, not overlap them.
                import vl_convert  # noqa: F401
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paos-chart-engine")
            if _address is None:
                _pool.submit(_warm_up)


def stop() -> None:
    """Let the engine's thread finish the charts sent to it, then end it; later
    charts are drawn in the calling thread until `start()` is called again."""
    global _pool, _address
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)
    _address = None


def running() -> bool:
    """Whether the engine's thread is up."""
    return _pool is not None


def served() -> bool:
    """Whether charts go to a chart server (one has answered, or none has failed yet)."""
    return _pool is not None and _address is not None


def submit(spec: dict) -> Future:
    """Convert a Vega-Lite specification to an SVG document: on the engine's thread
    (by the chart server, if there is one) when it runs (the future completes when
    the chart is drawn), else here and now. A specification vl-convert refuses raises
    ValueError from `result()`, for that chart only."""
    pool = _pool
    if pool is not None:
        try:
            return pool.submit(_served, spec)
        except RuntimeError:  # shut down meanwhile: draw it here
            pass
    future: Future = Future()
    try:
        future.set_result(_draw(spec))
    except Exception as exc:  # noqa: BLE001 - raised by result()
        future.set_exception(exc)
    return future


def result(future: Future) -> str:
    """The SVG of a submitted chart, once drawn."""
    return future.result()


def to_svg(spec: dict) -> str:
    """`result(submit(spec))`."""
    return result(submit(spec))
