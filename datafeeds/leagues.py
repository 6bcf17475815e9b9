"""Rank departments by response (部门响应) and townships by volume (乡镇排名) for the month so far.

口径: 签收时长 = signed − assigned, 办结时长 = resolved − assigned, in calendar hours, medians over the
month's assignments; 按期办结率 = resolved by the resolve deadline / resolved; 超期 = open cases past their
deadline now; 回退 = assignments returned. 化解率 = resolved successfully / resolved.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datafeeds.models import Assignment, Case


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def department_league(conn: Session, since: datetime, now: datetime, limit: int | None = 20) -> list[dict[str, Any]]:
    """Return the departments' response figures since a moment, worst first."""
    sign: dict[str, list[float]] = defaultdict(list)
    resolve: dict[str, list[float]] = defaultdict(list)
    on_time: dict[str, int] = defaultdict(int)
    returns: dict[str, int] = defaultdict(int)
    assigned: dict[str, int] = defaultdict(int)
    rows = conn.execute(select(Assignment.department_code, Assignment.assigned_at, Assignment.signed_at,
                               Assignment.resolved_at, Assignment.resolve_due, Assignment.status)
                        .where(Assignment.assigned_at >= since))
    for dept, at, signed, resolved, due, status in rows:
        assigned[dept] += 1
        if signed is not None:
            sign[dept].append(_hours(at, signed))
        if resolved is not None:
            resolve[dept].append(_hours(at, resolved))
            on_time[dept] += due is None or resolved <= due
        if status == "returned":
            returns[dept] += 1
    overdue: dict[str, int] = {}
    for dept_code, n in conn.execute(
            select(Case.department_code, func.count()).where(Case.is_open.is_(True), Case.resolve_due < now,
                                                             Case.department_code.is_not(None))
            .group_by(Case.department_code)):
        if dept_code is not None:
            overdue[dept_code] = int(n)
    league: list[tuple[tuple[int, float, float, str], dict[str, Any]]] = []
    for dept in set(assigned) | set(overdue):
        resolved_n = len(resolve[dept])
        rate = round(on_time[dept] / resolved_n, 4) if resolved_n else None
        resolve_median = _median(resolve[dept])
        row = {"department": dept, "assigned": assigned[dept], "sign_median_h": _median(sign[dept]),
               "resolve_median_h": resolve_median, "on_time_rate": rate, "overdue": overdue.get(dept, 0),
               "returns": returns[dept]}
        # worst first: most overdue, then lowest on-time rate, then slowest
        key = (-overdue.get(dept, 0), rate if rate is not None else 2.0, -(resolve_median or 0.0), dept)
        league.append((key, row))
    league.sort(key=lambda item: item[0])
    return [row for _, row in league[:limit]]


def township_ranking(conn: Session, since: datetime, now: datetime, limit: int | None = None) -> list[dict[str, Any]]:
    """Return the townships by cases registered since a moment, with 化解率 and overdue cases now."""
    registered = dict(conn.execute(select(Case.township_code, func.count()).where(Case.registered_at >= since)
                                   .group_by(Case.township_code)).all())
    resolved: dict[str, int] = {}
    success: dict[str, int] = {}
    for town, outcome, n in conn.execute(
            select(Case.township_code, Case.outcome, func.count()).where(Case.resolved_at >= since)
            .group_by(Case.township_code, Case.outcome)):
        resolved[town] = resolved.get(town, 0) + n
        if outcome == "success":
            success[town] = success.get(town, 0) + n
    overdue = dict(conn.execute(select(Case.township_code, func.count())
                                .where(Case.is_open.is_(True), Case.resolve_due < now)
                                .group_by(Case.township_code)).all())
    ranking: list[tuple[tuple[int, int, str], dict[str, Any]]] = []
    for town in set(registered) | set(overdue):
        n, late = int(registered.get(town, 0)), int(overdue.get(town, 0))
        rate = round(success.get(town, 0) / resolved[town], 4) if resolved.get(town) else None
        ranking.append(((-n, -late, town),
                        {"township": town, "registered": n, "success_rate": rate, "overdue": late}))
    ranking.sort(key=lambda item: item[0])
    return [row for _, row in ranking[:limit]]


def leagues(conn: Session, since: datetime, now: datetime) -> dict[str, Any]:
    """Return both rankings as the wall shows them."""
    return {"departments": department_league(conn, since, now), "townships": township_ranking(conn, since, now),
            "since": since.isoformat()}
