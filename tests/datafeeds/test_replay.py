"""Nothing lost: what pub/sub did not bring is replayed from the feed log, exactly once (real Redis, real DB).

Faults are real: the ingest stopped while publishers go on, messages that never went over pub/sub, and a
Redis server killed (SIGKILL) and restarted in the middle of a simulator's stream.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard.embedded import EmbeddedRedis
from dashboard.runners import build_ingest
from dashboard.settings import Settings
from datafeeds.contract import Envelope, dumps
from datafeeds.county import County
from datafeeds.ingest import Ingest
from datafeeds.models import CaseEvent, IngestState
from datafeeds.publisher import Publisher
from datafeeds.simulator import Simulator


class Running:
    """An ingest in a thread of this process, stopped on demand."""

    def __init__(self, settings: Settings) -> None:
        self.ingest: Ingest = build_ingest(settings, settings.redis_url or "")
        self.ingest.emitter = None  # no web process here: the walls are not the subject
        self.thread = threading.Thread(target=self.ingest.run, daemon=True)
        self.thread.start()
        assert self.ingest.started.wait(20), "the ingest did not finish its start-up replay"

    def stop(self) -> None:
        self.ingest.stop.set()
        self.thread.join(10)
        self.ingest.applier.engine.dispose()


@pytest.fixture
def run_ingest() -> Iterator[object]:
    started: list[Running] = []

    def start(settings: Settings) -> Running:
        started.append(Running(settings))
        return started[-1]

    yield start
    for r in started:
        if r.thread.is_alive():
            r.stop()


def _stored(engine: Engine) -> dict[str, int]:
    """Return how many times each event id is in the store."""
    with Session(engine) as conn:
        return dict(conn.execute(select(CaseEvent.event_id, func.count()).group_by(CaseEvent.event_id)).all())


def _wait_stored(engine: Engine, ids: set[str], timeout: float = 30.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        stored = _stored(engine)
        if ids <= set(stored) or time.monotonic() > deadline:
            return stored
        time.sleep(0.1)


def _cases(pub: Publisher, county: County, n: int, tag: str) -> list[Envelope]:
    town = county.townships()[1]
    return [pub.event("case.registered", {"case_no": f"{tag}-{i}", "title": "纠纷", "category": "02",
                                          "source_channel": "grid", "township": town.code, "lat": town.lat,
                                          "lon": town.lon}) for i in range(n)]


def test_events_published_while_the_ingest_is_down_are_applied_once_at_start(
        settings: Settings, engine: Engine, rclient: redis.Redis, county: County, run_ingest) -> None:
    pub = Publisher(rclient, prefix=settings.feed_prefix, source="replay-test")
    first = run_ingest(settings)
    before = _cases(pub, county, 30, "A")
    pub.publish_many(before)
    assert _wait_stored(engine, {e.id for e in before}).keys() >= {e.id for e in before}
    first.stop()

    during = _cases(pub, county, 120, "B")  # nobody listens on pub/sub now
    pub.publish_many(during)
    second = run_ingest(settings)
    ids = {e.id for e in before + during}
    stored = _wait_stored(engine, ids)
    assert set(stored) == ids and set(stored.values()) == {1}  # every event, exactly once
    assert second.ingest.replayed == len(during)
    with Session(engine) as conn:
        assert conn.execute(select(IngestState.duplicates)).scalar() == 0


def test_a_message_pub_sub_lost_is_replayed_from_the_log(settings: Settings, engine: Engine, rclient: redis.Redis,
                                                         county: County, run_ingest) -> None:
    running = run_ingest(settings.model_copy())
    running.ingest.catchup_every = 0.5
    pub = Publisher(rclient, prefix=settings.feed_prefix, source="replay-test")
    live = _cases(pub, county, 5, "L")
    pub.publish_many(live)
    # Three events reach the log but never pub/sub (as when a subscriber's connection drops unseen).
    lost = _cases(pub, county, 3, "X")
    for e in lost:
        rclient.xadd(pub.stream, {"c": f"{settings.feed_prefix}:feed:cases", "i": e.id, "d": dumps(e)})
    stored = _wait_stored(engine, {e.id for e in live + lost}, timeout=15)
    assert set(stored) == {e.id for e in live + lost} and set(stored.values()) == {1}
    assert running.ingest.replayed == 3


def test_a_publisher_keeps_events_while_redis_is_away(tmp_path: Path, county: County) -> None:
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    pub = Publisher(redis.Redis.from_url(url), prefix="p", source="outbox-test")
    try:
        assert pub.publish_many(_cases(pub, county, 2, "O")) == 2
        server.kill()
        waiting = _cases(pub, county, 3, "P")
        assert pub.publish_many(waiting) == 0 and pub.pending == 3
        assert not pub.flush(timeout=0.3)
        server.start(port=port)
        assert pub.flush(timeout=10) and pub.pending == 0
        # The server came back empty (no persistence here): the log holds what waited, in order.
        entries = redis.Redis.from_url(url).xrange(pub.stream)
        assert [f[b"i"].decode() for _, f in entries] == [e.id for e in waiting]
    finally:
        server.stop()


def test_redis_killed_mid_stream_loses_nothing(tmp_path: Path, settings: Settings, engine: Engine,
                                               county: County, run_ingest) -> None:
    """SIGKILL the Redis server while the simulator publishes, restart it on the same port: every event the
    publisher API sent is stored exactly once. Redis keeps an append-only file (as the README advises for
    production), so the feed log outlives the crash."""
    server = EmbeddedRedis(tmp_path)
    url = server.start(durable=True)
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    own = settings.model_copy(update={"redis_url": url})
    try:
        running = run_ingest(own)
        running.ingest.catchup_every = 0.5
        pub = Publisher(redis.Redis.from_url(url, socket_timeout=2), prefix=own.feed_prefix, source="fault-test")
        sim = Simulator(county, seed=7, cases_per_day=5000)
        sent: list[Envelope] = []
        for step in range(40):
            batch = [pub.event(e.type, e.data, at=e.at) for e in sim.rate_events(25)]
            sent += batch
            pub.publish_many(batch)
            if step == 12:
                server.kill()  # mid-stream: the next batches wait in the publisher's outbox
            if step == 20:
                server.start(port=port, durable=True)
            time.sleep(0.05)
        assert pub.flush(timeout=20)
        ids = {e.id for e in sent if e.type != "heartbeat"}
        stored = _wait_stored(engine, ids, timeout=60)
        missing = ids - set(stored)
        from collections import Counter

        from datafeeds.models import DeadLetter
        with Session(engine) as conn:
            dead = Counter(conn.execute(select(DeadLetter.reason)).scalars())
        assert not missing, (f"{len(missing)} of {len(ids)} events never stored; dead letters {dict(dead)}; "
                             f"replayed {running.ingest.replayed}, reconnects {running.ingest.subscriber.reconnects}")
        assert set(stored.values()) == {1}
        assert running.ingest.subscriber.reconnects >= 1
    finally:
        server.stop()


def test_a_backlog_behind_pub_sub_is_not_replayed_twice(settings: Settings, engine: Engine, rclient: redis.Redis,
                                                         county: County, run_ingest) -> None:
    """Events queued behind a backlog are pub/sub's, not lost: the log must not apply them first."""
    running = run_ingest(settings)
    running.ingest.catchup_every = 0.2
    pub = Publisher(rclient, prefix=settings.feed_prefix, source="backlog-test")
    sim = Simulator(county, seed=3, cases_per_day=5000)
    sent = [pub.event(e.type, e.data, at=e.at) for e in sim.rate_events(15_000)]
    pub.publish_many(sent)  # far faster than the ingest applies: seconds of backlog
    ids = {e.id for e in sent if e.type != "heartbeat"}
    stored = _wait_stored(engine, ids, timeout=120)
    assert set(stored) >= ids and set(stored.values()) == {1}
    assert running.ingest.replayed == 0
    with Session(engine) as conn:
        assert conn.execute(select(IngestState.duplicates)).scalar() == 0
