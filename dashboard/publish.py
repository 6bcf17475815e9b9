"""Read feed messages from text, validate every one, then publish them."""

from __future__ import annotations

import json
from typing import Any, TextIO

import redis

from dashboard.embedded import resolve_redis_url
from dashboard.settings import Settings
from datafeeds.contract import ContractError, Envelope, parse_event
from datafeeds.publisher import Publisher


def split_messages(text: str) -> list[str]:
    """Return the messages in text: one JSON object, a JSON array of them, or one object per line."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        value: Any = json.loads(stripped)
    except json.JSONDecodeError:
        return [line for line in stripped.splitlines() if line.strip()]
    if isinstance(value, list):
        return [json.dumps(item, ensure_ascii=False) for item in value]
    return [stripped]


def validate_all(messages: list[str]) -> tuple[list[Envelope], list[str]]:
    """Return the valid events and a clear error line for each invalid message."""
    events: list[Envelope] = []
    errors: list[str] = []
    for n, raw in enumerate(messages, start=1):
        try:
            events.append(parse_event(raw))
        except ContractError as exc:
            errors.append(f"message {n}: rejected ({exc.reason}): {exc.detail}")
    return events, errors


def publish_text(settings: Settings, text: str, *, out: TextIO, err: TextIO) -> int:
    """Publish every message in text if all are valid; return the exit code."""
    messages = split_messages(text)
    if not messages:
        print("zhongshu publish: no message given", file=err)
        return 1
    events, errors = validate_all(messages)
    if errors:
        for line in errors:
            print(f"zhongshu publish: {line}", file=err)
        print(f"zhongshu publish: nothing published ({len(errors)} of {len(messages)} invalid)", file=err)
        return 1
    publisher = Publisher(redis.Redis.from_url(resolve_redis_url(settings)), prefix=settings.feed_prefix,
                          stream_maxlen=settings.stream_maxlen)
    publisher.publish_many(events)
    if not publisher.flush(timeout=10):
        print(f"zhongshu publish: Redis did not answer; {publisher.pending} of {len(events)} message(s) not sent",
              file=err)
        return 1
    print(f"published {len(events)} message(s) to {publisher.stream} and the feed channels", file=out)
    return 0
