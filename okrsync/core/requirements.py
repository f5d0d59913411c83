"""What a configuration needs in Jira: the custom fields and the projects (one place for this fact).

``okrsync setup`` creates the fields okrsync owns, ``okrsync check`` looks for all of them, and a
sync reads the number fields the key results are measured by: each asks here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from okrsync.domain.config import Settings

FieldKind = Literal["number", "select", "text", "labels"]


@dataclass(frozen=True, slots=True)
class FieldNeed:
    """A custom field okrsync creates and writes (or, for manual KRs, reads)."""

    name: str
    kind: FieldKind
    description: str


def writeback_fields(cfg: Settings) -> list[FieldNeed]:
    """The fields okrsync writes its values into (none when write-back is off)."""
    if not cfg.writeback.enabled:
        return []
    names = cfg.writeback.fields
    return [
        FieldNeed(names.progress, "number", "Progress of the key result or objective, 0–100 % (okrsync)"),
        FieldNeed(names.expected, "number", "Progress expected by today, 0–100 % (okrsync)"),
        FieldNeed(names.status, "select", "Health of the key result or objective (okrsync)"),
        FieldNeed(names.objective, "text", "The objective this work serves (okrsync)"),
        FieldNeed(names.key_result, "text", "The key result this work delivers (okrsync)"),
        FieldNeed(
            names.objective_id,
            "labels",
            "The id of the objective this work serves, for filters and gadgets (okrsync)",
        ),
    ]


def checkin_fields(cfg: Settings) -> list[FieldNeed]:
    """The fields a KR owner checks in with on the KR epic (okrsync reads them, never writes them)."""
    names = cfg.writeback.fields
    return [
        FieldNeed(names.confidence, "select", "The owner's confidence in the key result: High, Medium, Low"),
        FieldNeed(names.checkin, "text", "The owner's check-in note on the key result"),
    ]


SCORE_FIELD_DESCRIPTION = "Final OKR score, 0.0–1.0, of a closed period (okrsync)"
"""``writeback.score_field`` (``OKR Score``): written when a period closes (issue 16)."""


def manual_fields(cfg: Settings) -> list[str]:
    """The number fields manual key results are typed into (okrsync creates them), each once."""
    out: list[str] = []
    for kr in cfg.key_results:
        name = kr.manual_field
        if name is not None and all(name.casefold() != seen.casefold() for seen in out):
            out.append(name)
    return out


def metric_fields(cfg: Settings) -> list[str]:
    """Number fields named by metric key results: they hold the team's own values, never created."""
    out: list[str] = []
    for kr in cfg.key_results:
        if kr.metric is not None and kr.metric.field not in out:
            out.append(kr.metric.field)
    return out


def created_fields(cfg: Settings) -> list[FieldNeed]:
    """What ``okrsync setup`` creates: the write-back fields, the check-in fields, then the
    manual-progress fields."""
    out = writeback_fields(cfg)
    if cfg.writeback.enabled:  # read by a sync that writes: the status comment tells them
        out += [need for need in checkin_fields(cfg) if all(need.name != o.name for o in out)]
    if cfg.writeback.enabled and all(cfg.writeback.score_field != o.name for o in out):
        out.append(FieldNeed(cfg.writeback.score_field, "number", SCORE_FIELD_DESCRIPTION))
    for name in manual_fields(cfg):
        if all(need.name.casefold() != name.casefold() for need in out):
            out.append(FieldNeed(name, "number", "Progress of a manually measured key result, 0–100 %"))
    return out


def measured_fields(cfg: Settings) -> list[str]:
    """The number fields a sync reads to measure key results: metric fields, then manual fields."""
    out = metric_fields(cfg)
    out += [name for name in manual_fields(cfg) if name not in out]
    return out


_PROJECT_CLAUSE = re.compile(r"\bproject\s*(?:=|in)\s*\(?\s*([^)]+?)\s*\)?(?:\s+(?:and|or|order)\b|$)", re.I)
_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]*")


def config_projects(cfg: Settings) -> list[str]:
    """Project keys the configuration names: epic keys' projects and ``project = / in`` of JQLs."""
    keys: list[str] = []

    def add(key: str) -> None:
        key = key.strip().strip("\"'").upper()
        if key and _PROJECT_KEY.fullmatch(key) and key not in keys:
            keys.append(key)

    jqls = [kr.jql for kr in cfg.key_results if kr.jql]
    if cfg.objectives_from_jira is not None:
        jqls.append(cfg.objectives_from_jira.jql)
    for kr in cfg.key_results:
        if kr.epic and _ISSUE_KEY.match(kr.epic):
            add(kr.epic.rsplit("-", 1)[0])
    for jql in jqls:
        for key in _jql_projects(jql):
            add(key)
    return keys


def _jql_projects(jql: str) -> list[str]:
    """The project keys a JQL names in ``project = X`` / ``project in (X, Y)`` clauses."""
    out: list[str] = []
    for m in _PROJECT_CLAUSE.finditer(jql):
        for part in m.group(1).split(","):
            key = part.strip().strip("\"'").upper()
            if key and _PROJECT_KEY.fullmatch(key) and key not in out:
                out.append(key)
    return out


def key_result_projects(cfg: Settings) -> list[tuple[str, tuple[str, ...]]]:
    """Each configured key result as a user knows it (its epic's key, or ``key_results[i]`` for one
    found by JQL) with the projects it lives in: its epic's, or those its JQL names."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for i, kr in enumerate(cfg.key_results):
        if kr.epic and _ISSUE_KEY.match(kr.epic):
            out.append((kr.epic, (kr.epic.rsplit("-", 1)[0],)))
        elif kr.jql:
            out.append((f"key_results[{i}]", tuple(_jql_projects(kr.jql))))
    return out
