"""Freeze the wall (冻结大屏): keep what it shows at one moment, masked, for a briefing to cite later.

A snapshot is the wall's own state (`queries.snapshot`, the masked state /api/snapshot serves) cut down to
what the hall sees: the headline figures, the map's pins and the panels beside them (leagues, rankings,
warnings, alerts, trends). The ticker and the feeds' health stay out: they are moments, not figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, defer

from datafeeds import queries
from datafeeds.clock import SHANGHAI
from datafeeds.masking import mask_text
from datafeeds.models import Case, WallSnapshot

# The fields of a pin a frozen map keeps (the wall's pin carries no title: it is added here, masked).
PIN_FIELDS = ("case_no", "lat", "lon", "state", "risk", "category", "township")
PANELS = ("leagues", "warnings", "alerts", "trends")
NOTE_MAX = 200
# Case numbers asked for in one IN (...): well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 900


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One frozen wall. `pins` is empty when the caller asked for the list without maps."""

    id: int
    taken_at: datetime
    taken_by: str
    note: str
    seq: int
    figures: dict[str, Any]
    pins: list[dict[str, Any]]
    panels: dict[str, Any]


def freeze(engine: Engine, now: datetime, taken_by: str, note: str = "", *, tz: ZoneInfo = SHANGHAI) -> int:
    """Store the wall as it stands now and return the snapshot's id."""
    state = queries.snapshot(engine, now, tz=tz)
    row = {"taken_at": now, "taken_by": taken_by[:80], "note": " ".join(note.split())[:NOTE_MAX],
           "seq": int(state["seq"]), "figures": state["counters"], "pins": masked_pins(engine, state["pins"]),
           "panels": {key: state[key] for key in PANELS}}
    with engine.begin() as conn:
        new_id = conn.execute(insert(WallSnapshot).values(**row).returning(WallSnapshot.id)).scalar_one()
    return int(new_id)


def masked_pins(engine: Engine, pins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the wall's pins with only the fields a frozen map keeps, each with its case's title masked.

    The titles are read after the wall's state, by case number: a title edited in between shows its newer
    text, masked all the same (with its case's parties' names, as every masked view of a case does).
    """
    titles = _masked_titles(engine, [str(p["case_no"]) for p in pins])
    return [{**{k: p[k] for k in PIN_FIELDS}, "title": titles.get(str(p["case_no"]), "")} for p in pins]


def _masked_titles(engine: Engine, case_nos: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    with Session(engine) as conn:
        for start in range(0, len(case_nos), _CHUNK):
            chunk = case_nos[start:start + _CHUNK]
            for case_no, title, parties in conn.execute(
                    select(Case.case_no, Case.title, Case.parties).where(Case.case_no.in_(chunk))):
                out[case_no] = mask_text(title or "", _party_names(parties))
    return out


def _party_names(parties: Iterable[Any] | None) -> list[str]:
    return [p["name"] for p in parties or () if isinstance(p, dict) and isinstance(p.get("name"), str)]


def get(engine: Engine, snapshot_id: int) -> Snapshot | None:
    """Return one snapshot with its pins, or None."""
    with Session(engine) as conn:
        row = conn.get(WallSnapshot, snapshot_id)
        return None if row is None else _snapshot(row, with_pins=True)


def between(engine: Engine, start: datetime, end: datetime, *, with_pins: bool = True) -> list[Snapshot]:
    """Return the snapshots taken from `start` up to (not including) `end`, newest first.

    Half-open, so that back-to-back periods (one briefing's week, the next one's) cite each snapshot once.
    """
    query = (select(WallSnapshot).where(WallSnapshot.taken_at >= start, WallSnapshot.taken_at < end)
             .order_by(WallSnapshot.taken_at.desc(), WallSnapshot.id.desc()))
    return _read(engine, query, with_pins)


def recent(engine: Engine, limit: int = 100, *, with_pins: bool = False) -> list[Snapshot]:
    """Return the newest snapshots, newest first (without their pins unless asked: a list draws no maps)."""
    query = select(WallSnapshot).order_by(WallSnapshot.taken_at.desc(), WallSnapshot.id.desc()).limit(limit)
    return _read(engine, query, with_pins)


def _read(engine: Engine, query: Any, with_pins: bool) -> list[Snapshot]:
    if not with_pins:
        # Not loading the pins keeps a list of a hundred snapshots small whatever each map held.
        query = query.options(defer(WallSnapshot.pins))
    with Session(engine) as conn:
        return [_snapshot(row, with_pins=with_pins) for row in conn.execute(query).scalars()]


def _snapshot(row: WallSnapshot, *, with_pins: bool) -> Snapshot:
    return Snapshot(id=row.id, taken_at=row.taken_at, taken_by=row.taken_by, note=row.note, seq=row.seq,
                    figures=dict(row.figures), pins=list(row.pins) if with_pins else [], panels=dict(row.panels))
