"""Wire Socket.IO: clients join the room of their view; deltas arrive through the Redis queue."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import redis
import socketio
from flask import request
from flask_socketio import SocketIO, join_room

if TYPE_CHECKING:
    from dashboard.metrics import WebMetrics

log = logging.getLogger(__name__)

VIEWS = ("wall",)

# Seconds between attempts to re-subscribe to the Socket.IO queue after Redis went away.
RESUBSCRIBE_EVERY = 1.0


class PromptRedisManager(socketio.RedisManager):  # type: ignore[misc]  # the library is untyped
    """python-socketio's Redis queue, re-subscribing every second after Redis went away.

    The library's own listener doubles its wait after each failed attempt, up to 60 s: after a Redis
    restart of a minute or two, a web process could stay deaf for up to a minute more while its walls sat
    connected and silent. One connection attempt a second per web process costs nothing; the walls hear
    the next push (and catch up on what they missed) as soon as Redis answers.
    """

    def _listen(self) -> Iterator[bytes]:
        channel = self.channel.encode("utf-8")
        failing = False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if failing:
                    log.warning("Socket.IO queue: subscribed to Redis again")
                    failing = False
                for message in self.pubsub.listen():
                    if message["channel"] == channel and message["type"] == "message" and "data" in message:
                        yield message["data"]
            except (redis.RedisError, OSError) as exc:
                if not failing:
                    log.warning("Socket.IO queue: Redis went away (%s); trying again every %s s", exc,
                                RESUBSCRIBE_EVERY)
                    failing = True
                time.sleep(RESUBSCRIBE_EVERY)


def register(socketio: SocketIO, metrics: WebMetrics | None = None) -> None:
    """Attach the connect and disconnect handlers to a Socket.IO server (counting clients by view)."""

    def connect(auth: dict[str, Any] | None = None) -> bool:
        view = (auth or {}).get("view", "wall")
        if view not in VIEWS:
            return False
        join_room(view)
        if metrics is not None:
            metrics.connected(request.sid, view)  # type: ignore[attr-defined]  # Flask-SocketIO sets sid
        return True

    def disconnect(reason: object = None) -> None:
        if metrics is not None:
            metrics.disconnected(request.sid)  # type: ignore[attr-defined]

    socketio.on_event("connect", connect)
    socketio.on_event("disconnect", disconnect)
