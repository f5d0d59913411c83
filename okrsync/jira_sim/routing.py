"""Request/response types and the route table shared by the server and the ``routes_*`` modules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from okrsync.jira_sim.errors import ApiError

if TYPE_CHECKING:
    from okrsync.jira_sim.simulator import JiraSimulator
    from okrsync.jira_sim.store import Json, Store


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    params: dict[str, str]
    version: str  # "2" or "3" ("latest" means 2); "" outside /rest/api
    sim: JiraSimulator
    user: Json | None = None

    @property
    def store(self) -> Store:
        return self.sim.store

    @property
    def base(self) -> str:
        return self.sim.url

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise ApiError(400, "Unexpected character in the request body: it is not valid JSON.") from None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ApiError(400, "Can not deserialize the request body: a JSON object is expected.")
        return data

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def q_all(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def q_int(self, name: str, default: int) -> int:
        raw = self.q(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"The value '{raw}' is invalid for the '{name}' parameter.") from None

    def q_bool(self, name: str, default: bool) -> bool:
        raw = self.q(name)
        if raw is None:
            return default
        return raw.lower() not in ("false", "0", "no")

    @property
    def me(self) -> Json:
        assert self.user is not None
        return self.user


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    auth: bool = True
    flavors: tuple[str, ...] = ("cloud", "datacenter")
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        parts: list[str] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(self.template):
            parts.append(re.escape(self.template[pos : m.start()]))
            name = m.group(1)
            parts.append(r"(?P<ver>2|3|latest)" if name == "ver" else rf"(?P<{name}>[^/]+)")
            pos = m.end()
        parts.append(re.escape(self.template[pos:]))
        self.regex = re.compile("^" + "".join(parts) + "/?$")

    def counted(self, version: str) -> str:
        """The path template as counted in ``/_sim/requests`` (the API version filled in)."""
        return self.template.replace("{ver}", version)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        *,
        auth: bool = True,
        flavors: tuple[str, ...] = ("cloud", "datacenter"),
    ) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            for m in method.split("|"):
                self.routes.append(Route(m, template, fn, auth=auth, flavors=flavors))
            return fn

        return deco

    def match(self, method: str, path: str, flavor: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known): path_known is True when another method would match (405)."""
        path_known = False
        for route in self.routes:
            if flavor not in route.flavors:
                continue
            m = route.regex.match(path)
            if m is None:
                continue
            params = {k: v for k, v in m.groupdict().items() if v is not None}
            if params.get("ver") == "3" and flavor == "datacenter":
                continue
            if route.method != method:
                path_known = True
                continue
            return route, params, True
        return None, {}, path_known


ROUTER = Router()
route = ROUTER.add
