"""The wall's left column: cases by hour (today vs. yesterday), the 30-day trend, category and source mix.

口径: 分时 = cases registered in each local hour; 近30日 = cases registered and resolved per local day (from
the ingest's daily counts); 类别构成 = cases registered this month per top-level category, with 化解率 =
resolved successfully / resolved this month in that category; 来源渠道 = cases registered this month per
source channel. Aggregates over many cases: the ingest recomputes them on a timer and pushes them, they
do not change per event.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datafeeds.clock import SHANGHAI, day_bounds_utc, local_day, month_start_utc
from datafeeds.models import Case, DailyStat

DAYS = 30


def by_hour(conn: Session, now: datetime, tz: ZoneInfo = SHANGHAI) -> dict[str, list[int]]:
    """Return cases registered per local hour, today (up to now) and yesterday."""
    today = local_day(now, tz)
    start = day_bounds_utc(today - timedelta(days=1), tz)[0]
    today_start = day_bounds_utc(today, tz)[0]
    hours: dict[str, list[int]] = {"today": [0] * 24, "yesterday": [0] * 24}
    for (at,) in conn.execute(select(Case.registered_at).where(Case.registered_at >= start,
                                                               Case.registered_at <= now)):
        local = at.astimezone(tz)
        hours["today" if at >= today_start else "yesterday"][local.hour] += 1
    return hours


def by_day(conn: Session, today: date, days: int = DAYS) -> dict[str, Any]:
    """Return registered and resolved counts of the last `days` local days, today last; gaps are zeros."""
    first = today - timedelta(days=days - 1)
    rows = {r.day: r for r in conn.execute(select(DailyStat).where(DailyStat.day >= first,
                                                                    DailyStat.day <= today)).scalars()}
    span = [first + timedelta(days=i) for i in range(days)]
    return {"days": [d.isoformat() for d in span],
            "registered": [rows[d].registered if d in rows else 0 for d in span],
            "resolved": [rows[d].resolved if d in rows else 0 for d in span]}


def category_mix(conn: Session, since: datetime, limit: int = 6) -> list[dict[str, Any]]:
    """Return the top-level categories by cases registered since a moment, with their 化解率."""
    registered: Counter[str] = Counter()
    for code, n in conn.execute(select(Case.category, func.count()).where(Case.registered_at >= since)
                                .group_by(Case.category)):
        registered[code[:2]] += int(n)
    resolved: Counter[str] = Counter()
    success: Counter[str] = Counter()
    for code, outcome, n in conn.execute(
            select(Case.category, Case.outcome, func.count()).where(Case.resolved_at >= since)
            .group_by(Case.category, Case.outcome)):
        resolved[code[:2]] += int(n)
        if outcome == "success":
            success[code[:2]] += int(n)
    top = sorted(registered.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"category": code, "registered": n,
             "success_rate": round(success[code] / resolved[code], 4) if resolved[code] else None}
            for code, n in top]


def source_mix(conn: Session, since: datetime) -> list[dict[str, Any]]:
    """Return the source channels by cases registered since a moment, most first."""
    rows = conn.execute(select(Case.source_channel, func.count()).where(Case.registered_at >= since)
                        .group_by(Case.source_channel)).all()
    return [{"channel": ch, "registered": int(n)} for ch, n in sorted(rows, key=lambda r: (-r[1], r[0]))]


def trends(conn: Session, now: datetime, tz: ZoneInfo = SHANGHAI) -> dict[str, Any]:
    """Return everything the left column shows, as of `now`."""
    since = month_start_utc(now, tz)
    return {"at": now.isoformat(), "hours": by_hour(conn, now, tz), "days": by_day(conn, local_day(now, tz)),
            "categories": category_mix(conn, since), "sources": source_mix(conn, since),
            "since": since.isoformat()}
