"""The simulator's state: issues, fields, comments, properties, filters, dashboards, webhooks.

One re-entrant lock guards everything (``Store.lock``); the HTTP server holds it while a handler
runs and its answer is encoded. Every write records changelog entries, bumps ``updated`` and
publishes an event for webhook delivery. The whole state is plain JSON (``to_json``/``from_json``).

Why one module of ~850 lines: it is the simulated Jira's single data model behind one lock; its
parts (issues, comments, fields, admin objects) share that lock, the changelog and the events, and
splitting them would spread one invariant over several files. The routes (``routes/``) stay thin.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from okrsync.jira_sim import catalog
from okrsync.jira_sim.adf import adf_to_text, is_doc, validate_doc
from okrsync.jira_sim.catalog import Flavor
from okrsync.jira_sim.errors import ApiError, bad_request, not_found_issue
from okrsync.jira_sim.fields import EDITABLE_SYSTEM, cannot_set, coerce_custom, coerce_labels
from okrsync.jira_sim.search_index import SearchIndex
from okrsync.jira_sim.timeutil import fmt

Json = dict[str, Any]
Event = dict[str, Any]

STATE_VERSION = 1


def _now() -> datetime:
    return datetime.now(UTC)


DISCARD_NOTIFICATION = (
    "To discard the user notification either admin or project admin permissions are required."
)


class Store:
    """All simulator state. Methods raise :class:`ApiError` with Jira's messages."""

    def __init__(self, flavor: Flavor, clock: Callable[[], datetime] | None = None) -> None:
        if flavor not in catalog.FLAVORS:
            raise ValueError(f"flavor must be one of {catalog.FLAVORS}, not {flavor!r}")
        self.flavor: Flavor = flavor
        self.clock = clock or _now
        self.lock = threading.RLock()
        self.version = 0
        self.listeners: list[Callable[[Event], None]] = []
        self._search_cache: dict[tuple[str, str, str], tuple[int, list[str], tuple[str, ...]]] = {}
        self.index = SearchIndex()
        """What Cloud's search/jql sees: the writes of the last ``index.lag_seconds`` not yet (0: all)."""
        self.users: dict[str, Json] = {}
        self.credentials: list[Json] = []  # {"account", "login", "secret", "kind": basic|pat}
        self.admins: set[str] = set()
        self.projects: dict[str, Json] = {}
        self.fields: list[Json] = catalog.system_fields()
        self.field_options: dict[str, list[Json]] = {}
        self.field_contexts: dict[str, Json] = {}
        self.next_custom = catalog.FIRST_NEW_CUSTOM_ID[flavor]
        self.next_option_id = 10100
        self.issues: dict[str, Json] = {}
        self.ids: dict[str, str] = {}
        self.next_issue_id = 10000
        self.project_seq: dict[str, int] = {}
        self.comments: dict[str, list[Json]] = {}
        self.next_comment_id = 10000
        self.changelog: dict[str, list[Json]] = {}
        self.next_history_id = 10000
        self.next_link_id = 10000
        self.filters: dict[str, Json] = {}
        self.next_filter_id = 10000
        self.dashboards: dict[str, Json] = {}
        self.next_dashboard_id = 10001
        self.gadgets: dict[str, list[Json]] = {}
        self.next_gadget_id = 10000
        self.item_properties: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, Json] = {}
        self.next_webhook_id = 1
        self.off_screen: dict[str, list[str]] = {}
        self.notify_suppressed = 0
        self.notify_ignored = 0
        """Cloud edits sent with ``notifyUsers=false`` by an account that may not discard the
        notification: "the request is ignored", the edit is made and the watchers are notified."""
        self.editors: set[str] = set()
        """Accounts that may edit issues (Browse projects, Edit issues) without administering Jira or
        the project (no Administer projects): they cannot discard edit notifications."""
        for num, name, ctype in catalog.CONVENTIONAL_FIELDS[flavor]:
            self.fields.append(catalog.custom_field(num, name, ctype))
        self.dashboards["10000"] = {
            "id": "10000",
            "name": "System Dashboard",
            "description": "",
            "owner": None,
            "sharePermissions": [{"type": "global"}],
            "editPermissions": [],
            "isFavourite": True,
            "popularity": 1,
        }

    # -------------------------------------------------------------------------------- plumbing

    def now(self) -> datetime:
        return self.clock()

    def touch(self) -> None:
        self.version += 1

    def emit(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener(event)

    # ---------------------------------------------------------------------------- users & auth

    def add_user(
        self,
        account_id: str,
        name: str,
        display: str,
        email: str,
        *,
        token: str | None = None,
        password: str | None = None,
        pat: str | None = None,
        admin: bool = False,
    ) -> Json:
        user = catalog.make_user(self.flavor, account_id, name, display, email)
        self.users[account_id] = user
        if token:
            self.credentials.append({"account": account_id, "login": email, "secret": token, "kind": "basic"})
        if password:
            self.credentials.append(
                {"account": account_id, "login": name, "secret": password, "kind": "basic"}
            )
        if pat:
            self.credentials.append({"account": account_id, "login": "", "secret": pat, "kind": "pat"})
        if admin:
            self.admins.add(account_id)
        return user

    def user_by_ref(self, ref: Mapping[str, Any] | str | None) -> Json | None:
        """Find a user by accountId, name, key or email (``{"accountId": ...}`` or ``{"name": ...}``)."""
        if ref is None:
            return None
        wanted: list[str] = []
        if isinstance(ref, str):
            wanted = [ref]
        else:
            wanted = [str(ref[k]) for k in ("accountId", "name", "key", "emailAddress", "id") if ref.get(k)]
        for user in self.users.values():
            for w in wanted:
                if w in (user["accountId"], user.get("name"), user.get("key"), user["emailAddress"]):
                    return user
        return None

    def is_admin(self, user: Mapping[str, Any]) -> bool:
        return str(user["accountId"]) in self.admins

    def require_admin(self, user: Mapping[str, Any], message: str) -> None:
        if not self.is_admin(user):
            raise ApiError(403, message)

    # ------------------------------------------------------------------------------- projects

    def add_project(
        self, key: str, name: str, lead: str | None = None, *, team_managed: bool = False
    ) -> Json:
        pid = str(10000 + len(self.projects))
        project: Json = {"id": pid, "key": key, "name": name, "projectTypeKey": "software"}
        if lead and lead in self.users:
            project["lead"] = self.users[lead]
        self.projects[key] = project
        self.project_seq.setdefault(key, 0)
        self.set_team_managed(key, team_managed)
        return project

    def set_team_managed(self, key: str, team_managed: bool = True) -> None:
        """Make ``key`` a team-managed (next-gen) project, or a company-managed (classic) one.

        Cloud's ``Project`` carries ``style`` ("classic" / "next-gen") and ``simplified`` (true for a
        team-managed project), so does the issue's ``project`` field (``ProjectDetails.simplified``);
        Data Center has no team-managed projects (its ``ProjectJsonBean`` has neither).
        """
        project = self.projects.get(key)
        if project is None:
            raise ValueError(f"no project {key!r}; the site has {', '.join(sorted(self.projects)) or 'none'}")
        if self.flavor != "cloud":
            if team_managed:
                raise ValueError("Data Center has no team-managed projects (they are a Jira Cloud feature)")
            return
        project["style"] = "next-gen" if team_managed else "classic"
        project["simplified"] = team_managed
        self.touch()

    def is_team_managed(self, project_key: str) -> bool:
        return (self.projects.get(project_key) or {}).get("style") == "next-gen"

    # --------------------------------------------------------------------------------- fields

    def field(self, ref: str) -> Json | None:
        for f in self.fields:
            if ref in (f["id"], f["key"]):
                return f
        return None

    def field_by_name(self, name: str) -> Json | None:
        for f in self.fields:
            if f["name"] == name or f["id"] == name:
                return f
        low = name.lower()
        for f in self.fields:
            if str(f["name"]).lower() == low:
                return f
        return None

    def create_field(self, body: Mapping[str, Any], user: Mapping[str, Any]) -> Json:
        self.require_admin(user, "Only Jira administrators can access the fields configuration.")
        name = body.get("name")
        ftype = body.get("type")
        if not isinstance(name, str) or not name.strip():
            raise bad_request(errors={"name": "The custom field name must be specified."})
        if not isinstance(ftype, str) or ftype not in catalog.CUSTOM_TYPES:
            raise bad_request(errors={"type": f"Custom field type '{ftype}' is not valid."})
        num = self.next_custom
        self.next_custom += 1
        fdef = catalog.custom_field(num, name, ftype, body.get("description"))
        self.fields.append(fdef)
        fid = fdef["id"]
        if ftype == catalog.SELECT:
            self.field_options[fid] = []
        self.field_contexts[fid] = {
            "id": str(10100 + num - catalog.FIRST_NEW_CUSTOM_ID[self.flavor]),
            "name": f"Default Configuration Scheme for {name}",
            "description": "Default configuration scheme generated by Jira",
            "isGlobalContext": True,
            "isAnyIssueType": True,
        }
        self.touch()
        return fdef

    def add_field_options(self, fid: str, values: Iterable[str]) -> list[Json]:
        fdef = self.field(fid)
        if fdef is None:
            raise ApiError(404, "The custom field was not found.")
        if fdef.get("schema", {}).get("custom") != catalog.SELECT:
            raise bad_request("The custom field doesn't support options.")
        opts = self.field_options.setdefault(fid, [])
        added = []
        for value in values:
            if any(o["value"] == value for o in opts):
                raise bad_request(f"The option '{value}' already exists.")
            opt = {"id": str(self.next_option_id), "value": value, "disabled": False}
            self.next_option_id += 1
            opts.append(opt)
            added.append(opt)
        self.touch()
        return added

    # --------------------------------------------------------------------------------- issues

    def insert_issue(self, issue: Json) -> Json:
        """Add a fully formed issue (datasets); assigns id and key when missing."""
        fields = issue["fields"]
        pkey = fields["project"]["key"]
        if not issue.get("id"):
            issue["id"] = str(self.next_issue_id)
        self.next_issue_id = max(self.next_issue_id, int(issue["id"]) + 1)
        if not issue.get("key"):
            self.project_seq[pkey] = self.project_seq.get(pkey, 0) + 1
            issue["key"] = f"{pkey}-{self.project_seq[pkey]}"
        issue.setdefault("properties", {})
        self.index.before_write(issue["key"], None)
        self.issues[issue["key"]] = issue
        self.ids[issue["id"]] = issue["key"]
        self.touch()
        return issue

    def get_issue(self, ref: str) -> Json:
        key = self.ids.get(ref, ref)
        issue = self.issues.get(key) or self.issues.get(key.upper())
        if issue is None:
            raise not_found_issue()
        return issue

    def add_history(
        self, key: str, author: Mapping[str, Any] | None, created: str, items: list[Json]
    ) -> Json:
        hist = {"id": str(self.next_history_id), "author": author, "created": created, "items": items}
        self.next_history_id += 1
        self.changelog.setdefault(key, []).append(hist)
        return hist

    def _user_ref(self, user: Mapping[str, Any] | None) -> str | None:
        if user is None:
            return None
        return str(user.get("name") if self.flavor == "datacenter" else user["accountId"])

    def _display(self, fid: str, value: Any) -> tuple[str | None, str | None]:
        """(from/to, fromString/toString) of a value for a changelog item."""
        if value is None:
            return None, None
        if fid in ("status", "resolution", "priority", "issuetype"):
            return str(value.get("id")), str(value.get("name"))
        if fid in ("assignee", "reporter"):
            return self._user_ref(value), str(value.get("displayName"))
        if catalog.is_labels(self.field(fid)):
            return None, " ".join(value)
        if fid == "parent":
            return str(value.get("id")), str(value.get("key"))
        if isinstance(value, dict) and "value" in value:
            return str(value.get("id")), str(value["value"])
        if isinstance(value, float) and value.is_integer():
            return None, str(int(value))
        return None, str(value)

    def change_item(self, fid: str, old: Any, new: Any) -> Json:
        fdef = self.field(fid)
        custom = bool(fdef and fdef.get("custom"))
        name = (
            str(fdef["name"]) if fdef and custom else ("IssueParentAssociation" if fid == "parent" else fid)
        )
        f_from, f_str = self._display(fid, old)
        t_to, t_str = self._display(fid, new)
        return {
            "field": name,
            "fieldtype": "custom" if custom else "jira",
            "fieldId": fid,
            "from": f_from,
            "fromString": f_str,
            "to": t_to,
            "toString": t_str,
        }

    def _coerce(self, issue: Json, fid: str, value: Any, api_version: str) -> Any:
        fdef = self.field(fid)
        if fdef is None:
            raise cannot_set(fid)
        pkey = issue["fields"]["project"]["key"]
        hidden = self.off_screen.get(pkey, [])
        if fid in hidden or fdef["name"] in hidden:
            raise cannot_set(fid)
        if fdef.get("custom") and self.is_team_managed(pkey) and not catalog.in_team_managed(fdef):
            # a team-managed project has fields of its own: a global custom field "cannot be set"
            # there, the same 400 as a field missing from a screen
            raise cannot_set(fid)
        if not fdef.get("custom"):
            return self._coerce_system(fid, value, api_version)
        if fdef.get("schema", {}).get("custom") == catalog.EPIC_LINK and value is not None:
            if not isinstance(value, str):
                raise bad_request(errors={fid: "Operation value must be a string"})
            epic = self.issues.get(value)
            if epic is None or epic["fields"]["issuetype"]["name"] != "Epic":
                raise bad_request(errors={fid: f"Epic '{value}' does not exist or is not an epic."})
            return value
        return coerce_custom(fdef, value, api_version=api_version, options=self.field_options.get(fid, []))

    def _coerce_system(self, fid: str, value: Any, api_version: str) -> Any:
        if fid not in EDITABLE_SYSTEM:
            raise cannot_set(fid)
        if fid == "summary":
            if not isinstance(value, str) or not value.strip():
                raise bad_request(errors={"summary": "You must specify a summary of the issue."})
            if "\n" in value:
                raise bad_request(
                    errors={"summary": "The summary is invalid because it contains newline characters."}
                )
            return value
        if fid == "description":
            if value is None:
                return None
            if api_version == "3" and self.flavor == "cloud":
                return adf_to_text(validate_doc(value, "description"))
            if not isinstance(value, str):
                raise bad_request(errors={"description": "Operation value must be a string"})
            return value
        if fid == "assignee":
            if value is None:
                return None
            user = self.user_by_ref(value) if isinstance(value, dict) else None
            if user is None:
                ref = value.get("accountId") or value.get("name") if isinstance(value, dict) else value
                raise bad_request(errors={"assignee": f"User '{ref}' does not exist."})
            return user
        if fid == "labels":
            return coerce_labels(fid, value)
        if fid == "duedate":
            if value is None:
                return None
            try:
                datetime.strptime(str(value), "%Y-%m-%d")
            except ValueError:
                raise bad_request(errors={"duedate": "Error parsing date string: " + str(value)}) from None
            return value
        if fid == "priority":
            if not isinstance(value, dict):
                raise bad_request(errors={"priority": "Operation value must be an object"})
            for name, pid in catalog.PRIORITIES.items():
                if value.get("name") == name or str(value.get("id")) == pid:
                    return catalog.priority(name)
            raise bad_request(errors={"priority": "The priority selected is invalid."})
        if fid == "parent":
            if value is None:
                return None
            ref = value.get("key") or value.get("id") if isinstance(value, dict) else None
            if not ref or (ref not in self.issues and ref not in self.ids):
                raise bad_request(errors={"parent": "Could not find issue by id or key."})
            return self.parent_ref(self.get_issue(str(ref)))
        raise cannot_set(fid)

    def parent_ref(self, parent: Json) -> Json:
        pf = parent["fields"]
        return {
            "id": parent["id"],
            "key": parent["key"],
            "fields": {
                "summary": pf["summary"],
                "status": pf["status"],
                "issuetype": pf["issuetype"],
                "priority": pf.get("priority"),
            },
        }

    def check_edit_permission(self, issue: Json, user: Mapping[str, Any]) -> None:
        if not self.is_admin(user) and str(user["accountId"]) not in self.editors:
            raise ApiError(403, "You do not have permission to edit issues in this project.")

    def edit_issue(
        self, ref: str, body: Any, user: Json, *, api_version: str, notify_users: bool = True
    ) -> list[Json]:
        """``PUT /issue/{key}``: validate every field, then apply; returns the changelog items."""
        issue = self.get_issue(ref)
        if not isinstance(body, dict):
            raise bad_request("Can not deserialize instance of the request body.")
        self.check_edit_permission(issue, user)
        if not notify_users and not self.is_admin(user):
            # notifyUsers=false needs Administer Jira or Administer projects. Cloud: "If the user
            # doesn't have the necessary permission the request is ignored" (the edit notifies);
            # Data Center: 403 "if the user doesn't have permissions to disable users notification"
            if self.flavor != "cloud":
                raise ApiError(403, DISCARD_NOTIFICATION)
            self.notify_ignored += 1
            notify_users = True
        fields_in = body.get("fields") or {}
        update_in = body.get("update") or {}
        if not isinstance(fields_in, dict) or not isinstance(update_in, dict):
            raise bad_request("Can not deserialize instance of the request body.")
        errors: dict[str, str] = {}
        new_values: dict[str, Any] = {}
        comments: list[Any] = []
        for fid, value in fields_in.items():
            if fid in update_in:
                errors[fid] = f"Field '{fid}' cannot be set in both fields and update."
                continue
            try:
                new_values[fid] = self._coerce(issue, fid, value, api_version)
            except ApiError as exc:
                errors.update(exc.errors or {fid: "; ".join(exc.messages)})
        for fid, ops in update_in.items():
            if fid == "comment":
                for op in ops if isinstance(ops, list) else []:
                    if isinstance(op, dict) and isinstance(op.get("add"), dict):
                        comments.append(op["add"].get("body"))
                continue
            try:
                new_values[fid] = self._apply_ops(issue, fid, ops, api_version)
            except ApiError as exc:
                errors.update(exc.errors or {fid: "; ".join(exc.messages)})
        if errors:
            raise ApiError(400, errors=errors)
        if not notify_users:
            self.notify_suppressed += 1
        items = self._apply_values(issue, new_values, user)
        for cbody in comments:
            self.add_comment(issue["key"], cbody, user, api_version=api_version)
        return items

    def _apply_ops(self, issue: Json, fid: str, ops: Any, api_version: str) -> Any:
        if not isinstance(ops, list):
            raise bad_request(errors={fid: "Operation must be a list"})
        current = issue["fields"].get(fid)
        labels = catalog.is_labels(self.field(fid))
        value: Any = list(current or []) if labels else current
        for op in ops:
            if not isinstance(op, dict) or len(op) != 1:
                raise bad_request(errors={fid: "Operation must be an object with one verb"})
            verb, arg = next(iter(op.items()))
            if verb == "set":
                value = self._coerce(issue, fid, arg, api_version)
            elif verb in ("add", "remove") and labels:
                self._coerce(issue, fid, [arg], api_version)
                value = list(value or [])
                if verb == "add" and arg not in value:
                    value.append(arg)
                elif verb == "remove" and arg in value:
                    value.remove(arg)
            else:
                raise bad_request(errors={fid: f"Field '{fid}' does not support operation '{verb}'"})
        if labels and fid != "labels" and not value:
            return None  # an empty Labels custom field reads back as null
        return value

    def _apply_values(self, issue: Json, new_values: Mapping[str, Any], user: Json | None) -> list[Json]:
        fields = issue["fields"]
        items = []
        if any(fields.get(fid) != new for fid, new in new_values.items()):
            self.index.before_write(issue["key"], issue)
        for fid, new in new_values.items():
            old = fields.get(fid)
            if old == new:
                continue
            items.append(self.change_item(fid, old, new))
            fields[fid] = new
        if items:
            now = fmt(self.now())
            hist = self.add_history(issue["key"], user, now, items)
            fields["updated"] = now
            self.touch()
            self.emit(
                {
                    "webhookEvent": "jira:issue_updated",
                    "issue_event_type_name": "issue_updated",
                    "issue_key": issue["key"],
                    "user": user,
                    "changelog": hist,
                }
            )
        return items

    def set_fields_as_user(self, ref: str, values: Mapping[str, Any], user: Json | None) -> list[Json]:
        """Change fields without screen or permission checks (the ``_sim`` helpers, a *user* editing)."""
        issue = self.get_issue(ref)
        coerced: dict[str, Any] = {}
        for fid, value in values.items():
            fdef = self.field(fid) or self.field_by_name(fid)
            if fdef is None:
                raise cannot_set(fid)
            real = str(fdef["id"])
            if fdef.get("custom"):
                coerced[real] = self._coerce(issue, real, value, "2") if value is not None else None
            elif real == "assignee":
                coerced[real] = (
                    self.user_by_ref(value if isinstance(value, dict) else str(value)) if value else None
                )
            else:
                coerced[real] = self._coerce_system(real, value, "2")
        return self._apply_values(issue, coerced, user)

    def transition(
        self, ref: str, status_name: str, user: Json | None, *, resolution: str | None = None
    ) -> list[Json]:
        """Move an issue to ``status_name`` as a user would: status category date, resolution."""
        issue = self.get_issue(ref)
        new_status = catalog.status_by_id_or_name(status_name)
        if new_status is None:
            raise bad_request(f"Status '{status_name}' does not exist.")
        fields = issue["fields"]
        old_status = fields["status"]
        if old_status["id"] == new_status["id"]:
            return []
        now = fmt(self.now())
        self.index.before_write(issue["key"], issue)
        items = [self.change_item("status", old_status, new_status)]
        fields["status"] = new_status
        old_cat = old_status["statusCategory"]["key"]
        new_cat = new_status["statusCategory"]["key"]
        if old_cat != new_cat:
            fields["statuscategorychangedate"] = now
        if new_cat == "done":
            res = catalog.resolution(resolution or "Done")
            if fields.get("resolution") != res:
                items.append(self.change_item("resolution", fields.get("resolution"), res))
                fields["resolution"] = res
                fields["resolutiondate"] = now
        elif fields.get("resolution") is not None:
            items.append(self.change_item("resolution", fields["resolution"], None))
            fields["resolution"] = None
            fields["resolutiondate"] = None
        hist = self.add_history(issue["key"], user, now, items)
        fields["updated"] = now
        self.touch()
        self.emit(
            {
                "webhookEvent": "jira:issue_updated",
                "issue_event_type_name": "issue_generic",
                "issue_key": issue["key"],
                "user": user,
                "changelog": hist,
            }
        )
        return items

    # ----------------------------------------------------------------------------- comments

    def _comment_text(self, body: Any, api_version: str) -> tuple[str, Json | None]:
        if api_version == "3" and self.flavor == "cloud":
            doc = validate_doc(body, "comment")
            return adf_to_text(doc), doc
        if not isinstance(body, str) or not body.strip():
            raise bad_request(errors={"comment": "Comment body can not be empty!"})
        return body, None

    def add_comment(
        self,
        ref: str,
        body: Any,
        user: Json,
        *,
        api_version: str,
        properties: list[Any] | None = None,
        visibility: Any = None,
    ) -> Json:
        issue = self.get_issue(ref)
        text, doc = self._comment_text(body, api_version)
        if not text.strip() and not (doc and doc.get("content")):
            raise bad_request(errors={"comment": "Comment body can not be empty!"})
        now = fmt(self.now())
        comment = {
            "id": str(self.next_comment_id),
            "issue_key": issue["key"],
            "author": user,
            "updateAuthor": user,
            "body": text,
            "adf": doc,
            "created": now,
            "updated": now,
            "jsdPublic": True,
            "properties": {},
        }
        if visibility:
            comment["visibility"] = visibility
        for prop in properties or []:
            if isinstance(prop, dict) and "key" in prop:
                comment["properties"][str(prop["key"])] = prop.get("value")
        self.next_comment_id += 1
        self.comments.setdefault(issue["key"], []).append(comment)
        self.index.before_write(issue["key"], issue)
        issue["fields"]["updated"] = now
        self.touch()
        self.emit(
            {
                "webhookEvent": "comment_created",
                "issue_event_type_name": "issue_commented",
                "issue_key": issue["key"],
                "user": user,
                "comment": comment,
            }
        )
        return comment

    def get_comment(self, ref: str, comment_id: str) -> Json:
        issue = self.get_issue(ref)
        for c in self.comments.get(issue["key"], []):
            if c["id"] == str(comment_id):
                return c
        raise ApiError(404, "Can not find a comment for the id: " + str(comment_id) + ".")

    def comment_by_id(self, comment_id: str) -> Json:
        for comments in self.comments.values():
            for c in comments:
                if c["id"] == str(comment_id):
                    return c
        raise ApiError(404, "Can not find a comment for the id: " + str(comment_id) + ".")

    def update_comment(
        self, ref: str, comment_id: str, body: Any, user: Json, *, api_version: str, notify_users: bool = True
    ) -> Json:
        comment = self.get_comment(ref, comment_id)
        if not self.is_admin(user) and comment["author"]["accountId"] != user["accountId"]:
            raise ApiError(403, "You do not have the permission to edit this comment.")
        # Cloud's notifyUsers of a comment update states no permission (Data Center has no such
        # parameter): whoever may edit the comment may edit it silently
        if not isinstance(body, dict) or "body" not in body:
            raise bad_request(errors={"comment": "Comment body can not be empty!"})
        text, doc = self._comment_text(body["body"], api_version)
        now = fmt(self.now())
        comment.update({"body": text, "adf": doc, "updated": now, "updateAuthor": user})
        if "visibility" in body:
            comment["visibility"] = body["visibility"]
        # the Comment schema's properties: "Optional on create and update"; set with the body
        for prop in body.get("properties") or []:
            if isinstance(prop, dict) and "key" in prop:
                comment["properties"] = {**comment["properties"], str(prop["key"]): prop.get("value")}
        self.touch()
        self.emit(
            {
                "webhookEvent": "comment_updated",
                "issue_event_type_name": "issue_comment_edited",
                "issue_key": comment["issue_key"],
                "user": user,
                "comment": comment,
            }
        )
        return comment

    def delete_comment(self, ref: str, comment_id: str, user: Json) -> None:
        comment = self.get_comment(ref, comment_id)
        if not self.is_admin(user) and comment["author"]["accountId"] != user["accountId"]:
            raise ApiError(403, "You do not have the permission to delete this comment.")
        self.comments[comment["issue_key"]].remove(comment)
        self.touch()
        self.emit(
            {
                "webhookEvent": "comment_deleted",
                "issue_event_type_name": "issue_comment_deleted",
                "issue_key": comment["issue_key"],
                "user": user,
                "comment": comment,
            }
        )

    # ---------------------------------------------------------------------------- properties

    def set_issue_property(self, ref: str, key: str, value: Any, user: Json) -> bool:
        """Returns True when the property was created (201), False when updated (200)."""
        issue = self.get_issue(ref)
        self.check_edit_permission(issue, user)
        if len(key) > 255:
            raise bad_request("The property key can not be longer than 255 characters.")
        created = key not in issue["properties"]
        self.index.before_write(issue["key"], issue)
        issue["properties"] = {**issue["properties"], key: value}
        self.touch()
        self.emit(
            {
                "webhookEvent": "issue_property_set",
                "issue_key": issue["key"],
                "user": user,
                "property": {"key": key, "value": value},
            }
        )
        return created

    def delete_issue_property(self, ref: str, key: str, user: Json) -> None:
        issue = self.get_issue(ref)
        self.check_edit_permission(issue, user)
        if key not in issue["properties"]:
            raise ApiError(404, f"The property with key '{key}' does not exist.")
        props = dict(issue["properties"])
        del props[key]
        self.index.before_write(issue["key"], issue)
        issue["properties"] = props
        self.touch()
        self.emit(
            {
                "webhookEvent": "issue_property_deleted",
                "issue_key": issue["key"],
                "user": user,
                "property": {"key": key},
            }
        )

    # ----------------------------------------------------------------------------------- links

    def link_issues(self, type_name: str, inward_key: str, outward_key: str) -> str:
        ltype = next(
            (
                t
                for t in catalog.LINK_TYPES.values()
                if type_name in (t["name"], t["id"], t["inward"], t["outward"])
            ),
            None,
        )
        if ltype is None:
            raise ApiError(404, f"No issue link type with name '{type_name}' found.")
        inward = self.get_issue(inward_key)
        outward = self.get_issue(outward_key)
        lid = str(self.next_link_id)
        self.next_link_id += 1
        self.index.before_write(inward["key"], inward)
        self.index.before_write(outward["key"], outward)
        # the outward issue "is blocked by" the inward one; each side stores the other issue
        inward["fields"].setdefault("issuelinks", []).append(
            {"id": lid, "type": dict(ltype), "outwardIssue": {"id": outward["id"], "key": outward["key"]}}
        )
        outward["fields"].setdefault("issuelinks", []).append(
            {"id": lid, "type": dict(ltype), "inwardIssue": {"id": inward["id"], "key": inward["key"]}}
        )
        self.touch()
        return lid

    def find_link(self, lid: str) -> Json:
        for issue in self.issues.values():
            for link in issue["fields"].get("issuelinks") or []:
                if link["id"] == lid and "outwardIssue" in link:
                    return {
                        "id": lid,
                        "type": link["type"],
                        "inwardIssue": {"id": issue["id"], "key": issue["key"]},
                        "outwardIssue": link["outwardIssue"],
                    }
        raise ApiError(404, f"No issue link with id '{lid}' exists.")

    def delete_link(self, lid: str) -> None:
        self.find_link(lid)
        for issue in self.issues.values():
            links = issue["fields"].get("issuelinks") or []
            if any(link["id"] == lid for link in links):
                self.index.before_write(issue["key"], issue)
                issue["fields"]["issuelinks"] = [link for link in links if link["id"] != lid]
        self.touch()

    # -------------------------------------------------------------------------------- search

    def search_keys(
        self,
        jql: str,
        user: Json | None,
        *,
        hidden: Callable[[str], bool] | None = None,
        validation: str = "strict",
    ) -> list[str]:
        """Keys of the issues matching ``jql`` in result order (cached per store version)."""
        return self.search(jql, user, hidden=hidden, validation=validation)[0]

    def search(
        self,
        jql: str,
        user: Json | None,
        *,
        hidden: Callable[[str], bool] | None = None,
        validation: str = "strict",
    ) -> tuple[list[str], tuple[str, ...]]:
        """``(keys, warnings)`` of a search, as Jira validates it: a key/parent/Epic Link value naming an
        issue that does not exist, or that ``hidden`` says the user may not browse, is an error
        (``validation`` "strict": :class:`JqlError`), a warning ("warn") or nothing ("none")."""
        from okrsync.jira_sim.jql import compile_jql

        def exists(ref: str) -> bool:
            key = self.ids.get(ref, ref)
            issue = self.issues.get(key) or self.issues.get(key.upper())
            return issue is not None and not (hidden is not None and hidden(str(issue["key"])))

        cache_key = (jql, str(user["accountId"]) if user else "", validation)
        hit = self._search_cache.get(cache_key)
        if hit is not None and hit[0] == self.version and hidden is None:
            return hit[1], hit[2]
        query = compile_jql(
            jql, self.fields, current_user=user, now=self.now(), issue_exists=exists, validation=validation
        )
        keys = [str(i["key"]) for i in self._matching(query)]
        if hidden is None:
            if len(self._search_cache) > 64:
                self._search_cache.clear()
            self._search_cache[cache_key] = (self.version, keys, query.warnings)
        return keys, query.warnings

    def _matching(self, query: Any, view: Callable[[Json], Json | None] | None = None) -> list[Json]:
        """The issues ``query`` matches, sorted; each as ``view`` shows it (None: not at all)."""
        candidates = query.key_candidates()
        if candidates is not None:
            pool = [self.issues[k] for k in candidates if k in self.issues]
            pool.sort(key=lambda i: int(i["id"]))
        else:
            pool = list(self.issues.values())
        if view is not None:
            pool = [v for v in map(view, pool) if v is not None]
        return cast(list[Json], query.sort(i for i in pool if query.matches(i)))

    def search_indexed(
        self,
        jql: str,
        user: Json | None,
        *,
        hidden: Callable[[str], bool] | None = None,
        reconcile: Iterable[str] = (),
    ) -> tuple[list[Json], tuple[str, ...]]:
        """Cloud's search/jql: ``(issues, warnings)``, each issue as the lagging search index shows it
        (:class:`~okrsync.jira_sim.search_index.SearchIndex`), except those whose id is in
        ``reconcile`` (``reconcileIssues``): as they are now, matched against ``jql`` as they are now.
        JQL is validated as :meth:`search` does (strictly)."""
        if not self.index.lagging:
            keys, warnings = self.search(jql, user, hidden=hidden)
            return [self.issues[k] for k in keys], warnings
        from okrsync.jira_sim.jql import compile_jql

        def exists(ref: str) -> bool:  # key validation reads the database, not the index
            key = self.ids.get(ref, ref)
            issue = self.issues.get(key) or self.issues.get(key.upper())
            return issue is not None and not (hidden is not None and hidden(str(issue["key"])))

        now_ids = {str(i) for i in reconcile}

        def indexed(issue: Json) -> Json | None:
            return issue if str(issue["id"]) in now_ids else self.index.view(str(issue["key"]), issue)

        query = compile_jql(jql, self.fields, current_user=user, now=self.now(), issue_exists=exists)
        return self._matching(query, indexed), query.warnings

    # ------------------------------------------------------------------------------ save/load

    _STATE_ATTRS = (
        "flavor",
        "version",
        "users",
        "credentials",
        "admins",
        "projects",
        "fields",
        "field_options",
        "field_contexts",
        "next_custom",
        "next_option_id",
        "issues",
        "next_issue_id",
        "project_seq",
        "comments",
        "next_comment_id",
        "changelog",
        "next_history_id",
        "next_link_id",
        "filters",
        "next_filter_id",
        "dashboards",
        "next_dashboard_id",
        "gadgets",
        "next_gadget_id",
        "item_properties",
        "webhooks",
        "next_webhook_id",
        "off_screen",
    )

    def to_json(self) -> Json:
        with self.lock:
            state: Json = {"state_version": STATE_VERSION}
            for attr in self._STATE_ATTRS:
                value = getattr(self, attr)
                state[attr] = sorted(value) if isinstance(value, set) else value
            return state

    def load_json(self, state: Mapping[str, Any]) -> None:
        with self.lock:
            if state.get("flavor") != self.flavor:
                raise ValueError(f"state file is for flavor {state.get('flavor')!r}, not {self.flavor!r}")
            for attr in self._STATE_ATTRS:
                if attr in state:
                    value = state[attr]
                    setattr(self, attr, set(value) if attr == "admins" else value)
            self.ids = {str(i["id"]): key for key, i in self.issues.items()}
            self._search_cache.clear()
            self.index.catch_up()  # a loaded site is indexed as loaded
            self.version += 1


def is_adf(value: Any) -> bool:
    return is_doc(value)
