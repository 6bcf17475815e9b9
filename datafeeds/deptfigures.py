"""Figure the departments' and townships' response over a period, for the desk's departments page.

口径 (the wall's league, datafeeds.leagues, over a chosen period instead of the month so far):
- 交办, 回退, 签收时长, 办结时长: over the assignments made in the period (`assigned_at` in it); 回退 = those
  returned; 签收时长 = signed_at − assigned_at and 办结时长 = resolved_at − assigned_at, in calendar hours.
- 按期办结率 = resolved by the assignment's resolve deadline (none set counts as on time) / resolved, over the
  assignments resolved in the period, bucketed by the day or week of resolution: bucketing by assignment
  instead would leave the last weeks only their quick resolutions and draw a rise that is not there.
- 在办, 超期在办: open cases now, and those past their resolve deadline now.
By township, an assignment counts for its case's township. The period is whole local days ending today.

Everything is counted and ranked in SQL, in two statements: one pass over the period's assignments, one count
of the open cases. Python receives a few rows per group (counts, the duration ranks the quantiles need, a count
per bucket), never the period's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Engine,
    Float,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from datafeeds.clock import SHANGHAI
from datafeeds.models import Assignment, Case

PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
Grouping = Literal["department", "township"]
GROUPINGS: tuple[Grouping, ...] = ("department", "township")
# The quantiles a box shows: whiskers at P10 and P90, the box P25–P75, the line at the median.
QUANTILES = (Fraction(1, 10), Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(9, 10))


@dataclass(frozen=True)
class Spread:
    """How one group's durations spread, in hours: their number and P10, P25, median, P75, P90.

    Quantiles interpolate linearly between ranks (statistics.quantiles(method="inclusive"), numpy's default),
    so the median is statistics.median's, as on the wall's league.
    """

    n: int
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float


@dataclass(frozen=True)
class Group:
    """One department's or township's figures over the period, and its open cases now."""

    code: str
    assigned: int = 0
    returned: int = 0
    open_now: int = 0
    overdue_now: int = 0
    sign: Spread | None = None
    resolve: Spread | None = None
    resolved: int = 0
    on_time: int = 0
    # (resolved, on time) in each bucket of the period, oldest first
    buckets: tuple[tuple[int, int], ...] = ()

    @property
    def on_time_rate(self) -> float | None:
        """Return 按期办结率 over the period, or None when nothing was resolved."""
        return self.on_time / self.resolved if self.resolved else None


@dataclass(frozen=True)
class Period:
    """The period: whole local days ending today, cut into days (7 days) or Monday-based weeks."""

    days: int
    since: datetime  # the first day's local midnight, in UTC
    now: datetime
    step: Literal["day", "week"]
    starts: tuple[date, ...]  # each bucket's first local day (the first week may start after a Monday)
    edges: tuple[datetime, ...]  # bucket bounds in UTC: since, …, now

    @property
    def first_day(self) -> date:
        """Return the period's first local day."""
        return self.starts[0]


@dataclass(frozen=True)
class Figures:
    """Every group's figures, worst first, with the whole county's 按期办结率 per bucket."""

    by: Grouping
    period: Period
    groups: tuple[Group, ...]
    total: tuple[tuple[int, int], ...]  # (resolved, on time) per bucket, all groups together


def period(days: int, now: datetime, tz: ZoneInfo = SHANGHAI) -> Period:
    """Return the period of the last `days` local days (today included) and its buckets."""
    if days not in PERIODS:
        raise ValueError(f"days: {days} is not one of {PERIODS}")
    today = now.astimezone(tz).date()
    return between(today - timedelta(days=days - 1), today, now, tz)


def between(first: date, last: date, end: datetime, tz: ZoneInfo = SHANGHAI) -> Period:
    """Return the period of the local days first…last, cut short at `end` (now, for a period that runs to now),
    in days up to a week and in Monday-based weeks beyond (the briefing's periods)."""
    days = (last - first).days + 1
    step: Literal["day", "week"] = "day" if days <= 7 else "week"
    starts = [first]
    while True:
        nxt = starts[-1] + timedelta(days=1) if step == "day" else starts[-1] + timedelta(
            days=7 - starts[-1].weekday())
        if nxt > last:
            break
        starts.append(nxt)
    edges = [datetime.combine(d, time(), tz).astimezone(end.tzinfo) for d in starts] + [end]
    return Period(days, edges[0], end, step, tuple(starts), tuple(edges))


def figures(engine: Engine, by: Grouping, days: int, now: datetime, tz: ZoneInfo = SHANGHAI) -> Figures:
    """Return the figures of every department (or township) with anything in the period or open now."""
    return figures_over(engine, by, period(days, now, tz), now)


def figures_over(engine: Engine, by: Grouping, p: Period, now: datetime) -> Figures:
    """Return the figures of every department (or township) with anything in a period or open now."""
    if by not in GROUPINGS:
        raise ValueError(f"by: {by!r} is not one of {GROUPINGS}")
    n_buckets = len(p.edges) - 1
    counts: dict[str, tuple[int, int]] = {}
    series: dict[str, list[tuple[int, int]]] = {}
    ranks: dict[str, list[tuple[str, int, int, float]]] = {"sign": [], "resolve": []}
    with engine.connect() as conn:
        for kind, g, i1, i2, i3, h in conn.execute(_period_statement(by, p, conn.dialect)):
            if kind == "count":
                counts[g] = (int(i1 or 0), int(i2 or 0))
            elif kind == "bucket":
                series.setdefault(g, [(0, 0)] * n_buckets)[int(i1)] = (int(i2), int(i3 or 0))
            else:
                ranks[kind].append((g, int(i1), int(i2), float(h)))
        now_open = {g: (int(n), int(late or 0)) for g, n, late in conn.execute(_open_now(by, now))}
    sign, resolve = _spreads(ranks["sign"]), _spreads(ranks["resolve"])
    groups = []
    for code in set(counts) | set(series) | set(now_open):
        if not code:  # open cases not assigned to any department
            continue
        buckets = tuple(series.get(code, [(0, 0)] * n_buckets))
        assigned, returned = counts.get(code, (0, 0))
        open_now, overdue_now = now_open.get(code, (0, 0))
        groups.append(Group(code=code, assigned=assigned, returned=returned, open_now=open_now,
                            overdue_now=overdue_now, sign=sign.get(code), resolve=resolve.get(code),
                            resolved=sum(n for n, _ in buckets), on_time=sum(ok for _, ok in buckets),
                            buckets=buckets))
    groups.sort(key=_worst_first)
    total = tuple((sum(g.buckets[i][0] for g in groups), sum(g.buckets[i][1] for g in groups))
                  for i in range(n_buckets))
    return Figures(by, p, tuple(groups), total)


def _worst_first(g: Group) -> tuple[int, float, float, str]:
    # As the wall's league: most overdue, then the lowest on-time rate, then the slowest to resolve.
    rate = g.on_time_rate
    return (-g.overdue_now, rate if rate is not None else 2.0, -(g.resolve.p50 if g.resolve else 0.0), g.code)


def hours_between(start: Any, end: Any, dialect: Dialect) -> ColumnElement[Any]:
    """Return `end − start` in hours as SQL: julianday on SQLite, the epoch of an interval on PostgreSQL."""
    if dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return extract("epoch", end - start) / 3600.0


def _in(column: Any, p: Period) -> ColumnElement[bool]:
    return and_(column >= p.since, column < p.now)


def unindexed(column: Any) -> Any:
    # Grouped by the bare column, SQLite walks the whole table along that column's index to skip a sort: 1.5 s
    # for what a plain scan and a sort of the few rows that match do in 0.15 s (measured at a million cases).
    return func.coalesce(column, literal_column("''"))


def _period_statement(by: Grouping, p: Period, dialect: Dialect) -> Any:
    """Return one statement giving rows of (kind, group, i1, i2, i3, hours):

    - ("count", g, assigned, returned, –, –) for the assignments made in the period;
    - ("bucket", g, bucket, resolved, on time, –) for those resolved in the period, per bucket;
    - ("sign" | "resolve", g, n, rank, –, hours): of each group's n durations in order, just the ranks the
      quantiles interpolate between.
    The period's assignments are read once (a CTE, which SQLite and PostgreSQL materialize when it is read more
    than once): each further pass over the assignments table, and by township over its join to the cases, cost
    as much as the whole statement at a million cases.
    """
    a = Assignment
    inner_edges = p.edges[1:-1]
    bucket = (case(*[(a.resolved_at < edge, i) for i, edge in enumerate(inner_edges)], else_=len(inner_edges))
              if inner_edges else literal_column("0"))
    rows = select(
        unindexed(a.department_code if by == "department" else Case.township_code).label("g"),
        case((_in(a.assigned_at, p), 1), else_=0).label("made"),
        case((a.status == "returned", 1), else_=0).label("returned"),
        hours_between(a.assigned_at, a.signed_at, dialect).label("sign"),
        hours_between(a.assigned_at, a.resolved_at, dialect).label("resolve"),
        case((_in(a.resolved_at, p), bucket), else_=None).label("bucket"),
        case((or_(a.resolve_due.is_(None), a.resolved_at <= a.resolve_due), 1), else_=0).label("ok"),
    ).select_from(a)
    if by == "township":
        rows = rows.join(Case, Case.id == a.case_id)
    cte = rows.where(or_(_in(a.assigned_at, p), _in(a.resolved_at, p))).cte("period_rows")
    no_int, no_hours = cast(null(), Integer), cast(null(), Float)
    parts: list[Any] = [
        select(literal_column("'count'"), cte.c.g, func.sum(cte.c.made), func.sum(cte.c.made * cte.c.returned),
               no_int, no_hours).group_by(cte.c.g),
        select(literal_column("'bucket'"), cte.c.g, cte.c.bucket, func.count(), func.sum(cte.c.ok), no_hours)
        .where(cte.c.bucket.is_not(None)).group_by(cte.c.g, cte.c.bucket),
    ]
    for measure in ("sign", "resolve"):
        hours = cte.c[measure]
        ranked = select(cte.c.g, hours.label("h"),
                        func.row_number().over(partition_by=cte.c.g, order_by=hours).label("rn"),
                        func.count().over(partition_by=cte.c.g).label("n")
                        ).where(cte.c.made == 1, hours.is_not(None)).subquery()
        # A quantile q sits at 0-based rank (n − 1)·q: keep the ranks on either side (integer division floors).
        wanted = []
        for q in QUANTILES:
            k, d = q.numerator, q.denominator
            wanted += [ranked.c.rn - 1 == ((ranked.c.n - 1) * k) // d,
                       ranked.c.rn - 1 == ((ranked.c.n - 1) * k + d - 1) // d]
        parts.append(select(literal_column(f"'{measure}'"), ranked.c.g, ranked.c.n, ranked.c.rn, no_int,
                            ranked.c.h).where(or_(*wanted)))
    return union_all(*parts)


def _spreads(rows: Sequence[tuple[str, int, int, float]]) -> dict[str, Spread]:
    by_group: dict[str, tuple[int, dict[int, float]]] = {}
    for g, n, rn, h in rows:
        by_group.setdefault(g, (n, {}))[1][rn - 1] = h
    out: dict[str, Spread] = {}
    for g, (n, at) in by_group.items():
        values = []
        for q in QUANTILES:
            pos = (n - 1) * q
            lo = pos.numerator // pos.denominator
            frac = pos - lo
            hi = lo + (1 if frac else 0)
            values.append(at[lo] + (at[hi] - at[lo]) * float(frac))
        out[g] = Spread(n, *values)
    return out


def _open_now(by: Grouping, now: datetime) -> Any:
    g = unindexed(Case.department_code if by == "department" else Case.township_code)
    late = func.sum(case((Case.resolve_due < now, 1), else_=0))
    return select(g, func.count(), late).where(Case.is_open.is_(True)).group_by(g)
