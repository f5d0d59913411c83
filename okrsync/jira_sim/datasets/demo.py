"""The ``demo`` dataset: a small believable company half-way through a 92-day OKR period.

(Over 500 lines because most of it is data: the 15 key-result epics and their task titles.)

The period runs ``start`` .. ``start + 91 days``; the work happens up to day 49 (``AS_OF_DAY`` 50
is the day it was written down, 2026-11-20 by default). By default ``start`` is 2026-10-01 (period
2026-Q4), the fixed picture the tests pin; ``okrsync demo`` and ``okrsync sim`` build it around the
day they run (:func:`start_for`: that day becomes day ``DEMO_DAY`` + 1 = 56, when the expected
progress of 61.9 % shows every live health: on track, at risk, off track, done), so a newcomer sees
the same kind of picture in any year. Four teams (PLAT, MOB, WEB, DATA), 15
key-result epics (label ``okr``), one Jira-side Objective issue (PLAT-1) above the PLAT epics, 146
child issues; nothing happens after the day before ``as_of``. Facts the tests and the demo
configuration rely on:

- done: PLAT-4 (epic Done, all children done, one of them resolved "Won't Do");
- far behind: MOB-1 and DATA-2 (off track); MOB-2, WEB-2 and DATA-3 at 50 % (at risk on day 56);
- stale: MOB-3 (no status change after day 29, i.e. > 14 days before day 50);
- unestimated: WEB-3 (5 of its 11 children have no story points);
- metric: PLAT-2 carries the number field "OKR Current" (start 800 ms, target 300 ms, now 520);
- jql KR: DATA-3 is labelled ``kr-quality`` and found by JQL in the config.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from okrsync.jira_sim import catalog
from okrsync.jira_sim.datasets.common import DEMO_ACCOUNT, PEOPLE, Builder
from okrsync.jira_sim.store import Json, Store

DEFAULT_START = date(2026, 10, 1)
PERIOD_DAYS = 92
AS_OF_DAY = 50
STALE_LAST_DAY = 29
DEMO_DAY = 55  # okrsync demo's today, as days after the period's first day (2026-11-26 by default)
# the pinned picture of the tests: the default period's as-of moment
PERIOD_START = datetime.combine(DEFAULT_START, time(0, 0), tzinfo=UTC)
AS_OF = PERIOD_START + timedelta(days=AS_OF_DAY, hours=17)


def start_for(today: date) -> date:
    """The first day of the demo period that puts ``today`` on its day 56 (of 92)."""
    return today - timedelta(days=DEMO_DAY)


def period_of(start: date) -> tuple[date, date]:
    """The demo period (first and last day) that starts on ``start``."""
    return start, start + timedelta(days=PERIOD_DAYS - 1)


def period_name(start: date) -> str:
    """A name for the demo period: the calendar quarter that holds most of it, e.g. ``2026-Q4``."""
    middle = start + timedelta(days=PERIOD_DAYS // 2)
    return f"{middle.year}-Q{(middle.month - 1) // 3 + 1}"


P = {name: account for account, name, _display, _email in PEOPLE}

PROJECTS = [
    ("PLAT", "Platform", "achen", ["achen", "bmartins"]),
    ("MOB", "Mobile", "cdiaz", ["cdiaz", "drao"]),
    ("WEB", "Web", "enovak", ["enovak", "fhaddad"]),
    ("DATA", "Data", "gkim", ["gkim", "hlaurent"]),
]


@dataclass(frozen=True)
class EpicSpec:
    project: str
    summary: str
    owner: str
    done: int
    in_progress: int
    todo: int
    due_day: int  # the due date, as days after the period's first day
    labels: tuple[str, ...] = ("okr",)
    stale: bool = False
    unestimated: int = 0
    finished: bool = False
    tasks: tuple[str, ...] = ()


EPICS: list[EpicSpec] = [
    EpicSpec(
        "PLAT",
        "Cut p95 API latency from 800 ms to 300 ms",
        "achen",
        4,
        2,
        2,
        75,
        tasks=(
            "Profile the slowest endpoints",
            "Add a read-through cache for catalog",
            "Tune connection pools",
            "Move image resizing off the request path",
            "Batch N+1 queries in orders API",
            "Enable HTTP/2 on the edge",
            "Set latency SLO alerts",
            "Load test at 2x peak",
        ),
    ),
    EpicSpec(
        "PLAT",
        "Migrate all services to the new deploy pipeline",
        "bmartins",
        7,
        3,
        2,
        78,
        tasks=(
            "Pipeline template for Go services",
            "Pipeline template for Python services",
            "Migrate auth",
            "Migrate billing",
            "Migrate search",
            "Migrate notifications",
            "Migrate catalog",
            "Migrate orders",
            "Migrate gateway",
            "Canary stage with automatic rollback",
            "Decommission the old Jenkins",
            "Write the pipeline runbook",
        ),
    ),
    EpicSpec(
        "PLAT",
        "Reach 99.95% uptime for checkout",
        "achen",
        8,
        0,
        0,
        60,
        finished=True,
        tasks=(
            "Multi-AZ database failover",
            "Circuit breakers on payment calls",
            "Chaos day for checkout",
            "Synthetic checkout monitor",
            "On-call runbook for checkout",
            "Remove single Redis node",
            "Blue/green deploys for checkout",
            "Active-active payments provider",
        ),
    ),
    EpicSpec(
        "PLAT",
        "Zero-downtime Postgres 16 upgrade",
        "bmartins",
        5,
        2,
        2,
        71,
        tasks=(
            "Rehearse upgrade on staging",
            "Logical replication to PG16",
            "Fix deprecated extensions",
            "Benchmark PG16 on production data",
            "Cut-over plan and rollback",
            "Upgrade reporting replica",
            "Upgrade primary cluster",
            "Update backups and PITR",
            "Retire PG12 clusters",
        ),
    ),
    EpicSpec(
        "MOB",
        "Ship offline mode on iOS and Android",
        "cdiaz",
        2,
        3,
        7,
        78,
        tasks=(
            "Local database schema",
            "Sync engine design",
            "Conflict resolution rules",
            "Offline queue for writes",
            "iOS offline reading",
            "Android offline reading",
            "iOS offline editing",
            "Android offline editing",
            "Background sync scheduling",
            "Offline indicator UI",
            "QA matrix for flaky networks",
            "Beta rollout to 5% of users",
        ),
    ),
    EpicSpec(
        "MOB",
        "Raise app store rating from 4.2 to 4.6",
        "drao",
        5,
        3,
        2,
        91,
        tasks=(
            "In-app review prompt after success",
            "Fix top 5 crash signatures",
            "Reply to 1-star reviews",
            "Faster login with passkeys",
            "Dark mode polish",
            "Fix push notification duplicates",
            "Reduce app size by 20%",
            "Accessibility labels on main screens",
            "Release notes in app",
            "Survey detractors",
        ),
    ),
    EpicSpec(
        "MOB",
        "Cut app cold start time by 40%",
        "drao",
        3,
        2,
        4,
        71,
        stale=True,
        tasks=(
            "Measure cold start on low-end devices",
            "Lazy-load analytics SDK",
            "Defer remote config fetch",
            "Trim startup dependency graph",
            "Precompute home feed",
            "Baseline profiles on Android",
            "Reduce iOS dylibs",
            "Startup trace in CI",
            "Cold start dashboard",
        ),
    ),
    EpicSpec(
        "MOB",
        "Launch the in-app onboarding checklist",
        "cdiaz",
        5,
        2,
        1,
        64,
        tasks=(
            "Checklist UX design",
            "Checklist API",
            "iOS checklist",
            "Android checklist",
            "Progress rewards",
            "Analytics events",
            "Copy and localisation",
            "A/B test setup",
        ),
    ),
    EpicSpec(
        "WEB",
        "Launch self-serve checkout v2",
        "enovak",
        6,
        4,
        2,
        78,
        tasks=(
            "Checkout v2 design system components",
            "Address autocomplete",
            "Saved payment methods",
            "Apple Pay and Google Pay",
            "Coupon codes",
            "Tax calculation service",
            "Order summary page",
            "Error states and retries",
            "Checkout analytics funnel",
            "Fraud checks integration",
            "Gradual rollout flags",
            "Remove checkout v1",
        ),
    ),
    EpicSpec(
        "WEB",
        "Redesign the pricing page",
        "fhaddad",
        4,
        2,
        2,
        64,
        tasks=(
            "Pricing research interviews",
            "New plan comparison table",
            "FAQ section",
            "Currency switcher",
            "Annual billing toggle",
            "SEO metadata",
            "Page speed budget",
            "Experiment vs old page",
        ),
    ),
    EpicSpec(
        "WEB",
        "Meet WCAG 2.1 AA on core flows",
        "enovak",
        4,
        3,
        4,
        78,
        unestimated=5,
        tasks=(
            "Accessibility audit",
            "Keyboard navigation in checkout",
            "Focus states",
            "Colour contrast fixes",
            "Screen reader labels on forms",
            "Skip links",
            "Accessible error messages",
            "Captions for videos",
            "Reduced motion support",
            "Automated axe checks in CI",
            "Accessibility statement page",
        ),
    ),
    EpicSpec(
        "WEB",
        "Publish a public status page",
        "fhaddad",
        5,
        1,
        2,
        57,
        tasks=(
            "Choose status page tooling",
            "Component list",
            "Incident templates",
            "Automated updates from alerts",
            "Subscribe by email",
            "Custom domain",
            "Historical uptime",
            "Launch announcement",
        ),
    ),
    EpicSpec(
        "DATA",
        "Launch the company KPI dashboard",
        "gkim",
        6,
        2,
        2,
        71,
        tasks=(
            "Define the 12 company KPIs",
            "KPI data model",
            "Revenue metrics pipeline",
            "Activation metrics",
            "Retention cohorts",
            "Dashboard layout",
            "Access control",
            "Data freshness alerts",
            "Exec review session",
            "Document metric definitions",
        ),
    ),
    EpicSpec(
        "DATA",
        "Move the event pipeline to streaming",
        "hlaurent",
        2,
        2,
        7,
        78,
        tasks=(
            "Kafka cluster sizing",
            "Schema registry",
            "Producer library",
            "Migrate web events",
            "Migrate mobile events",
            "Stream processing jobs",
            "Exactly-once sink to warehouse",
            "Backfill strategy",
            "Lag monitoring",
            "Cost review",
            "Turn off batch loader",
        ),
    ),
    EpicSpec(
        "DATA",
        "Data quality checks on all tier-1 tables",
        "gkim",
        5,
        3,
        2,
        78,
        labels=("okr", "kr-quality"),
        tasks=(
            "List tier-1 tables",
            "Freshness checks",
            "Row count anomaly checks",
            "Null rate checks",
            "Schema change alerts",
            "Quality dashboard",
            "Owner for each table",
            "Incident process for data",
            "Checks in CI for dbt models",
            "Quarterly quality report",
        ),
    ),
]

POINTS = [1, 2, 3, 3, 5, 5, 8]
IN_PROGRESS = ["In Progress", "In Progress", "In Review", "QA"]


def build(store: Store, start: date = DEFAULT_START) -> None:
    """Fill ``store`` with the demo company of the period starting on ``start`` (deterministic)."""
    rng = random.Random(2026)  # noqa: S311 - deterministic data, not crypto
    first = datetime.combine(start, time(0, 0), tzinfo=UTC)

    def _at(day: int, rng: random.Random) -> datetime:
        return first + timedelta(days=day, hours=9 + rng.randrange(8), minutes=rng.randrange(60))

    def _day(day: int) -> str:
        return (start + timedelta(days=day)).isoformat()

    name = period_name(start)
    admin = DEMO_ACCOUNT
    for key, name, lead, _team in PROJECTS:
        store.add_project(key, name, P[lead])
    okr_current = store.create_field(
        {"name": "OKR Current", "type": catalog.FLOAT, "description": "Current value of a metric key result"},
        store.users[admin],
    )
    b = Builder(store)
    team = {key: members for key, _n, _l, members in PROJECTS}

    objective = b.issue(
        "PLAT",
        "Objective",
        "Run a platform product teams can trust",
        created=_at(-10, rng),
        reporter=P["achen"],
        assignee=P["achen"],
        labels=["okr"],
        duedate=_day(PERIOD_DAYS - 1),
        description=f"Jira-side objective of the Platform team for {name}.",
    )
    b.move(objective, "In Progress", _at(0, rng), P["achen"])

    epics: list[tuple[EpicSpec, Json]] = []
    for spec in EPICS:
        epic = b.issue(
            spec.project,
            "Epic",
            spec.summary,
            created=_at(-8 + rng.randrange(4), rng),
            reporter=P[spec.owner],
            assignee=P[spec.owner],
            labels=list(spec.labels),
            duedate=_day(spec.due_day),
            description=f"Key result for {name}: {spec.summary}.",
            priority="High",
        )
        if spec.project == "PLAT":
            if store.flavor == "cloud":
                epic["fields"]["parent"] = store.parent_ref(objective)
            else:
                b.link("Relates", objective, epic)
        epics.append((spec, epic))
    plat2 = epics[0][1]
    plat2["fields"][okr_current["id"]] = 800.0

    children: list[Json] = []
    for spec, epic in epics:
        members = team[spec.project]
        total = spec.done + spec.in_progress + spec.todo
        last_day = STALE_LAST_DAY if spec.stale else AS_OF_DAY - 1
        first_start: datetime | None = None
        last_done: datetime | None = None
        for i in range(total):
            summary = spec.tasks[i % len(spec.tasks)]
            kind = "done" if i < spec.done else ("ip" if i < spec.done + spec.in_progress else "todo")
            itype = "Bug" if "Fix" in summary else ("Story" if i % 3 else "Task")
            created_day = -6 + rng.randrange(12)
            unestimated = i >= total - spec.unestimated
            points = None if unestimated else float(POINTS[rng.randrange(len(POINTS))])
            assignee = None if kind == "todo" and i % 2 else P[members[i % 2]]
            due = None if i % 4 else _day(spec.due_day)
            child = b.issue(
                spec.project,
                itype,
                summary,
                created=_at(created_day, rng),
                reporter=P[spec.owner],
                assignee=assignee,
                epic=epic,
                points=points,
                duedate=due,
                status="Backlog" if kind == "todo" and i % 3 == 0 else "To Do",
                priority=["Medium", "High", "Low"][i % 3],
            )
            children.append(child)
            who = assignee or P[spec.owner]
            if points is not None and i % 5 == 2 and created_day + 2 < last_day:
                b.change(child, b.points_field, points + 2.0, _at(created_day + 2, rng), P[spec.owner])
            if kind == "todo":
                continue
            span = max(2, last_day - max(created_day, 0) - 1)
            start_day = max(created_day, 0) + 1 + rng.randrange(span)
            if kind == "done" and spec.finished:
                start_day = min(start_day, 38)
            start_day = min(start_day, last_day - 1)
            if kind == "ip" and i == spec.done and not spec.stale:
                start_day = AS_OF_DAY - 6 + rng.randrange(5)  # every live KR moved this week
            started = _at(start_day, rng)
            b.move(child, "In Progress", started, who)
            first_start = started if first_start is None else min(first_start, started)
            if kind == "ip":
                step = IN_PROGRESS[i % len(IN_PROGRESS)]
                if step != "In Progress" and start_day + 1 <= last_day:
                    b.move(child, step, _at(min(last_day, start_day + 1 + rng.randrange(3)), rng), who)
                continue
            limit = 41 if spec.finished else last_day
            done_day = min(limit, start_day + 1 + rng.randrange(6))
            if i % 2 == 0 and done_day - start_day >= 2:
                b.move(child, "In Review", _at(start_day + 1, rng), who)
            resolution = "Won't Do" if spec.finished and i == total - 1 else None
            finished = _at(done_day, rng)
            b.move(child, "Closed" if resolution else "Done", finished, who, resolution=resolution)
            last_done = finished if last_done is None else max(last_done, finished)
        if first_start is not None:
            b.move(epic, "In Progress", first_start, P[spec.owner])
        if spec.finished and last_done is not None:
            b.move(epic, "Done", last_done + timedelta(hours=1), P[spec.owner])

    # the metric KR's current value moved during the period
    b.change(plat2, okr_current["id"], 640.0, _at(20, rng), P["achen"])
    b.change(plat2, okr_current["id"], 520.0, _at(45, rng), P["achen"])
    b.finalize()
    b.refresh_parents(children)
    b.refresh_parents(e for _s, e in epics)

    by_summary = {c["fields"]["summary"]: c for c in children}
    b.link("Blocks", by_summary["Kafka cluster sizing"], by_summary["Migrate mobile events"])
    b.link("Blocks", by_summary["Sync engine design"], by_summary["Offline queue for writes"])
    b.link("Blocks", by_summary["Tax calculation service"], by_summary["Order summary page"])
    b.link("Relates", by_summary["Revenue metrics pipeline"], by_summary["Checkout analytics funnel"])
    b.link("Relates", by_summary["Synthetic checkout monitor"], by_summary["Automated updates from alerts"])
