"""Alert titles reach the wall masked (snapshot and deltas) while the stored alert keeps them as sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.runners import build_ingest
from dashboard.settings import Settings
from datafeeds.apply import Applier, RawMessage
from datafeeds.contractdocs import TOWNSHIP, example_events
from datafeeds.county import County
from datafeeds.deltalog import DeltaLog
from datafeeds.ingest import Ingest
from datafeeds.models import Alert
from datafeeds.publisher import Publisher
from datafeeds.queries import snapshot

NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")
PARTIES = [{"role": "applicant", "name": "欧阳娜娜", "phone": "13812345678", "id_type": "居民身份证",
            "id_number": "11010119900307123X"},
           {"role": "respondent", "name": "李晓明"}]
TITLE = "欧阳娜娜(13812345678，身份证11010119900307123X)与李晓明纠纷，案号4399012026112600001"
MASKED = "欧阳**(138****5678，身份证1101**********123X)与李*明纠纷，案号4399012026112600001"
REGEX_ONLY = "欧阳娜娜(138****5678，身份证1101**********123X)与李晓明纠纷，案号4399012026112600001"


def raw(message: dict[str, Any]) -> RawMessage:
    return RawMessage("t:feed:cases", json.dumps(message, ensure_ascii=False).encode())


def registered(case_no: str, n: int) -> dict[str, Any]:
    message = example_events(source="t")[0]
    message.update(id=f"reg-{case_no}", seq=n, at=(NOW - timedelta(minutes=60 - n)).isoformat())
    message["data"].update(case_no=case_no, parties=PARTIES)
    return message


def raised(alert_id: str, case_no: str | None, n: int) -> dict[str, Any]:
    data = {"alert_id": alert_id, "level": "group", "title": TITLE, "township": TOWNSHIP, "category": "0701"}
    return {"v": 1, "id": f"alert-{alert_id}", "source": "t", "seq": n, "type": "alert.raised",
            "at": (NOW - timedelta(minutes=60 - n)).isoformat(),
            "data": {**data, "case_no": case_no} if case_no else data}


def stored_titles(engine: Engine) -> dict[str, str]:
    with Session(engine) as conn:
        return {i: t for i, t in conn.execute(select(Alert.alert_id, Alert.title))}


def test_titles_are_masked_with_their_cases_parties_in_delta_and_snapshot(engine: Engine) -> None:
    applier = Applier(engine, clock=lambda: NOW)
    applier.apply([raw(registered("M-1", 1))])
    # One alert on a case stored before, one on a case this batch registers, one on no case, one on a
    # case the store does not know: the last two are masked by pattern only.
    delta = applier.apply([raw(raised("A-1", "M-1", 2)), raw(registered("M-2", 3)), raw(raised("A-2", "M-2", 4)),
                           raw(raised("A-3", None, 5)), raw(raised("A-4", "NOPE", 6))])
    assert delta is not None
    titles = {a["alert_id"]: a["title"] for a in delta["alerts"]["raised"]}
    assert titles == {"A-1": MASKED, "A-2": MASKED, "A-3": REGEX_ONLY, "A-4": REGEX_ONLY}
    snap = snapshot(engine, NOW)
    assert snap["alerts"] == delta["alerts"]["raised"], "the snapshot shows what the deltas showed"
    assert stored_titles(engine) == dict.fromkeys(("A-1", "A-2", "A-3", "A-4"), TITLE), "stored as sent"
    restarted = Applier(engine, clock=lambda: NOW)
    again = restarted.apply([raw({**raised("A-5", "M-1", 7), "id": "alert-A-5"})])
    assert again is not None and again["alerts"]["raised"][0]["title"] == MASKED


@pytest.fixture
def ingest(settings: Settings) -> Iterator[Ingest]:
    """Return an ingest running in a thread on the test's Redis and database, as `zhongshu ingest` runs."""
    running = build_ingest(settings, settings.redis_url or "")
    thread = threading.Thread(target=running.run, daemon=True, name="test-ingest")
    thread.start()
    assert running.started.wait(20), "the ingest did not finish its start-up replay"
    yield running
    running.stop.set()
    thread.join(10)
    running.applier.engine.dispose()


def test_an_alert_published_on_redis_is_pushed_and_snapshotted_masked(
        settings: Settings, engine: Engine, rclient: redis.Redis, county: County, ingest: Ingest,
        wait_for: Any) -> None:
    town = county.townships()[0]
    pub = Publisher(rclient, prefix=settings.feed_prefix, source="mask-test")
    pub.publish("case.registered", {"case_no": "R-1", "title": "劳资纠纷", "category": "0701",
                                    "source_channel": "grid", "township": town.code, "lat": town.lat,
                                    "lon": town.lon, "parties": PARTIES})
    pub.publish("alert.raised", {"alert_id": "RA-1", "level": "group", "title": TITLE, "township": town.code,
                                 "case_no": "R-1"})
    log = DeltaLog(rclient, settings.feed_prefix)

    def pushed() -> list[dict[str, Any]]:  # the deltas as the walls were sent them (logged just before)
        deltas = log.after(0, store_seq=0, max_bytes=10**7).deltas
        return [a for d in deltas for a in d["alerts"]["raised"]]

    alerts = wait_for(pushed, timeout=15)
    assert [(a["alert_id"], a["title"]) for a in alerts] == [("RA-1", MASKED)]
    assert [a["title"] for a in snapshot(engine, datetime.now().astimezone())["alerts"]] == [MASKED]
    assert stored_titles(engine) == {"RA-1": TITLE}
