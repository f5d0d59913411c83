"""Jira's contract as the simulator enforces it: the operations okrsync and the simulator use,
derived from Atlassian's OpenAPI descriptions by ``scripts/derive_jira_contract.py`` into
``cloud.json.gz`` and ``datacenter.json.gz`` (package data), and the validator that checks every
request (and, when asked, every response) against them.

A request that breaks the contract is a *deviation*: recorded in :class:`DeviationLog` (``GET
/_sim/requests`` → ``deviations``) and, in strict mode (the default), refused as Jira refuses it.
"""

from okrsync.jira_sim.contract.log import DeviationLog
from okrsync.jira_sim.contract.paths import EXEMPT_PREFIXES, is_exempt, spec_path
from okrsync.jira_sim.contract.validator import Contract, Operation, RequestCheck, load_contract

__all__ = [
    "EXEMPT_PREFIXES",
    "Contract",
    "DeviationLog",
    "Operation",
    "RequestCheck",
    "is_exempt",
    "load_contract",
    "spec_path",
]
