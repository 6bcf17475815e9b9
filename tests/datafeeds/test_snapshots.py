"""Freezing the wall: the stored figures are the ones the seed makes, the pins are masked, and a period finds
exactly the snapshots taken in it.

Cases go in through the ingest's Applier, as in production; each expected figure is counted here from the
seed list, not read from the code under test.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from datafeeds import snapshots
from datafeeds.apply import Applier, RawMessage
from datafeeds.models import DeadLetter, WallSnapshot

NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")
PEOPLE = (("欧阳娜娜", "13812345678", "欧阳**", "138****5678"), ("李晓明", "13698765432", "李*明", "136****5432"),
          ("王建国", "13712340000", "王*国", "137****0000"))


def _seed(county: Any) -> list[dict[str, Any]]:
    town = county.townships()[0]
    village = county.villages(town.code)[0]
    department = county.departments[0].code
    cases = []
    for n in range(12):
        # six registered today, four earlier this month, two last month
        at = NOW - (timedelta(hours=n + 1) if n < 6 else timedelta(days=n) if n < 10 else timedelta(days=40 + n))
        name, phone, masked_name, masked_phone = PEOPLE[n % 3]
        assigned = n % 2 == 1
        resolved_at = {5: NOW - timedelta(minutes=30), 7: at + timedelta(days=1), 11: NOW - timedelta(minutes=20)}
        cases.append({
            "case_no": f"S-{n:02d}", "at": at, "township": town.code, "village": village.code,
            "village_centroid": (round(village.lat, 5), round(village.lon, 5)),
            "lat": village.lat + 0.01 * (n + 1), "lon": village.lon + 0.01,
            "category": "0102" if n % 4 == 0 else "0402",
            "title": f"{name}反映物业问题，电话{phone}",
            "parties": [{"role": "applicant", "name": name, "phone": phone}],
            "masked_title": f"{masked_name}反映物业问题，电话{masked_phone}", "secrets": (name, phone),
            "department": department if assigned else None,
            "due": (NOW - timedelta(hours=1) if n % 3 == 0 else NOW + timedelta(days=20)) if assigned else None,
            "resolved_at": resolved_at.get(n), "outcome": "failed" if n == 7 else "success",
            "card": {1: "yellow", 3: "red"}.get(n), "major": n == 2,
        })
    return cases


def _messages(cases: list[dict[str, Any]]) -> list[RawMessage]:
    out: list[dict[str, Any]] = []

    def add(type_: str, at: datetime, data: dict[str, Any]) -> None:
        out.append({"v": 1, "id": f"m-{len(out) + 1}", "source": "snap-test", "seq": len(out) + 1, "type": type_,
                    "at": at.isoformat(), "data": data})

    for c in sorted(cases, key=lambda c: c["at"]):
        add("case.registered", c["at"], {
            "case_no": c["case_no"], "title": c["title"], "category": c["category"], "source_channel": "walk_in",
            "township": c["township"], "village": c["village"], "lat": c["lat"], "lon": c["lon"],
            "parties": c["parties"], **({"scale": "02"} if c["major"] else {})})
    for c in cases:
        if c["department"]:
            add("case.assigned", c["at"] + timedelta(minutes=5), {
                "case_no": c["case_no"], "department": c["department"], "resolve_due": c["due"].isoformat(),
                "sign_due": (c["at"] + timedelta(days=1)).isoformat()})
        if c["card"]:
            add("case.supervised", c["at"] + timedelta(minutes=10), {"case_no": c["case_no"], "level": c["card"]})
        if c["resolved_at"]:
            add("case.signed", c["at"] + timedelta(minutes=15), {"case_no": c["case_no"],
                                                                 "department": c["department"]})
            add("case.resolved", c["resolved_at"], {"case_no": c["case_no"], "department": c["department"],
                                                    "outcome": c["outcome"]})
    return [RawMessage("t:feed:cases", json.dumps(m, ensure_ascii=False).encode()) for m in out]


@pytest.fixture
def seeded(engine: Engine, county: Any) -> tuple[list[dict[str, Any]], int]:
    cases = _seed(county)
    messages = _messages(cases)
    Applier(engine, clock=lambda: NOW).apply(messages)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeadLetter)).scalar() == 0  # every seed event landed
    return cases, len(messages)


def _day(at: datetime) -> date:
    return at.date()  # NOW and every seed time are in +08:00, the wall's zone


def test_the_frozen_figures_are_the_seeds(engine: Engine, seeded: tuple[list[dict[str, Any]], int]) -> None:
    cases, events = seeded
    snapshot_id = snapshots.freeze(engine, NOW, "li.officer", "  周例会   用 ")
    snap = snapshots.get(engine, snapshot_id)
    assert snap is not None
    assert (snap.taken_at, snap.taken_by, snap.note, snap.seq) == (NOW, "li.officer", "周例会 用", events)

    today, month = _day(NOW), _day(NOW).replace(day=1)
    open_cases = [c for c in cases if not c["resolved_at"]]
    resolved_month = [c for c in cases if c["resolved_at"] and _day(c["resolved_at"]) >= month]
    registered_month = [c for c in cases if _day(c["at"]) >= month]
    f = snap.figures
    assert f["day"] == today.isoformat()
    assert f["today_registered"] == sum(_day(c["at"]) == today for c in cases) == 6
    assert f["open"] == len(open_cases) == 9
    assert f["today_resolved"] == sum(bool(c["resolved_at"]) and _day(c["resolved_at"]) == today for c in cases)
    assert f["overdue"] == sum(c["due"] is not None and c["due"] <= NOW for c in open_cases) == 2
    assert f["yellow"] == sum(c["card"] == "yellow" for c in open_cases)
    assert f["red"] == sum(c["card"] == "red" for c in open_cases)
    assert f["major"] == sum(c["major"] for c in open_cases) == 1
    assert f["month_resolution_rate"] == round(len(resolved_month) / len(registered_month), 4)
    assert f["success_rate"] == round(sum(c["outcome"] == "success" for c in resolved_month) / len(resolved_month), 4)
    assert f["satisfaction_rate"] is None  # no follow-up visit in the seed

    # The leagues as the wall had them: one township, one department.
    leagues = snap.panels["leagues"]
    assert [t["township"] for t in leagues["townships"]] == [cases[0]["township"]]
    assert leagues["townships"][0]["registered"] == len(registered_month)
    assert [d["department"] for d in leagues["departments"]] == [next(c["department"] for c in cases
                                                                     if c["department"])]


def test_the_frozen_pins_are_masked_and_placed_as_on_the_wall(engine: Engine,
                                                             seeded: tuple[list[dict[str, Any]], int]) -> None:
    cases, _ = seeded
    snap = snapshots.get(engine, snapshots.freeze(engine, NOW, "li.officer"))
    assert snap is not None
    pins = {p["case_no"]: p for p in snap.pins}
    assert set(pins) == {c["case_no"] for c in cases if not c["resolved_at"]}
    for c in cases:
        if c["resolved_at"]:
            continue
        pin = pins[c["case_no"]]
        assert pin["title"] == c["masked_title"]
        # 婚恋家庭 (01) sits at its village's centroid, as the wall pins it
        where = c["village_centroid"] if c["category"].startswith("01") else (round(c["lat"], 5), round(c["lon"], 5))
        assert (pin["lat"], pin["lon"]) == where
        assert (pin["category"], pin["township"]) == (c["category"], c["township"])
    assert pins["S-02"]["risk"] == "major" and pins["S-03"]["risk"] == "overdue" and pins["S-01"]["risk"] == "warning"
    assert set(pins["S-00"]) == {"case_no", "title", "lat", "lon", "state", "risk", "category", "township"}
    with engine.connect() as conn:
        stored = json.dumps(conn.execute(select(WallSnapshot.pins, WallSnapshot.panels)).one()._asdict(),
                            ensure_ascii=False)
    for c in cases:
        for secret in c["secrets"]:
            assert secret not in stored, secret


def test_between_finds_a_period_half_open_newest_first(engine: Engine, seeded: Any) -> None:
    ids = [snapshots.freeze(engine, NOW + timedelta(hours=h), "li.officer", f"第{h}次") for h in range(3)]
    found = snapshots.between(engine, NOW, NOW + timedelta(hours=2))
    assert [s.id for s in found] == [ids[1], ids[0]]  # the start is in, the end is out
    assert [s.note for s in found] == ["第1次", "第0次"] and all(s.pins for s in found)
    assert [s.id for s in snapshots.between(engine, NOW + timedelta(minutes=1), NOW + timedelta(hours=9))] == [
        ids[2], ids[1]]
    assert snapshots.between(engine, NOW - timedelta(days=1), NOW) == []
    listed = snapshots.recent(engine, 2)
    assert [s.id for s in listed] == [ids[2], ids[1]] and all(s.pins == [] for s in listed)
    assert snapshots.get(engine, max(ids) + 1) is None
