"""Progress on long work: a bar with counts and time left on a terminal, plain
periodic lines otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Progress:
    """`Progress(total, "scoring")`; call `advance(failed=...)` per finished item."""

    def __init__(
        self,
        total: int,
        label: str,
        stream: TextIO | None = None,
        every: float = 5.0,
        enabled: bool = True,
    ):
        self.total, self.label = total, label
        self.stream = stream or sys.stderr
        self.done = self.failed = 0
        self.start = time.monotonic()
        self.tty = self.stream.isatty()
        self.every, self.last = every, 0.0
        self.enabled = enabled and total > 0

    def eta(self) -> float | None:
        if not self.done:
            return None
        rate = (time.monotonic() - self.start) / self.done
        return rate * (self.total - self.done)

    def line(self) -> str:
        width = 28
        filled = int(width * self.done / self.total) if self.total else width
        eta = self.eta()
        left = (
            f"~{_clock(eta)} left"
            if eta is not None and self.done < self.total
            else f"{_clock(time.monotonic() - self.start)} elapsed"
        )
        fail = f", {self.failed} failed" if self.failed else ""
        return (
            f"{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done}/{self.total}{fail}, {left}"
        )

    def say(self, text: str) -> None:
        """One line of its own (on a terminal, over the bar, which is drawn again)."""
        if self.tty:
            self.stream.write("\r\x1b[K" + text + "\n" + self.line())
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def advance(self, n: int = 1, failed: int = 0) -> None:
        self.done += n
        self.failed += failed
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.line())
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif self.done >= self.total or now - self.last >= self.every:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self.last = now
