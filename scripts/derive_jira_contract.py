#!/usr/bin/env python3
"""Derive the simulator's compact Jira contract from Atlassian's OpenAPI descriptions.

    .venv/bin/python scripts/derive_jira_contract.py                 # the specs in ../shared/jira-specs
    .venv/bin/python scripts/derive_jira_contract.py --specs DIR     # or another folder
    .venv/bin/python scripts/derive_jira_contract.py --check         # exit 1 if the committed files differ

Run from the repository root. Writes ``okrsync/jira_sim/contract/cloud.json.gz`` and
``datacenter.json.gz``: per dialect only the operations okrsync and the simulator use, found from

* the simulator's route table (``okrsync/jira_sim/routes/*``, every route and method it serves), and
* every ``/rest/...`` path okrsync's gateway names (``okrsync/jira`` and ``okrsync/provision``
  sources, all methods Jira has at that path),

each with its path, method, parameters (``in``, ``name``, ``required``, ``schema``), request body
schema and the schemas of its success responses; ``$ref`` s are kept, with the component schemas
they reach (``components.schemas``), so the file validates exactly as the spec does. Examples are
dropped (the bulk of the specs); descriptions are kept, since the rules an operation's text states
are part of the contract.

The known defects of the spec files (their README) are patched here, each patch marked in the
output with ``x-okrsync-patch``; the expand vocabularies that the parameter descriptions list are
copied to ``x-okrsync-expand`` (checked against the description text). Deterministic: the same
specs and sources give byte-identical files (``tests/jira_sim/test_contract_file.py`` checks it).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# where a used path lands in each spec, and the simulator's routes no spec describes (exempt)
from okrsync.jira_sim.contract.paths import EXEMPT_PREFIXES, spec_path  # noqa: E402

DEFAULT_SPECS = ROOT.parent / "shared" / "jira-specs"
OUT_DIR = ROOT / "okrsync" / "jira_sim" / "contract"
GATEWAY_SOURCES = ("okrsync/jira", "okrsync/provision")

SPEC_FILES = {"cloud": "jira-cloud-platform-v3.json.gz", "datacenter": "jira-dc-10.3.json.gz"}
METHODS = ("get", "post", "put", "delete", "patch")

# Annotation keywords dropped from schemas (never from a `properties` map, whose keys are names).
_DROP = frozenset({"example", "examples", "externalDocs", "xml"})

# The expand values each operation's parameter description lists, copied into the contract as
# `x-okrsync-expand` (the validator refuses others). Each value must appear in the description.
EXPAND: dict[tuple[str, str, str, str], tuple[str, ...]] = {
    # "This parameter accepts `renderedBody`, which returns the comment body rendered in HTML."
    ("cloud", "GET", "/rest/api/3/issue/{issueIdOrKey}/comment", "expand"): ("renderedBody",),
    ("cloud", "POST", "/rest/api/3/issue/{issueIdOrKey}/comment", "expand"): ("renderedBody",),
    ("cloud", "GET", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "expand"): ("renderedBody",),
    ("cloud", "PUT", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "expand"): ("renderedBody",),
    # "Optional flags: renderedBody (provides body rendered in HTML)"
    ("datacenter", "GET", "/api/2/issue/{issueIdOrKey}/comment", "expand"): ("renderedBody",),
    ("datacenter", "POST", "/api/2/issue/{issueIdOrKey}/comment", "expand"): ("renderedBody",),
    ("datacenter", "GET", "/api/2/issue/{issueIdOrKey}/comment/{id}", "expand"): ("renderedBody",),
    ("datacenter", "PUT", "/api/2/issue/{issueIdOrKey}/comment/{id}", "expand"): ("renderedBody",),
    # "Expand options include: renderedFields, names, schema, transitions, editmeta, changelog,
    # versionedRepresentations" (and operations on Data Center)
    ("cloud", "GET", "/rest/api/3/issue/{issueIdOrKey}", "expand"): (
        "renderedFields",
        "names",
        "schema",
        "transitions",
        "editmeta",
        "changelog",
        "versionedRepresentations",
    ),
    ("datacenter", "GET", "/api/2/issue/{issueIdOrKey}", "expand"): (
        "renderedFields",
        "names",
        "schema",
        "transitions",
        "operations",
        "editmeta",
        "changelog",
        "versionedRepresentations",
    ),
    ("cloud", "GET", "/rest/api/3/search/jql", "expand"): (
        "renderedFields",
        "names",
        "schema",
        "transitions",
        "operations",
        "editmeta",
        "changelog",
        "versionedRepresentations",
    ),
}
# The same vocabulary for a body property (search/jql POST: `expand` "a comma-delimited string").
BODY_EXPAND: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("cloud", "POST", "/rest/api/3/search/jql"): EXPAND[("cloud", "GET", "/rest/api/3/search/jql", "expand")],
}


# ----------------------------------------------------------------------------- operations used


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))


def _fills(spec: str, used: str) -> bool:
    """Whether a used path (template) is an instance of the spec's path: each spec parameter takes
    any segment, each literal segment must be the same (``properties/okrsync`` fills
    ``properties/{propertyKey}``)."""
    a, b = spec.rstrip("/").split("/"), used.rstrip("/").split("/")
    return len(a) == len(b) and all(
        x == y or (x.startswith("{") and x.endswith("}")) for x, y in zip(a, b, strict=False)
    )


def find_path(spec: dict[str, Any], target: str | None) -> str | None:
    """The spec path a used path is (exact template first, then the most literal one it fills)."""
    if target is None:
        return None
    norm = _norm(target)
    for path in spec["paths"]:
        if _norm(path) == norm:
            return path
    filled = [p for p in spec["paths"] if _fills(p, target)]
    return max(filled, key=lambda p: sum(not seg.startswith("{") for seg in p.split("/")), default=None)


def route_uses() -> list[tuple[str, str, str]]:
    """(dialect, METHOD, path template) of every simulator route."""
    import okrsync.jira_sim.routes  # noqa: F401 - registers the routes
    from okrsync.jira_sim.routing import ROUTER

    return [(flavor, r.method, r.template) for r in ROUTER.routes for flavor in r.flavors]


_PATH_LITERAL = re.compile(r"/rest/api/(?:2|3|latest|\{v\}|\{ver\})/[A-Za-z0-9_{}/.-]*[A-Za-z0-9_}]")


def gateway_paths(root: Path = ROOT) -> list[str]:
    """Every ``/rest/api/...`` path named in the gateway's sources (code, docstrings, comments)."""
    found: set[str] = set()
    for folder in GATEWAY_SOURCES:
        for source in sorted((root / folder).rglob("*.py")):
            found.update(_PATH_LITERAL.findall(source.read_text(encoding="utf-8")))
    return sorted(found)


def used_operations(spec: dict[str, Any], dialect: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The (METHOD, spec path) pairs used in ``dialect``, and the simulator's routes that match none.

    A gateway path that is not in this dialect's spec is another dialect's (``unknown_gateway_paths``
    lists those in neither)."""
    by_norm: dict[str, str] = {_norm(p): p for p in spec["paths"]}
    used: set[tuple[str, str]] = set()
    unmatched: list[str] = []
    for flavor, method, template in route_uses():
        if flavor != dialect or template.startswith(EXEMPT_PREFIXES):
            continue
        target = spec_path(dialect, template)
        path = by_norm.get(_norm(target)) if target else None
        if path is None or method.lower() not in spec["paths"][path]:
            unmatched.append(f"simulator route {method} {template}")
            continue
        used.add((method, path))
    for literal in gateway_paths():
        if dialect == "datacenter" and literal.startswith("/rest/api/3/"):
            continue  # Cloud's v3: a Data Center site has no /rest/api/3
        path = find_path(spec, spec_path(dialect, literal))
        if path is not None:
            used.update((m.upper(), path) for m in METHODS if m in spec["paths"][path])
    return sorted(used, key=lambda mp: (mp[1], METHODS.index(mp[0].lower()))), sorted(set(unmatched))


# ----------------------------------------------------------------------------- trimming


def clean_schema(schema: Any) -> Any:
    """A schema without examples (kept: types, refs, enums, required, nullable, descriptions)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP or key.startswith("x-"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: clean_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = clean_schema(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [clean_schema(sub) for sub in value]
        else:
            out[key] = value
    return out


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _json_content(content: dict[str, Any] | None) -> tuple[str | None, Any]:
    """(media type, schema) of a JSON content map; schema ``{}`` when the type gives none."""
    for media in sorted(content or {}):
        if "json" in media or media == "*/*":
            return media, clean_schema((content or {})[media].get("schema", {}))
    return None, None


def unknown_gateway_paths(specs: dict[str, dict[str, Any]]) -> list[str]:
    """Gateway paths that match an operation of neither dialect (a typo, or an operation Jira lacks)."""
    unknown = []
    for literal in gateway_paths():
        if not any(find_path(spec, spec_path(dialect, literal)) for dialect, spec in specs.items()):
            unknown.append(literal)
    return unknown


def trim_operation(method: str, path: str, op: dict[str, Any], common: list[Any]) -> dict[str, Any]:
    params = []
    for prm in [*common, *op.get("parameters", [])]:
        params.append(
            {
                "in": prm["in"],
                "name": prm["name"],
                "required": bool(prm.get("required", prm["in"] == "path")),
                "schema": clean_schema(prm.get("schema", {})),
                "description": prm.get("description", ""),
            }
        )
    out: dict[str, Any] = {
        "method": method,
        "path": path,
        "operationId": op.get("operationId", ""),
        "summary": op.get("summary", ""),
        "description": op.get("description", ""),
        "deprecated": bool(op.get("deprecated", False)),
        "parameters": sorted(params, key=lambda p: (p["in"], p["name"])),
        "requestBody": None,
        "responses": {},
    }
    body = op.get("requestBody")
    if body is not None:
        media, schema = _json_content(body.get("content"))
        out["requestBody"] = {
            "required": bool(body.get("required", False)),
            "contentTypes": sorted(body.get("content", {})),
            "mediaType": media,
            "schema": schema,
            "description": body.get("description", ""),
        }
    for code, resp in sorted(op.get("responses", {}).items()):
        if not (code.startswith("2") and len(code) == 3):
            continue
        media, schema = _json_content(resp.get("content"))
        out["responses"][code] = {"mediaType": media, "schema": schema}
    return out


# ----------------------------------------------------------------------------- known defects


def _mark(schema: dict[str, Any], why: str) -> dict[str, Any]:
    schema["x-okrsync-patch"] = why
    return schema


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def patch_cloud(contract: dict[str, Any]) -> None:
    schemas = contract["components"]["schemas"]
    # README: Cloud `DashboardGadgetPosition` names its properties by their descriptions; the spec's
    # own examples use {"column": 1, "row": 0}. Accept both forms.
    pos = schemas.get("DashboardGadgetPosition")
    if pos is not None:
        schemas["DashboardGadgetPosition"] = _mark(
            {
                "anyOf": [
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "column": {"type": "integer", "format": "int32"},
                            "row": {"type": "integer", "format": "int32"},
                        },
                        "required": ["column", "row"],
                    },
                    pos,
                ]
            },
            "README: properties named by their descriptions; the examples use column/row",
        )
    # README: Cloud's changelog/bulkfetch examples show `created` as a number where the schema says a
    # date-time string: accept both.
    _created_either(schemas, "Changelog")
    # Defect: `IssueEntityPropertiesForMultiUpdate.properties` (POST /rest/api/3/issue/properties/multi)
    # types each property value as `JsonNode`, the bean of Jackson's Java class (isArray, textValue,
    # ... with additionalProperties false and 1-10 members): a serialization artefact. The operation
    # takes any JSON value there, as the PUT of one property does ("a valid, non-empty JSON").
    multi = schemas.get("IssueEntityPropertiesForMultiUpdate", {}).get("properties", {}).get("properties")
    if isinstance(multi, dict) and multi.get("additionalProperties") == {
        "$ref": "#/components/schemas/JsonNode"
    }:
        multi["additionalProperties"] = _mark(
            {}, "spec defect: JsonNode (Jackson's Java bean) where any JSON value is meant"
        )


def _created_either(schemas: dict[str, Any], name: str) -> None:
    schema = schemas.get(name)
    if schema is None or "created" not in schema.get("properties", {}):
        return
    created = schema["properties"]["created"]
    schema["properties"]["created"] = _mark(
        {"anyOf": [created, {"type": "number"}]},
        "README: examples show `created` as a number (epoch milliseconds): accept both",
    )


def _is_loose_object(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "object"
        and not schema.get("properties")
        and "additionalProperties" not in schema
        and "$ref" not in schema
        and not any(k in schema for k in ("allOf", "anyOf", "oneOf"))
    )


def patch_datacenter(contract: dict[str, Any]) -> None:
    schemas = contract["components"]["schemas"]
    # README: Data Center types JSON values as {type: string, format: json}, and its generator types
    # a Java Object / JsonNode value (IssueBean.fields, IssueUpdateBean.fields, FieldOperation.value,
    # an entity property's value) as a bare {type: object} or a string: any JSON value there.
    for node in _walk(contract):
        for key in ("additionalProperties", "items"):
            sub = node.get(key)
            if _is_loose_object(sub):
                node[key] = _mark({}, "README: Data Center types JSON values loosely: any JSON value")
        for name, sub in list((node.get("properties") or {}).items()):
            if not isinstance(sub, dict):
                continue
            if _is_loose_object(sub) or (sub.get("type") == "string" and sub.get("format") == "json"):
                node["properties"][name] = _mark({}, "README: Data Center types JSON values loosely")
    for op in contract["operations"]:
        body = op["requestBody"]
        if body and isinstance(body["schema"], dict) and body["schema"].get("format") == "json":
            body["schema"] = _mark({}, "README: a JSON value typed {type: string, format: json}")
    prop = schemas.get("EntityPropertyBean", {}).get("properties", {})
    if "value" in prop:
        prop["value"] = _mark({}, "README: an entity property's value is any JSON, typed a string")
    # README: Data Center returns arrays where an item schema is declared (GET /field, /status,
    # /project, /filter/favourite ...): a response may be the item or a list of items.
    for op in contract["operations"]:
        for resp in op["responses"].values():
            schema = resp["schema"]
            if isinstance(schema, dict) and schema.get("type") != "array" and schema:
                resp["schema"] = _mark(
                    {"anyOf": [schema, {"type": "array", "items": schema}]},
                    "README: Data Center returns arrays where an item schema is declared",
                )
    # README: Data Center's .../changelog examples show `created` as a number: accept both.
    for name in ("ChangeHistoryBean", "ChangeHistory"):
        _created_either(schemas, name)


PATCHES: dict[str, Callable[[dict[str, Any]], None]] = {"cloud": patch_cloud, "datacenter": patch_datacenter}


def add_expand(contract: dict[str, Any], dialect: str) -> None:
    for op in contract["operations"]:
        for prm in op["parameters"]:
            values = EXPAND.get((dialect, op["method"], op["path"], prm["name"]))
            if values is None:
                continue
            _check_listed(values, prm["description"], f"{op['method']} {op['path']} {prm['name']}")
            prm["x-okrsync-expand"] = list(values)
        values = BODY_EXPAND.get((dialect, op["method"], op["path"]))
        if values is not None and op["requestBody"]:
            op["requestBody"]["x-okrsync-expand"] = list(values)
    wanted = {k for k in EXPAND if k[0] == dialect}
    have = {
        (dialect, op["method"], op["path"], p["name"])
        for op in contract["operations"]
        for p in op["parameters"]
    }
    missing = sorted(wanted - have)
    if missing:
        raise SystemExit(f"derive_jira_contract: expand vocabularies of operations not in it: {missing}")


def _check_listed(values: Iterable[str], description: str, where: str) -> None:
    for value in values:
        if value not in description:
            raise SystemExit(f"derive_jira_contract: {where}: {value!r} is not in its description")


# ----------------------------------------------------------------------------- the contract


def derive(dialect: str, spec_file: Path) -> dict[str, Any]:
    raw = gzip.decompress(spec_file.read_bytes())
    spec = json.loads(raw)
    used, unmatched = used_operations(spec, dialect)
    operations = []
    for method, path in used:
        item = spec["paths"][path]
        operations.append(trim_operation(method, path, item[method.lower()], item.get("parameters", [])))
    schemas: dict[str, Any] = {}
    pending = sorted(set(_refs(operations)))
    all_schemas = spec["components"]["schemas"]
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        schemas[name] = clean_schema(all_schemas[name])
        pending.extend(sorted(set(_refs(schemas[name])) - set(schemas)))
    contract: dict[str, Any] = {
        "dialect": dialect,
        "spec": {
            "file": spec_file.name,
            "title": spec["info"].get("title", ""),
            "version": spec["info"].get("version", ""),
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
        "derivedBy": "scripts/derive_jira_contract.py",
        "notInSpec": unmatched,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
    PATCHES[dialect](contract)
    add_expand(contract, dialect)
    return contract


def encode(contract: dict[str, Any]) -> bytes:
    """Gzipped, sorted JSON with a fixed mtime: the same contract gives the same bytes."""
    text = json.dumps(contract, sort_keys=True, indent=None, separators=(",", ":"), ensure_ascii=False)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as fh:
        fh.write(text.encode("utf-8"))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of the gzipped specs")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder to write the contract files to")
    parser.add_argument("--check", action="store_true", help="compare with the files in --out, write nothing")
    args = parser.parse_args(argv)
    stale = []
    specs = {d: json.loads(gzip.decompress((args.specs / n).read_bytes())) for d, n in SPEC_FILES.items()}
    for literal in unknown_gateway_paths(specs):
        print(f"warning: the gateway names {literal}, an operation of neither dialect", file=sys.stderr)
    for dialect, name in SPEC_FILES.items():
        data = encode(derive(dialect, args.specs / name))
        target = args.out / f"{dialect}.json.gz"
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        contract = json.loads(gzip.decompress(data))
        print(
            f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
            f"{len(contract['operations'])} operations, {len(contract['components']['schemas'])} schemas, "
            f"{len(data):,} bytes"
        )
        for use in contract["notInSpec"]:
            print(f"  not in the {dialect} spec: {use}")
    if stale:
        print("stale (run scripts/derive_jira_contract.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
