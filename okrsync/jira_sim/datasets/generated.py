"""The ``generated`` dataset: seeded, any size, for paging tests and benchmarks.

``epics`` epics spread round-robin over four projects (GA, GB, GC, GD), each with
``issues_per_epic`` children in a mix of statuses with story points and a short history.
Epics are created first, then all children epic by epic, so issue ids follow that order.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from okrsync.jira_sim.datasets.common import PEOPLE, Builder
from okrsync.jira_sim.store import Json, Store

PROJECTS = [("GA", "Generated A"), ("GB", "Generated B"), ("GC", "Generated C"), ("GD", "Generated D")]
START = datetime(2026, 10, 1, tzinfo=UTC)
POINTS = [1.0, 2.0, 3.0, 5.0, 8.0]


def build(store: Store, *, epics: int, issues_per_epic: int, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - deterministic data
    for key, name in PROJECTS:
        store.add_project(key, name, PEOPLE[0][0])
    b = Builder(store)
    accounts = [p[0] for p in PEOPLE]
    epic_issues: list[Json] = []
    for e in range(epics):
        project = PROJECTS[e % len(PROJECTS)][0]
        owner = accounts[e % len(accounts)]
        epic = b.issue(
            project,
            "Epic",
            f"Generated key result {e + 1}",
            created=START - timedelta(days=5),
            reporter=owner,
            assignee=owner,
            labels=["okr"],
            duedate="2026-12-18",
        )
        epic_issues.append(epic)
    for epic in epic_issues:
        project = epic["fields"]["project"]["key"]
        owner = epic["fields"]["assignee"]["accountId"]
        progress = rng.random()
        for i in range(issues_per_epic):
            created = START + timedelta(days=rng.randrange(20), hours=rng.randrange(24))
            assignee = accounts[rng.randrange(len(accounts))]
            child = b.issue(
                project,
                "Story" if i % 4 else "Task",
                f"Work item {i + 1} of {epic['key']}",
                created=created,
                reporter=owner,
                assignee=assignee,
                epic=epic,
                points=POINTS[rng.randrange(len(POINTS))] if rng.random() > 0.05 else None,
            )
            roll = rng.random()
            if roll < progress:
                started = created + timedelta(days=1 + rng.randrange(10))
                b.move(child, "In Progress", started, assignee)
                if rng.random() < progress:
                    b.move(child, "Done", started + timedelta(days=1 + rng.randrange(10)), assignee)
