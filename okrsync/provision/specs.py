"""What ``okrsync setup`` wants in Jira, as pure values of the configuration: the custom fields
(their Jira types and searchers), the saved filters, the dashboard and its gadgets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from okrsync.core.field_types import CF, FLOAT, LABELS, SELECT, TEXTFIELD, TYPE_LABELS
from okrsync.core.plan import objective_label
from okrsync.core.requirements import FieldKind, created_fields
from okrsync.domain.config import Settings
from okrsync.domain.model import Confidence, Health, Level
from okrsync.jira.jql import jql_quote

# the custom field types and their names: core/field_types
# the searcher each type needs for JQL and gadgets ("labels: labelsearcher", Create custom field,
# https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-post)
SEARCHER = {
    FLOAT: CF + "exactnumber",
    SELECT: CF + "multiselectsearcher",
    TEXTFIELD: CF + "textsearcher",
    LABELS: CF + "labelsearcher",
}
TYPE_LABEL = {t: TYPE_LABELS[t] for t in SEARCHER}

HEALTH_OPTIONS: tuple[str, ...] = tuple(h.label for h in Health)
CONFIDENCE_OPTIONS: tuple[str, ...] = tuple(c.label for c in Confidence)

# Jira's built-in gadgets are added and listed by their spec ``uri`` (Cloud, POST/GET
# /rest/api/3/dashboard/{id}/gadget; the available ones: GET /rest/api/3/dashboard/gadgets, e.g.
# "rest/gadgets/1.0/g/com.atlassian.streams.streams-jira-plugin:activitystream-gadget/gadgets/
# activitystream-gadget.xml"); ``moduleKey`` is validated against the apps' dashboard items.
GADGET_URI_ROOT = "rest/gadgets/1.0/g/"
FILTER_RESULTS = (
    GADGET_URI_ROOT + "com.atlassian.jira.gadgets:filter-results-gadget/gadgets/filter-results-gadget.xml"
)
TWO_DIMENSIONAL = (
    GADGET_URI_ROOT
    + "com.atlassian.jira.gadgets:two-dimensional-stats-gadget/gadgets/two-dimensional-stats-gadget.xml"
)
PIE_CHART = GADGET_URI_ROOT + "com.atlassian.jira.gadgets:pie-chart-gadget/gadgets/piechart-gadget.xml"
GADGET_CONFIG = "config"
SHARE_LOGGED_IN: tuple[dict[str, str], ...] = ({"type": "authenticated"},)

KIND_TYPE: Mapping[FieldKind, str] = {"number": FLOAT, "select": SELECT, "text": TEXTFIELD, "labels": LABELS}
"""The Jira custom field type of each kind of field okrsync needs."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type_key: str
    description: str

    @property
    def searcher_key(self) -> str:
        return SEARCHER[self.type_key]


def desired_fields(cfg: Settings) -> list[FieldSpec]:
    """The custom fields okrsync creates: write-back fields (when enabled), then manual-progress fields."""
    return [FieldSpec(need.name, KIND_TYPE[need.kind], need.description) for need in created_fields(cfg)]


@dataclass(frozen=True, slots=True)
class FilterSpec:
    name: str
    jql: str
    description: str
    prefix: str | None = None
    """Found by this name prefix instead of the whole name (a company objective's id)."""


KR_FILTER = "OKR: key results"
RISK_FILTER = "OKR: at risk or off track"


def _phrase(text: str) -> str:
    """A JQL text-search phrase for ``text``: its words only, so no Lucene operator slips in."""
    words = re.findall(r"\w+", text)
    return jql_quote('"' + " ".join(words) + '"')


def subtree(cfg: Settings, root: str) -> list[str]:
    """``root`` and every YAML objective that aligns to it, directly or not."""
    out = [root]
    changed = True
    while changed:
        changed = False
        for obj in cfg.objectives:
            if obj.aligns_to in out and obj.id not in out:
                out.append(obj.id)
                changed = True
    return out


def filter_specs(cfg: Settings, *, objective_ids: bool = True) -> list[FilterSpec]:
    """The saved filters: key results, at risk or off track (or overdue), and one per company objective.

    Field clauses use the field names, so they stay right as key results come and go. A company
    objective's filter lists the ids of every objective aligned to it in the OKR Objective ID
    labels field (``"OKR Objective ID" in ("CO-1", "ENG", ...)``: exact). Without that field
    (``objective_ids=False``: it exists with another type), it falls back to the OKR Objective
    text field, which holds ``"<id>: <title>"`` and which JQL can only word-search (``~``): one
    phrase search per objective, ORed.
    """
    f = cfg.writeback.fields
    progress, status, objective = jql_quote(f.progress), jql_quote(f.status), jql_quote(f.objective)
    objective_id = jql_quote(f.objective_id)
    order = f"ORDER BY {status} ASC, {progress} ASC"
    at_risk = ", ".join(jql_quote(h.label) for h in (Health.AT_RISK, Health.OFF_TRACK, Health.OVERDUE))
    out = [
        FilterSpec(
            KR_FILTER,
            f"{progress} is not EMPTY {order}",
            f"Every key result okrsync scores, worst health first ({cfg.period.name}; "
            "made by okrsync setup).",
        ),
        FilterSpec(
            RISK_FILTER,
            f"{status} in ({at_risk}) {order}",
            "Key results at risk, off track or overdue: the ones to talk about this week (made by "
            "okrsync setup).",
        ),
    ]
    titles = {o.id: o.title for o in cfg.objectives}
    for obj in cfg.objectives:
        if obj.level != Level.COMPANY:
            continue
        ids = subtree(cfg, obj.id)
        if objective_ids:
            labels = ", ".join(jql_quote(objective_label(oid)) for oid in ids)
            where = f"{objective_id} in ({labels})"
        else:
            where = (
                "(" + " OR ".join(f"{objective} ~ {_phrase(f'{oid}: {titles[oid]}')}" for oid in ids) + ")"
            )
        out.append(
            FilterSpec(
                f"OKR: {obj.id} {obj.title}"[:255],
                f"{progress} is not EMPTY AND {where} {order}",
                f"Key results aligned to the company objective {obj.id} (made by okrsync setup).",
                prefix=f"OKR: {obj.id} ",
            )
        )
    return out


def dashboard_name(cfg: Settings) -> str:
    return f"OKRs {cfg.period.name}"


def gadget_uri(gadget: Mapping[str, object]) -> str:
    """A listed gadget's spec uri from its ``rest/gadgets/1.0/g/`` on (Jira may answer it with a
    leading slash or the site's address before it), ``""`` for a gadget without one."""
    uri = str(gadget.get("uri") or "")
    at = uri.find(GADGET_URI_ROOT)
    return uri[at:] if at >= 0 else uri


@dataclass(frozen=True, slots=True)
class GadgetSpec:
    uri: str
    """The built-in gadget's spec uri (one of :data:`FILTER_RESULTS`, :data:`PIE_CHART`,
    :data:`TWO_DIMENSIONAL`)."""
    title: str
    row: int
    column: int
    config: Mapping[str, str]
    replaces: tuple[str, ...] = ()
    """Titles an earlier okrsync setup gave this gadget: found by them, it is reconfigured."""

    @property
    def module_key(self) -> str:
        """The gadget's complete module key (``com.atlassian.jira.gadgets:filter-results-gadget``):
        how a gadget added by module key before is recognised."""
        return self.uri.removeprefix(GADGET_URI_ROOT).split("/", 1)[0]

    @property
    def kind(self) -> str:
        """The short name of the gadget type, e.g. ``filter-results-gadget``."""
        return self.module_key.split(":", 1)[1]

    def is_(self, gadget: Mapping[str, object]) -> bool:
        """Whether a gadget Jira lists is of this type: by its uri, or (added by an earlier okrsync)
        by its module key."""
        return gadget_uri(gadget) == self.uri or gadget.get("moduleKey") == self.module_key


OBJECTIVE_GADGET = "Health by objective"
PROJECT_GADGET = "Health by project"  # before OKR Objective ID existed


def gadget_specs(kr_filter: str, risk_filter: str, ids: Mapping[str, str]) -> list[GadgetSpec]:
    """The dashboard's gadgets and their ``config`` (all values strings, as Jira's gadgets want).

    ``ids`` maps ``progress``/``expected``/``status``/``objective``/``objective_id`` to field ids.
    The statistics gadgets group by fields that are statistic types: the health select field and
    the OKR Objective ID labels field (Jira cannot group statistics by a text field). The
    two-dimensional table is objective × health: x = OKR Status, y = OKR Objective ID, over the
    key results filter (``filterId`` is ``filter-<id>``; ``xstattype``/``ystattype`` field ids).
    Without a usable OKR Objective ID it is project × health, as setup made it before.
    """
    columns = "|".join(
        ["issuetype", "issuekey", "summary", "assignee", "duedate"]
        + [ids[k] for k in ("progress", "expected", "status", "objective") if k in ids]
    )
    status = ids.get("status", "")
    by_objective = bool(ids.get("objective_id"))
    return [
        GadgetSpec(
            FILTER_RESULTS,
            "Key results",
            0,
            0,
            {
                "filterId": f"filter-{kr_filter}",
                "num": "50",
                "columnNames": columns,
                "refresh": "15",
                "isConfigured": "true",
            },
        ),
        GadgetSpec(
            PIE_CHART,
            "Key results by health",
            0,
            1,
            {
                "projectOrFilterId": f"filter-{kr_filter}",
                "statType": status,
                "refresh": "15",
                "isConfigured": "true",
            },
        ),
        GadgetSpec(
            TWO_DIMENSIONAL,
            OBJECTIVE_GADGET if by_objective else PROJECT_GADGET,
            1,
            0,
            {
                "filterId": f"filter-{kr_filter}",
                "xstattype": status,
                "ystattype": ids["objective_id"] if by_objective else "project",
                "sortBy": "natural",
                "sortDirection": "asc",
                "showTotals": "true",
                "numberToShow": "50",
                "refresh": "15",
                "isConfigured": "true",
            },
            (PROJECT_GADGET,) if by_objective else (),
        ),
        GadgetSpec(
            FILTER_RESULTS,
            "At risk or off track",
            1,
            1,
            {
                "filterId": f"filter-{risk_filter}",
                "num": "20",
                "columnNames": columns,
                "refresh": "15",
                "isConfigured": "true",
            },
        ),
    ]


# ------------------------------------------------------------------------------------ the report
