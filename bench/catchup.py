"""What a wall's resync costs: the deltas it missed (`/api/deltas`) against a whole snapshot (`/api/snapshot`).

Starts the ingest and the web server on a fresh SQLite file, loads a county's worth of open cases, then
publishes a gap's worth of events at a steady rate (what a wall cut off for a minute misses). It then asks
both endpoints for the way from the seq before the gap to the present, one request at a time and then W at
once (W walls reconnecting together after a web restart), and prints time, bytes and the ratios, measured
in the same run.

    python bench/catchup.py --start          # 20,000 events of history, then a gap of 300 at 5/s
    python bench/catchup.py --start --gap 1500 --rate 50 --walls 50
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import StartedStack, get_json, healthz, machine_facts
from datafeeds.contract import channel_for, channel_name, dumps
from datafeeds.county import build_county
from datafeeds.publisher import Publisher
from datafeeds.simulator import Simulator


def fetch(url: str) -> tuple[float, int, int]:
    """Return (seconds, bytes, status) of one GET."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as err:
        body, status = err.read(), err.code
    return time.perf_counter() - started, len(body), status


def settled(base: str, timeout: float = 300.0) -> int:
    """Wait until the ingest's seq stops moving for 2 s; return it."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        seq = int(healthz(base).get("last_seq") or 0)
        if seq != last:
            last, since = seq, time.monotonic()
        elif seq > 0 and time.monotonic() - since >= 2:
            return seq
        time.sleep(0.2)
    raise RuntimeError("the ingest did not settle")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--start", action="store_true", help="start ingest + web on a fresh SQLite (required)")
    parser.add_argument("--history", type=int, default=20_000, help="events loaded before the gap")
    parser.add_argument("--gap", type=int, default=300, help="events a wall misses")
    parser.add_argument("--rate", type=float, default=5.0, help="events per second during the gap")
    parser.add_argument("--repeat", type=int, default=20, help="sequential requests of each kind")
    parser.add_argument("--walls", type=int, default=20, help="walls asking at once")
    args = parser.parse_args()
    if not args.start:
        parser.error("--start is required: the benchmark needs a stack of its own")

    print("command:", shlex.join([sys.executable, *sys.argv]))
    for k, v in machine_facts(args.redis_url).items():
        print(f"{k}: {v}")
    stack = StartedStack(args.redis_url).start()
    client = redis.Redis.from_url(args.redis_url)
    try:
        sim = Simulator(build_county(), seed=5, cases_per_day=600)
        pub = Publisher(client, prefix=stack.prefix, source="catchup-bench")

        def send(n: int) -> None:
            wire = [(channel_name(stack.prefix, channel_for(e.type)), pub.event(e.type, e.data, at=e.at))
                    for e in sim.rate_events(n)]
            pipe = client.pipeline(transaction=False)
            for channel, event in wire:
                pipe.publish(channel, dumps(event))
            pipe.execute()

        print(f"loading {args.history} events of history …")
        for _ in range(0, args.history, 1000):
            send(1000)
        before = settled(stack.base)
        snap = get_json(f"{stack.base}/api/snapshot")
        print(f"history applied: seq {before}, {len(snap['pins'])} open cases on the map")
        print(f"publishing a gap of {args.gap} events at {args.rate}/s …")
        for _ in range(args.gap):
            send(1)
            time.sleep(1 / args.rate)
        seq = settled(stack.base)
        deltas_url = f"{stack.base}/api/deltas?after={before}"
        snapshot_url = f"{stack.base}/api/snapshot?names=1"
        try:
            get_json(deltas_url)
        except urllib.error.HTTPError as err:
            print(f"the log cannot bring a wall from seq {before} to {seq}: HTTP {err.code} {err.read().decode()} "
                  f"(a wall takes a snapshot); raise ZHONGSHU_DELTA_LOG / ZHONGSHU_CATCHUP_MAX_BYTES or shorten --gap")
            return 1
        probe = get_json(deltas_url)
        print(f"the gap: seq {before} → {seq}; the log holds {probe['merged']} deltas for it, served merged as one")

        rows = {}
        for name, url in (("deltas", deltas_url), ("snapshot", snapshot_url)):
            runs = [fetch(url) for _ in range(args.repeat)]
            assert all(r[2] == 200 for r in runs), f"{name}: {[r[2] for r in runs]}"
            started = time.perf_counter()
            with ThreadPoolExecutor(args.walls) as pool:
                burst = list(pool.map(fetch, [url] * args.walls))
            rows[name] = (statistics.median(r[0] for r in runs), runs[0][1], time.perf_counter() - started,
                          max(r[0] for r in burst))
    finally:
        stack.stop()
    print()
    print(f"{'':10} {'median s':>10} {'bytes':>12} {f'{args.walls} at once: all done s':>28} {'slowest s':>10}")
    for name, (med, size, burst, slowest) in rows.items():
        print(f"{name:10} {med:10.4f} {size:12,} {burst:28.3f} {slowest:10.3f}")
    d, s = rows["deltas"], rows["snapshot"]
    print(f"\nsnapshot / deltas: time ×{s[0] / d[0]:.1f}, bytes ×{s[1] / d[1]:.1f}, "
          f"{args.walls} walls at once ×{s[2] / d[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
