"""`zhongshu deadletter list|show|replay` in real subprocesses, against a running ingest on real Redis and a real
database: hostile messages are refused, inspected safely, and replayed after a fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from datafeeds.models import Case, DeadLetter
from datafeeds.rows import RAW_KEEP

TOWN = "439901100"


def zhongshu(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], env=env, capture_output=True,
                          timeout=120)


@pytest.fixture
def env(settings: Any) -> dict[str, str]:
    return {**os.environ, "ZHONGSHU_REDIS_URL": settings.redis_url, "ZHONGSHU_DATABASE_URL": settings.db_url,
            "ZHONGSHU_FEED_PREFIX": settings.feed_prefix, "ZHONGSHU_DATA_DIR": str(settings.data_dir)}


def message(type_: str, n: int, data: dict[str, Any]) -> bytes:
    return json.dumps({"v": 1, "id": f"cli-{n}", "source": "cli-test", "seq": n, "type": type_,
                       "at": datetime.now(UTC).isoformat(), "data": data}, ensure_ascii=False).encode()


def registered(case_no: str, n: int) -> bytes:
    return message("case.registered", n, {"case_no": case_no, "title": "邻里纠纷", "category": "02",
                                         "source_channel": "grid", "township": TOWN, "lat": 27.81, "lon": 113.08})


def letters_by_reason(stack: Any) -> dict[str, DeadLetter]:
    with Session(stack.ingest.applier.engine) as conn:
        return {x.reason: x for x in conn.execute(select(DeadLetter)).scalars()}


def test_list_show_and_replay_after_a_fix(stack: Any, rclient: Any, env: dict[str, str], wait_for: Any) -> None:
    cases = f"{stack.settings.feed_prefix}:feed:cases"
    early = message("case.triaged", 2, {"case_no": "LATE-1", "note": "arrived before its registration"})
    junk = b"\x1b[31mRED\x1b[0m not json \x07"
    huge = b'{"v": 1, "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    for data in (early, junk, huge, registered("GOOD-1", 1)):
        rclient.publish(cases, data)
    found = wait_for(lambda: (x := letters_by_reason(stack)) and len(x) == 3 and x, timeout=20)
    assert set(found) == {"unknown_case", "not_json", "too_large"}
    wait_for(lambda: "GOOD-1" in stack.ingest.applier.live)  # the good message behind the bad ones landed
    unknown, bad, big = found["unknown_case"], found["not_json"], found["too_large"]
    assert big.raw_size == len(huge) and len(big.raw) == RAW_KEEP

    listed = zhongshu("deadletter", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout.decode()
    for x in (unknown, bad, big):
        assert f"{x.id:>7}" in out and x.reason in out
    assert "\x1b" not in out and "\x07" not in out
    assert f"{len(huge)}+" in out, "a truncated letter shows its true size, marked"
    only = zhongshu("deadletter", "list", "--reason", "unknown_case", "--json", env=env)
    (row,) = [json.loads(line) for line in only.stdout.decode().splitlines()]
    assert row["id"] == unknown.id and row["event_id"] == "cli-2" and row["channel"] == cases

    shown = zhongshu("deadletter", "show", str(bad.id), env=env)
    assert shown.returncode == 0 and b"not json" in shown.stdout
    assert b"\x1b" not in shown.stdout and b"\\x1b[31mRED" in shown.stdout, "control characters are shown escaped"
    assert zhongshu("deadletter", "show", str(bad.id), "--raw", env=env).stdout == junk
    assert zhongshu("deadletter", "show", str(big.id), "--raw", env=env).stdout == huge[:RAW_KEEP]
    assert zhongshu("deadletter", "show", "999999", env=env).returncode == 1

    # Not fixed yet: the case is still unknown, so the letter stays with one more attempt.
    again = zhongshu("deadletter", "replay", str(unknown.id), "--wait", "10", env=env)
    assert again.returncode == 1 and b"rejected_again" in again.stdout and b"unknown_case" in again.stdout
    assert letters_by_reason(stack)["unknown_case"].attempts == 2

    # The fix: the registration arrives. Replay now lands, and the letter leaves the table.
    rclient.publish(cases, registered("LATE-1", 3))
    wait_for(lambda: "LATE-1" in stack.ingest.applier.live)
    landed = zhongshu("deadletter", "replay", "--reason", "unknown_case", env=env)
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert b"accepted" in landed.stdout and b"1 landed" in landed.stdout
    assert "unknown_case" not in letters_by_reason(stack)
    with Session(stack.ingest.applier.engine) as conn:
        assert conn.execute(select(Case.state).where(Case.case_no == "LATE-1")).scalar() == "triaged"

    # A truncated letter cannot be replayed; junk is refused again; both stay.
    rest = zhongshu("deadletter", "replay", str(big.id), str(bad.id), "--wait", "10", env=env)
    assert rest.returncode == 1
    lines = rest.stdout.decode().splitlines()
    assert "truncated" in lines[0] and "rejected_again" in lines[1] and "not_json" in lines[1]
    assert set(letters_by_reason(stack)) == {"not_json", "too_large"}
    assert zhongshu("deadletter", "replay", env=env).returncode == 2, "ids or --reason is required"

    health = stack.app.test_client().get("/healthz").get_json()
    assert health["rejected_by_reason"] == {"not_json": 2, "too_large": 1, "unknown_case": 2}
    assert health["dead_letters"] == {"kept": 2, "pruned": 0, "replayed": 1}


def test_replay_says_when_nobody_listens(stack: Any, env: dict[str, str]) -> None:
    with stack.ingest.applier.engine.begin() as conn:
        conn.execute(insert(DeadLetter).values(
            received_at=datetime.now(UTC), channel="nobody-listens:feed:cases", reason="unknown_case", detail="x",
            event_id="e-1", raw=b"{}", raw_size=2, raw_sha256="0" * 64))
        letter_id = conn.execute(select(DeadLetter.id)).scalar()
    result = zhongshu("deadletter", "replay", str(letter_id), "--wait", "1", env=env)
    assert result.returncode == 1 and b"no_listener" in result.stdout
    with Session(stack.ingest.applier.engine) as conn:
        assert conn.execute(select(DeadLetter.replays).where(DeadLetter.id == letter_id)).scalar() == 0
