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

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "paos.chart_engine"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, start_new_session=True)
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
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except BaseException as exc:     # a request cut short leaves the stream unusable
                self.stop()                  # the reader draws what is queued, this one too
                if not isinstance(exc, (OSError, ValueError)):
                    raise
        return future

    def stop(self) -> None:
        """Stop the helper; its reader then draws the pending charts here."""
        self.alive = False
        if self.proc.poll() is None:
            self.proc.kill()

    def _read(self) -> None:
        try:
            while True:
                reply = _receive(self.proc.stdout)
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
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            for future, spec in orphans:
                _convert_here(future, spec)


_lock = threading.Lock()
_helper: _Helper | None = None


def _forget_helper_after_fork() -> None:
    """A forked child must not talk to its parent's helper (it has no reader)."""
    global _helper, _lock
    _helper, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_helper_after_fork)


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


def main() -> None:
    """The helper's entry point. Its replies go out on the stdout it was started
    with; anything else that writes to stdout (fd 1) lands on stderr instead, so
    it cannot corrupt the replies."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
