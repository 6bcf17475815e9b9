"""Publish a simulator's stream to Redis: paced backfill, then live or fixed-rate events and heartbeats."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from datafeeds.clock import utcnow
from datafeeds.publisher import Publisher

if TYPE_CHECKING:
    from datafeeds.simulator import SimEvent, Simulator


@dataclass(frozen=True, slots=True)
class RunStats:
    """What a run published: backfilled and live events, and heartbeats (counted apart)."""

    backfill: int
    live: int
    heartbeats: int


def _send(publisher: Publisher, events: list[SimEvent], chunk: int) -> int:
    for i in range(0, len(events), chunk):
        part = events[i:i + chunk]
        publisher.publish_many([publisher.event(e.type, e.data, at=e.at) for e in part])
    return len(events)


def run_simulation(
    sim: Simulator,
    publisher: Publisher,
    *,
    backfill_days: float = 0,
    rate: float | None = None,
    duration: float | None = None,
    heartbeat_s: float = 10.0,
    stop_event: threading.Event | None = None,
    chunk: int = 500,
    max_backfill_rate: float = 20_000.0,
) -> RunStats:
    """Publish backfill (paced), then live events until `stop_event` or `duration` s of live run.

    With `rate`, exactly int(rate × duration) case events go out, stamped when sent, whatever the
    daily rhythm; without it the stream follows the simulated clock (speedup applies).
    """
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive")
    stop = stop_event or threading.Event()
    backfilled = live = beats = 0
    if backfill_days > 0:
        history = sim.backfill(backfill_days)
        for i in range(0, len(history), chunk):
            if stop.is_set():
                break
            began = time.monotonic()
            backfilled += _send(publisher, history[i:i + chunk], chunk)
            # Pace so a subscriber keeps up: Redis cuts a slow pub/sub client at 32 MB of backlog.
            stop.wait(max(0.0, chunk / max_backfill_rate - (time.monotonic() - began)))
    began = time.monotonic()
    next_beat = began
    while not stop.is_set():
        now = time.monotonic()
        elapsed = now if duration is None else min(now, began + duration)
        if rate is not None:
            live += _send(publisher, sim.rate_events(int(rate * (elapsed - began)) - live), chunk)
        else:
            live += _send(publisher, sim.events_until(sim.sim_time_at(utcnow())), chunk)
        if duration is not None and now >= began + duration:
            break
        if now >= next_beat:
            publisher.publish_event(publisher.event("heartbeat", {"interval_s": heartbeat_s}))
            beats += 1
            next_beat += heartbeat_s
        # Short ticks in rate mode keep batches small; live mode sleeps until its next event is due, so a
        # lone event goes out on time instead of waiting for a polling tick.
        wait = min(0.05 if rate is not None else 0.25, next_beat - time.monotonic())
        upcoming = sim.next_stamp() if rate is None else None
        if upcoming is not None:
            wait = min(wait, (upcoming - utcnow()).total_seconds())
        if duration is not None:
            wait = min(wait, began + duration - time.monotonic())
        stop.wait(max(wait, 0.001))
    if not publisher.flush(timeout=30):
        raise ConnectionError(f"Redis did not answer: {publisher.pending} events not sent")
    return RunStats(backfilled, live, beats)
