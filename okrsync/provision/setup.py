"""``okrsync setup``: provision Jira for okrsync, idempotently.

What it makes (each step first reads what exists, and changes only what differs):

1. the custom fields okrsync writes (``writeback.fields``) and the manual-progress number fields
   of ``measure: manual`` key results, with searchers so that JQL and gadgets can use them;
2. the health options of the status select field (Cloud: through the field's global context;
   Data Center has no REST for options, so it prints the admin's steps and checks them);
3. the fields on the configured projects' screens (Cloud; Data Center: steps); a team-managed
   project (Cloud), whose issues take none of these fields, is a manual step of its own;
4. saved filters shared with logged-in users: every key result, those at risk or off track, one
   per company objective (by the OKR Objective ID labels field);
5. Cloud: a dashboard "OKRs <period>" with four gadgets configured through their ``config``
   dashboard item property — key results, health pie, objective × health table, at risk —
   (Data Center has no REST to create dashboards: steps).

A second run makes no write request. ``--dry-run`` reads only. The plan-like parts (what is
wanted) are pure functions of the configuration; :func:`run_setup` does the reading and writing
through the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from okrsync.core.requirements import config_projects, key_result_projects, metric_fields
from okrsync.core.team_managed import setup_step, styles_of_projects
from okrsync.domain.config import Settings
from okrsync.domain.model import OkrsyncError
from okrsync.jira.admin import is_private
from okrsync.jira.gateway import JiraGateway
from okrsync.provision.specs import (
    CONFIDENCE_OPTIONS,
    GADGET_CONFIG,
    HEALTH_OPTIONS,
    KR_FILTER,
    RISK_FILTER,
    SHARE_LOGGED_IN,
    TYPE_LABEL,
    FieldSpec,
    dashboard_name,
    desired_fields,
    filter_specs,
    gadget_specs,
)

Status = Literal["created", "exists", "updated", "manual", "would create", "would update"]


class SetupPermissionError(OkrsyncError):
    """The account may not administer Jira, which setup needs."""


@dataclass(frozen=True, slots=True)
class Action:
    area: str  # field, options, screen, filter, dashboard, gadget
    subject: str
    status: Status
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ManualStep:
    title: str
    steps: tuple[str, ...]


@dataclass
class SetupReport:
    flavor: str
    dry_run: bool
    actions: list[Action] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    field_ids: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return sum(a.status in ("created", "updated", "would create", "would update") for a in self.actions)


# ------------------------------------------------------------------------------------ doing it


def run_setup(cfg: Settings, gateway: JiraGateway, *, dry_run: bool = False) -> SetupReport:
    """Provision Jira for ``cfg``; every step reads first and writes only what differs.

    Raises :class:`SetupPermissionError` (before any write) when the account may not administer
    Jira.
    """
    have = gateway.admin.permissions("ADMINISTER").get("ADMINISTER", False)
    if not have:
        who = cfg.jira.email or "the account of the configured token"
        raise SetupPermissionError(
            f'okrsync setup needs the "Administer Jira" global permission, and {who} does not have it. '
            "Ask a Jira administrator to run `okrsync setup` (nothing was changed), or to grant this "
            "account Administer Jira (Administration → System → Global permissions)."
        )
    report = SetupReport(flavor=gateway.flavor, dry_run=dry_run)
    _Setup(cfg, gateway, report).run()
    return report


class _Setup:
    def __init__(self, cfg: Settings, gateway: JiraGateway, report: SetupReport) -> None:
        self.cfg = cfg
        self.gw = gateway
        self.admin = gateway.admin
        self.report = report
        self.dry = report.dry_run
        self.cloud = gateway.flavor == "cloud"
        self.unusable: set[str] = set()
        """Fields that exist with another type or without a searcher (a manual step each)."""
        self._projects: list[dict[str, Any]] | None = None

    def act(self, area: str, subject: str, status: Status, detail: str = "") -> None:
        if self.dry and status == "created":
            status = "would create"
        elif self.dry and status == "updated":
            status = "would update"
        self.report.actions.append(Action(area, subject, status, detail))

    def manual(self, area: str, subject: str, title: str, steps: Sequence[str]) -> None:
        self.report.actions.append(Action(area, subject, "manual", title))
        self.report.manual.append(ManualStep(title, tuple(steps)))

    def run(self) -> None:
        specs = desired_fields(self.cfg)
        self.fields(specs)
        status = self.cfg.writeback.fields.status
        if any(s.name == status for s in specs):
            self.options(status)
        confidence = self.cfg.writeback.fields.confidence
        if any(s.name == confidence for s in specs):
            self.options(confidence, CONFIDENCE_OPTIONS, "confidence")
        self.screens([s.name for s in specs])
        if specs and self.cloud:
            self.team_managed()
        filters = self.filters()
        self.dashboard(filters)

    # ---------------------------------------------------------------- fields

    def fields(self, specs: Sequence[FieldSpec]) -> None:
        reg = self.gw.fields
        created = False
        for spec in specs:
            fid = reg.get_id(spec.name)
            if fid is None:
                if not self.dry:
                    made = self.admin.create_field(
                        spec.name, spec.type_key, searcher_key=spec.searcher_key, description=spec.description
                    )
                    fid = str(made.get("id") or "")
                    created = True
                self.act("field", spec.name, "created", f"{TYPE_LABEL[spec.type_key]}, searchable")
                if fid:
                    self.report.field_ids[spec.name] = fid
                continue
            self.report.field_ids[spec.name] = fid
            raw_type = reg.schema_of(fid).get("custom")
            if raw_type != spec.type_key:
                self.unusable.add(spec.name)
                self.manual(
                    "field",
                    spec.name,
                    f'Field "{spec.name}" ({fid}) has the type {raw_type or "?"}, '
                    f"not {TYPE_LABEL[spec.type_key]}",
                    [
                        f'Rename the existing field "{spec.name}" (Administration → Issues → Custom fields), '
                        "then run okrsync setup again to create the right one,",
                        "or name another field in writeback.fields of the configuration.",
                    ],
                )
                continue
            searchable = self._searchable(fid)
            if not searchable:
                self.unusable.add(spec.name)
                self.manual(
                    "field",
                    spec.name,
                    f'Field "{spec.name}" ({fid}) is not searchable',
                    [
                        f"Administration → Issues → Custom fields → {spec.name} → Edit details → "
                        f"Search template: {spec.searcher_key.split(':')[1]} → Update.",
                    ],
                )
                continue
            self.act("field", spec.name, "exists", fid)
        if created:
            reg = self.gw.refresh_fields()
            for spec in specs:
                fid = reg.get_id(spec.name)
                if fid:
                    self.report.field_ids[spec.name] = fid
        for name in metric_fields(self.cfg):
            if reg.get_id(name) is None:
                self.manual(
                    "field",
                    name,
                    f'Metric field "{name}" does not exist',
                    [
                        f'Create a Number Field "{name}" (Administration → Issues → Custom fields → '
                        "Create custom field → Number Field) and put the current value on each "
                        "metric KR epic,",
                        "or fix metric.field of that key result in the configuration.",
                    ],
                )

    def _searchable(self, fid: str) -> bool:
        # FieldRegistry keeps each field's raw JSON (GET /field) by id; "searchable" is in it.
        raw: Mapping[str, Any] = getattr(self.gw.fields, "_by_id", {}).get(fid, {})
        return bool(raw.get("searchable", True))

    # ---------------------------------------------------------------- options

    def options(self, name: str, wanted: Sequence[str] = HEALTH_OPTIONS, what: str = "health") -> None:
        fid = self.report.field_ids.get(name)
        if fid is None:  # dry run: the field does not exist yet
            if self.cloud:
                self.act("options", name, "created", ", ".join(wanted))
            else:
                self.manual(
                    "options", name, f'Add the {what} options to "{name}"', self._option_steps(name, wanted)
                )
            return
        if self.cloud:
            self._cloud_options(name, fid, wanted)
        else:
            self._dc_options(name, fid, wanted, what)

    def _cloud_options(self, name: str, fid: str, wanted: Sequence[str]) -> None:
        contexts = self.admin.field_contexts(fid)
        context = next((c for c in contexts if c.get("isGlobalContext")), contexts[0] if contexts else None)
        if context is None:
            if not self.dry:
                context = self.admin.create_field_context(fid, f"Default Configuration Scheme for {name}")
            self.act("options", f"{name} context", "created", "global, any issue type")
            if context is None:  # dry run: a new context has no options yet
                self.act("options", name, "created", ", ".join(wanted))
                return
        ctx = str(context.get("id"))
        existing = self.admin.field_options(fid, ctx)
        values = {str(o.get("value")): o for o in existing}
        missing = [v for v in wanted if v not in values]
        disabled = [v for v in wanted if v in values and values[v].get("disabled")]
        if missing:
            if not self.dry:
                self.admin.add_field_options(fid, ctx, missing)
            self.act("options", name, "created", ", ".join(missing))
        if disabled:
            self.manual(
                "options",
                name,
                f'Enable the options {", ".join(disabled)} of "{name}"',
                [
                    f"Administration → Issues → Custom fields → {name} → Contexts and default value → "
                    f"Edit options → Enable {v}."
                    for v in disabled
                ],
            )
        if not missing and not disabled:
            self.act("options", name, "exists", ", ".join(wanted))

    def _dc_options(self, name: str, fid: str, wanted: Sequence[str], what: str) -> None:
        existing = self.admin.dc_field_options(fid)
        if existing is None:
            self.manual(
                "options", name, f'Check the {what} options of "{name}"', self._option_steps(name, wanted)
            )
            return
        values = {str(o.get("value")): o for o in existing}
        missing = [v for v in wanted if v not in values or values[v].get("disabled")]
        if missing:
            self.manual(
                "options", name, f'Add the {what} options to "{name}"', self._option_steps(name, missing)
            )
        else:
            self.act("options", name, "exists", ", ".join(wanted))

    @staticmethod
    def _option_steps(name: str, missing: Sequence[str] = HEALTH_OPTIONS) -> list[str]:
        return [
            f"Administration → Issues → Custom fields → {name} → ⚙ → Configure → Edit Options.",
            "Add each option, in this order, exactly as written: "
            + ", ".join(f'"{v}"' for v in missing)
            + ".",
            "Run okrsync setup again: it checks that they are there.",
        ]

    # ---------------------------------------------------------------- screens

    def screens(self, names: Sequence[str]) -> None:
        if not names:
            return
        projects = config_projects(self.cfg)
        if not self.cloud:
            where = ", ".join(projects) or "your OKR projects"
            self.manual(
                "screen",
                ", ".join(projects) or "screens",
                "Put the OKR fields on the screens of " + where,
                [
                    "Administration → Issues → Screens; for each screen used by "
                    f"{where} (the project's Screens page lists them) → Configure.",
                    "Add the fields " + ", ".join(f'"{n}"' for n in names) + " to the first tab.",
                    'Without them on the edit screen, Jira refuses okrsync\'s writes ("cannot be set").',
                ],
            )
            return
        ids = [self.report.field_ids[n] for n in names if n in self.report.field_ids]
        pending = [n for n in names if n not in self.report.field_ids]
        by_id = {str(p.get("id")): str(p.get("key")) for p in self.projects() if p.get("key") in projects}
        screens = self.admin.screens()
        chosen = []
        for screen in screens:
            scope = screen.get("scope") or {}
            pid = str((scope.get("project") or {}).get("id", ""))
            sname = str(screen.get("name", ""))
            if pid in by_id or any(sname.startswith(f"{k}:") for k in projects):
                chosen.append(screen)
        if not chosen:
            chosen = [s for s in screens if s.get("name") == "Default Screen"]
        if not chosen:
            self.manual(
                "screen",
                "screens",
                "Put the OKR fields on your projects' screens",
                [
                    "Administration → Issues → Screens → Configure each screen of " + ", ".join(projects),
                    "Add " + ", ".join(names),
                ],
            )
            return
        for screen in chosen:
            sid, sname = str(screen.get("id")), str(screen.get("name"))
            tabs = self.admin.screen_tabs(sid)
            if not tabs:
                continue
            tab = str(tabs[0].get("id"))
            on = {str(f.get("id")) for f in self.admin.screen_tab_fields(sid, tab)}
            # a field setup is about to create (a dry run: it has no id yet) is on no screen: Jira
            # puts a field made over REST on none, so the run adds it here like any other
            added = [n for n in names if n in pending or self.report.field_ids[n] not in on]
            if not self.dry:
                for fid in ids:
                    if fid not in on:
                        self.admin.add_screen_field(sid, tab, fid)
            if added:
                self.act("screen", sname, "updated", "added " + ", ".join(added))
            else:
                self.act("screen", sname, "exists", "every OKR field is on it")

    def projects(self) -> list[dict[str, Any]]:
        """The configured projects as Jira lists them (read once: the screens and the team-managed
        check share it; one request per 50 projects on Cloud)."""
        if self._projects is None:
            self._projects = self.admin.projects(config_projects(self.cfg))
        return self._projects

    def team_managed(self) -> None:
        """A manual step for each configured project that is team-managed (Cloud's ``style``
        "next-gen"): its issues take none of the fields setup makes."""
        styles = styles_of_projects(self.projects())
        for project in sorted(p for p, team_managed in styles.items() if team_managed):
            krs = [label for label, where in key_result_projects(self.cfg) if project in where]
            title, steps = setup_step(project, krs)
            self.manual("project", project, title, steps)

    # ---------------------------------------------------------------- filters

    def filters(self) -> dict[str, str]:
        """Create or update the filters; returns ``{name: id}`` (ids may be absent in a dry run)."""
        ids: dict[str, str] = {}
        for spec in filter_specs(self.cfg, objective_ids=self._objective_ids()):
            # a company objective's filter is found by its id, so a renamed objective renames it
            if spec.prefix:
                found = self.admin.find_filters(spec.prefix, prefix=True)
            else:
                found = self.admin.find_filters(spec.name)
            if not found:
                if not self.dry:
                    made = self.admin.create_shared_filter(
                        spec.name, spec.jql, description=spec.description, share=SHARE_LOGGED_IN
                    )
                    ids[spec.name] = str(made.get("id"))
                    # Data Center shares a new filter by the user's default share scope only
                    self._share(ids[spec.name], made)
                self.act("filter", spec.name, "created", spec.jql)
                continue
            current = found[0]
            ids[spec.name] = str(current.get("id"))
            shared = self._share(ids[spec.name], current)
            if _same_jql(str(current.get("jql") or ""), spec.jql) and current.get("name") == spec.name:
                if shared:
                    self.act("filter", spec.name, "updated", "shared with logged-in users")
                else:
                    self.act("filter", spec.name, "exists", f"id {current.get('id')}")
                continue
            if not self.dry:
                self.admin.update_filter(
                    ids[spec.name], name=spec.name, jql=spec.jql, description=spec.description
                )
            self.act(
                "filter", spec.name, "updated", spec.jql + ("; shared with logged-in users" if shared else "")
            )
        return ids

    def _share(self, filter_id: str, filter_: Mapping[str, Any]) -> bool:
        """Share a filter Jira shows as shared with no one with every logged-in user, through the
        share-permission operation (Data Center's filter creation ignores ``sharePermissions``);
        a filter shared in any way is left as it is. Whether it was (or, in a dry run, would be)."""
        if not is_private(filter_):
            return False
        if not self.dry:
            self.admin.add_filter_share(filter_id, SHARE_LOGGED_IN[0])
        return True

    def _objective_ids(self) -> bool:
        """Whether the OKR Objective ID labels field is there (or, in a dry run, would be) to use."""
        name = self.cfg.writeback.fields.objective_id
        return self.cfg.writeback.enabled and name not in self.unusable

    # ---------------------------------------------------------------- dashboard

    def dashboard(self, filters: Mapping[str, str]) -> None:
        name = dashboard_name(self.cfg)
        found = self.admin.find_dashboards(name)
        wf = self.cfg.writeback.fields
        ids = {
            k: self.report.field_ids.get(n, n)
            for k, n in (
                ("progress", wf.progress),
                ("expected", wf.expected),
                ("status", wf.status),
                ("objective", wf.objective),
                ("objective_id", wf.objective_id),
            )
        }
        if not self._objective_ids():
            del ids["objective_id"]  # the two-dimensional table falls back to project × health
        if not self.cloud:
            if found:
                self.act(
                    "dashboard", name, "exists", f"id {found[0].get('id')} (gadgets not checked: no REST)"
                )
                return
            self._dashboard_steps(name, filters, ids)
            return
        if found:
            did = str(found[0].get("id"))
            self.act("dashboard", name, "exists", f"id {did}")
        elif self.dry:
            self.act("dashboard", name, "created", "shared with logged-in users")
            for g in gadget_specs("?", "?", ids):
                self.act("gadget", g.title, "created", g.kind)
            return
        else:
            did = str(
                self.admin.create_dashboard(
                    name, description=self._dashboard_text(), share=SHARE_LOGGED_IN
                ).get("id")
            )
            self.act("dashboard", name, "created", f"id {did}, shared with logged-in users")
        specs = gadget_specs(filters.get(KR_FILTER, "?"), filters.get(RISK_FILTER, "?"), ids)
        gadgets = self.admin.dashboard_gadgets(did) if found else []
        for spec in specs:
            gadget = next(
                (
                    g
                    for title in (spec.title, *spec.replaces)
                    for g in gadgets
                    if spec.is_(g) and g.get("title") == title
                ),
                None,
            )
            if gadget is None:
                if self.dry:
                    self.act("gadget", spec.title, "created", spec.kind)
                    continue
                taken = {
                    (
                        int((g.get("position") or {}).get("row", -1)),
                        int((g.get("position") or {}).get("column", -1)),
                    )
                    for g in gadgets
                }
                row, col = spec.row, spec.column
                while (row, col) in taken:
                    row += 1
                gadget = self.admin.add_gadget(
                    did, spec.uri, title=spec.title, position={"row": row, "column": col}
                )
                gadgets.append(gadget)
                self.admin.set_dashboard_item_property(
                    did, str(gadget.get("id")), GADGET_CONFIG, dict(spec.config)
                )
                self.act("gadget", spec.title, "created", spec.kind)
                continue
            gid = str(gadget.get("id"))
            subject = str(gadget.get("title") or spec.title)
            current = self.admin.dashboard_item_property(did, gid, GADGET_CONFIG)
            if isinstance(current, Mapping) and all(current.get(k) == v for k, v in spec.config.items()):
                self.act("gadget", subject, "exists", f"id {gid}")
                continue
            if not self.dry:
                merged = {**(dict(current) if isinstance(current, Mapping) else {}), **spec.config}
                self.admin.set_dashboard_item_property(did, gid, GADGET_CONFIG, merged)
            detail = "configuration"
            if subject != spec.title:
                # the gateway has no call to rename a gadget: the old title stays until someone edits it
                detail = f'configuration: now {spec.title.lower()} (rename "{subject}" in Jira if you like)'
            self.act("gadget", subject, "updated", detail)

    def _y_axis(self) -> str:
        return self.cfg.writeback.fields.objective_id if self._objective_ids() else "Project"

    def _dashboard_text(self) -> str:
        return f"The OKRs of {self.cfg.period.name}, kept current by okrsync. Made by okrsync setup."

    def _dashboard_steps(self, name: str, filters: Mapping[str, str], ids: Mapping[str, str]) -> None:
        status = self.cfg.writeback.fields.status
        steps = [
            f'Dashboards → Manage Dashboards → Create new dashboard: name "{name}", '
            "share with: Logged-in users (or your company's group) → Add.",
            f'Add gadget "Filter Results": saved filter "{KR_FILTER}", columns: Issue Type, Key, Summary, '
            "Assignee, "
            f"Due date, {', '.join(self.cfg.writeback.fields.model_dump().values())}; 50 rows.",
            f'Add gadget "Pie Chart": saved filter "{KR_FILTER}", statistic type: {status}.',
            f'Add gadget "Two Dimensional Filter Statistics": saved filter "{KR_FILTER}", x-axis: {status}, '
            f"y-axis: {self._y_axis()}, show totals.",
            f'Add gadget "Filter Results": saved filter "{RISK_FILTER}", the same columns; 20 rows.',
            "Run okrsync setup again: it finds the dashboard by its name.",
        ]
        self.manual(
            "dashboard", name, f'Create the dashboard "{name}" (Data Center has no REST for it)', steps
        )


def _same_jql(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
