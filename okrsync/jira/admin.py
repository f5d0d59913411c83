"""Setup-only Jira calls: custom fields and their contexts and options, screens, shared filters,
dashboards and gadgets, and the permission checks of ``okrsync setup`` and ``okrsync check``.

The sync calls only :meth:`JiraAdmin.select_options` (the health options, so that it sends none
Jira refuses) and only when it has a health to write; :attr:`okrsync.jira.gateway.JiraGateway.admin`
gives them, on the gateway's own client (one pacer, one retry budget, one request count).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from okrsync.jira.client import ADMIN, BROWSE, CREATE_SHARED, JiraClient
from okrsync.jira.errors import JiraPermissionError

PROJECT_KEYS_LIMIT = 50
"""``GET /rest/api/3/project/search``: "Up to 50 project keys can be provided"."""


def _nothing() -> None:
    return None


def is_private(filter_: Mapping[str, Any]) -> bool:
    """Whether Jira says the filter is shared with no one (its ``sharePermissions`` is empty; a
    filter read without them is not known to be private)."""
    shares = filter_.get("sharePermissions")
    return isinstance(shares, list) and not shares


class JiraAdmin:
    """The setup-only calls, through one :class:`~okrsync.jira.client.JiraClient`.

    ``fields_changed`` is called after a field was created (the gateway forgets its field list).
    """

    def __init__(self, client: JiraClient, *, fields_changed: Callable[[], None] = _nothing) -> None:
        self._client = client
        self._fields_changed = fields_changed
        self._options_refused: JiraPermissionError | None = None

    # ------------------------------------------------------------------ permissions

    def permissions(self, *names: str, project_key: str | None = None) -> dict[str, bool]:
        """``{"EDIT_ISSUES": True, ...}`` from ``GET /rest/api/{v}/mypermissions``, one request.

        Cloud requires ``permissions`` (the keys wanted, comma-separated; "Returned if `permissions`
        is empty" → 400). Data Center declares only the context parameters (``projectKey``,
        ``projectId``, ``issueKey``, ``issueId``) and returns every permission: the answer is
        filtered here.
        """
        params: dict[str, str] = {}
        if self._client.flavor == "cloud":
            params["permissions"] = ",".join(names)
        if project_key:
            params["projectKey"] = project_key
        data = self._client.json(
            self._client.call(
                "GET",
                "/rest/api/{v}/mypermissions",
                params=params,
                operation="read permissions",
                permission="",
            )
        )
        perms = data.get("permissions", {})
        return {n: bool(perms.get(n, {}).get("havePermission", False)) for n in names}

    # ------------------------------------------------------------------ projects

    def projects(self, keys: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every project the account can see, or only those of ``keys`` (Cloud: ``/project/search``
        pages, each ``Project`` with its ``style``; DC: ``/project``, filtered here).

        Cloud's ``keys``: "Up to 50 project keys can be provided" (``keys=PA&keys=PB``), so one
        request per 50 keys.
        """
        if self._client.flavor == "cloud":
            if not keys:
                return self._client.paged_values(
                    "/rest/api/3/project/search", {}, "list the projects", BROWSE
                )
            wanted = list(dict.fromkeys(keys))
            out: list[dict[str, Any]] = []
            for i in range(0, len(wanted), PROJECT_KEYS_LIMIT):
                out += self._client.paged_values(
                    "/rest/api/3/project/search",
                    {},
                    "list the projects",
                    BROWSE,
                    params={"keys": wanted[i : i + PROJECT_KEYS_LIMIT]},
                )
            return out
        raw = self._client.json_any(
            self._client.call("GET", "/rest/api/2/project", operation="list the projects", permission=BROWSE)
        )
        found = [p for p in raw if isinstance(p, dict)] if isinstance(raw, list) else []
        return [p for p in found if p.get("key") in keys] if keys else found

    # ------------------------------------------------------------------ custom fields: contexts and options

    def create_field(
        self, name: str, type_key: str, *, searcher_key: str | None = None, description: str = ""
    ) -> dict[str, Any]:
        """``POST /rest/api/{v}/field`` (a custom field; needs Administer Jira).

        ``type_key`` e.g. ``com.atlassian.jira.plugin.system.customfieldtypes:float``.
        """
        body: dict[str, Any] = {"name": name, "type": type_key, "description": description}
        if searcher_key:
            body["searcherKey"] = searcher_key
        created = self._client.json(
            self._client.call(
                "POST",
                "/rest/api/{v}/field",
                body=body,
                idempotent=False,
                operation=f"create the field {name!r}",
                permission=ADMIN,
            )
        )
        self._fields_changed()  # the gateway re-reads its field list on next use
        return created

    def field_contexts(self, field_id: str) -> list[dict[str, Any]]:
        """Cloud: the contexts of a custom field (``GET /rest/api/3/field/{id}/context``), all pages."""
        return self._client.paged_values(
            "/rest/api/3/field/{id}/context", {"id": field_id}, f"list the contexts of {field_id}", ADMIN
        )

    def create_field_context(self, field_id: str, name: str, *, description: str = "") -> dict[str, Any]:
        """Cloud: a global context for a custom field (``POST /rest/api/3/field/{id}/context``).

        Empty ``projectIds`` and ``issueTypeIds`` make it global and for any issue type
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-custom-field-contexts/
        #api-rest-api-3-field-fieldid-context-post).
        """
        return self._client.json(
            self._client.call(
                "POST",
                "/rest/api/3/field/{id}/context",
                path={"id": field_id},
                body={"name": name, "description": description, "projectIds": [], "issueTypeIds": []},
                idempotent=False,
                operation=f"create a global context for {field_id}",
                permission=ADMIN,
            )
        )

    def field_options(self, field_id: str, context_id: str) -> list[dict[str, Any]]:
        """Cloud: the options of a select field's context, all pages."""
        return self._client.paged_values(
            "/rest/api/3/field/{id}/context/{context}/option",
            {"id": field_id, "context": context_id},
            f"list the options of {field_id}",
            ADMIN,
        )

    def add_field_options(
        self, field_id: str, context_id: str, values: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Cloud: ``POST /rest/api/3/field/{id}/context/{context}/option``, ``{"options": [{"value"}]}``."""
        data = self._client.json(
            self._client.call(
                "POST",
                "/rest/api/3/field/{id}/context/{context}/option",
                path={"id": field_id, "context": context_id},
                body={"options": [{"value": v} for v in values]},
                idempotent=False,
                operation=f"add options to {field_id}",
                permission=ADMIN,
            )
        )
        return list(data.get("options") or [])

    def select_options(self, field_id: str) -> list[dict[str, Any]] | None:
        """The options an edit of a select field may choose (``[{"id", "value", "disabled"}]``), or
        ``None`` where the site has no resource to list them.

        Cloud: those of the field's global context, else of its first (the one ``okrsync setup``
        fills): two requests. Data Center: :meth:`dc_field_options`, one request a page. Both need
        Administer Jira: without it, a :class:`~okrsync.jira.errors.JiraPermissionError`, which this
        client remembers (a daemon's next cycles ask no more; a restart asks again).
        """
        if self._options_refused is not None:
            raise self._options_refused
        try:
            return self._select_options(field_id)
        except JiraPermissionError as exc:
            self._options_refused = exc
            raise

    def _select_options(self, field_id: str) -> list[dict[str, Any]] | None:
        if self._client.flavor != "cloud":
            return self.dc_field_options(field_id)
        contexts = self.field_contexts(field_id)
        context = next((c for c in contexts if c.get("isGlobalContext")), contexts[0] if contexts else None)
        if context is None:
            return []
        return self.field_options(field_id, str(context.get("id")))

    def dc_field_options(self, field_id: str) -> list[dict[str, Any]] | None:
        """Data Center: the options of a select field, or ``None`` where the site has no such
        resource (before Jira 8.x).

        ``GET /rest/api/2/customFields/{numericId}/options`` answers ``{"options": [{"id", "value",
        "disabled"}...], "total"}`` in pages numbered from 1 (``page``, ``maxResults``). Its other
        parameters (``projectIds``, ``issueTypeIds``: "a context composed of projects and issue
        types"; ``query``) are not sent: okrsync wants the field's default context, the one setup's
        steps fill (https://developer.atlassian.com/server/jira/platform/rest/v10005/
        api-group-customfields/).
        """
        numeric = field_id.removeprefix("customfield_")
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            resp = self._client.call(
                "GET",
                "/rest/api/2/customFields/{id}/options",
                path={"id": numeric},
                params={"maxResults": 1000, "page": page},
                operation=f"list the options of {field_id}",
                permission=ADMIN,
                none_on_404=True,
            )
            if resp is None:
                return None
            data = self._client.json(resp)
            options = data.get("options") or data.get("values") or []
            out.extend(o for o in options if isinstance(o, dict))
            total = data.get("total")
            if not options or not isinstance(total, int) or len(out) >= total:
                return out
            page += 1

    # ------------------------------------------------------------------ screens (Cloud)

    def screens(self) -> list[dict[str, Any]]:
        """Cloud: every screen (``GET /rest/api/3/screens``, all pages)."""
        return self._client.paged_values("/rest/api/3/screens", {}, "list the screens", ADMIN)

    def screen_tabs(self, screen_id: str) -> list[dict[str, Any]]:
        """Cloud: the tabs of a screen, in order."""
        raw = self._client.json_any(
            self._client.call(
                "GET",
                "/rest/api/3/screens/{id}/tabs",
                path={"id": screen_id},
                operation=f"list the tabs of screen {screen_id}",
                permission=ADMIN,
            )
        )
        return [t for t in raw if isinstance(t, dict)] if isinstance(raw, list) else []

    def screen_tab_fields(self, screen_id: str, tab_id: str) -> list[dict[str, Any]]:
        """Cloud: the fields on one tab of a screen."""
        raw = self._client.json_any(
            self._client.call(
                "GET",
                "/rest/api/3/screens/{id}/tabs/{tab}/fields",
                path={"id": screen_id, "tab": tab_id},
                operation=f"list the fields of screen {screen_id}",
                permission=ADMIN,
            )
        )
        return [f for f in raw if isinstance(f, dict)] if isinstance(raw, list) else []

    def add_screen_field(self, screen_id: str, tab_id: str, field_id: str) -> dict[str, Any]:
        """Cloud: ``POST /rest/api/3/screens/{id}/tabs/{tab}/fields`` with ``{"fieldId"}``."""
        return self._client.json(
            self._client.call(
                "POST",
                "/rest/api/3/screens/{id}/tabs/{tab}/fields",
                path={"id": screen_id, "tab": tab_id},
                body={"fieldId": field_id},
                idempotent=False,
                operation=f"add {field_id} to screen {screen_id}",
                permission=ADMIN,
            )
        )

    # ------------------------------------------------------------------ filters

    def find_filters(self, name: str, *, prefix: bool = False) -> list[dict[str, Any]]:
        """Filters named ``name`` (or, with ``prefix``, whose name starts with it) visible to the
        account, with their ``jql`` and ``sharePermissions``; names compare case-insensitively, as
        Jira keeps them unique.

        Cloud: ``GET /rest/api/3/filter/search`` with ``isSubstringMatch=true``: without it
        ``filterName`` is a full-text search ("When `false` the filter name will be searched using
        full text search syntax"), which may miss the name or find others; the substring matches
        are narrowed to the exact name here. Data Center has no filter search: its favourites,
        which okrsync's own filters are (created with ``favourite``).
        """
        if self._client.flavor == "cloud":
            found = self._client.paged_values(
                "/rest/api/3/filter/search",
                {},
                f"search filters named {name!r}",
                BROWSE,
                params={"filterName": name, "isSubstringMatch": "true", "expand": "jql,sharePermissions"},
            )
        else:
            raw = self._client.json_any(
                self._client.call(
                    "GET", "/rest/api/2/filter/favourite", operation="list favourite filters", permission=""
                )
            )
            found = list(raw) if isinstance(raw, list) else []
        wanted = name.casefold()
        if prefix:
            return [f for f in found if str(f.get("name") or "").casefold().startswith(wanted)]
        return [f for f in found if str(f.get("name") or "").casefold() == wanted]

    def create_shared_filter(
        self,
        name: str,
        jql: str,
        *,
        description: str = "",
        share: Sequence[Mapping[str, Any]] = ({"type": "authenticated"},),
    ) -> dict[str, Any]:
        """``POST /rest/api/{v}/filter``, a favourite, shared as ``share`` (default: every logged-in
        user) where the dialect takes it in the filter.

        Cloud takes ``sharePermissions`` in the body: ``{"type": "authenticated"}`` shares with
        logged-in users (Jira shows it as ``loggedin``); ``global`` would include anonymous users
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-filters/#api-rest-api-3-filter-post).
        Data Center "Currently sets permissions just using the users default sharing permissions"
        (DC 10.3 spec, POST /api/2/filter): the share is not sent there; set it with
        :meth:`add_filter_share` (setup does, when the new filter is not shared).
        """
        # favourite, so that Data Center (which lists filters only through favourites) finds it again
        body: dict[str, Any] = {"name": name, "jql": jql, "description": description, "favourite": True}
        if self._client.flavor == "cloud":
            body["sharePermissions"] = list(share)
        return self._client.json(
            self._client.call(
                "POST",
                "/rest/api/{v}/filter",
                body=body,
                idempotent=False,
                operation=f"create the filter {name!r}",
                permission=CREATE_SHARED,
            )
        )

    def add_filter_share(self, filter_id: str, share: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``POST /rest/api/{v}/filter/{id}/permission`` with one ``SharePermissionInputBean``
        (``{"type": "authenticated"}``: every logged-in user); returns the filter's share
        permissions. Only the owner may; "Adding a global permission removes all previous
        permissions from the filter" (authenticated counts as one on Cloud): setup adds it only to a
        filter that is shared with no one (:func:`is_private`), so never twice."""
        raw = self._client.json_any(
            self._client.call(
                "POST",
                "/rest/api/{v}/filter/{id}/permission",
                path={"id": filter_id},
                body=dict(share),
                idempotent=False,
                operation=f"share the filter {filter_id}",
                permission=f"{CREATE_SHARED}, as the filter's owner",
            )
        )
        # an array of FilterPermissionBean (the DC spec declares a single one: a known defect)
        return [p for p in raw if isinstance(p, dict)] if isinstance(raw, list) else []

    def update_filter(self, filter_id: str, *, name: str, jql: str, description: str | None = None) -> None:
        """``PUT /rest/api/{v}/filter/{id}`` (only the owner may)."""
        body: dict[str, Any] = {"name": name, "jql": jql}
        if description is not None:
            body["description"] = description
        self._client.call(
            "PUT",
            "/rest/api/{v}/filter/{id}",
            path={"id": filter_id},
            body=body,
            operation=f"update the filter {name!r}",
            permission=CREATE_SHARED,
        )

    # ------------------------------------------------------------------ dashboards and gadgets

    def find_dashboards(self, name: str) -> list[dict[str, Any]]:
        """Dashboards named exactly ``name`` that the account can see.

        Cloud: ``GET /rest/api/3/dashboard/search?dashboardName=``; Data Center has no search, so
        ``GET /rest/api/2/dashboard`` pages (``startAt``/``maxResults``, ``next`` while more).
        """
        if self._client.flavor == "cloud":
            found = self._client.paged_values(
                "/rest/api/3/dashboard/search",
                {},
                f"search dashboards named {name!r}",
                BROWSE,
                params={"dashboardName": name},
            )
            return [d for d in found if d.get("name") == name]
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            data = self._client.json(
                self._client.call(
                    "GET",
                    "/rest/api/2/dashboard",
                    params={"startAt": start, "maxResults": 1000},
                    operation="list the dashboards",
                    permission="",
                )
            )
            page = [d for d in data.get("dashboards") or [] if isinstance(d, dict)]
            out.extend(d for d in page if d.get("name") == name)
            start += len(page)
            if not page or not data.get("next"):
                return out

    def create_dashboard(
        self,
        name: str,
        *,
        description: str = "",
        share: Sequence[Mapping[str, Any]] = ({"type": "authenticated"},),
    ) -> dict[str, Any]:
        """Cloud: ``POST /rest/api/3/dashboard`` (Data Center has no REST to create dashboards)."""
        return self._client.json(
            self._client.call(
                "POST",
                "/rest/api/3/dashboard",
                body={
                    "name": name,
                    "description": description,
                    "sharePermissions": list(share),
                    "editPermissions": [],
                },
                idempotent=False,
                operation=f"create the dashboard {name!r}",
                permission=CREATE_SHARED,
            )
        )

    def dashboard_gadgets(self, dashboard_id: str) -> list[dict[str, Any]]:
        """Cloud: ``GET /rest/api/3/dashboard/{id}/gadget`` → its ``gadgets``."""
        data = self._client.json(
            self._client.call(
                "GET",
                "/rest/api/3/dashboard/{id}/gadget",
                path={"id": dashboard_id},
                operation=f"list the gadgets of dashboard {dashboard_id}",
                permission="",
            )
        )
        return [g for g in data.get("gadgets") or [] if isinstance(g, dict)]

    def add_gadget(
        self,
        dashboard_id: str,
        uri: str,
        *,
        title: str,
        position: Mapping[str, int],
        color: str = "blue",
    ) -> dict[str, Any]:
        """Cloud: ``POST /rest/api/3/dashboard/{id}/gadget`` with the built-in gadget's ``uri``
        (``DashboardGadgetSettings``: ``moduleKey`` "Can't be provided with `uri`" and names an app's
        dashboard item, validated as such; Jira lists built-in gadgets by uri,
        ``GET /rest/api/3/dashboard/gadgets``). ``position`` is ``{"row", "column"}`` (the spec's
        ``DashboardGadgetPosition`` names them by their descriptions: a known defect; its examples use
        these). https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-dashboards/
        #api-rest-api-3-dashboard-dashboardid-gadget-post"""
        return self._client.json(
            self._client.call(
                "POST",
                "/rest/api/3/dashboard/{id}/gadget",
                path={"id": dashboard_id},
                body={"uri": uri, "title": title, "color": color, "position": dict(position)},
                idempotent=False,
                operation=f"add the gadget {title!r} to dashboard {dashboard_id}",
                permission="",
            )
        )

    def dashboard_item_property(self, dashboard_id: str, item_id: str, prop: str) -> Any | None:
        """A dashboard item (gadget) property's value, ``None`` when it is not set."""
        resp = self._client.call(
            "GET",
            "/rest/api/{v}/dashboard/{id}/items/{item}/properties/{prop}",
            path={"id": dashboard_id, "item": item_id, "prop": prop},
            operation=f"read the {prop} of gadget {item_id}",
            permission="",
            none_on_404=True,
        )
        return None if resp is None else self._client.json(resp).get("value")

    def set_dashboard_item_property(self, dashboard_id: str, item_id: str, prop: str, value: Any) -> None:
        """``PUT .../dashboard/{id}/items/{item}/properties/{prop}``. For a gadget with a spec uri the
        ``config`` property "must be an object with all keys and values as strings" (else 400): such
        a value is refused here before any request
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-dashboards/
        #api-rest-api-3-dashboard-dashboardid-items-itemid-properties-propertykey-put)."""
        if prop == "config" and not (
            isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())
        ):
            raise ValueError(f"a gadget's config must map strings to strings, not {value!r}")
        self._client.call(
            "PUT",
            "/rest/api/{v}/dashboard/{id}/items/{item}/properties/{prop}",
            path={"id": dashboard_id, "item": item_id, "prop": prop},
            body=value,
            operation=f"configure gadget {item_id} (only the dashboard's owner may)",
            permission="",
        )
