"""The process around the daemon: its listening socket, the uvicorn server, SIGTERM / SIGINT.

The HTTP server bounds what a client may hold (:class:`HttpLimits`): uvicorn closes idle keep-alive
connections (``timeout_keep_alive``), answers 503 beyond ``limit_concurrency`` open connections and
400 to request heads over ``h11_max_incomplete_event_size``; but it waits forever for a request
that never completes (a "slowloris" client sending half its headers, or half its body, and
waiting). :class:`ReadDeadlines`, uvicorn's h11 protocol with read deadlines, closes such a
connection: its headers must arrive within ``header_timeout`` of connecting (or of the previous
answer on the connection), its body within ``body_timeout`` of the headers' end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from okrsync.domain.model import OkrsyncError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one client may hold of the daemon's HTTP server."""

    header_timeout: float = 10.0
    """Seconds for a request's headers, from the connection (or the previous answer on it)."""
    body_timeout: float = 30.0
    """Seconds for a request's body, from the end of its headers (1 MiB at 35 KB/s)."""
    keep_alive: int = 5
    """Seconds an idle connection stays open between two requests (uvicorn's default)."""
    max_connections: int = 100
    """Open connections beyond which a request is answered 503 (Jira retries it)."""
    max_header_bytes: int = 16 * 1024
    """A request line and headers larger than this get 400 (h11's default, stated)."""


@dataclass(frozen=True, slots=True)
class _Deadlines:
    limits: HttpLimits
    on_timeout: Callable[[str], None]


class ReadDeadlines(H11Protocol):
    """uvicorn's h11 protocol, which also closes a connection whose request does not arrive in time
    (the headers: 408 first; the body: closed, the app sees the client go away). The phase follows
    h11's state of the client: ``IDLE`` (waiting for headers), ``SEND_BODY`` (reading the body);
    any other (the request read, the app answering) has no deadline."""

    deadlines: ClassVar[_Deadlines] = _Deadlines(HttpLimits(), lambda phase: None)

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._phase: str | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow_phase()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_phase()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_phase()

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_phase(None)
        super().connection_lost(exc)

    def _follow_phase(self) -> None:
        state = self.conn.their_state
        if self.transport.is_closing():
            self._set_phase(None)
        elif state is h11.IDLE:
            self._set_phase("headers")
        elif state is h11.SEND_BODY:
            self._set_phase("body")
        else:
            self._set_phase(None)

    def _set_phase(self, phase: str | None) -> None:
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            self._deadline = self.loop.call_later(self._timeout(phase), self._expired)

    def _timeout(self, phase: str) -> float:
        limits = self.deadlines.limits
        return limits.header_timeout if phase == "headers" else limits.body_timeout

    def _expired(self) -> None:
        phase, self._phase, self._deadline = self._phase, None, None
        if phase is None or self.transport.is_closing():
            return
        timeout = self._timeout(phase)
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.debug(
            "closed the connection of %s: its request %s did not arrive within %g s",
            client,
            phase,
            timeout,
            extra={"event": "http_read_timeout", "phase": phase, "timeout_seconds": timeout},
        )
        self.deadlines.on_timeout(phase)
        if phase == "headers":  # no request yet, so no answer under way: say why before closing
            text = f"The request headers did not arrive within {timeout:g} s.".encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(text), text)
            )
        self.transport.close()


def read_deadlines(limits: HttpLimits, on_timeout: Callable[[str], None]) -> type[ReadDeadlines]:
    """A :class:`ReadDeadlines` protocol class with these limits (uvicorn instantiates the class)."""
    return type("ReadDeadlines", (ReadDeadlines,), {"deadlines": _Deadlines(limits, on_timeout)})


def http_config(
    app: Any, limits: HttpLimits | None = None, on_timeout: Callable[[str], None] = lambda phase: None
) -> uvicorn.Config:
    """The uvicorn settings of the daemon's HTTP server; ``on_timeout(phase)`` is called for each
    connection closed at a read deadline (``"headers"`` or ``"body"``)."""
    limits = limits or HttpLimits()
    return uvicorn.Config(
        app,
        http=read_deadlines(limits, on_timeout),
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=limits.keep_alive,
        limit_concurrency=limits.max_connections,
        h11_max_incomplete_event_size=limits.max_header_bytes,
    )


class Server(uvicorn.Server):
    """uvicorn's server, which also stops the daemon when it catches SIGTERM / SIGINT."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; a port in use is an :class:`OkrsyncError` (exit 2)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OkrsyncError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Another process may use the port: "
            "pass --port (or set daemon.port / OKRSYNC_DAEMON__PORT), or stop the other process."
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def stop_on_signals(actions: list[Callable[[], None]]) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT run every action in ``actions`` (which may grow meanwhile);
    the previous handlers come back on the way out."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        for action in list(actions):
            action()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
