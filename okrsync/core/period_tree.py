"""One OKR cycle's part of the stored tree (``okrsync.tree/1``, pure): its KRs, its objectives and
those they align to; a closed period's with the final scores of its close."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from okrsync.core.closing import PeriodClose
from okrsync.core.plan import pct


def cut_to(doc: Mapping[str, Any], period: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with only the KRs and objectives of ``period`` (and the objectives above them)."""
    name = period["name"]
    kr_periods: Mapping[str, list[str]] = doc.get("kr_periods") or {}
    own: Mapping[str, Mapping[str, Any]] = doc.get("objective_periods") or {}
    krs = [kr for kr in doc["key_results"] if name in kr_periods.get(kr["id"], [name])]
    wanted = {kr["objective"] for kr in krs} | {oid for oid, p in own.items() if p.get("name") == name}
    parent = {o["id"]: o.get("aligns_to") for o in doc["objectives"]}
    for oid in list(wanted):
        up = parent.get(oid)
        while up and up not in wanted:
            wanted.add(up)
            up = parent.get(up)
    return {
        **doc,
        "period": period,
        "objectives": [o for o in doc["objectives"] if o["id"] in wanted],
        "key_results": krs,
    }


def closed_tree(doc: Mapping[str, Any], close: PeriodClose) -> dict[str, Any]:
    """``doc`` cut to ``close``'s period, each node of it with its final numbers, marked closed."""
    p = close.period
    cut = cut_to(doc, {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()})

    def final(item: Mapping[str, Any]) -> dict[str, Any]:
        f = close.finals.get(str(item["id"]))
        if f is None:
            return dict(item)
        return {
            **item,
            "progress": pct(f.progress),
            "expected": 100.0,
            "health": f.health.value,
            "score": f.score,
        }

    return {
        **cut,
        "as_of": close.closed_on.isoformat(),
        "closed": {
            "on": close.closed_on.isoformat(),
            **({"scored_on": late.isoformat()} if (late := close.scored_late_on()) else {}),
        },
        "objectives": [final(o) for o in cut["objectives"]],
        "key_results": [final(kr) for kr in cut["key_results"]],
    }
