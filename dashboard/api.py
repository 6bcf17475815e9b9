"""Serve the JSON endpoints: the wall's snapshot, display names and health."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import redis
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dashboard.metrics import get_metrics
from dashboard.state import get_state
from datafeeds import deadletters, queries
from datafeeds.clock import local_day, utcnow
from datafeeds.deltalog import DeltaLog, Gone
from datafeeds.models import IngestState
from datafeeds.sources import read_status, stored_sources
from datafeeds.wallstate import merge_deltas
from layouts.i18n import pick_lang

log = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__)

# The ingest marks itself alive every 5 s (its status interval); four missed marks mean it is gone.
ALIVE_WITHIN = timedelta(seconds=20)


def ingest_alive(alive_at: datetime | None, now: datetime) -> bool:
    """Say whether the ingest's last alive mark is recent enough."""
    return alive_at is not None and now - alive_at < ALIVE_WITHIN


@blueprint.get("/api/snapshot")
def snapshot() -> Response:
    """Return the wall's whole state at one global seq (the browser's starting point and resync)."""
    state = get_state()
    get_metrics().snapshot_requested(request.args.get("why"))
    snap = queries.snapshot(state.engine, utcnow(), tz=state.tz, ticker_size=state.settings.ticker_size)
    if request.args.get("names"):
        snap["names"] = queries.names(state.engine, pick_lang(request.args.get("lang"), state.settings.lang))
    response = jsonify(snap)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/api/deltas")
def deltas() -> tuple[Response, int]:
    """Return the deltas a wall missed since its seq (`?after=`), or 410 when it must take a snapshot.

    A wall that reconnects or sees a seq gap asks here first: the deltas come from Redis (the log the ingest
    keeps of what it pushed) and cost the store one read, where a snapshot reads every open case. 410 says
    why the log cannot bring this wall to the store's seq; 503 that Redis did not answer. With the deltas
    come the month's panels as last pushed and each publisher's state, so the wall ends exactly where a
    snapshot would have put it.
    """
    state = get_state()
    metrics = get_metrics()
    try:
        after = int(request.args.get("after", ""))
        if after < 0:
            raise ValueError(after)
    except ValueError:
        return jsonify({"error": "after must be a seq (a whole number ≥ 0)"}), 400
    dlog = DeltaLog(state.redis(), state.settings.feed_prefix)
    with Session(state.engine) as conn:
        store_seq = queries.store_seq(conn)  # before the log: what the log holds must reach at least this far
        sources = stored_sources(conn)
        heartbeat = conn.execute(select(IngestState.last_heartbeat_at).where(IngestState.id == 1)).scalar()
    try:
        catch = dlog.after(after, store_seq=store_seq, max_bytes=state.settings.catchup_max_bytes)
        panels = dlog.read_panels() or {}
    except Gone as gone:
        metrics.catchup(gone.reason)
        return _no_store(jsonify({"gone": gone.reason, "seq": store_seq})), 410
    except (redis.RedisError, OSError) as exc:
        log.warning("deltas: Redis did not answer: %s", exc)
        metrics.catchup("redis_down")
        return _no_store(jsonify({"gone": "redis_down", "seq": store_seq})), 503
    metrics.catchup("served", len(catch.deltas))
    # One delta for the lot (later values win, pins and ticker combined, as the ingest coalesces under load):
    # a minute's 300 deltas each carry the whole counters and warning list; merged they are a fifth the size.
    merged = [merge_deltas(catch.deltas)] if catch.deltas else []
    body = {"after": after, "seq": catch.seq, "deltas": merged, "merged": len(catch.deltas), "sources": sources,
            "last_heartbeat_at": _iso(heartbeat), **{k: v for k, v in panels.items() if k in ("leagues", "trends")}}
    return _no_store(jsonify(body)), 200


def _no_store(response: Response) -> Response:
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
    """Say whether a load balancer should send walls to this web process.

    200 when this process reads the store and the ingest is alive; 503 otherwise. `status` says which:
    `ok`, `degraded` (the store answers, the ingest has not marked itself alive for 20 s: walls would show
    a frozen picture) or `unavailable` (this process cannot read the store: no snapshot can be served).
    The body always has the same fields; what could not be read is null.
    """
    state = get_state()
    try:
        h: dict[str, Any] = queries.health(state.engine)
        hostile = deadletters.summary(state.engine)  # rejections by reason, dead letters, outside the county
        # Each publisher: last seq, gaps, when it last spoke, and `silent_s` when past its interval. In the
        # body only: one silent publisher does not take this web process out of a load balancer.
        sources: list[dict[str, Any]] | None = read_status(state.engine, utcnow(), state.settings.feed_stale_seconds)
        store_ok = True
    except SQLAlchemyError as exc:
        log.warning("healthz: the store did not answer: %s", exc)
        h = dict.fromkeys(("alive_at", "last_event_at", "last_heartbeat_at", "seq", "accepted", "rejected",
                           "duplicates"))
        hostile = dict.fromkeys(("rejected_by_reason", "dead_letters", "outside_county"))
        sources = None
        store_ok = False
    alive = ingest_alive(h["alive_at"], utcnow())
    body = {
        "status": "ok" if store_ok and alive else "degraded" if store_ok else "unavailable",
        "store_ok": store_ok,
        "ingest_alive": alive,
        "ingest_alive_at": _iso(h["alive_at"]),
        "last_event_at": _iso(h["last_event_at"]),
        "last_heartbeat_at": _iso(h["last_heartbeat_at"]),
        "last_seq": h["seq"],
        "accepted": h["accepted"],
        "rejected": h["rejected"],
        "duplicates": h["duplicates"],
        **hostile,
        "sources": sources,
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if store_ok and alive else 503


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
