"""Read what the web shows from the store: the wall's snapshot, names, health."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from datafeeds import categories
from datafeeds.clock import SHANGHAI, local_day, month_start_utc
from datafeeds.coords import geojson_to_gcj02, wgs84_to_gcj02
from datafeeds.leagues import leagues
from datafeeds.lifecycle import OPEN_STATES
from datafeeds.models import Alert, Case, CaseEvent, DailyFigures, DailyStat, DeadLetter, Department, IngestState, Place
from datafeeds.rows import live_from_row
from datafeeds.sources import stored_sources
from datafeeds.trends import trends
from datafeeds.wallstate import (
    DayCounts,
    OpenFigures,
    alert_row,
    counters,
    is_overdue,
    is_prewarned,
    pin,
    ticker_row,
    warning_list,
)


class SnapshotRace(RuntimeError):
    """The store kept changing while a snapshot was read."""


def snapshot(engine: Engine, now: datetime, *, tz: ZoneInfo = SHANGHAI, ticker_size: int = 40,
             tries: int = 8) -> dict[str, Any]:
    """Return the wall's whole state at one global seq.

    Reads optimistically: the seq is read before and after; a write in between means read again.
    """
    for _ in range(tries):
        with Session(engine) as conn:
            before = store_seq(conn)
            state = _read_wall(conn, now, tz, ticker_size)
            after = store_seq(conn)
        if before == after:
            state["seq"] = after
            return state
    raise SnapshotRace(f"the store changed during {tries} reads")


def store_seq(conn: Session) -> int:
    """Return the global seq of the last batch the store holds."""
    return conn.execute(select(IngestState.seq).where(IngestState.id == 1)).scalar() or 0



def _read_wall(conn: Session, now: datetime, tz: ZoneInfo, ticker_size: int) -> dict[str, Any]:
    centroids = {code: (lat, lon) for code, lat, lon in
                 conn.execute(select(Place.code, Place.lat, Place.lon).where(Place.tier == "06"))}
    sensitive = frozenset(c.code for c in categories.all_categories() if c.sensitive)
    open_cases = [live_from_row(c) for c in conn.execute(select(Case).where(Case.state.in_(OPEN_STATES))).scalars()]
    today = local_day(now, tz)
    this, yesterday, month = day_figures(conn, today)
    figures = OpenFigures(open=len(open_cases), overdue=sum(1 for c in open_cases if is_overdue(c, now)),
                          warning=sum(1 for c in open_cases if is_prewarned(c, now)),
                          yellow=sum(1 for c in open_cases if c.supervision == "yellow"),
                          red=sum(1 for c in open_cases if c.supervision == "red"),
                          major=sum(1 for c in open_cases if c.is_major))
    ticker_rows = conn.execute(
        select(CaseEvent.seq, CaseEvent.event_id, CaseEvent.type, CaseEvent.at, Case.case_no,
               Case.township_code, Case.category, CaseEvent.department_code)
        .join(Case, Case.id == CaseEvent.case_id)
        .order_by(CaseEvent.seq.desc()).limit(ticker_size)
    ).all()
    alerts = conn.execute(select(Alert, Case.parties).outerjoin(Case, Case.case_no == Alert.case_no)
                          .where(Alert.cleared_at.is_(None)).order_by(Alert.seq)).all()
    st = conn.execute(select(IngestState).where(IngestState.id == 1)).scalars().first()
    return {
        "at": now.isoformat(),
        "counters": counters(figures, this, yesterday, month, today, yesterday_close(conn, today)),
        "warnings": warning_list(open_cases, now),
        "leagues": leagues(conn, month_start_utc(now, tz), now),
        "trends": trends(conn, now, tz),
        "pins": [pin(c, now, centroids, sensitive) for c in open_cases],
        "ticker": [ticker_row(*r) for r in reversed(ticker_rows)],
        "alerts": [alert_row(a.alert_id, a.level, a.title, a.township_code, a.case_no, a.category, a.raised_at,
                             parties) for a, parties in alerts],
        "last_event_at": st.last_event_at.isoformat() if st and st.last_event_at else None,
        "last_heartbeat_at": st.last_heartbeat_at.isoformat() if st and st.last_heartbeat_at else None,
        # Each publisher as the ingest last wrote it, so a wall can name a silent one from its first paint.
        "sources": stored_sources(conn),
    }


def _counts(row: DailyStat | None) -> DayCounts:
    if row is None:
        return DayCounts()
    return DayCounts(row.registered, row.resolved, row.resolved_success, row.visited, row.satisfied)


def day_figures(conn: Session, today: date) -> tuple[DayCounts, DayCounts, DayCounts]:
    """Return the counts of today, of yesterday, and of the month so far (today included)."""
    rows = {r.day: r for r in conn.execute(
        select(DailyStat).where(DailyStat.day.in_((today, today - timedelta(days=1))))).scalars()}
    sums = conn.execute(select(
        func.coalesce(func.sum(DailyStat.registered), 0), func.coalesce(func.sum(DailyStat.resolved), 0),
        func.coalesce(func.sum(DailyStat.resolved_success), 0), func.coalesce(func.sum(DailyStat.visited), 0),
        func.coalesce(func.sum(DailyStat.satisfied), 0),
    ).where(DailyStat.day >= today.replace(day=1), DailyStat.day <= today)).one()
    return _counts(rows.get(today)), _counts(rows.get(today - timedelta(days=1))), DayCounts(*map(int, sums))


def yesterday_close(conn: Session, today: date) -> dict[str, Any] | None:
    """Return the figures recorded at yesterday's close, if the ingest was running to record them."""
    row = conn.execute(select(DailyFigures.figures).where(DailyFigures.day == today - timedelta(days=1))).scalar()
    return dict(row) if row else None


def names(engine: Engine, lang: str) -> dict[str, dict[str, str]]:
    """Return display names of places, departments and categories in a language."""
    en = lang == "en"
    with engine.connect() as conn:
        places = {code: (name_en or name) if en else name
                  for code, name, name_en in conn.execute(select(Place.code, Place.name, Place.name_en))}
        depts = {code: (name_en or name) if en else name
                 for code, name, name_en in conn.execute(select(Department.code, Department.name,
                                                                 Department.name_en))}
    cats = {c.code: c.en if en else c.zh for c in categories.all_categories()}
    return {"places": places, "departments": depts, "categories": cats}


def boundaries(engine: Engine) -> dict[str, Any]:
    """Return the county, township and village polygons as GeoJSON collections, with the bounds."""
    with engine.connect() as conn:
        rows = conn.execute(select(Place.code, Place.name, Place.tier, Place.polygon)
                            .where(Place.polygon.is_not(None))).all()
    out: dict[str, Any] = {tier: {"type": "FeatureCollection", "features": []} for tier in ("04", "05", "06")}
    lats: list[float] = []
    lons: list[float] = []
    for code, name, tier, polygon in rows:
        if tier not in out:
            continue
        out[tier]["features"].append({"type": "Feature", "geometry": polygon,
                                      "properties": {"code": code, "name": name, "tier": tier}})
        for ring in polygon["coordinates"]:
            for lon, lat in ring:
                lats.append(lat)
                lons.append(lon)
    bounds = [[min(lats), min(lons)], [max(lats), max(lons)]] if lats else None
    return {"county": out["04"], "townships": out["05"], "villages": out["06"], "bounds": bounds}


def boundaries_gcj02(b: dict[str, Any]) -> dict[str, Any]:
    """Return boundaries (as `boundaries` gives them) shifted to GCJ-02 for a GCJ-02 tile source."""
    out: dict[str, Any] = {}
    for key in ("county", "townships", "villages"):
        out[key] = {"type": "FeatureCollection", "features": [
            {**f, "geometry": geojson_to_gcj02(f["geometry"])} for f in b[key]["features"]]}
    if b["bounds"]:
        (s, w), (n, e) = b["bounds"]
        (s2, w2), (n2, e2) = wgs84_to_gcj02(s, w), wgs84_to_gcj02(n, e)
        out["bounds"] = [[s2, w2], [n2, e2]]
    else:
        out["bounds"] = None
    return out


def health(engine: Engine) -> dict[str, Any]:
    """Return the ingest's counters and times as stored."""
    with Session(engine) as conn:
        st = conn.execute(select(IngestState).where(IngestState.id == 1)).scalars().first()
    if st is None:
        return {"seq": 0, "accepted": 0, "rejected": 0, "duplicates": 0, "alive_at": None,
                "last_event_at": None, "last_heartbeat_at": None}
    return {"seq": st.seq, "accepted": st.accepted, "rejected": st.rejected, "duplicates": st.duplicates,
            "alive_at": st.alive_at, "last_event_at": st.last_event_at,
            "last_heartbeat_at": st.last_heartbeat_at}


def dead_letter_counts(engine: Engine) -> dict[str, int]:
    """Return how many dead letters the store holds, by reason."""
    with Session(engine) as conn:
        rows = conn.execute(select(DeadLetter.reason, func.count()).group_by(DeadLetter.reason)).all()
    return {reason: int(n) for reason, n in rows}


def case_detail(engine: Engine, case_no: str) -> dict[str, Any] | None:
    """Return one case as stored (personal data unmasked: callers mask it) with its history, or None."""
    with Session(engine) as conn:
        case = conn.scalar(select(Case).where(Case.case_no == case_no))
        return None if case is None else case_dict(conn, case)


def case_dict(conn: Session, case: Case) -> dict[str, Any]:
    """Return a stored case as a dict, with its history in the order the ingest applied it."""
    events = conn.execute(
        select(CaseEvent.seq, CaseEvent.at, CaseEvent.type, CaseEvent.department_code, CaseEvent.from_state,
               CaseEvent.to_state, CaseEvent.note)
        .where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    return {
        "id": case.id, "case_no": case.case_no, "title": case.title, "description": case.description,
        "category": case.category, "scale": case.scale, "grade": case.grade, "state": case.state,
        "is_open": case.is_open, "is_group": case.is_group, "urgent": case.urgent,
        "people_involved": case.people_involved,
        "township": case.township_code, "village": case.village_code, "address": case.address,
        "lat": case.lat, "lon": case.lon,
        "department": case.department_code, "supervision": case.supervision,
        "registered_at": case.registered_at, "assigned_at": case.assigned_at, "sign_due": case.sign_due,
        "signed_at": case.signed_at, "resolve_due": case.resolve_due, "resolved_at": case.resolved_at,
        "closed_at": case.closed_at, "source": case.source_channel,
        "parties": [dict(p) for p in (case.parties or [])],
        "events": [{"seq": e.seq, "at": e.at, "type": e.type, "department": e.department_code,
                    "from": e.from_state, "to": e.to_state, "note": e.note} for e in events],
    }


def map_cases(engine: Engine, now: datetime) -> list[dict[str, Any]]:
    """Return every open case as the wall pins it (sensitive categories at their village's centroid), with its
    title and parties for a map that masks them."""
    with Session(engine) as conn:
        centroids = {code: (lat, lon) for code, lat, lon in
                     conn.execute(select(Place.code, Place.lat, Place.lon).where(Place.tier == "06"))}
        sensitive = frozenset(c.code for c in categories.all_categories() if c.sensitive)
        rows = conn.execute(select(Case).where(Case.state.in_(OPEN_STATES)).order_by(Case.id)).scalars().all()
        return [{**pin(live_from_row(c), now, centroids, sensitive), "title": c.title,
                 "parties": [dict(p) for p in (c.parties or [])]} for c in rows]
