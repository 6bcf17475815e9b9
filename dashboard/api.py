"""Serve the JSON endpoints: the wall's snapshot, display names and health."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, jsonify, request

from dashboard.state import get_state
from datafeeds import queries
from datafeeds.clock import local_day, utcnow
from layouts.i18n import pick_lang

blueprint = Blueprint("api", __name__)

ALIVE_WITHIN = timedelta(seconds=20)


@blueprint.get("/api/snapshot")
def snapshot() -> Response:
    """Return the wall's whole state at one global seq (the browser's starting point and resync)."""
    state = get_state()
    snap = queries.snapshot(state.engine, utcnow(), tz=state.tz, ticker_size=state.settings.ticker_size)
    if request.args.get("names"):
        snap["names"] = queries.names(state.engine, pick_lang(request.args.get("lang"), state.settings.lang))
    response = jsonify(snap)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/api/duty")
def duty() -> Response:
    """Return who is on duty on a day (default: today in the display time zone), names masked."""
    state = get_state()
    raw = request.args.get("day")
    try:
        day = date.fromisoformat(raw) if raw else local_day(utcnow(), state.tz)
    except ValueError:
        return jsonify({"error": "day must be YYYY-MM-DD"}), 400  # type: ignore[return-value]
    response = jsonify({"day": day.isoformat(), **state.roster().on(day).masked()})
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Return whether the ingest is alive, the last event time and seq, and the message counts."""
    state = get_state()
    h = queries.health(state.engine)
    alive_at: datetime | None = h["alive_at"]
    alive = alive_at is not None and utcnow() - alive_at < ALIVE_WITHIN
    body = {
        "status": "ok" if alive else "degraded",
        "ingest_alive": alive,
        "ingest_alive_at": _iso(alive_at),
        "last_event_at": _iso(h["last_event_at"]),
        "last_heartbeat_at": _iso(h["last_heartbeat_at"]),
        "last_seq": h["seq"],
        "accepted": h["accepted"],
        "rejected": h["rejected"],
        "duplicates": h["duplicates"],
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if alive else 503


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
