"""The bulk property stage of applying a plan: many issues' ``okrsync`` properties at once (Cloud).

A first sync sets the ``okrsync`` property of every KR epic and objective issue: one
``PUT /issue/{key}/properties/okrsync`` each on the per-issue path, 200 for 200 KRs. On Cloud,
``POST /rest/api/3/issue/properties/multi`` takes 100 issues a request (``gateway.bulk_properties``):
200 properties cost 2 submits, 2 task reads and 2 read-backs.

Order matters (issue 14): an issue's property records what its comments announced, so it is
written only after the issue's comments of this plan landed. The plan's property sets are therefore
taken out before the per-issue loop (:meth:`okrsync.sync.apply.Applier._apply`), which runs the rest
(field edits, comments); then the stage writes those of issues whose comments all landed and whose
status comment did not fail (``Applier._unannounced``); whatever it did not write (an issue left
out, a value that does not read back, a batch refused) goes through the per-issue loop after it,
which writes it or reports its error (and warns about an unannounced one) as it always does. Each
property written is recorded exactly as :meth:`Applier._property` records it (the applied write, the
mirror's ``raw["properties"][key]``, ``touched``, ``outcome.properties``).

Below ``MIN_PROPERTIES`` property sets, or where the stage is not available (Data Center), or
without an issue id in the mirror, properties stay per issue.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from okrsync.core.plan import Plan, PropertySet
from okrsync.domain.records import AppliedWrite
from okrsync.jira.errors import JiraAuthError, JiraUnavailable
from okrsync.sync.bulk_apply import _issue_id

if TYPE_CHECKING:
    from okrsync.sync.apply import Applier, ApplyOutcome

log = logging.getLogger(__name__)

MIN_PROPERTIES = 10
"""A batch costs a submit, the polls of its task (one in the simulator; 5-7 for a real task of a few
seconds with the 50 ms-to-2 s backoff) and a read-back: below about this many properties, per-issue
PUTs cost as many requests and answer each error directly."""


def apply_with_properties(applier: Applier, plan: Plan, leaving: set[str], outcome: ApplyOutcome) -> None:
    """Run ``plan`` through the per-issue loop, its property sets in bulk after it where that pays."""
    held = _held(applier, plan)
    if not held:
        applier._apply(plan, leaving, outcome)
        return
    taken = {id(p) for p in held}
    applier._apply(
        Plan(tuple(c for c in plan.changes if id(c) not in taken), plan.warnings, plan.errors),
        leaving,
        outcome,
    )
    if outcome.stopped:
        return
    written = set() if applier.stop() else _stage(applier, held, outcome)
    left = tuple(p for p in held if id(p) not in written)
    if left:
        applier._apply(Plan(left), leaving, outcome)


def _held(applier: Applier, plan: Plan) -> tuple[PropertySet, ...]:
    """The property sets the stage takes (``()``: none, the plan runs as it is)."""
    if not applier.bulk:
        return ()
    props = [c for c in plan.changes if isinstance(c, PropertySet)]
    if len(props) < MIN_PROPERTIES:
        return ()
    try:
        if not applier.gateway.bulk_properties.available():
            return ()
    except (JiraAuthError, JiraUnavailable):
        return ()  # the per-issue path meets the same error and stops there
    with_id = [p for p in props if _issue_id(applier.mirror.get(p.issue_key)) is not None]
    return tuple(with_id) if len(with_id) >= MIN_PROPERTIES else ()


def _stage(applier: Applier, held: tuple[PropertySet, ...], outcome: ApplyOutcome) -> set[int]:
    """Write the eligible ``held`` property sets in bulk; the ``id()`` s of those that landed."""
    failed = {e.issue_key for e in outcome.errors if e.kind == "comment"}
    ids: dict[str, str] = {}
    values: dict[str, dict[str, Any]] = {}
    for prop in held:
        if prop.issue_key in applier._unannounced or prop.issue_key in failed:
            continue  # left to the per-issue loop, which warns or writes as it always does
        ident = _issue_id(applier.mirror.get(prop.issue_key))
        if ident is None:
            continue
        ids[prop.issue_key] = ident
        values.setdefault(ident, {})[prop.key] = dict(prop.value)
    if len(values) < MIN_PROPERTIES:
        return set()
    try:
        result = applier.gateway.bulk_properties.set_many(values)
    except (JiraAuthError, JiraUnavailable) as exc:
        log.warning("bulk property update stopped, per issue instead: %s", exc)
        return set()  # the per-issue loop meets it and stops with it
    outcome.property_batches += result.batches
    landed = [p for p in held if ids.get(p.issue_key) in result.written]
    now = applier.clock()
    applier._record(
        AppliedWrite(p.issue_key, "property", p.key, p.value_hash, None, applier.run_id, now) for p in landed
    )
    for prop in landed:
        raw = applier.mirror.get(prop.issue_key)
        if raw is not None:
            raw.setdefault("properties", {})[prop.key] = dict(prop.value)
        applier.touched.add(prop.issue_key)
        outcome.properties += 1
        applier.on_change()
    if len(landed) < len(values):
        log.info("%d of %d properties written in bulk; the rest per issue", len(landed), len(values))
    return {id(p) for p in landed}
