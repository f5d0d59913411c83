"""Filters, dashboards, gadgets and dashboard item properties."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from okrsync.jira_sim import render
from okrsync.jira_sim.errors import ApiError, bad_request
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.store import Json

# ----------------------------------------------------------------------------------- filters


def _validate_jql(req: Request, jql: str) -> None:
    from okrsync.jira_sim.jql import JqlError, compile_jql

    try:
        compile_jql(jql, req.store.fields, current_user=req.user)
    except JqlError as exc:
        raise bad_request(errors={"jql": "; ".join(exc.messages) or str(exc)}) from None


def _filter(req: Request) -> Json:
    f = req.store.filters.get(req.params["filterId"])
    if f is None:
        raise ApiError(
            400,
            "The selected filter is not available to you, perhaps it has been deleted or had "
            "its permissions changed.",
        )
    return f


def _visible(req: Request, f: Json) -> bool:
    return f["owner"] == req.me["accountId"] or bool(f.get("sharePermissions"))


SHARE_TYPES = ("user", "project", "group", "projectRole", "global", "authenticated")
"""``SharePermissionInputBean.type`` (Cloud's enum; Data Center takes the same)."""
WIDE = ("global", "authenticated")
"""Share types that "override all existing share permissions" (Cloud's SharePermissionInputBean)."""


def _share(req: Request, given: Any) -> Json:
    """A stored share permission from a ``SharePermissionInputBean`` (or a filter body's share):
    ``authenticated`` "shows as ``loggedin`` in the response"."""
    if not isinstance(given, dict) or given.get("type") not in SHARE_TYPES:
        raise bad_request(f"The share permission type must be one of: {', '.join(SHARE_TYPES)}.")
    share: Json = {"id": _next_share_id(req), "type": given["type"]}
    if share["type"] == "authenticated":
        share["type"] = "loggedin"
    # the input bean names things by id (SharePermissionInputBean: projectId, groupname, accountId,
    # projectRoleId); the stored and answered SharePermission holds them as objects
    for k in ("group", "project", "role", "user"):
        if k in given:
            share[k] = given[k]
    if "projectId" in given:
        share["project"] = {"id": str(given["projectId"])}
    if "groupname" in given:
        share["group"] = {"name": str(given["groupname"])}
    if "accountId" in given:
        share["user"] = {"accountId": str(given["accountId"])}
    if "projectRoleId" in given:
        share["role"] = {"id": int(given["projectRoleId"])}
    return share


def _next_share_id(req: Request) -> int:
    taken = [
        int(p["id"])
        for f in req.store.filters.values()
        for p in f.get("sharePermissions") or []
        if isinstance(p, dict) and isinstance(p.get("id"), int)
    ]
    return max([10000, *taken]) + 1


def _shares(req: Request, given: Any) -> list[Json]:
    if given is None:
        return []
    if not isinstance(given, list):
        raise bad_request("sharePermissions must be a list.")
    out = [_share(req, g) for g in given]
    for n, share in enumerate(out):
        share["id"] += n  # ids not yet stored: one apart
    return out


@route("POST", "/rest/api/{ver}/filter")
def create_filter(req: Request) -> Response:
    store = req.store
    store.require_admin(req.me, "You do not have permission to create filters.")
    body = req.json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request(errors={"filterName": "You must specify a name for this filter."})
    if any(f["name"] == name and f["owner"] == req.me["accountId"] for f in store.filters.values()):
        raise bad_request(errors={"filterName": "Filter with same name already exists."})
    jql = str(body.get("jql") or "")
    if jql:
        _validate_jql(req, jql)
    fid = str(store.next_filter_id)
    store.next_filter_id += 1
    f = {
        "id": fid,
        "name": name,
        "description": str(body.get("description") or ""),
        "jql": jql,
        "owner": req.me["accountId"],
        "favourite": bool(body.get("favourite", False)),  # Jira: not a favourite unless asked
        # Data Center "Currently sets permissions just using the users default sharing permissions"
        # (the simulated users' default share scope: private); Cloud takes the body's
        "sharePermissions": _shares(req, body.get("sharePermissions")) if store.flavor == "cloud" else [],
        "editPermissions": body.get("editPermissions") or [],
    }
    store.filters[fid] = f
    store.touch()
    return Response(200, render.filter_(f, req.base, req.version, store))


@route("GET", "/rest/api/{ver}/filter/favourite")
def favourite_filters(req: Request) -> Response:
    return Response(
        200,
        [
            render.filter_(f, req.base, req.version, req.store)
            for f in req.store.filters.values()
            if f.get("favourite") and _visible(req, f)
        ],
    )


@route("GET", "/rest/api/{ver}/filter/my")
def my_filters(req: Request) -> Response:
    return Response(
        200,
        [
            render.filter_(f, req.base, req.version, req.store)
            for f in req.store.filters.values()
            if f["owner"] == req.me["accountId"]
        ],
    )


def _name_matcher(req: Request) -> Callable[[str], bool]:
    """``filterName``: "When `isSubstringMatch` is true ... a case-insensitive substring match ...
    When `false` the filter name will be searched using full text search syntax" (Cloud's
    GET /filter/search): words, in any order, not a substring ("key res" finds nothing)."""
    name = req.q("filterName") or ""
    if not name:
        return lambda _n: True
    if req.q_bool("isSubstringMatch", False):
        low = name.lower()
        return lambda n: low in n.lower()
    from okrsync.jira_sim.jql_text import text_matcher

    return text_matcher(name)


@route("GET", "/rest/api/{ver}/filter/search", flavors=("cloud",))
def search_filters(req: Request) -> Response:
    matches = _name_matcher(req)
    values = [
        render.filter_(f, req.base, req.version, req.store)
        for f in req.store.filters.values()
        if _visible(req, f) and matches(f["name"])
    ]
    return Response(200, _page(req, values))


@route("GET", "/rest/api/{ver}/filter/{filterId}/permission")
def filter_share_permissions(req: Request) -> Response:
    f = _filter(req)
    if not _visible(req, f):
        raise ApiError(404, "The filter does not exist or you do not have permission to view it.")
    return Response(200, list(f.get("sharePermissions") or []))


@route("POST", "/rest/api/{ver}/filter/{filterId}/permission")
def add_filter_share_permission(req: Request) -> Response:
    """One share permission more; a global or logged-in one replaces all others ("Adding a global
    permission removes all previous permissions from the filter"). Only the owner may."""
    f = _filter(req)
    if f["owner"] != req.me["accountId"]:
        raise ApiError(400, "You do not have permission to edit this filter.")
    share = _share(req, req.json_object())
    if share["type"] in ("global", "loggedin"):
        f["sharePermissions"] = [share]
    else:
        f["sharePermissions"] = [*(f.get("sharePermissions") or []), share]
    req.store.touch()
    return Response(201, list(f["sharePermissions"]))


@route("GET", "/rest/api/{ver}/filter/{filterId}")
def get_filter(req: Request) -> Response:
    f = _filter(req)
    if not _visible(req, f):
        raise ApiError(
            400,
            "The selected filter is not available to you, perhaps it has been deleted or had its "
            "permissions changed.",
        )
    return Response(200, render.filter_(f, req.base, req.version, req.store))


@route("PUT", "/rest/api/{ver}/filter/{filterId}")
def update_filter(req: Request) -> Response:
    f = _filter(req)
    if f["owner"] != req.me["accountId"]:
        raise ApiError(400, "You do not have permission to edit this filter.")
    body = req.json_object()
    if body.get("jql"):
        _validate_jql(req, str(body["jql"]))
    for k in ("name", "description", "jql", "favourite", "editPermissions"):
        if k in body:
            f[k] = body[k]
    if "sharePermissions" in body:
        f["sharePermissions"] = _shares(req, body["sharePermissions"])
    req.store.touch()
    return Response(200, render.filter_(f, req.base, req.version, req.store))


@route("DELETE", "/rest/api/{ver}/filter/{filterId}")
def delete_filter(req: Request) -> Response:
    f = _filter(req)
    if f["owner"] != req.me["accountId"]:
        raise ApiError(400, "You do not have permission to delete this filter.")
    del req.store.filters[f["id"]]
    req.store.touch()
    return Response(204)


def _page(req: Request, values: list[Any], size_default: int = 50) -> Json:
    start = req.q_int("startAt", 0)
    size = req.q_int("maxResults", size_default)
    page = values[start : start + size]
    return {
        "self": f"{req.base}{req.path}",
        "maxResults": size,
        "startAt": start,
        "total": len(values),
        "isLast": start + len(page) >= len(values),
        "values": page,
    }


# -------------------------------------------------------------------------------- dashboards


def _dashboard(req: Request) -> Json:
    d = req.store.dashboards.get(req.params["dashboardId"])
    if d is None:
        raise ApiError(404, f"The dashboard with id '{req.params['dashboardId']}' does not exist.")
    return d


@route("GET", "/rest/api/{ver}/dashboard")
def list_dashboards(req: Request) -> Response:
    which = req.q("filter")
    values = list(req.store.dashboards.values())
    if which == "favourite":
        values = [d for d in values if d.get("isFavourite")]
    elif which == "my":
        values = [d for d in values if d.get("owner") == req.me["accountId"]]
    start = req.q_int("startAt", 0)
    size = min(req.q_int("maxResults", 20), 1000)
    page = values[start : start + size]
    body: Json = {
        "startAt": start,
        "maxResults": size,
        "total": len(values),
        "dashboards": [render.dashboard(d, req.base, req.version, req.store) for d in page],
    }
    if start + size < len(values):
        body["next"] = (
            f"{render.api(req.base, req.version)}/dashboard?startAt={start + size}&maxResults={size}"
        )
    return Response(200, body)


@route("GET", "/rest/api/{ver}/dashboard/search", flavors=("cloud",))
def search_dashboards(req: Request) -> Response:
    name = (req.q("dashboardName") or "").lower()
    values = [
        render.dashboard(d, req.base, req.version, req.store)
        for d in req.store.dashboards.values()
        if name in d["name"].lower()
    ]
    return Response(200, _page(req, values))


@route("POST", "/rest/api/{ver}/dashboard", flavors=("cloud",))
def create_dashboard(req: Request) -> Response:
    store = req.store
    store.require_admin(req.me, "You do not have permission to create dashboards.")
    body = req.json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request(errors={"name": "The dashboard name must be specified."})
    did = str(store.next_dashboard_id)
    store.next_dashboard_id += 1
    d = {
        "id": did,
        "name": name,
        "description": str(body.get("description") or ""),
        "owner": req.me["accountId"],
        "sharePermissions": body.get("sharePermissions") or [],
        "editPermissions": body.get("editPermissions") or [],
        "isFavourite": True,
        "popularity": 1,
    }
    store.dashboards[did] = d
    store.gadgets[did] = []
    store.touch()
    return Response(200, render.dashboard(d, req.base, req.version, store))


_G = "rest/gadgets/1.0/g/"
BUILT_IN_GADGETS: dict[str, str] = {
    _G
    + "com.atlassian.jira.gadgets:filter-results-gadget/gadgets/filter-results-gadget.xml": "Filter Results",
    _G + "com.atlassian.jira.gadgets:pie-chart-gadget/gadgets/piechart-gadget.xml": "Pie Chart",
    _G + "com.atlassian.jira.gadgets:two-dimensional-stats-gadget/gadgets/two-dimensional-stats-gadget.xml": (
        "Two Dimensional Filter Statistics"
    ),
    _G + "com.atlassian.jira.gadgets:stats-gadget/gadgets/stats-gadget.xml": "Issue Statistics",
    _G
    + "com.atlassian.streams.streams-jira-plugin:activitystream-gadget/gadgets/activitystream-gadget.xml": (
        "Activity Stream"
    ),
}
"""The built-in gadgets of the simulated site, by spec uri (as ``GET /dashboard/gadgets`` lists them).
The site has no apps, so no dashboard item has a module key."""


@route("GET", "/rest/api/{ver}/dashboard/gadgets", flavors=("cloud",))
def available_gadgets(req: Request) -> Response:
    return Response(200, {"gadgets": [{"uri": u, "title": t} for u, t in BUILT_IN_GADGETS.items()]})


@route("GET", "/rest/api/{ver}/dashboard/{dashboardId}")
def get_dashboard(req: Request) -> Response:
    return Response(200, render.dashboard(_dashboard(req), req.base, req.version, req.store))


@route("PUT", "/rest/api/{ver}/dashboard/{dashboardId}", flavors=("cloud",))
def update_dashboard(req: Request) -> Response:
    d = _dashboard(req)
    req.store.require_admin(req.me, "You do not have permission to edit this dashboard.")
    body = req.json_object()
    for k in ("name", "description", "sharePermissions", "editPermissions"):
        if k in body:
            d[k] = body[k]
    req.store.touch()
    return Response(200, render.dashboard(d, req.base, req.version, req.store))


@route("DELETE", "/rest/api/{ver}/dashboard/{dashboardId}", flavors=("cloud",))
def delete_dashboard(req: Request) -> Response:
    d = _dashboard(req)
    req.store.require_admin(req.me, "You do not have permission to delete this dashboard.")
    del req.store.dashboards[d["id"]]
    req.store.gadgets.pop(d["id"], None)
    req.store.touch()
    return Response(204)


@route("GET", "/rest/api/{ver}/dashboard/{dashboardId}/gadget", flavors=("cloud",))
def list_gadgets(req: Request) -> Response:
    """The dashboard's gadgets (a built-in one with its ``uri``, an app's with its ``moduleKey``);
    ``moduleKey``/``uri``/``gadgetId`` narrow the list."""
    d = _dashboard(req)
    gadgets = list(req.store.gadgets.get(d["id"], []))
    for name, attr in (("moduleKey", "moduleKey"), ("uri", "uri"), ("gadgetId", "id")):
        wanted = {v.lstrip("/") for v in req.q_all(name) if v}
        if wanted:
            gadgets = [g for g in gadgets if str(g.get(attr, "")).lstrip("/") in wanted]
    return Response(200, {"gadgets": gadgets})


def _gadget_kind(body: Json) -> tuple[str, str]:
    """("moduleKey" or "uri", its value) of a DashboardGadgetSettings, validated like Jira: a built-in
    gadget by the uri Jira lists it by, a module key only for an installed app's dashboard item
    (none here), unless ``ignoreUriAndModuleKeyValidation``."""
    module_key, uri = body.get("moduleKey"), body.get("uri")
    if bool(module_key) == bool(uri):
        raise bad_request("Either moduleKey or uri must be provided, not both.")
    if body.get("ignoreUriAndModuleKeyValidation") is True:
        return ("moduleKey", str(module_key)) if module_key else ("uri", str(uri))
    if module_key:
        hint = ""
        if str(module_key).startswith("com.atlassian.jira.gadgets:"):
            hint = " Built-in gadgets are added by their uri (GET /rest/api/3/dashboard/gadgets lists them)."
        raise bad_request(f"The gadget with module key '{module_key}' does not exist.{hint}")
    if str(uri).lstrip("/") not in BUILT_IN_GADGETS:
        raise bad_request(f"The gadget with uri '{uri}' does not exist.")
    return "uri", str(uri).lstrip("/")


@route("POST", "/rest/api/{ver}/dashboard/{dashboardId}/gadget", flavors=("cloud",))
def add_gadget(req: Request) -> Response:
    d = _dashboard(req)
    req.store.require_admin(req.me, "You do not have permission to edit this dashboard.")
    body = req.json_object()
    kind, value = _gadget_kind(body)
    gadgets = req.store.gadgets.setdefault(d["id"], [])
    position = body.get("position") or {"row": len(gadgets), "column": 0}
    if any(g["position"] == position for g in gadgets):
        raise bad_request(f"Cannot add gadget at position {position}: the position is taken.")
    gid = req.store.next_gadget_id
    req.store.next_gadget_id += 1
    gadget: Json = {
        "id": gid,
        "color": body.get("color") or "blue",
        "position": position,
        "title": body.get("title") or "",
        kind: value,
    }
    gadgets.append(gadget)
    req.store.touch()
    return Response(200, gadget)


def _gadget(req: Request) -> Json:
    d = _dashboard(req)
    for g in req.store.gadgets.get(d["id"], []):
        if str(g["id"]) == req.params["gadgetId"]:
            return g
    raise ApiError(404, f"The gadget with id {req.params['gadgetId']} does not exist on the dashboard.")


@route("PUT", "/rest/api/{ver}/dashboard/{dashboardId}/gadget/{gadgetId}", flavors=("cloud",))
def update_gadget(req: Request) -> Response:
    g = _gadget(req)
    body = req.json_object()
    for k in ("title", "color", "position"):
        if k in body:
            g[k] = body[k]
    req.store.touch()
    return Response(204)


@route("DELETE", "/rest/api/{ver}/dashboard/{dashboardId}/gadget/{gadgetId}", flavors=("cloud",))
def delete_gadget(req: Request) -> Response:
    g = _gadget(req)
    req.store.gadgets[req.params["dashboardId"]].remove(g)
    req.store.touch()
    return Response(204)


def _has_spec_uri(req: Request) -> bool:
    """Whether the dashboard item is a gadget with a spec uri and no module key."""
    for g in req.store.gadgets.get(req.params["dashboardId"], []):
        if str(g["id"]) == req.params["itemId"]:
            return bool(g.get("uri")) and not g.get("moduleKey")
    return False


def _item_key(req: Request) -> str:
    _dashboard(req)
    return f"{req.params['dashboardId']}/{req.params['itemId']}"


@route("GET", "/rest/api/{ver}/dashboard/{dashboardId}/items/{itemId}/properties")
def item_property_keys(req: Request) -> Response:
    props = req.store.item_properties.get(_item_key(req), {})
    api = render.api(req.base, req.version)
    return Response(
        200,
        {
            "keys": [
                {
                    "key": k,
                    "self": f"{api}/dashboard/{req.params['dashboardId']}/items/{req.params['itemId']}"
                    f"/properties/{k}",
                }
                for k in props
            ]
        },
    )


@route("GET", "/rest/api/{ver}/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}")
def get_item_property(req: Request) -> Response:
    props = req.store.item_properties.get(_item_key(req), {})
    pkey = req.params["propertyKey"]
    if pkey not in props:
        raise ApiError(404, f"The property with key '{pkey}' does not exist.")
    return Response(200, {"key": pkey, "value": props[pkey]})


@route("PUT", "/rest/api/{ver}/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}")
def put_item_property(req: Request) -> Response:
    key = _item_key(req)
    if not req.body:
        raise bad_request("The property value can not be empty.")
    value = req.json()
    # "For dashboard items with a spec URI and no complete module key, if the provided propertyKey
    # is equal to "config", the request body's JSON must be an object with all keys and values as
    # strings."
    strings = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if req.params["propertyKey"] == "config" and _has_spec_uri(req) and not strings:
        raise bad_request(
            "The JSON data provided for the property has too many levels. It must be an object "
            "with all keys and values as strings."
        )
    props = req.store.item_properties.setdefault(key, {})
    created = req.params["propertyKey"] not in props
    props[req.params["propertyKey"]] = value
    req.store.touch()
    return Response(201 if created else 200, {})


@route("DELETE", "/rest/api/{ver}/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}")
def delete_item_property(req: Request) -> Response:
    props = req.store.item_properties.get(_item_key(req), {})
    if props.pop(req.params["propertyKey"], None) is None:
        raise ApiError(404, f"The property with key '{req.params['propertyKey']}' does not exist.")
    req.store.touch()
    return Response(204)
