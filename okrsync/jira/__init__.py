"""The Jira adapter, the only code that talks to Jira: the gateway (issues, comments, properties,
changelogs) on one client (auth, pacing, retry, errors), searches, setup-only admin calls, fields,
JQL, markup."""

from okrsync.jira.admin import JiraAdmin
from okrsync.jira.client import JiraClient
from okrsync.jira.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraHTTPError,
    JiraNotFound,
    JiraPermissionError,
    JiraUnavailable,
    MissingCredentialError,
)
from okrsync.jira.fields import FieldRegistry, MissingFieldError
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import BulletList, Doc, Heading, Link, Mention, Paragraph, Text
from okrsync.jira.stats import RequestStats

__all__ = [
    "BulletList",
    "Doc",
    "FieldRegistry",
    "Heading",
    "JiraAdmin",
    "JiraAuthError",
    "JiraBadRequest",
    "JiraClient",
    "JiraError",
    "JiraGateway",
    "JiraHTTPError",
    "JiraNotFound",
    "JiraPermissionError",
    "JiraUnavailable",
    "Link",
    "Mention",
    "MissingCredentialError",
    "MissingFieldError",
    "Paragraph",
    "RequestStats",
    "Text",
]
