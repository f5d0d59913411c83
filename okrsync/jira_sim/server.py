"""HTTP plumbing: a threading HTTP/1.1 server on loopback, routing, auth, faults, request log."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.routing import ROUTER, Request, Response, Route
from okrsync.jira_sim.timeutil import iso_z

if TYPE_CHECKING:
    from okrsync.jira_sim.simulator import JiraSimulator
    from okrsync.jira_sim.store import Json

UNAUTHORIZED = "You are not authenticated. Authentication required to perform this operation."


class RequestLog:
    """Counts by ``METHOD /path/{template}`` and every request in order (``GET /_sim/requests``)."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.log: deque[dict[str, Any]] = deque(maxlen=max_entries)

    def record(self, method: str, template: str, path: str, query: str, status: int, client: str) -> None:
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "at": iso_z(datetime.now(UTC)),
            "template": template,
            "client": client,
        }
        with self._lock:
            self.counts[f"{method} {template}"] += 1
            self.log.append(entry)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"counts": dict(self.counts), "log": list(self.log)}


def authenticate(sim: JiraSimulator, header: str | None) -> Json | None:
    """The user named by an ``Authorization`` header, or None (wrong or missing credentials)."""
    if not header:
        return None
    store = sim.store
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    kind = ""
    login = secret = ""
    if scheme == "basic":
        try:
            login, _, secret = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        kind = "basic"
    elif scheme == "bearer":
        if store.flavor == "cloud":  # Jira Cloud does not accept personal access tokens
            return None
        kind, secret = "pat", value.strip()
    else:
        return None
    for cred in store.credentials:
        if cred["kind"] != kind or cred["secret"] != secret:
            continue
        if kind == "basic" and cred["login"].lower() != login.lower():
            continue
        if kind == "basic" and store.flavor == "cloud" and "@" not in cred["login"]:
            continue  # Cloud: email + API token only
        return store.users.get(cred["account"])
    return None


def _issue_of(sim: JiraSimulator, route: Route | None, params: dict[str, str]) -> str | None:
    """The key of the issue a request addresses (``/rest/api/{v}/issue/{key}...``), for the per-issue
    write limits; an issue id is mapped to its key."""
    key = params.get("key")
    if not key or route is None or not route.template.startswith("/rest/api/{ver}/issue/{key}"):
        return None
    return sim.store.ids.get(key, key)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold every small body back ~40 ms on keep-alive connections
    disable_nagle_algorithm = True
    server_version = "JiraSim/1.0"
    sim: JiraSimulator  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _client(self) -> str:
        agent = self.headers.get("User-Agent", "")
        auth = self.headers.get("Authorization", "")
        return f"{self.client_address[0]}|{agent}|{hash(auth) & 0xFFFFFFFF:08x}"

    def _serve(self) -> None:
        sim = self.sim
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # the client went away mid-body (a killed process): Jira never sees such a request, so
            # it is neither served nor logged nor a contract deviation
            self.close_connection = True
            return
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        admin = path.startswith("/_sim/") or path == "/_sim"
        client = self._client()
        route, params, path_known = ROUTER.match(self.command, path, sim.flavor)
        if admin and self.client_address[0] not in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
            msg = "The /_sim/ admin API answers loopback clients only."
            self._send(Response(403, {"errorMessages": [msg], "errors": {}}))
            return
        version = params.get("ver", "")
        template = route.counted(version) if route else path
        decision = None
        if not admin:
            decision = sim.faults.decide(
                client, self.command, path, _issue_of(sim, route, params), connection=self.client_address
            )
            if decision.delay:
                time.sleep(decision.delay)
            if decision.drop:
                sim.request_log.record(self.command, template, path, split.query, 0, client)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if decision.status is not None:
                resp = Response(
                    decision.status,
                    {"errorMessages": [decision.message], "errors": {}},
                    dict(decision.headers),
                )
                # logged before answering, so a client that got its answer always finds it in the log
                sim.request_log.record(self.command, template, path, split.query, resp.status, client)
                self._send(resp)
                return
        resp = self._dispatch(route, params, path_known, path, query, body)
        if decision is not None and decision.headers:  # the rate limits' headers (NearLimit, DC's bucket)
            resp.headers = {**decision.headers, **resp.headers}
        if not admin:
            sim.request_log.record(self.command, template, path, split.query, resp.status, client)
        self._send(resp)

    def _dispatch(
        self,
        route: Route | None,
        params: dict[str, str],
        path_known: bool,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
    ) -> Response:
        sim = self.sim
        if route is None:
            if path_known:
                return Response(405, None)
            return Response(
                404,
                {"message": f"null for uri: {sim.url}{self.path}", "status-code": 404}
                if path.startswith("/rest/")
                else {"errorMessages": ["Not found"], "errors": {}},
            )
        version = params.get("ver", "")
        req = Request(
            method=self.command,
            path=path,
            query=query,
            headers=dict(self.headers.items()),
            body=body,
            params=params,
            version="2" if version == "latest" else version,
            sim=sim,
        )
        check = None
        raw_query = urlsplit(self.path).query
        try:
            if route.auth:
                req.user = authenticate(sim, self.headers.get("Authorization"))
                if req.user is None:
                    return Response(
                        401,
                        {"errorMessages": [UNAUTHORIZED], "errors": {}},
                        {"WWW-Authenticate": 'Basic realm="protected-area"'},
                    )
            # Jira's contract (okrsync/jira_sim/contract): strict refuses a request that breaks it
            check, refusal = sim.contract.before(self.command, path, raw_query, query, body)
            if refusal is not None:
                return refusal
            key = params.get("key")
            if key and route.template.startswith("/rest/api/{ver}/issue/"):
                with sim.store.lock:
                    real = sim.store.ids.get(key, key)
                if sim.faults.forbidden(real):
                    raise ApiError(403, "You do not have the permission to see the specified issue.")
            with sim.store.lock:
                resp = route.handler(req)
                if resp.body is not None and not isinstance(resp.body, bytes):
                    resp.body = json.dumps(resp.body, separators=(",", ":")).encode("utf-8")
        except ApiError as exc:
            resp = Response(exc.status, exc.body(), exc.headers)
        sim.contract.after(check, self.command, path, raw_query, resp)
        return resp

    def _send(self, resp: Response) -> bytes:
        body = resp.body
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.send_response(resp.status)
        if resp.status != 204:
            content_type = resp.headers.pop("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body or b"")))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("X-AREQUESTID", f"{int(time.time() * 1000) % 100000000}")
        self.end_headers()
        if body and resp.status != 204 and self.command != "HEAD":
            self.wfile.write(body)
        return body or b""


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def make_server(sim: JiraSimulator, host: str, port: int) -> SimHTTPServer:
    handler = type("SimHandler", (_Handler,), {"sim": sim})
    return SimHTTPServer((host, port), handler)
