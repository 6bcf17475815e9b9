"""Helpers the benchmarks share: a stack started on a fresh SQLite file, health, machine facts."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def healthz(base: str) -> dict[str, Any]:
    try:
        return dict(get_json(f"{base}/healthz"))
    except urllib.error.HTTPError as err:
        return dict(json.loads(err.read()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine_facts(redis_url: str) -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    info = redis.Redis.from_url(redis_url).info("server")
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
    return {"machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu}",
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "redis": str(info.get("redis_version")), "browser": chromium}


class StartedStack:
    """`zhongshu ingest` and `zhongshu serve` as subprocesses on a fresh SQLite file."""

    def __init__(self, redis_url: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="zhongshu-bench-")
        self.port = free_port()
        self.prefix = f"bench{uuid.uuid4().hex[:6]}"
        self.env = {**os.environ, "ZHONGSHU_REDIS_URL": redis_url, "ZHONGSHU_DATA_DIR": self.dir,
                    "ZHONGSHU_PORT": str(self.port), "ZHONGSHU_FEED_PREFIX": self.prefix}
        self.env.pop("ZHONGSHU_DATABASE_URL", None)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> StartedStack:
        cli = [sys.executable, "-m", "dashboard.cli"]
        subprocess.run([*cli, "seed"], env=self.env, check=True, capture_output=True, cwd=ROOT)
        log = open(Path(self.dir) / "stack.log", "wb")  # noqa: SIM115 - lives as long as the stack
        for args in (["ingest"], ["serve"]):
            self.procs.append(subprocess.Popen([*cli, *args], env=self.env, stdout=log, stderr=log, cwd=ROOT))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if healthz(self.base).get("ingest_alive"):
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"stack did not start; see {self.dir}/stack.log")

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(10)


