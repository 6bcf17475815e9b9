"""Write one applied batch to the store in the caller's transaction, with driver-level bulk statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from datafeeds.bulk import Bulk
from datafeeds.contract import Envelope
from datafeeds.models import Alert
from datafeeds.rows import (
    ASSIGNMENT_COLUMNS,
    ASSIGNMENT_MUTABLE,
    ASSIGNMENTS,
    CASE_INSERT_COLUMNS,
    CASES,
    EVENT_COLUMNS,
    EVENTS,
    case_dynamic_row,
)
from datafeeds.wallstate import DayCounts, LiveCase


@dataclass
class Batch:
    """Everything one batch changed, collected while applying and written in one transaction."""

    events: list[dict[str, Any]] = field(default_factory=list)
    new_cases: dict[str, LiveCase] = field(default_factory=dict)
    touched: dict[str, LiveCase] = field(default_factory=dict)
    new_assignments: dict[int, dict[str, Any]] = field(default_factory=dict)
    dirty_assignments: set[int] = field(default_factory=set)
    closed_assignments: set[int] = field(default_factory=set)
    existing_cases: set[str] = field(default_factory=set)
    changed: dict[str, set[str]] = field(default_factory=dict)
    ticker: list[tuple[int, Envelope, LiveCase]] = field(default_factory=list)
    alerts_new: list[dict[str, Any]] = field(default_factory=list)
    alerts_cleared: list[dict[str, Any]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)
    days: dict[date, DayCounts] = field(default_factory=dict)
    pins_touched: set[str] = field(default_factory=set)
    heartbeat_at: datetime | None = None
    duplicates: int = 0
    accepted: int = 0


def write_batch(conn: Connection, b: Batch, *, pending_rows: dict[str, dict[str, Any]],
                assignments: dict[int, dict[str, Any]], state: dict[str, Any], now: datetime) -> None:
    """Write a batch's new and changed rows, day counts and the ingest's state (the applier adds its dead letters)."""
    bulk = Bulk(conn)
    bulk.insert(conn, CASES, CASE_INSERT_COLUMNS, (
        {**pending_rows.pop(c.case_no), **case_dynamic_row(c), "id": c.id, "updated_at": now}
        for c in b.new_cases.values()
    ))
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for case_no, columns in b.changed.items():
        if case_no in b.new_cases:
            continue
        c = b.touched[case_no]
        key = tuple(sorted(columns | {"last_seq", "updated_at"}))
        groups.setdefault(key, []).append({**case_dynamic_row(c), "id": c.id, "updated_at": now})
    for columns_key, rows in groups.items():
        bulk.update(conn, CASES, columns_key, rows)
    bulk.insert(conn, ASSIGNMENTS, ASSIGNMENT_COLUMNS, b.new_assignments.values())
    bulk.update(conn, ASSIGNMENTS, ASSIGNMENT_MUTABLE,
                (assignments[aid] for aid in b.dirty_assignments))
    bulk.insert(conn, EVENTS, EVENT_COLUMNS, b.events)
    if b.alerts_new:
        conn.execute(insert(Alert), b.alerts_new)
    if b.alerts_cleared:
        conn.execute(update(Alert).where(Alert.alert_id == bindparam("b_alert_id"))
                     .values(cleared_at=bindparam("b_cleared_at")), b.alerts_cleared)
    for day, counts in b.days.items():
        bulk.add_to_day(conn, day, (counts.registered, counts.resolved, counts.resolved_success, counts.visited,
                                    counts.satisfied))
    bulk.save_state(conn, seq=state["seq"], accepted=b.accepted, rejected=len(b.dead),
                    duplicates=b.duplicates, last_event_at=state["last_event_at"],
                    last_heartbeat_at=state["last_heartbeat_at"])
