"""在办 and 超期在办 kept incrementally follow events and the clock, and agree with a full count."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from datafeeds.ingest import TokenBucket
from datafeeds.livecounts import LiveCounts
from datafeeds.wallstate import LiveCase, OpenFigures, is_overdue, set_prewarn, warning_list

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def case(n: int, due: datetime | None, state: str = "assigned") -> LiveCase:
    return LiveCase(id=n, case_no=f"C{n}", state=state, category="02", grade="04", scale="01",
                    is_group=False, urgent=False, township="t", village=None, lat=0.0, lon=0.0,
                    registered_at=T0, resolve_due=due, assigned_at=T0)


def test_the_clock_alone_makes_a_case_overdue() -> None:
    counts = LiveCounts()
    c = case(1, T0 + timedelta(hours=1))
    live = {c.case_no: c}
    counts.touch(c, T0)
    assert counts.overdue_count(T0, live) == 0 and len(counts.open) == 1
    assert counts.overdue_count(T0 + timedelta(hours=2), live) == 1
    assert counts.take_turned() == {"C1"} and counts.take_turned() == set()
    c.resolve_due = T0 + timedelta(days=3)  # extension granted
    counts.touch(c, T0 + timedelta(hours=2))
    assert counts.overdue_count(T0 + timedelta(hours=2), live) == 0
    c.state = "resolved"
    counts.touch(c, T0 + timedelta(days=4))
    assert counts.overdue_count(T0 + timedelta(days=4), live) == 0 and len(counts.open) == 0


def test_cards_and_majors_follow_the_cases() -> None:
    counts = LiveCounts()
    a, b = case(1, None), case(2, None)
    b.grade = "02"
    live = {a.case_no: a, b.case_no: b}
    for c in live.values():
        counts.touch(c, T0)
    a.supervision = "yellow"
    counts.touch(a, T0)
    assert counts.figures(T0, live) == OpenFigures(open=2, overdue=0, yellow=1, red=0, major=1)
    a.supervision = "red"
    counts.touch(a, T0)
    b.state = "resolved"
    counts.touch(b, T0)
    assert counts.figures(T0, live) == OpenFigures(open=1, overdue=0, yellow=0, red=1, major=0)


def test_incremental_counts_equal_a_full_scan() -> None:
    rng = random.Random(5)
    counts = LiveCounts()
    live: dict[str, LiveCase] = {}
    now = T0
    for step in range(3000):
        now += timedelta(minutes=rng.randint(0, 30))
        n = rng.randint(1, 300)
        c = live.get(f"C{n}") or case(n, None, "registered")
        live[c.case_no] = c
        roll = rng.random()
        if roll < 0.4:
            c.state, c.resolve_due = "assigned", now + timedelta(hours=rng.randint(-5, 72))
        elif roll < 0.6:
            c.state = rng.choice(["resolved", "closed", "returned", "in_progress"])
        counts.touch(c, now)
        if step % 50 == 0:
            expected = sum(1 for x in live.values() if is_overdue(x, now))
            assert counts.overdue_count(now, live) == expected
            assert len(counts.open) == sum(1 for x in live.values() if x.is_open)


def test_token_bucket_lets_bursts_through_and_then_paces() -> None:
    t = [0.0]
    bucket = TokenBucket(rate=10, burst=3, clock=lambda: t[0])
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert abs(bucket.take() - 0.1) < 1e-9
    t[0] += 0.1
    assert bucket.take() == 0.0


def test_prewarning_comes_at_70_percent_of_working_time_then_overdue() -> None:
    # Assigned Monday 2026-11-23 09:00 Beijing, 10 working days to resolve: due Monday 2026-12-07.
    assigned = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    c = case(1, datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    c.assigned_at = assigned
    set_prewarn(c)
    assert c.prewarn_at == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 7 working days: skips the weekend
    counts, live = LiveCounts(), {c.case_no: c}
    counts.touch(c, assigned)
    assert counts.figures(assigned, live).warning == 0
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert counts.figures(monday, live).warning == 0
    thursday = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert counts.figures(thursday, live).warning == 1 and counts.take_turned() == {"C1"}
    assert warning_list([c], thursday)[0]["kind"] == "prewarn"
    late = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    figures = counts.figures(late, live)
    assert (figures.warning, figures.overdue) == (0, 1)
    assert warning_list([c], late)[0]["kind"] == "overdue"


def test_warning_list_puts_red_cards_first() -> None:
    now = T0 + timedelta(days=30)
    red, group, due_soon, calm = case(1, None), case(2, None), case(3, T0 + timedelta(days=40)), case(4, None)
    red.supervision = "red"
    group.is_group = True
    due_soon.prewarn_at = T0 + timedelta(days=29)
    rows = warning_list([calm, due_soon, group, red], now)
    assert [(r["case_no"], r["kind"]) for r in rows] == [("C1", "red"), ("C2", "group"), ("C3", "prewarn")]
