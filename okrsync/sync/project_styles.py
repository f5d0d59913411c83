"""Which projects of the issues okrsync writes to are team-managed (Jira Cloud), for the plan.

Every search okrsync makes reads the issue's ``project`` field, which on Cloud says ``simplified``
(:mod:`okrsync.core.team_managed`), so a sync normally knows without a request of its own. Only for
a project none of the issues read shows that of (issues mirrored by an okrsync that did not keep it)
does it ask the project list once, ``GET /rest/api/3/project/search?keys=…`` (up to 50 keys a
request). Data Center has no team-managed projects: no request, nothing found.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from okrsync.core.mappers.issue_fields import RawIssue
from okrsync.core.team_managed import project_of, styles_of_issues, styles_of_projects
from okrsync.jira.errors import JiraAuthError, JiraError, JiraUnavailable
from okrsync.jira.gateway import JiraGateway

log = logging.getLogger(__name__)


def team_managed_projects(
    gateway: JiraGateway, issues: Iterable[RawIssue], keys: Iterable[str]
) -> frozenset[str]:
    """The team-managed projects among those of the issue ``keys``, as ``issues`` (raw, as read
    from Jira or the mirror) show them, else as the project list says.

    A project list Jira refuses (other than for the credential or an outage, which the sync meets
    anyway) leaves those projects company-managed: their edits go out, and Jira's refusals name them.
    """
    if gateway.flavor != "cloud":
        return frozenset()
    needed = {p for k in keys if (p := project_of(k)) is not None}
    if not needed:
        return frozenset()
    styles = styles_of_issues(issues)
    unknown = sorted(needed - styles.keys())
    if unknown:
        styles.update(_listed_styles(gateway, unknown))
    return frozenset(p for p in needed if styles.get(p))


def _listed_styles(gateway: JiraGateway, keys: list[str]) -> Mapping[str, bool]:
    try:
        return styles_of_projects(gateway.admin.projects(keys))
    except (JiraAuthError, JiraUnavailable):
        raise
    except JiraError as exc:
        log.warning("could not read the style of the projects %s: %s", ", ".join(keys), exc)
        return {}
