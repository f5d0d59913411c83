"""Check-in notes' mentions by display name: the forms a mention takes in a text field, where the
report learns who an account is (recorded check-ins, the mirror's user fields), that an unknown
account stays as it is written, and a note set in the simulator's Jira through a sync."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from reportkit import scored_tree, stored_snapshot

from okrsync.cli.report import load_report_data, render
from okrsync.core.stored_tree import META_KEY
from okrsync.daemon.status_page import render_status_page, status_people
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import load_config
from okrsync.domain.keys import META_CHECKINS
from okrsync.domain.records import MirrorIssue
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.report.people import (
    mentioned,
    name_mentions,
    owner_addresses,
    people_for,
    people_in_checkins,
    people_in_records,
    record_keys,
    with_named_mentions,
)
from okrsync.state.store import StateStore
from okrsync.sync.engine import run_sync

ANN = "712020:a1ce0000-0000-4000-8000-000000000011"
BOB = "712020:b0b00000-0000-4000-8000-000000000012"
OLD = "5b10ac8d82e05b22cc7d4ef5"  # an older Cloud account id: 24 hex digits
NOBODY = "712020:00000000-0000-4000-8000-00000000dead"
PEOPLE = {ANN: "Alice Chen", BOB: "Bob Martins", OLD: "Bo Old", "drao": "Deepak Rao"}
TODAY = date.today()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"blocked on @{ANN}", "blocked on @Alice Chen"),  # Cloud, read back as text
        (f"@{ANN} and @{BOB}: vendor late", "@Alice Chen and @Bob Martins: vendor late"),
        (f"ask [~accountid:{ANN}] first", "ask @Alice Chen first"),  # Cloud wiki markup
        (f"@{OLD} has it", "@Bo Old has it"),
        ("waiting for [~drao]", "waiting for @Deepak Rao"),  # Data Center: the user name
        (f"@{NOBODY} unknown", f"@{NOBODY} unknown"),  # an unknown account stays as it is
        (f"[~accountid:{NOBODY}] unknown", f"[~accountid:{NOBODY}] unknown"),
        ("[~someone] unknown", "[~someone] unknown"),
        ("mail ann@example.com, 50 % @ risk", "mail ann@example.com, 50 % @ risk"),  # no mention
        ("", ""),
    ],
)
def test_a_mention_of_a_known_account_shows_its_display_name(text: str, expected: str) -> None:
    assert name_mentions(text, PEOPLE) == expected


@pytest.mark.parametrize(
    ("texts", "ids"),
    [
        ([f"@{ANN}", None, f"x [~accountid:{BOB}] [~drao]"], {ANN, BOB, "drao"}),
        (["no one", None, ""], set()),
    ],
)
def test_the_mentioned_accounts(texts: list[str | None], ids: set[str]) -> None:
    assert mentioned(texts) == ids


CLOUD_ISSUE = {
    "key": "MOB-1",
    "fields": {
        "assignee": {"accountId": ANN, "displayName": "Alice Chen", "active": True},
        "reporter": {"accountId": BOB, "displayName": "Bob Martins"},
        "customfield_10050": [{"accountId": OLD, "displayName": "Bo Old"}],  # a multi-user field
        "creator": {"accountId": NOBODY},  # no display name: not a name to show
        "status": {"name": "In Progress", "id": "3"},
    },
}
DC_ISSUE = {
    "key": "WEB-3",
    "fields": {"assignee": {"name": "drao", "key": "JIRAUSER10014", "displayName": "Deepak Rao"}},
}


@pytest.mark.parametrize(
    ("records", "people"),
    [
        ([CLOUD_ISSUE], {ANN: "Alice Chen", BOB: "Bob Martins", OLD: "Bo Old"}),
        ([DC_ISSUE], {"drao": "Deepak Rao", "JIRAUSER10014": "Deepak Rao"}),
        ([{"key": "X-1"}, {"key": "X-2", "fields": {"assignee": None}}], {}),
    ],
)
def test_people_in_the_user_fields_of_records(records: list[dict[str, Any]], people: dict[str, str]) -> None:
    assert people_in_records(records) == people


def test_people_in_the_recorded_checkins() -> None:
    stored = {
        "MOB-1": [
            {"day": "2026-11-02", "confidence": "low", "note": "x", "author": "Alice Chen", "author_id": ANN},
            {"day": "2026-11-09", "confidence": "low", "note": "y", "author": None, "author_id": BOB},
        ],
        "MOB-2": "junk",
    }
    assert people_in_checkins(stored) == {ANN: "Alice Chen"}
    assert people_in_checkins(None) == {}


def _with_note(doc: Mapping[str, Any], kr_id: str, note: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(doc))
    for kr in out["key_results"]:
        if kr["id"] == kr_id:
            kr["confidence"] = "low"
            kr["checkin"] = {"day": TODAY.isoformat(), "note": note, "author": "Carla Diaz"}
    return out


def _without_email_owners(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(doc))
    for node in [*out["objectives"], *out["key_results"]]:
        if "@" in str(node.get("owner") or ""):
            node["owner"] = None
    return out


WITH_EMAILS = stored_snapshot(scored_tree())
DOC = _without_email_owners(WITH_EMAILS)  # the mentions alone


class Reader:
    """The mirror as ``people_for`` reads it: records by key, and which keys it was asked for."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self.records = {str(r["key"]): r for r in records}
        self.asked: list[list[str]] = []

    def __call__(self, keys: Sequence[str]) -> list[Mapping[str, Any]]:
        self.asked.append(list(keys))
        return [self.records[k] for k in keys if k in self.records]


@pytest.mark.parametrize(
    ("note", "checkins", "records", "expected", "reads"),
    [
        # no mention: nothing is read
        ("vendor late", None, [], {}, 0),
        # known from the recorded check-ins: the mirror is not read
        (
            f"@{ANN} is on it",
            {"MOB-2": [{"day": "2026-11-02", "note": "n", "author": "Alice Chen", "author_id": ANN}]},
            [CLOUD_ISSUE],
            {ANN: "Alice Chen"},
            0,
        ),
        # from the user fields of the tree's issues (an action plan's assignee here)
        (
            f"@{BOB} and [~drao]",
            None,
            [{**CLOUD_ISSUE, "key": "MOB-12"}, DC_ISSUE],
            {BOB: "Bob Martins", "drao": "Deepak Rao"},
            1,
        ),
        # nobody knows this account: no name is invented
        (f"@{NOBODY}", None, [CLOUD_ISSUE], {}, 1),
    ],
)
def test_people_for_a_tree_reads_the_mirror_only_when_needed(
    note: str, checkins: Any, records: list[dict[str, Any]], expected: dict[str, str], reads: int
) -> None:
    doc = _with_note(DOC, "MOB-1", note)
    reader = Reader(records)
    assert people_for(doc, checkins, reader) == expected
    assert len(reader.asked) == reads
    if reads:  # the objectives' and KRs' issues, and the action plans of the KR that mentions
        asked = reader.asked[0]
        assert {"MOB-1", "MOB-2", "WEB-3", "WEB-100", "MOB-10", "MOB-21"} <= set(asked)
        assert "MR-10" not in asked  # MOB-2's action plans: its note mentions no one
        assert asked == record_keys(doc, ["MOB-1"])


def test_the_tree_and_markdown_name_mentions_json_and_csv_keep_the_note(tmp_path: Path) -> None:
    written = f"@{ANN}, @{BOB}, @{NOBODY}"
    doc = _with_note(DOC, "MOB-1", written)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    now = datetime.now(UTC)
    with StateStore.open(url) as store:
        store.set_meta(META_KEY, json.loads(json.dumps(doc)))
        # Bob checked in on MOB-2 last week (the recorded check-ins); Alice is an action plan's assignee
        checkin = {"day": (TODAY - timedelta(days=7)).isoformat(), "note": "ok", "author": "Bob Martins"}
        store.set_meta(META_CHECKINS, {"MOB-2": [{**checkin, "confidence": "high", "author_id": BOB}]})
        record = {"key": "MOB-10", "fields": {"assignee": {"accountId": ANN, "displayName": "Alice Chen"}}}
        store.upsert_issues([MirrorIssue("MOB-10", "10010", now - timedelta(days=1), "MOB-1", record)])
        data = load_report_data(store)
        assert data.people == {ANN: "Alice Chen", BOB: "Bob Martins"}
        status = render_status_page(doc, [], {}, now=now, people=status_people(store, doc))
    named = f"@Alice Chen, @Bob Martins, @{NOBODY}"
    for fmt in ("tree", "markdown", "html"):
        assert named in render(fmt, data), fmt
    assert named in status
    assert f"@{ANN}" not in render("html", data) and f"@{ANN}" not in status
    stored = json.loads(render("json", data))
    assert next(k for k in stored["key_results"] if k["id"] == "MOB-1")["checkin"]["note"] == written
    row = next(r for r in csv.DictReader(io.StringIO(render("csv", data))) if r["id"] == "MOB-1")
    assert row["checkin_note"] == "'" + written  # as stored (a leading @ made text for spreadsheets)


def test_no_people_leave_the_document_as_it_is_and_named_mentions_copy_it() -> None:
    doc = _with_note(DOC, "MOB-1", f"@{ANN}")
    assert with_named_mentions(doc, {}) == doc
    named = with_named_mentions(doc, PEOPLE)
    note = {k["id"]: (k.get("checkin") or {}).get("note") for k in named["key_results"]}
    assert note["MOB-1"] == "@Alice Chen"
    assert next(k for k in doc["key_results"] if k["id"] == "MOB-1")["checkin"]["note"] == f"@{ANN}"


# -------------------------------------------------------------------- end to end, over the simulator

GRACE = "712020:91ace000-0000-4000-8000-000000000017"  # Grace Kim: owns DATA-3 in the demo company


def test_a_check_in_note_from_jira_names_who_it_mentions_in_the_report_and_on_the_status_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Farid checks in on WEB-2 in Jira mentioning Grace (wiki markup) and someone okrsync never
    saw; a sync later the report and the status page show Grace's name, the other id as written."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    note = f"pricing waits for [~accountid:{GRACE}] and @{NOBODY}"
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)  # the demo company's day (its period is 2026-Q4)
    with JiraSimulator("cloud", okr_fields=True) as sim:
        for name, value in (("URL", sim.url), ("PAT", "demo-pat"), ("REQUESTS_PER_SECOND", "1000")):
            monkeypatch.setenv(f"OKRSYNC_JIRA__{name}", value)
        monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", url)
        cfg = load_config(DEMO_CONFIG)
        sim.set_fields(
            "WEB-2", {"OKR Confidence": {"value": "Low"}, "OKR Check-in": note}, by="farid.haddad@example.com"
        )
        with StateStore.open(url) as store, JiraGateway(cfg.jira) as gateway:
            report = run_sync(cfg, store=store, gateway=gateway, now=now, full=True)
            assert report.status == "ok", report.as_dict()
            data = load_report_data(store)
            snapshot = store.get_meta(META_KEY)
            status = render_status_page(snapshot, [], {}, now=now, people=status_people(store, snapshot))
    kr = next(k for k in data.doc["key_results"] if k["id"] == "WEB-2")
    assert kr["checkin"]["note"] == note  # stored as Jira holds it
    # from the user fields of the tree's issues: who the note mentions, and the owners the
    # configuration gives by e-mail address
    assert data.people[GRACE] == "Grace Kim"
    assert {k for k in data.people if "@" not in k} == {GRACE}
    named = f"pricing waits for @Grace Kim and @{NOBODY}"
    assert named in render("html", data) and named in status
    assert named in render("markdown", data)


def test_owners_given_by_address_show_the_display_name_jira_has_for_that_address() -> None:
    addresses = owner_addresses(WITH_EMAILS)
    assert addresses and all("@" in a for a in addresses)
    known = next(iter(sorted(addresses)))
    record = {
        "key": "MOB-1",
        "fields": {"assignee": {"accountId": ANN, "displayName": "A. Person", "emailAddress": known}},
    }
    reader = Reader([record])
    people = people_for(WITH_EMAILS, None, reader)
    assert people == {known: "A. Person"}  # only the address Jira shows; the others stay as written
    assert len(reader.asked) == 1
    assert owner_addresses(DOC) == set() and people_for(DOC, None, Reader([record])) == {}
