"""The ``/_sim/`` admin API: measurement, faults, user-like changes, save/load (no auth, loopback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from okrsync.jira_sim.errors import ApiError, bad_request
from okrsync.jira_sim.routing import Request, Response, route


def _actor(req: Request, body: dict[str, Any]) -> Any:
    who = body.get("user")
    if who is None:
        from okrsync.jira_sim.datasets.common import DEMO_ACCOUNT

        return req.store.users.get(DEMO_ACCOUNT)
    user = req.store.user_by_ref(str(who))
    if user is None:
        raise bad_request(f"No user '{who}'.")
    return user


@route("GET", "/_sim/requests", auth=False)
def requests_(req: Request) -> Response:
    return Response(200, req.sim.requests())


@route("POST", "/_sim/reset-counters", auth=False)
def reset_counters(req: Request) -> Response:
    req.sim.reset_counters()
    return Response(204)


@route("POST", "/_sim/reset", auth=False)
def reset(req: Request) -> Response:
    req.sim.reset()
    return Response(200, {"issues": len(req.sim.store.issues)})


def _site_settings(req: Request) -> dict[str, Any]:
    """What ``/_sim/faults`` shows besides the faults: the site's settings kept in its store."""
    return {"off_screen": req.store.off_screen, "index_lag_seconds": req.store.index.lag_seconds}


@route("GET", "/_sim/faults", auth=False)
def get_faults(req: Request) -> Response:
    return Response(200, {**req.sim.faults.config.to_json(), **_site_settings(req)})


@route("POST", "/_sim/faults", auth=False)
def set_faults(req: Request) -> Response:
    body = req.json_object()
    off_screen = body.pop("off_screen", None)
    index_lag = body.pop("index_lag_seconds", None)
    if index_lag is not None and (
        isinstance(index_lag, bool) or not isinstance(index_lag, int | float) or not index_lag >= 0
    ):
        raise bad_request("index_lag_seconds must be a number of seconds >= 0 (0: no lag).")
    try:
        cfg = req.sim.faults.update(body)
    except (TypeError, ValueError) as exc:
        raise bad_request(str(exc)) from None
    if index_lag is not None:
        req.store.index.lag_seconds = index_lag
    if off_screen is not None:
        if not isinstance(off_screen, dict):
            raise bad_request("off_screen must map project keys to lists of field ids or names.")
        req.store.off_screen = {str(k): [str(f) for f in v] for k, v in off_screen.items()}
    return Response(200, {**cfg.to_json(), **_site_settings(req)})


@route("POST", "/_sim/projects/{key}/style", auth=False)
def project_style(req: Request) -> Response:
    """``{"style": "next-gen"}`` makes a project team-managed (Cloud), ``"classic"`` company-managed."""
    style = req.json_object().get("style")
    if style not in ("classic", "next-gen"):
        raise bad_request('Give the project\'s style: {"style": "next-gen"} or {"style": "classic"}.')
    try:
        req.store.set_team_managed(req.params["key"], style == "next-gen")
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return Response(200, {"key": req.params["key"], "style": style})


@route("GET", "/_sim/webhook-deliveries", auth=False)
def deliveries(req: Request) -> Response:
    return Response(200, {"deliveries": list(req.sim.webhooks.deliveries)})


@route("POST", "/_sim/issues/{key}/transition", auth=False)
def transition(req: Request) -> Response:
    body = req.json_object()
    status = body.get("status")
    if not isinstance(status, str):
        raise bad_request('Give the target status: {"status": "Done"}.')
    items = req.store.transition(
        req.params["key"], status, _actor(req, body), resolution=body.get("resolution")
    )
    return Response(200, {"key": req.store.get_issue(req.params["key"])["key"], "items": items})


@route("POST", "/_sim/issues/{key}/fields", auth=False)
def set_fields(req: Request) -> Response:
    body = req.json_object()
    values = body.get("fields")
    if not isinstance(values, dict):
        raise bad_request('Give the fields to change: {"fields": {"Story Points": 5}}.')
    items = req.store.set_fields_as_user(req.params["key"], values, _actor(req, body))
    return Response(200, {"key": req.store.get_issue(req.params["key"])["key"], "items": items})


@route("POST", "/_sim/field-options", auth=False)
def field_options(req: Request) -> Response:
    body = req.json_object()
    ref = str(body.get("field") or "")
    fdef = req.store.field(ref) or req.store.field_by_name(ref)
    if fdef is None:
        raise ApiError(404, f"No field '{ref}'.")
    options = body.get("options")
    if not isinstance(options, list):
        raise bad_request('Give the options: {"field": "OKR Status", "options": ["Done", ...]}.')
    added = req.store.add_field_options(str(fdef["id"]), [str(o) for o in options])
    return Response(200, {"field": fdef["id"], "options": added})


@route("POST", "/_sim/save", auth=False)
def save(req: Request) -> Response:
    path = req.json_object().get("path")
    if not path:
        return Response(200, req.store.to_json())
    Path(str(path)).write_text(json.dumps(req.store.to_json()), encoding="utf-8")
    return Response(200, {"saved": str(path)})


@route("POST", "/_sim/load", auth=False)
def load(req: Request) -> Response:
    body = req.json_object()
    try:
        if body.get("path"):
            state = json.loads(Path(str(body["path"])).read_text(encoding="utf-8"))
        else:
            state = body.get("state")
        if not isinstance(state, dict):
            raise bad_request('Give {"path": ...} or {"state": {...}}.')
        req.store.load_json(state)
    except (OSError, ValueError) as exc:
        raise bad_request(str(exc)) from None
    return Response(200, {"issues": len(req.store.issues)})


@route("GET", "/_sim/info", auth=False)
def info(req: Request) -> Response:
    return Response(
        200,
        {
            "flavor": req.store.flavor,
            "url": req.base,
            "issues": len(req.store.issues),
            "projects": sorted(req.store.projects),
            "version": req.store.version,
        },
    )
