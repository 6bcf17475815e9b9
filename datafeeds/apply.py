"""Apply batches of raw feed messages to the store and return the wall's delta: the ingest's core."""

from __future__ import annotations

import itertools
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from datafeeds import categories
from datafeeds.batchwrite import Batch, write_batch
from datafeeds.bulk import Bulk
from datafeeds.clock import SHANGHAI, local_day, utcnow
from datafeeds.contract import Channel, ContractError, Envelope, channel_name, parse_event
from datafeeds.deadletters import DEFAULT_MAX_ROWS, OUTSIDE, DeadLetterStore, add_counters
from datafeeds.deadlines import DeadlinePolicy
from datafeeds.guard import CountyShape, FeedLimits, check_times
from datafeeds.lifecycle import LIVE_STATES, TRANSITIONS, TransitionError, next_state
from datafeeds.livecounts import LiveCounts
from datafeeds.models import (
    Alert,
    Assignment,
    Case,
    CaseEvent,
    CasePartyKey,
    DailyFigures,
    Department,
    IngestState,
    Place,
)
from datafeeds.partykeys import key_rows
from datafeeds.queries import day_figures, yesterday_close
from datafeeds.rows import (
    ASSIGNMENT_COLUMNS,
    CASES,
    EVENTS,
    RawMessage,
    alert_dict,
    alert_dict_from_row,
    case_dynamic_row,
    case_static_row,
    dead_row,
    event_row,
    live_from_row,
    peek_id,
)
from datafeeds.sources import Sources
from datafeeds.supervision import AUTO_SOURCE, CardClock, card_message
from datafeeds.wallstate import (
    CLOSE_KEYS,
    DayCounts,
    LiveCase,
    alert_row,
    counters,
    merge_deltas,
    pin,
    set_prewarn,
    ticker_row,
    warning_list,
)

log = logging.getLogger(__name__)

FUTURE_TOLERANCE = FeedLimits().max_future  # the default; the ingest's bounds are `Applier.limits`


class RecentIds:
    """The last `size` event ids seen, in memory: replay from the feed log skips them without asking the store."""

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self._ids: dict[str, None] = {}

    def add_all(self, ids: Iterable[str]) -> None:
        """Remember ids, forgetting the oldest beyond the size."""
        for i in ids:
            self._ids[i] = None
        extra = len(self._ids) - self.size
        if extra > 0:
            for old in list(itertools.islice(self._ids, extra)):
                del self._ids[old]

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids


class Rejected(Exception):
    """A message that cannot be applied; `reason` is its dead-letter reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Applier:
    """Hold the ingest's in-memory view of live cases and apply batches to the store."""

    def __init__(self, engine: Engine, *, tz: ZoneInfo = SHANGHAI, ticker_size: int = 40,
                 deadlines: DeadlinePolicy | None = None, clock: Callable[[], datetime] = utcnow,
                 auto_cards: bool = True, prefix: str = "zhongshu", limits: FeedLimits | None = None,
                 dead_letter_max: int = DEFAULT_MAX_ROWS) -> None:
        self.engine = engine
        self.limits = limits or FeedLimits()
        self.dead_letters = DeadLetterStore(dead_letter_max)
        self.auto_cards = auto_cards
        self.cards_channel = channel_name(prefix, Channel.CASES)
        self.tz = tz
        self.ticker_size = ticker_size
        self.deadlines = deadlines or DeadlinePolicy(tz=tz)
        self.clock = clock
        self.rejections: Counter[str] = Counter()  # dead letters by reason since this process started
        self.sensitive = frozenset(c.code for c in categories.all_categories() if c.sensitive)
        self.known_categories = frozenset(c.code for c in categories.all_categories())
        self.load()

    # ---- loading -------------------------------------------------------------------------------------
    def load(self) -> None:
        """(Re)load everything the ingest keeps in memory from the store."""
        self.recent_ids = RecentIds()  # a failed batch may have noted ids it never stored
        with Session(self.engine) as conn:
            places = conn.execute(select(Place.code, Place.tier, Place.lat, Place.lon, Place.polygon)).all()
            self.townships = {p.code for p in places if p.tier == "05"}
            self.villages = {p.code for p in places if p.tier == "06"}
            self.county_shape = CountyShape.from_places((p.tier, p.polygon) for p in places)
            self.centroids = {p.code: (p.lat, p.lon) for p in places}
            self.departments = {d.code: d.kind for d in conn.execute(select(Department.code, Department.kind))}
            state = conn.execute(select(IngestState).where(IngestState.id == 1)).first()
            if state is None:
                conn.execute(insert(IngestState).values(id=1, seq=0, accepted=0, rejected=0, duplicates=0))
                conn.commit()
                self.seq = self.accepted = self.rejected = self.duplicates = 0
                self.last_event_at: datetime | None = None
                self.last_heartbeat_at: datetime | None = None
            else:
                st = state[0]
                self.seq, self.accepted, self.rejected = st.seq, st.accepted, st.rejected
                self.duplicates = st.duplicates
                self.last_event_at, self.last_heartbeat_at = st.last_event_at, st.last_heartbeat_at
            self.live: dict[str, LiveCase] = {}
            self._pending_rows: dict[str, dict[str, Any]] = {}
            rows = conn.execute(select(Case).where(Case.state.in_(LIVE_STATES))).scalars()
            for c in rows:
                self.live[c.case_no] = live_from_row(c)
            by_id = {c.id: c for c in self.live.values()}
            self.assignments: dict[int, dict[str, Any]] = {}
            for a in conn.execute(select(Assignment).where(Assignment.status.in_(("pending", "signed"))))\
                    .scalars():
                if a.case_id in by_id:
                    by_id[a.case_id].assignment_id = a.id
                    self.assignments[a.id] = {c: getattr(a, c) for c in ASSIGNMENT_COLUMNS}
            self.next_case_id = (conn.execute(select(func.max(Case.id))).scalar() or 0) + 1
            self.next_assignment_id = (conn.execute(select(func.max(Assignment.id))).scalar() or 0) + 1
            self.alerts: dict[str, dict[str, Any]] = {
                a.alert_id: alert_dict(a)
                for a in conn.execute(select(Alert).where(Alert.cleared_at.is_(None))).scalars()
            }
            self._load_days(conn, local_day(self.clock(), self.tz))
            self.auto_seq = int(conn.execute(select(func.max(CaseEvent.source_seq))
                                             .where(CaseEvent.source == AUTO_SOURCE)).scalar() or 0)
        self.committed_seq = self.seq
        # How far the feeds have told us: cards are judged at this time, not at the wall clock's, so a
        # case is never carded on a deadline whose sign-for or resolve message may still be on its way
        # (history being loaded, a replay, a publisher catching up). Heartbeats keep it current.
        known = [t for t in (self.last_event_at, self.last_heartbeat_at) if t is not None]
        self.watermark: datetime | None = max(known) if known else None
        self.counts = LiveCounts()
        self.counts.reset(list(self.live.values()), self.clock())
        self.cards = CardClock(self.deadlines, self.departments)
        self.sources = Sources()
        self.sources.load(self.engine)
        for case in self.live.values():
            self.cards.track(case)

    def _load_days(self, conn: Session, today: date) -> None:
        self.today = today
        this, yesterday, self.month = day_figures(conn, today)
        self.day_counts: dict[date, DayCounts] = {today: this, today - timedelta(days=1): yesterday}
        self.close = yesterday_close(conn, today)

    # ---- the wall's figures -------------------------------------------------------------------------
    def counters(self, now: datetime | None = None) -> dict[str, Any]:
        """Return the headline counters as of `now`."""
        now = now or self.clock()
        today = local_day(now, self.tz)
        if today != self.today:
            with Session(self.engine) as conn:
                self._load_days(conn, today)
        return counters(self.counts.figures(now, self.live), self.day_counts[today],
                        self.day_counts[today - timedelta(days=1)], self.month, today, self.close)

    def record_figures(self, now: datetime | None = None) -> None:
        """Keep today's figures in the store; the last ones written on a day are its close."""
        now = now or self.clock()
        figures = self.counters(now)
        kept = {k: figures[k] for k in CLOSE_KEYS}
        day = local_day(now, self.tz)
        with self.engine.begin() as conn:
            done = conn.execute(update(DailyFigures).where(DailyFigures.day == day).values(figures=kept)).rowcount
            if not done:
                conn.execute(insert(DailyFigures).values(day=day, figures=kept))

    def warnings(self, now: datetime) -> list[dict[str, Any]]:
        """Return the wall's warning list (red cards, group and major incidents, 超期, 临期)."""
        self.counts.advance(now, self.live)
        cases = (self.live[n] for n in self.counts.warned() if n in self.live)
        return warning_list(cases, now)

    def pins_of(self, case_nos: set[str], now: datetime) -> list[dict[str, Any]]:
        """Return the pins of some open cases."""
        cases = (self.live.get(n) for n in case_nos)
        return [pin(c, now, self.centroids, self.sensitive) for c in cases if c is not None and c.is_open]

    def pins(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Return the pins of every open case."""
        now = now or self.clock()
        return [pin(c, now, self.centroids, self.sensitive) for c in self.live.values() if c.is_open]

    # ---- applying -----------------------------------------------------------------------------------
    def apply(self, messages: Sequence[RawMessage]) -> dict[str, Any] | None:
        """Apply a batch in one transaction; return the wall's delta, or None when nothing changed.

        A batch that fails in the store is retried one message at a time, so one poisoned message is
        dead-lettered and the others still land.
        """
        try:
            return self._apply(messages)
        except Exception:
            log.exception("batch of %d failed in the store; retrying one by one", len(messages))
            self.load()
            if len(messages) == 1:
                self._dead_letter_alone(messages[0], "store_error")
                return None
            deltas = [d for m in messages if (d := self.apply([m])) is not None]
            return merge_deltas(deltas) if deltas else None

    def _dead_letter_alone(self, msg: RawMessage, reason: str) -> None:
        now = self.clock()
        try:
            with self.engine.begin() as conn:
                self.dead_letters.store(conn, [dead_row(msg, reason, "failed in the store", peek_id(msg.data), now)])
                conn.execute(update(IngestState).where(IngestState.id == 1)
                             .values(rejected=IngestState.rejected + 1))
        except Exception:  # the store is down or refuses even the letter: count it here, never stop the ingest
            log.exception("could not store the dead letter of a message on %s", msg.channel)
        self.rejected += 1
        self.rejections[reason] += 1

    def _apply(self, messages: Sequence[RawMessage]) -> dict[str, Any] | None:
        now = self.clock()
        received = utcnow()  # when the batch came in, by the wall clock (sources' freshness); `now` may be a test's
        batch = Batch()
        parsed: list[tuple[RawMessage, Envelope]] = []
        for msg in messages:
            try:
                event = parse_event(msg.data, max_bytes=self.limits.max_bytes, max_depth=self.limits.max_depth)
                check_times(event, now, self.limits)
            except ContractError as exc:
                event_id = None if exc.reason == "too_large" else peek_id(msg.data)
                batch.dead.append(dead_row(msg, exc.reason, exc.detail, event_id, now))
                continue
            parsed.append((msg, event))
        # Stored ids, and recent ones from memory: heartbeats leave no row, yet a repeated one is a duplicate.
        seen = self._already_stored([e.id for _, e in parsed]) | {e.id for _, e in parsed if e.id in self.recent_ids}
        self.recent_ids.add_all(seen)
        batch.existing_cases = self._existing_cases(
            [e.data.case_no for _, e in parsed if e.type == "case.registered"])
        prev_seq = self.seq
        for msg, event in parsed:
            if event.id in seen:
                batch.duplicates += 1
                continue
            seen.add(event.id)
            if event.source != AUTO_SOURCE:
                beat = event.data.interval_s if event.type == "heartbeat" else None
                self.sources.note(event.source, event.seq, received, beat)
            try:
                self._apply_one(event, batch, now)
            except Rejected as exc:
                batch.dead.append(dead_row(msg, exc.reason, exc.detail, event.id, now))
                continue
            batch.accepted += 1
            self.recent_ids.add_all((event.id,))
            if event.source != AUTO_SOURCE:
                at = min(event.at, now)
                self.watermark = at if self.watermark is None else max(self.watermark, at)
        # Before the write, which takes the pending rows of the cases this batch registers (and their parties).
        raised = self._wall_alerts(batch.alerts_new)
        self._write(batch, now)
        self.accepted += batch.accepted
        self.rejected += len(batch.dead)
        self.rejections.update(row["reason"] for row in batch.dead)
        self.duplicates += batch.duplicates
        if self.seq == prev_seq:
            return None
        return self._delta(batch, prev_seq, now, raised)

    def known_ids(self, ids: list[str]) -> set[str]:
        """Return which of these event ids were applied before (recent ones from memory, else the store)."""
        known = {i for i in ids if i in self.recent_ids}
        rest = [i for i in ids if i not in known]
        return known | self._already_stored(rest) if rest else known

    def _already_stored(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        with self.engine.connect() as conn:
            return Bulk(conn).existing(conn, EVENTS, "event_id", ids)

    def _apply_one(self, event: Envelope, batch: Batch, now: datetime) -> None:
        type_ = event.type
        if type_ == "heartbeat":
            batch.heartbeat_at = max(batch.heartbeat_at or event.at, event.at)
            return
        if type_.startswith("alert."):
            self._apply_alert(event, batch)
            return
        data = event.data
        if type_ == "case.registered":
            case = self._register(event, batch)
            from_state = None
        else:
            found = self.live.get(data.case_no)
            if found is None:
                raise Rejected("unknown_case", f"no live case {data.case_no}")
            case = found
            self._check_codes(data)
            from_state = case.state
            try:
                to_state = next_state(type_, case.state)
            except TransitionError as exc:
                raise Rejected("bad_transition", str(exc)) from exc
            before = case_dynamic_row(case)
            self._transition(case, event, to_state, batch)
            after = case_dynamic_row(case)
            changed = batch.changed.setdefault(case.case_no, set())
            changed.update(k for k, v in after.items() if before[k] != v)
            if before["resolve_due"] != after["resolve_due"] or before["assigned_at"] != after["assigned_at"]:
                set_prewarn(case)
            if type_ in ("case.assigned", "case.extension"):
                self.cards.track(case)
        self.counts.touch(case, now)
        self.seq += 1
        case.last_seq = self.seq
        batch.touched[case.case_no] = case
        batch.pins_touched.add(case.case_no)
        batch.events.append(event_row(self.seq, event, case.id, from_state, case.state, now))
        batch.ticker.append((self.seq, event, case))
        self.last_event_at = max(self.last_event_at or event.at, event.at)

    def _register(self, event: Envelope, batch: Batch) -> LiveCase:
        d = event.data
        if d.case_no in self.live or d.case_no in batch.existing_cases:
            raise Rejected("duplicate_case", f"case {d.case_no} is already registered")
        if d.township not in self.townships:
            raise Rejected("unknown_place", f"unknown township {d.township}")
        if d.village is not None and d.village not in self.villages:
            raise Rejected("unknown_place", f"unknown village {d.village}")
        self._check_codes(d)
        case = LiveCase(
            id=self.next_case_id, case_no=d.case_no, state="registered", category=d.category,
            grade=d.grade, scale=d.scale, is_group=d.group, urgent=d.urgent, township=d.township,
            village=d.village, lat=d.lat, lon=d.lon, registered_at=event.at,
            outside=self.county_shape.outside(d.lat, d.lon),
        )
        self.next_case_id += 1
        self.live[case.case_no] = case
        batch.new_cases[case.case_no] = case
        self._pending_rows[case.case_no] = {**case_static_row(event), "outside_county": case.outside}
        self._day(batch, event.at).registered += 1
        return case

    def _check_codes(self, data: Any) -> None:
        """Refuse a department or category code the store does not know."""
        dept = getattr(data, "department", None)
        if dept is not None and dept not in self.departments:
            raise Rejected("unknown_department", f"unknown department {dept}")
        category = getattr(data, "category", None)
        if category is not None and category not in self.known_categories:
            raise Rejected("unknown_category", f"unknown category {category}")

    def _existing_cases(self, case_nos: list[str]) -> set[str]:
        if not case_nos:
            return set()
        with self.engine.connect() as conn:
            return Bulk(conn).existing(conn, CASES, "case_no", case_nos)

    def _day(self, batch: Batch, at: datetime) -> DayCounts:
        day = local_day(at, self.tz)
        counts = batch.days.setdefault(day, DayCounts())
        return counts

    def _transition(self, case: LiveCase, event: Envelope, to_state: str, batch: Batch) -> None:
        d, t = event.data, event.type
        case.state = to_state
        if t == "case.triaged":
            case.category = d.category or case.category
            case.grade = d.grade or case.grade
        elif t == "case.assigned":
            self._close_assignment(case, batch, status="reassigned", at=event.at)
            sign_due, resolve_due = d.sign_due, d.resolve_due
            if sign_due is None or resolve_due is None:
                dsign, dres = self.deadlines.due(event.at, self.departments[d.department], case.category,
                                                 case.grade)
                sign_due, resolve_due = sign_due or dsign, resolve_due or dres
            case.department, case.assigned_at = d.department, event.at
            case.sign_due, case.resolve_due, case.signed_at = sign_due, resolve_due, None
            case.assignment_id = self.next_assignment_id
            self.next_assignment_id += 1
            row = {
                "id": case.assignment_id, "case_id": case.id, "department_code": d.department,
                "assigned_at": event.at, "sign_due": sign_due, "resolve_due": resolve_due,
                "signed_at": None, "resolved_at": None, "returned_at": None, "status": "pending",
                "extension": None, "assigned_seq": self.seq + 1,
            }
            self.assignments[case.assignment_id] = row
            batch.new_assignments[case.assignment_id] = row
        elif t == "case.signed":
            case.signed_at = event.at
            self._assignment_update(case, batch, signed_at=event.at, status="signed")
        elif t == "case.returned":
            case.returns += 1
            self._close_assignment(case, batch, status="returned", at=event.at)
            case.department = None
        elif t == "case.escalated":
            case.escalated = True
        elif t == "case.extension":
            self._assignment_update(case, batch, extension=d.status)
            if d.status == "granted" and d.resolve_due is not None:
                case.resolve_due = d.resolve_due
                self._assignment_update(case, batch, resolve_due=d.resolve_due)
        elif t == "case.resolved":
            case.resolved_at, case.outcome, case.resolution_method = event.at, d.outcome, d.method
            self._assignment_update(case, batch, resolved_at=event.at, status="resolved")
            self._close_assignment(case, batch, status="resolved", at=event.at)
            counts = self._day(batch, event.at)
            counts.resolved += 1
            counts.resolved_success += d.outcome == "success"
        elif t == "case.visited":
            case.satisfaction = d.satisfaction
            counts = self._day(batch, event.at)
            counts.visited += 1
            counts.satisfied += d.satisfaction == "satisfied"
        elif t == "case.supervised":
            case.supervision = d.level.value
        if to_state in ("closed", "referred", "terminated"):
            case.closed_at = event.at
            self._close_assignment(case, batch, status="closed", at=event.at)

    def _assignment_update(self, case: LiveCase, batch: Batch, **values: Any) -> None:
        aid = case.assignment_id
        if aid is None:
            return
        self.assignments[aid].update(values)
        if aid not in batch.new_assignments:
            batch.dirty_assignments.add(aid)

    def _close_assignment(self, case: LiveCase, batch: Batch, *, status: str, at: datetime) -> None:
        if case.assignment_id is None:
            return
        values: dict[str, Any] = {"status": status}
        if status == "returned":
            values["returned_at"] = at
        self._assignment_update(case, batch, **values)
        batch.closed_assignments.add(case.assignment_id)
        case.assignment_id = None

    def _apply_alert(self, event: Envelope, batch: Batch) -> None:
        d = event.data
        if event.type == "alert.raised":
            if d.township is not None and d.township not in self.townships:
                raise Rejected("unknown_place", f"unknown township {d.township}")
            self._check_codes(d)
            self.seq += 1
            row = {"alert_id": d.alert_id, "level": d.level, "title": d.title, "township_code": d.township,
                   "case_no": d.case_no, "category": d.category, "raised_at": event.at,
                   "cleared_at": None, "seq": self.seq}
            self.alerts[d.alert_id] = alert_dict_from_row(row)
            batch.alerts_new.append(row)
        else:
            if d.alert_id not in self.alerts:
                raise Rejected("unknown_alert", f"no active alert {d.alert_id}")
            self.seq += 1
            del self.alerts[d.alert_id]
            batch.alerts_cleared.append({"b_alert_id": d.alert_id, "b_cleared_at": event.at})
        batch.events.append(event_row(self.seq, event, None, None, None, self.clock()))
        self.last_event_at = max(self.last_event_at or event.at, event.at)

    def due_cards(self, now: datetime | None = None) -> list[RawMessage]:
        """Return the messages that raise the 督办 cards the clock has brought due (apply them as a batch).

        Due means due by the feeds' watermark (the latest time a feed has reported, capped at `now`).
        """
        if not self.auto_cards or self.watermark is None:
            return []
        out = []
        for case, th in self.cards.due(min(now or self.clock(), self.watermark), self.live):
            self.auto_seq += 1
            raw = json.dumps(card_message(case, th, self.auto_seq), ensure_ascii=False)
            out.append(RawMessage(self.cards_channel, raw.encode()))
        return out

    # ---- writing -------------------------------------------------------------------------------------
    def _write(self, b: Batch, now: datetime) -> None:
        if b.heartbeat_at is not None:
            self.last_heartbeat_at = max(self.last_heartbeat_at or b.heartbeat_at, b.heartbeat_at)
        # Taken before write_batch, which pops the pending rows (with their parties) of the new cases.
        party_keys = [k for c in b.new_cases.values() for k in key_rows(c.id, self._pending_rows[c.case_no]["parties"])]
        with self.engine.begin() as conn:
            write_batch(conn, b, pending_rows=self._pending_rows, assignments=self.assignments,
                        state={"seq": self.seq, "last_event_at": self.last_event_at,
                               "last_heartbeat_at": self.last_heartbeat_at}, now=now)
            if party_keys:
                conn.execute(insert(CasePartyKey), party_keys)
            self.dead_letters.store(conn, b.dead)
            add_counters(conn, {OUTSIDE: sum(1 for c in b.new_cases.values() if c.outside)})
        self.committed_seq = self.seq
        for aid in b.closed_assignments:
            self.assignments.pop(aid, None)
        for day, counts in b.days.items():
            if day in self.day_counts:
                self.day_counts[day].add(counts)
            if (day.year, day.month) == (self.today.year, self.today.month) and day <= self.today:
                self.month.add(counts)
        for case_no, case in b.touched.items():
            if case.state not in LIVE_STATES:
                del self.live[case_no]

    def _wall_alerts(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return the wall's view of newly raised alerts, titles masked with the names of their cases' parties."""
        wanted = {r["case_no"] for r in rows if r["case_no"] is not None}
        # Live cases keep no parties in memory (alerts are rare; every case is not): the store is asked instead.
        parties: dict[str, Any] = {n: self._pending_rows[n]["parties"] for n in wanted if n in self._pending_rows}
        rest = wanted - parties.keys()
        if rest:
            with self.engine.connect() as conn:
                parties.update((n, p) for n, p in conn.execute(
                    select(Case.case_no, Case.parties).where(Case.case_no.in_(rest))))
        return [alert_row(r["alert_id"], r["level"], r["title"], r["township_code"], r["case_no"], r["category"],
                          r["raised_at"], parties.get(r["case_no"])) for r in rows]

    def _delta(self, b: Batch, prev_seq: int, now: datetime, raised: list[dict[str, Any]]) -> dict[str, Any]:
        upsert, remove = [], []
        for case_no in b.pins_touched:
            case = b.touched[case_no]
            if case.is_open:
                upsert.append(pin(case, now, self.centroids, self.sensitive))
            else:
                remove.append(case_no)
        return {
            "prev": prev_seq,
            "seq": self.seq,
            "at": now.isoformat(),
            "events": len(b.events),
            "counters": self.counters(now),
            "warnings": self.warnings(now),
            "pins": {"upsert": upsert, "remove": remove},
            "ticker": [ticker_row(seq, e.id, e.type, e.at, c.case_no, c.township, c.category, c.department)
                       for seq, e, c in b.ticker[-self.ticker_size:]],
            "alerts": {"raised": raised,
                       "cleared": [a["b_alert_id"] for a in b.alerts_cleared]},
            "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
            # Every case the batch changed, for the desk's doorbell; the ingest takes it off before the wall's push.
            "cases": sorted(b.touched),
        }


__all__ = ["TRANSITIONS", "Applier", "RawMessage", "merge_deltas"]
