"""The daemon's Prometheus metrics, in a registry of its own (several daemons may share a process in tests).

Served as Prometheus text at ``GET /metrics``. Names follow Prometheus conventions (``_total`` for
counters, ``_seconds`` for durations, base units).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from okrsync.core.coverage import Coverage, coverage_gauges
from okrsync.domain.model import Health

if TYPE_CHECKING:
    from okrsync.sync.engine import SyncReport

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WRITE_KINDS = ("field_edits", "properties", "comments_posted", "comments_updated")
CYCLE_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class _JiraRequests(Collector):
    """Jira requests by HTTP status, read from the gateway's own counters at scrape time."""

    def __init__(self, by_status: Callable[[], Mapping[str, int]]) -> None:
        self._by_status = by_status

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "okrsync_jira_requests",
            "Requests sent to Jira, by HTTP status ('error': no answer).",
            labels=["status"],
        )
        for status, count in sorted(self._by_status().items()):
            family.add_metric([status], count)
        yield family


class Metrics:
    """Every metric of one daemon."""

    def __init__(self, jira_by_status: Callable[[], Mapping[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.cycles = Counter(
            "okrsync_sync_cycles", "Sync cycles run, by outcome.", ["status", "mode"], registry=r
        )
        self.cycle_seconds = Histogram(
            "okrsync_sync_cycle_duration_seconds",
            "Duration of sync cycles.",
            buckets=CYCLE_BUCKETS,
            registry=r,
        )
        self.writes = Counter(
            "okrsync_jira_writes", "Changes written to Jira, by kind.", ["kind"], registry=r
        )
        self.errors = Counter(
            "okrsync_sync_errors",
            "Errors: changes Jira refused, failed cycles, cycles that raised.",
            ["kind"],
            registry=r,
        )
        self.last_success = Gauge(
            "okrsync_last_success_timestamp_seconds",
            "Unix time of the end of the last cycle that succeeded (ok or partial).",
            registry=r,
        )
        self.key_results = Gauge(
            "okrsync_key_results", "Key results by health, as of the last cycle.", ["health"], registry=r
        )
        self.leader = Gauge(
            "okrsync_leader", "1 while this replica is the leader (the one that syncs).", registry=r
        )
        self.webhooks = Counter(
            "okrsync_webhooks", "Jira webhook deliveries received, by outcome.", ["outcome"], registry=r
        )
        self.http_requests = Counter(
            "okrsync_http_requests",
            "Requests to the daemon's HTTP endpoints ('499': the client went away before the answer).",
            ["path", "status"],
            registry=r,
        )
        self.http_read_timeouts = Counter(
            "okrsync_http_read_timeouts",
            "Connections closed because a request's headers or body did not arrive in time.",
            ["phase"],
            registry=r,
        )
        self.coverage = Gauge(
            "okrsync_alignment_coverage_ratio",
            "Share (0-1) of the issues resolved in the period that are action plans of some KR, per "
            "OKR project ('' for the company), as last counted (at most hourly).",
            ["project"],
            registry=r,
        )
        for health in Health:
            self.key_results.labels(health.value).set(0)
        if jira_by_status is not None:
            r.register(_JiraRequests(jira_by_status))

    def observe_cycle(self, report: SyncReport, *, finished_at: float) -> None:
        """Count one finished cycle from its ``SyncReport``."""
        self.cycles.labels(report.status, report.mode).inc()
        self.cycle_seconds.observe(report.seconds)
        for kind in WRITE_KINDS:
            n = int(getattr(report, kind))
            if n:
                self.writes.labels(kind).inc(n)
        if report.errors:
            self.errors.labels("write").inc(len(report.errors))
        if report.status == "failed":
            self.errors.labels("cycle").inc()
        else:
            self.last_success.set(finished_at)
            self.set_health(report.health)
            self.set_coverage(report.coverage)

    def set_coverage(self, coverage: Coverage | None) -> None:
        """One gauge per OKR project and one for the company (``project=""``)."""
        if coverage is None:
            return
        self.coverage.clear()
        for project, share in coverage_gauges(coverage):
            self.coverage.labels(project).set(share)

    def set_health(self, counts: Mapping[str, int]) -> None:
        for health in Health:
            self.key_results.labels(health.value).set(int(counts.get(health.value, 0)))

    def render(self) -> bytes:
        return generate_latest(self.registry)
