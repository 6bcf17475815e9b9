"""Fixtures with real parts: a Redis server, SQLite (and PostgreSQL when named), the web and ingest."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, text

from dashboard.embedded import EmbeddedRedis, answers
from dashboard.settings import Settings
from datafeeds.county import County, build_county, load_county
from datafeeds.db import make_engine, make_sessionmaker, migrate

from wallaccess import WALL_TOKENS, forget_opener, wall_link

PG_URL = os.environ.get("ZHONGSHU_TEST_DATABASE_URL")
DEMO_ROSTER = Path(__file__).resolve().parents[1] / "dashboard" / "demo_roster.toml"
DB_KINDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
TEST_SECRET_KEY = "test-secret-key-" + "x" * 32



@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return the URL of a real Redis: the named one, the local one, or one started for the session."""
    named = os.environ.get("ZHONGSHU_TEST_REDIS_URL")
    if named:
        yield named
        return
    local = "redis://127.0.0.1:6379/0"
    if answers(local):
        yield local
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def prefix() -> str:
    """Return a feed prefix of this test's own, so tests sharing a Redis never hear each other."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def rclient(redis_url: str) -> Iterator[redis.Redis]:
    """Return a client of the test Redis."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def county() -> County:
    """Return the default synthetic county."""
    return build_county()


def _fresh_pg(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of an empty database: SQLite always, PostgreSQL too when one is named."""
    if request.param == "postgresql":
        assert PG_URL
        _fresh_pg(PG_URL).dispose()
        return PG_URL
    return f"sqlite:///{tmp_path / 'zhongshu.db'}"


@pytest.fixture
def engine(db_url: str, county: County) -> Iterator[Engine]:
    """Return an engine on a migrated database holding the synthetic county."""
    eng = make_engine(db_url)
    migrate(eng)
    with make_sessionmaker(eng)() as session:
        load_county(session, county)
        session.commit()
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, db_url: str, prefix: str, engine: Engine) -> Settings:
    """Return settings that point every part at this test's Redis prefix and database."""
    return Settings(redis_url=redis_url, database_url=db_url, feed_prefix=prefix, data_dir=tmp_path,
                    port=0, feed_stale_seconds=30, duty_roster=DEMO_ROSTER, secret_key=TEST_SECRET_KEY)


class Stack:
    """The web server and the ingest, running in this process on real Redis and a real database."""

    def __init__(self, settings: Settings) -> None:
        from dashboard.app import create_app
        from dashboard.runners import build_ingest
        from dashboard.server import ServerThread

        self.settings = settings
        self.app = create_app(settings)
        self.web = ServerThread(self.app)
        self.url = f"http://127.0.0.1:{self.web.port}"
        from dashboard.accounts import create_token

        _, WALL_TOKENS[self.url] = create_token(self.app.extensions["zhongshu"].engine, "测试大屏")
        forget_opener(self.url)
        self.ingest = build_ingest(settings, settings.redis_url or "")
        self._ingest_thread = threading.Thread(target=self.ingest.run, daemon=True, name="test-ingest")

    def wall_url(self, query: str = "") -> str:
        """Return this stack's display link, as a kiosk opens it."""
        return wall_link(self.url, query)

    def start(self) -> Stack:
        self.web.start()
        self._ingest_thread.start()
        self.ingest.subscriber.ready.wait(10)
        return self

    def stop_ingest(self) -> None:
        """Stop the ingest as its process ending would (the web server goes on)."""
        self.ingest.stop.set()
        self._ingest_thread.join(10)
        self.ingest.applier.engine.dispose()

    def start_ingest(self) -> None:
        """Start a new ingest, as a restarted process would: state from the store, gaps from the feed log."""
        from dashboard.runners import build_ingest

        self.ingest = build_ingest(self.settings, self.settings.redis_url or "")
        self._ingest_thread = threading.Thread(target=self.ingest.run, daemon=True, name="test-ingest")
        self._ingest_thread.start()
        self.ingest.subscriber.ready.wait(10)

    def stop(self) -> None:
        self.ingest.stop.set()
        self._ingest_thread.join(10)
        self.web.stop()
        self.ingest.applier.engine.dispose()
        self.app.extensions["zhongshu"].engine.dispose()

    def wait_seq(self, seq: int, timeout: float = 10.0) -> None:
        """Wait until the ingest has applied up to a global seq."""
        deadline = time.monotonic() + timeout
        while self.ingest.applier.committed_seq < seq:
            if time.monotonic() > deadline:
                raise AssertionError(f"ingest at seq {self.ingest.applier.committed_seq}, wanted {seq}")
            time.sleep(0.01)


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    """Return the Flask app (with Dash and Socket.IO) for this test's settings, not serving."""
    from dashboard.app import create_app

    flask_app = create_app(settings)
    yield flask_app
    flask_app.extensions["zhongshu"].engine.dispose()


@pytest.fixture
def make_stack() -> Iterator[Any]:
    """Return a function that starts a stack for given settings; every one is stopped afterwards."""
    started: list[Stack] = []

    def make(settings: Settings) -> Stack:
        s = Stack(settings).start()
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """Return a running web server and ingest for this test."""
    s = Stack(settings).start()
    yield s
    s.stop()


def _wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


@pytest.fixture
def wait_for() -> Any:
    """Return a function that polls a predicate until it holds, failing after a timeout."""
    return _wait_for
