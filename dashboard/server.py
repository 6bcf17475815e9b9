"""Serve the app with Werkzeug's threaded server, Nagle off, for development, tests and the demo."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class NoDelayHandler(WSGIRequestHandler):
    """Turn Nagle's algorithm off: small Socket.IO frames otherwise wait up to 40 ms for an ACK."""

    def setup(self) -> None:
        """Set TCP_NODELAY on the accepted connection, and remember it so a stop can close it."""
        super().setup()
        if isinstance(self.connection, socket.socket) and self.connection.family != socket.AF_UNIX:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _open_connections(self.server).add(self.connection)

    def finish(self) -> None:
        """Forget the connection."""
        _open_connections(self.server).discard(self.connection)
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log failed requests only; a wall's steady traffic would flood the log."""
        if str(code).startswith(("4", "5")):
            super().log_request(code, size)


def _open_connections(server: object) -> set[socket.socket]:
    conns: set[socket.socket] | None = getattr(server, "zhongshu_connections", None)
    if conns is None:
        conns = set()
        setattr(server, "zhongshu_connections", conns)  # noqa: B010 - a plain attribute on a library object
    return conns


def close_connections(server: BaseWSGIServer) -> None:
    """Close every open connection (WebSockets included): shutdown() alone only stops accepting."""
    for conn in list(_open_connections(server)):
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)


def closing(app: WSGIApplication) -> WSGIApplication:
    """Wrap an app so its answer is closed however the sending ends.

    Werkzeug's server closes an answer after draining the request socket, and a client that went away makes
    that drain raise first: a static file being sent when a browser moved on stayed open until the garbage
    collector found it. Here the answer is closed when its sending stops, finished or not.
    """

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = app(environ, start_response)

        def send() -> Iterator[bytes]:
            try:
                yield from answer
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()

        return send()

    return wrapped


def build_server(app: Flask, host: str, port: int) -> BaseWSGIServer:
    """Return a threaded WSGI server for the app (port 0 picks a free one)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return make_server(host, port, closing(app), threaded=True, request_handler=NoDelayHandler)


class ServerThread(threading.Thread):
    """Run a server in a thread that can be shut down (tests and benchmarks)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(name="zhongshu-web", daemon=True)
        self.server = build_server(app, host, port)
        self.port = self.server.server_port

    def run(self) -> None:
        """Serve until shut down."""
        self.server.serve_forever(poll_interval=0.1)

    def stop(self, drain: float = 5.0) -> None:
        """Stop serving, drop every open connection and close the socket, as a stopped process would.

        Then wait (up to `drain` seconds) for the requests still being answered to end, so whoever stops the
        app next (disposing its database engine) does not pull the store out from under them.
        """
        self.server.shutdown()
        close_connections(self.server)
        self.server.server_close()
        deadline = time.monotonic() + drain
        while _open_connections(self.server) and time.monotonic() < deadline:
            time.sleep(0.02)
