"""The baseline's request formula (``--baseline estimate``) and the site it is computed for."""

from __future__ import annotations

import pytest
from syncbench.baseline import (
    SERVICE_MS,
    baseline_requests,
    estimated_runs,
    generated_epic_keys,
    site_requests,
)

from okrsync.jira_sim.simulator import JiraSimulator


@pytest.mark.parametrize(
    ("epics", "per_epic", "reads", "writes"),
    [
        (200, 50, 206, 10_400),  # bench/README.md's measured 10,606 (206 reads) a scenario
        (1000, 99, 2_022, 101_000),  # 500 listed (10 pages), 10 sources of 50, 2 pages an epic
        (8, 5, 13, 56),  # the smoke run: 4 listed, 2 sources of 2
        (4, 0, 9, 8),  # an epic without children still costs its search
    ],
)
def test_site_requests(epics: int, per_epic: int, reads: int, writes: int) -> None:
    assert site_requests(epics, per_epic) == {"reads": reads, "writes": writes, "requests": reads + writes}


@pytest.mark.parametrize(
    ("listed", "jql", "children", "reads"),
    [
        (0, [], [], 3),  # the listed-epics search runs even for none
        (50, [], [50] * 50, 2 + 1 + 50),
        (51, [], [51] * 51, 2 + 2 + 2 * 51),
        (0, [0], [], 2 + 1 + 1),  # a JQL source matching nothing: one page
        (1, [100], [1] * 101, 2 + 1 + 2 + 101),
    ],
)
def test_baseline_reads_page_by_50(listed: int, jql: list[int], children: list[int], reads: int) -> None:
    out = baseline_requests(listed, jql, children)
    assert out["reads"] == reads
    assert out["writes"] == 2 * (listed + sum(jql)) + sum(children)


def test_children_counts_must_cover_every_kr_epic() -> None:
    with pytest.raises(ValueError, match="children counts"):
        baseline_requests(2, [1], [5, 5])


def test_generated_epic_keys_are_the_simulators() -> None:
    sim = JiraSimulator(flavor="cloud", dataset="generated", epics=9, issues_per_epic=2, seed=1)
    epics = sorted(k for k, i in sim.store.issues.items() if i["fields"]["issuetype"]["name"] == "Epic")
    assert sorted(generated_epic_keys(9)) == epics


def test_estimated_runs_time_every_request_sequentially() -> None:
    runs = estimated_runs(200, 50, 100, "datacenter")
    assert [r.scenario for r in runs] == [
        "first sync",
        "unchanged re-sync",
        "1 %-changed re-sync",
        "steady unchanged re-sync",
    ]
    assert all(r.estimated and r.requests == 10_606 and r.flavor == "datacenter" for r in runs)
    assert runs[0].seconds == pytest.approx(10_606 * (100 + SERVICE_MS) / 1000)
