"""Give the one clock the ingest and the web read, so tests can move it without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def local_day(at: datetime, tz: ZoneInfo = SHANGHAI) -> date:
    """Return the calendar day of `at` in the display time zone (Beijing time by default)."""
    return at.astimezone(tz).date()


def month_start(at: datetime, tz: ZoneInfo = SHANGHAI) -> date:
    """Return the first day of the month of `at` in the display time zone."""
    return local_day(at, tz).replace(day=1)


def month_start_utc(at: datetime, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Return the UTC moment the local month of `at` began."""
    return day_bounds_utc(month_start(at, tz), tz)[0]


def day_bounds_utc(day: date, tz: ZoneInfo = SHANGHAI) -> tuple[datetime, datetime]:
    """Return the UTC start and end of a local calendar day."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
