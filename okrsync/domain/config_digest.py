"""The ``digest:`` section: when the weekly digest goes out, to whom, and through which channels.

A channel is an apprise URL (``slack://…``, ``msteams://…``, ``mmost://…``, ``mailtos://…``, any
scheme apprise knows). URLs hold credentials, so they come from the environment, never from the
YAML file: ``digest.channels[i].url_env`` names the variable holding one URL, and
``OKRSYNC_DIGEST__URLS`` (``digest.urls``) holds company channels separated by spaces or commas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from okrsync.domain.model import OkrsyncError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Strict(BaseModel):
    """As the configuration's other sections: unknown keys are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DigestChannelConfig(Strict):
    """One channel: the environment variable that holds its apprise URL, and who it is for."""

    name: str | None = Field(None, description="How logs and metrics name it; default: the variable")
    url_env: str = Field(..., description="The environment variable that holds the channel's apprise URL")
    audience: Literal["company", "owners"] = Field(
        "company",
        description="company: the company digest; owners: one digest per objective owner (digest.owners)",
    )
    owner: str | None = Field(None, description="Only this owner's digest (display name as Jira shows it)")

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(
                f"{value!r} is not an environment variable name: name the variable that holds the "
                "channel's URL (e.g. OKRSYNC_DIGEST_SLACK_URL), not the URL itself"
            )
        return value

    @property
    def label(self) -> str:
        return self.name or self.url_env


class DigestConfig(Strict):
    cron: str | None = Field(
        None, description='When the daemon sends the digest, e.g. "0 9 * * MON"; none: only okrsync digest'
    )
    timezone: str = Field("UTC", description="The time zone of digest.cron, e.g. Europe/Berlin")
    owners: bool = Field(False, description="Also one digest per objective owner (channels for owners)")
    channels: tuple[DigestChannelConfig, ...] = ()
    urls: SecretStr | None = Field(
        None,
        description="OKRSYNC_DIGEST__URLS: company channels' apprise URLs, separated by spaces or commas",
    )
    retries: int = Field(3, ge=1, le=10, description="Attempts per channel within one run")
    retry_seconds: float = Field(2.0, ge=0, le=300, description="First wait between attempts; doubles")
    max_rounds: int = Field(
        5, ge=1, le=50, description="Runs (daemon ticks) that retry a failed channel within one slot"
    )
    catch_up_hours: float = Field(
        24.0, gt=0, description="A slot missed (daemon down) is still sent this long after its time"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone: use an IANA name such as UTC or Europe/Berlin"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DigestChannelError(OkrsyncError):
    """A digest channel whose URL is missing from the environment."""


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel ready to send to: its label (for logs, never the URL), URL and audience."""

    label: str
    url: SecretStr
    audience: str = "company"
    owner: str | None = None


def channels_of(cfg: DigestConfig, environ: Mapping[str, str]) -> list[Channel]:
    """The configured channels with their URLs from ``environ``; a channel whose variable is unset
    is a :class:`DigestChannelError` naming the key and the variable."""
    out: list[Channel] = []
    missing: list[str] = []
    for i, ch in enumerate(cfg.channels):
        url = environ.get(ch.url_env, "").strip()
        if not url:
            missing.append(
                f"digest.channels[{i}].url_env: the environment variable {ch.url_env} is not set; set it "
                "to the channel's apprise URL (e.g. slack://…, msteams://…, mailtos://…)"
            )
            continue
        out.append(Channel(ch.label, SecretStr(url), ch.audience, ch.owner))
    if missing:
        raise DigestChannelError("\n".join(missing))
    if cfg.urls is not None:
        urls = [u for u in re.split(r"[\s,]+", cfg.urls.get_secret_value()) if u]
        for n, url in enumerate(urls, 1):
            scheme = url.split("://", 1)[0] if "://" in url else "url"
            out.append(Channel(f"digest.urls#{n} ({scheme})", SecretStr(url)))
    return out
