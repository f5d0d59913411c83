"""The field registry: configured field names ("OKR Progress", "Story Points", "Epic Link") to ids.

Built once per gateway from ``GET /rest/api/{2|3}/field``, whose items look like
``{"id": "customfield_10016", "name": "Story point estimate", "custom": true,
"clauseNames": ["cf[10016]", "Story point estimate"], "schema": {"type": "number", "custom": "..."}}``
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from okrsync.domain.model import OkrsyncError

log = logging.getLogger(__name__)

STORY_POINT_ESTIMATE = "Story point estimate"
STORY_POINTS = "Story Points"
EPIC_LINK = "Epic Link"
# Custom field types of Jira Software (schema.custom), stable across sites and languages.
JSW_STORY_POINT_ESTIMATE_TYPE = "com.pyxis.greenhopper.jira:jsw-story-points"
GH_EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"

_CF_CLAUSE = re.compile(r"^cf\[(\d+)\]$", re.IGNORECASE)
_CUSTOM_ID = re.compile(r"^customfield_(\d+)$")

SETUP_HINT = "run `okrsync setup` to create them"


class MissingFieldError(OkrsyncError):
    """Configured fields that the Jira site does not have; the message lists every one."""

    def __init__(self, missing: Sequence[str], *, hint: str = SETUP_HINT) -> None:
        self.missing = list(missing)
        names = ", ".join(f'"{m}"' for m in self.missing)
        noun = "field" if len(self.missing) == 1 else "fields"
        super().__init__(f"Jira has no {noun} {names}: {hint}.")


def _id_order(field_id: str) -> tuple[int, int, str]:
    """Deterministic preference among duplicates: system fields first, then the oldest custom field."""
    m = _CUSTOM_ID.match(field_id)
    return (1, int(m.group(1)), field_id) if m else (0, 0, field_id)


class FieldRegistry:
    """Resolves field names (case-insensitive), ids and ``cf[NNN]`` clauses to field ids."""

    def __init__(self, raw_fields: Iterable[Mapping[str, Any]]) -> None:
        self._by_id: dict[str, Mapping[str, Any]] = {}
        by_name: dict[str, list[str]] = {}
        for raw in raw_fields:
            fid = raw.get("id")
            if not isinstance(fid, str) or not fid:
                continue
            self._by_id[fid] = raw
            name = raw.get("name")
            if isinstance(name, str) and name:
                by_name.setdefault(name.casefold(), []).append(fid)
        self._by_name: dict[str, str] = {}
        self.duplicates: dict[str, list[str]] = {}
        for folded, ids in by_name.items():
            ordered = sorted(set(ids), key=_id_order)
            self._by_name[folded] = ordered[0]
            if len(ordered) > 1:
                self.duplicates[self.name_of(ordered[0])] = ordered
                log.warning(
                    "Jira has %d fields named %r (%s); okrsync uses %s. Rename the others, or configure the id.",  # noqa: E501
                    len(ordered),
                    self.name_of(ordered[0]),
                    ", ".join(ordered),
                    ordered[0],
                )

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, name_or_id: object) -> bool:
        return isinstance(name_or_id, str) and self.get_id(name_or_id) is not None

    def get_id(self, name_or_id: str) -> str | None:
        """The field id for a name, id or ``cf[NNN]`` clause; ``None`` when the site has none."""
        text = name_or_id.strip()
        if text in self._by_id:
            return text
        m = _CF_CLAUSE.match(text)
        if m:
            fid = f"customfield_{m.group(1)}"
            return fid if fid in self._by_id else None
        return self._by_name.get(text.casefold())

    def id_for(self, name_or_id: str) -> str:
        """Like :meth:`get_id`, but a missing field raises :class:`MissingFieldError`."""
        fid = self.get_id(name_or_id)
        if fid is None:
            raise MissingFieldError([name_or_id])
        return fid

    def name_of(self, field_id: str) -> str:
        raw = self._by_id.get(field_id)
        name = raw.get("name") if raw is not None else None
        return name if isinstance(name, str) else field_id

    def schema_of(self, field_id: str) -> dict[str, Any]:
        """The field's ``schema`` (``{"type": "number", "custom": "..."}``); ``{}`` when unknown."""
        raw = self._by_id.get(self.get_id(field_id) or field_id)
        schema = raw.get("schema") if raw is not None else None
        return dict(schema) if isinstance(schema, Mapping) else {}

    def by_custom_type(self, custom_type: str) -> list[str]:
        """Ids of the custom fields of one type (``schema.custom``), oldest first."""
        found = [fid for fid in self._by_id if self.schema_of(fid).get("custom") == custom_type]
        return sorted(found, key=_id_order)

    def require(self, names: Iterable[str]) -> dict[str, str]:
        """``{name: id}`` for every name; raises one :class:`MissingFieldError` listing all missing ones."""
        found: dict[str, str] = {}
        missing: list[str] = []
        for name in names:
            fid = self.get_id(name)
            if fid is None:
                if name not in missing:
                    missing.append(name)
            else:
                found[name] = fid
        if missing:
            raise MissingFieldError(missing)
        return found

    def story_points_id(self, preferred_name: str | None = None) -> str:
        """The story point field: the configured one, else "Story point estimate", else "Story Points".

        Cloud sites often have both; the board estimate field ("Story point estimate",
        jsw-story-points) is the one Jira Software itself fills, so it wins.
        """
        if preferred_name:
            fid = self.get_id(preferred_name)
            if fid is None:
                raise MissingFieldError(
                    [preferred_name],
                    hint="fix jira.story_points_field (it names your site's story point field)",
                )
            return fid
        for name in (STORY_POINT_ESTIMATE, STORY_POINTS):
            fid = self.get_id(name)
            if fid is not None:
                return fid
        typed = self.by_custom_type(JSW_STORY_POINT_ESTIMATE_TYPE)
        if typed:
            return typed[0]
        raise MissingFieldError(
            [STORY_POINT_ESTIMATE, STORY_POINTS],
            hint="set jira.story_points_field to the name of your site's story point field",
        )

    def epic_link_id(self) -> str | None:
        """The classic "Epic Link" field (gh-epic-link), or ``None`` where the site has none."""
        typed = self.by_custom_type(GH_EPIC_LINK_TYPE)
        if typed:
            return typed[0]
        return self.get_id(EPIC_LINK)
