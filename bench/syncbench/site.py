"""The generated site the bench syncs, and the okrsync configuration written for it.

At the default size (200 epics × 50 work items: 10,200 issues) the configuration is the one every
published figure was measured with: 200 KRs, the GA and GB epics listed one by one (measures
alternating issues/points) under 18 team objectives, two JQL sources (``project = GC AND
issuetype = Epic``, the same for GD: 50 epics each) under two more, 20 team objectives under 4
company objectives.

A larger site scales all of it by ``s = epics ÷ 200``: ``4 s`` company and ``20 s`` team
objectives, the listed epics under ``18 s`` of them (still about 5.6 KRs an objective), and each
JQL project cut into ``s`` sources of about 50 epics by key range (``project = GC AND issuetype =
Epic AND key >= GC-1 AND key <= GC-50``), one objective each. ``--site 100k`` (1,000 epics × 99
work items: 100,000 issues) has 1,000 KRs: 500 listed, 10 JQL sources of 50, 100 team and 20
company objectives.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SITES = {"10k": (200, 50), "100k": (1000, 99)}
"""Preset → (epics, work items an epic): 10,200 and 100,000 issues."""
JQL_PROJECTS = (("GC", "issues"), ("GD", "points"))


@dataclass(frozen=True)
class Shape:
    """What the configuration asks for, as the minimum and the baseline's formula need it."""

    krs_listed: int
    jql_sources: int
    jql_epics: int
    jql_epic_counts: tuple[int, ...]
    """Epics each JQL source matches, in configuration order."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "krs_listed": self.krs_listed,
            "jql_sources": self.jql_sources,
            "jql_epics": self.jql_epics,
            "jql_epic_counts": list(self.jql_epic_counts),
        }


def scale(epics: int) -> int:
    return max(1, epics // 200)


def key_number(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def jql_sources(epics: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    """(project, JQL, the epic keys it matches) of every JQL source, in configuration order."""
    s = scale(len(epics))
    out = []
    for project, _measure in JQL_PROJECTS:
        mine = sorted((e for e in epics if e.startswith(project + "-")), key=key_number)
        if not mine:
            continue
        base = f"project = {project} AND issuetype = Epic"
        if s == 1:
            out.append((project, base, mine))
            continue
        size = -(-len(mine) // s)
        for start in range(0, len(mine), size):
            chunk = mine[start : start + size]
            out.append((project, f"{base} AND key >= {chunk[0]} AND key <= {chunk[-1]}", chunk))
    return out


def build_config(
    url: str, epics: Sequence[str], flavor: str, state_db: Path, *, max_concurrency: int | None = None
) -> tuple[dict[str, Any], Shape]:
    s = scale(len(epics))
    objectives: list[dict[str, Any]] = [
        {"id": f"CO-{i}", "title": f"Company objective {i}", "level": "company"} for i in range(1, 4 * s + 1)
    ]
    teams = [f"T{i:02d}" for i in range(1, 20 * s + 1)]
    objectives += [
        {"id": t, "title": f"Team objective {t}", "aligns_to": f"CO-{1 + n % (4 * s)}"}
        for n, t in enumerate(teams)
    ]
    listed = [e for e in epics if e.startswith(("GA-", "GB-"))]
    krs: list[dict[str, Any]] = [
        {"objective": teams[n % (18 * s)], "epic": key, "measure": "points" if n % 2 else "issues"}
        for n, key in enumerate(listed)
    ]
    sources = jql_sources(epics)
    measures = dict(JQL_PROJECTS)
    for n, (project, jql, _keys) in enumerate(sources):
        krs.append({"objective": teams[18 * s + n], "jql": jql, "measure": measures[project]})
    jira: dict[str, Any] = {"url": url, "flavor": "auto", "requests_per_second": 10000}
    if flavor == "cloud":
        jira.update({"email": "demo@example.com", "api_token": "demo-token"})
    else:
        jira.update({"pat": "demo-pat"})
    if max_concurrency is not None:
        jira["max_concurrency"] = max_concurrency
    config = {
        "jira": {**jira, "max_retry_seconds": 60},
        "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
        "objectives": objectives,
        "key_results": krs,
        "policy": {"max_krs_per_objective": 60},
        "writeback": {"enabled": True, "notify_users": False},
        "sync": {"state_url": f"sqlite:///{state_db}"},
    }
    counts = tuple(len(keys) for _p, _j, keys in sources)
    return config, Shape(len(listed), len(sources), sum(counts), counts)


def write_config(
    path: Path,
    url: str,
    epics: Sequence[str],
    flavor: str,
    state_db: Path,
    *,
    max_concurrency: int | None = None,
) -> Shape:
    config, shape = build_config(url, epics, flavor, state_db, max_concurrency=max_concurrency)
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")  # JSON is YAML
    return shape


def accepts_max_concurrency() -> int | None:
    """okrsync's default ``jira.max_concurrency`` if its configuration model knows the key (tried by
    validating one, not assumed), else None."""
    from okrsync.domain.config import JiraConfig

    try:
        JiraConfig.model_validate({"url": "http://jira.invalid", "max_concurrency": 2})
    except ValueError:  # pydantic's ValidationError: "extra inputs are not permitted"
        return None
    return int(getattr(JiraConfig.model_validate({"url": "http://jira.invalid"}), "max_concurrency", 1))
