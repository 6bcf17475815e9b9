"""Structured logs: with ZHONGSHU_LOG_FORMAT=json every line a process writes is one JSON object."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from dashboard.logs import JsonFormatter
from datafeeds.contract import Channel, channel_name


def _record(msg: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("坏了")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord("datafeeds.ingest", logging.WARNING, __file__, 1, msg, args, exc_info)
    record.__dict__.update(extra)
    return record


def test_json_formatter_writes_one_object_per_line() -> None:
    line = JsonFormatter().format(_record("rejected %d of %d\nmessages", 2, 5, exc=True, batch_size=5, seq=17,
                                          reasons={"not_json": 2}, level="spoofed", at=Path("/x")))
    assert "\n" not in line
    out = json.loads(line)
    assert out["level"] == "WARNING" and out["logger"] == "datafeeds.ingest"
    assert out["message"] == "rejected 2 of 5\nmessages"
    assert out["time"].endswith("Z") and out["time"][:2] == "20"
    assert (out["batch_size"], out["seq"], out["reasons"]) == (5, 17, {"not_json": 2})
    assert out["at"] == "/x"  # anything JSON cannot hold goes as its text
    assert "ValueError: 坏了" in out["exc"]
    nan = json.loads(JsonFormatter().format(_record("odd", value=float("nan"))))
    assert nan["value"] == "nan"
    painted = json.loads(JsonFormatter().format(_record("\x1b[1m\x1b[31mGET /nope 404\x1b[0m")))
    assert painted["message"] == "GET /nope 404"  # Werkzeug's terminal colours stay out


def test_ingest_process_logs_json_lines(settings, rclient, wait_for) -> None:
    env = {**os.environ, "ZHONGSHU_REDIS_URL": settings.redis_url or "", "ZHONGSHU_DATABASE_URL": settings.db_url,
           "ZHONGSHU_FEED_PREFIX": settings.feed_prefix, "ZHONGSHU_DATA_DIR": str(settings.data_dir),
           "ZHONGSHU_LOG_FORMAT": "json"}
    lines: list[str] = []
    with subprocess.Popen([sys.executable, "-m", "dashboard.cli", "ingest"], env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8") as proc:
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
        reader.start()
        try:
            wait_for(lambda: any("ingest listening" in line for line in lines), timeout=60)
            wait_for(lambda: rclient.publish(channel_name(settings.feed_prefix, Channel.CASES), b"{not json") > 0)
            wait_for(lambda: any('"reasons"' in line for line in lines), timeout=30)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            reader.join(10)
    assert proc.returncode == 0, "".join(lines)
    records = [json.loads(line) for line in lines]  # every line is JSON
    for r in records:
        assert {"time", "level", "logger", "message"} <= set(r)
    rejected = next(r for r in records if "reasons" in r)
    assert rejected["reasons"] == {"not_json": 1}
    assert rejected["batch_size"] == 1 and rejected["level"] == "WARNING"
    assert rejected["logger"] == "datafeeds.ingest"
