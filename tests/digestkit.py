"""Real local endpoints for the digest tests: a Slack-style webhook receiver and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_string
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class WebhookReceiver:
    """Takes POSTs on /hooks/<token> (Mattermost's Slack-compatible incoming webhook, mmost://);
    answers ``fail_first`` of them with 500."""

    fail_first: int = 0
    posts: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, token: str = "okr-digest") -> str:
        return f"mmost://127.0.0.1:{self.port}/{token}"


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                refuse = receiver.refused < receiver.fail_first
                if refuse:
                    receiver.refused += 1
                else:
                    receiver.posts.append({"path": self.path, **json.loads(body)})
            self.send_response(500 if refuse else 200)
            self.end_headers()
            self.wfile.write(b"down" if refuse else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    port: int
    mails: list[Message] = field(default_factory=list)

    def url(self, to: str = "okr-team@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=okrsync@example.com&to={to}&mode=insecure"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox(_free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.mails.append(message_from_string(envelope.content.decode("utf-8")))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def parts(mail: Message) -> dict[str, str]:
    """A multipart mail's text/plain and text/html bodies, decoded."""
    out: dict[str, str] = {}
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out[part.get_content_subtype()] = payload.decode(part.get_content_charset() or "utf-8")
    return out
