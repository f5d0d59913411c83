"""Configuration: the example validates; every kind of bad config names the key and the fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from okrsync.domain.config import ConfigError, config_from_mapping, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "okrsync.example.yaml"


def base() -> dict[str, Any]:
    return {
        "jira": {"url": "https://acme.atlassian.net", "email": "bot@acme.example", "flavor": "cloud"},
        "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
        "objectives": [
            {"id": "CO-1", "title": "Company", "level": "company"},
            {"id": "ENG-1", "title": "Eng", "aligns_to": "CO-1", "weight": 2},
        ],
        "key_results": [
            {"objective": "ENG-1", "epic": "PLAT-1", "measure": "issues"},
            {"objective": "ENG-1", "jql": "project = PLAT AND labels = okr", "measure": "points"},
            {
                "objective": "CO-1",
                "epic": "PLAT-7",
                "measure": "metric",
                "metric": {"field": "OKR Current", "start": 800, "target": 200},
            },
        ],
    }


def test_example_config_is_valid() -> None:
    cfg = load_config(EXAMPLE, use_env=False)
    assert cfg.period.name == "2026-Q4"
    assert cfg.writeback.fields.progress == "OKR Progress"
    assert cfg.sync.state_url.startswith("sqlite")


def test_issue_format_keys_are_accepted() -> None:
    cfg = config_from_mapping(base())
    assert cfg.key_results[2].metric is not None
    assert cfg.key_results[2].metric.target == 200
    assert cfg.objectives[1].weight == 2


def mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(base())
    node: Any = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if p.isdigit() else node[p]
    last = parts[-1]
    if value is DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


DELETE = object()

BAD = [
    # (id, mutation path, value, text every message must contain)
    ("unknown objective", "key_results.0.objective", "ENG-9", ["key_results[0].objective", "ENG-9", "ENG-1"]),
    (
        "unknown aligns_to",
        "objectives.1.aligns_to",
        "CO-7",
        ["objectives[1].aligns_to", "CO-7", "did you mean 'CO-1'"],
    ),
    ("kr with no source", "key_results.0.epic", DELETE, ["key_results[0]", "no source", "epic:"]),
    (
        "start == target",
        "key_results.2.metric",
        {"field": "X", "start": 5, "target": 5},
        ["key_results[2].metric", "start and target"],
    ),
    ("period end before start", "period.end", "2026-09-01", ["period.end", "before period.start"]),
    ("unknown measure", "key_results.0.measure", "count", ["key_results[0].measure", "'count'", "issues"]),
    ("unknown key", "policy", {"tolerence": 0.1}, ["policy.tolerence", "did you mean 'tolerance'"]),
    ("unknown top-level key", "objectivs", [], ["objectivs", "did you mean 'objectives'"]),
    (
        "metric without metric",
        "key_results.2.metric",
        DELETE,
        ["key_results[2].metric", "required for measure metric"],
    ),
    ("bad flavor", "jira.flavor", "server", ["jira.flavor", "'server'", "cloud"]),
    ("bad date", "period.start", "2026-13-01", ["period.start"]),
    ("negative weight", "objectives.1.weight", -1, ["objectives[1].weight"]),
    ("credit out of range", "policy", {"in_progress_credit": 1.5}, ["policy.in_progress_credit"]),
    ("both epic and jql", "key_results.0.jql", "project = X", ["key_results[0]", "both epic and jql"]),
    ("missing period", "period", DELETE, ["period", "required"]),
]


@pytest.mark.parametrize(("path", "value", "needles"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_names_key_and_fix(path: str, value: Any, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_mapping(mutate(path, value))
    text = str(err.value)
    for needle in needles:
        assert needle in text, text
    assert "Traceback" not in text


def test_alignment_cycle_is_rejected() -> None:
    data = base()
    data["objectives"] += [
        {"id": "A", "title": "a", "aligns_to": "B"},
        {"id": "B", "title": "b", "aligns_to": "C"},
        {"id": "C", "title": "c", "aligns_to": "A"},
    ]
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    assert len(err.value.problems) == 1  # one cycle, reported once
    assert "alignment cycle" in err.value.problems[0]
    assert "A -> B -> C -> A" in err.value.problems[0] or "B -> C -> A -> B" in err.value.problems[0]


def test_every_problem_is_reported_at_once() -> None:
    data = mutate("period.end", "2026-01-01")
    data["key_results"][0]["objective"] = "NOPE"
    data["key_results"][1]["measure"] = "weird"
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    # schema problems come first; cross-checks need a valid schema, so fix one and see the rest
    assert any("measure" in p for p in err.value.problems)
    data["key_results"][1]["measure"] = "points"
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    assert len(err.value.problems) == 2


def test_env_overrides_yaml_and_secrets_stay_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "okrsync.yaml"
    path.write_text(yaml.safe_dump(base()))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("OKRSYNC_JIRA__API_TOKEN", "s3cr3t-token")
    monkeypatch.setenv("OKRSYNC_SYNC__INTERVAL_MINUTES", "30")
    (tmp_path / ".env").write_text("OKRSYNC_WEBHOOK__SECRET=hook-secret\n")
    cfg = load_config(path)
    assert cfg.jira.url == "http://127.0.0.1:9999"
    assert cfg.jira.email == "bot@acme.example"  # from YAML, not overridden
    assert cfg.sync.interval_minutes == 30
    assert cfg.jira.api_token is not None
    assert cfg.jira.api_token.get_secret_value() == "s3cr3t-token"
    assert cfg.webhook.secret is not None
    assert cfg.webhook.secret.get_secret_value() == "hook-secret"
    for text in (repr(cfg), str(cfg), repr(cfg.jira), cfg.jira.model_dump_json()):
        assert "s3cr3t-token" not in text
        assert "hook-secret" not in text


def test_bad_env_value_names_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "okrsync.yaml"
    path.write_text(yaml.safe_dump(base()))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_SYNC__INTERVAL_MINUTES", "often")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "sync.interval_minutes" in str(err.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [("jira: [unclosed", "not valid YAML at line"), ("- a\n- b\n", "must be a mapping"), ("", "period")],
)
def test_unreadable_files(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path, use_env=False)
    assert needle in str(err.value)


def test_missing_file_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "nope.yaml")
    assert "okrsync.example.yaml" in str(err.value)


def test_the_examples_commented_daemon_and_webhook_blocks_are_valid_when_uncommented() -> None:
    import re

    text = EXAMPLE.read_text()
    tail = text[text.index("# daemon:") :]
    uncommented = re.sub(r"^# (daemon:|webhook:|  )", lambda m: m.group(1), tail, flags=re.MULTILINE)
    data = yaml.safe_load(text)
    data.update(yaml.safe_load(uncommented))
    cfg = config_from_mapping(data)
    assert cfg.daemon.port == 8000
    assert cfg.webhook.debounce_seconds == 2
