"""The console report: the table, the projections, okrsync's requests beyond the minimum."""

from __future__ import annotations

from collections.abc import Sequence

from syncbench.measure import Run, growth, is_read


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "—"


def baseline_for(base: Sequence[Run], scenario: str) -> Run | None:
    """The baseline's run of ``scenario``; its steady re-sync is its unchanged one (it keeps no
    state: every run the same requests), marked estimated when not run."""
    for b in base:
        if b.scenario == scenario:
            return b
    if scenario.startswith("steady"):
        for b in base:
            if b.scenario == "unchanged re-sync":
                return Run(
                    scenario,
                    "baseline",
                    reads=b.reads,
                    writes=b.writes,
                    seconds=b.seconds,
                    flavor=b.flavor,
                    estimated=True,
                )
    return None


def _row(r: Run, scenario: str, minimum: int, *, show_min: bool) -> str:
    est = r.estimated
    py = f"{r.py_peak_mib:12.1f}" if r.py_peak_mib is not None else f"{'—' if est else '':>12}"
    rss = f"{'—':>13}" if est else f"{r.peak_rss_mib:>13.1f}"
    gro = f"{'—':>7}" if est else f"{growth(r):>7.1f}"
    wall = f"{r.seconds:>6.1f}{'*' if est else ' '}"
    mins = f"{minimum:,}" if show_min else ""
    return (
        f"{scenario:<25} {r.client:<9} {r.reads:>6,} {r.writes:>7,} {r.requests:>9,} {mins:>8} "
        f"{ratio(r.requests, minimum):>6} {wall:>8} {rss} {gro} {py}"
    )


def table(ok: Sequence[Run], base: Sequence[Run], tracemalloc: bool) -> str:
    mem = "py heap MiB" if tracemalloc else ""
    head = (
        f"{'scenario':<25} {'client':<9} {'reads':>6} {'writes':>7} {'requests':>9} "
        f"{'minimum':>8} {'÷min':>6} {'wall s':>8} {'peak RSS MiB':>13} {'growth':>7} {mem:>12}"
    )
    lines = [head, "-" * len(head)]
    for o in ok:
        lines.append(_row(o, o.scenario, o.minimum, show_min=True))
        b = baseline_for(base, o.scenario)
        if b is None:
            continue
        lines.append(_row(b, "", o.minimum, show_min=False))
        py_ratio = ratio(o.py_peak_mib, b.py_peak_mib) if o.py_peak_mib and b.py_peak_mib else ""
        mem_ratio = "" if b.estimated else ratio(o.peak_rss_mib, b.peak_rss_mib)
        lines.append(
            f"{'':<25} {'ok÷base':<9} {ratio(o.reads, b.reads):>6} {ratio(o.writes, b.writes):>7} "
            f"{ratio(o.requests, b.requests):>9} {'':>8} {'':>6} {ratio(o.seconds, b.seconds):>8} "
            f"{mem_ratio:>13} {'':>7} {py_ratio:>12}"
        )
    three = [o for o in ok if not o.scenario.startswith("steady")]
    pairs = [(o, baseline_for(base, o.scenario)) for o in three]
    if pairs and all(b is not None for _o, b in pairs):
        total_o = sum(o.requests for o, _b in pairs)
        total_b = sum(b.requests for _o, b in pairs if b)
        secs_o = sum(o.seconds for o, _b in pairs)
        secs_b = sum(b.seconds for _o, b in pairs if b)
        lines.append("-" * len(head))
        lines.append(
            f"{'first three':<25} {'ok÷base':<9} {'':>6} {'':>7} {ratio(total_o, total_b):>9} {'':>8} "
            f"{'':>6} {ratio(secs_o, secs_b):>8}   ({total_o:,} vs {total_b:,} requests; "
            f"{secs_o:.1f} s vs {secs_b:.1f} s)"
        )
    if any(b.estimated for b in base) or any(o.scenario.startswith("steady") for o in ok):
        lines.append(
            "* estimated, not run: the baseline's requests by its formula (bench/syncbench/baseline.py), "
            "wall = requests × (latency + its measured service time); its steady re-sync = its unchanged one"
        )
    return "\n".join(lines)


def projection(ok: Sequence[Run], base: Sequence[Run], latency_ms: float, at_ms: int) -> str:
    """Wall time at another per-request latency: measured + requests × the difference (an estimate
    for a sequential client; a concurrent one gains from overlap, so it can only be measured)."""
    extra = (at_ms - latency_ms) / 1000
    parts = []
    for o in ok:
        b = baseline_for(base, o.scenario)
        po = o.seconds + o.requests * extra
        if b is None:
            parts.append(f"{o.scenario} {po:,.0f} s")
            continue
        pb = b.seconds + b.requests * extra
        parts.append(f"{o.scenario} {po:,.0f} s vs {pb:,.0f} s ({ratio(po, pb)})")
    return f"at {at_ms} ms a request (estimate: measured + requests × {extra * 1000:.0f} ms): " + "; ".join(
        parts
    )


def explain(ok: Sequence[Run], base: Sequence[Run]) -> str:
    """Where okrsync spends more than the minimum, scenario by scenario, and where its time goes."""
    out = ["", "okrsync beyond the minimum:"]
    for r in ok:
        x = r.extra
        excess_r, excess_w = r.reads - r.min_reads, r.writes - r.min_writes
        pages = sum(n for e, n in r.by_endpoint.items() if "/search" in e)
        min_pages = r.min_detail["min_reads_scope_pages"] + r.min_detail["min_reads_jql_sources"]
        out.append(
            f"  {r.scenario} ({x['mode']}): {r.reads} reads (minimum {r.min_reads}, {excess_r:+}), "
            f"{r.writes:,} writes (minimum {r.min_writes:,}, {excess_w:+}; per issue "
            f"{r.min_detail.get('min_per_issue', 0):,}); {pages} search pages "
            f"(minimum {min_pages}) returning {x['read_keys']:,} issues ({x['issues_in_scope']:,} in scope)"
        )
        other = {
            e: n
            for e, n in r.by_endpoint.items()
            if is_read(e) and "/search" not in e and not e.endswith(("/serverInfo", "/field", "/myself"))
        }
        if other:
            out.append(f"    reads outside the minimum: {other}")
        if excess_w > 0:
            writes = {e: n for e, n in r.by_endpoint.items() if not is_read(e)}
            out.append(f"    writes by endpoint: {writes}")
        if x["reread_own_writes"]:
            out.append(
                f"    re-read {x['reread_own_writes']:,} issues nobody but okrsync touched: it wrote them in "
                f"the previous run ({x['written_before']:,} issues written), which bumped their `updated`"
            )
        if x["reread_jql_epics"]:
            out.append(
                f"    re-read the {x['reread_jql_epics']:,} epics of the JQL sources (inside the minimum)"
            )
        if x["user_changed"]:
            out.append(
                f"    issues changed by users: {x['user_changed']}, all read: {x['user_changed_read']}"
            )
        out.append(
            f"    wrote {x['field_edits']:,} field edits ({x['field_values']:,} values), "
            f"{x['properties']} properties, {x['comments_posted']} comments posted, "
            f"{x['comments_updated']} updated; Jira changed: {r.min_detail['min_values']:,} issues' values, "
            f"{r.min_detail['min_properties']} properties, {r.min_detail['min_comments']} comments"
        )
        store = x.get("store_seconds") or {}
        top = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(store.items(), key=lambda kv: -kv[1])[:3])
        out.append(
            f"    time: {r.seconds:.1f} s wall, {x['http_seconds']:.1f} s in HTTP requests, "
            f"{sum(store.values()):.1f} s in the state store ({top})"
        )
    for b in base:
        if b.estimated:
            continue
        out.append(
            f"  baseline {b.scenario}: {b.extra['field_edits']:,} field PUTs + {b.extra['properties']} "
            f"property PUTs (formula {b.extra.get('formula_requests', '?'):,} requests, counted "
            f"{b.requests:,}); Jira changed: {b.min_detail['min_values']:,} issues' values, "
            f"{b.min_detail['min_properties']} properties; {b.seconds:.1f} s wall, "
            f"{b.extra['http_seconds']:.1f} s in HTTP requests"
        )
    return "\n".join(out)
