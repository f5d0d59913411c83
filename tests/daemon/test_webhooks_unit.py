"""Webhook decisions without HTTP: signature, redelivery and replay, age, nesting, own user, body cap,
affected KRs, debounce."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Collection
from typing import Any

import pytest

from okrsync.daemon.webhook_checks import (
    MAX_JSON_DEPTH,
    SeenCache,
    body_digest,
    nests_deeper_than,
    sign,
    verify_signature,
)
from okrsync.daemon.webhooks import (
    Debouncer,
    Identity,
    MirrorFacts,
    ReceiverConfig,
    WebhookReceiver,
    affected_krs,
    event_user,
)
from okrsync.jira_sim.webhooks import signature as sim_signature

SECRET = "wh-secret-123"
BODY = b'{"webhookEvent":"jira:issue_updated","issue":{"key":"MOB-7","fields":{}}}'
OKRSYNC = {"accountId": "acc-okrsync", "name": "okrsync-bot", "key": "JIRAUSER10000"}
HUMAN = {"accountId": "acc-alice", "name": "achen", "key": "JIRAUSER10001"}


def test_sign_matches_jira_and_the_simulator() -> None:
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY) == expected == sim_signature(SECRET, BODY)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (sign(SECRET, BODY), True),
        (sign(SECRET, BODY).upper().replace("SHA256=", "sha256="), True),  # hex case does not matter
        ("  " + sign(SECRET, BODY) + " ", True),
        (sign("other-secret", BODY), False),
        (sign(SECRET, BODY + b" "), False),  # the raw body, byte for byte
        (sign(SECRET, BODY).replace("sha256=", "sha1="), False),
        (sign(SECRET, BODY)[:-1], False),
        ("", False),
        (None, False),
        ("sha256=é", False),
    ],
)
def test_verify_signature(header: str | None, ok: bool) -> None:
    assert verify_signature(SECRET, BODY, header) is ok


def test_verify_signature_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("okrsync.daemon.webhook_checks.hmac.compare_digest", spy)
    assert not verify_signature(SECRET, BODY, sign("nope", BODY))
    assert verify_signature(SECRET, BODY, sign(SECRET, BODY))
    assert len(calls) == 2


def test_seen_cache_expires_and_is_bounded() -> None:
    now = [0.0]
    cache = SeenCache(ttl_seconds=60, max_entries=3, clock=lambda: now[0])
    assert cache.check_and_add("a") is False
    assert cache.check_and_add("a") is True  # a redelivery
    now[0] = 61
    assert cache.check_and_add("a") is False  # forgotten after the TTL
    for k in ("b", "c", "d"):
        cache.check_and_add(k)
    assert len(cache) == 3
    assert cache.check_and_add("a") is False  # the oldest was dropped to stay within 3


@pytest.mark.parametrize(
    ("payload", "who"),
    [
        ({"user": HUMAN}, HUMAN),
        ({"comment": {"author": OKRSYNC, "updateAuthor": HUMAN}}, HUMAN),
        ({"comment": {"author": OKRSYNC}}, OKRSYNC),
        ({"user": "not a mapping"}, None),
        ({}, None),
    ],
)
def test_event_user(payload: dict[str, Any], who: dict[str, str] | None) -> None:
    assert event_user(payload) == who


@pytest.mark.parametrize(
    ("identity", "user", "own"),
    [
        (Identity("acc-okrsync"), OKRSYNC, True),  # Cloud: accountId
        (Identity(None, "okrsync-bot", "JIRAUSER10000"), {"name": "okrsync-bot"}, True),  # Data Center
        (Identity(None, None, "JIRAUSER10000"), {"key": "JIRAUSER10000"}, True),
        (Identity("acc-okrsync", "okrsync-bot"), HUMAN, False),
        (Identity(), OKRSYNC, False),  # nothing known: never "own"
        (Identity("acc-okrsync"), None, False),
    ],
)
def test_identity(identity: Identity, user: dict[str, str] | None, own: bool) -> None:
    assert identity.is_(user) is own


def test_identity_from_myself() -> None:
    assert Identity.from_myself({"accountId": "x", "displayName": "Bot", "name": ""}) == Identity("x")


def issue(
    key: str, *, parent: str | None = None, epic_link: str | None = None, epic: bool = False
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "issuetype": {"name": "Epic" if epic else "Story", "hierarchyLevel": 1 if epic else 0}
    }
    if parent:
        fields["parent"] = {"key": parent}
    if epic_link:
        fields["customfield_10101"] = epic_link
    return {"key": key, "fields": fields}


KNOWN = {"MOB-1", "MOB-2", "WEB-3"}


@pytest.mark.parametrize(
    ("raw", "mirror", "expected"),
    [
        (issue("MOB-1", epic=True), MirrorFacts(True), {"MOB-1"}),  # the KR epic itself
        (issue("MOB-7", parent="MOB-1"), MirrorFacts(True, "MOB-1"), {"MOB-1"}),
        (issue("MOB-7", parent="MOB-2"), MirrorFacts(True, "MOB-1"), {"MOB-1", "MOB-2"}),  # moved
        (issue("MOB-7", epic_link="WEB-3"), MirrorFacts(), {"WEB-3"}),  # Data Center's Epic Link
        (issue("MOB-7", parent="OPS-1"), MirrorFacts(), set()),  # not a KR
        (issue("MOB-7"), MirrorFacts(True, "MOB-2"), {"MOB-2"}),  # left its epic
    ],
)
def test_affected_krs(raw: dict[str, Any], mirror: MirrorFacts, expected: set[str]) -> None:
    assert affected_krs(raw, known_epics=KNOWN, mirror=mirror, epic_link_id="customfield_10101") == expected


class FakeTimer:
    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []
        self.cancelled = 0

    def start(self, delay: float, fn: Callable[[], None]) -> FakeTimer:
        assert delay == 2.0
        self.pending.append(fn)
        return self

    def cancel(self) -> None:
        self.cancelled += 1

    def elapse(self) -> None:
        fns, self.pending = self.pending, []
        for fn in fns:
            fn()


def test_debouncer_fires_once_per_window_with_the_union() -> None:
    fired: list[tuple[frozenset[str], int]] = []
    timer = FakeTimer()
    d = Debouncer(2.0, lambda keys, n: fired.append((keys, n)), timer.start)
    d.add({"MOB-1"})
    d.add({"WEB-3"})
    d.add(set())
    assert len(timer.pending) == 1 and fired == []
    timer.elapse()
    assert fired == [(frozenset({"MOB-1", "WEB-3"}), 3)]
    d.add({"MOB-2"})  # a new window
    timer.elapse()
    assert fired[-1] == (frozenset({"MOB-2"}), 1)
    d.add({"MOB-1"})
    d.close()
    timer.elapse()
    assert len(fired) == 2 and timer.cancelled == 1
    d.add({"MOB-1"})  # closed: ignored
    assert timer.pending == []


NOW = 1_900_000_000.0  # the harness's clock (seconds since the epoch); event timestamps are built from it


class Harness:
    def __init__(
        self,
        *,
        secret: str | None = SECRET,
        allow_unsigned: bool = False,
        cap: int = 10_000,
        max_age_minutes: float = 60,
    ) -> None:
        self.scheduled: list[set[str]] = []
        self.mirror: dict[str, MirrorFacts] = {"MOB-7": MirrorFacts(True, "MOB-1")}
        self.now = NOW
        self.receiver = WebhookReceiver(
            ReceiverConfig(secret, allow_unsigned, cap, max_age_minutes),
            seen=SeenCache(3600, clock=lambda: self.now),
            clock=lambda: self.now,
            identity=lambda: Identity("acc-okrsync"),
            known_epics=lambda: KNOWN,
            mirror=lambda key: self.mirror.get(key, MirrorFacts()),
            epic_link_id=lambda: None,
            schedule=self.schedule,
        )

    def schedule(self, keys: Collection[str]) -> None:
        self.scheduled.append(set(keys))

    def send(self, payload: Any, *, sig: str | None = "good", ident: str | None = "id-1") -> tuple[int, str]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers: dict[str, str] = {}
        if sig == "good":
            headers["x-hub-signature"] = sign(SECRET, body)
        elif sig is not None:
            headers["x-hub-signature"] = sig
        if ident:
            headers["x-atlassian-webhook-identifier"] = ident
        out = self.receiver.receive(headers, body)
        return out.status, out.outcome


UPDATE = {"webhookEvent": "jira:issue_updated", "user": HUMAN, "issue": issue("MOB-7", parent="MOB-1")}


@pytest.mark.parametrize(
    ("payload", "sig", "expected", "scheduled"),
    [
        (UPDATE, "good", (202, "accepted"), [{"MOB-1"}]),
        (UPDATE, None, (401, "unsigned"), []),
        (UPDATE, sign("wrong", b"x"), (401, "bad_signature"), []),
        ({**UPDATE, "user": {"accountId": "acc-okrsync"}}, "good", (200, "own_user"), []),
        (
            {"webhookEvent": "jira:issue_updated", "user": HUMAN, "issue": issue("OPS-9")},
            "good",
            (200, "ignored"),
            [],
        ),
        # an epic okrsync does not know yet may be a new KR (JQL-defined): worth a cycle
        (
            {"webhookEvent": "jira:issue_created", "issue": issue("DATA-9", epic=True)},
            "good",
            (202, "accepted"),
            [set()],
        ),
        ({"webhookEvent": "worklog_updated", "user": HUMAN}, "good", (200, "ignored"), []),
        (b"not json", "good", (400, "bad_body"), []),
        (b"[1, 2]", "good", (400, "bad_body"), []),
    ],
)
def test_receive(payload: Any, sig: str | None, expected: tuple[int, str], scheduled: list[set[str]]) -> None:
    h = Harness()
    assert h.send(payload, sig=sig) == expected
    assert h.scheduled == scheduled


def test_a_redelivery_is_handled_once_but_only_after_a_valid_signature() -> None:
    h = Harness()
    assert h.send(UPDATE, sig="sha256=00", ident="d-1") == (401, "bad_signature")  # poisons nothing
    assert h.send(UPDATE, ident="d-1") == (202, "accepted")
    assert h.send(UPDATE, ident="d-1") == (200, "duplicate")
    other = {**UPDATE, "timestamp": int(NOW * 1000)}  # another event: another body
    assert h.send(other, ident="d-2") == (202, "accepted")
    assert len(h.scheduled) == 2


@pytest.mark.parametrize("ident", ["d-new", None], ids=["new identifier", "no identifier"])
def test_the_same_signed_body_under_another_identifier_is_a_duplicate(ident: str | None) -> None:
    """The identifier header is not signed: a captured delivery replayed with a new one (or none)
    is known by its body's digest."""
    h = Harness()
    assert h.send(UPDATE, ident="d-1") == (202, "accepted")
    assert h.send(UPDATE, ident=ident) == (200, "duplicate")
    assert h.scheduled == [{"MOB-1"}]


def test_a_body_without_identifier_is_remembered_for_the_window_only() -> None:
    h = Harness()
    assert h.send(UPDATE, ident=None) == (202, "accepted")
    assert h.send(UPDATE, ident="d-1") == (200, "duplicate")  # its digest was remembered
    h.now += 3600  # the window (3600 s here) has passed
    assert h.send(UPDATE, ident="d-1") == (202, "accepted")
    assert len(h.scheduled) == 2


def test_a_duplicate_claims_nothing_new() -> None:
    """A body seen before under one identifier does not make its new identifier known: a later,
    different delivery that reuses that identifier is still judged on its own body."""
    cache = SeenCache(60)
    assert cache.check_and_add("id:a", "sha256:1") is False
    assert cache.check_and_add("id:b", "sha256:1") is True
    assert cache.check_and_add("id:b", "sha256:2") is False
    cache.discard("id:b", "sha256:2")
    assert len(cache) == 2


def stamped(minutes_ago: float) -> dict[str, Any]:
    return {**UPDATE, "timestamp": int((NOW - minutes_ago * 60) * 1000)}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (stamped(0), (202, "accepted")),
        (stamped(59.9), (202, "accepted")),
        (stamped(60.1), (400, "too_old")),
        (stamped(24 * 60), (400, "too_old")),
        (stamped(-5), (202, "accepted")),  # Jira's clock a little ahead of ours
        (UPDATE, (202, "accepted")),  # no timestamp: the dedupe cache alone judges it
        ({**UPDATE, "timestamp": "1525698237764"}, (202, "accepted")),  # not a number: not judged
        ({**UPDATE, "timestamp": True}, (202, "accepted")),
    ],
)
def test_events_older_than_max_age_are_refused(payload: dict[str, Any], expected: tuple[int, str]) -> None:
    h = Harness(max_age_minutes=60)
    assert h.send(payload) == expected
    assert len(h.scheduled) == (1 if expected[0] == 202 else 0)


def test_an_old_event_is_refused_with_a_status_jira_does_not_retry_and_says_why() -> None:
    h = Harness(max_age_minutes=30)
    body = json.dumps(stamped(90)).encode()
    out = h.receiver.receive({"x-hub-signature": sign(SECRET, body)}, body)
    assert out.status == 400  # Jira retries 408, 409, 425, 429 and 5xx only
    assert "90 min old" in out.message and "webhook.max_age_minutes (30)" in out.message
    assert len(h.receiver.seen) == 0  # refused before it is remembered


def nested(depth: int) -> bytes:
    return b'{"webhookEvent":"x","issue":{"key":"MOB-7"},"deep":' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    ("body", "limit", "deeper"),
    [
        (b"{}", 1, False),
        (b"[[]]", 1, True),
        (b"[[]]", 2, False),
        (b'[{"a": [1, {"b": []}]}]', 5, False),
        (b'[{"a": [1, {"b": []}]}]', 4, True),
        (b'{"text": "[[[[[[{{{{"}', 1, False),  # brackets in strings do not count
        (b'{"text": "a \\" [[[[ \\\\"}', 1, False),  # nor after escaped quotes and backslashes
        (b'{"a": "\\\\", "b": [[[]]]}', 3, True),  # an escaped backslash ends the string
        (b"[" * 10_000, MAX_JSON_DEPTH, True),
        (b"[]" * 100_000, 1, False),  # wide, not deep
    ],
)
def test_nests_deeper_than(body: bytes, limit: int, deeper: bool) -> None:
    assert nests_deeper_than(body, limit) is deeper


def test_a_deeply_nested_signed_body_is_a_400_not_a_recursion_error() -> None:
    h = Harness(cap=1_000_000)
    status, outcome = h.send(nested(10_000))
    assert (status, outcome) == (400, "too_deep")
    assert h.send(nested(MAX_JSON_DEPTH - 1), ident="d-2") == (202, "accepted")  # Jira's own nest ~10
    assert h.send(nested(MAX_JSON_DEPTH), ident="d-3") == (400, "too_deep")  # 64 levels + the object


def test_body_digest_is_of_the_raw_bytes() -> None:
    assert body_digest(BODY) == "sha256:" + hashlib.sha256(BODY).hexdigest()
    assert body_digest(BODY) != body_digest(BODY + b" ")


def test_without_a_secret_the_endpoint_is_off_unless_allowed() -> None:
    off = Harness(secret=None)
    assert not off.receiver.enabled
    assert off.send(UPDATE, sig=None) == (404, "disabled")
    on = Harness(secret=None, allow_unsigned=True)
    assert on.send(UPDATE, sig=None) == (202, "accepted")


def test_body_cap() -> None:
    h = Harness(cap=100)
    big = {**UPDATE, "padding": "x" * 200}
    assert h.send(big) == (413, "too_large")
    assert h.receiver.too_large(101) is not None and h.receiver.too_large(100) is None
    assert h.scheduled == []


def test_debouncer_hands_the_issues_to_reread_to_the_window_that_fires() -> None:
    seen: list[tuple[frozenset[str], frozenset[str]]] = []
    timer = FakeTimer()
    d: Debouncer

    def fire(keys: frozenset[str], n: int) -> None:
        seen.append((keys, d.take_refresh()))

    d = Debouncer(2.0, fire, timer.start)
    d.add_refresh(["MOB-7"])
    d.add({"MOB-1"})
    d.add_refresh(["MOB-8"])
    d.add(set())
    timer.elapse()
    assert seen == [(frozenset({"MOB-1"}), frozenset({"MOB-7", "MOB-8"}))]
    assert d.take_refresh() == frozenset()  # handed over once
    d.add({"WEB-3"})
    timer.elapse()
    assert seen[-1] == (frozenset({"WEB-3"}), frozenset())


def test_a_mirrored_issue_is_reread_by_key() -> None:
    refreshed: list[list[str]] = []
    h = Harness()
    h.receiver._refresh = lambda keys: refreshed.append(list(keys))
    status, _ = h.send(
        {
            "webhookEvent": "jira:issue_updated",
            "user": {"accountId": "someone"},
            "issue": {"key": "MOB-7", "fields": {}},
        }
    )
    assert status == 202
    assert refreshed == [["MOB-7"]]  # it was under MOB-1: it may have left it


def test_a_delivery_that_failed_to_process_is_processed_when_jira_retries_it() -> None:
    h = Harness()
    down = [True]
    mirror = h.receiver._mirror

    def flaky_mirror(key: str) -> MirrorFacts:
        if down[0]:
            raise ConnectionError("the state store is restarting")
        return mirror(key)

    h.receiver._mirror = flaky_mirror
    with pytest.raises(ConnectionError):
        h.send(UPDATE, ident="d-9")  # the HTTP app answers 500: Jira retries with the same identifier
    assert h.scheduled == [] and len(h.receiver.seen) == 0
    down[0] = False
    assert h.send(UPDATE, ident="d-9") == (202, "accepted")  # the retry is processed
    assert h.send(UPDATE, ident="d-9") == (200, "duplicate")  # and only once
    assert h.scheduled == [{"MOB-1"}]


def test_two_concurrent_copies_of_a_delivery_are_processed_once() -> None:
    h = Harness()
    inside, release = threading.Event(), threading.Event()
    mirror = h.receiver._mirror

    def slow_mirror(key: str) -> MirrorFacts:
        inside.set()
        assert release.wait(5)
        return mirror(key)

    h.receiver._mirror = slow_mirror
    first: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: first.append(h.send(UPDATE, ident="d-5")))
    thread.start()
    assert inside.wait(5)
    assert h.send(UPDATE, ident="d-5") == (200, "duplicate")  # the copy, while the first is processed
    release.set()
    thread.join(5)
    assert first == [(202, "accepted")]
    assert h.scheduled == [{"MOB-1"}]
