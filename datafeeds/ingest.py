"""Run the ingest: subscribe to the feeds, apply batches, emit deltas to the walls. The one writer."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from datafeeds.apply import Applier, RawMessage, merge_deltas
from datafeeds.clock import month_start_utc, utcnow
from datafeeds.contract import Channel, channel_name, stream_key
from datafeeds.deltalog import DeltaLog
from datafeeds.leagues import leagues
from datafeeds.metrics import IngestMetrics, MetricsWriter
from datafeeds.models import IngestState
from datafeeds.rows import peek_id
from datafeeds.trends import trends

log = logging.getLogger(__name__)

WALL_ROOM = "wall"
# The desks' room: a doorbell naming the cases each push changed, so an open list or case re-reads the store.
DESK_ROOM = "desk"
# A push that changed more cases than this rings "anything may have changed" instead of naming them.
DESK_CASES_MAX = 500


class Emitter(Protocol):
    """Anything that can send a Socket.IO event to a room."""

    def emit(self, event: str, data: Any, room: str) -> None:
        """Send an event to every client in a room."""


class SocketIOEmitter:
    """Emit through the Flask-SocketIO message queue on Redis, without Flask."""

    def __init__(self, redis_url: str, channel: str) -> None:
        import socketio

        self._mgr = socketio.RedisManager(redis_url, channel=channel, write_only=True)

    def emit(self, event: str, data: Any, room: str) -> None:
        """Publish an event for the web processes to deliver to a room."""
        self._mgr.emit(event, data, namespace="/", room=room)


class TokenBucket:
    """Let bursts through at once and hold back what passes a steady rate."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def take(self) -> float:
        """Take a token; return 0 when one was there, else the seconds until one will be."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass(frozen=True, slots=True)
class Subscribed:
    """Queued when a (re)subscription begins: pub/sub brings what follows, the feed log what came before."""

    redis_ms: int  # Redis's clock at the subscription, comparable with the feed log's entry ids


class Subscriber(threading.Thread):
    """Read the feed channels into a queue, reconnecting with backoff when Redis goes away."""

    def __init__(self, client: redis.Redis, prefix: str, out: queue.Queue[RawMessage | Subscribed | None],
                 stop: threading.Event) -> None:
        super().__init__(name="zhongshu-subscriber", daemon=True)
        self.client, self.out, self.stop = client, out, stop
        self.channels = [channel_name(prefix, c) for c in Channel]
        self.reconnects = 0
        self.subscribed_ms = 0
        self.ready = threading.Event()

    def run(self) -> None:
        """Subscribe and forward messages until stopped."""
        backoff = 0.2
        while not self.stop.is_set():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(*self.channels)
                pubsub.get_message(timeout=1.0)  # the server's confirmation: from here on pub/sub delivers
                # Redis's own clock, as the feed log's ids use it: the log covers what came before this.
                secs, micros = self.client.time()
                self.subscribed_ms = secs * 1000 + micros // 1000
                self.out.put(Subscribed(self.subscribed_ms))
                self.ready.set()
                backoff = 0.2
                while not self.stop.is_set():
                    msg = pubsub.get_message(timeout=0.5)
                    if msg is not None and msg["type"] == "message":
                        channel = msg["channel"]
                        self.out.put(RawMessage(channel.decode() if isinstance(channel, bytes) else channel,
                                                msg["data"]))
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self.reconnects += 1
                log.warning("feed subscription lost (%s); reconnecting in %.1fs", exc, backoff)
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    pubsub.close()


class Ingest:
    """Tie the subscriber, the applier and the emitter together."""

    def __init__(self, applier: Applier, client: redis.Redis, *, prefix: str, emitter: Emitter | None,
                 batch_max: int = 2000, emit_rate: float = 50.0, status_every: float = 5.0,
                 league_every: float = 30.0, catchup_every: float = 2.0, metrics_every: float = 5.0,
                 delta_log: DeltaLog | None = None) -> None:
        self.applier, self.client, self.prefix, self.emitter = applier, client, prefix, emitter
        # Every delta pushed is logged first, so a wall that missed some fetches them (`/api/deltas`).
        self.delta_log = delta_log
        self.batch_max = batch_max
        self.bucket = TokenBucket(emit_rate, burst=max(1.0, emit_rate / 5))
        self.status_every = status_every
        self.league_every = league_every
        self.queue: queue.Queue[RawMessage | Subscribed | None] = queue.Queue()
        self._marker: Subscribed | None = None
        self.stop = threading.Event()
        self.subscriber = Subscriber(client, prefix, self.queue, self.stop)
        self._held: list[dict[str, Any]] = []
        self._held_until = 0.0
        self._last_counters: dict[str, Any] | None = None
        # A wall that hears of a seq beyond its own resyncs: tell it only of deltas already sent.
        self._emitted_seq = applier.committed_seq
        # The feed log (a Redis Stream the publisher API appends to): what pub/sub did not bring is replayed
        # from it — at start, after the subscription was lost, and every `catchup_every` seconds.
        self.stream = stream_key(prefix)
        self.catchup_every = catchup_every
        self.stream_pos = self._start_pos()
        self._pos_is_entry = False  # a position read off the log (not one made up from a time)
        self.replayed = 0
        self.stream_trimmed = 0
        self.started = threading.Event()  # set once the replay up to the first subscription is done
        # Counters and timings, written to Redis every `metrics_every` seconds for the web's /metrics.
        self.metrics = IngestMetrics(self)
        self.metrics_writer = MetricsWriter(self.metrics, client, prefix, metrics_every, self.stop)

    def start(self) -> None:
        """Start the subscriber thread and wait until it listens."""
        if self.delta_log is not None:
            try:
                self.delta_log.reset_if_ahead(self.applier.committed_seq)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("could not read the wall delta log: %s", exc)
        self.subscriber.start()
        self.metrics_writer.start()
        self.subscriber.ready.wait(10)

    def run(self, *, until: Callable[[], bool] | None = None) -> None:
        """Apply batches until stopped (or `until` says so)."""
        self.start()
        next_status = next_league = 0.0
        next_catchup = time.monotonic() + self.catchup_every
        self.write_alive()
        while not self.stop.is_set() and not (until and until()):
            timeout = 0.25
            if self._held:
                timeout = max(0.0, min(timeout, self._held_until - time.monotonic()))
            batch = self._take(timeout)
            if batch:
                beat = self.applier.last_heartbeat_at
                delta = self._apply(batch)
                if delta is not None:
                    self._offer(delta)
                elif self.applier.last_heartbeat_at != beat:
                    self._emit_status(utcnow())  # a heartbeat alone still tells the walls the feed lives
            self._flush_held()
            now = time.monotonic()
            # Only with nothing from pub/sub still waiting: then a log entry older than a second that the store
            # lacks was missed by pub/sub, not merely queued behind a backlog (it would come twice).
            if now >= next_catchup and self.queue.empty() and self._marker is None:
                next_catchup = now + self.catchup_every
                self.catch_up(grace_ms=1000)
            if now >= next_status:
                next_status = now + self.status_every
                self.write_alive()
                self._clock_tick()
            if now >= next_league:
                next_league = now + self.league_every
                self._emit_leagues()

    def _start_pos(self) -> str:
        # Replay from a minute before this ingest (or its predecessor) was last alive; what the store already
        # holds is skipped by id, so starting early costs only reading.
        with Session(self.applier.engine) as conn:
            alive = conn.execute(select(IngestState.alive_at).where(IngestState.id == 1)).scalar()
        if alive is None:
            return "0-0"
        return f"{max(0, int(alive.timestamp() * 1000) - 60_000)}-0"

    def catch_up(self, upto_ms: int | None = None, grace_ms: int = 2000, count: int = 2000) -> int:
        """Apply what the feed log holds beyond the last position and the store lacks; return how many.

        The log is read up to `upto_ms` (Redis time; the moment pub/sub took over after a (re)subscription),
        else up to `grace_ms` ago: younger entries are pub/sub's to bring, in milliseconds. A log trimmed past
        the position is counted: those events cannot come back.
        """
        applied = 0
        try:
            if upto_ms is None:
                secs, micros = self.client.time()
                upto_ms = secs * 1000 + micros // 1000 - grace_ms
            upto = str(upto_ms)
            self._check_trimmed()
            while True:
                entries = self.client.xrange(self.stream, min=f"({self.stream_pos}", max=upto, count=count)
                if not entries:
                    break
                raws: list[RawMessage] = []
                ids: list[str] = []
                for _entry_id, fields in entries:
                    data, channel, logged_id = ((fields or {}).get(k) for k in (b"d", b"c", b"i"))
                    if not isinstance(data, bytes) or not isinstance(channel, bytes):
                        continue
                    event_id = logged_id.decode() if isinstance(logged_id, bytes) else peek_id(data)
                    if event_id is None:
                        continue  # the publisher API only logs valid events: nothing else to replay
                    raws.append(RawMessage(channel.decode(), data))
                    ids.append(event_id)
                known = self.applier.known_ids(ids)
                missing = [raw for raw, event_id in zip(raws, ids, strict=True) if event_id not in known]
                if missing:
                    delta = self._apply(missing)
                    if delta is not None:
                        self._offer(delta)
                    applied += len(missing)
                last = entries[-1][0]
                self.stream_pos = last.decode() if isinstance(last, bytes) else str(last)
                self._pos_is_entry = True
                if len(entries) < count:
                    break
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            log.warning("could not read the feed log: %s", exc)
        if applied:
            self.replayed += applied
            log.info("replayed %d events from the feed log (up to %s)", applied, self.stream_pos)
        return applied

    def _check_trimmed(self) -> None:
        # The log is trimmed to a length: if our position fell off its head, what lay between is gone.
        first = self.client.xrange(self.stream, min="-", max="+", count=1) or []
        if not first:
            return
        head = _decode_id(first[0][0])
        if not _id_after(head, self.stream_pos):
            return
        if self._pos_is_entry:
            trimmed = not self.client.xrange(self.stream, min=self.stream_pos, max=self.stream_pos, count=1)
        else:
            deleted = self.client.xinfo_stream(self.stream).get("max-deleted-entry-id")  # Redis 7 and later
            trimmed = deleted is not None and _id_after(_decode_id(deleted), self.stream_pos)
        if trimmed:
            self.stream_trimmed += 1
            log.error("the feed log was trimmed past %s: events published before %s cannot be replayed",
                      self.stream_pos, head)
            self.stream_pos, self._pos_is_entry = _before(head), False

    def _take(self, timeout: float) -> list[RawMessage]:
        # A batch ends at a subscription marker: the feed log is replayed up to it before anything after it.
        if self._marker is not None:
            marker, self._marker = self._marker, None
            self.catch_up(upto_ms=marker.redis_ms)
            self.started.set()
        try:
            first = self.queue.get(timeout=timeout) if timeout > 0 else self.queue.get_nowait()
        except queue.Empty:
            return []
        batch: list[RawMessage] = []
        item: RawMessage | Subscribed | None = first
        while True:
            if isinstance(item, Subscribed):
                if batch:
                    self._marker = item  # replay before the messages that follow it
                    break
                self.catch_up(upto_ms=item.redis_ms)
                self.started.set()
            elif item is not None:
                batch.append(item)
            if len(batch) >= self.batch_max:
                break
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
        return batch

    def _apply(self, batch: list[RawMessage]) -> dict[str, Any] | None:
        """Apply a batch (from the feeds, the feed log or the clock), timing it for the metrics."""
        started = time.perf_counter()
        delta = self.applier.apply(batch)
        self.metrics.observe_batch(len(batch), time.perf_counter() - started)
        return delta

    def _offer(self, delta: dict[str, Any]) -> None:
        if self._held:
            self._held.append(delta)
            return
        wait = self.bucket.take()
        if wait == 0.0:
            self._emit(delta)
        else:
            self._held = [delta]
            self._held_until = time.monotonic() + wait

    def _flush_held(self) -> None:
        if self._held and time.monotonic() >= self._held_until:
            self.bucket.take()
            self._emit(merge_deltas(self._held))
            self._held = []

    def _emit(self, delta: dict[str, Any]) -> None:
        cases = delta.pop("cases", None)  # the desks', not the walls': rung separately below
        if self.emitter is not None:
            delta["sent_ms"] = time.time() * 1000  # lets the walls (and benchmarks) see transit time
            self._emitted_seq = delta["seq"]
            if self.delta_log is not None:
                try:
                    self.delta_log.append(delta)  # before the push: a wall that hears of it can fetch it
                except redis.RedisError as exc:
                    # Pushed all the same; a wall that needs it from the log finds the chain broken there
                    # and takes a snapshot.
                    self.metrics.delta_log_errors.inc()
                    log.warning("could not log delta %s: %s", delta["seq"], exc)
            try:
                self.emitter.emit("delta", delta, WALL_ROOM)
                self.metrics.deltas.inc()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self.metrics.emit_errors.inc()
                # The walls see the seq gap on the next delta and resync from the store.
                log.warning("could not emit delta %s: %s", delta["seq"], exc)
            if cases:
                self._ring_desks(delta["seq"], cases)
        self._last_counters = delta["counters"]

    def _ring_desks(self, seq: int, cases: list[str]) -> None:
        """Tell the desks which cases changed (a doorbell: they read the cases from the store).

        A desk that misses a ring (a dropped socket) re-reads everything when it reconnects, so a lost ring
        costs freshness for seconds, never a wrong list.
        """
        assert self.emitter is not None
        try:
            self.emitter.emit("cases", {"seq": seq, "cases": cases if len(cases) <= DESK_CASES_MAX else None},
                              DESK_ROOM)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            self.metrics.emit_errors.inc()
            log.warning("could not ring the desks for %s: %s", seq, exc)

    def _clock_tick(self) -> None:
        """Push what the clock alone changed: cases passing their deadline, a new day's counters."""
        now = self.applier.clock()  # the applier's clock: tests move it instead of sleeping
        self.applier.record_figures(now)
        cards = self.applier.due_cards(now)
        if cards:  # 督办 cards the clock raised: applied and pushed like any batch from a feed
            delta = self._apply(cards)
            if delta is not None:
                self._offer(delta)
        if self._held:
            return
        counters = self.applier.counters(now)
        turned = self.applier.counts.take_turned()
        if not turned and counters == self._last_counters:
            return
        seq = self.applier.seq
        self._emit({"prev": seq, "seq": seq, "at": now.isoformat(), "events": 0, "counters": counters,
                    "warnings": self.applier.warnings(now),
                    "pins": {"upsert": self.applier.pins_of(turned, now), "remove": []}, "ticker": [],
                    "alerts": {"raised": [], "cleared": []}, "last_event_at": _iso(self.applier.last_event_at),
                    "cases": sorted(turned)})

    def _emit_leagues(self) -> None:
        """Push the month's aggregates: department league, township ranking, trends and mixes.

        They move with many cases, not with one: a timer pushes them instead of every delta.
        """
        if self.emitter is None:
            return
        now = self.applier.clock()
        with Session(self.applier.engine) as conn:
            panels = {"leagues": leagues(conn, month_start_utc(now, self.applier.tz), now),
                      "trends": trends(conn, now, self.applier.tz)}
        if self.delta_log is not None:
            try:
                self.delta_log.store_panels(panels)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("could not keep the panels for catching-up walls: %s", exc)
        for event, data in panels.items():
            try:
                self.emitter.emit(event, data, WALL_ROOM)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("could not emit %s: %s", event, exc)

    def write_alive(self) -> None:
        """Record that the ingest is alive and tell the walls how fresh the feed is."""
        now = utcnow()
        with self.applier.engine.begin() as conn:
            conn.execute(update(IngestState).where(IngestState.id == 1).values(alive_at=now, pid=os.getpid()))
        self.applier.sources.save(self.applier.engine, now)
        self._emit_status(now)

    def _emit_status(self, now: datetime) -> None:
        if self.emitter is not None:
            try:
                self.emitter.emit("status", self.status(now), WALL_ROOM)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("could not emit status: %s", exc)

    def status(self, now: datetime) -> dict[str, Any]:
        """Return the feed's freshness as the walls show it, with the seq of the last delta sent."""
        a = self.applier
        return {"alive_at": now.isoformat(), "seq": self._emitted_seq, "last_event_at": _iso(a.last_event_at),
                "last_heartbeat_at": _iso(a.last_heartbeat_at), "sources": a.sources.status(now)}


def _decode_id(entry_id: Any) -> str:
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


def _id_after(entry_id: str, pos: str) -> bool:
    """Say whether a stream entry id comes after a position (ids are `<ms>-<n>`)."""
    a_ms, a_n = (int(x) for x in entry_id.split("-"))
    b_ms, b_n = (int(x) for x in pos.split("-"))
    return (a_ms, a_n) > (b_ms, b_n)


def _before(entry_id: str) -> str:
    """Return the position just before an entry id, so an exclusive range starts with that entry."""
    ms, n = (int(x) for x in entry_id.split("-"))
    return f"{ms}-{n - 1}" if n > 0 else f"{ms - 1}-18446744073709551615"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
