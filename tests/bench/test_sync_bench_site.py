"""The configuration the bench writes: the 200-KR one unchanged, the 1,000-KR one scaled ×5."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from syncbench.baseline import generated_epic_keys
from syncbench.site import build_config, jql_sources, write_config

from okrsync.domain.config import load_config


def test_10k_config_is_the_published_one(tmp_path: Path) -> None:
    config, shape = build_config("http://sim", generated_epic_keys(200), "cloud", tmp_path / "s.db")
    krs = config["key_results"]
    assert len(krs) == 102 and shape.krs_listed == 100
    assert [k["jql"] for k in krs if "jql" in k] == [
        "project = GC AND issuetype = Epic",
        "project = GD AND issuetype = Epic",
    ]
    assert [(k["objective"], k["measure"]) for k in krs if "jql" in k] == [
        ("T19", "issues"),
        ("T20", "points"),
    ]
    assert shape.jql_epic_counts == (50, 50)
    assert len(config["objectives"]) == 24
    assert {k["objective"] for k in krs if "epic" in k} == {f"T{i:02d}" for i in range(1, 19)}


def test_100k_config_scales_objectives_and_jql_sources(tmp_path: Path) -> None:
    epics = generated_epic_keys(1000)
    path = tmp_path / "okrsync.yaml"
    shape = write_config(path, "http://sim", epics, "datacenter", tmp_path / "s.db")
    cfg = load_config(path)
    assert shape.krs_listed == 500 and shape.jql_epic_counts == (50,) * 10
    assert len([o for o in cfg.objectives if o.level == "company"]) == 20
    assert len(cfg.objectives) == 120
    per_objective = Counter(k.objective for k in cfg.key_results if k.epic)
    assert max(per_objective.values()) <= 6
    sources = jql_sources(epics)
    assert sources[0][1] == "project = GC AND issuetype = Epic AND key >= GC-1 AND key <= GC-50"
    assert sources[-1][1] == "project = GD AND issuetype = Epic AND key >= GD-201 AND key <= GD-250"
    covered = [k for _p, _j, keys in sources for k in keys]
    assert sorted(covered) == sorted(e for e in epics if e.startswith(("GC-", "GD-")))


def test_max_concurrency_is_written_only_when_asked(tmp_path: Path) -> None:
    config, _ = build_config(
        "http://sim", generated_epic_keys(8), "cloud", tmp_path / "s.db", max_concurrency=4
    )
    assert config["jira"]["max_concurrency"] == 4
    config, _ = build_config("http://sim", generated_epic_keys(8), "cloud", tmp_path / "s.db")
    assert "max_concurrency" not in config["jira"]
