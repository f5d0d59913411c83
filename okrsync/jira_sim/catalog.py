"""Static Jira metadata: status categories, statuses, issue types, resolutions, link types, users,
and the field catalogue (system fields plus the conventional custom fields of each dialect).

Shapes follow CONTRACT.md and Atlassian's REST docs (``GET /rest/api/2/field``, ``/status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Flavor = Literal["cloud", "datacenter"]
FLAVORS: tuple[Flavor, ...] = ("cloud", "datacenter")

STATUS_CATEGORIES: dict[str, dict[str, Any]] = {
    "new": {"id": 2, "key": "new", "name": "To Do", "colorName": "blue-gray"},
    "indeterminate": {"id": 4, "key": "indeterminate", "name": "In Progress", "colorName": "yellow"},
    "done": {"id": 3, "key": "done", "name": "Done", "colorName": "green"},
}

# name -> (id, category key)
STATUSES: dict[str, tuple[str, str]] = {
    "Backlog": ("10005", "new"),
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "In Review": ("10001", "indeterminate"),
    "QA": ("10002", "indeterminate"),
    "Done": ("10003", "done"),
    "Closed": ("6", "done"),
}


def status(name: str) -> dict[str, Any]:
    """The REST shape of the status called ``name`` (KeyError if unknown)."""
    sid, cat = STATUSES[name]
    return {
        "id": sid,
        "name": name,
        "description": "",
        "statusCategory": dict(STATUS_CATEGORIES[cat]),
    }


def status_by_id_or_name(ref: str) -> dict[str, Any] | None:
    for name, (sid, _cat) in STATUSES.items():
        if ref in (sid, name) or ref.lower() == name.lower():
            return status(name)
    return None


# name -> (id, hierarchyLevel, subtask)
ISSUE_TYPES: dict[str, tuple[str, int, bool]] = {
    "Objective": ("10010", 2, False),
    "Epic": ("10000", 1, False),
    "Story": ("10001", 0, False),
    "Task": ("10002", 0, False),
    "Bug": ("10004", 0, False),
    "Sub-task": ("10003", -1, True),
}


def issue_type(name: str) -> dict[str, Any]:
    tid, level, subtask = ISSUE_TYPES[name]
    return {"id": tid, "name": name, "subtask": subtask, "hierarchyLevel": level}


RESOLUTIONS: dict[str, str] = {
    "Done": "10000",
    "Won't Do": "10001",
    "Duplicate": "10002",
    "Cannot Reproduce": "10003",
}


def resolution(name: str) -> dict[str, Any]:
    return {"id": RESOLUTIONS[name], "name": name, "description": ""}


PRIORITIES: dict[str, str] = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}


def priority(name: str) -> dict[str, Any]:
    return {"id": PRIORITIES[name], "name": name}


LINK_TYPES: dict[str, dict[str, str]] = {
    "Blocks": {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    "Cloners": {"id": "10001", "name": "Cloners", "inward": "is cloned by", "outward": "clones"},
    "Duplicate": {"id": "10002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
    "Relates": {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
}

# ------------------------------------------------------------------------------------------ fields

# id -> (name, schema, navigable, orderable, clauseNames)
_SYSTEM_FIELDS: list[tuple[str, str, dict[str, Any], bool, bool, list[str]]] = [
    ("issuekey", "Key", {}, False, False, ["id", "issue", "issuekey", "key"]),
    ("summary", "Summary", {"type": "string", "system": "summary"}, True, True, ["summary"]),
    ("description", "Description", {"type": "string", "system": "description"}, True, True, ["description"]),
    (
        "issuetype",
        "Issue Type",
        {"type": "issuetype", "system": "issuetype"},
        True,
        True,
        ["issuetype", "type"],
    ),
    ("project", "Project", {"type": "project", "system": "project"}, True, False, ["project"]),
    ("status", "Status", {"type": "status", "system": "status"}, True, False, ["status"]),
    ("resolution", "Resolution", {"type": "resolution", "system": "resolution"}, True, True, ["resolution"]),
    (
        "resolutiondate",
        "Resolved",
        {"type": "datetime", "system": "resolutiondate"},
        True,
        False,
        ["resolutiondate", "resolved"],
    ),
    ("assignee", "Assignee", {"type": "user", "system": "assignee"}, True, True, ["assignee"]),
    ("reporter", "Reporter", {"type": "user", "system": "reporter"}, True, True, ["reporter"]),
    ("priority", "Priority", {"type": "priority", "system": "priority"}, True, True, ["priority"]),
    ("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}, True, True, ["labels"]),
    ("duedate", "Due date", {"type": "date", "system": "duedate"}, True, True, ["due", "duedate"]),
    (
        "created",
        "Created",
        {"type": "datetime", "system": "created"},
        True,
        False,
        ["created", "createdDate"],
    ),
    (
        "updated",
        "Updated",
        {"type": "datetime", "system": "updated"},
        True,
        False,
        ["updated", "updatedDate"],
    ),
    (
        "statuscategorychangedate",
        "Status Category Changed",
        {"type": "datetime", "system": "statuscategorychangedate"},
        True,
        False,
        ["statusCategoryChangedDate"],
    ),
    ("parent", "Parent", {}, True, True, ["parent"]),
    (
        "issuelinks",
        "Linked Issues",
        {"type": "array", "items": "issuelinks", "system": "issuelinks"},
        True,
        True,
        ["issueLink"],
    ),
    ("comment", "Comment", {"type": "comments-page", "system": "comment"}, False, True, ["comment"]),
]

FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
TEXTFIELD = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
DATEPICKER = "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"
LABELS = "com.atlassian.jira.plugin.system.customfieldtypes:labels"
EPIC_LINK = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME = "com.pyxis.greenhopper.jira:gh-epic-label"
SPRINT = "com.pyxis.greenhopper.jira:gh-sprint"
STORY_POINTS_CLOUD = "com.pyxis.greenhopper.jira:jsw-story-points"

CUSTOM_TYPES: dict[str, dict[str, Any]] = {
    FLOAT: {"type": "number", "searcher": "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber"},
    SELECT: {
        "type": "option",
        "searcher": "com.atlassian.jira.plugin.system.customfieldtypes:multiselectsearcher",
    },
    TEXTFIELD: {
        "type": "string",
        "searcher": "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher",
    },
    TEXTAREA: {
        "type": "string",
        "searcher": "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher",
    },
    DATEPICKER: {"type": "date", "searcher": "com.atlassian.jira.plugin.system.customfieldtypes:daterange"},
    # a Labels custom field: an array of strings, searched like the system labels (=, in, is EMPTY)
    LABELS: {
        "type": "array",
        "items": "string",
        "searcher": "com.atlassian.jira.plugin.system.customfieldtypes:labelsearcher",
    },
    EPIC_LINK: {"type": "any", "searcher": None},
    EPIC_NAME: {"type": "string", "searcher": None},
    SPRINT: {"type": "array", "items": "json", "searcher": None},
    STORY_POINTS_CLOUD: {"type": "number", "searcher": None},
}

# (numeric id, name, custom type) of the conventional custom fields (CONTRACT.md)
CONVENTIONAL_FIELDS: dict[Flavor, list[tuple[int, str, str]]] = {
    "cloud": [
        (10014, "Epic Link", EPIC_LINK),
        (10016, "Story point estimate", STORY_POINTS_CLOUD),
        (10020, "Sprint", SPRINT),
        (10028, "Story Points", FLOAT),
    ],
    "datacenter": [
        (10101, "Epic Link", EPIC_LINK),
        (10102, "Epic Name", EPIC_NAME),
        (10104, "Sprint", SPRINT),
        (10106, "Story Points", FLOAT),
    ],
}
EPIC_LINK_FIELD: dict[Flavor, str] = {"cloud": "customfield_10014", "datacenter": "customfield_10101"}
STORY_POINTS_FIELD: dict[Flavor, str] = {"cloud": "customfield_10016", "datacenter": "customfield_10106"}
FIRST_NEW_CUSTOM_ID: dict[Flavor, int] = {"cloud": 10040, "datacenter": 10200}


def system_fields() -> list[dict[str, Any]]:
    out = []
    for fid, name, schema, navigable, orderable, clauses in _SYSTEM_FIELDS:
        item: dict[str, Any] = {
            "id": fid,
            "key": fid,
            "name": name,
            "custom": False,
            "orderable": orderable,
            "navigable": navigable,
            "searchable": True,
            "clauseNames": list(clauses),
        }
        if schema:
            item["schema"] = dict(schema)
        out.append(item)
    return out


def is_labels(fdef: Mapping[str, Any] | None) -> bool:
    """The system Labels field or a Labels custom field (both arrays of label strings)."""
    if not fdef:
        return False
    return fdef.get("id") == "labels" or (fdef.get("schema") or {}).get("custom") == LABELS


# The custom fields of Jira Software that team-managed projects use too ("Story point estimate",
# "Sprint"); every other global custom field (one an admin made, "Story Points", "Epic Link")
# cannot be set on their issues: a team-managed project has fields of its own.
TEAM_MANAGED_TYPES = frozenset({STORY_POINTS_CLOUD, SPRINT})


def in_team_managed(fdef: Mapping[str, Any]) -> bool:
    """Whether a custom field can be set on the issues of a team-managed project."""
    return (fdef.get("schema") or {}).get("custom") in TEAM_MANAGED_TYPES


def custom_field(num: int, name: str, type_key: str, description: str | None = None) -> dict[str, Any]:
    info = CUSTOM_TYPES.get(type_key, {"type": "string"})
    schema: dict[str, Any] = {"type": info["type"], "custom": type_key, "customId": num}
    if "items" in info:
        schema["items"] = info["items"]
    item: dict[str, Any] = {
        "id": f"customfield_{num}",
        "key": f"customfield_{num}",
        "name": name,
        "untranslatedName": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{num}]", name],
        "schema": schema,
    }
    if description:
        item["description"] = description
    return item


# --------------------------------------------------------------------------------------------- users

DEMO_EMAIL = "demo@example.com"
DEMO_TOKEN = "demo-token"  # noqa: S105 - documented demo credential
DEMO_PAT = "demo-pat"
VIEWER_EMAIL = "viewer@example.com"
VIEWER_TOKEN = "viewer-token"  # noqa: S105
VIEWER_PAT = "viewer-pat"


def make_user(flavor: Flavor, account_id: str, name: str, display: str, email: str) -> dict[str, Any]:
    """A user in the dialect's shape (Data Center adds ``name`` and ``key``)."""
    user: dict[str, Any] = {
        "accountId": account_id,
        "displayName": display,
        "emailAddress": email,
        "active": True,
        "timeZone": "UTC",
    }
    if flavor == "datacenter":
        user["name"] = name
        user["key"] = f"JIRAUSER{account_id[-5:]}"
    else:
        user["accountType"] = "atlassian"
    return user
