"""The stylesheet of the HTML report and the status page, compacted into their ``<style>``."""

from __future__ import annotations

import re
from importlib import resources

_SOURCE = (resources.files("okrsync.report") / "templates" / "okrsync.css").read_text(encoding="utf-8")
"""The one stylesheet of the report and the status page (package data)."""

CSS = re.sub(r"\s*\n\s*", "", _SOURCE)
"""The stylesheet on one line: no newlines, rules as written."""
