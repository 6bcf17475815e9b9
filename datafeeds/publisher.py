"""Publish validated feed events to Redis: the API integrators and the simulator use.

Each event goes two ways in one round trip: appended to the feed log (a Redis Stream, `<prefix>:feed:log`,
trimmed to about `stream_maxlen` entries) and PUBLISHed on its channel. Pub/sub is the fast path; the log
lets the ingest replay what it missed while it or its connection was down. When Redis cannot be reached
the events wait in the publisher's outbox, in order, and go with the next publish or `flush`: an event
the API accepted reaches Redis once it answers (sent twice at worst, which the ingest drops by id).
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis

from datafeeds.clock import utcnow
from datafeeds.contract import Envelope, build_event, channel_for, channel_name, dumps, stream_key

log = logging.getLogger(__name__)

STREAM_MAXLEN = 100_000
CHUNK = 500


class Publisher:
    """Validate events, append them to the feed log and PUBLISH them on the feed channels under one prefix.

    `source` names this publisher; `seq` counts its messages so the ingest can see gaps.
    `stream_maxlen` bounds the feed log (approximately; None leaves the log out, PUBLISH only).
    """

    def __init__(
        self, client: redis.Redis, *, prefix: str = "zhongshu", source: str = "publisher", start_seq: int = 1,
        stream_maxlen: int | None = STREAM_MAXLEN,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.source = source
        self.stream_maxlen = stream_maxlen
        self.stream = stream_key(prefix)
        self._seq = itertools.count(start_seq)
        self._outbox: deque[tuple[str, str, str]] = deque()
        self.send_errors = 0

    @property
    def pending(self) -> int:
        """Return how many events wait in the outbox for Redis."""
        return len(self._outbox)

    def event(
        self, type_: str, data: dict[str, Any], *, at: datetime | None = None, id: str | None = None
    ) -> Envelope:
        """Build and validate the next event of this source (raises ContractError when invalid)."""
        return build_event(
            type_,
            data,
            id=id or uuid.uuid4().hex,
            source=self.source,
            seq=next(self._seq),
            at=at or utcnow(),
        )

    def publish(
        self, type_: str, data: dict[str, Any], *, at: datetime | None = None, id: str | None = None
    ) -> Envelope:
        """Build, validate and publish one event; return it."""
        event = self.event(type_, data, at=at, id=id)
        self.publish_event(event)
        return event

    def publish_event(self, event: Envelope) -> int:
        """Send an already validated event (after any still waiting); return how many went to Redis now."""
        return self.publish_many([event])

    def publish_many(self, events: Iterable[Envelope]) -> int:
        """Send validated events in order, in few round trips; return how many went to Redis now.

        On a connection error they stay in the outbox (see `pending`) for the next call or `flush`.
        """
        for event in events:
            self._outbox.append((channel_name(self.prefix, channel_for(event.type)), event.id, dumps(event)))
        return self._send()

    def flush(self, timeout: float = 30.0) -> bool:
        """Retry, with backoff, until the outbox is empty or `timeout` passes; return whether it emptied."""
        deadline = time.monotonic() + timeout
        wait = 0.1
        while True:
            self._send()
            if not self._outbox:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            wait = min(wait * 2, 2.0)

    def _send(self) -> int:
        sent = 0
        while self._outbox:
            chunk = list(itertools.islice(self._outbox, CHUNK))
            pipe = self.client.pipeline(transaction=False)
            for channel, event_id, raw in chunk:
                if self.stream_maxlen is not None:
                    # c: channel, i: event id (so a replay skips known events unparsed), d: the message
                    pipe.xadd(self.stream, {"c": channel, "i": event_id, "d": raw}, maxlen=self.stream_maxlen,
                              approximate=True)
                pipe.publish(channel, raw)
            try:
                pipe.execute()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                # Part of the chunk may have gone: sending it again is safe, the ingest drops repeated ids.
                self.send_errors += 1
                log.warning("Redis unreachable (%s); %d events wait in the outbox", exc, len(self._outbox))
                return sent
            for _ in chunk:
                self._outbox.popleft()
            sent += len(chunk)
        return sent
