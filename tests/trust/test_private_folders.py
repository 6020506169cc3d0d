"""Trust: a folder paos makes private (a kernel's sockets, the chart server's) is
private from the moment it exists: never a moment of the usual mode before a chmod
takes it back, and the process umask is never changed to get there."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from paos._files import make_staging, remove_staging


@pytest.fixture
def modes(monkeypatch) -> list[tuple[str, int]]:
    """(path, mode) of every folder made or chmod-ed in this process, read right after
    each call (what another process could see from then on); os.umask may not be
    called at all."""
    seen: list[tuple[str, int]] = []

    def after(call: Callable, path_of: Callable) -> Callable:
        def recording(*args, **kwargs):
            result = call(*args, **kwargs)
            path = os.fspath(path_of(result, args, kwargs))
            seen.append((os.path.abspath(path), os.stat(path).st_mode & 0o777))
            return result

        return recording

    monkeypatch.setattr(tempfile, "mkdtemp", after(tempfile.mkdtemp, lambda r, a, k: r))
    monkeypatch.setattr(os, "mkdir", after(os.mkdir, lambda r, a, k: a[0]))
    monkeypatch.setattr(os, "chmod", after(os.chmod, lambda r, a, k: a[0]))

    def no_umask(mask: int) -> int:
        raise AssertionError("os.umask changed the whole process's umask")

    monkeypatch.setattr(os, "umask", no_umask)
    return seen


def _modes_of(seen: list[tuple[str, int]], folder: Path) -> list[int]:
    return [mode for path, mode in seen if path == os.path.abspath(folder)]


def test_a_kernels_socket_folder_is_private_from_the_start(modes):
    from paos.deliverables.run import _socket_folder

    folder = _socket_folder()
    try:
        seen = _modes_of(modes, folder)
        assert seen and set(seen) == {0o700}, [oct(m) for m in seen]
        assert os.stat(folder).st_mode & 0o777 == 0o700
    finally:
        remove_staging(folder)


def test_the_chart_servers_folder_is_private_from_the_start(modes):
    from paos.deliverables._chart_server import ChartServer

    server = ChartServer()
    try:
        seen = _modes_of(modes, server.folder)
        assert seen and set(seen) == {0o700}, [oct(m) for m in seen]
        assert os.stat(server.folder).st_mode & 0o777 == 0o700
    finally:
        server.close()


def test_a_staging_folder_that_is_not_private_keeps_the_usual_mode(tmp_path, modes):
    """Reports and store files are published from staging folders: those still get
    0777 less the umask (read from /proc, never set), as a folder `mkdir` makes."""
    folder = make_staging(tmp_path, "acme")
    try:
        with open("/proc/self/status") as fh:
            umask = next(int(line.split()[1], 8) for line in fh if line.startswith("Umask:"))
        assert os.stat(folder).st_mode & 0o777 == 0o777 & ~umask
    finally:
        shutil.rmtree(folder)
