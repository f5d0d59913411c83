"""The process around the daemon: its listening socket, the uvicorn server, SIGTERM / SIGINT."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable, Iterator
from types import FrameType

import uvicorn

from okrsync.domain.model import OkrsyncError


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
