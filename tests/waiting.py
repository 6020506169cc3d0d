"""Waiting on files another process writes: woken by the file system's change events
(inotify, through watchfiles), never by a guessed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import watchfiles

T = TypeVar("T")


def wait_for(condition: Callable[[], T], watch: Path, timeout: float, what: str) -> T:
    """The first true value of `condition()`, checked now and after each change under
    `watch`; fails the test naming `what` after `timeout` seconds. A change between
    the first check and the watch starting is caught by the one-second re-check."""
    if found := condition():
        return found
    deadline = time.monotonic() + timeout
    for _ in watchfiles.watch(
        watch, watch_filter=None, debounce=200, step=20, rust_timeout=1000, yield_on_timeout=True
    ):
        if found := condition():
            return found
        if time.monotonic() > deadline:
            break
    pytest.fail(f"{what}: not within {timeout:.0f} s")
