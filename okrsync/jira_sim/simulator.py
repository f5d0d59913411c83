"""``JiraSimulator``: the store, the HTTP server, faults and webhook delivery, as one object.

with JiraSimulator(flavor="cloud", dataset="demo") as sim:
    requests.get(sim.url + "/rest/api/3/myself", auth=("demo@example.com", "demo-token"))
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from okrsync.jira_sim import catalog
from okrsync.jira_sim.catalog import Flavor
from okrsync.jira_sim.contract.guard import ContractGuard
from okrsync.jira_sim.faults import FaultConfig, Faults
from okrsync.jira_sim.search_index import SearchIndex
from okrsync.jira_sim.server import RequestLog, SimHTTPServer, make_server
from okrsync.jira_sim.store import Json, Store
from okrsync.jira_sim.webhooks import WebhookDispatcher

DATASETS = ("demo", "generated", "empty")


def build_store(
    flavor: Flavor,
    dataset: str = "demo",
    *,
    epics: int = 20,
    issues_per_epic: int = 10,
    seed: int = 1,
    okr_fields: bool = False,
    clock: Callable[[], datetime] | None = None,
    demo_start: date | None = None,
    team_managed: Sequence[str] = (),
) -> Store:
    """A fresh store holding ``dataset`` (``demo``, ``generated`` or ``empty``) in ``flavor``.

    ``demo_start`` is the first day of the demo company's period (default: the pinned 2026-10-01);
    ``team_managed``: keys of its projects to make team-managed (Cloud only), whose issues take no
    global custom field.
    """
    from okrsync.jira_sim.datasets import common, demo, generated

    store = Store(flavor, clock=clock)
    common.add_standard_users(store)
    if dataset == "demo":
        demo.build(store, demo_start or demo.DEFAULT_START)
    elif dataset == "generated":
        generated.build(store, epics=epics, issues_per_epic=issues_per_epic, seed=seed)
    elif dataset != "empty":
        raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    if okr_fields:
        common.add_okr_fields(store)
    for key in team_managed:
        store.set_team_managed(key)
    store.version = 0
    return store


class JiraSimulator:
    """A Jira Cloud or Data Center stand-in serving real HTTP on ``host:port`` (0 = a free port)."""

    def __init__(
        self,
        flavor: Flavor = "cloud",
        dataset: str = "demo",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        epics: int = 20,
        issues_per_epic: int = 10,
        seed: int = 1,
        okr_fields: bool = False,
        load: Path | str | None = None,
        faults: FaultConfig | Mapping[str, Any] | None = None,
        clock: Callable[[], datetime] | None = None,
        webhook_backoff_seconds: float = 0.05,
        demo_start: date | None = None,
        team_managed: Sequence[str] = (),
        index_lag_seconds: float = 0.0,
        index_clock: Callable[[], float] | None = None,
        strict: bool = True,
        validate_responses: bool = False,
    ) -> None:
        """``index_lag_seconds``: how long Cloud's search index takes to show a write (0: at once; see
        :mod:`okrsync.jira_sim.search_index`); ``POST /_sim/faults`` changes it until :meth:`reset`.
        ``index_clock``: the seconds that lag is measured in (default ``time.monotonic``)."""
        if flavor not in catalog.FLAVORS:
            raise ValueError(f"flavor must be 'cloud' or 'datacenter', not {flavor!r}")
        self.flavor: Flavor = flavor
        self.host = host
        self.port = port
        self._load = load
        self._build: dict[str, Any] = {
            "dataset": dataset,
            "epics": epics,
            "issues_per_epic": issues_per_epic,
            "seed": seed,
            "okr_fields": okr_fields,
            "clock": clock,
            "demo_start": demo_start,
            "team_managed": tuple(team_managed),
        }
        self._initial_faults = faults
        self._index_lag = float(index_lag_seconds)
        self._index_clock = index_clock
        # Jira's contract (okrsync/jira_sim/contract): strict refuses what Jira refuses; either way
        # every deviation is recorded (requests()["deviations"]); validate_responses checks answers too
        self._contract_args = {"strict": strict, "validate_responses": validate_responses}
        self.contract = ContractGuard(flavor, **self._contract_args)
        self._webhook_backoff = webhook_backoff_seconds
        self.store = self._fresh_store()
        self.faults = self._fresh_faults()
        self.request_log = RequestLog()
        self.webhooks = WebhookDispatcher(self, backoff_seconds=webhook_backoff_seconds)
        self.store.listeners.append(self.webhooks.on_event)
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _fresh_store(self) -> Store:
        if self._load is not None:
            store = Store(self.flavor, clock=self._build["clock"])
            store.load_json(json.loads(Path(self._load).read_text(encoding="utf-8")))
        else:
            store = build_store(self.flavor, **self._build)
        # the site as built is indexed; the writes after it lag
        store.index = SearchIndex(self._index_lag, self._index_clock)
        return store

    def _fresh_faults(self) -> Faults:
        faults = Faults(flavor=self.flavor)
        if isinstance(self._initial_faults, FaultConfig):
            faults.config = self._initial_faults
        elif self._initial_faults:
            faults.update(self._initial_faults)
        return faults

    def reset(self) -> JiraSimulator:
        """Back to the site it started as, on the same port: its dataset afresh, the faults it was
        made with, no request log, no webhook deliveries (pending ones are dropped).

        For reusing one running server across tests (starting and stopping one costs ~70 ms).
        """
        running = self._server is not None
        self.webhooks.stop()
        store = self._fresh_store()
        self.webhooks = WebhookDispatcher(self, backoff_seconds=self._webhook_backoff)
        store.listeners.append(self.webhooks.on_event)
        self.store = store
        self.faults = self._fresh_faults()
        self.request_log.reset()
        self.contract = ContractGuard(self.flavor, **self._contract_args)
        if running:
            self.webhooks.start()
        return self

    @property
    def running(self) -> bool:
        return self._server is not None

    # ------------------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> JiraSimulator:
        import okrsync.jira_sim.routes  # noqa: F401 - registers the routes

        self._server = make_server(self, self.host, self.port)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"jira-sim-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.webhooks.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.webhooks.stop()

    def serve_forever(self) -> None:
        """Block until the server is shut down (``stop`` from another thread)."""
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> JiraSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------------- test helpers

    @property
    def credentials(self) -> tuple[str, str]:
        """Basic-auth credentials of the demo admin (email, API token)."""
        return catalog.DEMO_EMAIL, catalog.DEMO_TOKEN

    def set_faults(self, **changes: Any) -> FaultConfig:
        return self.faults.update(changes)

    def clear_faults(self) -> None:
        self.faults.update(FaultConfig().to_json())

    def set_off_screen(self, project: str, fields: list[str]) -> None:
        with self.store.lock:
            self.store.off_screen[project] = list(fields)

    def set_team_managed(self, project: str, team_managed: bool = True) -> None:
        """Make ``project`` team-managed (its issues refuse global custom fields), or classic again."""
        with self.store.lock:
            self.store.set_team_managed(project, team_managed)

    def set_index_lag(self, seconds: float) -> None:
        """How long Cloud's search index takes to show a write from now on (until :meth:`reset`)."""
        with self.store.lock:
            self.store.index.lag_seconds = seconds

    def index_catch_up(self) -> None:
        """Cloud's search index shows every write made so far, as it would ``index_lag_seconds`` later."""
        with self.store.lock:
            self.store.index.catch_up()

    def put_on_screens(self) -> None:
        """Every field on every project's screen, as an admin puts them by hand (a field made over
        REST is on none; on Data Center setup leaves this as a manual step)."""
        with self.store.lock:
            self.store.off_screen.clear()

    def requests(self) -> dict[str, Any]:
        """What ``GET /_sim/requests`` answers."""
        out = self.request_log.snapshot()
        out["retry_after_violations"] = list(self.faults.retry_after_violations)
        out["deviations"] = self.contract.log.entries()
        return out

    def deviations(self) -> list[dict[str, Any]]:
        """The requests (and, with ``validate_responses``, answers) that broke Jira's contract."""
        return self.contract.log.entries()

    def reset_counters(self) -> None:
        self.request_log.reset()
        self.contract.log.reset()
        self.faults.reset_measurements()

    def _actor(self, who: str | None) -> Json | None:
        with self.store.lock:
            if who is None:
                return self.store.users.get(catalog_demo_account())
            user = self.store.user_by_ref(who)
            if user is None:
                raise ValueError(f"no user {who!r}")
            return user

    def transition(
        self, key: str, status: str, *, resolution: str | None = None, by: str | None = None
    ) -> None:
        """Move ``key`` to ``status`` as a user would (changelog, webhooks, status category date)."""
        actor = self._actor(by)
        with self.store.lock:
            self.store.transition(key, status, actor, resolution=resolution)

    def set_fields(self, key: str, values: Mapping[str, Any], *, by: str | None = None) -> None:
        """Change fields (by id or name) as a user would: no screen checks, changelog, webhooks."""
        actor = self._actor(by)
        with self.store.lock:
            self.store.set_fields_as_user(key, values, actor)

    def add_field_options(self, field: str, values: list[str]) -> list[Json]:
        with self.store.lock:
            fdef = self.store.field(field) or self.store.field_by_name(field)
            if fdef is None:
                raise ValueError(f"no field {field!r}")
            return self.store.add_field_options(str(fdef["id"]), values)

    def issue(self, key: str) -> Json:
        """The stored issue (a deep copy)."""
        with self.store.lock:
            return cast(Json, json.loads(json.dumps(self.store.get_issue(key))))

    def field_id(self, name: str) -> str:
        with self.store.lock:
            fdef = self.store.field_by_name(name)
            if fdef is None:
                raise KeyError(name)
            return str(fdef["id"])

    def comments(self, key: str) -> list[Json]:
        with self.store.lock:
            return cast(list[Json], json.loads(json.dumps(self.store.comments.get(key, []))))

    def save(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.store.to_json()), encoding="utf-8")

    def load(self, path: Path | str) -> None:
        self.store.load_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def webhook_deliveries(self, wait: float = 10.0) -> list[dict[str, Any]]:
        self.webhooks.wait_idle(wait)
        return list(self.webhooks.deliveries)


def catalog_demo_account() -> str:
    from okrsync.jira_sim.datasets.common import DEMO_ACCOUNT

    return DEMO_ACCOUNT
