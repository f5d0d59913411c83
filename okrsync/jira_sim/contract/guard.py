"""The simulator's side of the contract: check each request before its handler, each response after.

Strict (the default): a request that breaks its dialect's contract is refused as Jira refuses it,
400 (404 for an operation the dialect does not have) with Jira's error body
``{"errorMessages": [...], "errors": {}}``, and recorded as a deviation. Lenient (``strict=False``,
``okrsync sim --lenient``): recorded, then served as if valid. With ``validate_responses`` every
2xx answer of a contract operation is checked against the spec's response schema too, and a
mismatch recorded as a ``response`` deviation (the simulator is wrong then, never the client).
"""

from __future__ import annotations

import json
from typing import Any

from okrsync.jira_sim.contract.log import DeviationLog
from okrsync.jira_sim.contract.paths import is_exempt
from okrsync.jira_sim.contract.validator import Contract, RequestCheck, load_contract
from okrsync.jira_sim.routing import Response


class ContractGuard:
    def __init__(self, dialect: str, *, strict: bool = True, validate_responses: bool = False) -> None:
        self.dialect = dialect
        self.strict = strict
        self.validate_responses = validate_responses
        self.log = DeviationLog()

    @property
    def contract(self) -> Contract:
        return load_contract(self.dialect)

    def before(
        self, method: str, path: str, raw_query: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[RequestCheck | None, Response | None]:
        """(the check, or None for an exempt path; the refusal to answer instead, strict only)."""
        if is_exempt(path):
            return None, None
        check = self.contract.check_request(method, path, query, body)
        if check.ok or not self.strict:
            return check, None
        self._record_request(check, method, path, raw_query, check.status, refused=True)
        return check, Response(check.status, {"errorMessages": list(check.reasons), "errors": {}})

    def after(
        self, check: RequestCheck | None, method: str, path: str, raw_query: str, resp: Response
    ) -> None:
        """Record a lenient deviation with what was answered; check the response when asked to."""
        if check is None:
            return
        if not check.ok:
            self._record_request(check, method, path, raw_query, resp.status, refused=False)
            return
        if not self.validate_responses or check.operation is None or not 200 <= resp.status < 300:
            return
        body: Any = resp.body
        if isinstance(body, bytes):
            try:
                body = json.loads(body) if body else None
            except ValueError:
                body = None
        reasons = self.contract.check_response(check.operation, resp.status, body)
        if reasons:
            self.log.record(
                "response",
                method,
                path,
                raw_query,
                check.operation.name,
                reasons,
                status=resp.status,
                refused=False,
            )

    def _record_request(
        self, check: RequestCheck, method: str, path: str, raw_query: str, status: int, *, refused: bool
    ) -> None:
        name = check.operation.name if check.operation else f"{method} {path}"
        self.log.record(
            "request", method, path, raw_query, name, check.reasons, status=status, refused=refused
        )
