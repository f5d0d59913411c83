"""Read the whole OKR tree from Jira in one go (no state store): ``check``, ``demo``, tests.

It is a full fetch (see :mod:`okrsync.sync.fetch` for the searches it makes) mapped onto the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from okrsync.core.mappers import issue_fields
from okrsync.core.mappers.tree import RawTree, build_tree
from okrsync.domain.config import Settings
from okrsync.domain.model import OkrTree
from okrsync.jira.gateway import JiraGateway
from okrsync.sync.fetch import Fetcher
from okrsync.sync.scope import ReadScope, read_scope


@dataclass(frozen=True, slots=True)
class ReadResult:
    tree: OkrTree
    snapshot: RawTree
    scope: ReadScope
    issues: Mapping[str, issue_fields.RawIssue] = field(default_factory=dict)
    """Every issue read, by key (epics, children, objectives)."""


def read_tree(gateway: JiraGateway, cfg: Settings, *, extra_fields: Iterable[str] = ()) -> ReadResult:
    """Read everything the configuration names and map it onto the OKR tree."""
    scope = read_scope(cfg, gateway.fields, extra_fields)
    fetched = Fetcher(gateway, cfg, scope).fetch({}, since=None, full=True)
    tree = build_tree(cfg, fetched.snapshot, scope.ids, objective_field_id=scope.objective_field_id)
    if fetched.warnings:
        tree = replace(tree, warnings=(*tree.warnings, *fetched.warnings))
    return ReadResult(tree=tree, snapshot=fetched.snapshot, scope=scope, issues=fetched.issues)
