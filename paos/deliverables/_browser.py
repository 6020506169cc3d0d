"""Headless Chromium (Debian's `chromium`; never a browser download) driven over the
DevTools protocol on a pair of pipes, to print HTML pages to PDF.

`chromium --print-to-pdf` starts a browser, prints one page and shuts the browser
down: about 0.4 s of its 1.4 s on a board report is start-up. A `Browser` is
launched when it is created and answers once it is needed, so `paos run` starts
it before executing the notebook and finds it ready when the HTML is; a batch
worker keeps one for all its engagements (`shared()`). Every page is printed in
a browsing context of its own (no cache, cookies or storage shared between
reports) with the settings `--print-to-pdf` uses: CSS page size, backgrounds,
no header or footer, tagged (accessible) PDF.

The pipes (`--remote-debugging-pipe`: the browser reads fd 3 and writes fd 4,
messages are JSON ended by a NUL byte) need no port, so nothing else on the
machine can talk to the browser. The browser exits when this process closes its
end, however this process ends.
"""
from __future__ import annotations

import atexit
import contextlib
import base64
import fcntl
import json
import multiprocessing.util
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from paos.errors import PaosError
from paos._files import atomic_write_bytes

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", "--disable-quic", "--hide-scrollbars",
         "--remote-debugging-pipe"]
PRINT = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False,
         "generateTaggedPDF": True, "transferMode": "ReturnAsBase64"}
TIMEOUT = 120.0                      # seconds a page may take to load and print
NICE = 10                            # a browser starting up yields the CPU to the notebook
_CLOSE_WAIT = 5.0                    # seconds a closing browser gets before it is killed


class RenderError(PaosError):
    """HTML or PDF rendering failed."""


def find_chromium() -> str:
    """The Chromium executable (PAOS_CHROMIUM overrides)."""
    for cand in (os.environ.get("PAOS_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome"):
        if cand and shutil.which(cand):
            return shutil.which(cand)
    raise RenderError("headless Chromium is not installed: run `make setup` (installs Debian's "
                      "chromium) or set PAOS_CHROMIUM to a Chromium executable")


_PREFIX, _PID_FILE = "paos-chromium-", "paos-browser.pid"


def _sweep() -> None:
    """Remove the profiles of browsers that are gone. A browser whose owner was
    killed exits by itself (its pipe closes) but leaves its profile behind."""
    root = Path(tempfile.gettempdir())
    for profile in root.glob(f"{_PREFIX}*"):
        try:
            pid = int((profile / _PID_FILE).read_text())
            os.kill(pid, 0)                      # still running: not ours to touch
        except ProcessLookupError:
            shutil.rmtree(profile, ignore_errors=True)
        except (OSError, ValueError):            # being created, or not a paos profile
            continue


def _high(fd: int) -> int:
    """`fd` moved to 10 or above, so the child can put its ends on 3 and 4 without
    one redirection undoing another."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium process and the DevTools session to it. Not for two
    threads at once: `print_pdf` holds a lock."""

    def __init__(self) -> None:
        _sweep()
        self.profile = tempfile.mkdtemp(prefix=_PREFIX)
        self.log = Path(self.profile) / "stderr.log"
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        to_child, from_child = _high(to_child), _high(from_child)
        # bash puts the pipe ends on fds 3 and 4 and closes the originals (dash
        # cannot name fds above 9); no preexec_fn, which is unsafe with threads.
        # `nice`: launched ahead, the browser starts up on what CPU the kernel and
        # the chart engine leave; when it prints, nothing else is running.
        redirect = (f'exec nice -n {NICE} "$@" 3<&{to_child} 4>&{from_child} '
                    f'{to_child}<&- {from_child}>&-')
        try:
            with open(self.log, "wb") as err:
                self.proc = subprocess.Popen(
                    ["bash", "-c", redirect, "chromium", find_chromium(), *FLAGS,
                     f"--user-data-dir={self.profile}", "about:blank"],
                    pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=err)
        except BaseException:
            for fd in (self._out, self._in):
                os.close(fd)
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        finally:
            os.close(to_child)
            os.close(from_child)
        (Path(self.profile) / _PID_FILE).write_text(str(self.proc.pid))
        self.owner = os.getpid()             # a forked child leaves this browser alone
        self._buffer = bytearray()
        self._scanned = 0                    # no NUL in _buffer[:_scanned]
        self._events: list[dict] = []
        self._next_id = 0
        self._lock = threading.Lock()
        self.closed = False

    # -- protocol ----------------------------------------------------------
    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except OSError:
            raise self._gone() from None
        return self._next_id

    def _receive(self, deadline: float) -> dict:
        """The next message. A PDF comes as one message of many reads: the buffer
        grows in place and each read is scanned once, so that stays linear."""
        while (end := self._buffer.find(b"\0", self._scanned)) < 0:
            self._scanned = len(self._buffer)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise self._gone()
            self._buffer += chunk
        message = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        self._scanned = 0
        try:
            return json.loads(message)
        except ValueError:
            raise RenderError("Chromium sent a message that is not JSON") from None

    def _call(self, method: str, params: dict | None, session: str | None,
              deadline: float) -> dict:
        wanted = self._send(method, params, session)
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RenderError(f"Chromium refused {method}: "
                                      f"{message['error'].get('message', message['error'])}")
                return message.get("result", {})
            if "method" in message:
                self._crashed(message, session)
                self._events.append(message)

    def _event(self, method: str, session: str, deadline: float) -> dict:
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(i)
            event = self._receive(deadline)
            self._crashed(event, session)
            self._events.append(event)

    @staticmethod
    def _crashed(event: dict, session: str | None) -> None:
        """The page's process died (out of memory, a crash): say so now rather than
        wait for a load or a PDF that will never come."""
        if session and event.get("method") == "Inspector.targetCrashed" \
                and event.get("sessionId") == session:
            raise RenderError("the page crashed (its renderer process died)")

    def _gone(self) -> RenderError:
        try:
            code = self.proc.wait(timeout=_CLOSE_WAIT)
        except subprocess.TimeoutExpired:
            code = None
        self.closed = True
        lines = [ln for ln in self.log.read_text(errors="replace").splitlines()
                 if ln.strip() and "dbus" not in ln and "unexpected operator" not in ln] \
            if self.log.is_file() else []
        return RenderError(f"Chromium exited (status {code}): "
                           f"{lines[-1].strip() if lines else 'no output'}")

    # -- use ---------------------------------------------------------------
    def print_pdf(self, html_path: str | Path, pdf_path: str | Path,
                  timeout: float = TIMEOUT) -> Path:
        """Load `html_path` in a fresh browsing context and print it to `pdf_path`."""
        html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
        with self._lock:
            if self.closed:
                raise RenderError("Chromium was closed")
            deadline = time.monotonic() + timeout
            try:
                pdf = self._print(html_path, deadline)
            except TimeoutError:
                self.kill()
                raise RenderError(f"Chromium did not finish printing {html_path.name} within "
                                  f"{timeout:.0f} s") from None
            except RenderError as err:
                raise RenderError(f"Chromium could not print {html_path.name}: {err}") from None
        return atomic_write_bytes(pdf_path, pdf)

    def _print(self, html_path: Path, deadline: float) -> bytes:
        context = self._call("Target.createBrowserContext", {}, None, deadline)["browserContextId"]
        try:
            target = self._call("Target.createTarget",
                                {"url": "about:blank", "browserContextId": context},
                                None, deadline)["targetId"]
            session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 None, deadline)["sessionId"]
            self._call("Inspector.enable", {}, session, deadline)
            self._call("Page.enable", {}, session, deadline)
            nav = self._call("Page.navigate", {"url": html_path.as_uri()}, session, deadline)
            if nav.get("errorText"):
                raise RenderError(f"{nav['errorText']} loading {html_path}")
            self._event("Page.loadEventFired", session, deadline)
            data = self._call("Page.printToPDF", PRINT, session, deadline)["data"]
        except BaseException:
            self._events.clear()
            if not self.closed:
                with contextlib.suppress(RenderError, TimeoutError):
                    self._dispose(context, deadline)
            raise
        self._events.clear()
        self._dispose(context, max(deadline, time.monotonic() + _CLOSE_WAIT))  # PDF is here
        pdf = base64.b64decode(data)
        if not pdf.startswith(b"%PDF"):
            raise RenderError("the output is not a PDF")
        return pdf

    def _dispose(self, context: str, deadline: float) -> None:
        self._call("Target.disposeBrowserContext", {"browserContextId": context}, None, deadline)

    def alive(self) -> bool:
        return not self.closed and os.getpid() == self.owner and self.proc.poll() is None

    def kill(self) -> None:
        self.closed = True
        if os.getpid() != self.owner:        # a forked child: the browser is not its own
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self._finish()

    def close(self) -> None:
        """Ask the browser to exit; a thread waits for it and removes its profile, so
        the caller goes on at once (the process still waits for it at exit)."""
        if os.getpid() != self.owner:        # a forked child: the browser is not its own
            self.closed = True
            return
        if self.closed:
            return self._finish()
        self.closed = True
        try:
            self._send("Browser.close")
        except RenderError:
            pass
        thread = threading.Thread(target=self._finish, name="paos-chromium-close")
        thread.start()
        _closing[:] = [t for t in _closing if t.is_alive()] + [thread]

    def _finish(self) -> None:
        try:
            self.proc.wait(timeout=_CLOSE_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass
        self._out = self._in = -1
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_closing: list[threading.Thread] = []
_local = threading.local()


def _forget_after_fork() -> None:
    """A forked child has no browser of its own: it must neither use nor close (nor
    sweep the profile of) its parent's."""
    global _local, _finalizer
    _local, _finalizer = threading.local(), None
    _shared.clear()
    _closing.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def shared() -> Browser:
    """This thread's long-lived browser, launched (again) if it is not running: a
    batch worker prints all its engagements with one browser."""
    global _finalizer
    browser = getattr(_local, "browser", None)
    if browser is None or not browser.alive():
        if browser is not None:
            browser.kill()
            _shared[:] = [b for b in _shared if b is not browser]
        browser = _local.browser = Browser()
        if _finalizer is None:       # multiprocessing workers skip atexit, not this
            _finalizer = multiprocessing.util.Finalize(None, _at_exit, exitpriority=0)
        _shared.append(browser)
    return browser


_shared: list[Browser] = []
_finalizer: multiprocessing.util.Finalize | None = None


def wait_closed() -> None:
    """Wait until every browser asked to close has gone (and its profile with it)."""
    while _closing:
        _closing.pop().join(_CLOSE_WAIT + 1)


@atexit.register
def _at_exit() -> None:
    """Close the shared browsers and wait for every closing browser to go."""
    while _shared:
        _shared.pop().close()
    wait_closed()


def print_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = TIMEOUT,
              browser: Browser | None = None) -> Path:
    """Print `html_path` to `pdf_path` with `browser`, or with a browser of its own."""
    if browser is not None:
        return browser.print_pdf(html_path, pdf_path, timeout)
    with Browser() as own:
        return own.print_pdf(html_path, pdf_path, timeout)
