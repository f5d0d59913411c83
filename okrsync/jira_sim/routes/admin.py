"""Fields (list, create), Cloud field contexts and options, Cloud screens, and admin webhooks."""

from __future__ import annotations

from typing import Any

from okrsync.jira_sim import catalog
from okrsync.jira_sim.errors import ApiError, bad_request
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.store import Json
from okrsync.jira_sim.webhooks import ISSUE_SECTION, webhook_json

# Cloud's FieldDetails has neither (additionalProperties: false); Data Center's FieldBean takes them
_NOT_IN_CLOUD_FIELD_DETAILS = ("untranslatedName", "description")


def _field_json(req: Request, fdef: Json) -> Json:
    if req.store.flavor != "cloud":
        return dict(fdef)
    return {k: v for k, v in fdef.items() if k not in _NOT_IN_CLOUD_FIELD_DETAILS}


@route("GET", "/rest/api/{ver}/field")
def list_fields(req: Request) -> Response:
    return Response(200, [_field_json(req, f) for f in req.store.fields])


@route("POST", "/rest/api/{ver}/field")
def create_field(req: Request) -> Response:
    body = req.json_object()
    fdef = req.store.create_field(body, req.me)
    if not body.get("searcherKey"):
        # "If no searcher is set, the field isn't searchable" (Create custom field, REST v3)
        fdef["searchable"] = False
    # Jira puts a field made over REST on no screen: edits that set it fail ("cannot be set") until
    # an admin adds it to the project's screen (Cloud: POST /rest/api/3/screens/{id}/tabs/{tab}/fields;
    # there is a REST call only to add it to the Default Screen, POST .../screens/addToDefault/{fieldId})
    for pkey in req.store.projects:
        req.store.off_screen.setdefault(pkey, []).append(str(fdef["id"]))
    return Response(201, _field_json(req, fdef))


def _custom_field(req: Request) -> Json:
    fdef = req.store.field(req.params["fieldId"])
    if fdef is None or not fdef.get("custom"):
        raise ApiError(404, "The custom field was not found.")
    return fdef


def _page(values: list[Any], req: Request) -> Json:
    start = req.q_int("startAt", 0)
    size = req.q_int("maxResults", 50)
    page = values[start : start + size]
    return {
        "maxResults": size,
        "startAt": start,
        "total": len(values),
        "isLast": start + len(page) >= len(values),
        "values": page,
    }


@route("GET", "/rest/api/{ver}/field/{fieldId}/context", flavors=("cloud",))
def field_contexts(req: Request) -> Response:
    """A custom field's contexts ("Permissions required: Administer Jira")."""
    req.store.require_admin(req.me, "Only Jira administrators can access the fields configuration.")
    fdef = _custom_field(req)
    ctx = req.store.field_contexts.get(str(fdef["id"]))
    if ctx is None:
        ctx = {
            "id": str(10000 + int(str(fdef["id"]).split("_")[1]) % 1000),
            "name": f"Default Configuration Scheme for {fdef['name']}",
            "isGlobalContext": True,
            "isAnyIssueType": True,
        }
        req.store.field_contexts[str(fdef["id"])] = ctx
    return Response(200, _page([ctx], req))


def _check_context(req: Request, fdef: Json) -> None:
    ctx = req.store.field_contexts.get(str(fdef["id"]))
    if ctx is None or ctx["id"] != req.params["contextId"]:
        raise ApiError(404, "The context was not found.")


@route("GET", "/rest/api/{ver}/field/{fieldId}/context/{contextId}/option", flavors=("cloud",))
def get_options(req: Request) -> Response:
    """A context's options ("Permissions required: Administer Jira")."""
    req.store.require_admin(req.me, "Only Jira administrators can access the fields configuration.")
    fdef = _custom_field(req)
    _check_context(req, fdef)
    return Response(200, _page(list(req.store.field_options.get(str(fdef["id"]), [])), req))


@route("POST", "/rest/api/{ver}/field/{fieldId}/context/{contextId}/option", flavors=("cloud",))
def create_options(req: Request) -> Response:
    req.store.require_admin(req.me, "Only Jira administrators can access the fields configuration.")
    fdef = _custom_field(req)
    _check_context(req, fdef)
    body = req.json_object()
    options = body.get("options")
    if not isinstance(options, list) or not all(isinstance(o, dict) and o.get("value") for o in options):
        raise bad_request("The options must be a list of objects with a value.")
    added = req.store.add_field_options(str(fdef["id"]), [str(o["value"]) for o in options])
    return Response(200, {"options": added})


# ------------------------------------------------------------------------------- screens (Cloud)

TAB_ID = 10000


def _screen_project(req: Request) -> str:
    sid = req.params["screenId"]
    for p in req.store.projects.values():
        if str(p["id"]) == sid:
            return str(p["key"])
    raise ApiError(404, f"The screen with id {sid} does not exist.")


@route("GET", "/rest/api/{ver}/screens", flavors=("cloud",))
def screens(req: Request) -> Response:
    req.store.require_admin(req.me, "Only Jira administrators can access screens.")
    values = [
        {
            "id": int(p["id"]),
            "name": f"{p['key']}: Scrum Default Issue Screen",
            "description": "",
            "scope": {"type": "PROJECT", "project": {"id": p["id"]}},
        }
        for p in req.store.projects.values()
        if not req.store.is_team_managed(p["key"])  # a team-managed project has no screens
    ]
    return Response(200, _page(values, req))


@route("GET", "/rest/api/{ver}/screens/{screenId}/tabs", flavors=("cloud",))
def screen_tabs(req: Request) -> Response:
    _screen_project(req)
    return Response(200, [{"id": TAB_ID, "name": "Field Tab"}])


@route("GET", "/rest/api/{ver}/screens/{screenId}/tabs/{tabId}/fields", flavors=("cloud",))
def screen_fields(req: Request) -> Response:
    project = _screen_project(req)
    hidden = req.store.off_screen.get(project, [])
    out = [
        {"id": f["id"], "name": f["name"]}
        for f in req.store.fields
        if (f.get("custom") or f["id"] in ("summary", "description", "assignee", "labels", "duedate"))
        and f["id"] not in hidden
        and f["name"] not in hidden
    ]
    return Response(200, out)


@route("POST", "/rest/api/{ver}/screens/{screenId}/tabs/{tabId}/fields", flavors=("cloud",))
def add_screen_field(req: Request) -> Response:
    req.store.require_admin(req.me, "Only Jira administrators can access screens.")
    project = _screen_project(req)
    fid = str(req.json_object().get("fieldId", ""))
    fdef = req.store.field(fid)
    if fdef is None:
        raise bad_request(f"The field {fid} does not exist.")
    hidden = req.store.off_screen.get(project, [])
    if fid not in hidden and fdef["name"] not in hidden:
        raise bad_request(f"The field {fid} is already on the screen.")
    req.store.off_screen[project] = [h for h in hidden if h not in (fid, fdef["name"])]
    req.store.touch()
    return Response(200, {"id": fid, "name": fdef["name"]})


# ---------------------------------------------------------------------------------- webhooks

WEBHOOK_EVENTS = {
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issue_property_set",
    "issue_property_deleted",
}


@route("GET", "/rest/webhooks/1.0/webhook")
def list_webhooks(req: Request) -> Response:
    req.store.require_admin(
        req.me, "You are not authorized to perform this operation. Log in as an administrator."
    )
    return Response(200, [webhook_json(w, req.base) for w in req.store.webhooks.values()])


@route("POST", "/rest/webhooks/1.0/webhook")
def create_webhook(req: Request) -> Response:
    req.store.require_admin(
        req.me, "You are not authorized to perform this operation. Log in as an administrator."
    )
    body = req.json_object()
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_request(errors={"url": "Webhook URL is not valid."})
    events = body.get("events") or []
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise bad_request(errors={"events": "Events must be a list of event names."})
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown:
        raise bad_request(errors={"events": f"Unknown events: {', '.join(unknown)}"})
    filters = body.get("filters") or {}
    jql = filters.get(ISSUE_SECTION) if isinstance(filters, dict) else None
    if jql:
        from okrsync.jira_sim.jql import JqlError, compile_jql

        try:
            compile_jql(str(jql), req.store.fields)
        except JqlError as exc:
            raise bad_request(errors={"filters": "; ".join(exc.messages) or str(exc)}) from None
    wid = str(req.store.next_webhook_id)
    req.store.next_webhook_id += 1
    wh = {
        "id": wid,
        "name": str(body.get("name") or f"webhook {wid}"),
        "url": url,
        "events": events,
        "filters": {ISSUE_SECTION: jql or ""},
        "excludeBody": bool(body.get("excludeBody", False)),
        "enabled": bool(body.get("enabled", True)),
        "lastUpdatedUser": req.me["accountId"],
    }
    if body.get("secret"):
        wh["secret"] = str(body["secret"])
    req.store.webhooks[wid] = wh
    req.store.touch()
    return Response(201, webhook_json(wh, req.base))


@route("GET", "/rest/webhooks/1.0/webhook/{webhookId}")
def get_webhook(req: Request) -> Response:
    req.store.require_admin(
        req.me, "You are not authorized to perform this operation. Log in as an administrator."
    )
    wh = req.store.webhooks.get(req.params["webhookId"])
    if wh is None:
        raise ApiError(404, "Webhook not found.")
    return Response(200, webhook_json(wh, req.base))


@route("DELETE", "/rest/webhooks/1.0/webhook/{webhookId}")
def delete_webhook(req: Request) -> Response:
    req.store.require_admin(
        req.me, "You are not authorized to perform this operation. Log in as an administrator."
    )
    if req.store.webhooks.pop(req.params["webhookId"], None) is None:
        raise ApiError(404, "Webhook not found.")
    req.store.touch()
    return Response(204)


def known_types() -> list[str]:
    return sorted(catalog.CUSTOM_TYPES)


# ------------------------------------------------------------------ select options (Data Center)


@route("GET", "/rest/api/{ver}/customFields/{customFieldId}/options", flavors=("datacenter",))
def dc_custom_field_options(req: Request) -> Response:
    """Data Center's read-only option list: ``{"options": [{"id", "self", "value", "childrenIds",
    "disabled"}], "total"}``, pages numbered from 1 (``page``, ``maxResults``)."""
    req.store.require_admin(req.me, "Only Jira administrators can access the fields configuration.")
    fdef = req.store.field(f"customfield_{req.params['customFieldId']}")
    if fdef is None or not fdef.get("custom"):
        raise ApiError(404, f"Custom field with id {req.params['customFieldId']} does not exist.")
    if fdef.get("schema", {}).get("custom") != catalog.SELECT:
        raise bad_request("The custom field doesn't support options.")
    options = req.store.field_options.get(str(fdef["id"]), [])
    size = max(1, req.q_int("maxResults", 100))
    page = max(1, req.q_int("page", 1))
    chunk = options[(page - 1) * size : page * size]
    return Response(
        200,
        {
            "options": [
                {
                    "id": int(o["id"]),
                    "self": f"{req.base}/rest/api/2/customFieldOption/{o['id']}",
                    "value": o["value"],
                    "childrenIds": [],
                    "disabled": bool(o.get("disabled")),
                }
                for o in chunk
            ],
            "total": len(options),
        },
    )
