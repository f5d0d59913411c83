"""``okrsync report --period NAME``: the stored tree cut down to one OKR cycle (pure).

The stored tree of the last sync (``okrsync.tree/1``) lists every period of the configuration and
the periods of each KR and objective (``periods``, ``kr_periods``, ``objective_periods``); a period
that has closed has its own stored tree, frozen at its close (meta ``period_tree:NAME``, with
``closed``). A period's view: its KRs, its objectives and those they align to (so that the tree
keeps its roots), with ``period`` set to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from okrsync.core.period_tree import cut_to
from okrsync.domain.model import OkrsyncError


class UnknownPeriodError(OkrsyncError):
    """``--period`` names a period the state store knows nothing of."""


def closed_trees(stored: Any) -> dict[str, Mapping[str, Any]]:
    """Period name → its tree as frozen at its close, from the meta value ``closed_periods``."""
    if not isinstance(stored, Mapping):
        return {}
    return {
        str(name): close["tree"]
        for name, close in stored.items()
        if isinstance(close, Mapping) and isinstance(close.get("tree"), Mapping)
    }


def known_periods(doc: Mapping[str, Any], closed: Mapping[str, Mapping[str, Any]]) -> list[str]:
    names = [str(p["name"]) for p in doc.get("periods") or [doc["period"]]]
    return [*names, *(n for n in closed if n not in names)]


def period_doc(doc: Mapping[str, Any], name: str, closed: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The view of period ``name``: its closed tree if it has closed, else ``doc`` cut down to it."""
    if name in closed:
        return dict(closed[name])
    if name == doc["period"]["name"] and not doc.get("periods"):
        return dict(doc)
    period = next((p for p in doc.get("periods") or () if p["name"] == name), None)
    if period is None:
        raise UnknownPeriodError(
            f"--period {name!r}: the state store knows no such period. Use one of: "
            f"{', '.join(known_periods(doc, closed))}."
        )
    return cut_to(doc, dict(period))
