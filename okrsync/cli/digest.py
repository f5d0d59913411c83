"""``okrsync digest``: send (or with ``--dry-run`` print) the OKR digest from the state store.

The slot is the current ``digest.cron`` slot when there is one (so a digest the daemon already
sent is not sent again), else this minute's. Exit code 0: every channel has it; 1: a channel
failed (after its retries; named in the summary); 2: no channel, or one whose variable is unset.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from okrsync.cli.report import open_existing_store
from okrsync.daemon.digest_job import compose, current_slot, run_digest
from okrsync.domain import exit_codes
from okrsync.domain.config import Settings
from okrsync.domain.config_digest import channels_of
from okrsync.domain.model import OkrsyncError
from okrsync.sync.digest import routes


class NoDigestChannel(OkrsyncError):
    """``okrsync digest`` without a channel to send to."""


def slot_for(settings: Settings, now: datetime) -> str:
    slot = current_slot(settings, now)
    if slot is None:
        slot = now.astimezone(UTC).replace(second=0, microsecond=0)
    return slot.isoformat()


def run_digest_command(
    settings: Settings,
    console: Console,
    *,
    dry_run: bool = False,
    period: str | None = None,
    now: datetime | None = None,
) -> int:
    now = now or datetime.now(UTC)
    channels = channels_of(settings.digest, os.environ)
    with open_existing_store(settings.sync.state_url) as store:
        if dry_run:
            composed = compose(settings, store, None, period)
            sent_to = routes(composed.messages, channels)
            for message in composed.messages:
                targets = [c.label for m, c in sent_to if m is message]
                console.rule(f"{message.audience} → {', '.join(targets) or 'no channel'}", style="dim")
                console.print(escape(message.markdown), highlight=False, soft_wrap=True)
            console.print(f"[dim]Dry run: {len(composed.messages)} message(s), nothing sent.[/]")
            return exit_codes.OK
        if not channels:
            raise NoDigestChannel(
                "No digest channel: list digest.channels (each url_env naming the variable that holds its "
                "apprise URL) or set OKRSYNC_DIGEST__URLS, then run okrsync digest again "
                "(--dry-run prints the messages without sending)."
            )
        run = run_digest(
            settings, store, slot=slot_for(settings, now), clock=lambda: datetime.now(UTC), period=period
        )
    table = Table("audience", "channel", "result", "attempts", "error", title=f"Digest {run.slot}")
    for d in run.outcome.deliveries:
        table.add_row(d.audience, d.channel, d.status, str(d.attempts or ""), escape(d.error or ""))
    console.print(table)
    return run.outcome.exit_code
