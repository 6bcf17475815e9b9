"""The command line as an integrator and an operator meet it, in real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from datafeeds.contractdocs import example_events


def zhongshu(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def env(redis_url: str, prefix: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ZHONGSHU_REDIS_URL": redis_url, "ZHONGSHU_FEED_PREFIX": prefix,
            "ZHONGSHU_DATA_DIR": str(tmp_path)}


def test_publish_sends_valid_messages(env: dict[str, str], rclient, prefix: str) -> None:
    sub = rclient.pubsub(ignore_subscribe_messages=True)
    sub.psubscribe(f"{prefix}:feed:*")
    messages = example_events(source="cli")[:3]
    result = zhongshu("publish", "-", env=env, stdin="\n".join(json.dumps(m) for m in messages))
    assert result.returncode == 0, result.stderr
    assert "published 3" in result.stdout
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < deadline:
        msg = sub.get_message(timeout=0.5)
        if msg:
            got.append(json.loads(msg["data"])["id"])
    assert got == [m["id"] for m in messages]


def test_publish_refuses_an_invalid_message_and_sends_nothing(env: dict[str, str], rclient, prefix: str,
                                                               tmp_path: Path) -> None:
    sub = rclient.pubsub(ignore_subscribe_messages=True)
    sub.psubscribe(f"{prefix}:feed:*")
    good, bad = example_events(source="cli")[0], example_events(source="cli-bad")[0]
    bad["data"]["lat"] = 123.0
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([good, bad]), encoding="utf-8")
    result = zhongshu("publish", str(path), env=env)
    assert result.returncode == 1
    assert "message 2: rejected (off_globe)" in result.stderr and "lat" in result.stderr
    assert sub.get_message(timeout=0.5) is None


def test_publish_says_clearly_when_no_redis_is_configured(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ZHONGSHU_REDIS_URL"}
    env["ZHONGSHU_DATA_DIR"] = str(tmp_path)
    result = zhongshu("publish", "-", env=env, stdin=json.dumps(example_events()[0]))
    assert result.returncode == 2
    assert "ZHONGSHU_REDIS_URL" in result.stderr and "Traceback" not in result.stderr


def test_schema_writes_the_docs(tmp_path: Path) -> None:
    result = zhongshu("schema", "--out", str(tmp_path), env=dict(os.environ))
    assert result.returncode == 0
    schema = json.loads((tmp_path / "feed-schema.json").read_text(encoding="utf-8"))
    assert "case.registered" in json.dumps(schema)
    assert "### `case.visited`" in (tmp_path / "feed-contract.md").read_text(encoding="utf-8")


def _children_of(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    tree: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        tree.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signed_in_opener(base: str, name: str, password: str) -> urllib.request.OpenerDirector:
    """Sign in through the form as a person would (its CSRF token, its cookie) and return the browser."""
    import http.cookiejar
    import re
    import urllib.parse

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(f"{base}/signin", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    data = urllib.parse.urlencode({"name": name, "password": password, "csrf_token": token.group(1)}).encode()
    with opener.open(f"{base}/signin?next=/api/duty", data=data, timeout=10) as answer:
        assert answer.url.endswith("/api/duty")  # signed in, and sent on to where it was going
    return opener


def test_demo_runs_everything_and_ctrl_c_stops_it_all(tmp_path: Path) -> None:
    import re
    import threading

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGSHU_")}
    env.update(ZHONGSHU_DATA_DIR=str(tmp_path / "data"), ZHONGSHU_PORT=str(port),
               ZHONGSHU_SIM_BACKFILL_DAYS="1")
    demo = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "demo"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(demo.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        health: dict = {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
                if health.get("accepted", 0) > 100:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert health.get("ingest_alive") and health["accepted"] > 100, health
        assert health["last_seq"] > 0
        printed = "".join(lines)
        # The printed display link opens the wall with no sign-in; the printed admin signs in.
        link = re.search(rf"{base}/wall\?token=[\w-]+", printed)
        assert link is not None, printed
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(link.group(0), timeout=10) as wall:
            assert wall.url == f"{base}/wall" and "zhongshu-live.js" in wall.read().decode()
        with opener.open(f"{base}/api/snapshot", timeout=10) as snap:
            assert json.loads(snap.read())["seq"] > 0
        admin = re.search(r"用户 / user (\S+)，密码 / password (\S+)", printed)
        assert admin is not None, printed
        _signed_in_opener(base, admin.group(1), admin.group(2))
        children = _children_of(demo.pid)
        assert len(children) >= 4  # redis-server, ingest, web, simulator
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
        reader.join(10)
        output = "".join(lines)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        reader.join(10)
        demo.stdout.close()  # type: ignore[union-attr]
    assert demo.returncode == 0, output
    time.sleep(0.5)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    assert alive == [], "every process the demo started has stopped"


def test_serve_refuses_a_missing_or_default_secret(tmp_path: Path, redis_url: str) -> None:
    from dashboard.runners import check_secret

    base = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGSHU_")}
    base.update(ZHONGSHU_DATA_DIR=str(tmp_path), ZHONGSHU_REDIS_URL=redis_url, ZHONGSHU_PORT=str(_free_port()))
    for secret, says in ((None, "ZHONGSHU_SECRET_KEY is not set"), ("change-me", "a default or too weak"),
                         ("short-but-random-9", "a default or too weak"), ("a" * 40, "a default or too weak")):
        env = {**base, **({"ZHONGSHU_SECRET_KEY": secret} if secret else {})}
        done = zhongshu("serve", env=env)
        assert done.returncode != 0 and says in done.stderr, (secret, done.stderr)
        assert "未设置" in done.stderr or "过短或为示例值" in done.stderr
    good = "9f2c4e1a7b3d5f608192a3b4c5d6e7f8091a2b3c4d5e6f70"
    assert check_secret(good) == good


def test_fill_cases_fills_an_empty_store(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGSHU_")}
    env.update(ZHONGSHU_DATA_DIR=str(tmp_path))
    done = zhongshu("fill-cases", "--count", "250", "--days", "30", env=env)
    assert done.returncode == 0, done.stderr
    assert "250 / 250" in done.stdout
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(tmp_path / "zhongshu.db")) as db:
        assert db.execute("select count(*) from cases").fetchone() == (250,)


def test_briefing_writes_a_pdf_and_an_html_file_for_a_scheduled_job(tmp_path: Path) -> None:
    import getpass
    import sqlite3
    from contextlib import closing
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGSHU_")}
    env.update(ZHONGSHU_DATA_DIR=str(tmp_path))
    # 60 cases registered over the past 5 days: all of them inside a custom period of the last 7 days.
    assert zhongshu("fill-cases", "--count", "60", "--days", "5", env=env).returncode == 0
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    first = today - timedelta(days=6)
    period = ["--period", "custom", "--from", first.isoformat(), "--to", today.isoformat()]
    for suffix, magic in ((".pdf", b"%PDF-"), (".html", b"<!DOCTYPE html>")):
        out = tmp_path / f"weekly{suffix}"
        done = zhongshu("briefing", *period, "--out", str(out), env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(out.resolve())
        assert out.read_bytes().startswith(magic)
    text = "".join(subprocess.run(["pdftotext", str(tmp_path / "weekly.pdf"), "-"], check=True, capture_output=True,
                                  text=True).stdout.split())
    assert "示范县综治中心工作简报" in text and "受理量60件" in text
    assert f"{first.month}月{first.day}日" in text and "统计口径" in text
    assert "示范县综治中心 工作简报" in (tmp_path / "weekly.html").read_text(encoding="utf-8")
    with closing(sqlite3.connect(tmp_path / "zhongshu.db")) as db:
        rows = db.execute("select actor, target from audit_log where action = 'export' order by id").fetchall()
    assert [target for _, target in rows] == ["briefing.pdf", "briefing.html"]
    assert {actor for actor, _ in rows} == {f"cli:{getpass.getuser()}"}

    backwards = zhongshu("briefing", "--period", "custom", "--from", today.isoformat(), "--to", first.isoformat(),
                         "--out", str(tmp_path / "x.pdf"), env=env)
    assert backwards.returncode == 2 and "after the last day" in backwards.stderr
    assert "Traceback" not in backwards.stderr and not (tmp_path / "x.pdf").exists()
    wrong = zhongshu("briefing", "--out", str(tmp_path / "x.docx"), env=env)
    assert wrong.returncode == 2 and ".pdf" in wrong.stderr
