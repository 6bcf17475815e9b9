"""The desk's search against a real store: each filter, their combination, sorting, paging and the URL form.

Cases go in through the ingest's Applier, as in production; what each filter should find is worked out here
from the seed list itself, not by calling the code under test.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from datafeeds.apply import Applier, RawMessage
from datafeeds.deskqueries import OFFSET_MAX, CaseFilter, FilterError, count, search
from datafeeds.models import DeadLetter

NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")
CATEGORIES = ("0102", "02", "0402", "0901", "0902", "0701")
SOURCES = ("walk_in", "hotline_12345", "grid", "online")


def _seed(county: Any) -> list[dict[str, Any]]:
    rng = random.Random(7)
    townships = county.townships()[:3]
    departments = [d.code for d in county.departments[:3]]
    cases = []
    for n in range(60):
        town = townships[n % 3]
        village = county.villages(town.code)[n % 2]
        cases.append({
            "case_no": f"D-{n:03d}", "township": town.code, "village": village.code,
            "category": CATEGORIES[n % len(CATEGORIES)], "source": SOURCES[n % len(SOURCES)],
            "at": NOW - timedelta(days=n % 20, hours=rng.randint(0, 5)),
            "title": "宅基地纠纷" if n % 5 == 0 else "邻里噪音",
            "address": f"{town.name}{village.name}{n}号", "lat": village.lat, "lon": village.lon,
            "department": departments[n % 3] if n % 4 else None,
            "overdue": n % 4 == 1, "supervised": n % 7 == 0, "card": n % 14 == 0,
            "major": n % 9 == 0,
            # resolved a day after registration (only assigned cases can be): n % 4 == 2 has a department
            "resolved": n % 8 == 2,
        })
    return cases


def _messages(cases: list[dict[str, Any]]) -> list[RawMessage]:
    out: list[dict[str, Any]] = []
    seq = 0

    def add(type_: str, at: datetime, data: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        out.append({"v": 1, "id": f"m-{seq}", "source": "desk-test", "seq": seq, "type": type_,
                    "at": at.isoformat(), "data": data})

    for c in sorted(cases, key=lambda c: c["at"]):
        add("case.registered", c["at"], {
            "case_no": c["case_no"], "title": c["title"], "category": c["category"], "source_channel": c["source"],
            "township": c["township"], "village": c["village"], "address": c["address"], "lat": c["lat"],
            "lon": c["lon"], **({"scale": "02"} if c["major"] else {})})
    for c in cases:
        if c["department"]:
            due = NOW - timedelta(hours=1) if c["overdue"] else NOW + timedelta(days=10)
            add("case.assigned", c["at"] + timedelta(minutes=5), {
                "case_no": c["case_no"], "department": c["department"], "resolve_due": due.isoformat(),
                "sign_due": (c["at"] + timedelta(days=1)).isoformat()})
        if c["supervised"]:
            add("case.supervised", c["at"] + timedelta(minutes=10),
                {"case_no": c["case_no"], "level": "yellow" if c["card"] else "normal"})
        if c["resolved"]:
            dept, at = c["department"], c["at"] + timedelta(days=1)
            add("case.signed", at - timedelta(hours=1), {"case_no": c["case_no"], "department": dept})
            add("case.resolved", at, {"case_no": c["case_no"], "department": dept, "outcome": "success"})
    return [RawMessage("t:feed:cases", json.dumps(m, ensure_ascii=False).encode()) for m in out]


@pytest.fixture
def seeded(engine: Engine, county: Any) -> list[dict[str, Any]]:
    cases = _seed(county)
    applier = Applier(engine, clock=lambda: NOW)
    applier.apply(_messages(cases))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeadLetter)).scalar() == 0  # every seed case landed
    return cases


def _found(engine: Engine, f: CaseFilter, **kw: Any) -> list[str]:
    return [r["case_no"] for r in search(engine, f, now=NOW, limit=500, **kw)]


def _local_day(at: datetime) -> date:
    return at.date()  # NOW and every seed time are in +08:00, the store's display zone


def test_each_filter_finds_what_it_should(engine: Engine, seeded: list[dict[str, Any]]) -> None:
    town, village, dept = seeded[1]["township"], seeded[1]["village"], seeded[1]["department"]
    since, until = (NOW - timedelta(days=9)).date(), (NOW - timedelta(days=3)).date()
    expectations = {
        CaseFilter(township=town): [c for c in seeded if c["township"] == town],
        CaseFilter(village=village): [c for c in seeded if c["village"] == village],
        CaseFilter(category="09"): [c for c in seeded if c["category"].startswith("09")],
        CaseFilter(category="0902"): [c for c in seeded if c["category"] == "0902"],
        CaseFilter(source="grid"): [c for c in seeded if c["source"] == "grid"],
        CaseFilter(department=dept): [c for c in seeded if c["department"] == dept],
        CaseFilter(state="registered"): [c for c in seeded if not c["department"]],
        CaseFilter(state="open"): [c for c in seeded if not c["resolved"]],
        CaseFilter(state="resolved"): [c for c in seeded if c["resolved"]],
        CaseFilter(cards=True): [c for c in seeded if c["card"]],
        CaseFilter(major=True, state="open"): [c for c in seeded if c["major"] and not c["resolved"]],
        CaseFilter(resolved_since=since, resolved_until=until): [
            c for c in seeded if c["resolved"] and since <= _local_day(c["at"] + timedelta(days=1)) <= until],
        CaseFilter(since=since, until=until): [c for c in seeded if since <= _local_day(c["at"]) <= until],
        CaseFilter(overdue=True): [c for c in seeded if c["overdue"] and c["department"] and not c["resolved"]],
        CaseFilter(supervised=True): [c for c in seeded if c["supervised"]],
        CaseFilter(text="宅基地"): [c for c in seeded if "宅基地" in c["title"]],
        CaseFilter(text="D-01"): [c for c in seeded if c["case_no"].startswith("D-01")],
        CaseFilter(text="%"): [],  # a LIKE wildcard typed in the box is a character, not "everything"
        CaseFilter(township=town, category="09", supervised=False): [
            c for c in seeded if c["township"] == town and c["category"].startswith("09")],
    }
    for f, cases in expectations.items():
        assert sorted(_found(engine, f)) == sorted(c["case_no"] for c in cases), f
        assert count(engine, f, now=NOW) == len(cases), f
    assert any(len(v) for v in expectations.values())


def test_sorting_and_paging_are_stable(engine: Engine, seeded: list[dict[str, Any]]) -> None:
    newest = _found(engine, CaseFilter())
    assert newest == [c["case_no"] for c in sorted(seeded, key=lambda c: (c["at"], c["case_no"]), reverse=True)]
    oldest = _found(engine, CaseFilter(), descending=False)
    assert oldest == list(reversed(newest))
    pages = [r["case_no"] for offset in range(0, 60, 7)
             for r in search(engine, CaseFilter(), now=NOW, offset=offset, limit=7)]
    assert pages == newest  # no row twice, none missed
    by_no = _found(engine, CaseFilter(), sort="case_no", descending=False)
    assert by_no == sorted(c["case_no"] for c in seeded)
    assert count(engine, CaseFilter(), now=NOW, cap=10) == 11  # "more than 10"


def test_bad_input_is_refused_by_name(engine: Engine) -> None:
    with pytest.raises(FilterError, match="sort"):
        search(engine, CaseFilter(), now=NOW, sort="password_hash")
    with pytest.raises(FilterError, match="offset"):
        search(engine, CaseFilter(), now=NOW, offset=OFFSET_MAX + 1)
    with pytest.raises(FilterError, match="since"):
        CaseFilter.from_query({"since": "yesterday"})


def test_the_url_form_round_trips() -> None:
    f = CaseFilter(township="439901101", category="09", since=date(2026, 11, 1), overdue=True, text="宅基地")
    query = f.to_query()
    assert query == {"township": "439901101", "category": "09", "since": "2026-11-01", "overdue": "1",
                     "text": "宅基地"}
    assert CaseFilter.from_query(query) == f
    assert CaseFilter.from_query({"overdue": "0", "page": "3", "township": " "}) == CaseFilter()
    assert f.but(township=None).to_query().get("township") is None
