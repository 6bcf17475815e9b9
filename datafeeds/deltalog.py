"""Keep the deltas the walls were sent, so a wall that missed some fetches them instead of a whole snapshot.

The ingest appends every delta it pushes to a bounded Redis Stream before pushing it; a wall that reconnects
or sees a seq gap asks a web process for the deltas after its seq (`/api/deltas?after=`). Entry ids are
`<seq>-<n>`: a range read from `<seq>-0` finds a wall's position in O(log n), and the deltas the clock alone
makes (seq unchanged: a case turning overdue, a new day) get their own `n` under the same seq.

What the log cannot prove complete is refused (`Gone`): trimmed entries, a delta that was committed but never
logged (an ingest killed between the two, Redis away), a log that restarted behind the store. Then the wall
takes a snapshot; a wrong wall is never the answer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import redis

log = logging.getLogger(__name__)

PAGE = 200  # entries read per round trip


def log_key(prefix: str) -> str:
    """Return the Redis Stream of the deltas pushed to the walls under a prefix."""
    return f"{prefix}:wall:deltas"


def panels_key(prefix: str) -> str:
    """Return the Redis key of the month's panels (leagues, trends) as last pushed to the walls."""
    return f"{prefix}:wall:panels"


class Gone(Exception):
    """The log cannot bring a wall from its seq to the present: the wall must take a snapshot."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CatchUp:
    """The deltas after a wall's seq, in push order, and the seq they bring it to."""

    deltas: list[dict[str, Any]]
    seq: int
    size: int  # bytes of delta JSON read


class DeltaLog:
    """Append (the ingest) and read (the web processes) the log of pushed deltas."""

    def __init__(self, client: redis.Redis, prefix: str, *, maxlen: int = 2000) -> None:
        self.client, self.key, self.maxlen = client, log_key(prefix), maxlen
        self.panels = panels_key(prefix)
        self._top: tuple[int, int] | None = None  # (seq, n) of the last entry, read lazily

    # ---- writing (the ingest) ------------------------------------------------------------------------
    def reset_if_ahead(self, committed_seq: int) -> None:
        """Drop a log that runs ahead of the store (the store was reset): its seqs would never match."""
        top = self._read_top()
        if top is not None and top[0] > committed_seq:
            log.warning("the wall delta log ends at seq %s, the store at %s: dropping the log", top[0], committed_seq)
            self.client.delete(self.key)
            self._top = (0, 0)

    def append(self, delta: dict[str, Any]) -> None:
        """Log a delta about to be pushed (raises what Redis raises: the caller counts it)."""
        if self._top is None:
            self._top = self._read_top() or (0, 0)
        seq = int(delta["seq"])
        last_seq, last_n = self._top
        if seq < last_seq:  # the store went back under a live ingest: start a new log
            self.client.delete(self.key)
            last_seq, last_n = 0, 0
        n = last_n + 1 if seq == last_seq else 1
        body = json.dumps(delta, ensure_ascii=False, separators=(",", ":"))
        try:
            self.client.xadd(self.key, {"d": body}, id=f"{seq}-{n}", maxlen=self.maxlen, approximate=True)
        except redis.ResponseError:
            # Someone else wrote past us (a second ingest, a restored Redis): re-read the top and go on; the
            # walls that need this delta see the chain break and take a snapshot.
            self._top = None
            raise
        self._top = (seq, n)

    def store_panels(self, panels: dict[str, Any]) -> None:
        """Keep the month's panels as last pushed, for walls that catch up after missing the push."""
        self.client.set(self.panels, json.dumps(panels, ensure_ascii=False, separators=(",", ":")))

    def _read_top(self) -> tuple[int, int] | None:
        last = self.client.xrevrange(self.key, "+", "-", count=1)
        if not last:
            return None
        entry_id = last[0][0].decode() if isinstance(last[0][0], bytes) else str(last[0][0])
        seq, n = entry_id.split("-")
        return int(seq), int(n)

    # ---- reading (the web processes) -----------------------------------------------------------------
    def after(self, seq: int, *, store_seq: int, max_bytes: int) -> CatchUp:
        """Return the deltas that bring a wall at `seq` to the store's `store_seq` (read before this call).

        Raises `Gone` when the log cannot: it lacks the start (trimmed, or never logged), it stops short of
        the store, or the answer would exceed `max_bytes` (a snapshot is then the cheaper way).
        """
        if seq > store_seq:
            raise Gone("ahead")  # a wall from before the store was reset
        deltas: list[dict[str, Any]] = []
        cur, size, start = seq, 0, f"{seq}-0"
        while True:  # in pages, so a wall far behind costs a page or two before it is told to take a snapshot
            entries: list[tuple[bytes, dict[bytes, bytes]]] = self.client.xrange(  # type: ignore[assignment]
                self.key, start, "+", count=PAGE)
            for entry_id, fields in entries:
                raw = fields.get(b"d") or b""
                size += len(raw)
                if size > max_bytes:
                    raise Gone("too_big")
                delta = json.loads(raw)
                if int(delta["prev"]) > cur:
                    raise Gone("gap")
                cur = max(cur, int(delta["seq"]))
                deltas.append(delta)
                start = "(" + (entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id))
            if len(entries) < PAGE:
                break
        if cur < store_seq:
            raise Gone("behind")  # committed but not in the log (yet, or ever): the store is the truth
        return CatchUp(deltas, cur, size)

    def read_panels(self) -> dict[str, Any] | None:
        """Return the month's panels as last pushed (None when never pushed)."""
        raw = self.client.get(self.panels)
        return json.loads(raw) if raw else None


__all__ = ["CatchUp", "DeltaLog", "Gone", "log_key", "panels_key"]
