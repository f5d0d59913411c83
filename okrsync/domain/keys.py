"""One place for each key okrsync stores things under, in Jira and in its state store.

Jira: the issue property and the comment property that carry okrsync's data and identities.
State store: the meta keys (``StateStore.get_meta``/``set_meta``) of every module that keeps one.
"""

from __future__ import annotations

from typing import Final

ISSUE_PROPERTY: Final = "okrsync"
"""The issue property with the explainable roll-up on KR epics (and Jira-side objectives)."""

COMMENT_PROPERTY: Final = "okrsync"
"""The comment property with the identity of each comment okrsync posts."""

COMMENT_FOOTER: Final = "— okrsync · "
"""How the footer line of each comment okrsync posts begins (``— okrsync · <identity>``), in its plain
text: the comments whose property is worth a request to read."""

META_LAST_TREE: Final = "last_tree"
"""The scored tree of the last sync (the reports, the status page)."""

META_KR_EPICS: Final = "kr_epics"
"""The KR epics the last complete cycle found (what the next incremental cycle reads below)."""

META_SOURCE_EPICS: Final = "source_epics"
"""``key_results[i]`` given by JQL → its JQL and the epics it matched, as of the last complete cycle
(``okrsync.sync.source_reads``)."""

META_FAILING_SOURCES: Final = "failing_sources"
"""KR id → the first day its source failed, while it fails (``okrsync.core.stale``)."""

META_BACKFILL_CURSOR: Final = "backfill"
"""Where an interrupted backfill continues."""

META_OUTBOX: Final = "comment_outbox"
"""Status comments a run is about to post or update, until their record lands (``okrsync.sync.outbox``)."""

META_PENDING_PROPERTIES: Final = "pending_properties"
"""Issues whose ``okrsync`` property a run may have written without recording it
(``okrsync.sync.pending_properties``)."""

META_STATUS_SAID: Final = "status_said"
"""KR epic → the health its last recorded status comment states, and when (``okrsync.sync.outbox``)."""

META_DAEMON_LEADER: Final = "daemon_leader"
"""Which daemon process leads (pid, host, since)."""

META_CLOSED_PERIODS: Final = "closed_periods"
"""Period name → its close: the day, each KR's and objective's final score, the tree frozen then
(``okrsync.core.closing``)."""

META_RECENT_WRITES: Final = "recent_writes"
"""Issue key → when okrsync last wrote it, for the last minutes (``okrsync.sync.recent_writes``)."""

META_CHECKINS: Final = "checkins"
"""KR id → its check-ins (day, confidence, note, author), oldest first (``okrsync.sync.checkins``)."""

META_COVERAGE: Final = "coverage"
"""The latest alignment coverage: per OKR project and for the company, the share of issues resolved
in the period that are action plans of some KR, and the largest unaligned epics
(``okrsync.core.coverage``, ``okrsync.sync.coverage``)."""

META_COACH_FINDINGS: Final = "coach_findings"
"""The coach's findings on the last sync's tree (subject, kind, severity, code, message, fix), for
the report and the status page to show beside the items (``okrsync.sync.report_facts``)."""

META_JIRA_SITE: Final = "jira_site"
"""The base URL of the Jira site the last sync read (the reports' links ``<site>/browse/KEY``)."""
