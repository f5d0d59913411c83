"""Users, the issue builder shared by the datasets, and the optional OKR fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from okrsync.jira_sim import catalog
from okrsync.jira_sim.store import Json, Store
from okrsync.jira_sim.timeutil import fmt

DEMO_ACCOUNT = "712020:0b6d4c1e-5a7f-4d0e-9c3a-de0000000001"
VIEWER_ACCOUNT = "712020:0b6d4c1e-5a7f-4d0e-9c3a-de0000000002"

# account id, username (Data Center), display name, email
PEOPLE: list[tuple[str, str, str, str]] = [
    ("712020:a1ce0000-0000-4000-8000-000000000011", "achen", "Alice Chen", "alice.chen@example.com"),
    ("712020:b0b00000-0000-4000-8000-000000000012", "bmartins", "Bob Martins", "bob.martins@example.com"),
    ("712020:ca1a0000-0000-4000-8000-000000000013", "cdiaz", "Carla Diaz", "carla.diaz@example.com"),
    ("712020:dee00000-0000-4000-8000-000000000014", "drao", "Deepak Rao", "deepak.rao@example.com"),
    ("712020:e3300000-0000-4000-8000-000000000015", "enovak", "Emma Novak", "emma.novak@example.com"),
    ("712020:fa71d000-0000-4000-8000-000000000016", "fhaddad", "Farid Haddad", "farid.haddad@example.com"),
    ("712020:91ace000-0000-4000-8000-000000000017", "gkim", "Grace Kim", "grace.kim@example.com"),
    ("712020:4c90e000-0000-4000-8000-000000000018", "hlaurent", "Hugo Laurent", "hugo.laurent@example.com"),
]

OKR_STATUS_OPTIONS = ["Done", "On track", "At risk", "Off track", "Not started", "No data", "Overdue"]
OKR_FIELDS: list[tuple[str, str, str]] = [
    ("OKR Progress", catalog.FLOAT, "Progress of the key result or objective, 0–100 % (written by okrsync)"),
    ("OKR Expected", catalog.FLOAT, "Progress expected by now, 0–100 % (written by okrsync)"),
    ("OKR Status", catalog.SELECT, "Health of the key result (written by okrsync)"),
    ("OKR Objective", catalog.TEXTFIELD, "The objective this work contributes to (written by okrsync)"),
    ("OKR Key Result", catalog.TEXTFIELD, "The key result this work contributes to (written by okrsync)"),
    ("OKR Objective ID", catalog.LABELS, "The id of the objective this work serves (written by okrsync)"),
    ("OKR Score", catalog.FLOAT, "Final OKR score, 0.0–1.0, of a closed period (written by okrsync)"),
    ("OKR Confidence", catalog.SELECT, "The owner's confidence in the key result: High, Medium, Low"),
    ("OKR Check-in", catalog.TEXTFIELD, "The owner's check-in note on the key result"),
]
OKR_CONFIDENCE_OPTIONS = ["High", "Medium", "Low"]


def add_standard_users(store: Store) -> None:
    """The demo admin, the read-mostly viewer, and eight people of the demo company."""
    store.add_user(
        DEMO_ACCOUNT,
        "demo",
        "Demo Admin",
        catalog.DEMO_EMAIL,
        token=catalog.DEMO_TOKEN,
        password="demo",  # noqa: S106 - documented demo credential
        pat=catalog.DEMO_PAT,
        admin=True,
    )
    store.add_user(
        VIEWER_ACCOUNT,
        "viewer",
        "Vera Viewer",
        catalog.VIEWER_EMAIL,
        token=catalog.VIEWER_TOKEN,
        password="viewer",  # noqa: S106
        pat=catalog.VIEWER_PAT,
    )
    for account, name, display, email in PEOPLE:
        store.add_user(account, name, display, email)


def add_okr_fields(store: Store) -> dict[str, str]:
    """Pre-create the fields okrsync writes (as ``okrsync setup`` would); name -> field id."""
    admin = store.users[DEMO_ACCOUNT]
    out: dict[str, str] = {}
    for name, ftype, description in OKR_FIELDS:
        existing = store.field_by_name(name)
        if existing is not None:
            out[name] = str(existing["id"])
            continue
        fdef = store.create_field({"name": name, "type": ftype, "description": description}, admin)
        out[name] = str(fdef["id"])
        if ftype == catalog.SELECT:
            options = OKR_CONFIDENCE_OPTIONS if name == "OKR Confidence" else OKR_STATUS_OPTIONS
            store.add_field_options(str(fdef["id"]), options)
    return out


class Builder:
    """Creates issues in the dialect's shape and records plausible history."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.flavor = store.flavor
        self.points_field = catalog.STORY_POINTS_FIELD[store.flavor]
        self.epic_link_field = catalog.EPIC_LINK_FIELD[store.flavor]
        self.custom_ids = [str(f["id"]) for f in store.fields if f.get("custom")]

    def user(self, account: str | None) -> Json | None:
        return self.store.users.get(account) if account else None

    def issue(
        self,
        project: str,
        itype: str,
        summary: str,
        *,
        created: datetime,
        reporter: str,
        assignee: str | None = None,
        labels: Sequence[str] = (),
        duedate: str | None = None,
        points: float | None = None,
        epic: Json | None = None,
        parent: Json | None = None,
        description: str | None = None,
        priority: str = "Medium",
        status: str = "To Do",
        extra: dict[str, Any] | None = None,
    ) -> Json:
        ts = fmt(created)
        st = catalog.status(status)
        fields: Json = {
            "summary": summary,
            "description": description,
            "issuetype": catalog.issue_type(itype),
            "project": {
                "id": self.store.projects[project]["id"],
                "key": project,
                "name": self.store.projects[project]["name"],
            },
            "status": st,
            "resolution": None,
            "resolutiondate": None,
            "assignee": self.user(assignee),
            "reporter": self.user(reporter),
            "priority": catalog.priority(priority),
            "labels": list(labels),
            "duedate": duedate,
            "created": ts,
            "updated": ts,
            "statuscategorychangedate": ts,
            "parent": None,
            "issuelinks": [],
        }
        for cid in self.custom_ids:
            fields[cid] = None
        if itype not in ("Epic", "Objective", "Sub-task"):
            fields[self.points_field] = points
        if epic is not None:
            fields[self.epic_link_field] = epic["key"]
            if self.flavor == "cloud":
                fields["parent"] = self.store.parent_ref(epic)
        if parent is not None:
            fields["parent"] = self.store.parent_ref(parent)
        if itype == "Epic" and self.flavor == "datacenter":
            fields["customfield_10102"] = summary
        if extra:
            fields.update(extra)
        return self.store.insert_issue({"fields": fields})

    def move(
        self, issue: Json, status: str, at: datetime, by: str | None, resolution: str | None = None
    ) -> None:
        """Record a workflow transition at ``at`` (history, status category date, resolution)."""
        f = issue["fields"]
        new = catalog.status(status)
        ts = fmt(at)
        items = [self.store.change_item("status", f["status"], new)]
        if f["status"]["statusCategory"]["key"] != new["statusCategory"]["key"]:
            f["statuscategorychangedate"] = ts
        if new["statusCategory"]["key"] == "done":
            res = catalog.resolution(resolution or "Done")
            items.append(self.store.change_item("resolution", f["resolution"], res))
            f["resolution"] = res
            f["resolutiondate"] = ts
        elif f["resolution"] is not None:
            items.append(self.store.change_item("resolution", f["resolution"], None))
            f["resolution"] = None
            f["resolutiondate"] = None
        f["status"] = new
        self.store.add_history(issue["key"], self.user(by), ts, items)
        f["updated"] = ts

    def change(self, issue: Json, fid: str, value: Any, at: datetime, by: str | None) -> None:
        f = issue["fields"]
        ts = fmt(at)
        self.store.add_history(
            issue["key"], self.user(by), ts, [self.store.change_item(fid, f.get(fid), value)]
        )
        f[fid] = value
        f["updated"] = ts

    def link(self, type_name: str, inward: Json, outward: Json) -> None:
        self.store.link_issues(type_name, inward["key"], outward["key"])

    def finalize(self) -> None:
        """Order every issue's history by time (ids too) and set ``updated`` to the latest change."""
        for key, histories in self.store.changelog.items():
            ids = sorted((h["id"] for h in histories), key=int)
            histories.sort(key=lambda h: (h["created"], int(h["id"])))
            for hid, hist in zip(ids, histories, strict=True):
                hist["id"] = hid
            issue = self.store.issues[key]
            if histories:
                issue["fields"]["updated"] = max(issue["fields"]["created"], histories[-1]["created"])

    def refresh_parents(self, issues: Iterable[Json]) -> None:
        """Re-snapshot the parent summary/status after the parents changed."""
        for issue in issues:
            ref = issue["fields"].get("parent")
            if ref is not None:
                issue["fields"]["parent"] = self.store.parent_ref(self.store.issues[ref["key"]])
