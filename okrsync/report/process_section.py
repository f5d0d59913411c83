"""The report's sections on the OKR process: alignment coverage (:mod:`okrsync.core.coverage`) and
process health at period end with its trends (:mod:`okrsync.core.process_health`). Pure given the
data; the tree and markdown formats append them as text, the HTML report as one escaped section."""

from __future__ import annotations

import html

from okrsync.core import coverage as cov
from okrsync.core import process_health as ph


def section_lines(coverage: cov.Coverage | None, health: ph.ProcessHealth | None) -> list[str]:
    """Plain lines of both sections (empty: nothing to show)."""
    lines: list[str] = []
    if coverage is not None:
        lines += cov.describe(coverage)
    if health is not None and health.periods:
        lines += ["", "Process health at period end:"] if lines else ["Process health at period end:"]
        lines += [f"  {line}" for line in ph.describe(health)]
    return lines


def as_markdown(coverage: cov.Coverage | None, health: ph.ProcessHealth | None) -> str:
    lines = section_lines(coverage, health)
    if not lines:
        return ""
    return "\n## The OKR process\n\n```\n" + "\n".join(lines) + "\n```\n"


def as_text(coverage: cov.Coverage | None, health: ph.ProcessHealth | None) -> str:
    lines = section_lines(coverage, health)
    return ("\n" + "\n".join(lines) + "\n") if lines else ""


def as_html(coverage: cov.Coverage | None, health: ph.ProcessHealth | None) -> str:
    lines = section_lines(coverage, health)
    if not lines:
        return ""
    body = html.escape("\n".join(lines))
    return (
        '<section class="okr-process"><h2>The OKR process</h2>'
        f'<pre style="white-space:pre-wrap;overflow-wrap:anywhere">{body}</pre></section>'
    )


def into_html(page: str, section: str) -> str:
    """``page`` with ``section`` before its ``</body>`` (at the end without one)."""
    if not section:
        return page
    at = page.rfind("</body>")
    return page + section if at < 0 else page[:at] + section + page[at:]
