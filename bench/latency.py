"""Measure publish→screen latency on K open walls, and the ingest's sustained events per second.

Against a running stack (`zhongshu serve` + `zhongshu ingest`), or one this script starts with
`--start` (a fresh SQLite file in a temp folder, the Redis at --redis-url). Latency is measured in
each page: the moment a MutationObserver sees the ticker change after the delta carrying the event
was applied (DOM commit), minus the moment this script published the event. The baseline, in the
same run, is the bare path Redis → web process → Socket.IO → browser → set_props: deltas emitted
straight onto the Socket.IO queue, skipping the ingest.

    python bench/latency.py --start --walls 5 --rate 50 --count 1000 --ingest-events 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import CHROMIUM_ARGS, StartedStack, get_json, healthz, machine_facts  # noqa: E402
from datafeeds.contract import channel_for, channel_name, dumps  # noqa: E402
from datafeeds.county import build_county  # noqa: E402
from datafeeds.publisher import Publisher  # noqa: E402
from datafeeds.simulator import Simulator  # noqa: E402

TRACE = "--trace" in sys.argv

PAGE_PROBE = """
() => {
  window.__pending = []; window.__lat = [];
  window.__hops = [];
  window.zhongshu.live.onApplied((d, at) => {
    d.ticker.forEach(r => window.__pending.push(r.id));
    const last = d.ticker.length ? d.ticker[d.ticker.length - 1].id : null;
    if (d.sent_ms) window.__hops.push([last, d.sent_ms, d.received_ms, at]);
  });
  new MutationObserver(() => {
    const t = Date.now();
    for (const id of window.__pending) window.__lat.push([id, t]);
    window.__pending = [];
  }).observe(document.getElementById('wall-ticker'), {childList: true, subtree: true, characterData: true});
  return true;
}
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def open_walls(pw: Any, base: str, k: int, reduced: bool) -> tuple[Any, list[Any]]:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
    pages = []
    for _ in range(k):
        context = browser.new_context(viewport={"width": 1920, "height": 1080},
                                      reduced_motion="reduce" if reduced else "no-preference")
        page = context.new_page()
        page.goto(f"{base}/wall")
        page.wait_for_function("window.zhongshu && window.zhongshu.live && window.zhongshu.live.seq !== null",
                               timeout=30_000)
        page.evaluate(PAGE_PROBE)
        pages.append(page)
    return browser, pages


def collect(pages: list[Any], sent: dict[str, float], timeout: float = 15.0) -> list[float]:
    deadline = time.monotonic() + timeout
    got: list[dict[str, float]] = [{} for _ in pages]
    while time.monotonic() < deadline:
        for i, page in enumerate(pages):
            for event_id, t in page.evaluate("() => { const x = window.__lat; window.__lat = []; return x; }"):
                if event_id in sent:
                    got[i][event_id] = t
        if all(len(g) >= len(sent) for g in got):
            break
        time.sleep(0.2)
    missing = sum(len(sent) - len(g) for g in got)
    if missing:
        print(f"  warning: {missing} event×wall pairs not seen within {timeout}s")
    if TRACE:
        order = sorted(sent, key=sent.get)
        fifth = max(1, len(order) // 5)
        for q in range(5):
            ids = order[q * fifth:(q + 1) * fifth]
            lat = [g[i] - sent[i] * 1000 for g in got for i in ids if i in g]
            print(f"    part {q + 1}/5: p50 {percentile(lat, 50):.1f} ms p99 {percentile(lat, 99):.1f} ms")
    return [t - sent[event_id] * 1000 for g in got for event_id, t in g.items()]


def paced(n: int, rate: float, send: Any) -> dict[str, float]:
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(n):
        target = start + i / rate
        while (now := time.perf_counter()) < target:
            time.sleep(min(0.002, target - now))
        event_id, t = send(i)
        sent[event_id] = t
    return sent


def run_latency(args: argparse.Namespace, base: str, prefix: str, redis_url: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright
    from socketio import RedisManager

    client = redis.Redis.from_url(redis_url)
    county = build_county()
    towns = county.townships()
    pub = Publisher(client, prefix=prefix, source=f"bench-{uuid.uuid4().hex[:6]}")
    mgr = RedisManager(redis_url, channel=f"{prefix}:socketio", write_only=True)
    run = uuid.uuid4().hex[:6]
    rng = random.Random(7)
    results: dict[str, Any] = {}
    stop_beats = threading.Event()

    def beats() -> None:
        # Real publishers send heartbeats; without them the walls would show (and animate) 数据中断.
        beat = Publisher(redis.Redis.from_url(redis_url), prefix=prefix, source="bench-heartbeat")
        while not stop_beats.wait(5):
            beat.publish("heartbeat", {"interval_s": 5})

    threading.Thread(target=beats, daemon=True).start()
    with sync_playwright() as pw:
        browser, pages = open_walls(pw, base, args.walls, args.reduced_motion)
        snap = get_json(f"{base}/api/snapshot")

        def bare(i: int) -> tuple[str, float]:
            event_id = f"bare-{run}-{i}"
            s = snap["seq"]
            row = {"seq": s + (i + 1) * 1e-6, "id": event_id, "type": "case.progress",
                   "at": "2026-01-01T00:00:00+00:00", "case_no": "bench", "township": towns[0].code,
                   "category": "02", "department": None}
            delta = {"prev": s, "seq": s, "at": row["at"], "events": 0, "counters": snap["counters"],
                     "pins": {"upsert": [], "remove": []}, "ticker": [row],
                     "alerts": {"raised": [], "cleared": []}, "last_event_at": snap["last_event_at"]}
            t = time.time()
            mgr.emit("delta", delta, namespace="/", room="wall")
            return event_id, t

        print(f"baseline: {args.count} bare Socket.IO deltas at {args.rate}/s to {args.walls} walls …")
        base_lat = collect(pages, paced(args.count, args.rate, bare))
        time.sleep(1)

        def full(i: int) -> tuple[str, float]:
            town = rng.choice(towns)
            event = pub.event("case.registered", {
                "case_no": f"B{run}-{i}", "title": "邻里纠纷", "category": "02", "source_channel": "grid",
                "township": town.code, "lat": town.lat + rng.uniform(-0.01, 0.01),
                "lon": town.lon + rng.uniform(-0.01, 0.01)})
            raw = dumps(event)
            t = time.time()
            client.publish(channel_name(prefix, channel_for(event.type)), raw)
            return event.id, t

        print(f"full path: {args.count} registered cases at {args.rate}/s through the ingest …")
        full_sent = paced(args.count, args.rate, full)
        full_lat = collect(pages, full_sent)
        heap = [p.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0") for p in pages]
        if TRACE:
            hops = [h for p in pages for h in p.evaluate("window.__hops")]
            sent = full_sent
            ing = [h[1] - sent[h[0]] * 1000 for h in hops if h[0] in sent]
            net = [h[2] - h[1] for h in hops]
            draw = [h[3] - h[2] for h in hops]
            for name, xs in (("publish→ingest emit", ing), ("emit→browser receive", net), ("receive→drawn", draw)):
                print(f"    {name}: p50 {percentile(xs, 50):.1f} ms p99 {percentile(xs, 99):.1f} ms")
        browser.close()
    stop_beats.set()
    for name, lat in (("baseline", base_lat), ("full", full_lat)):
        results[name] = {"n": len(lat), "p50": percentile(lat, 50), "p90": percentile(lat, 90),
                         "p99": percentile(lat, 99), "max": max(lat) if lat else float("nan"),
                         "mean": statistics.fmean(lat) if lat else float("nan")}
    results["heap_mb"] = [round(h / 1e6, 1) for h in heap]
    return results


def run_ingest(args: argparse.Namespace, base: str, prefix: str, redis_url: str) -> dict[str, Any]:
    client = redis.Redis.from_url(redis_url)
    sim = Simulator(build_county(), seed=random.randrange(1 << 30), cases_per_day=5000, speedup=1.0)
    pub = Publisher(client, prefix=prefix, source=f"bench-ingest-{uuid.uuid4().hex[:6]}")
    print(f"ingest: generating {args.ingest_events} simulator events …")
    events = sim.rate_events(args.ingest_events)
    wire = [(channel_name(prefix, channel_for(e.type)), dumps(pub.event(e.type, e.data, at=e.at)))
            for e in events]
    types: dict[str, int] = {}
    for e in events:
        types[e.type] = types.get(e.type, 0) + 1
    before = healthz(base)
    start_accepted = before["accepted"] + before["rejected"] + before["duplicates"]
    target = start_accepted + len(wire)
    print(f"ingest: publishing {len(wire)} events as fast as the ingest drains them …")
    t0 = time.perf_counter()
    chunk, i, seen = 2000, 0, start_accepted
    while i < len(wire):
        # Keep the backlog well under Redis's 32 MB pub/sub output limit.
        if i - (seen - start_accepted) > args.backlog:
            h = healthz(base)
            seen = h["accepted"] + h["rejected"] + h["duplicates"]
            time.sleep(0.01)
            continue
        pipe = client.pipeline(transaction=False)
        for channel, raw in wire[i:i + chunk]:
            pipe.publish(channel, raw)
        pipe.execute()
        i += chunk
    while seen < target:
        h = healthz(base)
        seen = h["accepted"] + h["rejected"] + h["duplicates"]
        if time.perf_counter() - t0 > 600:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - t0
    after = healthz(base)
    return {"events": len(wire), "seconds": elapsed, "per_second": (seen - start_accepted) / elapsed,
            "rejected": after["rejected"] - before["rejected"], "mix": types}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8050", help="web base URL of a running stack")
    parser.add_argument("--redis-url", default=os.environ.get("ZHONGSHU_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--prefix", default=os.environ.get("ZHONGSHU_FEED_PREFIX", "zhongshu"))
    parser.add_argument("--start", action="store_true", help="start ingest + web on a fresh SQLite first")
    parser.add_argument("--walls", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second for latency")
    parser.add_argument("--count", type=int, default=1000, help="events per latency phase")
    parser.add_argument("--ingest-events", type=int, default=100_000, help="0 skips the throughput phase")
    parser.add_argument("--reduced-motion", action="store_true",
                        help="open the walls with prefers-reduced-motion (no pulse animation)")
    parser.add_argument("--trace", action="store_true", help="print latency by fifths of each phase")
    parser.add_argument("--backlog", type=int, default=40_000, help="most events in flight to the ingest")
    args = parser.parse_args()

    print("command:", shlex.join([sys.executable, *sys.argv]))
    for k, v in machine_facts(args.redis_url).items():
        print(f"{k}: {v}")
    stack = StartedStack(args.redis_url).start() if args.start else None
    base = stack.base if stack else args.url
    prefix = stack.prefix if stack else args.prefix
    try:
        lat = run_latency(args, base, prefix, args.redis_url)
        ing = run_ingest(args, base, prefix, args.redis_url) if args.ingest_events else None
    finally:
        if stack:
            stack.stop()
    print()
    motion = "reduced motion" if args.reduced_motion else "default motion"
    print(f"publish→screen latency, {args.walls} walls ({motion}), {args.rate:g} events/s, "
          f"{args.count} events each:")
    for name in ("baseline", "full"):
        r = lat[name]
        print(f"  {name:8s} n={r['n']:6d}  p50 {r['p50']:7.1f} ms  p90 {r['p90']:7.1f} ms  "
              f"p99 {r['p99']:7.1f} ms  max {r['max']:7.1f} ms")
    print(f"  ratio full/baseline: p50 ×{lat['full']['p50'] / lat['baseline']['p50']:.2f}, "
          f"p99 ×{lat['full']['p99'] / lat['baseline']['p99']:.2f}")
    print(f"  targets: p50 ≤ 25 ms, p99 ≤ 100 ms; JS heap per wall (MB): {lat['heap_mb']}")
    if ing:
        print(f"ingest: {ing['events']} events in {ing['seconds']:.2f} s = {ing['per_second']:,.0f} events/s "
              f"sustained (target ≥ 20,000); rejected {ing['rejected']}")
        print(f"  mix: {json.dumps(ing['mix'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
