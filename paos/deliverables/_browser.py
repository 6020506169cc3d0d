"""Print HTML pages to PDF with headless Chromium (Debian's `chromium`; never a
browser download), driven by Playwright.

A `Browser` is launched when it is created and is used once it is needed, so
`paos run` creates it before executing the notebook and finds it ready when the
HTML is; a batch worker keeps one per thread for all its engagements
(`shared()`). Every page is printed in a browser context of its own (no cache,
cookies or storage shared between reports) with the settings of
`chromium --print-to-pdf`: CSS page size, backgrounds, no header or footer,
tagged (accessible) PDF. Playwright's driver talks to the browser over a pipe
(no port is opened) and ends it when this process ends, however it ends.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import queue
import re
import shutil
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Self

from paos._files import atomic_write_bytes
from paos.errors import PaosError

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 120.0  # seconds a page may take to load and print
_CRASH_WAIT = 5.0  # seconds a failed page may take to report its crash
_GRACE = 5.0  # past the timeout, a stuck browser is killed


_Job = tuple[Callable[[Any], Any], "Future[Any]"]  # a call for the browser's thread


class RenderError(PaosError):
    """HTML or PDF rendering failed."""


def find_chromium() -> str:
    """The Chromium executable (PAOS_CHROMIUM overrides)."""
    for cand in (os.environ.get("PAOS_CHROMIUM"), "chromium", "chromium-browser"):
        if cand and (found := shutil.which(cand)):
            return found
    raise RenderError(
        "headless Chromium is not installed: run `apt-get install chromium` "
        "(or `make setup`), or set PAOS_CHROMIUM to a Chromium executable"
    )


def _one_line(exc: BaseException) -> str:
    """Playwright's message without its call log: `BrowserType.launch: ...`."""
    text = str(exc)
    if code := re.search(r"process did exit: exitCode=(\d+)", text):
        return f"Chromium exited (status {code[1]})"
    first = text.splitlines()[0] if text else type(exc).__name__
    return re.sub(r"^\w+\.\w+: ", "", first)


class Browser:
    """One headless Chromium. Playwright's sync API must be called from the thread
    that started it, so every call runs on a thread this object owns, one at a
    time, fed by a queue. The thread also lets `Browser()` return at once, so
    the driver and Chromium start while the notebook executes: measured with
    bench/bench_run.py on the demo, the pdf stage takes 1.0 s with the browser
    launched ahead against 1.6 s with one launched when the HTML is there."""

    def __init__(self) -> None:
        executable = find_chromium()  # missing: say so before any work
        if importlib.util.find_spec("playwright") is None:
            raise RenderError("Playwright is not installed: pip install 'paos[notebooks]'")
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._ready: Future[int] = Future()  # the browser's pid, once launched
        self.closed = False
        self._thread = threading.Thread(
            target=self._serve, args=(executable,), name="paos-chromium", daemon=True
        )
        self._thread.start()
        _open.add(self)

    def _serve(self, executable: str) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as pw:
                # Ctrl-C reaches the driver with the terminal's process group; left
                # to the driver, it closes Chromium and exits, and Playwright prints
                # "Future exception was never retrieved" (3 lines). paos stops the run
                # and closes its browser itself (`close`, `_close_all`).
                browser = pw.chromium.launch(
                    executable_path=executable,
                    args=ARGS,
                    timeout=TIMEOUT * 1000,
                    handle_sigint=False,
                )
                info = browser.new_browser_cdp_session().send("SystemInfo.getProcessInfo")
                self._ready.set_result(
                    next(p["id"] for p in info["processInfo"] if p["type"] == "browser")
                )
                browser.on("disconnected", lambda _: self._jobs.put(None))  # killed, died
                for job, done in iter(self._jobs.get, None):
                    if done.set_running_or_notify_cancel():
                        try:
                            done.set_result(job(browser))
                        except Exception as exc:  # noqa: BLE001 - handed to the caller
                            done.set_exception(exc)
                if browser.is_connected():
                    browser.close()
        except Exception as exc:  # noqa: BLE001 - launch failed or the driver died
            if not self._ready.done():
                self._ready.set_exception(RenderError(_one_line(exc)))
        finally:
            self.closed = True
            _open.discard(self)
            while True:  # nobody waits for ever on a dead browser
                try:
                    left = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if left and left[1].set_running_or_notify_cancel():
                    left[1].set_exception(RenderError("Chromium was closed"))

    def _call(self, job: Callable[[Any], Any], timeout: float) -> Any:
        if self.closed:
            raise RenderError("Chromium was closed")
        done: Future[Any] = Future()
        self._jobs.put((job, done))
        try:
            return done.result(timeout)
        except TimeoutError:  # (concurrent.futures' is this one)
            if not done.done():  # stuck past Playwright's own timeout
                self.kill()
            raise

    def print_pdf(
        self, html_path: str | Path, pdf_path: str | Path, timeout: float = TIMEOUT
    ) -> Path:
        """Load `html_path` in a fresh browser context and print it to `pdf_path`."""
        html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
        try:
            self._ready.result(TIMEOUT)
            pdf = self._call(lambda browser: _print(browser, html_path, timeout), timeout + _GRACE)
        except TimeoutError:
            raise RenderError(
                f"Chromium did not finish printing {html_path.name} within {timeout:.0f} s"
            ) from None
        except RenderError as err:
            raise RenderError(f"Chromium could not print {html_path.name}: {err}") from None
        return atomic_write_bytes(pdf_path, pdf)

    def alive(self) -> bool:
        return not self.closed and self._thread.is_alive()

    def kill(self) -> None:
        """End Chromium at once; its thread then fails what is running and stops."""
        self.closed = True
        self._jobs.put(None)
        # only while its thread runs is the pid provably still this browser's
        if self._thread.is_alive() and self._ready.done() and not self._ready.exception():
            try:
                os.kill(self._ready.result(), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """Ask the browser to exit; its thread closes it while the caller goes on."""
        if not self.closed:
            self.closed = True
            self._jobs.put(None)
            _closing.append(self._thread)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def footer_options(text: str) -> dict:
    """page.pdf's options for a footer on every page: `text` (the page's own
    data-paos-footer, e.g. "<client> · Confidential") on the left, "n / N" on the
    right (Chromium fills pageNumber and totalPages). `text` is escaped."""
    from markupsafe import escape

    style = (
        "font: 7.5pt 'DejaVu Sans', Arial, sans-serif; color: #5b6b7b; width: 100%; "
        "margin: 0 14mm; display: flex; justify-content: space-between;"
    )
    return {
        "display_header_footer": True,
        "header_template": "<span></span>",
        "footer_template": (
            f'<div style="{style}"><span>{escape(text)}</span><span>'
            '<span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
        ),
    }


# paos's own script that lays a deck out in sheets of one page, each headed by an
# action title (see the script); the page's content area, A4 less board.css's @page
# margins (14 mm top, 16 mm bottom, 14 mm either side), less a safety for the
# rounding between the screen and the print layout.
_PAGINATE = "\n".join(
    line
    for line in (Path(__file__).parent / "paginate.js").read_text(encoding="utf-8").splitlines()
    if not line.startswith("//")
)
_CONTENT_WIDTH_PX = round(182 / 25.4 * 96)
_SHEET_HEIGHT = "261mm"


def paginate(page: Any) -> int:
    """Lay the page's deck (if it is one) out in sheets of one printed page each,
    measured in the print layout; the number of sheets (0: not a deck)."""
    page.emulate_media(media="print")
    page.set_viewport_size({"width": _CONTENT_WIDTH_PX, "height": 1000})
    return int(page.evaluate(_PAGINATE, _SHEET_HEIGHT))


def _print(browser: Any, html_path: Path, timeout: float) -> bytes:
    """On the browser's thread: one page in a context of its own, printed."""
    from playwright.sync_api import Error
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    crashed: list[bool] = []
    context = page = None
    try:
        context = browser.new_context()
        page = context.new_page()
        page.on("crash", lambda _: crashed.append(True))
        page.goto(html_path.as_uri(), timeout=timeout * 1000)
        footer = page.evaluate(
            "() => document.querySelector('[data-paos-footer]')"
            "?.getAttribute('data-paos-footer') ?? null"
        )
        paginate(page)
        pdf = page.pdf(
            prefer_css_page_size=True,
            print_background=True,
            tagged=True,
            **(footer_options(footer) if footer else {}),
        )
    except PlaywrightTimeout:
        raise TimeoutError from None
    except Error as exc:
        if net := re.search(r"net::ERR_\w+", str(exc)):
            raise RenderError(f"{net[0]} loading {html_path}") from None
        if not crashed and page is not None:
            # a renderer that dies fails the call at once; the crash event follows
            try:
                page.wait_for_event("crash", timeout=_CRASH_WAIT * 1000)
            except Error:
                pass
        if crashed:
            raise RenderError("the page crashed (its renderer process died)") from None
        raise RenderError(_one_line(exc)) from None
    finally:
        try:
            if context is not None:
                context.close()
        except Error:  # the browser itself is gone
            pass
    if not pdf.startswith(b"%PDF"):
        raise RenderError("the output is not a PDF")
    return pdf


_open: set[Browser] = set()
_closing: list[threading.Thread] = []
_local = threading.local()


def shared() -> Browser:
    """This thread's long-lived browser, launched (again) if it is not running: a
    batch worker thread prints all its engagements with one browser."""
    browser = getattr(_local, "browser", None)
    if browser is None or not browser.alive():
        browser = _local.browser = Browser()
    return browser


def wait_closed() -> None:
    """Wait until every browser asked to close has gone."""
    while _closing:
        _closing.pop().join()


@atexit.register
def _close_all() -> None:
    """Close every browser and wait for its thread before the interpreter is torn
    down: a Playwright thread still running then makes the process end with SIGSEGV."""
    browsers = list(_open)
    for browser in browsers:
        browser.close()
    for browser in browsers:
        browser._thread.join(_GRACE)
        if browser._thread.is_alive():  # stuck in a call
            browser.kill()
            browser._thread.join(_GRACE)
    wait_closed()


def print_pdf(
    html_path: str | Path,
    pdf_path: str | Path,
    timeout: float = TIMEOUT,
    browser: Browser | None = None,
) -> Path:
    """Print `html_path` to `pdf_path` with `browser`, or with a browser of its own."""
    if browser is not None:
        return browser.print_pdf(html_path, pdf_path, timeout)
    with Browser() as own:
        return own.print_pdf(html_path, pdf_path, timeout)
