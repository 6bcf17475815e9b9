"""Working-day deadlines on the real Chinese calendar, policies, pre-warnings and 督办 levels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from datafeeds.clock import SHANGHAI
from datafeeds.deadlines import (
    DeadlinePolicy,
    Limits,
    add_working_days,
    is_working_day,
    prewarn_at,
    scaled_deadline,
    working_time_between,
)


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_calendar_facts_of_national_day_2026() -> None:
    assert not is_working_day(date(2026, 10, 1))
    assert not is_working_day(date(2026, 10, 7))
    assert is_working_day(date(2026, 10, 9))
    assert is_working_day(date(2026, 10, 10))  # a Saturday made a working day (调休)
    assert not is_working_day(date(2026, 10, 11))
    assert is_working_day(date(2026, 9, 20))  # a Sunday made a working day


def test_a_deadline_across_national_day_skips_the_holiday_and_counts_the_makeup_saturday() -> None:
    start = bj(2026, 9, 30, 10)
    assert add_working_days(start, 1) == bj(2026, 10, 8, 10)
    assert add_working_days(start, 2) == bj(2026, 10, 9, 10)
    assert add_working_days(start, 3) == bj(2026, 10, 10, 10)
    assert add_working_days(start, 4) == bj(2026, 10, 12, 10)
    assert working_time_between(start, bj(2026, 10, 8, 10)) == timedelta(days=1)


def test_a_deadline_across_new_year_2027_works() -> None:
    start = bj(2026, 12, 30, 15)
    due = add_working_days(start, 5)
    assert not is_working_day(date(2027, 1, 1))
    assert due == bj(2027, 1, 7, 15)
    assert working_time_between(start, due) == timedelta(days=5)
    assert add_working_days(bj(2027, 12, 28, 9), 20) > bj(2028, 1, 20)


def test_fractional_days_and_starts_off_the_working_calendar() -> None:
    # Friday 18:00 + half a day: 6 hours of Friday, 6 hours of Monday.
    assert add_working_days(bj(2026, 11, 6, 18), 0.5) == bj(2026, 11, 9, 6)
    # Friday 2026-09-25 is the Mid-Autumn Festival: the clock waits for Monday.
    assert not is_working_day(date(2026, 9, 25))
    assert add_working_days(bj(2026, 9, 25, 18), 0.5) == bj(2026, 9, 28, 12)
    # Assigned on a Saturday: the clock starts with the make-up working Sunday.
    assert add_working_days(bj(2026, 9, 19, 12), 1) == bj(2026, 9, 21)
    assert add_working_days(bj(2026, 9, 19, 12), 0) == bj(2026, 9, 19, 12)


def test_aware_inputs_in_any_zone_and_bad_inputs() -> None:
    start = bj(2026, 9, 30, 10)
    due = add_working_days(start.astimezone(UTC), 1)
    assert due.tzinfo is UTC and due == bj(2026, 10, 8, 10)
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 9, 30, 10), 1)
    with pytest.raises(ValueError):
        add_working_days(start, -1)
    assert working_time_between(bj(2026, 10, 9), bj(2026, 10, 8)) == -timedelta(days=1)


def test_working_time_inverts_adding_working_days() -> None:
    start = bj(2026, 9, 14, 7, 30)
    for k in range(0, 400, 7):
        a = start + timedelta(hours=k * 5.3)
        for days in (0.25, 1, 2, 5, 10, 20, 30):
            b = add_working_days(a, days)
            assert abs(working_time_between(a, b) - timedelta(days=days)) < timedelta(microseconds=2)


def test_default_policy_follows_the_domain_guide() -> None:
    p = DeadlinePolicy()
    at = bj(2026, 11, 2, 9)  # Monday of an ordinary week
    assert p.due(at, "township", "02", "04") == (bj(2026, 11, 3, 9), bj(2026, 11, 4, 9))
    assert p.due(at, "functional", "0701", "04") == (bj(2026, 11, 3, 9), bj(2026, 11, 9, 9))
    lim = p.limits("functional", "0701", "04")
    assert (lim.sign_red, lim.resolve_red) == (2, 10)
    assert p.limits("township").sign_red == 2
    assert p.limits("functional", "11", "02").resolve_days == 20
    assert p.limits("township", "02", "04", complex_case=True).resolve_days == 20
    assert p.limits("judicial", "02", "04", mediation=True).resolve_days == 30
    assert p.limits("no-such-kind").resolve_days == 5


def test_overrides_per_tier_and_category_prefix_from_a_config_dict() -> None:
    p = DeadlinePolicy.from_config({
        "kinds": {"township": {"resolve_days": 3}},
        "tiers": {"06": {"sign_days": 0.5}},
        "categories": {"07": {"resolve_days": 7}, "0702": {"resolve_days": 9}},
        "complex_days": 15,
    })
    assert p.limits("township").resolve_days == 3
    assert p.limits("township").sign_days == 1
    assert p.limits("township", tier="06").sign_days == 0.5
    assert p.limits("functional", "0701").resolve_days == 7
    assert p.limits("functional", "0702").resolve_days == 9
    assert p.limits("functional", "08", "02").resolve_days == 15
    with pytest.raises(ValueError):
        DeadlinePolicy.from_config({"categories": {"07": {"resolve_dayz": 7}}})
    with pytest.raises(ValueError):
        DeadlinePolicy.from_config({"no_such_key": 1})
    assert Limits(1, 4).resolve_red == 8


def test_prewarning_fires_at_seventy_percent_of_the_working_time() -> None:
    at = bj(2026, 11, 2, 9)
    due = add_working_days(at, 5)
    assert prewarn_at(at, due) == bj(2026, 11, 5, 21)
    start = bj(2026, 9, 30, 10)
    due = add_working_days(start, 5)
    warn = prewarn_at(start, due)
    assert warn == bj(2026, 10, 10, 22)
    assert working_time_between(start, warn) == timedelta(days=3.5)
    assert DeadlinePolicy().deadlines(start, "functional", "0701", "04").prewarn == warn


def test_a_deadline_inside_a_weekend_still_warns_between_assignment_and_deadline() -> None:
    # A feed may set a deadline with no working time before it (Saturday 10:00 → Saturday 16:00): the
    # pre-warning then takes 70 % of the calendar time, never the assignment moment itself.
    at, due = bj(2026, 11, 28, 10), bj(2026, 11, 28, 16)
    assert working_time_between(at, due) == timedelta(0)
    assert prewarn_at(at, due) == at + (due - at) * 0.7
    assert scaled_deadline(at, due, 2.0) == at + (due - at) * 2
    # with working time in between, the working clock decides as before
    monday = bj(2026, 11, 30, 10)
    assert scaled_deadline(at, monday, 0.5) == bj(2026, 11, 30, 5)
