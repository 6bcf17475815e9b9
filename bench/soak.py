"""Soak one wall: stream many events through the real stack and report the page's JS heap and DOM size.

A wall runs for weeks; its memory and DOM must stay flat. This starts an ingest and a web server on a
fresh SQLite file (`--start`, the Redis at --redis-url), opens one wall in headless Chromium, publishes
N simulator events (a realistic lifecycle mix, so cases close and the open set reaches a steady size),
and measures the heap (after a forced GC) and the DOM node count after a warm-up and at the end. The
baseline is the same wall measured right after the warm-up, in the same run.

    python bench/soak.py --start --events 200000

With `--minutes M` the soak runs for a wall-clock time instead: after the warm-up it publishes `--rate`
events a second for M minutes and samples the heap every minute, so timers, charts (the month's
aggregates are pushed every `--league-seconds`) and rotation pages (`--rotation`) run as long as asked.

    python bench/soak.py --start --minutes 30 --rate 200 --rotation
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import CHROMIUM_ARGS, StartedStack, healthz, machine_facts  # noqa: E402
from datafeeds.contract import channel_for, channel_name, dumps  # noqa: E402
from datafeeds.county import build_county  # noqa: E402
from datafeeds.publisher import Publisher  # noqa: E402
from datafeeds.simulator import Simulator  # noqa: E402

MEASURE = """async () => {
  window.gc && window.gc();
  await new Promise(r => setTimeout(r, 200));
  window.gc && window.gc();
  const live = window.zhongshu.live;
  return {heap: performance.memory.usedJSHeapSize, nodes: document.getElementsByTagName('*').length,
          pins: window.zhongshu.pins.count(), seq: live.seq, applied: live.stats.applied,
          resyncs: live.stats.resyncs, ticker: document.querySelectorAll('#wall-ticker li').length};
}"""


def processed(base: str) -> int:
    h = healthz(base)
    return int(h["accepted"] + h["rejected"] + h["duplicates"])


def publish(client: redis.Redis, wire: list[tuple[str, str]], base: str, backlog: int) -> float:
    """Publish every message as fast as the ingest drains them; return the seconds it took."""
    start_seen = processed(base)
    t0 = time.perf_counter()
    i, seen = 0, start_seen
    while i < len(wire):
        if i - (seen - start_seen) > backlog:
            seen = processed(base)
            time.sleep(0.02)
            continue
        pipe = client.pipeline(transaction=False)
        for channel, raw in wire[i:i + 2000]:
            pipe.publish(channel, raw)
        pipe.execute()
        i += 2000
    while processed(base) < start_seen + len(wire):
        time.sleep(0.05)
    return time.perf_counter() - t0


def timed_run(client: redis.Redis, page: Any, to_wire: Any, minutes: float, rate: float) -> int:
    """Publish `rate` events a second for `minutes`, sampling the wall every minute; return events sent."""
    end = time.monotonic() + minutes * 60
    next_sample = time.monotonic() + 60
    sent = 0
    tick = 0.1
    while time.monotonic() < end:
        t0 = time.monotonic()
        pipe = client.pipeline(transaction=False)
        for channel, raw in to_wire(max(1, round(rate * tick))):
            pipe.publish(channel, raw)
            sent += 1
        pipe.execute()
        if time.monotonic() >= next_sample:
            next_sample += 60
            m = page.evaluate(MEASURE)
            print(f"  {sent} events: heap {m['heap'] / 1e6:.1f} MB, DOM {m['nodes']}, pins {m['pins']}, "
                  f"resyncs {m['resyncs']}", flush=True)
        time.sleep(max(0.0, tick - (time.monotonic() - t0)))
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--start", action="store_true", help="start ingest + web on a fresh SQLite (required)")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--warmup", type=int, default=20_000, help="events before the first measurement")
    parser.add_argument("--cases-per-day", type=float, default=600.0)
    parser.add_argument("--backlog", type=int, default=30_000)
    parser.add_argument("--minutes", type=float, default=0.0, help="run for this wall-clock time after warm-up")
    parser.add_argument("--rate", type=float, default=200.0, help="events per second in the timed run")
    parser.add_argument("--league-seconds", type=float, default=2.0, help="how often aggregates are pushed")
    parser.add_argument("--rotation", action="store_true", help="rotate the wall's pages every 5 s")
    args = parser.parse_args()
    if not args.start:
        parser.error("--start is required: the soak needs a stack of its own")

    from playwright.sync_api import sync_playwright

    print("command:", shlex.join([sys.executable, *sys.argv]))
    for k, v in machine_facts(args.redis_url).items():
        print(f"{k}: {v}")
    stack = StartedStack(args.redis_url)
    stack.env["ZHONGSHU_LEAGUE_SECONDS"] = str(args.league_seconds)
    if args.rotation:
        stack.env.update(ZHONGSHU_WALL_ROTATION="overview,departments,township", ZHONGSHU_WALL_ROTATION_SECONDS="5")
    stack.start()
    client = redis.Redis.from_url(args.redis_url)
    try:
        sim = Simulator(build_county(), seed=random.randrange(1 << 30), cases_per_day=args.cases_per_day)
        pub = Publisher(client, prefix=stack.prefix, source="soak")
        def to_wire(n: int) -> list[tuple[str, str]]:
            return [(channel_name(stack.prefix, channel_for(e.type)), dumps(pub.event(e.type, e.data, at=e.at)))
                    for e in sim.rate_events(n)]

        total = args.warmup if args.minutes else args.events
        print(f"generating {total} simulator events …")
        wire = to_wire(total)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=[*CHROMIUM_ARGS, "--js-flags=--expose-gc"], headless=True)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{stack.base}/wall")
            page.wait_for_function("window.zhongshu && window.zhongshu.live.seq !== null", timeout=30_000)
            warm = wire[:args.warmup]
            rest = wire[args.warmup:]
            secs = publish(client, warm, stack.base, args.backlog)
            page.wait_for_timeout(2000)
            first: dict[str, Any] = page.evaluate(MEASURE)
            print(f"after warm-up ({len(warm)} events, {secs:.1f} s): {first}")
            if args.minutes:
                sent = len(warm) + timed_run(client, page, to_wire, args.minutes, args.rate)
                secs = args.minutes * 60
            else:
                sent = len(wire)
                secs = publish(client, rest, stack.base, args.backlog)
            page.wait_for_timeout(3000)
            last: dict[str, Any] = page.evaluate(MEASURE)
            print(f"after {sent} events ({secs:.1f} s more): {last}")
            server_seq = healthz(stack.base)["last_seq"]
            browser.close()
    finally:
        stack.stop()
    growth = (last["heap"] - first["heap"]) / first["heap"] * 100
    print()
    print(f"JS heap: {first['heap'] / 1e6:.1f} MB → {last['heap'] / 1e6:.1f} MB ({growth:+.1f} %; target < +20 %)")
    print(f"DOM nodes: {first['nodes']} → {last['nodes']}  (pins on the map {first['pins']} → {last['pins']}, "
          f"ticker rows {first['ticker']} → {last['ticker']})")
    print(f"deltas applied {last['applied']}, resyncs {last['resyncs']}; wall seq {last['seq']} "
          f"= server seq {server_seq}: {'yes' if last['seq'] == server_seq else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
