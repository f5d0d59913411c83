"""The Jira adapter: the gateway (the only code that talks to Jira), fields, markup, retries."""

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
    "JiraAuthError",
    "JiraBadRequest",
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
