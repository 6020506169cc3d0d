"""How `paos batch` shows its count (a `rich.progress.Progress` the library advances):
on a terminal a bar with the count, the failures, the time left and the engagement
just finished; elsewhere (a log, CI) nothing drawn, one plain line every few seconds
and at the end. Everything goes to stderr: stdout holds only the batch's summary."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from paos import printable

EVERY = 5.0  # seconds between two lines off a terminal


class _Failed(ProgressColumn):
    def render(self, task: Task) -> Text:
        n = task.fields.get("failed", 0)
        return Text(f"{n} failed" if n else "", style="red")


class _Current(ProgressColumn):
    def render(self, task: Task) -> Text:  # a Text is shown as it is: no markup
        return Text(printable(task.fields.get("current", "")), style="dim")


def _clock(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def line(task: Task, width: int = 28) -> str:
    """The task as one plain line: `scoring [######......] 12/48, 1 failed, ~0:01:10 left`."""
    total = task.total or 0
    filled = int(width * task.completed / total) if total else width
    elapsed = task.elapsed or 0.0
    left = (
        f"~{_clock(elapsed / task.completed * (total - task.completed))} left"
        if task.completed and task.completed < total
        else f"{_clock(elapsed)} elapsed"
    )
    failed = task.fields.get("failed", 0)
    current = task.fields.get("current", "")
    return (
        f"{task.description} [{'#' * filled}{'.' * (width - filled)}] "
        f"{int(task.completed)}/{int(total)}{f', {failed} failed' if failed else ''}, {left}"
        + (f"  {printable(current)}" if current else "")
    )


class Lines(Progress):
    """A progress that draws nothing and prints `line` every `every` seconds and once
    when its task finishes."""

    def __init__(self, console: Console, every: float = EVERY) -> None:
        super().__init__(console=console, disable=True)
        self.every, self.last, self.ended = every, 0.0, set[TaskID]()

    def update(self, task_id: TaskID, **changes: Any) -> None:
        super().update(task_id, **changes)
        task, now = self._tasks[task_id], time.monotonic()
        if task_id in self.ended or not task.total:
            return
        if not (task.finished or now - self.last >= self.every):
            return
        self.console.print(line(task), markup=False, highlight=False, emoji=False, soft_wrap=True)
        self.last = now
        if task.finished:
            self.ended.add(task_id)


def progress() -> Progress:
    """A bar on a terminal, `Lines` elsewhere; both on stderr."""
    console = Console(stderr=True, markup=False, emoji=False, highlight=False)
    if not console.is_terminal:
        return Lines(console)
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        _Failed(),
        TimeRemainingColumn(elapsed_when_finished=True),
        _Current(),
        console=console,
    )
