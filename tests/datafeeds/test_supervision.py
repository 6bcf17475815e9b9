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
    assert applier.due_cards(NOW + timedelta(minutes=59)) == []
    clock.at = NOW + timedelta(hours=1, minutes=1)
    cards = applier.due_cards()
    assert len(cards) == 1  # not signed for in time: yellow
    delta = applier.apply(cards)
    assert delta is not None and delta["counters"]["yellow"] == 1
    assert _supervision(engine) == "yellow"
    assert _auto_events(engine) == [("自动督办：超过签收时限", "yellow")]
    assert applier.due_cards() == []  # raised once

    applier.apply([_event("case.signed", 3, clock.at, department="rsj")])
    # the resolve deadline passes: already yellow, nothing to raise
    clock.at = NOW + timedelta(hours=2, minutes=1)
    assert applier.due_cards() == []
    # functional departments: red at twice the allowed resolve time (DOMAIN.md: 5 / 10 working days)
    clock.at = NOW + timedelta(hours=3, minutes=59)
    assert applier.due_cards() == []
    clock.at = NOW + timedelta(hours=4, minutes=1)
    applier.apply(applier.due_cards())
    assert _supervision(engine) == "red"
    assert applier.counters()["red"] == 1 and applier.counters()["yellow"] == 0
    assert _auto_events(engine)[-1] == ("自动督办：超过办结红牌时限", "red")

    restarted = Applier(engine, clock=Clock(NOW + timedelta(days=3)))
    assert restarted.due_cards() == []  # a restarted ingest raises nothing twice


def test_a_card_comes_from_the_clock_alone_after_a_restart(engine: Engine) -> None:
    applier = Applier(engine, clock=Clock(NOW))
    applier.apply([_register(1, NOW), _event("case.assigned", 2, NOW, department="rsj",
                                             sign_due=(NOW + timedelta(hours=1)).isoformat(),
                                             resolve_due=(NOW + timedelta(hours=2)).isoformat()),
                   _event("case.signed", 3, NOW, department="rsj")])
    # The ingest was down while the deadline passed: the restarted one raises the card at once, dated
    # when the threshold passed.
    later = Applier(engine, clock=Clock(NOW + timedelta(hours=2, minutes=30)))
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
    clock.at = NOW + timedelta(hours=5)
    assert applier.due_cards() == []  # the old deadline's cards are dropped
    clock.at = NOW + timedelta(days=6, minutes=1)
    cards = applier.due_cards()  # the new deadline's card comes instead
    assert [json.loads(c.data)["id"] for c in cards] == ["auto-S-1-1-resolve-yellow"]


def test_a_lowered_card_stays_lowered_and_cards_can_be_off(engine: Engine) -> None:
    clock = Clock(NOW)
    applier = Applier(engine, clock=clock)
    applier.apply([_register(1, NOW), _event("case.assigned", 2, NOW, department="rsj",
                                             sign_due=(NOW + timedelta(hours=1)).isoformat(),
                                             resolve_due=(NOW + timedelta(hours=2)).isoformat())])
    clock.at = NOW + timedelta(hours=1, minutes=1)
    applier.apply(applier.due_cards())
    applier.apply([_event("case.supervised", 5, clock.at, level="none", note="领导批示：暂缓督办")])
    clock.at = NOW + timedelta(hours=1, minutes=30)
    assert applier.due_cards() == []  # the yellow threshold passed already: a person's decision stands
    off = Applier(engine, clock=Clock(NOW + timedelta(days=5)), auto_cards=False)
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
