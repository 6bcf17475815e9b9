"""The web process's Socket.IO queue hears Redis again soon after Redis comes back (a real Redis, killed)."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from pathlib import Path

import redis

from dashboard.embedded import EmbeddedRedis
from dashboard.realtime import RESUBSCRIBE_EVERY, PromptRedisManager


def test_the_queue_listener_resubscribes_within_seconds_of_a_redis_restart(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    heard: queue.Queue[bytes] = queue.Queue()
    manager = PromptRedisManager(url, channel="zs-test")

    def listen() -> None:
        for data in manager._listen():
            heard.put(data)

    threading.Thread(target=listen, daemon=True).start()
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while heard.empty() and time.monotonic() < deadline:
            client.publish("zs-test", b"before")
            time.sleep(0.1)
        assert heard.get(timeout=1) == b"before"
        server.kill()
        # Down for 8 s: python-socketio's own listener would by then wait 8 s more before its next try
        # (1, 2, 4, 8 s ...); this one tries every RESUBSCRIBE_EVERY seconds.
        time.sleep(8)
        server.start(port=port)
        back = time.monotonic()
        while heard.empty() and time.monotonic() - back < 20:
            with contextlib.suppress(redis.ConnectionError):
                client.publish("zs-test", b"after")
            time.sleep(0.1)
        assert heard.get(timeout=1) == b"after"
        assert time.monotonic() - back < 3 * RESUBSCRIBE_EVERY + 2, "the listener waited like a doubling backoff"
    finally:
        client.close()
        server.stop()
