"""The digest's channels through apprise: Slack, Microsoft Teams, Mattermost, email and others by URL.

Chat channels get the digest's Markdown; email (``mailto://``, ``mailtos://``) its HTML, from which
apprise builds the plain-text part (a ``multipart/alternative`` message). A channel that does not
take the message raises :class:`ChannelFailed` with apprise's reason; the URL (a secret) is never in it.
"""

from __future__ import annotations

import logging

import apprise

from okrsync.core.digest_render import Message
from okrsync.domain.config_digest import Channel
from okrsync.domain.model import OkrsyncError

EMAIL_SCHEMES = ("mailto", "mailtos")


class ChannelFailed(OkrsyncError):
    """A channel did not take the digest."""


def scheme_of(channel: Channel) -> str:
    url = channel.url.get_secret_value()
    return url.split("://", 1)[0].lower() if "://" in url else ""


def send_apprise(channel: Channel, message: Message) -> None:
    """Send ``message`` to ``channel``; :class:`ChannelFailed` when it does not arrive."""
    asset = apprise.AppriseAsset(app_id="okrsync", app_desc="okrsync OKR digest")
    notifier = apprise.Apprise(asset=asset)
    if not notifier.add(channel.url.get_secret_value()):
        raise ChannelFailed(
            f"{channel.label}: not a channel URL apprise knows (scheme {scheme_of(channel)!r}); see "
            "https://github.com/caronc/apprise/wiki for slack://, msteams://, mmost://, mailtos://, …"
        )
    email = scheme_of(channel) in EMAIL_SCHEMES
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        ok = notifier.notify(
            title=message.title,
            body=message.html if email else message.markdown,
            body_format=apprise.NotifyFormat.HTML if email else apprise.NotifyFormat.MARKDOWN,
        )
        said = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    if not ok:
        reason = said[-1] if said else "no reason given"
        raise ChannelFailed(f"{channel.label} ({scheme_of(channel)}) did not take the digest: {reason}")
