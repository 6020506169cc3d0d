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

    python -m paos.chart_engine     # the helper: length-prefixed JSON on stdin/stdout
"""
from __future__ import annotations

import collections
import json
import os
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import BinaryIO

_HEADER = struct.Struct("!Q")
_WARM_UP = {"data": {"values": [{"a": "a", "b": 1}]}, "mark": "text",
            "config": {"font": "DejaVu Sans"},
            "encoding": {"x": {"field": "b", "type": "quantitative"},
                         "y": {"field": "a", "type": "nominal"}, "text": {"field": "a"}}}


class _Helper:
    """The helper process, the requests it has not answered yet (in order), and a
    thread that reads its answers as they come, so that neither pipe can fill up
    while the other side waits."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "paos.chart_engine"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.pending: collections.deque[tuple[Future, dict]] = collections.deque()
        self.sending = threading.Lock()      # requests go out in the order they queue
        self.alive = True
        threading.Thread(target=self._read, name="paos-chart-engine", daemon=True).start()

    def submit(self, spec: dict) -> Future | None:
        """Send one specification; None if the helper is gone."""
        future: Future = Future()
        with self.sending:
            if not self.alive:
                return None
            self.pending.append((future, spec))
            try:
                _send(self.proc.stdin, {"spec": spec})
            except (OSError, ValueError):
                self._stop()                 # the reader sees the end and draws it here
        return future

    def _read(self) -> None:
        while True:
            try:
                reply = _receive(self.proc.stdout)
            except (OSError, EOFError, ValueError):
                break
            future, _ = self.pending.popleft()
            if "svg" in reply:
                future.set_result(reply["svg"])
            else:
                future.set_exception(ValueError(reply["error"]))
        with self.sending:
            self._stop()
            orphans = list(self.pending)
            self.pending.clear()
        for future, spec in orphans:          # the helper died: draw them here
            _convert_here(future, spec)

    def _stop(self) -> None:
        self.alive = False
        if self.proc.poll() is None:
            self.proc.kill()


_lock = threading.Lock()
_helper: _Helper | None = None


def start() -> None:
    """Start the helper process, which warms the engine up in the background.
    Calling it again while the helper runs does nothing; with the environment
    variable PAOS_CHART_ENGINE=inline, nothing starts and charts are drawn in
    this process."""
    global _helper
    if os.environ.get("PAOS_CHART_ENGINE", "").lower() == "inline":
        return
    with _lock:
        if _helper is not None and _helper.alive:
            return
        try:
            _helper = _Helper()
        except OSError:
            _helper = None


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


def to_svg(spec: dict) -> str:
    """`submit(spec).result()`."""
    return submit(spec).result()


def _convert_here(future: Future, spec: dict) -> None:
    import vl_convert
    try:
        future.set_result(vl_convert.vegalite_to_svg(spec))
    except Exception as exc:  # noqa: BLE001 - raised by result()
        future.set_exception(exc)


def _send(stream: BinaryIO, message: dict) -> None:
    data = json.dumps(message).encode("utf-8")
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: BinaryIO) -> dict:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("chart engine closed its pipe")
    size, = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("chart engine closed its pipe")
    return json.loads(data)


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """The helper: warm the engine up, then convert until the pipe closes."""
    import vl_convert
    try:
        vl_convert.vegalite_to_svg(_WARM_UP)
    except Exception:  # noqa: BLE001 - the first real chart reports any problem
        pass
    while True:
        try:
            request = _receive(requests)
        except EOFError:
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


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
