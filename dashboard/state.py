"""Hold the per-app state that the factory wires (kept on the Flask app, never in module globals)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import Engine

from dashboard.settings import Settings
from datafeeds import queries


@dataclass
class AppState:
    """Settings, database and Redis of one app."""

    settings: Settings
    engine: Engine
    redis_url: str
    _boundaries: dict[str, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tz(self) -> ZoneInfo:
        """Return the display time zone."""
        return ZoneInfo(self.settings.timezone)

    def boundaries(self) -> dict[str, Any]:
        """Return the county's boundaries, read from the store once."""
        with self._lock:
            if self._boundaries is None or not self._boundaries["bounds"]:
                self._boundaries = queries.boundaries(self.engine)
            return self._boundaries


def get_state(app: Flask | None = None) -> AppState:
    """Return the state of the current (or given) app."""
    state: AppState = (app or current_app).extensions["zhongshu"]
    return state
