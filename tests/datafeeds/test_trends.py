"""The wall's left column (分时, 近30日, 类别构成, 来源渠道) against a real database, by its 口径."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from datafeeds.apply import Applier, RawMessage
from datafeeds.contractdocs import example_events
from datafeeds.queries import snapshot
from datafeeds.trends import DAYS, trends

NOW = datetime.fromisoformat("2026-11-26T14:30:00+08:00")


def _raw(message: dict) -> RawMessage:
    return RawMessage("t:feed:cases", json.dumps(message, ensure_ascii=False).encode())


def _registered(n: int, at: datetime, **data: object) -> RawMessage:
    message = example_events(source="t")[0]
    message.update(id=f"reg-{n}", seq=n, at=at.isoformat())
    message["data"].update(case_no=f"T-{n}", **data)
    return _raw(message)


def _resolved(n: int, case: int, at: datetime, outcome: str) -> list[RawMessage]:
    steps = [("case.assigned", {"department": "rsj"}), ("case.signed", {"department": "rsj"}),
             ("case.resolved", {"department": "rsj", "outcome": outcome})]
    return [_raw({"v": 1, "id": f"{type_}-{case}", "source": "t", "seq": n + i, "type": type_,
                  "at": (at - timedelta(minutes=3 - i)).isoformat(), "data": {"case_no": f"T-{case}", **data}})
            for i, (type_, data) in enumerate(steps)]


def test_trends_follow_their_definitions(engine: Engine) -> None:
    applier = Applier(engine, clock=lambda: NOW)
    today_9 = NOW.replace(hour=9, minute=5)
    yesterday_9 = today_9 - timedelta(days=1)
    batch = [
        _registered(1, today_9, category="0701", source_channel="grid"),
        _registered(2, today_9 + timedelta(minutes=50), category="0702", source_channel="grid"),
        # 00:10 Beijing time is the day before in UTC: the bucket must follow local time.
        _registered(3, NOW.replace(hour=0, minute=10), category="02", source_channel="hotline_12345"),
        _registered(4, yesterday_9, category="0701", source_channel="walk_in"),
        _registered(5, yesterday_9.replace(hour=23, minute=59), category="0701", source_channel="grid"),
        _registered(6, NOW - timedelta(days=3), category="02", source_channel="grid"),
        *_resolved(10, 1, NOW - timedelta(minutes=20), "success"),
        *_resolved(20, 2, NOW - timedelta(minutes=10), "failed"),
        *_resolved(30, 4, NOW - timedelta(minutes=5), "success"),
    ]
    applier.apply(batch)
    with Session(engine) as conn:
        tr = trends(conn, NOW)
    hours = tr["hours"]
    assert hours["today"][9] == 2 and hours["today"][0] == 1 and sum(hours["today"]) == 3
    assert hours["yesterday"][9] == 1 and hours["yesterday"][23] == 1 and sum(hours["yesterday"]) == 2
    days = tr["days"]
    assert len(days["days"]) == DAYS and days["days"][-1] == "2026-11-26" and days["days"][0] == "2026-10-28"
    assert days["registered"][-1] == 3 and days["registered"][-2] == 2 and days["registered"][-4] == 1
    assert days["resolved"][-1] == 3 and sum(days["resolved"]) == 3
    # 07 (劳动人事): 4 registered this month, 3 resolved, 2 successfully; 02 (邻里): 2 registered, none resolved
    cats = {c["category"]: c for c in tr["categories"]}
    assert [c["category"] for c in tr["categories"]] == ["07", "02"]
    assert cats["07"]["registered"] == 4 and cats["07"]["success_rate"] == round(2 / 3, 4)
    assert cats["02"]["registered"] == 2 and cats["02"]["success_rate"] is None
    assert tr["sources"] == [{"channel": "grid", "registered": 4}, {"channel": "hotline_12345", "registered": 1},
                             {"channel": "walk_in", "registered": 1}]
    assert snapshot(engine, NOW)["trends"] == tr


def test_trends_at_a_month_start_count_only_the_new_month(engine: Engine) -> None:
    first = datetime.fromisoformat("2026-12-01T08:00:00+08:00")
    applier = Applier(engine, clock=lambda: first)
    applier.apply([_registered(1, first - timedelta(hours=9), source_channel="grid"),  # 11-30 23:00 local
                   _registered(2, first - timedelta(hours=1), source_channel="court")])
    with Session(engine) as conn:
        tr = trends(conn, first)
    assert tr["sources"] == [{"channel": "court", "registered": 1}]
    assert tr["hours"]["yesterday"][23] == 1 and tr["hours"]["today"][7] == 1
