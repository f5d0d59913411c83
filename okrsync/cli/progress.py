"""A progress bar per stage of a long command (``sync``, ``backfill``) on a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

OnProgress = Callable[[str, int, int], None]

STAGE_LABELS = {"read": "reading Jira", "write": "writing to Jira"}


@contextmanager
def stage_progress(
    console: Console, *, enabled: bool, labels: Mapping[str, str] = STAGE_LABELS
) -> Iterator[OnProgress]:
    """Yields ``on_progress(stage, done, total)``; one transient bar per stage, none when disabled."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not enabled,
    )
    tasks: dict[str, TaskID] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(labels.get(stage, stage), total=max(total, 1))
        progress.update(tasks[stage], completed=done, total=max(total, 1))

    with progress:
        yield on_progress
