"""Find cases for the duty officer's desk: one filter, read from and written to a URL, and a paged search.

A `CaseFilter` is what the desk's filter bar shows and what its URL carries (`?township=…&category=02`), so
a view can be shared or bookmarked and reproduces the same rows. `search` returns one page of rows in a
stable order (the sort column, then the case's id), `count` the number of matches up to a cap: counting a
million rows exactly for a page the officer will not read past costs more than the page itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, column, func, or_, select, table, text
from sqlalchemy.sql.elements import ColumnElement

from datafeeds import categories
from datafeeds.clock import SHANGHAI
from datafeeds.models import Case, Place

# Sortable columns by the name the desk's grid uses.
SORTS: dict[str, Any] = {
    "registered_at": Case.registered_at,
    "resolve_due": Case.resolve_due,
    "case_no": Case.case_no,
    "updated_at": Case.updated_at,
    "township": Case.township_code,
    "category": Case.category,
    "state": Case.state,
}
NULLABLE_SORTS = frozenset({"resolve_due"})
PAGE_MAX = 500
# Rows past this one are not paged to: a search that matches more wants a narrower filter, not page 201.
OFFSET_MAX = 10_000
COUNT_CAP = 10_000
TEXT_MAX = 100
# Needles this long or longer are looked up in the text index (trigrams: SQLite FTS5, PostgreSQL pg_trgm);
# shorter ones are matched by scanning, newest first, until a page is full.
TEXT_INDEX_MIN = 3
# The FTS5 table of migration 0010 (SQLite only), as far as queries name it.
_CASES_TEXT = table("cases_text", column("rowid"))


DATES = ("since", "until", "resolved_since", "resolved_until")
FLAGS = ("overdue", "supervised", "cards", "major")


class FilterError(ValueError):
    """A filter value the desk cannot use (a bad date, an unknown sort); the message names it."""


@dataclass(frozen=True)
class CaseFilter:
    """What the desk filters cases by; every field is optional, and all given fields must hold."""

    township: str | None = None
    village: str | None = None
    category: str | None = None  # two digits: the top level and all its subtypes; four: that subtype
    source: str | None = None
    state: str | None = None  # one state, or "open"
    department: str | None = None
    since: date | None = None  # registered on or after this local day
    until: date | None = None  # registered on or before this local day
    overdue: bool = False
    supervised: bool = False  # under any 督办
    cards: bool = False  # under a yellow or red card (the wall's 黄牌 / 红牌)
    major: bool = False  # a major (重大) or group (群体性) incident, as the wall counts them
    resolved_since: date | None = None  # resolved on or after this local day
    resolved_until: date | None = None  # resolved on or before this local day
    text: str | None = None  # in the case number, title or address

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> CaseFilter:
        """Read a filter from URL query arguments (unknown ones are ignored; bad values raise FilterError)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = (query.get(f.name) or "").strip()
            if not raw:
                continue
            if f.name in DATES:
                try:
                    values[f.name] = date.fromisoformat(raw)
                except ValueError as exc:
                    raise FilterError(f"{f.name}: {raw!r} is not a date (YYYY-MM-DD)") from exc
            elif f.name in FLAGS:
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            else:
                values[f.name] = raw[:TEXT_MAX]
        return cls(**values)

    def to_query(self) -> dict[str, str]:
        """Return the filter as URL query arguments (only the fields that are set), in a stable order."""
        out: dict[str, str] = {}
        for name, value in asdict(self).items():
            if value in (None, False, ""):
                continue
            out[name] = "1" if value is True else value.isoformat() if isinstance(value, date) else str(value)
        return out

    def but(self, **changes: Any) -> CaseFilter:
        """Return a copy with some fields changed (a drill-down adds one condition to the current view)."""
        return replace(self, **changes)


def conditions(f: CaseFilter, now: datetime, tz: ZoneInfo = SHANGHAI,
               dialect: str = "postgresql") -> list[ColumnElement[bool]]:
    """Return the SQL conditions of a filter (`dialect`: the database's, for the text index it has)."""
    out: list[ColumnElement[bool]] = []
    if f.township:
        out.append(Case.township_code == f.township)
    if f.village:
        out.append(Case.village_code == f.village)
    if f.category:
        # A top level means its code and every known subtype: an IN list the category index serves (a LIKE
        # prefix cannot use it on SQLite).
        codes = [c.code for c in categories.all_categories() if c.code[:2] == f.category] if len(
            f.category) == 2 else []
        out.append(Case.category.in_(codes) if codes else Case.category == f.category)
    if f.source:
        out.append(Case.source_channel == f.source)
    if f.state == "open":
        out.append(Case.is_open.is_(True))  # the open-cases index; the same set as OPEN_STATES
    elif f.state:
        out.append(Case.state == f.state)
    if f.department:
        out.append(Case.department_code == f.department)
    if f.since:
        out.append(Case.registered_at >= datetime.combine(f.since, time(), tz))
    if f.until:
        out.append(Case.registered_at < datetime.combine(f.until + timedelta(days=1), time(), tz))
    if f.overdue:
        out.append(and_(Case.is_open.is_(True), Case.resolve_due.is_not(None), Case.resolve_due <= now))
    if f.supervised or f.cards:
        out.append(Case.supervision != "none")  # spelled as the partial index's condition, so it is used
    if f.cards:
        out.append(Case.supervision.in_(("yellow", "red")))
    if f.major:  # wallstate.LiveCase.is_major
        out.append(or_(Case.grade.in_(("01", "02")), Case.scale.in_(("02", "03")), Case.is_group.is_(True)))
    if f.resolved_since:
        out.append(Case.resolved_at >= datetime.combine(f.resolved_since, time(), tz))
    if f.resolved_until:
        out.append(Case.resolved_at < datetime.combine(f.resolved_until + timedelta(days=1), time(), tz))
    if f.text:
        needle = f.text.strip()
        out.append(or_(Case.case_no.contains(needle, autoescape=True), Case.title.contains(needle, autoescape=True),
                       Case.address.contains(needle, autoescape=True)))
        if dialect == "sqlite" and len(needle) >= TEXT_INDEX_MIN:
            # The trigram index (migration 0010) finds the candidates; the LIKEs above check them exactly.
            phrase = '"' + needle.replace('"', '""') + '"'
            out.append(Case.id.in_(select(_CASES_TEXT.c.rowid).where(text("cases_text MATCH :phrase")
                                                                     .bindparams(phrase=phrase))))
    return out


def search(engine: Engine, f: CaseFilter, *, now: datetime, sort: str = "registered_at", descending: bool = True,
           offset: int = 0, limit: int = 100, tz: ZoneInfo = SHANGHAI) -> list[dict[str, Any]]:
    """Return one page of matching cases (unmasked: the caller masks), in the sort's order then by id."""
    column = SORTS.get(sort)
    if column is None:
        raise FilterError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
    if not 0 <= offset <= OFFSET_MAX:
        raise FilterError(f"offset: {offset} is past the {OFFSET_MAX:,} rows the desk pages to; narrow the filter")
    limit = max(1, min(limit, PAGE_MAX))
    # NULLS LAST only where a column can be null: on PostgreSQL it would otherwise stop a DESC index scan
    # (whose own order puts nulls first) from serving the sort, and every page would sort the whole match.
    key = column.desc() if descending else column.asc()
    if sort in NULLABLE_SORTS:
        key = key.nulls_last()
    order = [key, Case.id.desc() if descending else Case.id.asc()]
    query = (select(Case.case_no, Case.title, Case.category, Case.township_code, Case.village_code,
                    Case.source_channel, Case.state, Case.is_open, Case.department_code, Case.supervision,
                    Case.registered_at, Case.resolve_due, Case.address, Case.lat, Case.lon, Case.parties)
             .where(*conditions(f, now, tz, engine.dialect.name)).order_by(*order).offset(offset).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**row, "township": row["township_code"], "village": row["village_code"],
             "source": row["source_channel"], "department": row["department_code"]} for row in rows]


def count(engine: Engine, f: CaseFilter, *, now: datetime, cap: int = COUNT_CAP, tz: ZoneInfo = SHANGHAI) -> int:
    """Return how many cases match, counting no further than `cap` (the desk shows 「10,000+」 beyond it)."""
    inner = select(Case.id).where(*conditions(f, now, tz, engine.dialect.name)).limit(cap + 1).subquery()
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())


def points(engine: Engine, f: CaseFilter, *, now: datetime, limit: int = 2000,
           tz: ZoneInfo = SHANGHAI) -> list[dict[str, Any]]:
    """Return where the newest `limit` matching cases are, for the desk's map (the grid pages through the rest).

    Cases of sensitive categories sit at their village's centroid, as on the wall.
    """
    sensitive = frozenset(c.code for c in categories.all_categories() if c.sensitive)
    query = (select(Case.case_no, Case.category, Case.village_code, Case.lat, Case.lon, Case.is_open,
                    Case.resolve_due, Case.supervision)
             .where(*conditions(f, now, tz, engine.dialect.name))
             .order_by(Case.registered_at.desc(), Case.id.desc()).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        villages = {r["village_code"] for r in rows if r["village_code"] and (
            r["category"] in sensitive or r["category"][:2] in sensitive)}
        centroids = {code: (lat, lon) for code, lat, lon in conn.execute(
            select(Place.code, Place.lat, Place.lon).where(Place.code.in_(villages)))} if villages else {}
    out = []
    for r in rows:
        lat, lon = centroids.get(r["village_code"] or "", (r["lat"], r["lon"]))
        overdue = bool(r["is_open"] and r["resolve_due"] is not None and r["resolve_due"] <= now)
        out.append({"case_no": r["case_no"], "category": r["category"], "lat": round(lat, 5), "lon": round(lon, 5),
                    "risk": "overdue" if overdue else "open" if r["is_open"] else "closed",
                    "supervision": r["supervision"]})
    return out


def matching(engine: Engine, f: CaseFilter, case_nos: list[str], *, now: datetime, tz: ZoneInfo = SHANGHAI) -> set[str]:
    """Return which of these cases the filter matches now (whether a desk's list must be read again)."""
    if not case_nos:
        return set()
    with engine.connect() as conn:
        return set(conn.execute(select(Case.case_no).where(Case.case_no.in_(case_nos),
                                                           *conditions(f, now, tz, engine.dialect.name))).scalars())


def place_options(engine: Engine, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Return the townships and, by township code, their villages, as (code, name) in code order."""
    en = lang == "en"
    out: dict[str, list[tuple[str, str]]] = {"": []}
    with engine.connect() as conn:
        rows = conn.execute(select(Place.code, Place.name, Place.name_en, Place.tier, Place.parent_code)
                            .where(Place.tier.in_(("05", "06"))).order_by(Place.code)).all()
    for code, name, name_en, tier, parent in rows:
        label = (name_en or name) if en else name
        if tier == "05":
            out[""].append((code, label))
        else:
            out.setdefault(parent or "", []).append((code, label))
    return out
