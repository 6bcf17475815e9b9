"""Hold the per-app state that the factory wires (kept on the Flask app, never in module globals)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import redis
from flask import Flask, current_app
from sqlalchemy import Engine

from dashboard.roster import Roster
from dashboard.settings import Settings
from datafeeds import queries
from datafeeds.briefing import Recent


@dataclass
class AppState:
    """Settings, database and Redis of one app."""

    settings: Settings
    engine: Engine
    redis_url: str
    _boundaries: dict[str, Any] | None = None
    _gcj: dict[str, Any] | None = None
    _roster: Roster | None = None
    _roster_stamp: float | None = None
    _redis: redis.Redis | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # The briefings read in the last minute: the page, its map frame and its exports share them.
    briefings: Recent = field(default_factory=Recent)

    def redis(self) -> redis.Redis:
        """Return this app's Redis client (one connection pool, shared by the request threads)."""
        with self._lock:
            if self._redis is None:
                self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
            return self._redis

    @property
    def tz(self) -> ZoneInfo:
        """Return the display time zone."""
        return ZoneInfo(self.settings.timezone)

    def roster(self) -> Roster:
        """Return the duty roster, re-read when its file changes (a county edits it by hand)."""
        path = self.settings.duty_roster
        stamp = path.stat().st_mtime if path is not None and path.exists() else None
        with self._lock:
            if self._roster is None or stamp != self._roster_stamp:
                self._roster = Roster.load(path if stamp is not None else None)
                self._roster_stamp = stamp
            return self._roster

    def boundaries(self, gcj02: bool = False) -> dict[str, Any]:
        """Return the county's boundaries, read from the store once (shifted to GCJ-02 when asked)."""
        with self._lock:
            if self._boundaries is None or not self._boundaries["bounds"]:
                self._boundaries = queries.boundaries(self.engine)
                self._gcj = None
            if not gcj02:
                return self._boundaries
            if self._gcj is None:
                self._gcj = queries.boundaries_gcj02(self._boundaries)
            return self._gcj


def get_state(app: Flask | None = None) -> AppState:
    """Return the state of the current (or given) app."""
    state: AppState = (app or current_app).extensions["zhongshu"]
    return state
