"""The briefing's figures against a real store, each one counted again here from the seed itself.

Cases go in through the ingest's Applier, as in production. The periods' bounds are written out as literal times,
and every expected figure is counted in plain Python from the seed's own record of what happened to each case,
never by calling the code under test.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from datafeeds import snapshots
from datafeeds.apply import Applier, RawMessage
from datafeeds.briefing import (
    CASE_LIST_MAX,
    LONG_OPEN_DAYS,
    PeriodError,
    Recent,
    build,
    parse_period,
    period,
    query_of,
)
from datafeeds.models import DeadLetter

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")  # a Thursday
# "This week" as of NOW, the same stretch of the week before, and 52 weeks before (weekdays aligned).
CUR = (datetime.fromisoformat("2026-11-23T00:00:00+08:00"), NOW)
PREV = (datetime.fromisoformat("2026-11-16T00:00:00+08:00"), datetime.fromisoformat("2026-11-19T12:00:00+08:00"))
YA = (datetime.fromisoformat("2025-11-24T00:00:00+08:00"), datetime.fromisoformat("2025-11-27T12:00:00+08:00"))
TITLE_NAME = "欧阳锋"  # a party's name in some titles: the briefing must never show it


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(("kind", "now", "cur", "prev", "ya"), [
    ("today", "2026-11-26T12:00:00+08:00", ("2026-11-26T00:00", "2026-11-26T12:00"),
     ("2026-11-25T00:00", "2026-11-25T12:00"), ("2025-11-26T00:00", "2025-11-26T12:00")),
    ("week", "2026-11-26T12:00:00+08:00", ("2026-11-23T00:00", "2026-11-26T12:00"),
     ("2026-11-16T00:00", "2026-11-19T12:00"), ("2025-11-24T00:00", "2025-11-27T12:00")),
    ("last_week", "2026-11-26T12:00:00+08:00", ("2026-11-16T00:00", "2026-11-23T00:00"),
     ("2026-11-09T00:00", "2026-11-16T00:00"), ("2025-11-17T00:00", "2025-11-24T00:00")),
    ("month", "2026-11-26T12:00:00+08:00", ("2026-11-01T00:00", "2026-11-26T12:00"),
     ("2026-10-01T00:00", "2026-10-26T12:00"), ("2025-11-01T00:00", "2025-11-26T12:00")),
    ("last_month", "2026-11-26T12:00:00+08:00", ("2026-10-01T00:00", "2026-11-01T00:00"),
     ("2026-09-01T00:00", "2026-10-01T00:00"), ("2025-10-01T00:00", "2025-11-01T00:00")),
    # The 31st of March: the previous month has no 31st, so its stretch stops at its end.
    ("month", "2027-03-31T10:00:00+08:00", ("2027-03-01T00:00", "2027-03-31T10:00"),
     ("2027-02-01T00:00", "2027-03-01T00:00"), ("2026-03-01T00:00", "2026-03-31T10:00")),
    # 29 February: a year earlier is the 28th.
    ("today", "2028-02-29T09:30:00+08:00", ("2028-02-29T00:00", "2028-02-29T09:30"),
     ("2028-02-28T00:00", "2028-02-28T09:30"), ("2027-02-28T00:00", "2027-02-28T09:30")),
])
def test_periods_and_what_they_are_compared_with(kind: str, now: str, cur: tuple[str, str],
                                                   prev: tuple[str, str], ya: tuple[str, str]) -> None:
    p = period(kind, _t(now), TZ)
    for span, (start, end) in ((p.current, cur), (p.previous, prev), (p.year_ago, ya)):
        assert (span.start, span.end) == (_t(start + "+08:00"), _t(end + "+08:00")), span
    assert p.current.start.utcoffset() == timedelta(0)  # the store's times are UTC


def test_a_custom_period_is_whole_days_compared_with_the_days_before_and_a_year_earlier() -> None:
    p = period("custom", NOW, TZ, date(2026, 11, 1), date(2026, 11, 10))
    assert (p.current.start, p.current.end) == (_t("2026-11-01T00:00+08:00"), _t("2026-11-11T00:00+08:00"))
    assert (p.previous.start, p.previous.end) == (_t("2026-10-22T00:00+08:00"), _t("2026-11-01T00:00+08:00"))
    assert (p.year_ago.start, p.year_ago.end) == (_t("2025-11-01T00:00+08:00"), _t("2025-11-11T00:00+08:00"))
    assert (p.current.first_day, p.current.last_day, p.step) == (date(2026, 11, 1), date(2026, 11, 10), "day")
    # Ending today, it runs to now; a single day is counted by the hour.
    today = period("custom", NOW, TZ, date(2026, 11, 26), date(2026, 11, 26))
    assert (today.current.end, today.step, today.to_now) == (NOW, "hour", True)
    assert parse_period(query_of(p), NOW, TZ) == p
    assert parse_period({}, NOW, TZ).kind == "week"
    assert parse_period({"period": "last-month"}, NOW, TZ).kind == "last_month"


@pytest.mark.parametrize(("args", "says"), [
    ({"period": "year"}, "is not one of"),
    ({"period": "custom", "from": "2026-11-10"}, "YYYY-MM-DD"),
    ({"period": "custom", "from": "2026-11-10", "to": "2026-11-01"}, "after the last day"),
    ({"period": "custom", "from": "2026-11-10", "to": "2026-11-27"}, "after today"),
    ({"period": "custom", "from": "2025-01-01", "to": "2026-11-26"}, "longer than 366"),
])
def test_a_bad_period_is_refused_with_the_reason(args: dict[str, str], says: str) -> None:
    with pytest.raises(PeriodError, match=says):
        parse_period(args, NOW, TZ)


@dataclass
class Job:
    department: str
    assigned: datetime
    due: datetime
    resolved: datetime | None = None
    returned: datetime | None = None


@dataclass
class Seeded:
    """One case as the seed made it: what the test counts from."""

    case_no: str
    registered: datetime
    category: str
    source: str
    township: str
    village: str
    major: bool
    title: str
    jobs: list[Job] = field(default_factory=list)
    resolved: datetime | None = None
    success: bool = False
    visited: datetime | None = None
    satisfied: bool = False
    terminated: datetime | None = None
    red: bool = False

    @property
    def on_time(self) -> bool:
        return self.resolved is not None and self.resolved <= self.jobs[-1].due


CATEGORIES = ("0102", "02", "0402", "0503", "0701", "0902", "1103")
SOURCES = ("walk_in", "hotline_12345", "grid", "police_110", "online")


def _seed(county: Any) -> tuple[list[Seeded], list[tuple[datetime, str, dict[str, Any]]]]:
    rng = random.Random(7)
    towns = county.townships()[:4]
    depts = [d.code for d in county.departments[:3]]
    cases: list[Seeded] = []
    events: list[tuple[datetime, str, dict[str, Any]]] = []

    def at(t: datetime) -> datetime:
        return t.replace(microsecond=0)

    windows = [(CUR, 50), (PREV, 30), (YA, 20), ((_t("2026-09-01T00:00+08:00"), _t("2026-10-20T00:00+08:00")), 12)]
    n = 0
    for (start, end), count in windows:
        for _ in range(count):
            registered = at(start + (end - start) * rng.random())
            town = towns[rng.randrange(4)]
            village = rng.choice(county.villages(town.code)[:2])
            grade = rng.choice(("01", "03", "04", "04", "04", "04", "04", "04"))
            scale = rng.choice(("01", "01", "01", "01", "01", "02"))
            group = rng.random() < 0.05
            named = rng.random() < 0.3
            c = Seeded(case_no=f"B-{n:03d}", registered=registered, category=rng.choice(CATEGORIES),
                       source=rng.choice(SOURCES), township=town.code, village=village.code,
                       major=grade in ("01", "02") or scale in ("02", "03") or group,
                       title=f"{TITLE_NAME}与邻居纠纷" if named else "邻里纠纷")
            n += 1
            cases.append(c)
            events.append((registered, "case.registered", {
                "case_no": c.case_no, "title": c.title, "category": c.category, "source_channel": c.source,
                "township": town.code, "village": village.code, "lat": village.lat, "lon": village.lon,
                "grade": grade, "scale": scale, "group": group,
                "parties": [{"name": TITLE_NAME}] if named else []}))
            _lifecycle(c, rng, depts, events, at)
    return cases, events


def _lifecycle(c: Seeded, rng: random.Random, depts: list[str], events: list[tuple[datetime, str, dict[str, Any]]],
               at: Any) -> None:
    t = c.registered
    dept = rng.choice(depts)
    for attempt in range(2):
        t = at(t + timedelta(hours=rng.uniform(0.5, 6)))
        if t >= NOW:
            return
        job = Job(dept, t, at(t + timedelta(days=rng.choice((1, 2, 5)))))
        c.jobs.append(job)
        events.append((t, "case.assigned", {"case_no": c.case_no, "department": dept,
                                            "resolve_due": job.due.isoformat()}))
        t = at(t + timedelta(hours=rng.uniform(0.2, 20)))
        if t >= NOW or rng.random() < 0.1:
            return
        events.append((t, "case.signed", {"case_no": c.case_no, "department": dept}))
        if attempt == 0 and rng.random() < 0.15:
            t = at(t + timedelta(hours=rng.uniform(1, 60)))
            if t >= NOW:
                return
            job.returned = t
            events.append((t, "case.returned", {"case_no": c.case_no, "department": dept}))
            dept = depts[(depts.index(dept) + 1) % len(depts)]
            continue
        break
    done = at(t + timedelta(hours=rng.uniform(2, 8 * 24)))
    if rng.random() < 0.7 and done < NOW:
        c.resolved, c.jobs[-1].resolved = done, done
        c.success = rng.random() < 0.8
        events.append((done, "case.resolved", {"case_no": c.case_no, "department": dept,
                                               "outcome": "success" if c.success else "failed"}))
        visit = at(done + timedelta(hours=rng.uniform(4, 72)))
        if rng.random() < 0.6 and visit < NOW:
            c.visited, c.satisfied = visit, rng.random() < 0.75
            events.append((visit, "case.visited", {
                "case_no": c.case_no, "satisfaction": "satisfied" if c.satisfied else "unsatisfied"}))
        return
    later = at(t + timedelta(hours=rng.uniform(1, 30 * 24)))
    if rng.random() < 0.1 and later < NOW:
        c.terminated = later
        events.append((later, "case.terminated", {"case_no": c.case_no}))
    elif rng.random() < 0.3:
        c.red = True
        events.append((at(min(NOW - timedelta(minutes=1), t + timedelta(hours=1))), "case.supervised",
                       {"case_no": c.case_no, "level": "red"}))


def _messages(events: list[tuple[datetime, str, dict[str, Any]]]) -> list[RawMessage]:
    ordered = sorted(events, key=lambda e: e[0])  # stable: a case's own events keep their order
    return [RawMessage("t:feed:cases", json.dumps({"v": 1, "id": f"b-{i}", "source": "brief-test", "seq": i + 1,
                                                   "type": type_, "at": when.isoformat(), "data": data},
                                                  ensure_ascii=False).encode())
            for i, (when, type_, data) in enumerate(ordered)]


@pytest.fixture
def seeded(engine: Engine, county: Any) -> list[Seeded]:
    cases, events = _seed(county)
    Applier(engine, clock=lambda: NOW).apply(_messages(events))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeadLetter)).scalar() == 0  # every event landed
    return cases


def _within(t: datetime | None, span: tuple[datetime, datetime]) -> bool:
    return t is not None and span[0] <= t < span[1]


def _open_at(c: Seeded, end: datetime) -> bool:
    return c.registered < end and not (c.resolved and c.resolved < end) and not (c.terminated and c.terminated < end)


def _overdue(cases: list[Seeded], span: tuple[datetime, datetime]) -> Counter[str]:
    """Count the deadlines that fell in a span and passed unmet, by department."""
    out: Counter[str] = Counter()
    for c in cases:
        for job in c.jobs:
            unmet = all(x is None or x > job.due for x in (job.resolved, job.returned, c.terminated))
            if _within(job.due, (span[0], min(span[1], NOW))) and unmet:
                out[job.department] += 1
    return out


def _expected(cases: list[Seeded], span: tuple[datetime, datetime]) -> dict[str, Any]:
    reg = [c for c in cases if _within(c.registered, span)]
    res = [c for c in cases if _within(c.resolved, span)]
    first, last = span[0].astimezone(TZ).date(), (span[1] - timedelta(microseconds=1)).astimezone(TZ).date()
    visits = [c for c in cases if c.visited and first <= c.visited.astimezone(TZ).date() <= last]
    return {"registered": len(reg), "resolved": len(res), "major": sum(c.major for c in reg),
            "on_time": sum(c.on_time for c in res), "success": sum(c.success for c in res),
            "open_at_end": sum(_open_at(c, span[1]) for c in cases),
            "overdue": sum(_overdue(cases, span).values()),
            "visited": len(visits), "satisfied": sum(c.satisfied for c in visits)}


def test_the_weeks_figures_match_the_seed(engine: Engine, seeded: list[Seeded]) -> None:
    b = build(engine, period("week", NOW, TZ))
    want = {name: _expected(seeded, span) for name, span in (("cur", CUR), ("prev", PREV), ("ya", YA))}
    assert want["cur"]["registered"] == 50 and want["cur"]["resolved"] > 0 and want["cur"]["overdue"] > 0
    for key in ("registered", "resolved", "major", "open_at_end", "overdue"):
        fig = b.headline[key]
        assert (fig.value, fig.previous, fig.year_ago) == (want["cur"][key], want["prev"][key], want["ya"][key]), key
    for key, num, den in (("resolution_rate", "resolved", "registered"), ("on_time_rate", "on_time", "resolved"),
                          ("success_rate", "success", "resolved"), ("satisfaction_rate", "satisfied", "visited")):
        fig = b.headline[key]
        assert (fig.numerator, fig.denominator) == (want["cur"][num], want["cur"][den]), key
        for got, w in ((fig.value, want["cur"]), (fig.previous, want["prev"]), (fig.year_ago, want["ya"])):
            assert got == (pytest.approx(w[num] / w[den]) if w[den] else None), key
    reg = b.headline["registered"]
    assert reg.mom == pytest.approx((want["cur"]["registered"] - want["prev"]["registered"])
                                    / want["prev"]["registered"] * 100)


def test_the_weeks_mixes_rankings_and_trend_match_the_seed(engine: Engine, seeded: list[Seeded]) -> None:
    b = build(engine, period("week", NOW, TZ))

    def counted(key: Any) -> dict[str, tuple[int, int, int]]:
        out: dict[str, list[int]] = {}
        for c in seeded:
            for i, span in enumerate((CUR, PREV, YA)):
                if _within(c.registered, span):
                    out.setdefault(key(c), [0, 0, 0])[i] += 1
        return {k: (v[0], v[1], v[2]) for k, v in out.items()}

    for got, key in ((b.categories, lambda c: c.category[:2]), (b.sources, lambda c: c.source),
                     (b.townships, lambda c: c.township)):
        assert {s.code: (s.n, s.previous, s.year_ago) for s in got} == counted(key)
        assert [s.n for s in got] == sorted((s.n for s in got), reverse=True)
    villages = {k: v for k, v in counted(lambda c: c.village).items() if v[0]}
    assert {s.code: (s.n, s.previous, s.year_ago) for s in b.villages} == villages  # fewer than TOP here
    # By local day, Monday to Thursday; the week before is cut at the same hour.
    days = [date(2026, 11, 23) + timedelta(days=i) for i in range(4)]
    assert [p.start.date() for p in b.trend] == days
    for point, day in zip(b.trend, days, strict=True):
        assert point.registered == sum(c.registered.astimezone(TZ).date() == day for c in seeded)
        assert point.resolved == sum(c.resolved is not None and c.resolved.astimezone(TZ).date() == day
                                     for c in seeded)
        before = day - timedelta(days=7)
        assert point.previous_registered == sum(c.registered.astimezone(TZ).date() == before and c.registered < PREV[1]
                                                for c in seeded)


def test_the_weeks_league_and_case_lists_match_the_seed(engine: Engine, seeded: list[Seeded]) -> None:
    b = build(engine, period("week", NOW, TZ))
    late = _overdue(seeded, CUR)
    assert {d.code: d.overdue for d in b.departments if d.overdue} == dict(late)
    assert [d.overdue for d in b.departments] == sorted((d.overdue for d in b.departments), reverse=True)
    majors = sorted((c for c in seeded if _within(c.registered, CUR) and c.major), key=lambda c: c.registered,
                    reverse=True)
    assert [x.case_no for x in b.majors] == [c.case_no for c in majors][:CASE_LIST_MAX]
    long_open = sorted((c for c in seeded if _open_at(c, NOW) and c.registered < NOW - timedelta(days=LONG_OPEN_DAYS)),
                       key=lambda c: c.registered)
    assert long_open and [x.case_no for x in b.long_open] == [c.case_no for c in long_open][:CASE_LIST_MAX]
    red = sorted((c for c in seeded if c.red and _open_at(c, NOW)), key=lambda c: c.registered)
    assert red and [x.case_no for x in b.red_cards] == [c.case_no for c in red][:CASE_LIST_MAX]


def test_the_map_and_lists_show_no_personal_name(engine: Engine, seeded: list[Seeded]) -> None:
    b = build(engine, period("month", NOW, TZ))
    in_month = [c for c in seeded if c.registered >= _t("2026-11-01T00:00+08:00")]
    assert len(b.map_cases) == len(in_month) and not b.map_truncated
    assert any(c.title.startswith(TITLE_NAME) for c in in_month)
    shown = json.dumps([dict(m) for m in b.map_cases], ensure_ascii=False) + repr(b.majors + b.long_open + b.red_cards)
    assert TITLE_NAME not in shown, [x for x in shown.split("), ") if TITLE_NAME in x][:2]
    assert "欧*锋与邻居纠纷" in shown


def test_a_past_period_keeps_its_figures(engine: Engine, seeded: list[Seeded]) -> None:
    """A closed period counts open-at-its-end and missed deadlines as they stood then, not as they stand now."""
    p = period("custom", NOW, TZ, date(2026, 11, 16), date(2026, 11, 19))
    b = build(engine, p)
    span = (_t("2026-11-16T00:00+08:00"), _t("2026-11-20T00:00+08:00"))
    want = _expected(seeded, span)
    assert (b.headline["open_at_end"].value, b.headline["overdue"].value, b.headline["registered"].value) == (
        want["open_at_end"], want["overdue"], want["registered"])
    assert not p.to_now and [t.start.date() for t in b.trend] == [date(2026, 11, 16) + timedelta(days=i)
                                                                   for i in range(4)]


def test_a_briefing_cites_the_walls_frozen_in_its_period(engine: Engine, seeded: list[Seeded]) -> None:
    inside = snapshots.freeze(engine, _t("2026-11-24T09:30:00+08:00"), "值班员甲", "周例会前")
    snapshots.freeze(engine, _t("2026-11-20T09:30:00+08:00"), "值班员乙")  # the week before
    b = build(engine, period("week", NOW, TZ))
    assert [(s.id, s.taken_by, s.note) for s in b.snapshots] == [(inside, "值班员甲", "周例会前")]
    assert b.snapshots[0].taken_at == _t("2026-11-24T09:30:00+08:00")


def test_recent_briefings_are_shared_for_a_minute_then_read_again(engine: Engine, seeded: list[Seeded]) -> None:
    recent = Recent(to_now_age=60)
    first = recent.get(engine, period("week", NOW, TZ))
    # One more case registered this week.
    town = seeded[0]
    late = {"v": 1, "id": "b-new", "source": "brief-test", "seq": 100_000, "type": "case.registered",
            "at": (NOW - timedelta(minutes=5)).isoformat(),
            "data": {"case_no": "B-NEW", "title": "邻里纠纷", "category": "02", "source_channel": "grid",
                     "township": town.township, "village": town.village, "lat": 27.7, "lon": 113.1}}
    Applier(engine, clock=lambda: NOW).apply([RawMessage("t:feed:cases", json.dumps(late).encode())])
    # The page's map frame a moment later gets the same briefing; another period is read afresh.
    assert recent.get(engine, period("week", NOW + timedelta(seconds=5), TZ)) is first
    assert recent.get(engine, period("month", NOW, TZ)) is not first
    recent.clear()
    again = recent.get(engine, period("week", NOW + timedelta(seconds=5), TZ))
    assert again.headline["registered"].value == first.headline["registered"].value + 1
    # With no time to keep them, every call reads the store.
    assert Recent(to_now_age=0).get(engine, period("week", NOW, TZ)) is not again
