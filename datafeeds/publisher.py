"""Publish validated feed events to Redis: the API integrators and the simulator use."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis

from datafeeds.clock import utcnow
from datafeeds.contract import Envelope, build_event, channel_for, channel_name, dumps


class Publisher:
    """Validate events and PUBLISH them on the feed channels under one prefix.

    `source` names this publisher; `seq` counts its messages so the ingest can see gaps.
    """

    def __init__(
        self, client: redis.Redis, *, prefix: str = "zhongshu", source: str = "publisher", start_seq: int = 1
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.source = source
        self._seq = itertools.count(start_seq)

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
        """Publish an already validated event; return how many subscribers received it."""
        channel = channel_name(self.prefix, channel_for(event.type))
        return int(self.client.publish(channel, dumps(event)))

    def publish_many(self, events: Iterable[Envelope]) -> int:
        """Publish validated events in one round trip; return how many were sent."""
        pipe = self.client.pipeline(transaction=False)
        n = 0
        for event in events:
            pipe.publish(channel_name(self.prefix, channel_for(event.type)), dumps(event))
            n += 1
        pipe.execute()
        return n
