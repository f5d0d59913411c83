"""A value the state store keeps as JSON, already encoded (pure).

The state store's JSON columns encode what they are given with :func:`dumps` (its engines'
``json_serializer``): an :class:`EncodedJSON` is stored as its text, anything else through
``json.dumps`` as before. A large document made a piece at a time (the scored tree:
:func:`okrsync.core.stored_tree.stored_tree_json`) then never exists as Python values whole, and
reads back as the same values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EncodedJSON:
    """JSON text to store as it is (it must be valid JSON: it is not parsed on the way in)."""

    text: str


def dumps(value: Any) -> str:
    """The JSON text of a value for a JSON column."""
    if isinstance(value, EncodedJSON):
        return value.text
    return json.dumps(value)
