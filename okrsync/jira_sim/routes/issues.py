"""Issue get / edit, changelog, transitions, issue properties and issue links."""

from __future__ import annotations

from okrsync.jira_sim import catalog, render
from okrsync.jira_sim.errors import ApiError, bad_request
from okrsync.jira_sim.fields import FieldSelection
from okrsync.jira_sim.routing import Request, Response, route


@route("GET", "/rest/api/{ver}/issue/{key}")
def get_issue(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    selection = FieldSelection.parse(req.q_all("fields"), default="*all")
    return Response(
        200,
        render.issue(
            req.store,
            issue,
            req.base,
            req.version,
            selection,
            expand=req.q_all("expand"),
            properties=req.q_all("properties"),
        ),
    )


@route("PUT", "/rest/api/{ver}/issue/{key}")
def edit_issue(req: Request) -> Response:
    body = req.json()
    if body is None:
        raise bad_request("No content to map to Object due to end of input")
    notify = req.q_bool("notifyUsers", True)
    req.store.edit_issue(req.params["key"], body, req.me, api_version=req.version, notify_users=notify)
    if req.q_bool("returnIssue", False):
        issue = req.store.get_issue(req.params["key"])
        return Response(
            200, render.issue(req.store, issue, req.base, req.version, FieldSelection(all_fields=True))
        )
    return Response(204)


@route("GET", "/rest/api/{ver}/issue/{key}/changelog", flavors=("cloud",))
def changelog(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    histories = render.changelog(req.store, issue["key"], req.base, req.version)["histories"]
    start = req.q_int("startAt", 0)
    size = min(req.q_int("maxResults", 100), 100)
    page = histories[start : start + size]
    return Response(
        200,
        {
            "self": f"{render.api(req.base, req.version)}/issue/{issue['key']}/changelog?maxResults={size}"
            f"&startAt={start}",
            "maxResults": size,
            "startAt": start,
            "total": len(histories),
            "isLast": start + len(page) >= len(histories),
            "values": page,
        },
    )


@route("GET", "/rest/api/{ver}/issue/{key}/transitions")
def transitions(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    current = issue["fields"]["status"]["name"]
    out = []
    for name, (sid, _cat) in catalog.STATUSES.items():
        if name == current:
            continue
        out.append(
            {
                "id": sid,
                "name": name,
                "to": catalog.status(name),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isConditional": False,
            }
        )
    return Response(200, {"expand": "transitions", "transitions": out})


@route("POST", "/rest/api/{ver}/issue/{key}/transitions")
def do_transition(req: Request) -> Response:
    body = req.json_object()
    tid = str((body.get("transition") or {}).get("id", ""))
    target = next((n for n, (sid, _c) in catalog.STATUSES.items() if sid == tid), None)
    if target is None:
        raise bad_request(f"Transition id '{tid}' is not valid for this issue.")
    issue = req.store.get_issue(req.params["key"])
    req.store.check_edit_permission(issue, req.me)
    res = ((body.get("fields") or {}).get("resolution") or {}).get("name")
    req.store.transition(issue["key"], target, req.me, resolution=res)
    return Response(204)


# ------------------------------------------------------------------------------- properties


@route("GET", "/rest/api/{ver}/issue/{key}/properties")
def list_properties(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    api = render.api(req.base, req.version)
    return Response(
        200,
        {
            "keys": [
                {"self": f"{api}/issue/{issue['id']}/properties/{k}", "key": k} for k in issue["properties"]
            ]
        },
    )


@route("GET", "/rest/api/{ver}/issue/{key}/properties/{propertyKey}")
def get_property(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    pkey = req.params["propertyKey"]
    if pkey not in issue["properties"]:
        raise ApiError(404, f"The property with key '{pkey}' does not exist.")
    return Response(200, {"key": pkey, "value": issue["properties"][pkey]})


@route("PUT", "/rest/api/{ver}/issue/{key}/properties/{propertyKey}")
def put_property(req: Request) -> Response:
    if not req.body:
        raise bad_request("The property value can not be empty.")
    value = req.json()
    if len(req.body) > 32768:
        raise bad_request("The property value exceeds the maximum size of 32768 bytes.")
    created = req.store.set_issue_property(req.params["key"], req.params["propertyKey"], value, req.me)
    return Response(201 if created else 200, {} if created else None)


@route("DELETE", "/rest/api/{ver}/issue/{key}/properties/{propertyKey}")
def delete_property(req: Request) -> Response:
    req.store.delete_issue_property(req.params["key"], req.params["propertyKey"], req.me)
    return Response(204)


# ------------------------------------------------------------------------------------ links


@route("POST", "/rest/api/{ver}/issueLink")
def create_link(req: Request) -> Response:
    body = req.json_object()
    ltype = body.get("type") or {}
    inward = (body.get("inwardIssue") or {}).get("key") or (body.get("inwardIssue") or {}).get("id")
    outward = (body.get("outwardIssue") or {}).get("key") or (body.get("outwardIssue") or {}).get("id")
    if not inward or not outward or not (ltype.get("name") or ltype.get("id")):
        raise bad_request("Issue link type, inwardIssue and outwardIssue are required.")
    req.store.link_issues(str(ltype.get("name") or ltype.get("id")), str(inward), str(outward))
    return Response(201)


@route("GET", "/rest/api/{ver}/issueLink/{linkId}")
def get_link(req: Request) -> Response:
    return Response(200, req.store.find_link(req.params["linkId"]))


@route("DELETE", "/rest/api/{ver}/issueLink/{linkId}")
def delete_link(req: Request) -> Response:
    req.store.delete_link(req.params["linkId"])
    return Response(204)
