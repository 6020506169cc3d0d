"""A batch's count on a `rich.progress.Progress` passed in (the caller draws it: a bar
with the time left on a terminal, plain lines in a log; see `paos.cli`), or on none."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from paos.errors import PaosWarning

if TYPE_CHECKING:
    from rich.progress import Progress


class Bar:
    """One task on `progress` (if any): `total` engagements, the `failed` count and the
    engagement just finished (`current`) as the task's fields."""

    def __init__(self, progress: Progress | None, total: int, label: str) -> None:
        self.progress, self.failed = progress, 0
        self.task = (
            progress.add_task(label, total=total, failed=0, current="")
            if progress is not None
            else None
        )

    def advance(self, n: int = 1, failed: int = 0, current: str = "") -> None:
        """`n` more engagements finished, `failed` of them failed; `current`: which."""
        self.failed += failed
        if self.progress is not None and self.task is not None:
            if current:
                self.progress.update(self.task, advance=n, failed=self.failed, current=current)
            else:
                self.progress.update(self.task, advance=n, failed=self.failed)

    def failures(self, n: int) -> None:
        """The number of engagements failed so far, once it is known."""
        self.advance(0, n - self.failed)

    def say(self, text: str) -> None:
        """A line of its own, above the bar; a `PaosWarning` when nothing is drawn."""
        if self.progress is None:
            warnings.warn(text, PaosWarning, stacklevel=2)
        else:
            self.progress.console.print(
                text, markup=False, highlight=False, emoji=False, soft_wrap=True
            )
