"""Where a request's path lands in its dialect's spec, and which paths no spec describes.

Shared by the validator and ``scripts/derive_jira_contract.py`` (one place for the mapping).
"""

from __future__ import annotations

import re

# Paths the simulator serves that neither spec describes, exempt from validation: its own admin API
# (``/_sim/...``), and the webhook registration API ``/rest/webhooks/1.0/webhook`` (Jira documents it
# apart from the platform REST API, on Cloud for Connect apps only; okrsync registers no webhook itself).
EXEMPT_PREFIXES = ("/_sim/", "/_sim", "/rest/webhooks/")

_API = re.compile(r"^/rest/api/(?:2|3|latest|\{v\}|\{ver\})(/.*)?$")


def is_exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES)


def spec_path(dialect: str, path: str) -> str | None:
    """The spec's form of a request path (or path template), or None outside ``/rest/api``.

    Cloud's spec describes ``/rest/api/3`` and v2 shares its operations, so ``/rest/api/2/...`` and
    ``latest`` are looked up under v3. Data Center's spec has ``servers: [{url: .../rest}]`` and paths
    from ``/api/2/...``.
    """
    if is_exempt(path):
        return None
    m = _API.match(path)
    if m is None:
        return None
    return ("/rest/api/3" if dialect == "cloud" else "/api/2") + (m.group(1) or "")
