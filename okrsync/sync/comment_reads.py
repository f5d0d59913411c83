"""Many issues' comments read at once: the reads a sync makes before it plans its comments (a lost
state database, comments a search could not stand in for) run on ``jira.max_concurrency`` threads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from okrsync.jira.gateway import JiraGateway
from okrsync.sync.lanes import BigLock, parallel_map, unlocked

Comments = list[dict[str, Any]]


def read_comments(
    gateway: JiraGateway, keys: Sequence[str], workers: int
) -> dict[str, Comments | BaseException]:
    """Each issue's comments with their properties, or the error its read met (the caller judges it)."""
    lock = BigLock()
    reader = unlocked(gateway, lock)
    results = parallel_map(
        list(keys), lambda k: reader.comments(k, properties=True), lock=lock, workers=workers
    )
    return dict(zip(keys, results, strict=True))


def comments_or_raise(value: Comments | BaseException) -> Comments:
    """The comments read, or the error of their read raised (for the caller's ``except``)."""
    if isinstance(value, BaseException):
        raise value
    return value
