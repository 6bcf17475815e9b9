"""The departments page's figures against a real store, each one worked out again here from the seed itself.

Cases and their assignments go in through the ingest's Applier, as in production. The expected figures are
counted in plain Python from the seed's own list of assignments (with statistics.quantiles for the spreads),
never by calling the code under test.
"""

from __future__ import annotations

import json
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from datafeeds.apply import Applier, RawMessage
from datafeeds.deptfigures import Group, Spread, figures, period
from datafeeds.models import Assignment, DeadLetter

NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")  # a Thursday
SINCE_30 = datetime.fromisoformat("2026-10-28T00:00:00+08:00")  # local midnight 29 days before today
SEED_CASES = 90


@dataclass
class Job:
    """One assignment as the seed made it."""

    case_no: str
    township: str
    department: str
    assigned: datetime
    due: datetime
    signed: datetime | None = None
    resolved: datetime | None = None
    returned: bool = False


@dataclass
class Seed:
    jobs: list[Job] = field(default_factory=list)
    # per case: (township, current department or None, open, resolve due of its last assignment)
    cases: dict[str, tuple[str, str | None, bool, datetime | None]] = field(default_factory=dict)
    events: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)


def _make_seed(county: Any) -> Seed:
    rng = random.Random(11)
    towns = [t.code for t in county.townships()[:3]]
    # Three departments with many assignments, one with a single one (a one-point spread).
    depts = [d.code for d in county.departments[:4]]
    seed = Seed()

    def at(t: datetime) -> datetime:
        return t.replace(microsecond=0)

    for n in range(SEED_CASES):
        case_no, town = f"F-{n:03d}", towns[n % 3]
        village = county.villages(town)[0]
        # Case 0 is the fourth department's only one: signed for, never returned, in the period.
        registered = at(NOW - timedelta(days=rng.uniform(0.5, 45) if n else 3))
        seed.events.append((registered, "case.registered", {
            "case_no": case_no, "title": "邻里纠纷", "category": "0902", "source_channel": "walk_in",
            "township": town, "village": village.code, "lat": village.lat, "lon": village.lon}))
        dept = depts[3] if n == 0 else depts[n % 3]
        t = registered
        current: Job | None = None
        for attempt in range(2):
            t = at(t + timedelta(hours=rng.uniform(0.2, 8)))
            if t >= NOW - timedelta(minutes=5):
                break
            due = at(t + timedelta(days=rng.choice((2, 5, 10))))
            job = Job(case_no, town, dept, t, due)
            seed.jobs.append(job)
            current = job
            seed.events.append((t, "case.assigned", {
                "case_no": case_no, "department": dept, "sign_due": (t + timedelta(days=1)).isoformat(),
                "resolve_due": due.isoformat()}))
            signed = at(t + timedelta(hours=rng.uniform(0.1, 40)))
            if (rng.random() < 0.85 or n == 0) and signed < NOW:
                job.signed = t = signed
                seed.events.append((t, "case.signed", {"case_no": case_no, "department": dept}))
            back = at(t + timedelta(hours=rng.uniform(1, 30)))
            if attempt == 0 and rng.random() < 0.2 and back < NOW and n:
                job.returned, t = True, back
                seed.events.append((t, "case.returned", {"case_no": case_no, "department": dept}))
                current = None
                dept = depts[(depts.index(dept) + 1) % 3]
                continue  # reassigned to the next department
            done = at(t + timedelta(hours=rng.uniform(2, 15 * 24)))
            if job.signed is not None and rng.random() < 0.75 and done < NOW:
                job.resolved = done
                seed.events.append((done, "case.resolved", {"case_no": case_no, "department": dept,
                                                            "outcome": "success"}))
            break
        is_open = current is None or current.resolved is None
        # A returned case keeps its last deadline in the store (the wall's 超期 and the desk's filter read it).
        last = next((j for j in reversed(seed.jobs) if j.case_no == case_no), None)
        seed.cases[case_no] = (town, current.department if current else None, is_open,
                               last.due if last else None)
    return seed


def _messages(seed: Seed) -> list[RawMessage]:
    out = []
    # Time order across cases; a case's own events are in time order already, and sorting is stable.
    for i, (at, type_, data) in enumerate(sorted(seed.events, key=lambda e: e[0])):
        out.append({"v": 1, "id": f"f-{i}", "source": "dept-test", "seq": i + 1, "type": type_,
                    "at": at.isoformat(), "data": data})
    return [RawMessage("t:feed:cases", json.dumps(m, ensure_ascii=False).encode()) for m in out]


@pytest.fixture
def seed(engine: Engine, county: Any) -> Seed:
    s = _make_seed(county)
    Applier(engine, clock=lambda: NOW).apply(_messages(s))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeadLetter)).scalar() == 0  # every event landed
        assert conn.execute(select(func.count()).select_from(Assignment)).scalar() == len(s.jobs)
    return s


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _spread(values: list[float]) -> tuple[int, float, float, float, float, float] | None:
    if not values:
        return None
    if len(values) == 1:
        return (1, *[values[0]] * 5)  # type: ignore[return-value]
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return (len(values), deciles[0], quartiles[0], statistics.median(values), quartiles[2], deciles[8])


def _as_tuple(s: Spread | None) -> tuple[int, float, float, float, float, float] | None:
    return None if s is None else (s.n, s.p10, s.p25, s.p50, s.p75, s.p90)


def _expected(seed: Seed, by: str, since: datetime, starts: list[date]) -> dict[str, dict[str, Any]]:
    """Count every figure of every group straight from the seed's assignments and cases."""
    def key(job: Job) -> str:
        return job.department if by == "department" else job.township

    def bucket(at: datetime) -> int:
        day = at.date()  # every seed time is in +08:00, the display zone
        return max(i for i, s in enumerate(starts) if s <= day)

    out: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "assigned": 0, "returned": 0, "open": 0, "overdue": 0, "sign": [], "resolve": [],
        "buckets": [[0, 0] for _ in starts]})
    for job in seed.jobs:
        g = out[key(job)] if (since <= job.assigned < NOW or (job.resolved and since <= job.resolved < NOW)) \
            else None
        if g is None:
            continue
        if since <= job.assigned < NOW:
            g["assigned"] += 1
            g["returned"] += job.returned
            if job.signed:
                g["sign"].append(_hours(job.assigned, job.signed))
            if job.resolved:
                g["resolve"].append(_hours(job.assigned, job.resolved))
        if job.resolved and since <= job.resolved < NOW:
            b = g["buckets"][bucket(job.resolved)]
            b[0] += 1
            b[1] += job.resolved <= job.due
    for town, dept, is_open, due in seed.cases.values():
        code = dept if by == "department" else town
        if not is_open or code is None:
            continue
        out[code]["open"] += 1
        out[code]["overdue"] += due is not None and due < NOW
    return dict(out)


def _check(groups: tuple[Group, ...], want: dict[str, dict[str, Any]]) -> None:
    assert {g.code for g in groups} == set(want)
    for g in groups:
        w = want[g.code]
        assert (g.assigned, g.returned, g.open_now, g.overdue_now) == (
            w["assigned"], w["returned"], w["open"], w["overdue"]), g.code
        assert [list(b) for b in g.buckets] == w["buckets"], g.code
        assert (g.resolved, g.on_time) == (sum(b[0] for b in w["buckets"]), sum(b[1] for b in w["buckets"]))
        for got, values in ((g.sign, w["sign"]), (g.resolve, w["resolve"])):
            expected = _spread(values)
            if expected is None:
                assert got is None, g.code
            else:
                assert _as_tuple(got) == pytest.approx(expected, abs=1e-3), g.code


def test_period_is_whole_local_days_in_monday_weeks() -> None:
    p = period(30, NOW)
    assert p.since == SINCE_30 and p.now == NOW and p.step == "week"
    assert p.starts == (date(2026, 10, 28), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
                        date(2026, 11, 23))
    assert p.edges[1] == datetime.fromisoformat("2026-11-02T00:00:00+08:00") and p.edges[-1] == NOW
    week = period(7, NOW)
    assert week.step == "day" and len(week.starts) == 7 and week.starts[0] == date(2026, 11, 20)
    assert period(90, NOW).starts[0] == date(2026, 8, 29)
    with pytest.raises(ValueError, match="days"):
        period(14, NOW)


@pytest.mark.parametrize("by", ["department", "township"])
def test_thirty_days_by_department_and_township(engine: Engine, seed: Seed, by: str) -> None:
    figs = figures(engine, by, 30, NOW)  # type: ignore[arg-type]
    starts = list(figs.period.starts)
    want = _expected(seed, by, SINCE_30, starts)
    _check(figs.groups, want)
    # The seed exercises what the figures distinguish: returns, late and on-time resolutions, overdue cases,
    # assignments before the period, a group with a single duration.
    assert sum(w["returned"] for w in want.values()) > 0
    assert sum(w["overdue"] for w in want.values()) > 0
    late = sum(b[0] - b[1] for w in want.values() for b in w["buckets"])
    assert late > 0 and sum(b[1] for w in want.values() for b in w["buckets"]) > 0
    assert any(j.assigned < SINCE_30 for j in seed.jobs)
    if by == "department":
        assert any(len(w["sign"]) == 1 for w in want.values())
    assert [list(t) for t in figs.total] == [[sum(w["buckets"][i][k] for w in want.values()) for k in (0, 1)]
                                             for i in range(len(starts))]


def test_worst_first(engine: Engine, seed: Seed) -> None:
    figs = figures(engine, "department", 30, NOW)
    want = _expected(seed, "department", SINCE_30, list(figs.period.starts))

    def badness(code: str) -> tuple[int, float, float, str]:
        w = want[code]
        resolved = sum(b[0] for b in w["buckets"])
        rate = sum(b[1] for b in w["buckets"]) / resolved if resolved else 2.0
        return (-w["overdue"], rate, -(statistics.median(w["resolve"]) if w["resolve"] else 0.0), code)

    assert [g.code for g in figs.groups] == sorted(want, key=badness)


@pytest.mark.parametrize("days", [7, 90])
def test_seven_days_by_day_and_ninety_by_week(engine: Engine, seed: Seed, days: int) -> None:
    figs = figures(engine, "department", days, NOW)
    since = datetime.combine(NOW.date() - timedelta(days=days - 1), datetime.min.time(), NOW.tzinfo)
    assert figs.period.since == since
    assert figs.period.step == ("day" if days == 7 else "week")
    _check(figs.groups, _expected(seed, "department", since, list(figs.period.starts)))


def test_an_empty_store_has_no_groups(engine: Engine) -> None:
    figs = figures(engine, "township", 30, NOW)
    assert figs.groups == () and all(t == (0, 0) for t in figs.total)
    with pytest.raises(ValueError, match="by"):
        figures(engine, "village", 30, NOW)  # type: ignore[arg-type]
