"""Write many rows through the driver's executemany, skipping SQLAlchemy's per-row work on the hot path.

The ingest writes tens of thousands of rows a second; SQLAlchemy's parameter processing cost more
than SQLite itself. Values are converted here exactly as the ORM types store them, so the ORM reads
these rows back unchanged (a test checks it on SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

DAY_COLUMNS = ("registered", "resolved", "resolved_success", "visited", "satisfied")


@lru_cache(maxsize=65536)
def _sqlite_datetime(v: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text (naive UTC). A case's times repeat in every update: cache them.
    return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Bulk:
    """Build driver-level INSERT and UPDATE statements for one dialect and convert values for it."""

    def __init__(self, conn: Connection) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def value(self, v: Any) -> Any:
        """Return a value as the driver should receive it."""
        kind = type(v)
        if kind is datetime:
            return _sqlite_datetime(v) if self.sqlite else v.astimezone(UTC)
        if kind is list or kind is dict:
            return json.dumps(v, ensure_ascii=False)
        return v

    def insert(self, conn: Connection, table: Table, columns: Sequence[str],
               rows: Iterable[dict[str, Any]]) -> None:
        """Insert rows (dicts with at least `columns`)."""
        params = [tuple(self.value(row[c]) for c in columns) for row in rows]
        if not params:
            return
        sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
               f"VALUES ({', '.join([self.mark] * len(columns))})")
        conn.exec_driver_sql(sql, params)

    def existing(self, conn: Connection, table: Table, column: str, values: Sequence[str]) -> set[str]:
        """Return which of `values` are present in a column (one query)."""
        if not values:
            return set()
        marks = ", ".join([self.mark] * len(values))
        rows = conn.exec_driver_sql(f"SELECT {column} FROM {table.name} WHERE {column} IN ({marks})",
                                    tuple(values))
        return {row[0] for row in rows}

    def add_to_day(self, conn: Connection, day: date, counts: Sequence[int]) -> None:
        """Add to one day's counts, creating its row when new (the same upsert on SQLite and PostgreSQL)."""
        columns = DAY_COLUMNS
        marks = ", ".join([self.mark] * (len(columns) + 1))
        sets = ", ".join(f"{c} = daily_stats.{c} + excluded.{c}" for c in columns)
        conn.exec_driver_sql(
            f"INSERT INTO daily_stats (day, {', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT (day) DO UPDATE SET {sets}",
            (day.isoformat() if self.sqlite else day, *counts),
        )

    def save_state(self, conn: Connection, *, seq: int, accepted: int, rejected: int, duplicates: int,
                   last_event_at: datetime | None, last_heartbeat_at: datetime | None) -> None:
        """Store the ingest's seq and add to its counters."""
        m = self.mark
        conn.exec_driver_sql(
            f"UPDATE ingest_state SET seq = {m}, accepted = accepted + {m}, rejected = rejected + {m}, "
            f"duplicates = duplicates + {m}, last_event_at = {m}, last_heartbeat_at = {m} WHERE id = 1",
            (seq, accepted, rejected, duplicates, self.value(last_event_at), self.value(last_heartbeat_at)),
        )

    def update(self, conn: Connection, table: Table, columns: Sequence[str],
               rows: Iterable[dict[str, Any]], key: str = "id") -> None:
        """Update `columns` of rows found by `key`."""
        params = [tuple(self.value(row[c]) for c in (*columns, key)) for row in rows]
        if not params:
            return
        sets = ", ".join(f"{c} = {self.mark}" for c in columns)
        conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = {self.mark}", params)
