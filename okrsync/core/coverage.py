"""Alignment coverage (pure): how much of the work done in the OKR projects this period served a
key result, and the largest epics of work that did not. Queries and numbers; no I/O, no clock.

- The OKR projects: the projects of the KR epics and their action plans in the tree.
- Work done in the period: issues (not epics) resolved from the period's first day to now, per
  project (``resolved >= "START" AND resolved < "END+1"``; JQL dates are in the account's zone).
- Aligned: the ones that are action plans of some KR. okrsync writes the ``OKR Key Result`` text
  field on every action plan it manages (and clears it when one leaves), so in a company-managed
  project "aligned" is ``cf[N] is not EMPTY``: one count, no key list. A team-managed project takes
  no field okrsync writes (issue 13): there the aligned count is ``parent in (KR epics of the
  project)``, the epic children only; a JQL-sourced KR's action plans there are not counted.
- The largest unaligned epics: JQL cannot order epics by their children, so okrsync takes one
  search of the resolved, unaligned issues (``cf[N] is EMPTY``, fields ``parent`` and the Epic
  Link) and counts them by epic; the epics with the most unaligned work done this period come
  first (an approximation of "the largest": work resolved in the period, not all children).

Counts are Jira's cheapest: Cloud's ``POST /search/approximate-count`` (eventually consistent:
"Recent updates might not be immediately visible", Cloud platform v3 spec, countIssues), Data
Center's search with ``maxResults=0`` (its ``total``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from okrsync.core.mappers.issue_fields import RawIssue, epic_link, fields_of, parent_key
from okrsync.core.team_managed import project_of
from okrsync.domain.model import OkrTree, Period

TOP_EPICS = 5
"""How many of the largest unaligned epics are kept."""

_CUSTOM_ID = re.compile(r"^customfield_(\d+)$")


@dataclass(frozen=True, slots=True)
class CoverageQueries:
    """The JQL of one coverage computation: per project ``(resolved, aligned)`` and one search."""

    per_project: Mapping[str, tuple[str, str | None]]
    """Project → (resolved in the period, aligned among them); aligned ``None``: known to be 0
    (a team-managed project without KR epics)."""
    unaligned: str | None
    """The search of the resolved, unaligned issues (their epics); ``None`` without projects."""


@dataclass(frozen=True, slots=True)
class ProjectCoverage:
    project: str
    resolved: int
    aligned: int
    team_managed: bool = False

    @property
    def share(self) -> float | None:
        """Aligned / resolved, 0.0–1.0; ``None`` when nothing was resolved."""
        return min(1.0, self.aligned / self.resolved) if self.resolved else None


@dataclass(frozen=True, slots=True)
class UnalignedEpic:
    key: str
    issues: int
    """Issues resolved in the period under it that are no KR's action plans."""
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Coverage:
    """One coverage computation (meta ``coverage``)."""

    period: Period
    computed_at: str
    """ISO timestamp of the cycle that computed it."""
    projects: tuple[ProjectCoverage, ...] = ()
    unaligned_epics: tuple[UnalignedEpic, ...] = ()
    requests: int = 0
    key_result_field: str | None = None
    """The ``OKR Key Result`` field id the counts used."""

    @property
    def resolved(self) -> int:
        return sum(p.resolved for p in self.projects)

    @property
    def aligned(self) -> int:
        return sum(p.aligned for p in self.projects)

    @property
    def share(self) -> float | None:
        """The company's share: every OKR project's aligned work over all of its resolved work."""
        return min(1.0, self.aligned / self.resolved) if self.resolved else None

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.as_json(),
            "computed_at": self.computed_at,
            "resolved": self.resolved,
            "aligned": self.aligned,
            "share": _round(self.share),
            "projects": [
                {
                    "project": p.project,
                    "resolved": p.resolved,
                    "aligned": p.aligned,
                    "share": _round(p.share),
                    "team_managed": p.team_managed,
                }
                for p in self.projects
            ],
            "unaligned_epics": [
                {"key": e.key, "issues": e.issues, "summary": e.summary} for e in self.unaligned_epics
            ],
            "requests": self.requests,
            "field": self.key_result_field,
        }

    @classmethod
    def of_json(cls, data: Any) -> Coverage | None:
        """The stored coverage, or ``None`` when there is none (or it is unreadable)."""
        if not isinstance(data, Mapping):
            return None
        try:
            p = data["period"]
            return cls(
                Period(str(p["name"]), date.fromisoformat(p["start"]), date.fromisoformat(p["end"])),
                str(data["computed_at"]),
                tuple(
                    ProjectCoverage(
                        str(x["project"]), int(x["resolved"]), int(x["aligned"]), bool(x.get("team_managed"))
                    )
                    for x in data.get("projects") or []
                ),
                tuple(
                    UnalignedEpic(str(e["key"]), int(e["issues"]), str(e.get("summary") or ""))
                    for e in data.get("unaligned_epics") or []
                ),
                int(data.get("requests") or 0),
                data.get("field"),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def okr_projects(tree: OkrTree) -> list[str]:
    """The projects of the KR epics and their action plans, sorted."""
    keys = [kr.jira_key for kr in tree.key_results if kr.jira_key]
    keys += [ap.key for kr in tree.key_results for ap in kr.action_plans]
    return sorted({p for k in keys if (p := project_of(k)) is not None})


def kr_epics(tree: OkrTree) -> set[str]:
    return {kr.jira_key for kr in tree.key_results if kr.jira_key}


def jql_field(field_id: str) -> str:
    """A custom field as JQL names it by id: ``customfield_10042`` → ``cf[10042]``."""
    m = _CUSTOM_ID.match(field_id)
    return f"cf[{m.group(1)}]" if m else f'"{field_id}"'


def resolved_clause(period: Period, as_of: date) -> str:
    """Resolved from the period's first day up to and including ``as_of`` (at most its last day)."""
    last = min(as_of, period.end)
    end = last + timedelta(days=1)
    return f'resolved >= "{period.start.isoformat()}" AND resolved < "{end.isoformat()}"'


def coverage_queries(
    tree: OkrTree,
    period: Period,
    as_of: date,
    key_result_field: str,
    team_managed: Iterable[str] = (),
) -> CoverageQueries:
    """The JQL of the counts and of the unaligned search (see the module's docstring)."""
    projects = okr_projects(tree)
    tm = set(team_managed)
    epics = sorted(kr_epics(tree))
    done = f"{resolved_clause(period, as_of)} AND issuetype != Epic"
    cf = jql_field(key_result_field)
    per: dict[str, tuple[str, str | None]] = {}
    for project in projects:
        resolved = f'project = "{project}" AND {done}'
        if project in tm:
            own = [k for k in epics if project_of(k) == project]
            aligned = f"{resolved} AND parent in ({', '.join(own)})" if own else None
        else:
            aligned = f"{resolved} AND {cf} is not EMPTY"
        per[project] = (resolved, aligned)
    unaligned = None
    if projects:
        listed = ", ".join(f'"{p}"' for p in projects)
        unaligned = f"project in ({listed}) AND {done} AND {cf} is EMPTY"
    return CoverageQueries(per, unaligned)


def _epic_of(issue: RawIssue, epic_link_field: str | None) -> tuple[str, str] | None:
    """The epic an issue is under (key, summary if known): its Epic Link, else a parent of the epic
    level (Cloud's ``parent`` carries its issue type; a parent without one counts)."""
    linked = epic_link(issue, epic_link_field)
    if linked:
        return linked, ""
    key = parent_key(issue)
    if key is None:
        return None
    parent = fields_of(issue).get("parent")
    pf = parent.get("fields") if isinstance(parent, Mapping) else None
    pf = pf if isinstance(pf, Mapping) else {}
    kind = pf.get("issuetype")
    if isinstance(kind, Mapping):
        level = kind.get("hierarchyLevel")
        if level != 1 and str(kind.get("name", "")).lower() != "epic":
            return None  # a sub-task's parent
    summary = pf.get("summary")
    return key, summary if isinstance(summary, str) else ""


def largest_unaligned_epics(
    issues: Iterable[RawIssue],
    *,
    epic_link_field: str | None,
    exclude: Iterable[str] = (),
    top: int = TOP_EPICS,
) -> tuple[UnalignedEpic, ...]:
    """The epics with the most of ``issues`` (resolved, unaligned) under them, most first, then by
    key; KR epics (``exclude``: a team-managed project's action plans) are left out."""
    skip = set(exclude)
    counts: Counter[str] = Counter()
    summaries: dict[str, str] = {}
    for issue in issues:
        found = _epic_of(issue, epic_link_field)
        if found is None or found[0] in skip:
            continue
        counts[found[0]] += 1
        if found[1]:
            summaries[found[0]] = found[1]
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return tuple(UnalignedEpic(k, n, summaries.get(k, "")) for k, n in ranked)


def project_coverage(
    counts: Mapping[str, tuple[int, int]], team_managed: Iterable[str] = ()
) -> tuple[ProjectCoverage, ...]:
    """Per project (sorted): ``counts`` project → (resolved, aligned)."""
    tm = set(team_managed)
    return tuple(ProjectCoverage(p, r, a, p in tm) for p, (r, a) in sorted(counts.items()))


def coverage_gauges(coverage: Coverage | None) -> list[tuple[str, float]]:
    """``(project or "" for the company, share)`` for ``/metrics`` and the digest (shares known)."""
    if coverage is None:
        return []
    out = [("", s) for s in [coverage.share] if s is not None]
    out += [(p.project, s) for p in coverage.projects if (s := p.share) is not None]
    return out


def describe(coverage: Coverage) -> list[str]:
    """Lines a person reads (report, digest): the company's share, each project's, the epics."""
    lines = [
        f"Alignment coverage {coverage.period.name}: {_pct(coverage.share)} "
        f"({coverage.aligned} of {coverage.resolved} issues resolved serve a key result)"
    ]
    for p in coverage.projects:
        note = " (team-managed: epic children only)" if p.team_managed else ""
        lines.append(f"  {p.project}: {_pct(p.share)} ({p.aligned} of {p.resolved}){note}")
    if coverage.unaligned_epics:
        lines.append("  Largest unaligned epics (issues resolved this period):")
        for e in coverage.unaligned_epics:
            title = f" {e.summary}" if e.summary else ""
            lines.append(f"    {e.key}{title}: {e.issues}")
    return lines


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"
