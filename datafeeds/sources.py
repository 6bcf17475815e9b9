"""Per-source feed accounting: each publisher's last seq, the gaps its seqs reveal, and when it last spoke.

A publisher numbers its messages (`seq`, per `source`). A jump shows messages that never arrived: the gap
is kept as a range and counted; a message that arrives later (replayed from the feed log) fills it again.
A seq far below the last one, outside any gap, means the publisher restarted its count. A source is
silent when nothing (event or heartbeat) came from it for longer than its expected interval allows;
the walls and /healthz say which. The ingest keeps this in memory and writes it to `feed_sources` with
its liveness, so a restarted ingest still knows who should be speaking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from datafeeds.models import FeedSource

MAX_RANGES = 20
FORGET_AFTER = timedelta(days=1)  # a source silent this long is no longer expected


@dataclass
class SourceState:
    """What the ingest knows of one publisher."""

    last_seq: int | None = None
    gaps: int = 0
    ranges: list[list[int]] = field(default_factory=list)  # open gaps [first, last], oldest first
    last_seen_at: datetime | None = None  # when the ingest last received a message from it (its clock)
    interval_s: float = 10.0  # the heartbeat interval it promised
    restarts: int = 0
    dirty: bool = True

    def note(self, seq: int, seen_at: datetime, interval_s: float | None = None) -> None:
        """Take note of one new (not duplicate) message."""
        self.last_seen_at = seen_at if self.last_seen_at is None else max(self.last_seen_at, seen_at)
        if interval_s is not None:
            self.interval_s = interval_s
        self.dirty = True
        last = self.last_seq
        if last is None or seq == last + 1:
            self.last_seq = seq
        elif seq > last + 1:
            self.gaps += seq - last - 1
            self.ranges.append([last + 1, seq - 1])
            if len(self.ranges) > MAX_RANGES:  # keep the count exact, merge the oldest ranges
                first, second = self.ranges[0], self.ranges[1]
                self.ranges[:2] = [[first[0], second[1]]]
            self.last_seq = seq
        elif not self._fill(seq) and seq < last:  # not a late one: the publisher counts from the start again
            self.restarts += 1
            self.last_seq = seq

    def _fill(self, seq: int) -> bool:
        for i, (lo, hi) in enumerate(self.ranges):
            if lo <= seq <= hi:
                parts = [r for r in ([lo, seq - 1], [seq + 1, hi]) if r[0] <= r[1]]
                self.ranges[i:i + 1] = parts
                self.gaps -= 1
                return True
        return False

    def silent_for(self, now: datetime, stale_s: float) -> float | None:
        """Return for how many seconds the source has been silent past what it promised, else None."""
        if self.last_seen_at is None:
            return None
        age = (now - self.last_seen_at).total_seconds()
        return age if age > max(stale_s, 3 * self.interval_s) else None

    def as_dict(self, source: str) -> dict[str, Any]:
        """Return the source's state as the walls, /healthz and the store see it."""
        return {"source": source, "last_seq": self.last_seq, "gaps": self.gaps, "gap_ranges": self.ranges[-5:],
                "last_seen_at": self.last_seen_at.isoformat() if self.last_seen_at else None,
                "interval_s": self.interval_s, "restarts": self.restarts}


class Sources:
    """Every publisher the ingest has heard from recently."""

    def __init__(self) -> None:
        self.by_name: dict[str, SourceState] = {}

    def note(self, source: str, seq: int, seen_at: datetime, interval_s: float | None = None) -> None:
        """Take note of one new message of a source."""
        self.by_name.setdefault(source, SourceState()).note(seq, seen_at, interval_s)

    def status(self, now: datetime) -> list[dict[str, Any]]:
        """Return the sources heard from within a day, by name."""
        return [st.as_dict(name) for name, st in sorted(self.by_name.items())
                if st.last_seen_at is not None and now - st.last_seen_at < FORGET_AFTER]

    def load(self, engine: Engine) -> None:
        """Read what an earlier ingest wrote."""
        with Session(engine) as conn:
            for row in conn.execute(select(FeedSource)).scalars():
                self.by_name[row.source] = _state(row)

    def save(self, engine: Engine, now: datetime) -> None:
        """Write the sources that changed; forget the ones silent for more than a day."""
        changed = [(name, st) for name, st in self.by_name.items() if st.dirty]
        gone = [name for name, st in self.by_name.items()
                if st.last_seen_at is not None and now - st.last_seen_at >= FORGET_AFTER]
        if not changed and not gone:
            return
        with engine.begin() as conn:
            for name, st in changed:
                values = {"last_seq": st.last_seq, "gaps": st.gaps, "gap_ranges": st.ranges,
                          "last_seen_at": st.last_seen_at, "interval_s": st.interval_s, "restarts": st.restarts}
                if not conn.execute(update(FeedSource).where(FeedSource.source == name).values(**values)).rowcount:
                    conn.execute(insert(FeedSource).values(source=name, **values))
                st.dirty = False
            if gone:
                conn.execute(delete(FeedSource).where(FeedSource.source.in_(gone)))
                for name in gone:
                    del self.by_name[name]


def read_status(engine: Engine, now: datetime, stale_s: float, write_lag_s: float = 5.0) -> list[dict[str, Any]]:
    """Return the sources as the ingest last wrote them, each with `silent_s` (None while it speaks).

    The ingest writes them every few seconds (`write_lag_s`): the store's copy is that much older.
    """
    out = []
    with Session(engine) as conn:
        for row in conn.execute(select(FeedSource).order_by(FeedSource.source)).scalars():
            st = _state(row)
            item = st.as_dict(row.source)
            silent = st.silent_for(now - timedelta(seconds=write_lag_s), stale_s)
            item["silent_s"] = round(silent, 1) if silent is not None else None
            out.append(item)
    return out


def _state(row: FeedSource) -> SourceState:
    return SourceState(last_seq=row.last_seq, gaps=row.gaps, ranges=[list(r) for r in row.gap_ranges or []],
                       last_seen_at=row.last_seen_at, interval_s=row.interval_s, restarts=row.restarts, dirty=False)


def stored_sources(conn: Session) -> list[dict[str, Any]]:
    """Return every publisher as the ingest last wrote it (the shape of `Sources.status`)."""
    return [_state(row).as_dict(row.source)
            for row in conn.execute(select(FeedSource).order_by(FeedSource.source)).scalars()]
