"""One case as the desk reads it, against a real store: related cases (address, village and category within
the window, same party by ID number or phone), the party keys behind them, the clocks and the timeline.

Cases go in through the ingest's Applier, as in production; what should be related is written here case by
case, not worked out by the code under test.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, select

from datafeeds.apply import Applier, RawMessage
from datafeeds.casefile import case_file, clock, related_cases
from datafeeds.county import load_county
from datafeeds.db import alembic_config, make_engine, make_sessionmaker, migrate
from datafeeds.models import Case, CasePartyKey, DeadLetter
from datafeeds.partykeys import key, normalise_id, normalise_phone, party_keys

NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")
T0 = NOW - timedelta(days=40)
WINDOW = timedelta(days=30)
ADDRESS = "城关镇东门村3组17号"
PHONE = "13812345678"
ID_NUMBER = "11010119900307123X"
ZHANG = {"role": "applicant", "name": "张伟明", "phone": PHONE, "id_number": ID_NUMBER}
LI = {"role": "respondent", "name": "李娜", "phone": "139-8765-4321"}


def _messages(cases: list[dict[str, Any]], county: Any) -> list[RawMessage]:
    town = county.townships()[0]
    villages = county.villages(town.code)
    out = []
    for n, c in enumerate(sorted(cases, key=lambda c: c["at"]), start=1):
        village = villages[c.get("village", 0)]
        out.append({"v": 1, "id": f"reg-{c['case_no']}", "source": "casefile-test", "seq": n,
                    "type": "case.registered", "at": c["at"].isoformat(), "data": {
                        "case_no": c["case_no"], "title": c.get("title", "邻里纠纷"), "category": c["category"],
                        "source_channel": "walk_in", "township": town.code, "village": village.code,
                        "address": c.get("address", f"{town.name}{village.name}{c['case_no']}号"),
                        "lat": village.lat, "lon": village.lon, "parties": c.get("parties", [])}})
    return [RawMessage("t:feed:cases", json.dumps(m, ensure_ascii=False).encode()) for m in out]


def _apply(engine: Engine, cases: list[dict[str, Any]], county: Any) -> None:
    Applier(engine, clock=lambda: NOW).apply(_messages(cases, county))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeadLetter)).scalar() == 0


ANCHOR = {"case_no": "A-0", "at": T0, "category": "0902", "address": ADDRESS, "parties": [ZHANG, LI],
          "title": "张伟明与李娜宅基地纠纷"}
CASES = [
    ANCHOR,
    # related, and why
    {"case_no": "R-address", "at": T0 - timedelta(days=200), "category": "0701", "address": ADDRESS, "village": 1},
    {"case_no": "R-window-before", "at": T0 - WINDOW, "category": "0902"},
    {"case_no": "R-window-after", "at": T0 + WINDOW, "category": "0902"},
    {"case_no": "R-id", "at": T0 - timedelta(days=300), "category": "0701", "village": 1,
     "parties": [{"name": "张先生", "id_number": "110101 19900307 123x"}]},
    {"case_no": "R-phone", "at": T0 + timedelta(days=5), "category": "0402", "village": 1,
     "title": "张伟明再次反映物业问题（电话13812345678）",
     "parties": [{"name": "王芳", "phone": "+86 138-1234-5678"}]},
    {"case_no": "R-all", "at": T0 + timedelta(days=1), "category": "0902", "address": ADDRESS,
     "parties": [{"name": "李娜", "phone": "13987654321"}]},
    # not related
    {"case_no": "N-before", "at": T0 - WINDOW - timedelta(seconds=1), "category": "0902"},
    {"case_no": "N-after", "at": T0 + WINDOW + timedelta(seconds=1), "category": "0902"},
    {"case_no": "N-category", "at": T0 + timedelta(days=1), "category": "0901"},
    {"case_no": "N-village", "at": T0 + timedelta(days=1), "category": "0902", "village": 1},
    {"case_no": "N-masked", "at": T0 + timedelta(days=2), "category": "0701", "village": 1,
     "parties": [{"name": "张*明", "phone": "138****5678", "id_number": "1101**********123X"}]},
    {"case_no": "N-other", "at": T0 + timedelta(days=3), "category": "0701", "village": 1,
     "address": "城关镇东门村3组18号", "parties": [{"name": "赵六", "phone": "13700000000"}]},
]


@pytest.fixture
def seeded(engine: Engine, county: Any) -> Engine:
    _apply(engine, CASES, county)
    return engine


def test_related_cases_by_address_window_and_party(seeded: Engine) -> None:
    found = related_cases(seeded, "A-0")
    assert {r["case_no"]: r["reasons"] for r in found} == {
        "R-address": ["address"],
        "R-window-before": ["village"],
        "R-window-after": ["village"],
        "R-id": ["party"],
        "R-phone": ["party"],
        "R-all": ["address", "village", "party"],
    }
    assert [r["case_no"] for r in found] == sorted((r["case_no"] for r in found),
                                                   key=lambda n: next(c["at"] for c in CASES if c["case_no"] == n),
                                                   reverse=True)  # newest first
    # Titles can name the parties of either case: masked, whoever's names they are.
    phone = next(r for r in found if r["case_no"] == "R-phone")
    assert phone["title"] == "张*明再次反映物业问题（电话138****5678）"
    assert related_cases(seeded, "NO-SUCH-CASE") == []


def test_related_cases_work_both_ways_and_are_capped(seeded: Engine) -> None:
    assert {r["case_no"]: r["reasons"] for r in related_cases(seeded, "R-id")} == {"A-0": ["party"]}
    assert {r["case_no"]: r["reasons"] for r in related_cases(seeded, "R-window-after")} == {
        "A-0": ["village"], "R-all": ["village"], "N-after": ["village"]}
    # At most `limit` cases per relation, the newest: R-all is the newest at the address, R-window-after in the
    # village window, R-phone among the same party's.
    capped = related_cases(seeded, "A-0", limit=1)
    assert {r["case_no"] for r in capped} == {"R-all", "R-window-after", "R-phone"}


def test_the_ingest_keys_parties_without_their_numbers(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(select(Case.case_no, CasePartyKey.kind, CasePartyKey.key)
                            .join(Case, Case.id == CasePartyKey.case_id)).all()
    by_case: dict[str, set[tuple[str, str]]] = {}
    for case_no, kind, k in rows:
        by_case.setdefault(case_no, set()).add((kind, k))
    assert by_case["A-0"] == {("id", key("id", ID_NUMBER)), ("phone", key("phone", PHONE)),
                              ("phone", key("phone", "13987654321"))}
    assert "N-masked" not in by_case and "R-address" not in by_case  # masked numbers, no numbers: no keys
    assert all(len(k) == 64 and int(k, 16) >= 0 for _, _, k in rows)
    assert not any(PHONE in k or ID_NUMBER in k for _, _, k in rows)


def test_numbers_are_normalised_and_masked_ones_ignored() -> None:
    assert normalise_phone("+86 138-1234-5678") == normalise_phone("0086 13812345678") == PHONE
    assert normalise_phone("１３８１２３４５６７８") == PHONE  # full-width digits, from an IME
    assert normalise_phone("0731-8888 6666") == "073188886666"
    assert normalise_phone("138****5678") is None and normalise_phone("12345") is None
    assert normalise_id(" 110101 19900307 123x ") == ID_NUMBER
    assert normalise_id("1101**********123X") is None
    # The same number given twice in one case is one key; an ID number never meets the same digits as a phone.
    assert len(party_keys([{"phone": PHONE}, {"phone": "138 1234 5678"}, {"id_number": PHONE}])) == 2


def test_the_migration_keys_parties_already_stored(db_url: str, county: Any) -> None:
    engine = make_engine(db_url)
    try:
        cfg = alembic_config(db_url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008")
        with make_sessionmaker(engine)() as session:
            load_county(session, county)
            session.commit()
        town = county.townships()[0]
        row = {"title": "t", "description": "", "category": "0902", "scale": "01", "grade": "04", "urgent": False,
               "is_group": False, "long_standing": False, "people_involved": 1, "amount_involved": None,
               "source_channel": "walk_in", "township_code": town.code, "village_code": None, "grid": None,
               "address": "", "lat": town.lat, "lon": town.lon, "outside_county": False, "state": "registered",
               "is_open": True, "department_code": None, "supervision": "none", "escalated": False, "returns": 0,
               "registered_at": NOW, "updated_at": NOW, "last_seq": 1}
        with engine.begin() as conn:
            conn.execute(insert(Case.__table__), [
                {**row, "case_no": "OLD-1", "parties": [ZHANG]},
                {**row, "case_no": "OLD-2", "parties": [{"name": "x", "phone": "138-1234-5678"}]},
                {**row, "case_no": "OLD-3", "parties": []}])
        migrate(engine)
        assert {r["case_no"]: r["reasons"] for r in related_cases(engine, "OLD-1")} == {"OLD-2": ["party"]}
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(CasePartyKey)).scalar() == 3
    finally:
        engine.dispose()


def _event(n: int, type_: str, at: datetime, **data: Any) -> RawMessage:
    return RawMessage("t:feed:cases", json.dumps({
        "v": 1, "id": f"ev-{n}", "source": "casefile-clock", "seq": n, "type": type_, "at": at.isoformat(),
        "data": {"case_no": "C-1", **data}}, ensure_ascii=False).encode())


def test_the_case_file_times_each_step_and_clock(engine: Engine, county: Any) -> None:
    first, second = county.departments[0].code, county.departments[1].code
    t = NOW - timedelta(days=10)
    _apply(engine, [{"case_no": "C-1", "at": t, "category": "0402"}], county)
    Applier(engine, clock=lambda: NOW).apply([
        _event(1, "case.assigned", t + timedelta(hours=1), department=first,
               sign_due=(t + timedelta(days=1)).isoformat(), resolve_due=(t + timedelta(days=5)).isoformat()),
        _event(2, "case.signed", t + timedelta(days=1, hours=2), department=first),
        _event(3, "case.returned", t + timedelta(days=2), department=first, note="不属本部门职责"),
        _event(4, "case.assigned", t + timedelta(days=2, hours=3), department=second,
               sign_due=(t + timedelta(days=3)).isoformat(), resolve_due=(t + timedelta(days=12)).isoformat()),
        _event(5, "case.signed", t + timedelta(days=2, hours=4), department=second),
    ])

    now = t + timedelta(days=11)  # one day before the second department's deadline
    found = case_file(engine, "C-1", now)
    assert found is not None
    assert [(e["type"], e["from"], e["to"]) for e in found["events"]] == [
        ("case.registered", None, "registered"), ("case.assigned", "registered", "assigned"),
        ("case.signed", "assigned", "signed"), ("case.returned", "signed", "returned"),
        ("case.assigned", "returned", "assigned"), ("case.signed", "assigned", "signed")]
    assert [e["since_prev"] for e in found["events"]] == [None, 3600, 25 * 3600, 22 * 3600, 3 * 3600, 3600]
    assert [e["in_state"] for e in found["events"]] == [None] * 5 + [(8 * 24 + 20) * 3600]
    assert found["events"][3]["note"] == "不属本部门职责" and found["events"][3]["department"] == first
    assert found["deadline"] == {"kind": "left", "due": t + timedelta(days=12), "at": None, "seconds": 86400}
    assert [(a["department"], a["status"], a["sign"]["kind"], a["sign"]["seconds"], a["resolve"]["kind"])
            for a in found["assignments"]] == [
        (first, "returned", "late", 2 * 3600, "stopped"),
        (second, "signed", "on_time", 20 * 3600, "left")]
    assert found["risk"] == "warning"  # past 70 % of the allowed time: 临期

    later = case_file(engine, "C-1", t + timedelta(days=12))  # the deadline itself: overdue, as the wall counts
    assert later is not None and later["risk"] == "overdue"
    assert later["deadline"]["kind"] == "overdue" and later["assignments"][1]["resolve"]["kind"] == "overdue"
    assert case_file(engine, "NO-SUCH-CASE", now) is None


def test_a_sensitive_case_is_pinned_at_its_village(engine: Engine, county: Any) -> None:
    town = county.townships()[0]
    village = county.villages(town.code)[0]
    _apply(engine, [{"case_no": "S-1", "at": NOW - timedelta(hours=1), "category": "0102"}], county)
    with engine.begin() as conn:  # as if registered at the house itself
        conn.execute(Case.__table__.update().values(lat=village.lat + 0.001, lon=village.lon + 0.001))
    found = case_file(engine, "S-1", NOW)
    assert found is not None
    assert (found["pin"]["lat"], found["pin"]["lon"]) == (round(village.lat, 5), round(village.lon, 5))


def test_clock_kinds() -> None:
    due = NOW
    assert clock(None, None, NOW, running=True)["kind"] == "none"
    assert clock(due, due, NOW, running=False)["kind"] == "on_time"
    assert clock(due, due + timedelta(seconds=1), NOW, running=False) == {
        "kind": "late", "due": due, "at": due + timedelta(seconds=1), "seconds": 1}
    assert clock(due, None, NOW - timedelta(seconds=5), running=True)["kind"] == "left"
    assert clock(due, None, NOW, running=True)["kind"] == "overdue"
    assert clock(due, None, NOW + timedelta(days=1), running=False)["kind"] == "stopped"
