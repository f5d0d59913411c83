"""OpenAPI 3.0 schema objects as JSON Schema (draft 4, which OpenAPI 3.0 extends), for ``jsonschema``.

OpenAPI 3.0 differs from draft 4 where it matters here
(https://spec.openapis.org/oas/v3.0.3#schema-object):

- ``nullable: true`` admits ``null`` besides the ``type``;
- ``readOnly`` properties are sent in responses only: a request need not carry them even where
  ``required`` lists them; ``writeOnly`` ones the other way round;
- ``discriminator``, ``xml``, ``example``, ``externalDocs`` and ``x-*`` are annotations.

The contract's schemas keep their ``$ref`` s (``#/components/schemas/Name``): they resolve inside
one document per dialect and direction, registered with ``referencing``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

Direction = Literal["request", "response"]

_ANNOTATIONS = frozenset(
    {"nullable", "discriminator", "xml", "example", "externalDocs", "readOnly", "writeOnly"}
)


def to_json_schema(node: Any, direction: Direction) -> Any:
    """``node`` (an OpenAPI 3.0 schema) as a draft-4 schema for validating a ``direction`` body."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS or key.startswith("x-"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub, direction) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = to_json_schema(value, direction)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [to_json_schema(sub, direction) for sub in value]
        else:
            out[key] = value
    if "required" in out:
        skip = "readOnly" if direction == "request" else "writeOnly"
        props = node.get("properties") or {}
        kept = [name for name in out["required"] if not (props.get(name) or {}).get(skip)]
        if kept:
            out["required"] = kept
        else:
            del out["required"]
    if node.get("nullable") is True:
        return _nullable(out)
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema:
        schema = {**schema, "type": [kind, "null"]}
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


class SchemaSet:
    """One dialect's schemas in one direction: a registry and cached validators by pointer."""

    def __init__(self, uri: str, components: dict[str, Any], parts: dict[str, Any], direction: Direction):
        self.uri = uri
        document = {
            "components": {"schemas": {name: to_json_schema(s, direction) for name, s in components.items()}},
            "parts": {key: to_json_schema(s, direction) for key, s in parts.items()},
        }
        resource: Resource[Any] = DRAFT4.create_resource(document)
        self.registry: Registry[Any] = Registry().with_resource(uri, resource)
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        self._parts = document["parts"]

    def has(self, part: str) -> bool:
        return part in self._parts

    def schema(self, part: str) -> Any:
        return self._parts[part]

    def validator(self, part: str) -> jsonschema.protocols.Validator:
        found = self._validators.get(part)
        if found is None:
            # the pointer escapes '~' and '/' in the part's key (RFC 6901)
            pointer = part.replace("~", "~0").replace("/", "~1")
            found = jsonschema.Draft4Validator(
                {"$ref": f"{self.uri}#/parts/{pointer}"}, registry=self.registry
            )
            self._validators[part] = found
        return found

    def errors(self, part: str, instance: Any, limit: int = 5) -> list[str]:
        """What is wrong with ``instance`` against the schema ``part``, at most ``limit`` lines."""
        found = sorted(self.validator(part).iter_errors(instance), key=_error_order)
        return [describe(e) for e in _leaves(found)][:limit]


def _error_order(error: jsonschema.ValidationError) -> tuple[int, str]:
    return (len(error.absolute_path), error.json_path)


def _leaves(errors: list[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """Each error, or for an ``anyOf``/``oneOf`` that failed, the deepest error of its branches
    (the branch that got furthest says what is wrong; "not valid under any" says nothing)."""
    for error in errors:
        yield _deepest(error)


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    if not error.context:
        return error
    return max((_deepest(e) for e in error.context), key=lambda e: len(e.absolute_path))


def describe(error: jsonschema.ValidationError) -> str:
    where = error.json_path.replace("$", "body", 1) if error.json_path != "$" else "the body"
    message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
    return f"{where}: {message}"
