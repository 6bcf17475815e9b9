"""Wire Socket.IO: clients join the room of their view; deltas arrive through the Redis queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import redis
import socketio
from flask import request, session
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from dashboard import websessions
from dashboard.auth import SESSION_KEY

if TYPE_CHECKING:
    from dashboard.metrics import WebMetrics
    from dashboard.state import AppState

log = logging.getLogger(__name__)

# What a socket may ask to show, and the level it needs: the wall's masked deltas for any principal; the
# desks' doorbell (which cases changed) for officers and above.
VIEWS: dict[str, str] = {"wall": "wall", "desk": "officer"}

# Seconds between attempts to re-subscribe to the Socket.IO queue after Redis went away.
RESUBSCRIBE_EVERY = 1.0
# Seconds between checks of every socket's session against the store. A revoked token or a sign-out rings a
# doorbell (dashboard.websessions.ring) that starts a check at once; this bounds the wait if the ring is lost.
SWEEP_EVERY = 10.0


class PromptRedisManager(socketio.RedisManager):  # type: ignore[misc]  # the library is untyped
    """python-socketio's Redis queue, re-subscribing every second after Redis went away.

    The library's own listener doubles its wait after each failed attempt, up to 60 s: after a Redis
    restart of a minute or two, a web process could stay deaf for up to a minute more while its walls sat
    connected and silent. One connection attempt a second per web process costs nothing; the walls hear
    the next push (and catch up on what they missed) as soon as Redis answers.
    """

    # A second channel heard on the same subscription, and what to call when it rings (the sessions doorbell).
    notice: tuple[str, Callable[[], None]] | None = None

    def _listen(self) -> Iterator[bytes]:
        channel = self.channel.encode("utf-8")
        notice_channel = self.notice[0].encode("utf-8") if self.notice else None
        failing = False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel, *([self.notice[0]] if self.notice else []))
                if failing:
                    log.warning("Socket.IO queue: subscribed to Redis again")
                    failing = False
                    self._ring()  # a ring may have been missed while Redis was away
                for message in self.pubsub.listen():
                    if message["type"] != "message" or "data" not in message:
                        continue
                    if message["channel"] == channel:
                        yield message["data"]
                    elif message["channel"] == notice_channel:
                        self._ring()
            except (redis.RedisError, OSError) as exc:
                if not failing:
                    log.warning("Socket.IO queue: Redis went away (%s); trying again every %s s", exc,
                                RESUBSCRIBE_EVERY)
                    failing = True
                time.sleep(RESUBSCRIBE_EVERY)

    def _ring(self) -> None:
        if self.notice is not None:
            try:
                self.notice[1]()
            except Exception:  # the queue must keep listening whatever the doorbell's handler does
                log.exception("Socket.IO queue: the notice handler failed")


class Presence:
    """The sockets of this process and the session each was opened with (what the sweep checks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, int] = {}

    def add(self, sid: str, session_id: int) -> None:
        """Remember a socket's session."""
        with self._lock:
            self._sessions[sid] = session_id

    def remove(self, sid: str) -> None:
        """Forget a socket."""
        with self._lock:
            self._sessions.pop(sid, None)

    def snapshot(self) -> dict[str, int]:
        """Return every socket with its session."""
        with self._lock:
            return dict(self._sessions)


def register(socketio: SocketIO, state: AppState, metrics: WebMetrics | None = None) -> Callable[[], None]:
    """Attach the connect and disconnect handlers and start the session sweep; return the sweep's doorbell.

    A socket connects only with a session that signs someone in (the same cookie as the pages), joins its
    view's room and its principal's, and is dropped by the sweep as soon as its session ends: a revoked
    display token, a disabled user, a sign-out elsewhere, an expired session.
    """
    presence = Presence()
    wake = threading.Event()
    idle = timedelta(minutes=state.settings.session_idle_minutes)

    def connect(auth: dict[str, Any] | None = None) -> bool:
        principal = websessions.resolve(state.engine, session.get(SESSION_KEY), idle=idle)
        if principal is None:
            raise ConnectionRefusedError("unauthorized")
        view = (auth or {}).get("view", "wall")
        if view not in VIEWS or not principal.may(VIEWS[view]):
            return False
        sid: str = request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets sid
        presence.add(sid, principal.session_id)
        # A revocation whose sweep ran between the check above and the line before would miss this socket:
        # look once more now that the sweep can see it.
        if not websessions.live_sessions(state.engine, [principal.session_id], idle=idle):
            presence.remove(sid)
            raise ConnectionRefusedError("unauthorized")
        join_room(view)  # what it shows: the ingest pushes the masked wall deltas, or the desks' doorbell, here
        join_room(f"role:{principal.role}")  # what it may see: pushes for a role go only to its rooms
        join_room(principal.room)  # who it is: to find the sockets of one user or one wall
        if metrics is not None:
            metrics.connected(sid, view)
        return True

    def disconnect(reason: object = None) -> None:
        presence.remove(request.sid)  # type: ignore[attr-defined]
        if metrics is not None:
            metrics.disconnected(request.sid)  # type: ignore[attr-defined]

    def sweep() -> int:
        sockets = presence.snapshot()
        if not sockets:
            return 0
        live = websessions.live_sessions(state.engine, sockets.values(), idle=idle)
        dropped = 0
        for sid, session_id in sockets.items():
            if session_id not in live:
                presence.remove(sid)
                socketio.server.disconnect(sid, namespace="/")
                dropped += 1
        if dropped:
            log.info("dropped %d socket(s) whose session ended", dropped)
        return dropped

    def sweep_loop() -> None:
        while True:
            wake.wait(SWEEP_EVERY)
            wake.clear()
            try:
                sweep()
            except Exception:  # a database hiccup must not end the sweep for good
                log.exception("session sweep failed; trying again in %s s", SWEEP_EVERY)

    socketio.on_event("connect", connect)
    socketio.on_event("disconnect", disconnect)
    socketio.start_background_task(sweep_loop)
    return wake.set
