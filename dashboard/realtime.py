"""Wire Socket.IO: clients join the room of their view; deltas arrive through the Redis queue."""

from __future__ import annotations

from typing import Any

from flask_socketio import SocketIO, join_room

VIEWS = ("wall",)


def register(socketio: SocketIO) -> None:
    """Attach the connect handler to a Socket.IO server."""

    def connect(auth: dict[str, Any] | None = None) -> bool:
        view = (auth or {}).get("view", "wall")
        if view not in VIEWS:
            return False
        join_room(view)
        return True

    socketio.on_event("connect", connect)
