"""督办 cards rise by the clock: yellow at a deadline, red past its red threshold, once, through the store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from datafeeds.apply import Applier, RawMessage
from datafeeds.contractdocs import example_events
from datafeeds.deadlines import DeadlinePolicy
from datafeeds.models import Case, CaseEvent
from datafeeds.supervision import AUTO_SOURCE

NOW = datetime.fromisoformat("2026-11-26T09:00:00+08:00")  # a Thursday, a working day
README = Path(__file__).resolve().parents[2] / "README.md"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _raw(message: dict) -> RawMessage:
    return RawMessage("t:feed:cases", json.dumps(message, ensure_ascii=False).encode())


def _event(type_: str, n: int, at: datetime, **data: object) -> RawMessage:
    return _raw({"v": 1, "id": f"{type_}-{n}", "source": "t", "seq": n, "type": type_, "at": at.isoformat(),
                 "data": {"case_no": "S-1", **data}})


def _register(n: int, at: datetime) -> RawMessage:
    message = example_events(source="t")[0]
    message.update(id=f"reg-{n}", seq=n, at=at.isoformat())
    message["data"].update(case_no="S-1", group=False, scale="01", grade="04", category="02")
    return _raw(message)


def _tick(applier: Applier, clock: Clock, at: datetime) -> None:
    """Move the clock on, with the heartbeat a live publisher sends: the feeds' watermark follows."""
    clock.at = at
    applier.apply([RawMessage("t:feed:heartbeat", json.dumps(
        {"v": 1, "id": f"beat-{at.timestamp()}", "source": "t", "seq": 0, "type": "heartbeat", "at": at.isoformat(),
         "data": {"interval_s": 10}}).encode())])


def _supervision(engine: Engine) -> str:
    with Session(engine) as conn:
        return conn.execute(select(Case.supervision).where(Case.case_no == "S-1")).scalar_one()


def _auto_events(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as conn:
        return [(e.note, json.loads(e.data)["level"]) for e in conn.execute(
            select(CaseEvent).where(CaseEvent.source == AUTO_SOURCE).order_by(CaseEvent.seq)).scalars()]


def test_cards_rise_with_the_clock_once(engine: Engine) -> None:
    clock = Clock(NOW)
    applier = Applier(engine, clock=clock)
    applier.apply([_register(1, NOW), _event("case.assigned", 2, NOW, department="rsj",
                                             sign_due=(NOW + timedelta(hours=1)).isoformat(),
                                             resolve_due=(NOW + timedelta(hours=2)).isoformat())])
    _tick(applier, clock, NOW + timedelta(minutes=59))
    assert applier.due_cards() == []
    clock.at = NOW + timedelta(hours=1, minutes=1)
    assert applier.due_cards() == []  # past the deadline by the wall clock, but no feed has said so yet
    _tick(applier, clock, clock.at)
    cards = applier.due_cards()
    assert len(cards) == 1  # not signed for in time: yellow
    delta = applier.apply(cards)
    assert delta is not None and delta["counters"]["yellow"] == 1
    assert _supervision(engine) == "yellow"
    assert _auto_events(engine) == [("自动督办：超过签收时限", "yellow")]
    assert applier.due_cards() == []  # raised once

    applier.apply([_event("case.signed", 3, clock.at, department="rsj")])
    # the resolve deadline passes: already yellow, nothing to raise
    _tick(applier, clock, NOW + timedelta(hours=2, minutes=1))
    assert applier.due_cards() == []
    # functional departments: red at twice the allowed resolve time (DOMAIN.md: 5 / 10 working days)
    _tick(applier, clock, NOW + timedelta(hours=3, minutes=59))
    assert applier.due_cards() == []
    _tick(applier, clock, NOW + timedelta(hours=4, minutes=1))
    applier.apply(applier.due_cards())
    assert _supervision(engine) == "red"
    assert applier.counters()["red"] == 1 and applier.counters()["yellow"] == 0
    assert _auto_events(engine)[-1] == ("自动督办：超过办结红牌时限", "red")

    later = Clock(NOW + timedelta(days=3))
    restarted = Applier(engine, clock=later)
    _tick(restarted, later, later.at)
    assert restarted.due_cards() == []  # a restarted ingest raises nothing twice


def test_a_card_comes_from_the_clock_alone_after_a_restart(engine: Engine) -> None:
    applier = Applier(engine, clock=Clock(NOW))
    applier.apply([_register(1, NOW), _event("case.assigned", 2, NOW, department="rsj",
                                             sign_due=(NOW + timedelta(hours=1)).isoformat(),
                                             resolve_due=(NOW + timedelta(hours=2)).isoformat()),
                   _event("case.signed", 3, NOW, department="rsj")])
    # The ingest was down while the deadline passed: the restarted one raises the card at once, dated
    # when the threshold passed.
    clock = Clock(NOW + timedelta(hours=2, minutes=30))
    later = Applier(engine, clock=clock)
    _tick(later, clock, clock.at)
    cards = later.due_cards()
    assert [datetime.fromisoformat(json.loads(c.data)["at"]) for c in cards] == [NOW + timedelta(hours=2)]
    later.apply(cards)
    assert _supervision(engine) == "yellow"


def test_a_granted_extension_moves_the_card(engine: Engine) -> None:
    clock = Clock(NOW)
    applier = Applier(engine, clock=clock)
    applier.apply([_register(1, NOW), _event("case.assigned", 2, NOW, department="rsj",
                                             resolve_due=(NOW + timedelta(hours=2)).isoformat(),
                                             sign_due=(NOW + timedelta(hours=1)).isoformat()),
                   _event("case.signed", 3, NOW, department="rsj")])
    clock.at = NOW + timedelta(minutes=30)
    delta = applier.apply([_event("case.extension", 4, clock.at, department="rsj", status="granted",
                                  resolve_due=(NOW + timedelta(days=6)).isoformat())])
    assert delta is not None  # accepted
    _tick(applier, clock, NOW + timedelta(hours=5))
    assert applier.due_cards() == []  # the old deadline's cards are dropped
    _tick(applier, clock, NOW + timedelta(days=6, minutes=1))
    cards = applier.due_cards()  # the new deadline's card comes instead
    assert [json.loads(c.data)["id"] for c in cards] == ["auto-S-1-1-resolve-yellow"]


def test_a_lowered_card_stays_lowered_and_cards_can_be_off(engine: Engine) -> None:
    clock = Clock(NOW)
    applier = Applier(engine, clock=clock)
    applier.apply([_register(1, NOW), _event("case.assigned", 2, NOW, department="rsj",
                                             sign_due=(NOW + timedelta(hours=1)).isoformat(),
                                             resolve_due=(NOW + timedelta(hours=2)).isoformat())])
    _tick(applier, clock, NOW + timedelta(hours=1, minutes=1))
    applier.apply(applier.due_cards())
    assert _supervision(engine) == "yellow"
    applier.apply([_event("case.supervised", 5, clock.at, level="none", note="领导批示：暂缓督办")])
    _tick(applier, clock, NOW + timedelta(hours=1, minutes=30))
    assert applier.due_cards() == []  # the yellow threshold passed already: a person's decision stands
    late = Clock(NOW + timedelta(days=5))
    off = Applier(engine, clock=late, auto_cards=False)
    _tick(off, late, late.at)
    assert off.due_cards() == []


def test_the_readme_deadline_policy_loads_and_applies() -> None:
    import re
    import tomllib

    text = README.read_text(encoding="utf-8")
    block = re.search(r"```toml\n(# deadlines\.toml.*?)```", text, re.S)
    assert block, "the README shows an example deadline policy"
    policy = DeadlinePolicy.from_config(tomllib.loads(block.group(1)))
    assert policy.limits("township").resolve_days == 1
    assert policy.limits("functional", "0701").resolve_days == 3  # 劳动人事 subtype
    assert policy.limits("functional", "07").resolve_days == 4
    assert policy.limits("functional", "02", tier="04").sign_days == 0.5
    with pytest.raises(ValueError, match="unknown deadline"):
        DeadlinePolicy.from_config({"kinds": {"township": {"resolve_day": 2}}})


def test_thresholds_follow_the_policy_on_the_working_calendar() -> None:
    from datafeeds.clock import SHANGHAI
    from datafeeds.deadlines import add_working_days
    from datafeeds.supervision import Threshold, thresholds
    from datafeeds.wallstate import LiveCase

    at = datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)  # a Monday
    case = LiveCase(id=1, case_no="X", state="assigned", category="02", grade="04", scale="01", is_group=False,
                    urgent=False, township="t", village=None, lat=0.0, lon=0.0, registered_at=at, department="rsj",
                    assigned_at=at, sign_due=add_working_days(at, 1), resolve_due=add_working_days(at, 5),
                    assignment_id=1)
    policy = DeadlinePolicy()
    # functional departments: sign 1 (red 2), resolve 5 (red 10) working days
    day = lambda d: datetime(2026, 11, d, 9, tzinfo=SHANGHAI)  # noqa: E731
    assert thresholds(case, policy, "functional") == [
        Threshold(day(3), "yellow", "sign"), Threshold(day(4), "red", "sign"),
        Threshold(day(9), "yellow", "resolve"), Threshold(day(16), "red", "resolve")]
    case.signed_at = day(2)
    assert [t.clock for t in thresholds(case, policy, "functional")] == ["resolve", "resolve"]
    # township bodies: resolve red at twice the allowed time (2 → 4 working days)
    township = thresholds(case, policy, "township")
    assert township[-1] == Threshold(add_working_days(at, 10), "red", "resolve")  # feed's 5 days × (4 / 2)
