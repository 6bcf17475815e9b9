"""Figure a period for the leaders' briefing: headline figures with 环比 and 同比, trend, mixes, rankings, league.

口径 (each is said wherever the figure is shown; layouts/i18n.py holds the wording):
- 受理量: cases registered in the period. 办结量: cases resolved in the period.
- 办结率 = 办结量 / 受理量 of the same period (the wall's 本月办结率, over the period).
- 按期办结率 = cases resolved in the period by their resolve deadline (none set counts as on time) / 办结量.
- 化解率 = cases resolved in the period with a successful outcome / 办结量.
- 回访满意率 = satisfied follow-up visits / visits, over the period's whole local days (visits are counted per day).
- 超期: assignments whose resolve deadline fell in the period and that were neither resolved nor returned nor closed
  by it: a period's missed deadlines, which a past period keeps (where "overdue now" would drift).
- 在办（期末）: cases registered before the period's end and neither resolved nor closed by it.
- 重大/群体性事件: cases registered in the period of grade 特别重大/重大, scale 一般/重大群体性, or flagged group
  (as the wall counts them).
- 环比 compares with the period just before of the same length (to the same point in the day, week or month when
  the period runs to now); 同比 with the same dates a year earlier (for a week: 52 weeks earlier, so weekdays align).
  Counts change in per cent of the earlier figure; rates in percentage points.

Everything is counted in SQL over indexed ranges (registered_at, resolved_at, the assignments' deadlines); Python
receives a few rows per group.
"""

from __future__ import annotations

import calendar
import threading
import time as clock
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, case, false, func, literal_column, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from datafeeds import categories, deptfigures, snapshots
from datafeeds.clock import SHANGHAI
from datafeeds.deptfigures import Group
from datafeeds.masking import mask_text
from datafeeds.models import Assignment, Case, DailyStat, Place
from datafeeds.snapshots import Snapshot

PeriodKind = Literal["today", "week", "month", "last_week", "last_month", "custom"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("today", "week", "month", "last_week", "last_month", "custom")
Step = Literal["hour", "day", "week"]
# The longest custom period: a year and a day (a leap year's whole year).
CUSTOM_MAX_DAYS = 366
# A case open longer than this at the period's end is listed as long-open (长期未结).
LONG_OPEN_DAYS = 30
# How many rows the lists carry: rankings and hot spots, and the case lists.
TOP = 10
CASE_LIST_MAX = 20
# The period's cases drawn on the hot-spot map, newest first.
MAP_MAX = 3000

HEADLINE_KEYS = ("registered", "resolved", "resolution_rate", "on_time_rate", "success_rate", "satisfaction_rate",
                 "overdue", "open_at_end", "major")
RATE_KEYS = frozenset({"resolution_rate", "on_time_rate", "success_rate", "satisfaction_rate"})


class PeriodError(ValueError):
    """A period that cannot be figured (unknown kind, bad or future dates, too long); the message says why."""


@dataclass(frozen=True)
class Span:
    """A stretch of time: [start, end) in UTC, and the local days it covers (last_day inclusive)."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        """Return the number of local days the span touches."""
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class Period:
    """The period a briefing covers, with the spans it is compared against."""

    kind: PeriodKind
    current: Span
    previous: Span  # 环比
    year_ago: Span  # 同比
    step: Step  # the trend's buckets
    now: datetime  # when the figures were read (UTC)
    tz: ZoneInfo = field(default=SHANGHAI, compare=False)

    @property
    def to_now(self) -> bool:
        """Say whether the period runs up to now (its figures are still moving)."""
        return self.current.end >= self.now


@dataclass(frozen=True)
class Figure:
    """One headline figure over the period and the two periods it is compared with.

    A count is an int; a rate is a fraction in [0, 1] with its numerator and denominator, or None when the
    denominator is zero.
    """

    key: str
    value: float | None
    previous: float | None
    year_ago: float | None
    numerator: int | None = None
    denominator: int | None = None

    @property
    def is_rate(self) -> bool:
        """Say whether the figure is a rate (compared in percentage points) rather than a count."""
        return self.key in RATE_KEYS

    def change(self, against: float | None) -> float | None:
        """Return the change from an earlier value: per cent for a count, percentage points for a rate.

        None when either side is unknown, or for a count when the earlier value is zero (no percentage of nothing).
        """
        if self.value is None or against is None:
            return None
        if self.is_rate:
            return (self.value - against) * 100.0
        if against == 0:
            return None
        return (self.value - against) / against * 100.0

    @property
    def mom(self) -> float | None:
        """Return 环比: the change against the previous period."""
        return self.change(self.previous)

    @property
    def yoy(self) -> float | None:
        """Return 同比: the change against the same period a year earlier."""
        return self.change(self.year_ago)


@dataclass(frozen=True)
class Share:
    """One group's cases registered in the period (a category, source, township or village), and before."""

    code: str
    n: int
    previous: int
    year_ago: int = 0

    @property
    def rise(self) -> int:
        """Return the rise in cases over the previous period (negative for a fall)."""
        return self.n - self.previous


@dataclass(frozen=True)
class TrendPoint:
    """One bucket of the trend: its local start, the cases registered and resolved in it, and the previous
    period's registered in its matching bucket (the same offset from the start)."""

    start: datetime  # local
    registered: int
    resolved: int
    previous_registered: int


@dataclass(frozen=True)
class DeptLine:
    """One department in the league: deptfigures' figures over the period, plus its missed deadlines (超期)."""

    group: Group
    overdue: int  # assignments whose resolve deadline fell in the period and passed unmet

    @property
    def code(self) -> str:
        """Return the department's code."""
        return self.group.code


@dataclass(frozen=True)
class CaseLine:
    """One case in a list (major incidents, long-open, red cards), its title already masked."""

    case_no: str
    title: str
    category: str
    township: str
    village: str | None
    state: str
    department: str | None
    registered_at: datetime
    resolve_due: datetime | None
    supervision: str
    grade: str
    scale: str
    is_group: bool
    people_involved: int
    is_open: bool


@dataclass(frozen=True)
class Briefing:
    """Everything a briefing shows for one period."""

    period: Period
    generated_at: datetime  # UTC
    headline: Mapping[str, Figure]  # by HEADLINE_KEYS
    trend: tuple[TrendPoint, ...]
    categories: tuple[Share, ...]  # top-level category, most first
    sources: tuple[Share, ...]  # most first
    townships: tuple[Share, ...]  # every township with cases in either period, most first
    villages: tuple[Share, ...]  # the hot spots: the TOP villages, most first
    departments: tuple[DeptLine, ...]  # worst first (deptfigures' order)
    majors: tuple[CaseLine, ...]  # major and group incidents registered in the period, newest first
    long_open: tuple[CaseLine, ...]  # open at the period's end for over LONG_OPEN_DAYS, oldest first
    red_cards: tuple[CaseLine, ...]  # open now under 红牌督办, oldest first
    map_cases: tuple[Mapping[str, Any], ...]  # the period's cases for the hot-spot map (foliummap's case shape)
    map_truncated: bool = False  # more than MAP_MAX cases: the map shows the newest MAP_MAX
    snapshots: tuple[Snapshot, ...] = ()  # frozen walls taken in the period, newest first


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


def _year_earlier(day: date) -> date:
    # 29 February a year earlier is the 28th.
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


def _span(start: datetime, end: datetime, tz: ZoneInfo) -> Span:
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    last = (local_end - timedelta(microseconds=1)).date() if end > start else local_start.date()
    return Span(start.astimezone(UTC), end.astimezone(UTC), local_start.date(), last)


def period(kind: str, now: datetime, tz: ZoneInfo = SHANGHAI, first: date | None = None,
           last: date | None = None) -> Period:
    """Return the period of a kind as of now: today, this week (from Monday), this month, last week, last month,
    or a custom range of whole local days [first, last] (last at most today; today runs to now)."""
    if kind not in PERIOD_KINDS:
        raise PeriodError(f"period: {kind!r} is not one of {', '.join(PERIOD_KINDS)}")
    local_now = now.astimezone(tz)
    today = local_now.date()
    elapsed = local_now - _midnight(today, tz)
    step: Step = "day"
    if kind == "today":
        start, end = _midnight(today, tz), now
        prev = (start - timedelta(days=1), end - timedelta(days=1))
        ya_day = _year_earlier(today)
        ya = (_midnight(ya_day, tz), _midnight(ya_day, tz) + elapsed)
        step = "hour"
    elif kind in ("week", "last_week"):
        monday = today - timedelta(days=today.weekday())
        if kind == "week":
            start, end = _midnight(monday, tz), now
        else:
            start, end = _midnight(monday - timedelta(days=7), tz), _midnight(monday, tz)
        prev = (start - timedelta(days=7), end - timedelta(days=7))
        ya = (start - timedelta(days=364), end - timedelta(days=364))
    elif kind in ("month", "last_month"):
        first_of = today.replace(day=1)
        if kind == "last_month":
            first_of = (first_of - timedelta(days=1)).replace(day=1)
            start = _midnight(first_of, tz)
            end = _midnight(today.replace(day=1), tz)
            run = None
        else:
            start, end = _midnight(first_of, tz), now
            run = (today - first_of, elapsed)
        prev_first = (first_of - timedelta(days=1)).replace(day=1)
        prev = _month_like(prev_first, run, tz)
        ya = _month_like(_year_earlier(first_of), run, tz)
    else:
        if first is None or last is None:
            raise PeriodError("period: a custom period needs its first and last day")
        if first > last:
            raise PeriodError(f"period: the first day {first} is after the last day {last}")
        if last > today:
            raise PeriodError(f"period: the last day {last} is after today {today}")
        days = (last - first).days + 1
        if days > CUSTOM_MAX_DAYS:
            raise PeriodError(f"period: {days} days is longer than {CUSTOM_MAX_DAYS}")
        start = _midnight(first, tz)
        end = min(_midnight(last + timedelta(days=1), tz), now)
        prev = (start - timedelta(days=days), end - timedelta(days=days))
        ya = (_midnight(_year_earlier(first), tz),
              _midnight(_year_earlier(first), tz) + (end - start))
        step = "hour" if days == 1 else ("day" if days <= 62 else "week")
    return Period(kind=kind, current=_span(start, end, tz), previous=_span(*prev, tz), year_ago=_span(*ya, tz),
                  step=step, now=now, tz=tz)


def _month_like(first_of: date, run: tuple[timedelta, timedelta] | None, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return a month's span: the whole month, or its first days run as far as this month has (clipped to it)."""
    start = _midnight(first_of, tz)
    month_end = _midnight(first_of + timedelta(days=calendar.monthrange(first_of.year, first_of.month)[1]), tz)
    if run is None:
        return start, month_end
    days, elapsed = run
    return start, min(_midnight(first_of + days, tz) + elapsed, month_end)


def parse_period(args: Mapping[str, str], now: datetime, tz: ZoneInfo = SHANGHAI) -> Period:
    """Return the period a URL query or command line names: `period` (default week), and for custom `from`/`to`
    as YYYY-MM-DD."""
    kind = (args.get("period") or "week").replace("-", "_")
    first = last = None
    if kind == "custom":
        try:
            first = date.fromisoformat(args.get("from") or "")
            last = date.fromisoformat(args.get("to") or "")
        except ValueError as exc:
            raise PeriodError(f"period: custom dates must be YYYY-MM-DD ({exc})") from None
    return period(kind, now, tz, first, last)


def query_of(p: Period) -> dict[str, str]:
    """Return the URL query that names a period (parse_period's inverse)."""
    out: dict[str, str] = {"period": p.kind}
    if p.kind == "custom":
        out["from"] = p.current.first_day.isoformat()
        out["to"] = p.current.last_day.isoformat()
    return out


def shares(rows: Sequence[tuple[str, int, int, int]]) -> tuple[Share, ...]:
    """Return groups' shares most first (then by code), from rows of (code, n, previous, year ago)."""
    return tuple(Share(code, n, prev, ya) for code, n, prev, ya in sorted(rows, key=lambda r: (-r[1], -r[2], r[0])))


# --- reading the store ---------------------------------------------------------------------------------------------

def _in(column: Any, span: Span) -> ColumnElement[bool]:
    return and_(column >= span.start, column < span.end)


def _major() -> ColumnElement[bool]:
    # wallstate.LiveCase.is_major, as the wall and the desk's "major" filter count them
    return or_(Case.grade.in_(("01", "02")), Case.scale.in_(("02", "03")), Case.is_group.is_(True))


def _on_time() -> ColumnElement[bool]:
    return or_(Case.resolve_due.is_(None), Case.resolved_at <= Case.resolve_due)


def _open_at(end: datetime) -> ColumnElement[bool]:
    """Return the condition of a case registered before `end` and neither resolved nor closed by it."""
    return and_(Case.registered_at < end, or_(Case.resolved_at.is_(None), Case.resolved_at >= end),
                or_(Case.closed_at.is_(None), Case.closed_at >= end))


def _count_open_at(conn: Connection, end: datetime) -> int:
    """Return how many cases were open at `end`, in three indexed counts (_open_at read as one condition walks every
    case registered before `end`: 9 s at a million on SQLite): those open now and registered before it, and those
    closed since, found by their resolution or closing time after it."""
    open_now = conn.execute(select(func.count()).where(Case.is_open.is_(True), Case.registered_at < end)).scalar_one()
    # (a resolved case closes after its resolution, so one resolved since was not closed before either)
    resolved_since = conn.execute(select(func.count()).where(Case.resolved_at >= end, Case.registered_at < end)
                                  ).scalar_one()
    # (closed with no resolution: referred or terminated, never open again)
    closed_since = conn.execute(select(func.count()).where(
        Case.closed_at >= end, Case.resolved_at.is_(None), Case.registered_at < end)).scalar_one()
    return int(open_now) + int(resolved_since) + int(closed_since)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _span_counts(conn: Connection, span: Span, now: datetime) -> dict[str, int]:
    """Return one span's counts: registered, major, resolved, on time, successful, open at its end, 超期, visits."""
    registered, major = conn.execute(select(func.count(), _count_if(_major()))
                                     .where(_in(Case.registered_at, span))).one()
    resolved, on_time, success = conn.execute(
        select(func.count(), _count_if(_on_time()), _count_if(Case.outcome == "success"))
        .where(_in(Case.resolved_at, span))).one()
    open_at_end = _count_open_at(conn, span.end)
    a = Assignment
    # 超期: a deadline that fell in the span (and has passed) unmet by resolution, return or closing of the case.
    due_by = min(span.end, now)
    overdue = conn.execute(
        select(func.count()).select_from(a).join(Case, Case.id == a.case_id)
        .where(a.resolve_due >= span.start, a.resolve_due < due_by,
               or_(a.resolved_at.is_(None), a.resolved_at > a.resolve_due),
               or_(a.returned_at.is_(None), a.returned_at > a.resolve_due),
               or_(Case.closed_at.is_(None), Case.closed_at > a.resolve_due))).scalar_one()
    visited, satisfied = conn.execute(
        select(func.coalesce(func.sum(DailyStat.visited), 0), func.coalesce(func.sum(DailyStat.satisfied), 0))
        .where(DailyStat.day >= span.first_day, DailyStat.day <= span.last_day)).one()
    return {"registered": int(registered), "major": int(major), "resolved": int(resolved),
            "on_time": int(on_time), "success": int(success), "open_at_end": int(open_at_end),
            "overdue": int(overdue), "visited": int(visited), "satisfied": int(satisfied)}


def _rate(n: int, d: int) -> float | None:
    return n / d if d else None


def _headline(spans: tuple[dict[str, int], dict[str, int], dict[str, int]]) -> dict[str, Figure]:
    cur, prev, ya = spans
    out: dict[str, Figure] = {}
    for key in ("registered", "resolved", "overdue", "open_at_end", "major"):
        out[key] = Figure(key, cur[key], prev[key], ya[key])
    for key, num, den in (("resolution_rate", "resolved", "registered"), ("on_time_rate", "on_time", "resolved"),
                          ("success_rate", "success", "resolved"), ("satisfaction_rate", "satisfied", "visited")):
        out[key] = Figure(key, _rate(cur[num], cur[den]), _rate(prev[num], prev[den]), _rate(ya[num], ya[den]),
                          numerator=cur[num], denominator=cur[den])
    return {key: out[key] for key in HEADLINE_KEYS}


def _grouped(conn: Connection, key: Any, p: Period) -> list[tuple[str, int, int, int]]:
    """Return (group, registered in the period, in the previous period, a year earlier) for every group.

    One count per span, each over its range of the registration index: one statement over the three ranges ORed
    walks far more. The key is wrapped (deptfigures.unindexed) so SQLite does not walk the key's own index whole
    to skip a sort of a few thousand rows.
    """
    out: dict[str, list[int]] = {}
    g = deptfigures.unindexed(key).label("g")
    for i, span in enumerate((p.current, p.previous, p.year_ago)):
        for code, n in conn.execute(select(g, func.count()).where(_in(Case.registered_at, span))
                                    .group_by(literal_column("g"))):
            if code:
                out.setdefault(str(code), [0, 0, 0])[i] = int(n)
    return [(code, n, prev, ya) for code, (n, prev, ya) in out.items()]


def _edges(p: Period) -> list[datetime]:
    """Return the trend's bucket starts in the current period (UTC), by hour, local day or Monday-based week."""
    span, tz = p.current, p.tz
    if p.step == "hour":
        out, t = [], span.start
        while t < span.end:
            out.append(t)
            t += timedelta(hours=1)
        return out
    days = deptfigures.between(span.first_day, span.last_day, span.end, tz)
    if p.step == "day":
        return [_midnight(span.first_day + timedelta(days=i), tz).astimezone(span.start.tzinfo)
                for i in range(span.days)]
    return list(days.edges[:-1])


def _bucket_counts(conn: Connection, column: Any, starts: list[datetime], end: datetime) -> list[int]:
    """Return how many cases have `column` in each bucket [starts[i], starts[i+1]) (the last ends at `end`)."""
    if not starts:
        return []
    bucket = case(*[(column < edge, i) for i, edge in enumerate(starts[1:])], else_=len(starts) - 1)
    counts = [0] * len(starts)
    for i, n in conn.execute(select(bucket.label("b"), func.count())
                             .where(column >= starts[0], column < end).group_by(literal_column("b"))):
        counts[int(i)] = int(n)
    return counts


def _trend(conn: Connection, p: Period) -> tuple[TrendPoint, ...]:
    starts = _edges(p)
    registered = _bucket_counts(conn, Case.registered_at, starts, p.current.end)
    resolved = _bucket_counts(conn, Case.resolved_at, starts, p.current.end)
    # The previous period's matching buckets: the same offsets from its own start.
    shift = p.current.start - p.previous.start
    before = _bucket_counts(conn, Case.registered_at, [s - shift for s in starts], p.previous.end)
    return tuple(TrendPoint(s.astimezone(p.tz), r, d, b) for s, r, d, b in zip(starts, registered, resolved, before,
                                                                                strict=True))


_CASE_LINE_COLUMNS = (Case.case_no, Case.title, Case.parties, Case.category, Case.township_code, Case.village_code,
                      Case.state, Case.department_code, Case.registered_at, Case.resolve_due, Case.supervision,
                      Case.grade, Case.scale, Case.is_group, Case.people_involved, Case.is_open)


def _case_lines(conn: Connection, where: ColumnElement[bool], order: Any) -> tuple[CaseLine, ...]:
    rows = conn.execute(select(*_CASE_LINE_COLUMNS).where(where).order_by(order, Case.id)
                        .limit(CASE_LIST_MAX)).all()
    return tuple(CaseLine(case_no=r.case_no, title=_masked(r.title, r.parties), category=r.category,
                          township=r.township_code, village=r.village_code, state=r.state,
                          department=r.department_code, registered_at=r.registered_at, resolve_due=r.resolve_due,
                          supervision=r.supervision, grade=r.grade, scale=r.scale, is_group=bool(r.is_group),
                          people_involved=int(r.people_involved or 0), is_open=bool(r.is_open)) for r in rows)


def _masked(title: str, parties: Any) -> str:
    return mask_text(title or "", [str(party.get("name") or "") for party in parties or [] if isinstance(party, dict)])


_MAP_COLUMNS = (Case.case_no, Case.title, Case.parties, Case.category, Case.township_code, Case.village_code,
                Case.state, Case.is_open, Case.lat, Case.lon, Case.grade, Case.scale, Case.is_group, Case.supervision,
                Case.resolve_due)


def map_risk(row: Any, now: datetime) -> str:
    """Return a period map's pin colour class for a case as it stands now: major (重大/群体性), overdue (open past its
    deadline, or under 红牌), warning (open under 黄牌) or normal. Unlike the wall's (datafeeds.wallstate.risk, open
    cases only), a resolved case is normal, and 临期 is not worked out: the period map shows where, not what is due."""
    if row.grade in ("01", "02") or row.scale in ("02", "03") or row.is_group:
        return "major"
    if not row.is_open:
        return "normal"
    if row.supervision == "red" or (row.resolve_due is not None and now >= row.resolve_due):
        return "overdue"
    return "warning" if row.supervision == "yellow" else "normal"


def _map_cases(conn: Connection, p: Period) -> tuple[tuple[dict[str, Any], ...], bool]:
    """Return the period's cases as the map pins them (sensitive categories at their village's centroid, as on the
    wall), masked, newest first, at most MAP_MAX, and whether there were more."""
    centroids = {code: (lat, lon) for code, lat, lon in
                 conn.execute(select(Place.code, Place.lat, Place.lon).where(Place.tier == "06"))}
    sensitive = frozenset(c.code for c in categories.all_categories() if c.sensitive)
    rows = conn.execute(select(*_MAP_COLUMNS).where(_in(Case.registered_at, p.current))
                        .order_by(Case.registered_at.desc(), Case.id.desc()).limit(MAP_MAX + 1)).all()
    out = []
    for row in rows[:MAP_MAX]:
        lat, lon = row.lat, row.lon
        if (row.category in sensitive or row.category[:2] in sensitive) and row.village_code in centroids:
            lat, lon = centroids[row.village_code]
        out.append({"case_no": row.case_no, "title": _masked(row.title, row.parties), "parties": [],
                    "category": row.category, "township": row.township_code, "state": row.state,
                    "risk": map_risk(row, p.now), "lat": round(lat, 5), "lon": round(lon, 5)})
    return tuple(out), len(rows) > MAP_MAX


def _dept_overdue(conn: Connection, span: Span, now: datetime) -> dict[str, int]:
    a = Assignment
    rows = conn.execute(
        select(a.department_code, func.count()).select_from(a).join(Case, Case.id == a.case_id)
        .where(a.resolve_due >= span.start, a.resolve_due < min(span.end, now),
               or_(a.resolved_at.is_(None), a.resolved_at > a.resolve_due),
               or_(a.returned_at.is_(None), a.returned_at > a.resolve_due),
               or_(Case.closed_at.is_(None), Case.closed_at > a.resolve_due))
        .group_by(a.department_code)).all()
    return {str(code): int(n) for code, n in rows}


def _snapshots(engine: Engine, span: Span) -> tuple[Snapshot, ...]:
    # A briefing cites the frozen walls (time, who, note, figures); their pins stay on their own page.
    return tuple(snapshots.between(engine, span.start, span.end, with_pins=False))


def build(engine: Engine, p: Period, *, generated_at: datetime | None = None) -> Briefing:
    """Return the briefing of a period, read from the store (titles masked as on the wall)."""
    generated_at = generated_at or p.now
    span = p.current
    with engine.connect() as conn:
        headline = _headline((_span_counts(conn, span, p.now), _span_counts(conn, p.previous, p.now),
                              _span_counts(conn, p.year_ago, p.now)))
        trend = _trend(conn, p)
        top = func.substr(Case.category, 1, 2)
        cats = shares(_grouped(conn, top, p))
        srcs = shares(_grouped(conn, Case.source_channel, p))
        towns = shares(_grouped(conn, Case.township_code, p))
        villages = shares([r for r in _grouped(conn, Case.village_code, p) if r[1] > 0])[:TOP]
        late = _dept_overdue(conn, span, p.now)
        majors = _case_lines(conn, and_(_in(Case.registered_at, span), _major()), Case.registered_at.desc())
        long_open = _case_lines(conn, and_(_open_at(span.end),
                                           Case.registered_at < span.end - timedelta(days=LONG_OPEN_DAYS)),
                                Case.registered_at)
        # supervision != 'none' is spelled as the partial index of cases under 督办 has it, so that index is used;
        # is_open is wrapped so that SQLite, which has no statistics, does not pick the open cases' index instead.
        red = _case_lines(conn, and_(Case.supervision != "none", Case.supervision == "red",
                                     func.coalesce(Case.is_open, false()).is_(True)), Case.registered_at)
        map_cases, truncated = _map_cases(conn, p)
    league = deptfigures.figures_over(engine, "department",
                                      deptfigures.between(span.first_day, span.last_day, span.end, p.tz), p.now)
    codes = {g.code for g in league.groups} | set(late)
    groups = {g.code: g for g in league.groups}
    departments = tuple(DeptLine(groups.get(code) or Group(code=code), late.get(code, 0))
                        for code in sorted(codes, key=lambda c: _league_order(groups.get(c), late.get(c, 0), c)))
    return Briefing(period=p, generated_at=generated_at, headline=headline, trend=trend, categories=cats,
                    sources=srcs, townships=tuple(t for t in towns if t.n or t.previous), villages=villages,
                    departments=departments, majors=majors, long_open=long_open, red_cards=red,
                    map_cases=map_cases, map_truncated=truncated, snapshots=_snapshots(engine, span))


def _league_order(g: Group | None, overdue: int, code: str) -> tuple[int, float, float, str]:
    # Worst first: most deadlines missed in the period, then the lowest on-time rate, then the slowest median.
    rate = g.on_time_rate if g else None
    return (-overdue, rate if rate is not None else 2.0, -(g.resolve.p50 if g and g.resolve else 0.0), code)


class Recent:
    """Keep one store's briefings read in the last minute, so the page, its map frame and an export clicked right
    after read the store once between them (a month at a million cases is a second of queries).

    A period that runs to now is served from a briefing at most `to_now_age` old: its figures say when they were
    read (截至 HH:MM). A closed period keeps for `closed_age`: events that arrive late still change it.
    """

    def __init__(self, to_now_age: float = 60.0, closed_age: float = 300.0, size: int = 32) -> None:
        self.to_now_age, self.closed_age, self.size = to_now_age, closed_age, size
        self._lock = threading.Lock()
        self._kept: dict[tuple[Any, ...], tuple[float, Briefing]] = {}

    def get(self, engine: Engine, p: Period) -> Briefing:
        """Return the briefing of a period: a recent one of the same period, else one read now."""
        to_now = p.to_now
        key = (p.kind, p.current.start, None if to_now else p.current.end)
        now = clock.monotonic()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[0] <= (self.to_now_age if to_now else self.closed_age):
            return kept[1]
        b = build(engine, p)
        with self._lock:
            self._kept[key] = (now, b)
            if len(self._kept) > self.size:  # drop the oldest
                del self._kept[min(self._kept, key=lambda k: self._kept[k][0])]
        return b

    def clear(self) -> None:
        """Forget every kept briefing (something a briefing shows has just changed: a wall was frozen)."""
        with self._lock:
            self._kept.clear()
