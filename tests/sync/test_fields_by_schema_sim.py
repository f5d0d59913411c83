"""Fields by their schema, end to end over the simulator (issue 12, cases 5 and 6).

Case 5: "OKR Status" made as a single-line text field: one error naming the field, its type and the
fix, once per run (not one 400 per issue), and every other field written. Case 6: a health option
missing from the select: ``okrsync check`` fails on it (the setup command on Cloud, the manual step
on Data Center), and the sync writes everything else, leaving the status out where Jira would
refuse it. Every run is pinned to ``NOW``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from okrsync.cli.sync import sync_once
from okrsync.core.field_types import HEALTH_OPTIONS
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim import catalog
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import CheckReport, run_check
from okrsync.provision.setup import run_setup
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 26)
# as of NOW (see tests/sync/test_sync_e2e.py): progress, health, objective
EXPECTED = {
    "MOB-1": (16.7, "Off track", "MOB-O: A mobile app customers rave about"),
    "WEB-3": (34.8, "Off track", "WEB-O: Self-serve buying that just works"),
    "PLAT-2": (56.0, "On track", "PLAT-O: Run a platform product teams can trust"),
    "DATA-3": (50.0, "At risk", "DATA-O: Trusted data for every decision"),
    "PLAT-4": (100.0, "Done", "PLAT-O: Run a platform product teams can trust"),
}
OPTION_READS = ("/context", "/customFields/")


def settings_for(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **credential: str
) -> Settings:
    """The demo configuration against ``sim``, as the demo admin (``demo-pat``) unless told."""
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    for key, value in (credential or {"OKRSYNC_JIRA__PAT": "demo-pat"}).items():
        monkeypatch.setenv(key, value)
    return load_config(DEMO_CONFIG)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def sync(cfg: Settings, store: StateStore, now: datetime = NOW) -> SyncReport:
    with JiraGateway(cfg.jira) as gateway:
        return run_sync(cfg, store=store, gateway=gateway, now=now)


def check(cfg: Settings) -> CheckReport:
    with JiraGateway(cfg.jira) as gateway:
        return run_check(cfg, gateway, as_of=AS_OF)


def value(sim: JiraSimulator, key: str, name: str) -> Any:
    raw = sim.issue(key)["fields"].get(sim.field_id(name))
    return raw.get("value") if isinstance(raw, dict) else raw


def remake(sim: JiraSimulator, name: str, type_key: str) -> str:
    """The field ``name`` as an admin made it: of type ``type_key`` (same id, no options)."""
    with sim.store.lock:
        old = sim.store.field_by_name(name)
        assert old is not None
        num = int(str(old["id"]).removeprefix("customfield_"))
        sim.store.fields[sim.store.fields.index(old)] = catalog.custom_field(num, name, type_key)
        sim.store.field_options.pop(str(old["id"]), None)
        return str(old["id"])


def drop_option(sim: JiraSimulator, value: str, field: str = "OKR Status") -> None:
    """The select as an admin left it: without the option ``value``."""
    fid = sim.field_id(field)
    with sim.store.lock:
        sim.store.field_options[fid] = [o for o in sim.store.field_options[fid] if o["value"] != value]


def refused(sim: JiraSimulator) -> list[dict[str, Any]]:
    return [e for e in sim.requests()["log"] if e["status"] >= 400]


def option_reads(sim: JiraSimulator) -> int:
    counts = sim.requests()["counts"]
    return sum(n for k, n in counts.items() if k.startswith("GET") and any(s in k for s in OPTION_READS))


# ------------------------------------------------------------------------------------ case 5


def test_case_5_a_text_status_field_is_one_error_and_every_other_field_is_written(
    sim_okr: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_okr
    status_id = remake(sim, "OKR Status", catalog.TEXTFIELD)
    cfg = settings_for(sim, monkeypatch, tmp_path)
    sim.reset_counters()
    first = sync(cfg, store)

    assert first.status == "partial" and first.exit_code == 1
    assert len(first.errors) == 1, first.as_dict()["errors"]
    error = first.errors[0]
    assert (error.issue_key, error.kind) == ("", "field")
    assert error.reason.startswith(
        f'"OKR Status" ({status_id}) is a Text Field (single line), which cannot hold the health'
    )
    assert 'run `okrsync setup` to create "OKR Status" as a Select List (single choice)' in error.reason
    # nothing Jira refused: the status was left out of every edit up front
    assert refused(sim) == []
    assert first.field_edits == 161 and first.field_values == 15 * 4 + 146 * 3
    for key, (progress, _health, objective) in EXPECTED.items():
        assert value(sim, key, "OKR Progress") == progress, key
        assert value(sim, key, "OKR Expected") == 62.0, key
        assert value(sim, key, "OKR Objective") == objective, key
        assert value(sim, key, "OKR Objective ID") == [objective.split(":")[0]], key
        assert value(sim, key, "OKR Status") is None, key
    assert value(sim, "MOB-5", "OKR Key Result").startswith("MOB-1: ")
    assert option_reads(sim) == 0  # a text field has no options to read

    sim.reset_counters()
    second = sync(cfg, store, NOW.replace(minute=15))
    assert second.writes == 0 and [e.reason for e in second.errors] == [error.reason]  # once a run
    assert second.exit_code == 1


def test_case_5_the_user_sees_one_error_and_check_names_the_field_and_its_type(
    sim_factory: Any, store: StateStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_factory("datacenter", okr_fields=True)
    status_id = remake(sim, "OKR Status", catalog.TEXTFIELD)
    cfg = settings_for(sim, monkeypatch, tmp_path)

    report = check(cfg)
    assert report.exit_code == 1
    assert [(p.area, p.message) for p in report.problems] == [
        (
            "field",
            f'"OKR Status" ({status_id}) is a Text Field (single line), which cannot hold the health '
            "(an option): okrsync leaves it out of every edit.",
        )
    ]
    assert "run `okrsync setup`" in report.problems[0].fix

    out, err = io.StringIO(), io.StringIO()
    code = sync_once(
        cfg, Console(file=out, width=200, no_color=True), Console(file=err, width=200, no_color=True), now=NOW
    )
    assert code == 1
    lines = [line for line in err.getvalue().splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err.getvalue()
    assert lines[0].startswith(f'error: field: "OKR Status" ({status_id}) is a Text Field (single line)')
    assert "okrsync sync — full, partial" in out.getvalue()
    assert value(sim, "MOB-1", "OKR Progress") == 16.7


@pytest.mark.parametrize(
    ("name", "type_key", "says"),
    [
        ("OKR Progress", catalog.TEXTFIELD, "is a Text Field (single line), which cannot hold the progress"),
        ("OKR Status", catalog.FLOAT, "is a Number Field, which cannot hold the health"),
        (
            "OKR Objective ID",
            catalog.TEXTFIELD,
            "is a Text Field (single line), which cannot hold the objective's id",
        ),
    ],
)
def test_any_field_of_a_type_okrsync_cannot_use_is_left_out_with_one_error(
    sim_factory: Any,
    store: StateStore,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    type_key: str,
    says: str,
) -> None:
    sim = sim_factory("cloud", okr_fields=True)
    remake(sim, name, type_key)
    cfg = settings_for(sim, monkeypatch, tmp_path)
    report = sync(cfg, store)
    assert [e.kind for e in report.errors] == ["field"] and says in report.errors[0].reason
    assert refused(sim) == []
    assert value(sim, "PLAT-4", name) is None
    others = {"OKR Progress": 100.0, "OKR Status": "Done", "OKR Objective ID": ["PLAT-O"]}
    for other, shown in others.items():
        if other != name:
            assert value(sim, "PLAT-4", other) == shown, other


def test_a_paragraph_field_takes_a_document_on_cloud_and_a_string_on_data_center(
    sim_okr: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_okr
    remake(sim, "OKR Objective", catalog.TEXTAREA)
    cfg = settings_for(sim, monkeypatch, tmp_path)
    out = io.StringIO()
    quiet = Console(file=io.StringIO())
    assert sync_once(cfg, Console(file=out, width=250, no_color=True), quiet, dry_run=True, now=NOW) == 0
    assert "MOB-O: A mobile app" in out.getvalue() and "'doc'" not in out.getvalue()  # the plan's text
    first = sync(cfg, store)
    assert first.status == "ok", first.as_dict()
    assert refused(sim) == []
    # the simulator keeps the text (Cloud's REST v3 shows it as a document again)
    assert value(sim, "MOB-1", "OKR Objective") == EXPECTED["MOB-1"][2]
    assert value(sim, "MOB-5", "OKR Objective") == EXPECTED["MOB-1"][2]
    sim.reset_counters()
    second = sync(cfg, store, NOW.replace(minute=15))
    assert second.status == "ok" and second.writes == 0  # the document compares by its text


# ------------------------------------------------------------------------------------ case 6


def test_case_6_data_center_check_fails_on_a_missing_option_and_sync_writes_the_rest(
    sim_factory: Any, store: StateStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_factory("datacenter", okr_fields=True)
    drop_option(sim, "Off track")  # the admin's manual step, half done
    cfg = settings_for(sim, monkeypatch, tmp_path)
    status_id = sim.field_id("OKR Status")
    with JiraGateway(cfg.jira) as gateway:
        setup = run_setup(cfg, gateway)
    assert [m.title for m in setup.manual if "option" in m.title] == [
        'Add the health options to "OKR Status"'
    ]

    sim.reset_counters()
    report = check(cfg)
    assert report.exit_code == 1
    options = [p for p in report.problems if p.area == "options"]
    assert [p.message for p in options] == [
        f'The select field "OKR Status" ({status_id}) has no option "Off track": Jira refuses that health, '
        "so okrsync leaves OKR Status out of the issues that show it."
    ]
    assert (
        "Administration → Issues → Custom fields → OKR Status → ⚙ → Configure → Edit Options"
        in options[0].fix
    )
    assert '"Off track"' in options[0].fix and "okrsync setup" not in options[0].fix
    assert option_reads(sim) == 1  # one page of GET /rest/api/2/customFields/{id}/options

    with JiraGateway(cfg.jira) as gateway:
        dry = run_sync(cfg, store=store, gateway=gateway, now=NOW, dry_run=True)
    assert dry.status == "partial"
    status_in_plan = (
        {e.issue_key for e in dry.plan.field_edits if status_id in e.fields} if dry.plan else set()
    )
    assert "MOB-1" not in status_in_plan and "PLAT-2" in status_in_plan

    sim.reset_counters()
    first = sync(cfg, store)
    assert first.status == "partial" and first.exit_code == 1
    assert len(first.errors) == 1, first.as_dict()["errors"]
    reason = first.errors[0].reason
    assert [e.reason for e in dry.errors] == [reason]  # the dry run said what the run does
    assert dry.plan is not None and len(dry.plan.field_edits) == first.field_edits
    assert reason.startswith(f'The select field "OKR Status" ({status_id}) has no option "Off track"')
    assert "MOB-1" in reason and "WEB-3" in reason
    assert refused(sim) == []  # no "Option value 'Off track' is not valid"
    assert option_reads(sim) == 1
    for key, (progress, health, objective) in EXPECTED.items():
        assert value(sim, key, "OKR Progress") == progress, key
        assert value(sim, key, "OKR Objective") == objective, key
        assert value(sim, key, "OKR Status") == (None if health == "Off track" else health), key

    # the admin adds it: the next sync writes the status it left out
    sim.add_field_options("OKR Status", ["Off track"])
    assert check(cfg).exit_code == 0
    sim.reset_counters()
    second = sync(cfg, store, NOW.replace(minute=15))
    assert second.status == "ok", second.as_dict()
    assert value(sim, "MOB-1", "OKR Status") == "Off track"
    assert value(sim, "WEB-3", "OKR Status") == "Off track"
    sim.reset_counters()
    third = sync(cfg, store, NOW.replace(minute=30))
    assert third.writes == 0 and option_reads(sim) == 0  # nothing to write: no option read either


def test_case_6_right_after_setup_on_data_center_check_names_every_option(
    sim_datacenter: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim_datacenter, monkeypatch, tmp_path)
    with JiraGateway(cfg.jira) as gateway:
        run_setup(cfg, gateway)  # the fields are made; the options are a manual step
    report = check(cfg)
    assert report.exit_code == 1
    [problem] = [p for p in report.problems if p.area == "options"]
    assert "has no options " + ", ".join(f'"{v}"' for v in HEALTH_OPTIONS) in problem.message


def test_on_cloud_a_missing_option_names_setup_which_adds_it(
    sim_factory: Any, store: StateStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_factory("cloud", okr_fields=True)
    drop_option(sim, "Off track")
    cfg = settings_for(sim, monkeypatch, tmp_path)
    report = check(cfg)
    [problem] = [p for p in report.problems if p.area == "options"]
    assert problem.fix == "run `okrsync setup` (as a Jira admin) to add them."
    assert report.exit_code == 1

    sim.reset_counters()
    first = sync(cfg, store)
    assert [e.kind for e in first.errors] == ["field"] and "run `okrsync setup`" in first.errors[0].reason
    assert refused(sim) == [] and option_reads(sim) == 2  # the field's contexts, then one's options
    assert value(sim, "MOB-1", "OKR Status") is None and value(sim, "PLAT-4", "OKR Status") == "Done"

    with JiraGateway(cfg.jira) as gateway:
        run_setup(cfg, gateway)
    assert check(cfg).exit_code == 0
    second = sync(cfg, store, NOW.replace(minute=15))
    assert second.status == "ok" and value(sim, "MOB-1", "OKR Status") == "Off track"


def test_options_okrsync_may_not_read_are_a_warning_not_a_failure(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_okr
    viewer = (
        {"OKRSYNC_JIRA__EMAIL": "viewer@example.com", "OKRSYNC_JIRA__API_TOKEN": "viewer-token"}
        if sim.flavor == "cloud"
        else {"OKRSYNC_JIRA__PAT": "viewer-pat"}
    )
    cfg = settings_for(sim, monkeypatch, tmp_path, **viewer)
    report = check(cfg)
    assert not [p for p in report.problems if p.area == "options"]
    [warning] = [w for w in report.warnings if w.area == "options"]
    assert warning.message.startswith('could not read the options of "OKR Status"')
    assert "Administer Jira" in warning.message
    assert '"Off track"' in warning.fix
