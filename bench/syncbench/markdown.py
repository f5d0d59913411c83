"""Markdown tables of results JSON files (``--json``), for bench/README.md.

``--markdown A.json B.json ...`` prints them; ``--write-readme A.json ...`` replaces what stands
between ``BEGIN`` and ``END`` in bench/README.md with them (nothing else in the file changes). One
table per dialect, site size, latency and concurrency; a run with ``--tracemalloc`` supplies the
heap column of the runs without it that match it (same dialect, size and concurrency: the heap does
not depend on latency), whose wall times stay the ones quoted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

BEGIN = "<!-- sync_bench results: begin (written by python bench/sync_bench.py --write-readme) -->"
END = "<!-- sync_bench results: end -->"
DIALECT = {"cloud": "Cloud", "datacenter": "Data Center"}


def load_sets(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every result set of these files (a file of ``--flavor both`` holds two)."""
    out: list[dict[str, Any]] = []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        out.extend(data["results"])
    return out


def _key(s: Mapping[str, Any], *, latency: bool = True) -> tuple[Any, ...]:
    base = (s["flavor"], s["issues"], s.get("concurrency", ""))
    return (*base, s["latency_ms"]) if latency else base


def _fmt(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


def _ratio(a: float, b: float) -> str:
    if not b:
        return "—"
    r = a / b
    return f"{r:.3f}" if r < 0.1 else f"{r:.2f}"


def table(s: Mapping[str, Any], heaps: Mapping[str, float | None]) -> str:
    ok = [r for r in s["runs"] if r["client"] == "okrsync"]
    base = {r["scenario"]: r for r in s["runs"] if r["client"] == "baseline"}
    if "steady unchanged re-sync" not in base and "unchanged re-sync" in base:
        base["steady unchanged re-sync"] = {**base["unchanged re-sync"], "estimated": True}
    ran = [b for name, b in base.items() if not name.startswith("steady")]  # its steady = its unchanged
    how = "estimated" if any(b.get("estimated") for b in ran) else "measured"
    title = (
        f"**{DIALECT.get(s['flavor'], s['flavor'])}, {s['issues']:,} issues, {s['key_results']:,} KRs, "
        f"{s['latency_ms']} ms a request** (okrsync measured, baseline {how}) — {s.get('concurrency', '')}"
    )
    head = (
        "| scenario | okrsync requests | minimum | ÷ min | baseline requests | ok ÷ base | okrsync wall s "
        "| baseline wall s | okrsync peak RSS MiB | okrsync heap peak MiB |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    rows = []
    for r in ok:
        req = r["reads"] + r["writes"]
        minimum = r["min_reads"] + r["min_writes"]
        b = base.get(r["scenario"])
        b_req = (b["reads"] + b["writes"]) if b else 0
        star = "*" if b and b.get("estimated") else ""
        heap = r.get("py_peak_mib")
        heap = heap if heap is not None else heaps.get(r["scenario"])
        name = f"**{r['scenario']}**" if r["scenario"].startswith("steady") else r["scenario"]
        rows.append(
            f"| {name} | {req:,} | {minimum:,} | {_ratio(req, minimum)} | "
            f"{f'{b_req:,}{star}' if b else '—'} | {_ratio(req, b_req) if b else '—'} | "
            f"{r['seconds']:,.1f} | "
            f"{(_fmt(b['seconds']) + star) if b else '—'} | {_fmt(r['peak_rss_mib'])} | {_fmt(heap)} |"
        )
    return "\n".join([title, "", head, *rows])


def tables(sets: Sequence[Mapping[str, Any]]) -> str:
    heap_sets = {_key(s, latency=False): s for s in sets if s.get("tracemalloc")}
    shown = [s for s in sets if not s.get("tracemalloc")] or list(sets)
    out = []
    for s in sorted(shown, key=lambda s: (s["issues"], s["flavor"], s["latency_ms"])):
        h = heap_sets.get(_key(s, latency=False))
        heaps = (
            {r["scenario"]: r.get("py_peak_mib") for r in h["runs"] if r["client"] == "okrsync"} if h else {}
        )
        out.append(table(s, heaps))
    notes = (
        "minimum: dialect-aware (bench/syncbench/minimum.py; on Cloud a group of ≥ 20 issues ending "
        "with identical values is one bulk edit and one task poll, properties 100 a request). "
        "\\* estimated, not run (bench/syncbench/baseline.py). Heap: from the matching `--tracemalloc` run."
    )
    return "\n\n".join([*out, notes])


def rewrite_readme(readme: Path, body: str) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme} has no {BEGIN!r} … {END!r} section to rewrite")
    readme.write_text(text[: start + len(BEGIN)] + "\n\n" + body + "\n\n" + text[end:], encoding="utf-8")
