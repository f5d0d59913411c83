"""Field selection (the ``fields`` parameter) and validation of edited field values per schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from okrsync.jira_sim import catalog
from okrsync.jira_sim.adf import adf_to_text, is_doc
from okrsync.jira_sim.errors import ApiError

ID_ONLY = frozenset({"id", "key"})


def split_params(values: Iterable[Any] | None) -> list[str]:
    """Flatten repeated and comma-separated parameter values (``fields=a,b&fields=c``)."""
    out: list[str] = []
    for value in values or []:
        if isinstance(value, list | tuple):
            out.extend(split_params(value))
            continue
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return out


@dataclass
class FieldSelection:
    """Which fields of an issue to return, following Jira's ``fields`` semantics:
    ``*all``, ``*navigable``, explicit field ids, ``-field`` exclusions."""

    all_fields: bool = False
    navigable: bool = False
    include: set[str] = field(default_factory=set)
    exclude: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, requested: Sequence[str] | None, default: str) -> FieldSelection:
        tokens = split_params(requested)
        sel = cls()
        positive = False
        for tok in tokens:
            if tok.startswith("-"):
                sel.exclude.add(tok[1:])
            elif tok == "*all":
                sel.all_fields = positive = True
            elif tok == "*navigable":
                sel.navigable = positive = True
            elif tok in ("*none", ""):
                positive = True
            else:
                sel.include.add(tok)
                positive = True
        if not positive:
            if default == "*all":
                sel.all_fields = True
            elif default == "*navigable":
                sel.navigable = True
        return sel

    @property
    def ids_only(self) -> bool:
        """Only ``id``/``key`` asked for (or nothing): the cheap case Cloud pages by 5000."""
        return not self.all_fields and not self.navigable and self.include <= ID_ONLY

    def wants(self, fid: str, navigable: bool) -> bool:
        if fid in self.exclude:
            return False
        if fid in self.include or self.all_fields:
            return True
        return self.navigable and navigable


# ------------------------------------------------------------------------------------ validation

EDITABLE_SYSTEM = {"summary", "description", "assignee", "labels", "duedate", "priority", "parent"}


def cannot_set(fid: str) -> ApiError:
    return ApiError(
        400, errors={fid: f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."}
    )


def _err(fid: str, msg: str) -> ApiError:
    return ApiError(400, errors={fid: msg})


LABEL_LIMIT = 255


def coerce_labels(fid: str, value: Any) -> list[str]:
    """A labels value (system ``labels`` or a Labels custom field): a list of strings, each one
    label without spaces and at most 255 characters, like ``["ENG-1", "q4"]``."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _err(fid, "Operation value must be an array of strings")
    for label in value:
        if any(c.isspace() for c in label):
            raise _err(fid, "The label must not contain spaces.")
        if len(label) > LABEL_LIMIT:
            raise _err(
                fid,
                f"The label '{label[:20]}…' exceeds the maximum length for a single label of "
                f"{LABEL_LIMIT} characters.",
            )
    return list(dict.fromkeys(value))  # a label is on an issue once


def coerce_custom(
    fdef: Mapping[str, Any],
    value: Any,
    *,
    api_version: str,
    options: Sequence[Mapping[str, Any]],
) -> Any:
    """Validate ``value`` for the custom field ``fdef``; return what is stored."""
    fid = str(fdef["id"])
    ctype = str(fdef.get("schema", {}).get("custom", ""))
    stype = str(fdef.get("schema", {}).get("type", ""))
    if value is None:
        return None
    if ctype == catalog.LABELS:
        # an empty Labels custom field reads back as null, as in Jira
        return coerce_labels(fid, value) or None
    if stype == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _raise(_err(fid, "Operation value must be a number"))
        return value
    if ctype == catalog.SELECT:
        if not isinstance(value, dict) or not ({"value", "id"} & value.keys()):
            return _raise(_err(fid, "Specify a valid 'id' or 'name' for " + str(fdef.get("name"))))
        for opt in options:
            if opt.get("disabled"):
                continue
            if ("id" in value and str(value["id"]) == str(opt["id"])) or (
                "value" in value and value["value"] == opt["value"]
            ):
                return {"value": opt["value"], "id": str(opt["id"])}
        if "value" in value:
            return _raise(_err(fid, f"Option value '{value['value']}' is not valid"))
        return _raise(_err(fid, f"Option id '{value['id']}' is not valid"))
    if ctype == catalog.TEXTAREA:
        if api_version == "3":
            if not is_doc(value):
                return _raise(
                    _err(
                        fid,
                        "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
                    )
                )
            return adf_to_text(value)
        if not isinstance(value, str):
            return _raise(_err(fid, "Operation value must be a string"))
        return value
    if stype == "string" or ctype == catalog.EPIC_LINK:
        if not isinstance(value, str):
            return _raise(_err(fid, "Operation value must be a string"))
        if ctype == catalog.TEXTFIELD and len(value) > 255:
            return _raise(
                _err(fid, "The entered text is too long. It exceeds the allowed limit of 255 characters.")
            )
        return value
    if stype == "date":
        if not isinstance(value, str):
            return _raise(_err(fid, "Operation value must be a string"))
        try:
            date.fromisoformat(value)
        except ValueError:
            return _raise(_err(fid, "Error parsing date string: " + value))
        return value
    return value


def _raise(exc: ApiError) -> Any:
    raise exc
