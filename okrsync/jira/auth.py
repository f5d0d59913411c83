"""Which configured credential a Jira request carries, per flavor, and how a 401 names it.

Cloud: email + API token (basic). Data Center: a personal access token (``Authorization: Bearer``),
or basic with email + password/API token when no PAT is configured. While the flavor is still being
detected (``flavor: auto``), whatever is configured is sent; serverInfo also answers anonymously.
"""

from __future__ import annotations

from typing import Literal

from requests.auth import AuthBase, HTTPBasicAuth

from okrsync.domain.config import JiraConfig
from okrsync.jira.errors import MissingCredentialError

Flavor = Literal["cloud", "datacenter"]

ENV_API_TOKEN = "OKRSYNC_JIRA__API_TOKEN"  # noqa: S105  (a variable name, not a secret)
ENV_PAT = "OKRSYNC_JIRA__PAT"
ENV_EMAIL = "OKRSYNC_JIRA__EMAIL"


class Credentials:
    """The credentials of one Jira configuration (never in a repr)."""

    def __init__(self, cfg: JiraConfig) -> None:
        self._cfg = cfg

    def __repr__(self) -> str:
        return "Credentials(...)"

    def for_request(self, flavor: Flavor | None) -> tuple[dict[str, str], AuthBase | None]:
        """Headers and auth for the next request (``flavor`` None: still detecting); raises
        :class:`MissingCredentialError` when none fits."""
        cfg = self._cfg
        token = cfg.api_token.get_secret_value() if cfg.api_token else ""
        pat = cfg.pat.get_secret_value() if cfg.pat else ""
        if flavor is None:  # detecting: send whatever we have; serverInfo also answers anonymously
            if cfg.email and token:
                return {}, HTTPBasicAuth(cfg.email, token)
            if pat:
                return {"Authorization": f"Bearer {pat}"}, None
            return {}, None
        if flavor == "cloud":
            if not (cfg.email and token):
                missing = " and ".join(
                    m
                    for m, ok in ((f"jira.email ({ENV_EMAIL})", cfg.email), (ENV_API_TOKEN, token))
                    if not ok
                )
                raise MissingCredentialError(
                    f"Jira Cloud needs an account email and an API token; {missing} not set. "
                    "Create a token at https://id.atlassian.com/manage-profile/security/api-tokens "
                    f"and set {ENV_API_TOKEN}."
                )
            return {}, HTTPBasicAuth(cfg.email, token)
        if pat:
            return {"Authorization": f"Bearer {pat}"}, None
        if cfg.email and token:
            return {}, HTTPBasicAuth(cfg.email, token)
        raise MissingCredentialError(
            f"Jira Data Center needs a personal access token: set {ENV_PAT} (create one under your Jira "
            f"profile, Personal Access Tokens), or jira.email with {ENV_API_TOKEN} for basic auth."
        )

    def require(self, flavor: Flavor | None) -> None:
        """Raise :class:`MissingCredentialError` when no configured credential can work for
        ``flavor`` (None: not known yet, so only when there is none at all)."""
        cfg = self._cfg
        token = cfg.api_token.get_secret_value() if cfg.api_token else ""
        pat = cfg.pat.get_secret_value() if cfg.pat else ""
        if flavor is None and not ((cfg.email and token) or pat):
            raise MissingCredentialError(
                f"No Jira credential is configured: set {ENV_API_TOKEN} with jira.email ({ENV_EMAIL}) "
                f"for Jira Cloud, or {ENV_PAT} for Data Center (secrets belong in the environment)."
            )
        if flavor is not None:
            self.for_request(flavor)

    def refused(self, flavor: Flavor | None) -> tuple[str, str]:
        """(who, what to check) for a 401's message."""
        cfg = self._cfg
        bearer = flavor == "datacenter" and cfg.pat is not None
        if flavor is None and cfg.pat is not None and not (cfg.email and cfg.api_token):
            bearer = True
        if bearer:
            return (
                "the personal access token",
                f"check {ENV_PAT}: it may be mistyped, expired or revoked",
            )
        if cfg.email and cfg.api_token:
            what = "API token" if flavor != "datacenter" else "password/API token"
            return f"{cfg.email}'s {what}", f"check {ENV_API_TOKEN} and jira.email"
        return (
            "an anonymous request",
            f"configure a credential ({ENV_API_TOKEN} with jira.email, or {ENV_PAT})",
        )

    def account(self) -> str:
        """Who a 403 refused, for its message."""
        return self._cfg.email or ("the PAT's user" if self._cfg.pat else "the account")
