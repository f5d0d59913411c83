"""Team-managed (next-gen) Jira Cloud projects: which they are, and which of the tree's issues live
there (pure).

A team-managed project has fields of its own and takes no global custom field: an edit that sets
one of okrsync's fields on its issues is refused ("Field 'customfield_…' cannot be set. It is not on
the appropriate screen, or unknown."). okrsync writes the ``okrsync`` issue property and its comments
there, and no field. Jira says a project's style in two places okrsync reads anyway:

* the issue's ``project`` field, in every search (Cloud's ``ProjectDetails.simplified``: "Whether or
  not the project is simplified", true for a team-managed project);
* the project list (``GET /rest/api/3/project/search``: ``Project.style`` "classic" / "next-gen",
  and ``simplified``).

Data Center has no team-managed projects.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from okrsync.domain.model import OkrTree

_ISSUE_KEY = re.compile(r"^([A-Z][A-Z0-9_]*)-\d+$")


def project_of(issue_key: str) -> str | None:
    """The project key of an issue key (``WEB-12`` → ``WEB``); ``None`` for anything else."""
    m = _ISSUE_KEY.match(issue_key)
    return m.group(1) if m else None


def is_team_managed(project: Mapping[str, Any]) -> bool | None:
    """Whether a project (a ``Project`` or the issue's ``ProjectDetails``) is team-managed;
    ``None`` when it says neither ``style`` nor ``simplified``."""
    style = project.get("style")
    if isinstance(style, str):
        return style.lower() == "next-gen"  # the spec's own examples also spell it "CLASSIC"
    simplified = project.get("simplified")
    return simplified if isinstance(simplified, bool) else None


def styles_of_projects(projects: Iterable[Mapping[str, Any]]) -> dict[str, bool]:
    """Project key → team-managed, for the projects that say (from the project list)."""
    out: dict[str, bool] = {}
    for project in projects:
        key, found = project.get("key"), is_team_managed(project)
        if isinstance(key, str) and found is not None:
            out[key] = found
    return out


def styles_of_issues(issues: Iterable[Mapping[str, Any]]) -> dict[str, bool]:
    """Project key → team-managed, from the ``project`` field of raw issues that carry one."""
    projects = []
    for issue in issues:
        fields = issue.get("fields")
        project = fields.get("project") if isinstance(fields, Mapping) else None
        if isinstance(project, Mapping):
            projects.append(project)
    return styles_of_projects(projects)


def tree_issue_keys(tree: OkrTree) -> list[str]:
    """The issues okrsync writes to: each KR's epic, its action plans, the objectives' issues."""
    keys: list[str] = []
    for kr in tree.key_results:
        if kr.jira_key:
            keys.append(kr.jira_key)
        keys.extend(plan.key for plan in kr.action_plans)
    keys.extend(obj.jira_key for obj in tree.objectives if obj.jira_key)
    return list(dict.fromkeys(keys))


@dataclass(frozen=True, slots=True)
class TeamManagedIssues:
    """The tree's issues in team-managed projects, by what they are."""

    projects: tuple[str, ...]
    """The team-managed projects that hold any of them, sorted."""
    key_results: tuple[tuple[str, str], ...] = ()
    """(KR id, epic key) of each KR whose epic lives there."""
    action_plans: int = 0
    objectives: int = 0

    @property
    def issues(self) -> int:
        return len(self.key_results) + self.action_plans + self.objectives

    def __bool__(self) -> bool:
        return self.issues > 0

    def summary(self) -> str:
        """``2 KR epics, 9 action plans`` (the parts there are)."""
        parts = [
            _count(len(self.key_results), "KR epic"),
            _count(self.action_plans, "action plan"),
            _count(self.objectives, "objective issue"),
        ]
        return ", ".join(p for p in parts if p)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}" if n else ""


def team_managed_issues(tree: OkrTree, team_managed: Collection[str]) -> TeamManagedIssues:
    """Which of the tree's issues live in the ``team_managed`` projects."""
    if not team_managed:
        return TeamManagedIssues(())
    inside = set(team_managed)
    projects: set[str] = set()

    def there(key: str | None) -> bool:
        project = project_of(key) if key else None
        if project in inside:
            projects.add(str(project))
            return True
        return False

    krs = tuple((kr.id, str(kr.jira_key)) for kr in tree.key_results if there(kr.jira_key))
    # one action plan under several KRs is one issue
    plans = {p.key for kr in tree.key_results for p in kr.action_plans if there(p.key)}
    objectives = sum(1 for obj in tree.objectives if there(obj.jira_key))
    return TeamManagedIssues(tuple(sorted(projects)), krs, len(plans), objectives)


WHAT_OKRSYNC_WRITES = (
    "Jira takes no global custom field on their issues, so okrsync writes its `okrsync` issue "
    "property and its comments there, not the OKR fields"
)


def sync_warning(found: TeamManagedIssues) -> str:
    """The one warning of a sync (or a backfill) that leaves the fields of these issues alone."""
    n = found.issues
    which = "project" if len(found.projects) == 1 else "projects"
    return (
        f"{n} issue{'' if n == 1 else 's'} ({found.summary()}) in team-managed {which} "
        f"{', '.join(found.projects)}: {WHAT_OKRSYNC_WRITES} (`okrsync check` says more)"
    )
