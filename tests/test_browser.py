"""Headless Chromium through Playwright: printing, isolation between pages, failures
named in one line, the browser outliving a bad page, nothing left running."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from paos.deliverables import _browser as browser_mod
from paos.deliverables._browser import Browser, RenderError, print_pdf


def page(path: Path, body: str, head: str = "") -> Path:
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return path


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


def below(root: int, marker: bytes) -> set[int]:
    """Processes under `root` whose command line holds `marker`."""
    parents, args = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
                args[int(entry.name)] = (entry / "cmdline").read_bytes()
            except (OSError, ValueError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return {p for p in found if marker in args.get(p, b"")}


def all_exit(pids: set[int], within: float = 30) -> bool:
    """Wait (on pidfds: woken by each exit, no polling) until every pid has exited."""
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except ProcessLookupError:  # already gone
            continue
    try:
        waiting = list(fds)
        while waiting:
            ready = select.select(waiting, [], [], within)[0]
            if not ready:
                return False
            waiting = [fd for fd in waiting if fd not in ready]
        return True
    finally:
        for fd in fds:
            os.close(fd)


BROWSER = b"--remote-debugging-pipe"  # the browser process Playwright launches


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b
    browser_mod.wait_closed()


@pytest.mark.slow
def test_prints_like_print_to_pdf(tmp_path, browser):
    html = page(
        tmp_path / "a.html",
        "<h1>Board summary</h1><p>PAI 2.1</p>",
        "<style>@page { size: A4; margin: 12mm }</style>",
    )
    out = browser.print_pdf(html, tmp_path / "out" / "a.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    assert "Board summary" in pdf_text(out) and "PAI 2.1" in pdf_text(out)
    info = pdf_info(out)
    assert "A4" in info and "Tagged:          yes" in info  # CSS page size, accessible


@pytest.mark.slow
def test_each_page_has_its_own_context_so_storage_does_not_leak(tmp_path, browser):
    # the first page leaves something in storage; the next one must not see it
    leave = "<script>localStorage.setItem('client', 'ACME-SECRET')</script><p>first</p>"
    look = (
        "<p id='x'>none</p><script>document.getElementById('x').textContent = "
        "'seen: ' + localStorage.getItem('client')</script>"
    )
    browser.print_pdf(page(tmp_path / "1.html", leave), tmp_path / "1.pdf")
    browser.print_pdf(page(tmp_path / "2.html", look), tmp_path / "2.pdf")
    assert "first" in pdf_text(tmp_path / "1.pdf")
    assert "seen: null" in pdf_text(tmp_path / "2.pdf")


@pytest.mark.slow
def test_a_page_that_cannot_load_is_named_in_one_line(tmp_path, browser):
    with pytest.raises(
        RenderError,
        match=r"could not print missing\.html: "
        r"net::ERR_FILE_NOT_FOUND loading ",
    ) as err:
        browser.print_pdf(tmp_path / "missing.html", tmp_path / "x.pdf")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "x.pdf").exists()
    browser.print_pdf(page(tmp_path / "ok.html", "<p>still fine</p>"), tmp_path / "ok.pdf")
    assert "still fine" in pdf_text(tmp_path / "ok.pdf")


@pytest.mark.slow
def test_a_page_that_never_loads_times_out_and_the_browser_goes_on(tmp_path, browser):
    html = page(tmp_path / "hang.html", "<script>while (true) {}</script>")
    with pytest.raises(
        RenderError,
        match=r"^Chromium did not finish printing hang\.html "
        r"within 2 s$",
    ):
        browser.print_pdf(html, tmp_path / "hang.pdf", timeout=2)
    browser.print_pdf(page(tmp_path / "next.html", "<p>next</p>"), tmp_path / "next.pdf")
    assert "next" in pdf_text(tmp_path / "next.pdf")


@pytest.mark.slow
def test_a_page_that_crashes_is_reported_and_the_browser_prints_the_next(tmp_path, browser):
    # the page asks for a script on a named pipe: Chromium opening the pipe tells us
    # the page is there; its renderer process is then killed (as the OOM killer would)
    # while it spins, so no load event ever comes
    fifo = tmp_path / "wait.js"
    os.mkfifo(fifo)
    html = page(
        tmp_path / "slow.html",
        "<p>x</p><script src='wait.js'></script><script>while (true) {}</script>",
    )

    def crash():
        with open(fifo, "w"):  # returns once Chromium opens the pipe
            for pid in below(os.getpid(), b"--type=renderer"):
                os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=crash)
    killer.start()
    try:
        with pytest.raises(
            RenderError,
            match=r"^Chromium could not print slow\.html: "
            r"the page crashed",
        ):
            browser.print_pdf(html, tmp_path / "slow.pdf", timeout=60)
    finally:
        if killer.is_alive():  # Chromium never opened the pipe: free it
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        killer.join()
    assert browser.alive()
    browser.print_pdf(page(tmp_path / "after.html", "<p>after</p>"), tmp_path / "after.pdf")
    assert "after" in pdf_text(tmp_path / "after.pdf")


@pytest.mark.slow
def test_a_large_pdf_arrives_whole(tmp_path, browser):
    rows = "".join(
        f"<p>row {i} " + "lorem ipsum dolor sit amet " * 20 + "</p>" for i in range(4000)
    )
    out = browser.print_pdf(page(tmp_path / "big.html", rows), tmp_path / "big.pdf")
    assert out.stat().st_size > 1_000_000
    text = pdf_text(out)
    assert "row 0 " in text and "row 3999 " in text


@pytest.mark.slow
def test_print_pdf_without_a_browser_launches_its_own_and_closes_it(tmp_path):
    before = below(os.getpid(), BROWSER)
    out = print_pdf(page(tmp_path / "a.html", "<p>alone</p>"), tmp_path / "a.pdf")
    assert "alone" in pdf_text(out)
    browser_mod.wait_closed()
    assert below(os.getpid(), BROWSER) <= before


@pytest.mark.slow
def test_a_browser_that_cannot_start_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("PAOS_CHROMIUM", "/bin/false")
    with pytest.raises(
        RenderError,
        match=r"^Chromium could not print a\.html: Chromium "
        r"exited \(status 1\)$",
    ):
        print_pdf(page(tmp_path / "a.html", "<p>x</p>"), tmp_path / "a.pdf")


def test_missing_chromium_says_how_to_install(monkeypatch):
    monkeypatch.setenv("PAOS_CHROMIUM", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RenderError, match="apt-get install chromium"):
        Browser()


@pytest.mark.slow
def test_shared_is_one_browser_per_thread_and_relaunched_when_it_died(tmp_path):
    first = browser_mod.shared()
    assert browser_mod.shared() is first
    other = []
    thread = threading.Thread(target=lambda: other.append(browser_mod.shared()))
    thread.start()
    thread.join()
    assert other[0] is not first
    other[0].print_pdf(page(tmp_path / "t.html", "<p>thread</p>"), tmp_path / "t.pdf")
    first.print_pdf(page(tmp_path / "a.html", "<p>main</p>"), tmp_path / "a.pdf")
    assert "thread" in pdf_text(tmp_path / "t.pdf") and "main" in pdf_text(tmp_path / "a.pdf")
    first.kill()
    second = browser_mod.shared()
    assert second is not first and second.alive()
    second.print_pdf(page(tmp_path / "b.html", "<p>again</p>"), tmp_path / "b.pdf")
    assert "again" in pdf_text(tmp_path / "b.pdf")
    for b in (other[0], second):
        b.close()
    browser_mod.wait_closed()


@pytest.mark.slow
def test_the_browser_ends_with_the_process_that_launched_it(tmp_path):
    # the owner ends without any clean-up: Playwright's driver sees its pipe close
    # and ends Chromium
    html = page(tmp_path / "a.html", "<p>x</p>")
    code = (
        "import os, sys; from paos.deliverables._browser import Browser; "
        f"Browser().print_pdf({str(html)!r}, {str(tmp_path / 'a.pdf')!r}); "
        "print('ready', flush=True); sys.stdin.readline(); os._exit(0)"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout.readline() == "ready\n"
        chromium = below(owner.pid, BROWSER)
        assert chromium
        owner.stdin.write("\n")
        owner.stdin.flush()
        assert owner.wait(60) == 0
        assert all_exit(chromium)
    finally:
        owner.kill()
        owner.wait()


@pytest.mark.slow
@pytest.mark.parametrize(
    "ending",
    [
        "pass",  # left open
        # exiting while the browser's thread still closes it, polars' thread pool
        # running: without the wait at exit this ended with SIGSEGV
        "import polars; b.close(); polars.DataFrame({'a': [1]}).write_parquet(OUT)",
    ],
)
def test_a_process_ends_cleanly_with_its_browser_closing_or_left_open(tmp_path, ending):
    html = page(tmp_path / "a.html", "<p>x</p>")
    code = (
        f"OUT = {str(tmp_path / 'a.parquet')!r}; "
        "from paos.deliverables._browser import Browser; b = Browser(); "
        f"b.print_pdf({str(html)!r}, {str(tmp_path / 'a.pdf')!r}); {ending}"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
