"""Comments (v2 string bodies, v3 ADF bodies) and comment properties.

A comment's properties are set by the comment-property operations and with the comment's create or
update (the ``Comment`` schema's ``properties``); they are read only from the comment-property
operations and, on Cloud, from ``POST /comment/list?expand=properties``: ``GET /issue/{key}/comment``
documents ``renderedBody`` as its only expand (both dialects) and never returns them.
"""

from __future__ import annotations

from okrsync.jira_sim import render
from okrsync.jira_sim.errors import ApiError, bad_request
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.store import Json


@route("GET", "/rest/api/{ver}/issue/{key}/comment")
def list_comments(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    start = max(0, req.q_int("startAt", 0))
    size = req.q_int("maxResults", 5000)
    size = max(0, min(size, 5000 if req.store.flavor == "cloud" else 1000))
    order = req.q("orderBy", "created") or "created"
    return Response(200, render.comments_page(req.store, issue, req.base, req.version, start, size, order))


COMMENT_LIST_IDS = 1000
"""``POST /rest/api/3/comment/list``: "A maximum of 1000 IDs can be specified"."""


@route("POST", "/rest/api/{ver}/comment/list", flavors=("cloud",))
def comments_by_ids(req: Request) -> Response:
    """Cloud's comments by id (``{"ids": [int]}``, 1 to 1000), a page of all of them; ``expand``
    ``properties`` adds each comment's properties, the one documented way to read them in bulk.
    Comments the account may not browse are left out ("Comments are returned where the user ...")."""
    ids = req.json_object().get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise bad_request("The ids must be a list of comment IDs (numbers).")
    if not ids or len(ids) > COMMENT_LIST_IDS:
        raise bad_request(f"Provide between 1 and {COMMENT_LIST_IDS} comment IDs.")
    expand = {e.strip() for e in (req.q("expand") or "").split(",") if e.strip()}
    wanted = {str(i) for i in ids}
    store = req.store
    values: list[Json] = []
    for key, comments in store.comments.items():
        if req.sim.faults.forbidden(key):
            continue
        issue_id = str(store.issues[key]["id"]) if key in store.issues else ""
        values.extend(
            render.comment(store, c, req.base, req.version, issue_id, properties="properties" in expand)
            for c in comments
            if c["id"] in wanted
        )
    values.sort(key=lambda c: int(c["id"]))
    return Response(
        200, {"isLast": True, "maxResults": 1048576, "startAt": 0, "total": len(values), "values": values}
    )


@route("POST", "/rest/api/{ver}/issue/{key}/comment")
def add_comment(req: Request) -> Response:
    body = req.json_object()
    if "body" not in body:
        raise bad_request(errors={"comment": "Comment body can not be empty!"})
    issue = req.store.get_issue(req.params["key"])
    comment = req.store.add_comment(
        issue["key"],
        body["body"],
        req.me,
        api_version=req.version,
        properties=body.get("properties"),
        visibility=body.get("visibility"),
    )
    return Response(201, render.comment(req.store, comment, req.base, req.version, issue["id"]))


@route("GET", "/rest/api/{ver}/issue/{key}/comment/{id}")
def get_comment(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    comment = req.store.get_comment(issue["key"], req.params["id"])
    return Response(200, render.comment(req.store, comment, req.base, req.version, issue["id"]))


@route("PUT", "/rest/api/{ver}/issue/{key}/comment/{id}")
def update_comment(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    comment = req.store.update_comment(
        issue["key"],
        req.params["id"],
        req.json_object(),
        req.me,
        api_version=req.version,
        notify_users=req.q_bool("notifyUsers", True),
    )
    return Response(200, render.comment(req.store, comment, req.base, req.version, issue["id"]))


@route("DELETE", "/rest/api/{ver}/issue/{key}/comment/{id}")
def delete_comment(req: Request) -> Response:
    issue = req.store.get_issue(req.params["key"])
    req.store.delete_comment(issue["key"], req.params["id"], req.me)
    return Response(204)


@route("GET", "/rest/api/{ver}/comment/{id}/properties")
def list_comment_properties(req: Request) -> Response:
    comment = req.store.comment_by_id(req.params["id"])
    api = render.api(req.base, req.version)
    return Response(
        200,
        {
            "keys": [
                {"self": f"{api}/comment/{comment['id']}/properties/{k}", "key": k}
                for k in comment["properties"]
            ]
        },
    )


@route("GET", "/rest/api/{ver}/comment/{id}/properties/{propertyKey}")
def get_comment_property(req: Request) -> Response:
    comment = req.store.comment_by_id(req.params["id"])
    pkey = req.params["propertyKey"]
    if pkey not in comment["properties"]:
        raise ApiError(404, f"The property with key '{pkey}' does not exist.")
    return Response(200, {"key": pkey, "value": comment["properties"][pkey]})


@route("PUT", "/rest/api/{ver}/comment/{id}/properties/{propertyKey}")
def put_comment_property(req: Request) -> Response:
    comment = req.store.comment_by_id(req.params["id"])
    if not req.body:
        raise bad_request("The property value can not be empty.")
    if not req.store.is_admin(req.me) and comment["author"]["accountId"] != req.me["accountId"]:
        raise ApiError(403, "You do not have permission to edit this comment's properties.")
    pkey = req.params["propertyKey"]
    created = pkey not in comment["properties"]
    comment["properties"] = {**comment["properties"], pkey: req.json()}
    req.store.touch()
    return Response(201 if created else 200)


@route("DELETE", "/rest/api/{ver}/comment/{id}/properties/{propertyKey}")
def delete_comment_property(req: Request) -> Response:
    comment = req.store.comment_by_id(req.params["id"])
    pkey = req.params["propertyKey"]
    if pkey not in comment["properties"]:
        raise ApiError(404, f"The property with key '{pkey}' does not exist.")
    props = dict(comment["properties"])
    del props[pkey]
    comment["properties"] = props
    req.store.touch()
    return Response(204)
