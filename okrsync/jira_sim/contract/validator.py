"""Every request checked against its dialect's operation: path, method, parameters, body, rules.

``load_contract("cloud")`` reads the packaged contract once; :meth:`Contract.check_request` matches a
request to its operation (method + path template; literal segments win over parameters, as
``/filter/search`` over ``/filter/{id}``) and lists what is wrong with it:

- a query parameter the operation does not declare, one that is missing though required, a value
  of the wrong type (integer, number, boolean; each item of an array, which Jira takes repeated or
  comma-separated) or outside its ``enum`` / bounds, an ``expand`` value its description does not
  list (``x-okrsync-expand``);
- a path parameter of the wrong type;
- a request body that is not JSON, missing though required, or invalid against the schema;
- the rules the operation's description states (:mod:`okrsync.jira_sim.contract.rules`).

:meth:`Contract.check_response` checks a success response's body against the spec's schema for its
status (and that the status is one the operation documents).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from okrsync.jira_sim.contract import rules
from okrsync.jira_sim.contract.paths import spec_path
from okrsync.jira_sim.contract.schema import SchemaSet

_INT = re.compile(r"^[+-]?\d+$")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


@dataclass
class Operation:
    index: int
    method: str
    path: str
    operation_id: str
    spec: dict[str, Any]
    regex: re.Pattern[str] = field(init=False)
    literal_segments: int = field(init=False)

    def __post_init__(self) -> None:
        parts, pos = [], 0
        for m in _PLACEHOLDER.finditer(self.path):
            parts.append(re.escape(self.path[pos : m.start()]))
            parts.append(f"(?P<p{len(parts)}>[^/]+)")
            pos = m.end()
        parts.append(re.escape(self.path[pos:]))
        self.regex = re.compile("^" + "".join(parts) + "/?$")
        self.literal_segments = sum(1 for s in self.path.split("/") if s and not s.startswith("{"))
        self.path_names = _PLACEHOLDER.findall(self.path)

    @property
    def name(self) -> str:
        """``GET /rest/api/3/issue/{issueIdOrKey}``: how deviations name the operation."""
        return f"{self.method} {self.path}"

    def params(self, where: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec["parameters"] if p["in"] == where}


@dataclass
class RequestCheck:
    """The operation a request matched (None: the dialect has none) and what is wrong with it."""

    operation: Operation | None
    reasons: list[str]
    status: int = 400  # Jira's answer to a request that breaks the contract (404: no such operation)

    @property
    def ok(self) -> bool:
        return not self.reasons


class Contract:
    """One dialect's operations and schemas (see :func:`load_contract`)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.dialect: str = data["dialect"]
        self.spec_info: dict[str, Any] = data["spec"]
        self.not_in_spec: list[str] = data.get("notInSpec", [])
        self.operations = [
            Operation(i, op["method"], op["path"], op["operationId"], op)
            for i, op in enumerate(data["operations"])
        ]
        components = data["components"]["schemas"]
        request_parts: dict[str, Any] = {}
        response_parts: dict[str, Any] = {}
        for op in self.operations:
            for prm in op.spec["parameters"]:
                request_parts[f"{op.index}.{prm['in']}.{prm['name']}"] = prm["schema"]
            body = op.spec["requestBody"]
            if body is not None and body["schema"] is not None:
                request_parts[f"{op.index}.body"] = body["schema"]
            for code, resp in op.spec["responses"].items():
                if resp["schema"] is not None:
                    response_parts[f"{op.index}.{code}"] = resp["schema"]
        uri = f"urn:okrsync:jira-contract:{self.dialect}"
        self.requests = SchemaSet(uri + ":request", components, request_parts, "request")
        self.responses = SchemaSet(uri + ":response", components, response_parts, "response")
        self._by_method: dict[str, list[Operation]] = {}
        for op in sorted(self.operations, key=lambda o: -o.literal_segments):
            self._by_method.setdefault(op.method, []).append(op)

    # ------------------------------------------------------------------------------ matching

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str]]:
        """The operation for ``method path`` (a request path) and its path parameters."""
        target = spec_path(self.dialect, path)
        if target is None:
            return None, {}
        for op in self._by_method.get(method, []):
            m = op.regex.match(target)
            if m is not None:
                values = [v for _, v in sorted(m.groupdict().items(), key=lambda kv: int(kv[0][1:]))]
                return op, dict(zip(op.path_names, values, strict=True))
        return None, {}

    def operation(self, method: str, path: str) -> Operation:
        """The operation with this spec path (for tests and rules)."""
        for op in self.operations:
            if op.method == method and op.path == path:
                return op
        raise KeyError(f"{method} {path}")

    # ------------------------------------------------------------------------------ requests

    def check_request(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> RequestCheck:
        op, path_values = self.match(method, path)
        if op is None:
            label = "Jira Cloud" if self.dialect == "cloud" else "Jira Data Center"
            return RequestCheck(
                None,
                [
                    f"{method} {path} is not an operation of {label} in the contract derived from "
                    f"{self.spec_info['file']} (if the spec has it: scripts/derive_jira_contract.py)"
                ],
                404,
            )
        reasons: list[str] = []
        for name, value in path_values.items():
            prm = op.params("path").get(name)
            if prm is not None:
                reasons.extend(self._param_errors(op, prm, [value], "path parameter"))
        declared = op.params("query")
        for name, values in query.items():
            prm = declared.get(name)
            if prm is None:
                known = ", ".join(sorted(declared)) or "none"
                reasons.append(
                    f"query parameter '{name}' is not a parameter of {op.operation_id} (it takes: {known})"
                )
                continue
            reasons.extend(self._param_errors(op, prm, values, "query parameter"))
        for name, prm in declared.items():
            if prm["required"] and name not in query:
                reasons.append(f"query parameter '{name}' is required by {op.operation_id}")
        data, body_reasons, parsed = self._body(op, path, body)
        reasons.extend(body_reasons)
        if parsed:
            reasons.extend(rules.check(self.dialect, op, path, query, data, body))
        return RequestCheck(op, reasons)

    def _body(self, op: Operation, path: str, raw: bytes) -> tuple[Any, list[str], bool]:
        """(the body's JSON, what is wrong with it, whether it parsed: the rules read it then)."""
        spec = op.spec["requestBody"]
        if not raw.strip():
            if spec is not None and spec["required"]:
                return None, [f"{op.operation_id} needs a request body"], False
            return None, [], True
        if spec is None:
            return None, [f"{op.operation_id} takes no request body"], False
        try:
            data = json.loads(raw)
        except ValueError:
            return None, ["the request body is not valid JSON"], False
        if self.dialect == "cloud" and not path.startswith("/rest/api/3/"):
            # Cloud's spec describes v3 bodies; v2 shares the operations with wiki-text (not ADF)
            # bodies, which it does not describe: only v3 bodies are checked against the schemas.
            return data, [], True
        part = f"{op.index}.body"
        if not self.requests.has(part):
            return data, [], True
        return data, self.requests.errors(part, data), True

    def _param_errors(self, op: Operation, prm: dict[str, Any], values: list[str], kind: str) -> list[str]:
        part = f"{op.index}.{prm['in']}.{prm['name']}"
        schema = self._resolved(prm["schema"])
        label = f"{kind} '{prm['name']}'"
        if _is_loose(schema):
            return []  # Data Center's generator types a list of strings as a bare object (StringList)
        if schema.get("type") == "array":
            item_schema = self._resolved(schema.get("items") or {})
            if item_schema.get("type") == "object":
                return []  # Data Center: an array of StringList (a bare object), i.e. strings
            items: list[Any] = []
            for value in values:
                for raw in value.split(","):  # repeated and comma-separated, as Jira takes them
                    converted, err = _convert(raw, item_schema)
                    if err:
                        return [f"{label}: {raw!r} {err}"]
                    items.append(converted)
            instance: Any = items
        else:
            if len(values) > 1:
                return [f"{label} is given {len(values)} times; it takes one value"]
            converted, err = _convert(values[0], schema)
            if err:
                return [f"{label}: {values[0]!r} {err}"]
            instance = converted
        out = [f"{label}: {e.message}" for e in self.requests.validator(part).iter_errors(instance)][:3]
        vocabulary = prm.get("x-okrsync-expand")
        if vocabulary is not None and not out:
            for value in values:
                for item in filter(None, (v.strip() for v in value.split(","))):
                    if item not in vocabulary:
                        out.append(
                            f"{label}: {item!r} is not an expand option of {op.operation_id} "
                            f"(its description lists: {', '.join(vocabulary)})"
                        )
        return out

    def _resolved(self, schema: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 10:
            name = str(schema["$ref"]).rsplit("/", 1)[1]
            schema = self.requests.registry.contents(self.requests.uri)["components"]["schemas"][name]
            seen += 1
        return schema if isinstance(schema, dict) else {}

    # ------------------------------------------------------------------------------ responses

    def check_response(self, op: Operation, status: int, body: Any) -> list[str]:
        """What is wrong with a 2xx response ``body`` of ``op`` (empty: it matches the spec)."""
        responses = op.spec["responses"]
        code = str(status)
        if code not in responses:
            documented = ", ".join(sorted(responses)) or "none"
            return [f"{op.operation_id} answered {status}; its documented success statuses: {documented}"]
        part = f"{op.index}.{code}"
        if body is None or not self.responses.has(part):
            return []
        return self.responses.errors(part, body)


def _is_loose(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or (not schema.get("type") and not schema.get("enum"))


def _convert(raw: str, schema: dict[str, Any]) -> tuple[Any, str]:
    """A query or path string as the JSON value its schema types it (value, error)."""
    kind = schema.get("type")
    if kind == "integer":
        if not _INT.match(raw.strip()):
            return None, "is not an integer"
        return int(raw), ""
    if kind == "number":
        try:
            return float(raw), ""
        except ValueError:
            return None, "is not a number"
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            return None, "is not a boolean (true or false)"
        return raw.lower() == "true", ""
    return raw, ""


@cache
def load_contract(dialect: str) -> Contract:
    """The packaged contract of ``dialect`` (``cloud`` or ``datacenter``), read once per process."""
    if dialect not in ("cloud", "datacenter"):
        raise ValueError(f"no Jira contract for dialect {dialect!r}; use 'cloud' or 'datacenter'")
    raw = resources.files("okrsync.jira_sim.contract").joinpath(f"{dialect}.json.gz").read_bytes()
    return Contract(json.loads(gzip.decompress(raw)))
