"""Add to the per-day counts with an upsert that works on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from datafeeds.models import DailyStat
from datafeeds.wallstate import DayCounts


def upsert_daily(conn: Connection, day: date, counts: DayCounts) -> None:
    """Add a day's increments to its row, creating the row when it is new."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(DailyStat).values(
        day=day, registered=counts.registered, resolved=counts.resolved,
        resolved_success=counts.resolved_success,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[DailyStat.day],
        set_={
            "registered": DailyStat.registered + stmt.excluded.registered,
            "resolved": DailyStat.resolved + stmt.excluded.resolved,
            "resolved_success": DailyStat.resolved_success + stmt.excluded.resolved_success,
        },
    )
    conn.execute(stmt)
