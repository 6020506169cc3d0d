"""Headless Chromium over the DevTools pipe: printing, isolation between pages,
failures named, nothing left running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from paos.deliverables import _browser as browser_mod
from paos.deliverables._browser import Browser, RenderError, print_pdf


def page(path: Path, body: str, head: str = "") -> Path:
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'>{head}</head>"
                    f"<body>{body}</body></html>", encoding="utf-8")
    return path


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout


def gone(pid: int, within: float = 10) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:                                  # our own child: reap it
            if os.waitpid(pid, os.WNOHANG)[0]:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def test_prints_like_print_to_pdf(tmp_path):
    html = page(tmp_path / "a.html", "<h1>Board summary</h1><p>PAI 2.1</p>",
                "<style>@page { size: A4; margin: 12mm }</style>")
    out = print_pdf(html, tmp_path / "out" / "a.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    assert "Board summary" in pdf_text(out) and "PAI 2.1" in pdf_text(out)
    info = pdf_info(out)
    assert "A4" in info and "Tagged:          yes" in info      # CSS page size, accessible


def test_one_browser_prints_many_pages_each_in_its_own_context(tmp_path):
    # the first page leaves something in storage; the next one must not see it
    leave = "<script>localStorage.setItem('client', 'ACME-SECRET')</script><p>first</p>"
    look = ("<p id='x'>none</p><script>document.getElementById('x').textContent = "
            "'seen: ' + localStorage.getItem('client')</script>")
    with Browser() as b:
        b.print_pdf(page(tmp_path / "1.html", leave), tmp_path / "1.pdf")
        b.print_pdf(page(tmp_path / "2.html", look), tmp_path / "2.pdf")
        b.print_pdf(page(tmp_path / "3.html", "<p>third</p>"), tmp_path / "3.pdf")
        assert b.alive()
    assert "first" in pdf_text(tmp_path / "1.pdf")
    assert "seen: null" in pdf_text(tmp_path / "2.pdf")
    assert "third" in pdf_text(tmp_path / "3.pdf")


def test_a_page_that_cannot_load_is_named(tmp_path):
    with Browser() as b:
        with pytest.raises(RenderError, match=r"could not print missing\.html: "
                                              r"net::ERR_FILE_NOT_FOUND"):
            b.print_pdf(tmp_path / "missing.html", tmp_path / "x.pdf")
        b.print_pdf(page(tmp_path / "ok.html", "<p>still fine</p>"), tmp_path / "ok.pdf")
    assert "still fine" in pdf_text(tmp_path / "ok.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_a_page_that_never_loads_times_out_and_the_browser_is_stopped(tmp_path):
    html = page(tmp_path / "hang.html", "<script>while (true) {}</script>")
    b = Browser()
    with pytest.raises(RenderError, match=r"did not finish printing hang\.html within 2 s"):
        b.print_pdf(html, tmp_path / "hang.pdf", timeout=2)
    assert not b.alive() and gone(b.proc.pid)
    assert not Path(b.profile).exists()
    with pytest.raises(RenderError, match="closed"):
        b.print_pdf(html, tmp_path / "again.pdf")


def test_a_browser_that_cannot_start_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("PAOS_CHROMIUM", "/bin/false")
    with pytest.raises(RenderError, match=r"could not print a\.html: Chromium exited "
                                          r"\(status 1\)"):
        print_pdf(page(tmp_path / "a.html", "<p>x</p>"), tmp_path / "a.pdf")


def test_missing_chromium_says_how_to_install(monkeypatch):
    monkeypatch.setenv("PAOS_CHROMIUM", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RenderError, match="make setup"):
        Browser()


def test_close_ends_the_browser_and_removes_its_profile(tmp_path):
    b = Browser()
    b.print_pdf(page(tmp_path / "a.html", "<p>x</p>"), tmp_path / "a.pdf")
    b.close()
    browser_mod._at_exit()                    # what the process does at exit
    assert gone(b.proc.pid) and b.proc.returncode is not None
    assert not Path(b.profile).exists()


def test_shared_browser_is_reused_and_relaunched_when_it_died(tmp_path):
    first = browser_mod.shared()
    assert browser_mod.shared() is first
    first.kill()
    second = browser_mod.shared()
    assert second is not first and second.alive()
    second.print_pdf(page(tmp_path / "a.html", "<p>again</p>"), tmp_path / "a.pdf")
    assert "again" in pdf_text(tmp_path / "a.pdf")
    browser_mod._at_exit()
    assert gone(second.proc.pid)


def test_the_browser_ends_with_the_process_that_launched_it(tmp_path):
    # however the owner ends (here without any clean-up), the pipe closes and the
    # browser exits: no Chromium is left running
    code = ("import os, sys; from paos.deliverables._browser import Browser; b = Browser(); "
            "print(b.proc.pid, b.profile, flush=True); import time; time.sleep(1); os._exit(0)")
    owner = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60, check=True)
    pid, profile = owner.stdout.split()
    assert gone(int(pid))
    assert Path(profile).is_dir()             # the one thing a killed owner cannot tidy:
    Browser().close()                         # the next browser sweeps it away
    assert not Path(profile).exists()


def test_the_sweep_spares_live_browsers_and_folders_it_does_not_know(tmp_path, monkeypatch):
    monkeypatch.setattr(browser_mod.tempfile, "tempdir", str(tmp_path))
    child = subprocess.Popen(["true"])
    child.wait()                              # a pid that has gone
    for name, pid in (("gone", child.pid), ("live", os.getpid()), ("no-pid", None)):
        folder = tmp_path / f"paos-chromium-{name}"
        folder.mkdir()
        if pid:
            (folder / "paos-browser.pid").write_text(str(pid))
    (tmp_path / "other").mkdir()
    browser_mod._sweep()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "other", "paos-chromium-live", "paos-chromium-no-pid"]


def _renderers(root: int) -> set[int]:
    """Page (renderer) processes below `root`."""
    parents, args = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1]
                                               .split()[1])
                args[int(entry.name)] = (entry / "cmdline").read_bytes()
            except (OSError, ValueError):
                continue
    below, frontier = set(), {root}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - below
        below |= frontier
    return {p for p in below if b"--type=renderer" in args[p] and b"top-chrome" not in args[p]}


def test_a_page_that_crashes_is_reported_at_once_and_the_browser_lives_on(tmp_path):
    # the page's process dies while it loads: no load event will ever come
    slow = page(tmp_path / "slow.html",
                "<p>x</p><script>var t = Date.now(); while (Date.now() - t < 20000) {}</script>")
    with Browser() as b:
        b.print_pdf(page(tmp_path / "warm.html", "<p>warm</p>"), tmp_path / "warm.pdf")
        before = _renderers(b.proc.pid)

        def crash():
            for pid in _renderers(b.proc.pid) - before:
                os.kill(pid, signal.SIGKILL)
        threading.Timer(2.0, crash).start()
        start = time.monotonic()
        with pytest.raises(RenderError, match=r"could not print slow\.html: the page crashed"):
            b.print_pdf(slow, tmp_path / "slow.pdf", timeout=60)
        assert time.monotonic() - start < 20          # not the timeout
        assert b.alive()
        b.print_pdf(page(tmp_path / "after.html", "<p>after</p>"), tmp_path / "after.pdf")
    assert "after" in pdf_text(tmp_path / "after.pdf")


def test_a_large_pdf_arrives_whole(tmp_path):
    # one protocol message of many pipe reads (here about 4 MB of base64)
    rows = "".join(f"<p>row {i} " + "lorem ipsum dolor sit amet " * 20 + "</p>"
                   for i in range(4000))
    out = print_pdf(page(tmp_path / "big.html", rows), tmp_path / "big.pdf")
    assert out.stat().st_size > 1_000_000
    text = pdf_text(out)
    assert "row 0 " in text and "row 3999 " in text


def test_a_forked_child_leaves_its_parents_browser_alone(tmp_path):
    b = browser_mod.shared()
    pid = os.fork()
    if pid == 0:                               # the child: asks for a browser, exits cleanly
        try:
            mine = browser_mod.shared()
            ok = mine is not b and mine.alive()
            browser_mod._at_exit()
        finally:
            os._exit(0 if ok else 1)
    assert os.waitpid(pid, 0)[1] == 0
    assert b.alive() and Path(b.profile).is_dir()
    b.print_pdf(page(tmp_path / "a.html", "<p>parent</p>"), tmp_path / "a.pdf")
    assert "parent" in pdf_text(tmp_path / "a.pdf")
    browser_mod._at_exit()
