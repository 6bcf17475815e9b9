"""Shape what the wall shows (pins, counters, ticker rows, alerts) the same way in the ingest and the snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from datafeeds.deadlines import prewarn_at
from datafeeds.lifecycle import OPEN_STATES
from datafeeds.masking import mask_text

PREWARN_SHARE = 0.7


@dataclass(slots=True)
class LiveCase:
    """The part of a case the ingest keeps in memory while it can still change."""

    id: int
    case_no: str
    state: str
    category: str
    grade: str
    scale: str
    is_group: bool
    urgent: bool
    township: str
    village: str | None
    lat: float
    lon: float
    registered_at: datetime
    department: str | None = None
    supervision: str = "none"
    escalated: bool = False
    returns: int = 0
    sign_due: datetime | None = None
    resolve_due: datetime | None = None
    assigned_at: datetime | None = None
    signed_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    resolution_method: str | None = None
    satisfaction: str | None = None
    assignment_id: int | None = None
    last_seq: int = 0
    prewarn_at: datetime | None = None  # derived: when 70 % of the allowed working time has passed
    outside: bool = False  # the position lies outside the county's polygons (kept and flagged)

    @property
    def is_open(self) -> bool:
        """Say whether the case counts as 在办."""
        return self.state in OPEN_STATES

    @property
    def is_major(self) -> bool:
        """Say whether the case is a major (重大) or group (群体性) incident."""
        return self.grade in ("01", "02") or self.scale in ("02", "03") or self.is_group


def risk(case: LiveCase, now: datetime) -> str:
    """Return the pin colour class: major, overdue, warning (临期/黄牌) or normal."""
    if case.is_major:
        return "major"
    if case.supervision == "red" or (case.resolve_due is not None and now >= case.resolve_due):
        return "overdue"
    if case.supervision == "yellow" or is_prewarned(case, now):
        return "warning"
    return "normal"


def set_prewarn(case: LiveCase, fraction: float = PREWARN_SHARE) -> None:
    """Work out when the case's pre-warning (临期) fires: at 70 % of its allowed working time."""
    if case.assigned_at is None or case.resolve_due is None:
        case.prewarn_at = None
    else:
        case.prewarn_at = prewarn_at(case.assigned_at, case.resolve_due, fraction)


def is_prewarned(case: LiveCase, now: datetime) -> bool:
    """Say whether an open case is past its pre-warning but not yet overdue (临期)."""
    return (case.is_open and case.prewarn_at is not None and now >= case.prewarn_at
            and not is_overdue(case, now))


def is_overdue(case: LiveCase, now: datetime) -> bool:
    """Say whether an open case is past its resolve deadline (超期在办)."""
    return case.is_open and case.resolve_due is not None and now >= case.resolve_due


def pin(case: LiveCase, now: datetime, centroids: dict[str, tuple[float, float]],
        sensitive: frozenset[str]) -> dict[str, Any]:
    """Return the wall's pin of an open case; sensitive categories sit at their village's centroid."""
    lat, lon = case.lat, case.lon
    if (case.category in sensitive or case.category[:2] in sensitive) and case.village in centroids:
        lat, lon = centroids[case.village]
    return {
        "case_no": case.case_no,
        "lat": round(lat, 5),
        "lon": round(lon, 5),
        "state": case.state,
        "risk": risk(case, now),
        "category": case.category,
        "township": case.township,
        "supervision": case.supervision,
        "registered_at": case.registered_at.astimezone(UTC).isoformat(),
        "outside": case.outside,
    }


@dataclass(slots=True)
class DayCounts:
    """Counts of one local day (or, summed, of a month)."""

    registered: int = 0
    resolved: int = 0
    resolved_success: int = 0
    visited: int = 0
    satisfied: int = 0

    def add(self, other: DayCounts) -> None:
        """Add another day's counts to these."""
        self.registered += other.registered
        self.resolved += other.resolved
        self.resolved_success += other.resolved_success
        self.visited += other.visited
        self.satisfied += other.satisfied


@dataclass(slots=True)
class OpenFigures:
    """Figures of the cases open now: 在办, 超期在办, 黄牌/红牌督办 and active major incidents."""

    open: int = 0
    overdue: int = 0
    warning: int = 0
    yellow: int = 0
    red: int = 0
    major: int = 0


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# Figures whose change since yesterday is measured against yesterday's close (the figures the ingest last
# recorded that day); 今日受理 and 今日办结 compare with yesterday's whole day instead.
CLOSE_KEYS = ("open", "overdue", "warning", "yellow", "red", "major", "month_resolution_rate", "success_rate",
              "satisfaction_rate")


def since_close(figures: Mapping[str, Any], close: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return each figure's change since yesterday's close (None where either side is unknown)."""
    out: dict[str, Any] = {}
    for key in CLOSE_KEYS:
        now, then = figures.get(key), (close or {}).get(key)
        if now is None or then is None:
            out[key] = None
        elif isinstance(now, float) or isinstance(then, float):
            out[key] = round(float(now) - float(then), 4)
        else:
            out[key] = int(now) - int(then)
    return out


def counters(now_open: OpenFigures, today: DayCounts, yesterday: DayCounts, month: DayCounts,
             day: date, close: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the headline counters (口径 of DOMAIN.md) with the change since yesterday.

    Rates are over the calendar month so far (None when nothing was counted yet): 本月办结率 =
    resolved / registered, 化解率 = resolved successfully / resolved, 回访满意率 = satisfied / visited.
    `since_close` holds the change of the other figures since yesterday's close (rates in fractions).
    """
    figures = {
        "day": day.isoformat(),
        "today_registered": today.registered,
        "today_registered_delta": today.registered - yesterday.registered,
        "open": now_open.open,
        "today_resolved": today.resolved,
        "today_resolved_delta": today.resolved - yesterday.resolved,
        "month_resolution_rate": _rate(month.resolved, month.registered),
        "success_rate": _rate(month.resolved_success, month.resolved),
        "overdue": now_open.overdue,
        "warning": now_open.warning,
        "yellow": now_open.yellow,
        "red": now_open.red,
        "major": now_open.major,
        "satisfaction_rate": _rate(month.satisfied, month.visited),
    }
    figures["since_close"] = since_close(figures, close)
    return figures


WARNING_ORDER = {"red": 0, "group": 1, "major": 2, "overdue": 3, "prewarn": 4}


def warning_list(cases: Iterable[LiveCase], now: datetime, limit: int = 12) -> list[dict[str, Any]]:
    """Return the wall's warning list: red cards, group and major incidents, then 临期 cases; worst first."""
    rows: list[tuple[tuple[int, str, str], dict[str, Any]]] = []
    for c in cases:
        if not c.is_open:
            continue
        kind: str
        if c.supervision == "red":
            kind = "red"
        elif c.is_group or c.scale in ("02", "03"):
            kind = "group"
        elif c.is_major:
            kind = "major"
        elif is_overdue(c, now):
            kind = "overdue"
        elif is_prewarned(c, now):
            kind = "prewarn"
        else:
            continue
        due = c.resolve_due.astimezone(UTC).isoformat() if c.resolve_due else None
        row = {"case_no": c.case_no, "kind": kind, "township": c.township, "category": c.category,
               "due": due, "registered_at": c.registered_at.astimezone(UTC).isoformat()}
        rows.append(((WARNING_ORDER[kind], due or "9999", c.case_no), row))
    rows.sort(key=lambda r: r[0])
    return [row for _, row in rows[:limit]]


def ticker_row(seq: int, event_id: str, type_: str, at: datetime, case_no: str | None,
               township: str | None, category: str | None, department: str | None) -> dict[str, Any]:
    """Return one masked ticker row (codes only; the browser shows names in its language)."""
    return {
        "seq": seq,
        "id": event_id,
        "type": type_,
        "at": at.astimezone(UTC).isoformat(),
        "case_no": case_no,
        "township": township,
        "category": category,
        "department": department,
    }


def alert_row(alert_id: str, level: str, title: str, township: str | None, case_no: str | None,
              category: str | None, raised_at: datetime, parties: Iterable[Any] | None = None) -> dict[str, Any]:
    """Return one wall alert, its title masked with the names of its case's parties (as stored) when known."""
    # The title is free text from a publisher: masked here whatever the publisher did (DOMAIN.md), while the
    # stored alert keeps it as sent for the signed-in views that may unmask.
    names = [p["name"] for p in parties or () if isinstance(p, dict) and isinstance(p.get("name"), str)]
    return {"alert_id": alert_id, "level": level, "title": mask_text(title, names), "township": township,
            "case_no": case_no, "category": category, "raised_at": raised_at.astimezone(UTC).isoformat()}


def yesterday_of(day: date) -> date:
    """Return the day before."""
    return day - timedelta(days=1)


def merge_deltas(deltas: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge consecutive deltas into one (later values win, pins and ticker combined)."""
    first, last = deltas[0], deltas[-1]
    pins: dict[str, dict[str, Any] | None] = {}
    ticker: list[dict[str, Any]] = []
    raised: list[dict[str, Any]] = []
    cleared: list[str] = []
    for d in deltas:
        for p in d["pins"]["upsert"]:
            pins[p["case_no"]] = p
        for case_no in d["pins"]["remove"]:
            pins[case_no] = None
        ticker.extend(d["ticker"])
        raised.extend(d["alerts"]["raised"])
        cleared.extend(d["alerts"]["cleared"])
    return {
        **last,
        "prev": first["prev"],
        "events": sum(d["events"] for d in deltas),
        "pins": {"upsert": [p for p in pins.values() if p is not None],
                 "remove": [k for k, p in pins.items() if p is None]},
        "ticker": ticker[-max(len(last["ticker"]), 40):],
        "alerts": {"raised": raised, "cleared": cleared},
        "cases": sorted({n for d in deltas for n in d.get("cases", ())}),
    }
