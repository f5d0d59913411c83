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
from collections.abc import Collection, Iterable, Mapping, Sequence
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
    "Jira takes no global custom field on the issues of a team-managed project, so okrsync writes "
    "its `okrsync` issue property and its comments there, not the OKR fields"
)


def sync_warning(found: TeamManagedIssues) -> str:
    """The one warning of a sync (or a backfill) that leaves the fields of these issues alone."""
    n = found.issues
    which = "project" if len(found.projects) == 1 else "projects"
    return (
        f"{n} issue{'' if n == 1 else 's'} ({found.summary()}) in team-managed {which} "
        f"{', '.join(found.projects)}: {WHAT_OKRSYNC_WRITES} (`okrsync check` says more)"
    )


# What is true there, and what an admin can do: the texts of ``okrsync check`` and ``okrsync setup``.
NOT_IN_FILTERS = (
    "okrsync's filters and the OKR dashboard select by the OKR fields, so these key results do not "
    "show there; their progress still counts towards their objectives, and `okrsync report` shows them"
)
MOVE_THEM = (
    "To have the OKR fields on them, move these epics and their issues to a company-managed project "
    "(Jira's Move, one by one or as a bulk change): a team-managed project cannot take the global "
    "fields `okrsync setup` makes"
)
READ_THE_PROPERTY = (
    "Otherwise read their numbers in the `okrsync` issue property (over REST, GET "
    "/rest/api/3/issue/{key}/properties/okrsync, or in an automation rule as "
    "{{issue.properties.okrsync.progress}}) and in okrsync's status comments; JQL cannot search the "
    "property (only an app can make an issue property searchable)"
)


def key_result_list(found: TeamManagedIssues) -> str:
    """``WEB-1, WEB-3`` (a KR's id where it is not its epic's key: ``KR-7 (WEB-9)``)."""
    return ", ".join(kr_id if kr_id == key else f"{kr_id} ({key})" for kr_id, key in found.key_results)


def check_advice(tree: OkrTree, team_managed: Collection[str]) -> list[tuple[str, str]]:
    """(message, fix) for each team-managed project that holds issues of the tree, by project."""
    out: list[tuple[str, str]] = []
    for project in sorted(team_managed):
        found = team_managed_issues(tree, {project})
        if not found:
            continue
        what = f"{found.summary()} live there"
        if found.key_results:
            what = f"the key results {key_result_list(found)} live there ({found.summary()})"
        out.append(
            (
                f"{project} is a team-managed project; {what}. {WHAT_OKRSYNC_WRITES}. {NOT_IN_FILTERS}.",
                f"{MOVE_THEM}. {READ_THE_PROPERTY}.",
            )
        )
    return out


def setup_step(project: str, key_results: Sequence[str]) -> tuple[str, list[str]]:
    """The title and lines of ``okrsync setup``'s manual step for a team-managed project that the
    configuration names (``key_results``: how the user knows those that live there)."""
    which = f"The key results {', '.join(key_results)}" if key_results else "Issues okrsync writes to"
    return (
        f"{project} is a team-managed project: okrsync writes its property and comments there, no field",
        [
            f"{which} live in {project}. {WHAT_OKRSYNC_WRITES}.",
            f"{NOT_IN_FILTERS}.",
            f"{MOVE_THEM}.",
            f"{READ_THE_PROPERTY}.",
        ],
    )
