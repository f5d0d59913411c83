"""Objectives kept in the YAML configuration, mapped onto domain objectives (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from okrsync.domain.config import ObjectiveConfig
from okrsync.domain.model import Objective


def objectives_from_config(items: Sequence[ObjectiveConfig]) -> tuple[Objective, ...]:
    return tuple(
        Objective(
            id=o.id,
            title=o.title,
            level=o.level,
            owner=o.owner,
            aligns_to=o.aligns_to,
            weight=o.weight,
            due=o.due,
        )
        for o in items
    )
