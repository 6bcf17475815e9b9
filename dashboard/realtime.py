"""Wire Socket.IO: clients join the room of their view; deltas arrive through the Redis queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import request
from flask_socketio import SocketIO, join_room

if TYPE_CHECKING:
    from dashboard.metrics import WebMetrics

VIEWS = ("wall",)


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
