"""Shape the rows the ingest writes and reads: column lists and converters between events, cases and rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table

from datafeeds.contract import Envelope
from datafeeds.jsonguard import check_shape
from datafeeds.models import Alert, Assignment, Case, CaseEvent
from datafeeds.wallstate import LiveCase, set_prewarn


@dataclass(slots=True)
class RawMessage:
    """One message as it came off a channel."""

    channel: str
    data: bytes


ASSIGNMENT_COLUMNS = ("id", "case_id", "department_code", "assigned_at", "sign_due", "resolve_due",
                       "signed_at", "resolved_at", "returned_at", "status", "extension", "assigned_seq")
ASSIGNMENT_MUTABLE = ("resolve_due", "signed_at", "resolved_at", "returned_at", "status", "extension")
CASES = cast(Table, Case.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
EVENTS = cast(Table, CaseEvent.__table__)
EVENT_COLUMNS = ("seq", "event_id", "case_id", "type", "at", "received_at", "source", "source_seq",
                  "department_code", "from_state", "to_state", "note", "data")
DYNAMIC = ("state", "is_open", "category", "grade", "department_code", "supervision", "escalated",
            "returns", "sign_due", "resolve_due", "assigned_at", "signed_at", "resolved_at", "closed_at",
            "outcome", "resolution_method", "satisfaction", "updated_at", "last_seq")
STATIC = ("case_no", "title", "description", "scale", "urgent", "is_group", "long_standing",
           "people_involved", "amount_involved", "source_channel", "township_code", "village_code", "grid",
           "address", "lat", "lon", "outside_county", "parties", "registered_at")
CASE_INSERT_COLUMNS = ("id", *STATIC, *DYNAMIC)


def case_dynamic_row(c: LiveCase) -> dict[str, Any]:
    return {
        "state": c.state, "is_open": c.is_open, "category": c.category, "grade": c.grade,
        "department_code": c.department, "supervision": c.supervision, "escalated": c.escalated,
        "returns": c.returns, "sign_due": c.sign_due, "resolve_due": c.resolve_due,
        "assigned_at": c.assigned_at, "signed_at": c.signed_at, "resolved_at": c.resolved_at,
        "closed_at": c.closed_at, "outcome": c.outcome, "resolution_method": c.resolution_method,
        "satisfaction": c.satisfaction, "last_seq": c.last_seq,
    }


def case_static_row(event: Envelope) -> dict[str, Any]:
    d = event.data
    return {
        "case_no": d.case_no, "title": d.title, "description": d.description, "scale": d.scale,
        "urgent": d.urgent, "is_group": d.group, "long_standing": d.long_standing,
        "people_involved": d.people_involved, "amount_involved": d.amount_involved,
        "source_channel": d.source_channel.value, "township_code": d.township, "village_code": d.village,
        "grid": d.grid, "address": d.address, "lat": d.lat, "lon": d.lon, "outside_county": False,
        "parties": [p.model_dump() for p in d.parties], "registered_at": event.at,
    }


def live_from_row(c: Case) -> LiveCase:
    """Return the in-memory view of a stored case, its pre-warning time worked out."""
    case = LiveCase(
        id=c.id, case_no=c.case_no, state=c.state, category=c.category, grade=c.grade, scale=c.scale,
        is_group=c.is_group, urgent=c.urgent, township=c.township_code, village=c.village_code,
        lat=c.lat, lon=c.lon, registered_at=c.registered_at, department=c.department_code,
        supervision=c.supervision, escalated=c.escalated, returns=c.returns, sign_due=c.sign_due,
        resolve_due=c.resolve_due, assigned_at=c.assigned_at, signed_at=c.signed_at,
        resolved_at=c.resolved_at, closed_at=c.closed_at, outcome=c.outcome,
        resolution_method=c.resolution_method, satisfaction=c.satisfaction, last_seq=c.last_seq,
        outside=c.outside_county,
    )
    set_prewarn(case)
    return case


def event_row(seq: int, event: Envelope, case_id: int | None, from_state: str | None,
               to_state: str | None, now: datetime) -> dict[str, Any]:
    data = event.data
    return {
        "seq": seq, "event_id": event.id, "case_id": case_id, "type": event.type, "at": event.at,
        "received_at": now, "source": event.source, "source_seq": event.seq,
        "department_code": getattr(data, "department", None), "from_state": from_state,
        "to_state": to_state, "note": getattr(data, "note", ""),
        "data": data.model_dump_json(exclude_none=True),
    }


RAW_KEEP = 65536
"""Bytes of a rejected message its dead letter keeps; longer ones keep this much and their true length."""


def storable(text: str) -> str:
    """Return text every store can hold: NUL and lone surrogates (from a hostile message) shown escaped."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def dead_row(msg: RawMessage, reason: str, detail: str, event_id: str | None,
              now: datetime) -> dict[str, Any]:
    """Return the dead letter of a rejected message: raw bytes bounded to RAW_KEEP, hashed for repeats."""
    size = len(msg.data)
    if size > RAW_KEEP:
        detail = f"{detail[:3800]} (raw truncated: kept the first {RAW_KEEP} of {size} bytes; cannot be replayed)"
    return {"received_at": now, "channel": storable(msg.channel[:128]), "reason": reason,
            "detail": storable(detail[:4000]), "event_id": storable(event_id[:128]) if event_id else None,
            "raw": msg.data[:RAW_KEEP], "raw_size": size,
            "raw_sha256": hashlib.sha256(msg.data).hexdigest(), "attempts": 1, "last_seen_at": now,
            "replays": 0, "replayed_at": None}


def peek_id(raw: bytes) -> str | None:
    """Return a message's `id` when it is a JSON object with a string id (for dead letters; never raises)."""
    if len(raw) > RAW_KEEP * 16:
        return None  # not worth parsing: the letter says why it was refused
    shape = check_shape(raw)
    if shape is not None and shape[0] == "too_deep":
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def alert_dict(a: Alert) -> dict[str, Any]:
    return {"alert_id": a.alert_id, "level": a.level, "title": a.title, "township": a.township_code,
            "case_no": a.case_no, "category": a.category, "raised_at": a.raised_at.isoformat()}


def alert_dict_from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"alert_id": row["alert_id"], "level": row["level"], "title": row["title"],
            "township": row["township_code"], "case_no": row["case_no"], "category": row["category"],
            "raised_at": row["raised_at"].isoformat()}
