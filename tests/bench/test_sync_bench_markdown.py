"""The markdown tables of results files and the README section they replace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from syncbench.markdown import BEGIN, END, load_sets, rewrite_readme, tables


def _run(scenario: str, client: str, reads: int, writes: int, secs: float, **kw: Any) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "client": client,
        "reads": reads,
        "writes": writes,
        "seconds": secs,
        "peak_rss_mib": kw.get("rss", 100.0),
        "py_peak_mib": kw.get("heap"),
        "min_reads": kw.get("min_reads", 0),
        "min_writes": kw.get("min_writes", 0),
        "estimated": kw.get("estimated", False),
    }


def _set(*, tracemalloc: bool, latency: int = 3, heap: float | None = None) -> dict[str, Any]:
    return {
        "flavor": "cloud",
        "issues": 10_200,
        "key_results": 200,
        "latency_ms": latency,
        "tracemalloc": tracemalloc,
        "concurrency": "sequential",
        "runs": [
            _run("first sync", "okrsync", 508, 800, 10.9, heap=heap, min_reads=105, min_writes=804),
            _run("steady unchanged re-sync", "okrsync", 6, 0, 0.4, heap=heap and heap / 3, min_reads=6),
            _run("first sync", "baseline", 206, 10_400, 1088.0, estimated=True),
            _run("unchanged re-sync", "baseline", 206, 10_400, 1088.0, estimated=True),
        ],
    }


def test_tables_take_the_heap_from_the_tracemalloc_run() -> None:
    out = tables([_set(tracemalloc=False, latency=100), _set(tracemalloc=True, heap=90.0)])
    assert "**Cloud, 10,200 issues, 200 KRs, 100 ms a request** (okrsync measured, baseline estimated" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[2] == "| first sync | 1,308 | 909 | 1.44 | 10,606* | 0.12 | 10.9 | 1,088.0* | 100.0 | 90.0 |"
    # the baseline's steady re-sync is its unchanged one
    assert (
        rows[3]
        == "| **steady unchanged re-sync** | 6 | 6 | 1.00 | 10,606* | 0.001 | 0.4 | 1,088.0* | 100.0 | 30.0 |"
    )


def test_rewrite_readme_replaces_only_its_section(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    results.write_text(json.dumps({"args": {}, "results": [_set(tracemalloc=False)]}), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(f"# head\n{BEGIN}\nold figures\n{END}\ntail\n", encoding="utf-8")
    rewrite_readme(readme, tables(load_sets([results])))
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(f"# head\n{BEGIN}\n\n**Cloud") and text.endswith(f"\n\n{END}\ntail\n")
    assert "old figures" not in text


def test_rewrite_readme_refuses_a_file_without_the_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no"):
        rewrite_readme(readme, "x")


def test_a_baseline_that_ran_is_measured_its_steady_row_estimated() -> None:
    s = _set(tracemalloc=False)
    for r in s["runs"]:
        if r["client"] == "baseline":
            r["estimated"] = False
    out = tables([s])
    assert "(okrsync measured, baseline measured) — sequential" in out
    assert "| first sync | 1,308 | 909 | 1.44 | 10,606 | 0.12 |" in out
    assert "| **steady unchanged re-sync** | 6 | 6 | 1.00 | 10,606* |" in out
