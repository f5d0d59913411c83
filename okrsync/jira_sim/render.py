"""Stored objects to Jira REST representations (per API version and dialect)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from okrsync.jira_sim import catalog
from okrsync.jira_sim.adf import text_to_adf
from okrsync.jira_sim.fields import FieldSelection, split_params
from okrsync.jira_sim.store import Json, Store

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def api(base: str, version: str) -> str:
    return f"{base}/rest/api/{version}"


def user(u: Mapping[str, Any] | None, base: str, version: str, flavor: str) -> Json | None:
    if u is None:
        return None
    out = dict(u)
    if flavor == "datacenter":
        out["self"] = f"{api(base, version)}/user?username={u.get('name')}"
    else:
        out["self"] = f"{api(base, version)}/user?accountId={u['accountId']}"
    out["avatarUrls"] = {"48x48": f"{base}/secure/useravatar?size=large&ownerId={u['accountId']}"}
    return out


def comment(
    store: Store, c: Mapping[str, Any], base: str, version: str, issue_id: str, *, properties: bool = False
) -> Json:
    """A comment as Jira renders it; its ``properties`` only when asked the documented way
    (``properties``: Cloud's ``POST /comment/list?expand=properties``; no issue-comment read
    documents that expand)."""
    v3 = version == "3" and store.flavor == "cloud"
    body: Any = (c.get("adf") or text_to_adf(c["body"])) if v3 else c["body"]
    out: Json = {
        "self": f"{api(base, version)}/issue/{issue_id}/comment/{c['id']}",
        "id": c["id"],
        "author": user(c["author"], base, version, store.flavor),
        "body": body,
        "updateAuthor": user(c["updateAuthor"], base, version, store.flavor),
        "created": c["created"],
        "updated": c["updated"],
    }
    if store.flavor == "cloud":
        out["jsdPublic"] = c.get("jsdPublic", True)
    if c.get("visibility"):
        out["visibility"] = c["visibility"]
    if properties:
        out["properties"] = [{"key": k, "value": v} for k, v in (c.get("properties") or {}).items()]
    return out


def comments_page(
    store: Store,
    issue: Mapping[str, Any],
    base: str,
    version: str,
    start_at: int = 0,
    max_results: int = 5000,
    order: str = "created",
) -> Json:
    all_comments = list(store.comments.get(issue["key"], []))
    if order.startswith("-"):
        all_comments.reverse()
    page = all_comments[start_at : start_at + max_results]
    return {
        "comments": [comment(store, c, base, version, issue["id"]) for c in page],
        "self": f"{api(base, version)}/issue/{issue['id']}/comment",
        "maxResults": max_results,
        "total": len(all_comments),
        "startAt": start_at,
    }


_USER_BEAN = ("accountId", "active", "avatarUrls", "displayName", "self")


def user_bean(u: Mapping[str, Any] | None, base: str, version: str, flavor: str) -> Json | None:
    """A user where Cloud's spec says ``UserBean`` (a dashboard's owner): no email, time zone or
    account type there (``additionalProperties: false``)."""
    out = user(u, base, version, flavor)
    if out is not None and flavor == "cloud":
        out = {k: v for k, v in out.items() if k in _USER_BEAN}
    return out


def _change_item(item: Mapping[str, Any]) -> Json:
    # ChangeDetails (Cloud) / ChangeItemBean (Data Center) type from, fromString, to and toString as
    # strings, not nullable: a side without a value is left out
    return {k: v for k, v in item.items() if v is not None}


def changelog(store: Store, key: str, base: str, version: str) -> Json:
    histories = [
        {
            **h,
            "author": user(h["author"], base, version, store.flavor),
            "items": [_change_item(i) for i in h.get("items", [])],
        }
        for h in store.changelog.get(key, [])
    ]
    return {"startAt": 0, "maxResults": len(histories), "total": len(histories), "histories": histories}


def _linked(store: Store, ref: Mapping[str, Any], base: str, version: str) -> Json:
    target = store.issues.get(ref["key"])
    out: Json = {"id": ref["id"], "key": ref["key"], "self": f"{api(base, version)}/issue/{ref['id']}"}
    if target is not None:
        tf = target["fields"]
        out["fields"] = {
            "summary": tf["summary"],
            "status": tf["status"],
            "priority": tf.get("priority"),
            "issuetype": tf["issuetype"],
        }
    return out


def field_value(
    store: Store,
    issue: Mapping[str, Any],
    fid: str,
    base: str,
    version: str,
    *,
    comments_cap: int | None = None,
) -> Any:
    """One field's value as Jira renders it; ``comments_cap``: at most so many comments in the
    ``comment`` field's page (Cloud's search caps it: ``routes.search.CLOUD_SEARCH_COMMENTS``)."""
    fields = issue["fields"]
    value = fields.get(fid)
    v3 = version == "3" and store.flavor == "cloud"
    if fid in ("assignee", "reporter", "creator"):
        return user(value, base, version, store.flavor)
    if fid == "parent" and value is not None:
        parent = store.issues.get(value["key"])
        ref = store.parent_ref(parent) if parent is not None else dict(value)
        ref["self"] = f"{api(base, version)}/issue/{ref['id']}"
        return ref
    if fid == "issuelinks":
        out = []
        for link in value or []:
            item: Json = {
                "id": link["id"],
                "self": f"{api(base, version)}/issueLink/{link['id']}",
                "type": link["type"],
            }
            for side in ("inwardIssue", "outwardIssue"):
                if side in link:
                    item[side] = _linked(store, link[side], base, version)
            out.append(item)
        return out
    if fid == "project" and value is not None:
        details: Json = {**value, "self": f"{api(base, version)}/project/{value['id']}"}
        project = store.projects.get(str(value.get("key")))
        if project is not None and "simplified" in project:
            # Cloud's issue project is a ProjectDetails: projectTypeKey, and simplified (team-managed)
            details.update(projectTypeKey=project["projectTypeKey"], simplified=project["simplified"])
        return details
    if fid == "comment":
        if comments_cap is not None:
            return comments_page(store, issue, base, version, max_results=comments_cap)
        return comments_page(store, issue, base, version)
    if v3 and isinstance(value, str) and (fid == "description" or _is_textarea(store, fid)):
        return text_to_adf(value)
    return value


def _is_textarea(store: Store, fid: str) -> bool:
    if not fid.startswith("customfield_"):
        return False
    fdef = store.field(fid)
    return bool(fdef and fdef.get("schema", {}).get("custom") == catalog.TEXTAREA)


def issue(
    store: Store,
    raw: Mapping[str, Any],
    base: str,
    version: str,
    selection: FieldSelection,
    *,
    expand: Sequence[str] = (),
    properties: Sequence[str] = (),
    id_only_when_empty: bool = False,
    comments_cap: int | None = None,
) -> Json:
    """An issue as ``GET /issue/{key}`` or a search result item shows it (``comments_cap``: see
    :func:`field_value`)."""
    if id_only_when_empty and selection.ids_only and not selection.include and not expand and not properties:
        return {"id": raw["id"]}
    out: Json = {
        "expand": ISSUE_EXPAND,
        "id": raw["id"],
        "self": f"{api(base, version)}/issue/{raw['id']}",
        "key": raw["key"],
    }
    navigable = {str(f["id"]): bool(f.get("navigable")) for f in store.fields}
    fields: Json = {}
    names: Json = {}
    candidates = list(raw["fields"])
    if "comment" not in raw["fields"]:
        candidates.append("comment")
    for fid in candidates:
        if fid in ("id", "key"):
            continue
        if selection.wants(fid, navigable.get(fid, True)):
            fields[fid] = field_value(store, raw, fid, base, version, comments_cap=comments_cap)
    # custom fields known to the catalogue but unset appear as null in *all / *navigable
    if selection.all_fields or selection.navigable or selection.include:
        for f in store.fields:
            fid = str(f["id"])
            if f.get("custom") and fid not in fields and selection.wants(fid, bool(f.get("navigable"))):
                fields[fid] = None
    out["fields"] = fields
    exp = set(split_params(expand))
    if "changelog" in exp:
        out["changelog"] = changelog(store, raw["key"], base, version)
    if "names" in exp:
        for f in store.fields:
            if f["id"] in fields:
                names[str(f["id"])] = f["name"]
        out["names"] = names
    props = split_params(properties)
    if props:
        stored = raw.get("properties", {})
        wanted = stored.keys() if "*all" in props else [p for p in props if not p.startswith("-")]
        out["properties"] = {k: stored[k] for k in wanted if k in stored}
    return out


def field_def(store: Store, f: Mapping[str, Any]) -> Json:
    return dict(f)


def filter_(f: Mapping[str, Any], base: str, version: str, store: Store) -> Json:
    return {
        "self": f"{api(base, version)}/filter/{f['id']}",
        "id": f["id"],
        "name": f["name"],
        "description": f.get("description", ""),
        "owner": user(store.users.get(f["owner"]), base, version, store.flavor),
        "jql": f["jql"],
        "viewUrl": f"{base}/issues/?filter={f['id']}",
        "searchUrl": f"{api(base, version)}/search?jql={f['jql']}",
        "favourite": f.get("favourite", False),
        "favouritedCount": 1 if f.get("favourite") else 0,
        "sharePermissions": f.get("sharePermissions", []),
        "editPermissions": f.get("editPermissions", []),
    }


def dashboard(d: Mapping[str, Any], base: str, version: str, store: Store) -> Json:
    out: Json = {
        "id": d["id"],
        "name": d["name"],
        "self": f"{api(base, version)}/dashboard/{d['id']}",
        "view": f"{base}/jira/dashboards/{d['id']}"
        if store.flavor == "cloud"
        else f"{base}/secure/Dashboard.jspa?selectPageId={d['id']}",
        "isFavourite": d.get("isFavourite", False),
        "popularity": d.get("popularity", 0),
        "sharePermissions": d.get("sharePermissions", []),
    }
    if store.flavor == "cloud":
        out["description"] = d.get("description", "")
        out["editPermissions"] = d.get("editPermissions", [])
        if d.get("owner"):
            out["owner"] = user_bean(store.users.get(d["owner"]), base, version, store.flavor)
    return out
