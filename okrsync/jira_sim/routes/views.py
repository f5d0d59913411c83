"""Filters, dashboards, gadgets and dashboard item properties."""

from __future__ import annotations

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
        "sharePermissions": body.get("sharePermissions") or [],
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


@route("GET", "/rest/api/{ver}/filter/search", flavors=("cloud",))
def search_filters(req: Request) -> Response:
    name = (req.q("filterName") or "").lower()
    values = [
        render.filter_(f, req.base, req.version, req.store)
        for f in req.store.filters.values()
        if _visible(req, f) and name in f["name"].lower()
    ]
    return Response(200, _page(req, values))


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
    for k in ("name", "description", "jql", "favourite", "sharePermissions", "editPermissions"):
        if k in body:
            f[k] = body[k]
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
    d = _dashboard(req)
    return Response(200, {"gadgets": list(req.store.gadgets.get(d["id"], []))})


@route("POST", "/rest/api/{ver}/dashboard/{dashboardId}/gadget", flavors=("cloud",))
def add_gadget(req: Request) -> Response:
    d = _dashboard(req)
    req.store.require_admin(req.me, "You do not have permission to edit this dashboard.")
    body = req.json_object()
    # the jira library (3.x) sends "module_key"; accept it beside the documented "moduleKey"
    module_key = body.get("moduleKey") or body.get("module_key")
    uri = body.get("uri")
    if bool(module_key) == bool(uri):
        raise bad_request("Either moduleKey or uri must be provided, not both.")
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
    }
    if module_key:
        gadget["moduleKey"] = module_key
    else:
        gadget["uri"] = uri
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
