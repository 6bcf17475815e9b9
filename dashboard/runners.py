"""Run each long-lived process (web, ingest, simulator) from the settings, stopping cleanly on signals."""

from __future__ import annotations

import logging
import signal
import threading
import tomllib
from datetime import timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import redis

from dashboard.embedded import resolve_redis_url
from dashboard.settings import Settings
from datafeeds.apply import Applier
from datafeeds.county import County, build_county, load_county
from datafeeds.db import make_engine, make_sessionmaker, migrate
from datafeeds.deadlines import DeadlinePolicy
from datafeeds.deltalog import DeltaLog
from datafeeds.guard import FeedLimits
from datafeeds.ingest import Ingest, SocketIOEmitter

log = logging.getLogger(__name__)


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def seed_county(settings: Settings) -> County:
    """Migrate the database and load the synthetic county into it (idempotent)."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    county = build_county(settings.county_name, code=settings.county_code)
    with make_sessionmaker(engine)() as session:
        load_county(session, county)
        session.commit()
    engine.dispose()
    return county


# Secrets that appear in examples and tutorials: a production that kept one signs cookies anyone can forge.
KNOWN_SECRETS = frozenset({"change-me", "changeme", "secret", "secret-key", "dev", "development", "zhongshu",
                           "please-change-me", "your-secret-key"})
SECRET_MIN = 32


def check_secret(secret: str | None) -> str:
    """Return the secret key, or raise SystemExit saying why `zhongshu serve` will not start with it.

    Without a fixed secret each start signs cookies with a new random one: every desk and wall is signed
    out at each restart, and web processes behind one proxy refuse each other's cookies.
    """
    if not secret:
        raise SystemExit("zhongshu serve: 未设置 ZHONGSHU_SECRET_KEY（至少 32 个字符的随机串，例如 "
                         "`python -c 'import secrets; print(secrets.token_hex(32))'` 的输出）。\n"
                         "zhongshu serve: ZHONGSHU_SECRET_KEY is not set (a random string of at least 32 "
                         "characters); `zhongshu demo` makes one for you.")
    if secret.strip().lower() in KNOWN_SECRETS or len(secret) < SECRET_MIN or len(set(secret)) < 8:
        raise SystemExit(f"zhongshu serve: ZHONGSHU_SECRET_KEY 过短或为示例值，"
                         f"请换成至少 {SECRET_MIN} 个字符的随机串。\n"
                         f"zhongshu serve: ZHONGSHU_SECRET_KEY is a default or too weak; use a random string of "
                         f"at least {SECRET_MIN} characters.")
    return secret


def serve(settings: Settings) -> None:
    """Serve the web app until SIGTERM or Ctrl-C (refusing to start with a default or missing secret key)."""
    from dashboard.app import create_app
    from dashboard.server import build_server, close_connections

    check_secret(settings.secret_key)
    app = create_app(settings)
    server = build_server(app, settings.host, settings.port)
    stop = threading.Event()
    _stop_on_signals(stop)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    log.info("serving on http://%s:%d/wall", settings.host, server.server_port)
    stop.wait()
    server.shutdown()
    close_connections(server)
    server.server_close()


def deadline_policy(settings: Settings) -> DeadlinePolicy:
    """Return the deadline policy: the defaults of DOMAIN.md, with the county's TOML file on top."""
    config: dict[str, Any] = {}
    if settings.deadline_policy is not None:
        with settings.deadline_policy.open("rb") as f:
            config = tomllib.load(f)
    return DeadlinePolicy.from_config({"tz": settings.timezone, **config})


def feed_limits(settings: Settings) -> FeedLimits:
    """Return the bounds feed messages must keep, from the settings."""
    return FeedLimits(max_bytes=settings.feed_max_bytes,
                      max_future=timedelta(seconds=settings.feed_max_future_seconds),
                      max_age=timedelta(days=settings.feed_max_age_days))


def build_ingest(settings: Settings, redis_url: str) -> Ingest:
    """Return a ready ingest for the settings (schema migrated, state loaded)."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    tz = ZoneInfo(settings.timezone)
    applier = Applier(engine, tz=tz, ticker_size=settings.ticker_size, deadlines=deadline_policy(settings),
                      auto_cards=settings.auto_supervision, prefix=settings.feed_prefix,
                      limits=feed_limits(settings), dead_letter_max=settings.dead_letter_max)
    emitter = SocketIOEmitter(redis_url, settings.socketio_channel)
    client = redis.Redis.from_url(redis_url)
    return Ingest(applier, client, prefix=settings.feed_prefix, emitter=emitter,
                  batch_max=settings.ingest_batch_max, emit_rate=settings.emit_rate,
                  league_every=settings.league_seconds, metrics_every=settings.metrics_seconds,
                  delta_log=DeltaLog(client, settings.feed_prefix, maxlen=settings.delta_log))


def ingest(settings: Settings) -> None:
    """Run the ingest until SIGTERM or Ctrl-C."""
    ing = build_ingest(settings, resolve_redis_url(settings))
    _stop_on_signals(ing.stop)
    log.info("ingest listening on %s:feed:*", settings.feed_prefix)
    ing.run()


def simulate(settings: Settings, *, seed: int | None = None, cases_per_day: float | None = None,
             speedup: float | None = None, rate: float | None = None, backfill_days: int | None = None,
             duration: float | None = None) -> None:
    """Publish the simulated county's events until SIGTERM, Ctrl-C or the duration ends."""
    from datafeeds.publisher import Publisher
    from datafeeds.simrun import run_simulation
    from datafeeds.simulator import Simulator

    client = redis.Redis.from_url(resolve_redis_url(settings))
    county = build_county(settings.county_name, code=settings.county_code)
    sim = Simulator(county, seed=settings.sim_seed if seed is None else seed, policy=deadline_policy(settings),
                    threshold_cards=not settings.auto_supervision,
                    cases_per_day=cases_per_day or settings.sim_cases_per_day,
                    speedup=speedup or settings.sim_speedup)
    stop = threading.Event()
    _stop_on_signals(stop)
    publisher = Publisher(client, prefix=settings.feed_prefix, source="simulator", stream_maxlen=settings.stream_maxlen)
    run_simulation(sim, publisher, backfill_days=settings.sim_backfill_days if backfill_days is None else backfill_days,
            rate=rate, duration=duration, stop_event=stop)
