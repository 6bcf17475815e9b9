"""Keep, count, inspect and replay rejected feed messages: the bounded dead-letter table.

The ingest stores each rejected message with its reason (`DeadLetterStore.store`, in the batch's own
transaction). The same bytes rejected again update their letter (`attempts`, the newest reason) instead of
adding a row, so a publisher retrying one poisoned message fills one row. The table keeps at most
`max_rows` letters (`ZHONGSHU_DEAD_LETTER_MAX`): the oldest are pruned and counted. Counts by reason live in
`feed_counters`, which pruning never touches.

Replay (`zhongshu deadletter replay`) re-publishes a letter's raw bytes on its original channel, so the
running ingest decodes them again; it then watches the store: a letter whose event landed is **removed**
(the store now holds the event, the letter has nothing left to say), one rejected again stays with its new
reason and one more attempt. Letters whose raw was truncated (longer than 64 KiB) cannot be replayed.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from datafeeds.clock import utcnow
from datafeeds.models import CaseEvent, DeadLetter, FeedCounter

DEFAULT_MAX_ROWS = 10_000

PRUNED = "dead_letters.pruned"
REPLAYED = "dead_letters.replayed"
OUTSIDE = "cases.outside_county"
REJECTED_PREFIX = "rejected."


def add_counters(conn: Connection, counts: dict[str, int]) -> None:
    """Add to named feed counters, creating them when new (the same upsert on SQLite and PostgreSQL)."""
    rows = [{"name": name, "value": n} for name, n in counts.items() if n]
    if rows:
        conn.execute(text("INSERT INTO feed_counters (name, value) VALUES (:name, :value) "
                          "ON CONFLICT (name) DO UPDATE SET value = feed_counters.value + excluded.value"), rows)


def read_counters(conn: Connection) -> dict[str, int]:
    """Return every feed counter by name."""
    return {name: int(value) for name, value in conn.execute(select(FeedCounter.name, FeedCounter.value))}


class DeadLetterStore:
    """Write dead letters for the ingest: merge repeats, count by reason, prune to `max_rows`."""

    def __init__(self, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        if max_rows < 1:
            raise ValueError("the dead-letter table must keep at least one letter")
        self.max_rows = max_rows
        self._kept: int | None = None  # rows in the table as this process believes (re-read when pruning)
        self.pruned = 0  # pruned by this process

    def store(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Store the dead letters of one batch (rows from `datafeeds.rows.dead_row`) in the caller's transaction."""
        if not rows:
            return
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for row in rows:
            key = (row["raw_sha256"], row["channel"])
            if key in merged:
                same = merged[key]
                same.update(reason=row["reason"], detail=row["detail"], last_seen_at=row["last_seen_at"],
                            event_id=row["event_id"] or same["event_id"], attempts=same["attempts"] + 1)
            else:
                merged[key] = dict(row)
        shas = sorted({sha for sha, _ in merged})
        existing: dict[tuple[str, str], int] = {}
        for letter_id, sha, channel in conn.execute(
                select(DeadLetter.id, DeadLetter.raw_sha256, DeadLetter.channel)
                .where(DeadLetter.raw_sha256.in_(shas)).order_by(DeadLetter.id)):
            existing[(sha, channel)] = letter_id  # the newest letter of the same bytes wins
        fresh: list[dict[str, Any]] = []
        for key, row in merged.items():
            found = existing.get(key)
            if found is None:
                fresh.append(row)
                continue
            conn.execute(update(DeadLetter).where(DeadLetter.id == found).values(
                reason=row["reason"], detail=row["detail"], last_seen_at=row["last_seen_at"],
                event_id=row["event_id"], attempts=DeadLetter.attempts + row["attempts"]))
        if fresh:
            conn.execute(insert(DeadLetter), fresh)
        add_counters(conn, Counter(f"{REJECTED_PREFIX}{row['reason']}" for row in rows))
        if self._kept is None:
            self._kept = int(conn.execute(select(func.count()).select_from(DeadLetter)).scalar() or 0)
        else:
            self._kept += len(fresh)
        if self._kept > self.max_rows:
            self._prune(conn)

    def _prune(self, conn: Connection) -> None:
        cutoff = conn.execute(select(DeadLetter.id).order_by(DeadLetter.id.desc())
                              .limit(1).offset(self.max_rows)).scalar()
        if cutoff is not None:
            pruned = conn.execute(delete(DeadLetter).where(DeadLetter.id <= cutoff)).rowcount or 0
            add_counters(conn, {PRUNED: pruned})
            self.pruned += pruned
        self._kept = int(conn.execute(select(func.count()).select_from(DeadLetter)).scalar() or 0)


def summary(engine: Engine) -> dict[str, Any]:
    """Return what /healthz shows of hostile input: rejections by reason (all time), the dead-letter table,
    and how many cases were registered outside the county."""
    with engine.connect() as conn:
        counters = read_counters(conn)
        kept = int(conn.execute(select(func.count()).select_from(DeadLetter)).scalar() or 0)
    by_reason = {name[len(REJECTED_PREFIX):]: n for name, n in sorted(counters.items())
                 if name.startswith(REJECTED_PREFIX)}
    return {"rejected_by_reason": by_reason,
            "dead_letters": {"kept": kept, "pruned": counters.get(PRUNED, 0), "replayed": counters.get(REPLAYED, 0)},
            "outside_county": counters.get(OUTSIDE, 0)}


# ---- inspection ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Letter:
    """One dead letter as the command line shows it."""

    id: int
    received_at: datetime
    last_seen_at: datetime | None
    channel: str
    reason: str
    detail: str
    event_id: str | None
    raw: bytes
    raw_size: int
    attempts: int
    replays: int
    replayed_at: datetime | None

    @property
    def truncated(self) -> bool:
        """Say whether the stored raw is only the start of the message (it cannot be replayed)."""
        return self.raw_size > len(self.raw)

    def as_dict(self, *, with_raw: bool = False) -> dict[str, Any]:
        """Return the letter as JSON-ready values (raw as text when it is UTF-8, else as hex)."""
        out: dict[str, Any] = {
            "id": self.id, "received_at": self.received_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat() if self.last_seen_at else None,
            "channel": self.channel, "reason": self.reason, "detail": self.detail, "event_id": self.event_id,
            "raw_size": self.raw_size, "truncated": self.truncated, "attempts": self.attempts,
            "replays": self.replays, "replayed_at": self.replayed_at.isoformat() if self.replayed_at else None,
        }
        if with_raw:
            try:
                out["raw"] = self.raw.decode("utf-8")
            except UnicodeDecodeError:
                out["raw_hex"] = self.raw.hex()
        return out


_COLUMNS = (DeadLetter.id, DeadLetter.received_at, DeadLetter.last_seen_at, DeadLetter.channel, DeadLetter.reason,
            DeadLetter.detail, DeadLetter.event_id, DeadLetter.raw, DeadLetter.raw_size, DeadLetter.attempts,
            DeadLetter.replays, DeadLetter.replayed_at)


def _letter(row: Any) -> Letter:
    raw = bytes(row.raw or b"")
    return Letter(row.id, row.received_at, row.last_seen_at, row.channel, row.reason, row.detail, row.event_id,
                  raw, max(int(row.raw_size or 0), len(raw)), int(row.attempts or 1), int(row.replays or 0),
                  row.replayed_at)


def list_letters(engine: Engine, *, reason: str | None = None, limit: int = 50) -> list[Letter]:
    """Return the newest letters (optionally of one reason), newest first."""
    query = select(*_COLUMNS).order_by(DeadLetter.id.desc()).limit(limit)
    if reason is not None:
        query = query.where(DeadLetter.reason == reason)
    with engine.connect() as conn:
        return [_letter(r) for r in conn.execute(query)]


def get_letters(engine: Engine, ids: Iterable[int]) -> dict[int, Letter]:
    """Return the letters with these ids (missing ones left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with engine.connect() as conn:
        return {r.id: _letter(r) for r in conn.execute(select(*_COLUMNS).where(DeadLetter.id.in_(wanted)))}


def letters_of_reason(engine: Engine, reason: str) -> list[Letter]:
    """Return every letter of one reason, oldest first (the order they are replayed in)."""
    with engine.connect() as conn:
        return [_letter(r) for r in conn.execute(select(*_COLUMNS).where(DeadLetter.reason == reason)
                                                  .order_by(DeadLetter.id))]


# ---- replay --------------------------------------------------------------------------------------------

class Publishes(Protocol):
    """What replay needs of a Redis client."""

    def publish(self, channel: str, message: bytes) -> Any:
        """Publish a message; return how many subscribers received it."""


@dataclass(slots=True)
class Outcome:
    """What became of one replayed letter."""

    id: int
    status: str  # accepted, already_applied, rejected_again, no_listener, no_answer, truncated, missing
    detail: str = ""

    @property
    def resolved(self) -> bool:
        """Say whether the letter's event is in the store now (the letter was removed)."""
        return self.status in ("accepted", "already_applied")


def _type_of(raw: bytes) -> str | None:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value.get("type") if isinstance(value, dict) and isinstance(value.get("type"), str) else None


def _stored_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    return set(conn.execute(select(CaseEvent.event_id).where(CaseEvent.event_id.in_(list(ids)))).scalars())


def replay(engine: Engine, client: Publishes, letters: Sequence[Letter], *, wait: float = 10.0,
           clock: Callable[[], datetime] = utcnow, poll: float = 0.1) -> list[Outcome]:
    """Re-publish letters on their channels and report what the running ingest made of each.

    A letter whose event is already stored is removed without publishing. Letters are published in the
    order given; the ingest's answers are read from the store for up to `wait` seconds: the event stored
    (accepted: the letter is removed), or the letter's `attempts` grown (rejected again, with the new reason).
    A heartbeat leaves no row: one not rejected again within `wait` counts as accepted.
    """
    outcomes: dict[int, Outcome] = {}
    pending: list[Letter] = []
    with engine.begin() as conn:
        already = _stored_ids(conn, [x.event_id for x in letters if x.event_id])
        for letter in letters:
            if letter.truncated:
                outcomes[letter.id] = Outcome(letter.id, "truncated",
                                              f"only {len(letter.raw)} of {letter.raw_size} bytes were kept")
            elif letter.event_id is not None and letter.event_id in already:
                conn.execute(delete(DeadLetter).where(DeadLetter.id == letter.id))
                outcomes[letter.id] = Outcome(letter.id, "already_applied", f"event {letter.event_id} is stored")
            else:
                pending.append(letter)
        add_counters(conn, {REPLAYED: sum(1 for o in outcomes.values() if o.resolved)})
    heard: list[Letter] = []
    for letter in pending:
        if int(client.publish(letter.channel, letter.raw)) > 0:
            heard.append(letter)
        else:
            outcomes[letter.id] = Outcome(letter.id, "no_listener",
                                          f"nobody subscribes to {letter.channel}: is `zhongshu ingest` running?")
    if heard:
        with engine.begin() as conn:
            conn.execute(update(DeadLetter).where(DeadLetter.id.in_([x.id for x in heard]))
                         .values(replays=DeadLetter.replays + 1, replayed_at=clock()))
    outcomes.update(_watch(engine, heard, wait, poll))
    return [outcomes[x.id] for x in letters if x.id in outcomes]


def _watch(engine: Engine, letters: list[Letter], wait: float, poll: float) -> dict[int, Outcome]:
    """Read the store until every published letter has an answer or `wait` has passed."""
    out: dict[int, Outcome] = {}
    waiting = {x.id: x for x in letters}
    deadline = time.monotonic() + wait
    while waiting:
        with engine.begin() as conn:
            rows = {r.id: r for r in conn.execute(
                select(DeadLetter.id, DeadLetter.attempts, DeadLetter.reason, DeadLetter.detail)
                .where(DeadLetter.id.in_(list(waiting))))}
            stored = _stored_ids(conn, [x.event_id for x in waiting.values() if x.event_id])
            accepted = []
            for letter_id, letter in list(waiting.items()):
                row = rows.get(letter_id)
                if letter.event_id is not None and letter.event_id in stored:
                    accepted.append(letter_id)
                    out[letter_id] = Outcome(letter_id, "accepted", f"event {letter.event_id} is stored")
                elif row is None:
                    out[letter_id] = Outcome(letter_id, "missing", "the letter was removed meanwhile")
                elif row.attempts > letter.attempts:
                    out[letter_id] = Outcome(letter_id, "rejected_again", f"{row.reason}: {row.detail}")
                else:
                    continue
                del waiting[letter_id]
            if accepted:
                conn.execute(delete(DeadLetter).where(DeadLetter.id.in_(accepted)))
                add_counters(conn, {REPLAYED: len(accepted)})
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    beats = [letter_id for letter_id, x in waiting.items() if _type_of(x.raw) == "heartbeat"]
    if beats:
        with engine.begin() as conn:
            conn.execute(delete(DeadLetter).where(DeadLetter.id.in_(beats)))
            add_counters(conn, {REPLAYED: len(beats)})
    for letter_id in waiting:
        out[letter_id] = (Outcome(letter_id, "accepted", "heartbeat: not rejected again") if letter_id in beats else
                          Outcome(letter_id, "no_answer", f"no answer from the ingest within {wait:g} s"))
    return out
