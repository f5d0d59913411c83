"""``okrsync check``: is okrsync ready to run, and what would a good OKR coach say?

1. connectivity: the server answers, the credential is accepted (``serverInfo``, ``myself``);
2. permissions, per configured project (Browse projects, Edit issues, Add comments, Edit own
   comments; with ``writeback.notify_users: false`` also Administer projects, without which Cloud
   notifies anyway, a warning, and Data Center refuses the edits, a problem) and globally (Administer
   Jira, which only ``okrsync setup`` needs: a warning; it lets okrsync edit silently too);
3. fields: the write-back fields, the story point field, metric and manual fields;
4. the coach: the tree read from Jira, rolled up as of the given day, and the coach's findings
   (with the progress history of the state store where one exists), grouped by owner;
5. Jira Cloud's team-managed projects that hold issues of the tree (a warning each: okrsync writes
   its property and comments there, no field).

The exit code (see :mod:`okrsync.domain.exit_codes`) is, as in every command, that of an error that
stopped a check (2: no credential, 401, a refused request, not Jira; 3: Jira unreachable), else 1
when a check found a problem (missing permissions or fields) or a finding is an error, else 0;
configuration errors are 2 (raised before this module runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from okrsync.core.checkins import latest_moves, with_recorded
from okrsync.core.coach import CoachPolicy, Finding, Severity, coach
from okrsync.core.coach_rhythm import RhythmPolicy
from okrsync.core.field_types import HEALTH_OPTIONS
from okrsync.core.mappers.issue_fields import RawIssue
from okrsync.core.requirements import config_projects
from okrsync.core.rollup import roll_up
from okrsync.core.stale import failing_sources, keep_failures_visible
from okrsync.core.team_managed import check_advice, tree_issue_keys
from okrsync.domain import exit_codes
from okrsync.domain.config import Settings
from okrsync.domain.model import CheckIn, Measure, OkrsyncError, OkrTree, exit_code_of
from okrsync.jira.bulk import BULK_CHANGE
from okrsync.jira.errors import JiraError
from okrsync.jira.fields import MissingFieldError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.engine import DriverError, describe_url
from okrsync.state.store import StateStore
from okrsync.sync.checkins import stored_checkins
from okrsync.sync.engine import rollup_policy
from okrsync.sync.field_schemas import read_health_options, schema_ids
from okrsync.sync.plan_step import moved_days
from okrsync.sync.project_styles import team_managed_projects
from okrsync.sync.read import read_tree

SETUP = "run `okrsync setup` (as a Jira admin) to create it"
SILENT = "ADMINISTER_PROJECTS"
"""The project permission that lets an edit discard its notifications (``notifyUsers=false``), with
Administer Jira."""
PERMISSION_NAMES = {
    "BROWSE_PROJECTS": "Browse projects",
    "EDIT_ISSUES": "Edit issues",
    "ADD_COMMENTS": "Add comments",
    "EDIT_OWN_COMMENTS": "Edit own comments",
}


@dataclass(frozen=True, slots=True)
class Problem:
    area: str  # connection, permission, field, read
    message: str
    fix: str = ""
    exit_code: int = exit_codes.ATTENTION


@dataclass
class CheckReport:
    as_of: date
    server: str = ""
    user: str = ""
    flavor: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    tree_warnings: list[str] = field(default_factory=list)
    key_results: int = 0
    objectives: int = 0
    coached: bool = False
    history_used: bool = False
    team_managed: tuple[str, ...] = ()
    """The team-managed projects (Cloud) that hold issues of the tree: okrsync writes no field there."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def exit_code(self) -> int:
        """A connection failure's own code (2 or 3, as in every command); 1 for problems or error
        findings; 0 when clean."""
        codes = [p.exit_code for p in self.problems]
        if codes or self.errors:
            return max([exit_codes.ATTENTION, *codes])
        return exit_codes.OK


def run_check(
    cfg: Settings,
    gateway: JiraGateway,
    *,
    as_of: date,
    last_change: Mapping[str, date] | None = None,
    checkins: Mapping[str, tuple[CheckIn, ...]] | None = None,
) -> CheckReport:
    """Every check, in order; a failed connection stops the rest (nothing else could work).
    ``checkins``: the check-ins the state store recorded (the coach's rhythm findings)."""
    report = CheckReport(as_of=as_of, history_used=last_change is not None)
    try:
        info = gateway.server_info()
        me = gateway.myself()
        report.flavor = gateway.flavor
    except (OkrsyncError, JiraError) as exc:
        report.problems.append(Problem("connection", str(exc), exit_code=exit_code_of(exc)))
        return report
    report.server = (
        f"{info.get('serverTitle') or 'Jira'} {info.get('version', '')} at {gateway.base_url}".strip()
    )
    report.user = str(me.get("displayName") or me.get("emailAddress") or me.get("name") or "?")
    _permissions(cfg, gateway, report)
    _fields(cfg, gateway, report)
    _field_types(cfg, gateway, report)
    if any(p.area == "connection" for p in report.problems):
        return report
    try:
        result = read_tree(gateway, cfg)
    except (OkrsyncError, JiraError) as exc:
        report.problems.append(
            Problem("read", f"Could not read the OKR tree: {exc}", exit_code=exit_code_of(exc))
        )
        return report
    tree = with_recorded(keep_failures_visible(result.tree, today=as_of), checkins or {}, as_of)
    if last_change is not None:  # a check-in is movement too
        last_change = latest_moves(last_change, tree.key_results)
    if cfg.writeback.enabled:
        _team_managed(gateway, result.issues.values(), tree, report)
    for failing in failing_sources(tree):
        # a KR source that fails is an error: a sync would hold that KR at its last known progress
        where = f"{failing.label} ({failing.kr_id})" if failing.kr_id != failing.label else failing.label
        report.problems.append(Problem("source", f"{where}: {failing.reason}"))
    scored = roll_up(tree, as_of, rollup_policy(cfg))
    can_check_in = gateway.fields.get_id(cfg.writeback.fields.confidence) is not None
    rhythm = RhythmPolicy(
        cfg.policy.checkin_days if can_check_in else None,
        tolerance=cfg.policy.tolerance,
        off_track_gap=cfg.policy.off_track,
    )
    policy = CoachPolicy(cfg.policy.stale_after_days, cfg.policy.max_krs_per_objective, rhythm)
    report.findings = coach(tree, as_of, policy, scored=scored, last_change=last_change)
    report.tree_warnings = list(scored.warnings)  # the tree's own warnings are among them
    report.key_results, report.objectives = len(tree.key_results), len(tree.objectives)
    report.coached = True
    return report


def _team_managed(
    gateway: JiraGateway, issues: Iterable[RawIssue], tree: OkrTree, report: CheckReport
) -> None:
    """The team-managed projects (Jira Cloud) that hold issues of the tree, one warning each: what
    lives there, what okrsync writes there and what an admin can do. Their style comes from the
    issues just read (no request), else from one project list (:mod:`okrsync.sync.project_styles`)."""
    try:
        projects = team_managed_projects(gateway, issues, tree_issue_keys(tree))
    except (OkrsyncError, JiraError) as exc:
        report.problems.append(
            Problem("project", f"Could not read the projects' style: {exc}", exit_code=exit_code_of(exc))
        )
        return
    report.team_managed = tuple(sorted(projects))
    report.warnings.extend(Problem("project", msg, fix) for msg, fix in check_advice(tree, projects))


def _permissions(cfg: Settings, gateway: JiraGateway, report: CheckReport) -> None:
    wanted = ["BROWSE_PROJECTS"]
    silent = cfg.writeback.enabled and not cfg.writeback.notify_users
    if cfg.writeback.enabled:
        wanted.append("EDIT_ISSUES")
        c = cfg.writeback.comments
        if c.status_change or c.celebrate or c.stale_reminder:
            wanted += ["ADD_COMMENTS", "EDIT_OWN_COMMENTS"]
    if silent:
        wanted.append(SILENT)  # asked in the same request
    who = report.user or "the account"
    try:
        loud: list[str] = []
        for project in config_projects(cfg):
            have = gateway.admin.permissions(*wanted, project_key=project)
            missing = [PERMISSION_NAMES[p] for p in wanted if p in PERMISSION_NAMES and not have.get(p)]
            if missing:
                report.problems.append(
                    Problem(
                        "permission",
                        f"{who} lacks {', '.join(missing)} in project {project}.",
                        f"Ask a Jira admin to grant them in {project}'s permission scheme "
                        "(Project settings → Permissions), or use another account.",
                    )
                )
            elif silent and not have.get(SILENT):
                loud.append(project)
        bulk = cfg.writeback.enabled and gateway.flavor == "cloud"
        globals_ = gateway.admin.permissions("ADMINISTER", *([BULK_CHANGE] if bulk else []))
        admin = bool(globals_.get("ADMINISTER"))
        if bulk and not globals_.get(BULK_CHANGE):
            report.warnings.append(
                Problem(
                    "permission",
                    f"{who} lacks Jira's global Bulk change permission: okrsync writes every field edit "
                    "one issue at a time (a first sync of a large site: one request per issue, where "
                    "bulk edits take one per key result).",
                    "Ask a Jira admin to grant it (Jira settings → System → Global permissions → "
                    "Bulk change) to okrsync's account.",
                )
            )
        if not admin:
            report.warnings.append(
                Problem(
                    "permission",
                    f"{who} is not a Jira administrator: `okrsync setup` needs Administer Jira "
                    "(sync does not).",
                    "Have a Jira admin run `okrsync setup` once.",
                )
            )
        if loud and not admin:
            _silent_edits(gateway.flavor, who, loud, report)
    except (OkrsyncError, JiraError) as exc:
        report.problems.append(
            Problem("permission", f"Could not read permissions: {exc}", exit_code=exit_code_of(exc))
        )


def _silent_edits(flavor: str, who: str, projects: list[str], report: CheckReport) -> None:
    """``writeback.notify_users: false`` where the account may not discard notifications: Cloud
    ignores ``notifyUsers=false`` and notifies (a warning), Data Center refuses the edit (a problem).

    ``notifyUsers``: "To disable the notification, administer Jira or administer project permissions
    are required. If the user doesn't have the necessary permission the request is ignored" (Cloud,
    PUT /rest/api/3/issue/{issueIdOrKey}); "Admin or project admin permissions are required to
    disable the notification", 403 otherwise (Data Center 10.3, PUT /api/2/issue/{issueIdOrKey}).
    """
    where = ", ".join(projects)
    fix = (
        f"Grant {who} Administer projects in {where} (Project settings → Permissions), or set "
        "writeback.notify_users: true"
    )
    if flavor == "cloud":
        report.warnings.append(
            Problem(
                "permission",
                f"{who} may not edit silently in {where}: okrsync edits with writeback.notify_users: "
                "false, which Jira Cloud ignores without Administer projects (or Administer Jira), so "
                "each of okrsync's edits there notifies the issue's watchers.",
                fix + " to say so in the configuration.",
            )
        )
        return
    report.problems.append(
        Problem(
            "permission",
            f"{who} may not edit silently in {where}: okrsync edits with writeback.notify_users: false, "
            "and Jira Data Center refuses such an edit (403) without Administer projects (or Administer "
            "Jira): no OKR field would be written there.",
            fix + " (okrsync's edits then notify the watchers).",
        )
    )


def _fields(cfg: Settings, gateway: JiraGateway, report: CheckReport) -> None:
    try:
        reg = gateway.fields
    except (OkrsyncError, JiraError) as exc:
        report.problems.append(
            Problem("field", f"Could not list the fields: {exc}", exit_code=exit_code_of(exc))
        )
        return
    wanted: list[tuple[str, str]] = []
    optional = cfg.writeback.fields.objective_id  # sync writes it when it exists (charts by objective)
    if cfg.writeback.enabled:
        wanted += [(n, SETUP) for n in cfg.writeback.fields.model_dump().values()]
    for i, kr in enumerate(cfg.key_results):
        if kr.measure == Measure.METRIC and kr.metric is not None:
            wanted.append(
                (
                    kr.metric.field,
                    f"create a Number Field with this name (or fix key_results[{i}].metric.field)",
                )
            )
        if kr.manual_field is not None:
            name = kr.manual_field
            wanted.append((name, SETUP))
    seen: set[str] = set()
    for name, fix in wanted:
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        if reg.get_id(name) is None:
            if name in (cfg.writeback.fields.confidence, cfg.writeback.fields.checkin):
                report.warnings.append(  # sync reads them when they exist (issue 16)
                    Problem("field", f'Jira has no field "{name}": key result owners cannot check in.', fix)
                )
            elif name == optional:
                report.warnings.append(
                    Problem(
                        "field", f'Jira has no field "{name}": dashboards cannot chart by objective.', fix
                    )
                )
            else:
                report.problems.append(Problem("field", f'Jira has no field "{name}".', fix))
    if any(kr.measure == Measure.POINTS for kr in cfg.key_results):
        try:
            reg.story_points_id(cfg.jira.story_points_field)
        except MissingFieldError as exc:
            report.problems.append(Problem("field", str(exc)))


def _field_types(cfg: Settings, gateway: JiraGateway, report: CheckReport) -> None:
    """Each write-back field's type, as a sync would write it (one problem per field it cannot),
    and the health options of the status select field (one problem naming those it lacks)."""
    if not cfg.writeback.enabled or any(p.area == "connection" for p in report.problems):
        return
    try:
        ids = schema_ids(cfg, gateway.fields, api_version=gateway.api)
    except (OkrsyncError, JiraError):
        return  # the field list could not be read: _fields said so
    report.problems.extend(Problem("field", p.message, p.fix) for p in ids.unwritable)
    if ids.status is None or ids.formats.get(ids.status) != "option":
        return
    name = cfg.writeback.fields.status
    found = read_health_options(gateway, ids.status, name)
    if found.problem is not None:
        report.problems.append(Problem("options", found.problem.message, found.problem.fix))
    elif found.warning is not None:
        options = ", ".join(f'"{v}"' for v in HEALTH_OPTIONS)
        report.warnings.append(
            Problem("options", found.warning, f'check in Jira that "{name}" has the options {options}.')
        )


def checkins_from_store(url: str) -> dict[str, tuple[CheckIn, ...]] | None:
    """The check-ins the state store recorded, when one exists (as :func:`last_change_from_store`)."""
    facts = describe_url(url)
    if facts is None:
        return None
    if facts.backend == "sqlite" and (facts.sqlite_file is None or not facts.sqlite_file.exists()):
        return None
    try:
        with StateStore.open(url) as store:
            return stored_checkins(store)
    except (OkrsyncError, DriverError, OSError, ValueError):
        return None


def last_change_from_store(url: str, *, since: date, as_of: date) -> dict[str, date] | None:
    """The last day each node's progress moved (as sync sees it: the first recorded day is not a
    movement), from the history between ``since`` and ``as_of``, when a state store exists.

    A SQLite file that is not there is not created just for ``check`` (``None`` then).
    """
    facts = describe_url(url)
    if facts is None:
        return None
    if facts.backend == "sqlite" and (facts.sqlite_file is None or not facts.sqlite_file.exists()):
        return None
    try:
        with StateStore.open(url) as store:
            return moved_days(store.history(since=since, until=as_of))
    except (OkrsyncError, DriverError, OSError, ValueError):
        return None


# ------------------------------------------------------------------------------------ findings

NO_OWNER = "(no owner)"


def group_by_owner(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings by owner, owners alphabetically with the unowned last; order kept within a group."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.owner or NO_OWNER, []).append(f)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] == NO_OWNER, kv[0].casefold())))
