"""Break things on purpose with a wall open: nothing is lost, and the wall converges to the store by itself.

Each fault runs with the real parts (a Redis server, the database, the web server, the ingest, Chromium) while
the simulator publishes through the publisher API. Each test checks that every event published is stored
exactly once and that the open wall ends equal to the server's snapshot without a reload, and reports the
figures (`published`, `stored`, seconds from the fault's end to a converged wall). They print one line each
(`pytest -s`) and, with ZHONGSHU_FAULT_REPORT=file, append it as JSON: docs/benchmarks.md quotes them.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard.embedded import EmbeddedRedis
from dashboard.server import ServerThread
from dashboard.settings import Settings
from datafeeds.contract import Envelope
from datafeeds.county import County
from datafeeds.models import CaseEvent, DeadLetter
from datafeeds.publisher import Publisher
from datafeeds.simulator import Simulator

from wallaccess import wall_link, wall_open

pytestmark = pytest.mark.browser

# What the wall holds, in the shape of the snapshot's fields (compared with /api/snapshot).
WALL_DIGEST = """() => {
  const L = zhongshu.live;
  const pins = {};
  L.pins.forEach((p, k) => { pins[k] = [p.state, p.risk, p.supervision, p.lat, p.lon]; });
  return {seq: L.seq, pins: pins, counters: L.counters, ticker: L.ticker.map(r => r.id),
          alerts: Array.from(L.alerts.keys()).sort(), warnings: L.warnings.map(w => [w.case_no, w.kind]),
          open: document.getElementById("wall-c-open").textContent};
}"""


def snapshot_digest(snap: dict[str, Any]) -> dict[str, Any]:
    """Return the snapshot in the wall digest's shape (the figure shown is the open count, as text)."""
    return {"seq": snap["seq"],
            "pins": {p["case_no"]: [p["state"], p["risk"], p["supervision"], p["lat"], p["lon"]] for p in snap["pins"]},
            "counters": snap["counters"], "ticker": [r["id"] for r in snap["ticker"]],
            "alerts": sorted(a["alert_id"] for a in snap["alerts"]),
            "warnings": [[w["case_no"], w["kind"]] for w in snap["warnings"]],
            "open": f"{snap['counters']['open']:,}"}


def _get_json(url: str) -> dict[str, Any]:
    with wall_open(url, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def differences(page: Page, base: str) -> list[str]:
    """Return which parts of the wall differ from the server's snapshot (empty: converged)."""
    wall = page.evaluate(WALL_DIGEST)
    snap = snapshot_digest(_get_json(f"{base}/api/snapshot"))
    n = min(len(wall["ticker"]), len(snap["ticker"]))
    wall["ticker"], snap["ticker"] = wall["ticker"][-n:], snap["ticker"][-n:]
    return [k for k in snap if wall.get(k) != snap[k]]


def wait_converged(page: Page, base: str, timeout: float = 60.0) -> float:
    """Wait until the wall equals the server's snapshot; return the seconds it took."""
    started = time.monotonic()
    diff: list[str] = []
    while time.monotonic() - started < timeout:
        diff = differences(page, base)
        if not diff:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"the wall still differs from the snapshot in {diff} after {timeout} s")


class Feed:
    """The simulator publishing through the publisher API at a steady rate, in a thread."""

    def __init__(self, url: str, prefix: str, county: County, *, rate: float = 10.0, seed: int = 11) -> None:
        self.pub = Publisher(redis.Redis.from_url(url, socket_timeout=2), prefix=prefix, source="simulator")
        self.sim = Simulator(county, seed=seed, cases_per_day=5000)
        self.rate = rate
        self.sent: list[Envelope] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fault-feed")

    def start(self) -> Feed:
        self._thread.start()
        return self

    def _run(self) -> None:
        tick, owed = 0.1, 0.0
        while not self._stop.is_set():
            owed += self.rate * tick
            n, owed = int(owed), owed - int(owed)
            if n:
                batch = [self.pub.event(e.type, e.data, at=e.at) for e in self.sim.rate_events(n)]
                self.sent += batch
                self.pub.publish_many(batch)  # while Redis is away they wait in the outbox, in order
            self._stop.wait(tick)

    def stop(self) -> None:
        """Stop publishing and send what still waits in the outbox."""
        self._stop.set()
        self._thread.join(10)
        assert self.pub.flush(timeout=30), f"{self.pub.pending} events still wait for Redis"

    def ids(self) -> set[str]:
        return {e.id for e in self.sent if e.type != "heartbeat"}


def stored_once(engine: Engine, feed: Feed, timeout: float = 60.0) -> tuple[int, int]:
    """Wait until every event the feed published is stored; check none twice; return (published, stored)."""
    ids = feed.ids()
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as conn:
            counts = dict(conn.execute(select(CaseEvent.event_id, func.count())
                                       .where(CaseEvent.source == "simulator").group_by(CaseEvent.event_id)).all())
        if ids <= set(counts) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    with Session(engine) as conn:
        dead = Counter(conn.execute(select(DeadLetter.reason)).scalars())
    missing = ids - set(counts)
    assert not missing, f"{len(missing)} of {len(ids)} events never stored; dead letters {dict(dead)}"
    assert set(counts.values()) == {1}, "an event was stored twice"
    assert set(counts) == ids
    return len(ids), sum(counts.values())


@pytest.fixture
def report() -> Iterator[Callable[..., None]]:
    """Print a fault's figures and append them to ZHONGSHU_FAULT_REPORT when set."""
    rows: list[dict[str, Any]] = []
    yield lambda **row: rows.append(row)
    target = os.environ.get("ZHONGSHU_FAULT_REPORT")
    for row in rows:
        print("\nFAULT " + json.dumps(row, ensure_ascii=False))
        if target:
            with Path(target).open("a", encoding="utf-8") as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def open_wall(browser: Browser, base: str) -> tuple[Page, Any]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(wall_link(base))
    page.wait_for_function("() => zhongshu.live.seq !== null && zhongshu.live.socket.connected", timeout=15_000)
    page.evaluate("window.__zsMarker = 1")  # survives only if the page never reloads
    return page, context


def stats(page: Page) -> dict[str, int]:
    return page.evaluate("({...zhongshu.live.stats, ms: undefined})")


def resyncs(page: Page, before: dict[str, int]) -> dict[str, int]:
    """Return how the wall resynced since `before`: catch-ups by deltas, snapshots, deltas applied so."""
    now = stats(page)
    return {"catchups": now["catchups"] - before["catchups"], "snapshots": now["snapshots"] - before["snapshots"],
            "deltas_caught_up": now["caughtUp"] - before["caughtUp"]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the browser's network is the subject, not the store
def test_a_wall_cut_off_for_a_minute_says_so_and_catches_up(stack, browser: Browser, engine: Engine,
                                                           county: County, report) -> None:
    """Playwright cuts the browser's network for 60 s while the simulator publishes; restored, the wall
    fetches the deltas it missed (no snapshot) and equals the server's snapshot."""
    page, context = open_wall(browser, stack.url)
    feed = Feed(stack.settings.redis_url or "", stack.settings.feed_prefix, county, rate=5.0).start()
    page.wait_for_function("() => zhongshu.live.seq > 5", timeout=10_000)
    before = stats(page)
    status = page.locator("#wall-feed-status")

    context.set_offline(True)
    cut = time.monotonic()
    expect(status).to_contain_text("连接中断", timeout=25_000)  # the server's pings stop: known within 20 s
    noticed = time.monotonic() - cut
    expect(status).to_contain_text("数据中断", timeout=40_000)  # and how old the figures are
    shown = page.locator("#wall-c-open").text_content()
    time.sleep(max(0.0, 60 - (time.monotonic() - cut)))
    assert page.locator("#wall-c-open").text_content() == shown  # the last good state stays up meanwhile
    seq_cut = page.evaluate("zhongshu.live.seq")

    feed.stop()  # so that "converged" has a fixed target
    context.set_offline(False)
    seconds = wait_converged(page, stack.url)
    published, stored = stored_once(engine, feed)
    how = resyncs(page, before)
    assert how["catchups"] >= 1
    assert how["snapshots"] == 0, "the wall should have caught up by deltas, not a snapshot"
    expect(status).to_contain_text("数据更新于")
    assert page.evaluate("window.__zsMarker") == 1
    report(fault="browser network cut 60 s", published=published, stored=stored, seq_at_cut=seq_cut,
           seq_after=page.evaluate("zhongshu.live.seq"), noticed_s=round(noticed, 1),
           converged_s=round(seconds, 2), **how)
    context.close()


def test_the_web_server_restarts_under_an_open_wall(stack, browser: Browser, engine: Engine, county: County,
                                                    report) -> None:
    page, context = open_wall(browser, stack.url)
    feed = Feed(stack.settings.redis_url or "", stack.settings.feed_prefix, county, rate=10.0).start()
    page.wait_for_function("() => zhongshu.live.seq > 5", timeout=10_000)
    before = stats(page)
    port = stack.web.port
    stack.web.stop()
    expect(page.locator("#wall-feed-status")).to_contain_text("连接中断", timeout=10_000)
    time.sleep(5)  # events go on being stored while no web process runs
    feed.stop()
    stack.web = ServerThread(stack.app, port=port)
    stack.web.start()
    restarted = time.monotonic()
    page.wait_for_function("() => zhongshu.live.socket.connected", timeout=30_000)
    seconds = wait_converged(page, stack.url)
    waited = time.monotonic() - restarted
    published, stored = stored_once(engine, feed)
    assert page.evaluate("window.__zsMarker") == 1
    report(fault="web server restart", published=published, stored=stored,
           reconnect_s=round(waited - seconds, 2), converged_s=round(waited, 2), **resyncs(page, before))
    context.close()


def test_the_ingest_stops_and_restarts_under_an_open_wall(stack, browser: Browser, engine: Engine,
                                                          county: County, report) -> None:
    page, context = open_wall(browser, stack.url)
    feed = Feed(stack.settings.redis_url or "", stack.settings.feed_prefix, county, rate=20.0).start()
    page.wait_for_function("() => zhongshu.live.seq > 5", timeout=10_000)
    before = stats(page)
    stack.stop_ingest()
    time.sleep(8)  # published while nothing listens: only the feed log has them
    stack.start_ingest()
    restarted = time.monotonic()
    feed.stop()
    published, stored = stored_once(engine, feed)
    seconds = wait_converged(page, stack.url)
    assert page.evaluate("window.__zsMarker") == 1
    report(fault="ingest stopped 8 s and restarted", published=published, stored=stored,
           replayed=stack.ingest.replayed, converged_s=round(time.monotonic() - restarted, 2),
           wall_converged_after_store_s=round(seconds, 2), **resyncs(page, before))
    context.close()


def test_redis_killed_and_restarted_under_an_open_wall(tmp_path: Path, settings: Settings, make_stack,
                                                       browser: Browser, engine: Engine, county: County,
                                                       report) -> None:
    """SIGKILL the Redis server mid-stream and restart it on its port (append-only file on, as the README
    advises): the publishers' outboxes hold what they could not send, the ingest replays the feed log, the
    web process's Socket.IO queue reconnects, and the wall converges by itself."""
    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start(durable=True)
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    try:
        stack = make_stack(settings.model_copy(update={"redis_url": url}))
        page, context = open_wall(browser, stack.url)
        feed = Feed(url, stack.settings.feed_prefix, county, rate=20.0).start()
        page.wait_for_function("() => zhongshu.live.seq > 5", timeout=10_000)
        before = stats(page)
        server.kill()
        time.sleep(4)
        server.start(port=port, durable=True)
        restarted = time.monotonic()
        time.sleep(2)
        feed.stop()
        published, stored = stored_once(engine, feed)
        seconds = wait_converged(page, stack.url)
        assert page.evaluate("window.__zsMarker") == 1
        report(fault="Redis SIGKILL, down 4 s", published=published, stored=stored,
               subscriber_reconnects=stack.ingest.subscriber.reconnects,
               converged_s=round(time.monotonic() - restarted, 2), wall_converged_after_store_s=round(seconds, 2),
               **resyncs(page, before))
        context.close()
    finally:
        server.stop()
