"""The guard on clearing: a run that would strip okrsync's values from many issues stops (pure).

Clearing is the one write okrsync cannot take back by itself: an issue that leaves the tree loses
its KR, objective, progress and health. A configuration mistake (``key_results: []``, a JQL edited
into matching nothing, a wrong state store) would clear a whole site in one run, so a run that would
clear more than the limit writes nothing and says how many and why, until ``--allow-clear``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from okrsync.domain.model import OkrsyncError

DEFAULT_MIN = 10
DEFAULT_SHARE = 0.2


def clear_limit(max_clear: int | None, managed: int) -> int:
    """``sync.max_clear`` if set, else 10 or 20 % of the ``managed`` issues, whichever is larger."""
    if max_clear is not None:
        return max_clear
    return max(DEFAULT_MIN, int(managed * DEFAULT_SHARE))


@dataclass(frozen=True, slots=True)
class ClearCheck:
    count: int
    limit: int
    managed: int
    by_epic: Mapping[str, int]
    """How many of the cleared issues were under each KR epic (the epic itself counted under it)."""

    @property
    def over(self) -> bool:
        return self.count > self.limit

    def describe(self) -> str:
        epics = sorted(self.by_epic.items(), key=lambda kv: (-kv[1], kv[0]))
        parts = [f"{epic} ({n})" for epic, n in epics[:10]]
        more = f" and {len(epics) - 10} more" if len(epics) > 10 else ""
        where = f": under {', '.join(parts)}{more}" if parts else ""
        return (
            f"this run would clear okrsync's values from {self.count} issue(s), more than the "
            f"{self.limit} allowed (sync.max_clear; by default 10 or 20 % of the {self.managed} issues "
            f"okrsync manages){where}. They left the OKR tree: their KR left the configuration, its "
            "source now matches nothing, or they moved out of it"
        )


def check_clearing(
    clearing: Sequence[str], previous_epic_of: Mapping[str, str], *, managed: int, max_clear: int | None
) -> ClearCheck:
    by_epic: dict[str, int] = {}
    for key in clearing:
        epic = previous_epic_of.get(key, key)
        by_epic[epic] = by_epic.get(epic, 0) + 1
    return ClearCheck(len(clearing), clear_limit(max_clear, managed), managed, by_epic)


class ClearGuardError(OkrsyncError):
    """A run stopped before writing because it would clear too many issues (exit 2)."""

    def __init__(self, check: ClearCheck, *, dry_run: bool) -> None:
        action = "A sync would stop here and write nothing" if dry_run else "Nothing was written"
        super().__init__(
            f"Stopped: {check.describe()}. {action}. If that is what you want, run "
            "`okrsync sync --allow-clear` once (or raise sync.max_clear); otherwise fix the "
            "configuration and run again."
        )
        self.check = check
