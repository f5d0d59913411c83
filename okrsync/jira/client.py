"""The one request path to Jira: auth, pacing, retry, error mapping, per-request stats, dialect.

Why plain ``requests`` and not the ``jira`` library's ``JIRA`` client: constructing ``JIRA``
makes requests of its own (serverInfo, and more with some options), and it sends everything
through ``ResilientSession``, which retries 429/5xx itself with its own delays. okrsync needs
exact control over every request: which endpoint and body (the enhanced Cloud search, the
largest page sizes), one retry layer whose bounds come from the configuration, a pacer that
keeps us under ``requests_per_second``, and a count and timing of every request for the run
record. So the REST calls go through one ``requests.Session`` whose transport adapters have
retries off (``max_retries=0``), and all retrying happens in :mod:`okrsync.jira.retry` (tenacity):
the ``jira`` library's retries are never layered under ours. Every attempt passes the adaptive
pacer of :mod:`okrsync.jira.pacing` first, which learns from every answer (a 429's
``RateLimit-Reason``, ``X-RateLimit-NearLimit``, Data Center's bucket headers); the client is safe to
share between threads (the pacer, the stats and the caches lock). The ``jira`` library stays a
dependency of okrsync for what it is good at outside the sync path; nothing here imports it.

Which credential a request carries is :mod:`okrsync.jira.auth`'s to say. The flavor is configured,
or detected once from serverInfo's ``deploymentType``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from okrsync.domain.config import JiraConfig
from okrsync.domain.model import OkrsyncError
from okrsync.jira.auth import Credentials, Flavor
from okrsync.jira.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraHTTPError,
    JiraNotFound,
    JiraPermissionError,
    JiraUnavailable,
    describe_jira_reasons,
    jira_messages,
)
from okrsync.jira.pacing import CLOUD_PER_ISSUE_WRITES, QUOTA_REASONS, AdaptivePacer, Answer, PacingTooLong
from okrsync.jira.retry import (
    RATE_LIMITED,
    RETRYABLE_SERVER_STATUSES,
    ConnectFailure,
    RetriesExhausted,
    RetryPolicy,
    connect_failure,
    server_wait,
)
from okrsync.jira.stats import RequestStats

BROWSE = "Browse projects"
EDIT = "Edit issues"
ADD_COMMENTS = "Add comments"
EDIT_COMMENTS = "Edit all comments (or Edit own comments)"
ADMIN = "Administer Jira"
CREATE_SHARED = "Create shared objects"

VALUES_PAGE = 100  # Cloud's {"values", "isLast"} resources: pages of at most 100

_NO_BODY: Any = object()
_OK = frozenset({200, 201, 204})
_WRITES = frozenset({"POST", "PUT", "DELETE"})
_ISSUE_PATH = re.compile(r"^/rest/api/(\{v\}|\d+|latest)/issue/\{key\}")
"""A template under one issue: its writes count against Jira Cloud's per-issue write limits."""


@dataclass(frozen=True, slots=True)
class _Request:
    """One request as sent on every attempt; ``path`` is its template (what the stats count)."""

    method: str
    url: str
    path: str
    params: dict[str, Any] | None
    data: bytes | None = field(repr=False)
    headers: dict[str, str] = field(repr=False)  # may hold the PAT
    auth: AuthBase | None = field(repr=False)
    issue: str | None = None  # the issue a write addresses (per-issue limits)
    follow_redirects: bool = True
    """False: a 3xx is the answer (Cloud's asynchronous operations answer 303 with the task's
    ``Location``); following it would send a GET nobody paced or counted."""


def utc_now() -> datetime:
    """The wall clock (the retry policy reads it for ``X-RateLimit-Reset``)."""
    return datetime.now(UTC)


def _error_name(error: BaseException | None) -> str:
    """``ReadTimeout`` and the like; a timeout also names the setting that bounds it."""
    name = type(error).__name__ if error is not None else "unknown"
    if isinstance(error, requests.Timeout):
        return f"{name}: no answer within jira.timeout_seconds"
    return name


class JiraClient:
    """Sends every Jira request okrsync makes; see the module docstring for the choices."""

    def __init__(
        self,
        cfg: JiraConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utc_now,
        stats: RequestStats | None = None,
    ) -> None:
        if not cfg.url:
            raise OkrsyncError(
                "jira.url is not set: put your site's address (e.g. https://acme.atlassian.net) "
                "under jira.url in the configuration, or set OKRSYNC_JIRA__URL."
            )
        self._cfg = cfg
        self._credentials = Credentials(cfg)
        self.base_url = cfg.url.rstrip("/")
        self._given_session = session
        """A session the caller made (tests): every request uses it. Otherwise a request takes a
        session of its own from :attr:`_idle` (made when none is idle) and gives it back: threads
        sending at once (the apply's workers, :mod:`okrsync.sync.lanes`) never share one, since
        ``requests.Session`` is not documented as safe to share, and the sessions (with their
        kept-alive connections) are as many as requests were ever in flight at once."""
        self._idle: list[requests.Session] = []
        self._sessions: list[requests.Session] = []
        self._clock = clock
        self.stats = stats if stats is not None else RequestStats()
        self._wall_clock = wall_clock
        self._pacer = AdaptivePacer(
            cfg.requests_per_second,
            clock=clock,
            sleep=sleep,
            per_issue_writes=CLOUD_PER_ISSUE_WRITES if cfg.flavor == "cloud" else (),
        )
        self._retry = RetryPolicy(
            max_retries=cfg.max_retries,
            max_seconds=cfg.max_retry_seconds,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            on_retry=self.stats.record_retry,
        )
        self.lock = threading.RLock()
        """Guards the caches of this client and of what is built on it (flavor, fields, ...)."""
        self._flavor: Flavor | None = None if cfg.flavor == "auto" else cfg.flavor
        self._server_info: dict[str, Any] | None = None

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=0)  # one retry layer only: ours
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"Accept": "application/json", "User-Agent": "okrsync"})
        return session

    @property
    def pacer(self) -> AdaptivePacer:
        """The adaptive pacer every request passes (its rate, holds: for tests and the run record)."""
        return self._pacer

    @property
    def configured_flavor(self) -> str:
        """The flavor as configured or detected so far (``auto`` before detection)."""
        return self._flavor or "auto"

    def close(self) -> None:
        if self._given_session is not None:
            self._given_session.close()
        with self.lock:
            sessions, self._sessions, self._idle = self._sessions, [], []
        for session in sessions:
            session.close()

    @contextmanager
    def _session(self) -> Iterator[requests.Session]:
        if self._given_session is not None:
            yield self._given_session
            return
        with self.lock:
            session = self._idle.pop() if self._idle else None
            if session is None:
                session = self._new_session()
                self._sessions.append(session)
        try:
            yield session
        finally:
            with self.lock:
                if session in self._sessions:  # not closed meanwhile
                    self._idle.append(session)

    # ------------------------------------------------------------------ flavor

    @property
    def flavor(self) -> Flavor:
        """``cloud`` or ``datacenter``: as configured, or from serverInfo's ``deploymentType``."""
        with self.lock:
            if self._flavor is None:
                deployment = str(self.server_info().get("deploymentType", "")).casefold()
                self._flavor = "cloud" if deployment == "cloud" else "datacenter"
                if self._flavor == "cloud":
                    self._pacer.per_issue_writes = CLOUD_PER_ISSUE_WRITES
            return self._flavor

    @property
    def api(self) -> str:
        return "3" if self.flavor == "cloud" else "2"

    def server_info(self) -> dict[str, Any]:
        """``GET /rest/api/2/serverInfo`` (v2 exists on both flavors), cached."""
        with self.lock:
            if self._server_info is None:
                self._server_info = self.json(
                    self.call(
                        "GET", "/rest/api/2/serverInfo", operation="read the server info", permission=""
                    )
                )
            return self._server_info

    def require_credential(self) -> None:
        """Raise :class:`MissingCredentialError` when no configured credential can work, without a
        request: none at all, or none that fits the configured flavor. (With ``flavor: auto`` and one
        credential, which flavor needs which is only known once Jira has answered.)"""
        self._credentials.require(self._flavor)

    # ------------------------------------------------------------------ the one request path

    def call(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = _NO_BODY,
        idempotent: bool | None = None,
        operation: str,
        permission: str,
        key: str | None = None,
        none_on_404: bool = False,
        see_other: bool = False,
    ) -> requests.Response | None:
        """Send one request (paced, retried within the bounds, counted); raise a
        :class:`~okrsync.jira.errors.JiraError` for any answer but 200/201/204 (or ``None`` for a
        404 when ``none_on_404``; with ``see_other`` a 303, not followed: the caller reads its
        ``Location``). ``{v}`` in ``template`` is the flavor's REST API version;
        ``path`` fills the other placeholders, escaped. POSTs count as not idempotent unless told."""
        path_t = template.replace("{v}", self.api) if "{v}" in template else template
        url_path = path_t.format(**{k: quote(str(v), safe="") for k, v in (path or {}).items()})
        headers, auth = self._credentials.for_request(self._flavor)
        data: bytes | None = None
        if body is not _NO_BODY:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers = {**headers, "Content-Type": "application/json"}
        issue = (path or {}).get("key") if method in _WRITES and _ISSUE_PATH.match(template) else None
        request = _Request(
            method,
            self.base_url + url_path,
            path_t,
            dict(params) if params else None,
            data,
            headers,
            auth,
            str(issue) if issue else None,
            follow_redirects=not see_other,
        )
        context: dict[str, Any] = {"method": method, "path": path_t, "key": key}
        if idempotent is None:
            idempotent = method != "POST"
        resp, attempts = self._send(request, idempotent=idempotent, operation=operation, context=context)
        if resp.status_code in _OK or (see_other and resp.status_code == 303):
            return resp
        if resp.status_code == 404 and none_on_404:
            return None
        if resp.status_code == 429 or resp.status_code in RETRYABLE_SERVER_STATUSES:
            # Only reached for a non-idempotent request that we must not repeat.
            why = RetriesExhausted(attempts, 0.0, "not retried: repeating it could apply it twice")
            raise self._unavailable(operation, attempts, why, resp, None, context)
        raise self._error_for(resp, operation, permission, context)

    def _send(
        self, request: _Request, *, idempotent: bool, operation: str, context: dict[str, Any]
    ) -> tuple[requests.Response, int]:
        """``request`` through the pacer and the retry policy: (the last answer, the attempts made);
        :class:`JiraUnavailable` when the retries ran out or the request could not be sent."""
        attempts = 0

        def send() -> requests.Response:
            nonlocal attempts
            attempts += 1
            return self._send_once(request)

        began = self._clock()
        try:
            resp = self._retry.run(send, idempotent=idempotent)
        except RetriesExhausted as gave_up:
            raise self._unavailable(
                operation, gave_up.attempts, gave_up, gave_up.response, gave_up.error, context
            ) from gave_up.error
        except requests.RequestException as exc:
            not_retried = RetriesExhausted(attempts, 0.0, "not retried", elapsed=self._clock() - began)
            raise self._unavailable(operation, attempts, not_retried, None, exc, context) from exc
        except PacingTooLong as held:  # the attempt it stopped was never sent
            raise self._held_back(operation, attempts - 1, held, context) from None
        return resp, attempts

    def _send_once(self, request: _Request) -> requests.Response:
        """One attempt, paced, counted and timed in :attr:`stats`; the pacer learns from the answer.

        A hold longer than ``jira.max_retry_seconds`` (a quota spent until its reset) raises
        :class:`PacingTooLong` before anything is sent."""
        ticket = self._pacer.acquire(request.method, request.issue, max_wait=self._cfg.max_retry_seconds)
        self.stats.record_pacing(ticket.waited)
        started = self._clock()
        try:
            with self._session() as session:
                resp = session.request(
                    request.method,
                    request.url,
                    params=request.params,
                    data=request.data,
                    headers=request.headers,
                    auth=request.auth,
                    timeout=self._cfg.timeout_seconds,
                    allow_redirects=request.follow_redirects,
                )
        except requests.RequestException:
            self.stats.record(request.method, request.path, None, self._clock() - started)
            raise
        self.stats.record(request.method, request.path, resp.status_code, self._clock() - started)
        status = resp.status_code
        wait = server_wait(resp, self._wall_clock) if status == RATE_LIMITED else None
        answer = Answer.read(status, resp.headers, wait)
        self._pacer.observe(ticket, answer)
        self.stats.record_limits((answer.reason or "") if status == RATE_LIMITED else None, answer.near_limit)
        self.stats.record_rate(self._pacer.rate)
        return resp

    # ------------------------------------------------------------------ error mapping

    def _unavailable(
        self,
        operation: str,
        attempts: int,
        gave_up: RetriesExhausted,
        response: requests.Response | None,
        error: BaseException | None,
        context: dict[str, Any],
    ) -> JiraUnavailable:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''} in {gave_up.elapsed:.1f} s"
        request = f"{context['method']} {context['path']}"
        fast = connect_failure(error) if error is not None else None
        if fast is not None:
            message = f"Could not {operation} ({request}, {tries}): {self._connect_failure_text(fast)}"
        else:
            if response is not None:
                last = f"last answer {response.status_code} {response.reason or ''}".rstrip()
                hint = "Jira is overloaded or down; try again later"
                if response.status_code == 429:
                    reason = response.headers.get("RateLimit-Reason")
                    last += f", RateLimit-Reason {reason}" if reason else ""
                    hint = "Jira is rate limiting okrsync; lower jira.requests_per_second or try again later"
            else:
                last = f"last error {_error_name(error)}"
                hint = f"check jira.url ({self.base_url}) and the network"
            message = (
                f"Could not {operation}: Jira did not answer {request} after {tries} "
                f"({gave_up.reason}; {last}). {hint[0].upper()}{hint[1:]}."
            )
        return JiraUnavailable(
            message,
            attempts=attempts,
            waited_seconds=gave_up.waited_seconds,
            status=response.status_code if response is not None else None,
            **context,
        )

    def _held_back(
        self, operation: str, attempts: int, held: PacingTooLong, context: dict[str, Any]
    ) -> JiraUnavailable:
        """A request the pacer would hold longer than ``jira.max_retry_seconds``: not sent at all."""
        request = f"{context['method']} {context['path']}"
        seconds = f"{held.wait:.0f} s"
        if held.reason in QUOTA_REASONS:
            why = f"Jira's rate-limit quota ({held.reason}) is used up for the next {seconds}"
        elif held.scope == "issue":
            why = f"Jira limits writes to {context.get('key') or 'this issue'} for the next {seconds}"
        elif held.scope == "method":
            why = f"Jira holds {context['method']} requests back for the next {seconds}"
        else:
            why = f"Jira holds every request back for the next {seconds}"
        return JiraUnavailable(
            f"Could not {operation} ({request}): {why}, longer than jira.max_retry_seconds "
            f"({self._cfg.max_retry_seconds:g} s). Try again after that, or raise jira.max_retry_seconds.",
            attempts=attempts,
            waited_seconds=0.0,
            status=RATE_LIMITED,
            **context,
        )

    def _connect_failure_text(self, kind: ConnectFailure) -> str:
        """What a refused connection or an unknown host means, and what to check."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or self.base_url
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if kind == "refused":
            return (
                f"connection refused by {host}:{port} (nothing listens there) — is jira.url "
                f"({self.base_url}) right and Jira up?"
            )
        return f"the host name {host} does not resolve (DNS) — is jira.url ({self.base_url}) right?"

    def _error_for(
        self, resp: requests.Response, operation: str, permission: str, context: dict[str, Any]
    ) -> JiraError:
        status = resp.status_code
        try:
            parsed: Any = resp.json()
        except ValueError:
            parsed = None
        messages, errors = jira_messages(parsed)
        reasons = describe_jira_reasons(messages, errors)
        said = f" Jira said: {reasons}" if reasons else ""
        kw: dict[str, Any] = {**context, "status": status, "messages": messages, "errors": errors}
        denied = resp.headers.get("X-Authentication-Denied-Reason")
        if status == 401 or (status == 403 and denied):
            who, check = self._credentials.refused(self._flavor)
            extra = (
                f" (login denied: {denied}; log in once in a browser to clear a CAPTCHA)" if denied else ""
            )
            return JiraAuthError(
                f"Jira answered {status} to {who}{extra}: {check}. ({operation} at {self.base_url}).", **kw
            )
        if status == 403:
            who = self._credentials.account()
            need = f' needs the "{permission}" permission' if permission else " lacks a permission"
            return JiraPermissionError(
                f"Jira refused to {operation} (403): {who}{need}. Ask a Jira admin to grant it in the "
                f"project's permission scheme, or use another account.{said}",
                permission=permission,
                **kw,
            )
        if status == 404:
            return JiraNotFound(
                f"Could not {operation}: Jira answered 404 (it does not exist, or the account cannot "
                f"see it).{said}",
                **kw,
            )
        if status in (400, 409, 422):
            return JiraBadRequest(f"Could not {operation}: Jira rejected the request ({status}).{said}", **kw)
        return JiraHTTPError(f"Could not {operation}: Jira answered {status}.{said}", **kw)

    # ------------------------------------------------------------------ answers

    def json_any(self, resp: requests.Response | None) -> Any:
        """The answer's JSON (``{}`` for none); an answer that is not JSON is a :class:`JiraHTTPError`."""
        if resp is None or resp.status_code == 204 or not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise JiraHTTPError(
                f"Jira at {self.base_url} answered {resp.status_code} with something that is not JSON "
                f"({resp.headers.get('Content-Type', 'no content type')}); check jira.url points at the "
                "Jira site itself (not a login page or proxy).",
                status=resp.status_code,
                method=(resp.request.method or "") if resp.request is not None else "",
            ) from None

    def json(self, resp: requests.Response | None) -> dict[str, Any]:
        """The answer's JSON object (``{}`` when it is none or not an object)."""
        data = self.json_any(resp)
        return data if isinstance(data, dict) else {}

    def paged_values(
        self,
        template: str,
        path: Mapping[str, str],
        operation: str,
        permission: str,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Cloud's ``{"values", "isLast", "startAt", "maxResults"}`` pages, all of them."""
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            page_params = {**(params or {}), "startAt": start, "maxResults": VALUES_PAGE}
            data = self.json(
                self.call(
                    "GET", template, path=path, params=page_params, operation=operation, permission=permission
                )
            )
            values = data.get("values") or []
            out.extend(values)
            start += len(values)
            if not values or data.get("isLast", True):
                return out
