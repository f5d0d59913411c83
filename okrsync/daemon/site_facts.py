"""What the daemon's one gateway keeps across cycles, and when it reads it again.

A process of ``okrsync sync`` makes a new gateway per run, which costs serverInfo, the field list
and (for the JQL time zone) ``myself`` every run. The daemon keeps one gateway for its whole life
(:func:`okrsync.daemon.service.run_daemon`), so those are read once, not every 15 minutes. The
field list is the fact that changes under a running daemon: ``okrsync setup`` creates fields
(e.g. "OKR Objective ID" on a site set up before it existed), an admin deletes or renames one. So
the daemon reads it again

* on every full reconcile (the scheduled ``full_reconcile_hours`` job: one request a day);
* before the cycle after one whose report says a field is unknown: Jira refused an edit naming a
  field "... It is not on the appropriate screen, or unknown." (the PUT /issue 400 of both
  dialects), or the sync found a configured field missing ("Jira has no field ...: run okrsync
  setup", or the warning that asks for setup to add one).

serverInfo (the dialect, the version) and ``myself`` (okrsync's own user and its time zone) stay
as read: they change with a Jira upgrade or a profile edit, which a restart of the daemon follows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.sync.engine import SyncReport

log = logging.getLogger(__name__)

UNKNOWN_FIELD_SIGNS = ("or unknown", "jira has no field", "run okrsync setup")
"""Lower-cased parts of a report's errors, failure or warnings that say okrsync's field list may be
out of date (Jira's "It is not on the appropriate screen, or unknown."; okrsync's own missing-field
error and the warning asking for ``okrsync setup``)."""


def says_fields_changed(report: SyncReport) -> bool:
    """Whether ``report`` shows that a field okrsync knows of, or needs, is unknown to Jira."""
    texts = [e.reason for e in report.errors if e.kind in ("field", "")]
    texts += [report.failure or "", *report.warnings]
    return any(sign in text.lower() for text in texts for sign in UNKNOWN_FIELD_SIGNS)


@dataclass
class SiteFacts:
    """The daemon's policy for its gateway's field list: ``before`` a cycle, ``after`` it."""

    stale: bool = False
    """The last cycle said a field is unknown: read the field list again before the next one."""
    refreshes: int = 0

    def before(self, gateway: JiraGateway, *, full: bool) -> None:
        if not (full or self.stale):
            return
        why = "full reconcile" if full else "a field was unknown to Jira"
        try:
            gateway.refresh_fields()
        except JiraError as exc:  # the cycle meets the same failure and reports it
            log.warning("could not re-read the field list (%s): %s", why, exc)
            return
        self.stale = False
        self.refreshes += 1
        log.info("re-read the field list (%s)", why, extra={"event": "fields_refreshed"})

    def after(self, report: SyncReport | None) -> None:
        if report is not None and says_fields_changed(report):
            self.stale = True
