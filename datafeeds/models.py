"""Declare the stored tables: places, departments, cases, their history, assignments, ingest state, and the
users, display tokens and audit log of who may see what."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false, text


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and give them back aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Place(Base):
    """A county (04), township (05) or village (06), with centroid and boundary."""

    __tablename__ = "places"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    tier: Mapped[str] = mapped_column(String(2), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("places.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Department(Base):
    """A department that cases are assigned to."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(20))
    stationing: Mapped[str] = mapped_column(String(20))
    place_code: Mapped[str | None] = mapped_column(ForeignKey("places.code"))


class Case(Base):
    """One case (事件), with its current state and clocks."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(4))
    scale: Mapped[str] = mapped_column(String(2))
    grade: Mapped[str] = mapped_column(String(2))
    urgent: Mapped[bool] = mapped_column(Boolean)
    is_group: Mapped[bool] = mapped_column(Boolean)
    long_standing: Mapped[bool] = mapped_column(Boolean)
    people_involved: Mapped[int] = mapped_column(Integer)
    amount_involved: Mapped[float | None] = mapped_column(Float)
    source_channel: Mapped[str] = mapped_column(String(20))
    township_code: Mapped[str] = mapped_column(ForeignKey("places.code"))
    village_code: Mapped[str | None] = mapped_column(ForeignKey("places.code"))
    grid: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # The position lies outside the county's polygons (kept, flagged on its pin and counted in /healthz).
    outside_county: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    parties: Mapped[list[Any]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20))
    is_open: Mapped[bool] = mapped_column(Boolean)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    supervision: Mapped[str] = mapped_column(String(10), default="none")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    sign_due: Mapped[datetime | None]
    resolve_due: Mapped[datetime | None]
    registered_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))
    resolution_method: Mapped[str | None] = mapped_column(String(40))
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime]
    last_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_cases_open", "is_open", "resolve_due"),
        Index("ix_cases_registered_at", "registered_at"),
        # The desk filters by one of these and shows the newest first: each index hands it the first page
        # in order, and counts its matches without touching the table.
        Index("ix_cases_township_registered", "township_code", "registered_at"),
        Index("ix_cases_village_registered", "village_code", "registered_at"),
        Index("ix_cases_category_registered", "category", "registered_at"),
        Index("ix_cases_source_registered", "source_channel", "registered_at"),
        Index("ix_cases_department_registered", "department_code", "registered_at"),
        Index("ix_cases_state_registered", "state", "registered_at"),
        # Few cases are under 督办 at a time: a partial index holds just those.
        Index("ix_cases_supervised", "registered_at", sqlite_where=text("supervision != 'none'"),
              postgresql_where=text("supervision != 'none'")),
        # A case's page lists the other cases at the same address, and of the same category in the same village
        # around its registration, newest first (repeat visits).
        Index("ix_cases_address_registered", "address", "registered_at"),
        Index("ix_cases_village_category_registered", "village_code", "category", "registered_at"),
        # The desk lists the cases resolved on a day or in a month (the wall's 今日办结 and 化解率 drill into it).
        # A briefing counts the cases open at a past moment (registered before it, resolved after it) from this
        # index alone.
        Index("ix_cases_resolved_registered", "resolved_at", "registered_at"),
        # A briefing counts the cases open at a past moment: those closed since without a resolution (referred,
        # terminated) are found by the time they closed.
        Index("ix_cases_closed_at", "closed_at"),
        # … and those open now that were registered before that moment, from the index alone.
        Index("ix_cases_open_registered", "is_open", "registered_at"),
    )


class CaseEvent(Base):
    """One accepted event: the case's full history, in global `seq` order."""

    __tablename__ = "case_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    received_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(64))
    source_seq: Mapped[int] = mapped_column(BigInteger)
    department_code: Mapped[str | None] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # The event's `data` as the JSON text pydantic wrote: history is read rarely, written at ingest speed.
    data: Mapped[str] = mapped_column(Text)


class Assignment(Base):
    """One assignment of a case to a department, with its sign-for and resolve clocks."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    assigned_at: Mapped[datetime]
    sign_due: Mapped[datetime | None]
    resolve_due: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    extension: Mapped[str | None] = mapped_column(String(20))
    assigned_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        # A period's league reads the assignments made or resolved in it, and its 超期 those due in it.
        Index("ix_assignments_assigned_at", "assigned_at"),
        Index("ix_assignments_resolved_at", "resolved_at"),
        Index("ix_assignments_resolve_due", "resolve_due"),
    )


class CasePartyKey(Base):
    """One party of a case as a key (SHA-256 of its ID number or phone, see datafeeds.partykeys): a case's page
    finds the same person's other cases by looking keys up, never by reading every case's parties."""

    __tablename__ = "case_party_keys"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = (
        # Key first, the case beside it: the lookup reads the index alone.
        Index("ix_case_party_keys_key", "key", "case_id"),
    )


class Alert(Base):
    """A major or group incident alert."""

    __tablename__ = "alerts"

    alert_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    township_code: Mapped[str | None] = mapped_column(String(32))
    case_no: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(4))
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    seq: Mapped[int] = mapped_column(BigInteger)


class DeadLetter(Base):
    """A rejected feed message with its reason, for inspection and replay (`zhongshu deadletter`).

    `raw` holds the message as it came, or its first 64 KiB when longer (`raw_size` is the true length).
    The same bytes rejected again update their letter (`attempts`) instead of adding one.
    """

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(128), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True, default="", server_default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_seen_at: Mapped[datetime | None]
    replays: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replayed_at: Mapped[datetime | None]


class FeedCounter(Base):
    """A counter of the feeds that outlives the rows it counts: rejections by reason, pruned dead letters,
    cases registered outside the county. Names: `rejected.<reason>`, `dead_letters.pruned`,
    `dead_letters.replayed`, `cases.outside_county`."""

    __tablename__ = "feed_counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyStat(Base):
    """Per local day counts the wall needs, kept incrementally by the ingest."""

    __tablename__ = "daily_stats"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_success: Mapped[int] = mapped_column(Integer, default=0)
    visited: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    satisfied: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DailyFigures(Base):
    """The wall's headline figures as they stood at a local day's close (the last ones the ingest saw)."""

    __tablename__ = "daily_figures"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)


class FeedSource(Base):
    """One publisher as the ingest last saw it: its seq, the gaps in it, when it last spoke."""

    __tablename__ = "feed_sources"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int | None] = mapped_column(BigInteger)
    gaps: Mapped[int] = mapped_column(BigInteger, default=0)
    gap_ranges: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_seen_at: Mapped[datetime | None]
    interval_s: Mapped[float] = mapped_column(Float, default=10.0)
    restarts: Mapped[int] = mapped_column(Integer, default=0)


class IngestState(Base):
    """The ingest's single row: global seq, counters and freshness."""

    __tablename__ = "ingest_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    last_event_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]
    alive_at: Mapped[datetime | None]
    pid: Mapped[int | None] = mapped_column(Integer)


class User(Base):
    """A person who signs in: an officer, a leader or an admin (the wall signs in with a display token)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    # argon2id in its PHC string form ($argon2id$v=19$m=…,t=…,p=…$salt$hash): parameters travel with it.
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
    # Failed sign-ins since the last success or lock-out; at the limit the account is locked for a while.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    __table_args__ = (
        # The store itself refuses a role the code does not know (a typo in a hand-written UPDATE, say).
        CheckConstraint("role IN ('officer', 'leader', 'admin')", name="ck_users_role"),
    )


class DisplayToken(Base):
    """A wall PC's standing credential: only the SHA-256 of its secret is stored, never the secret."""

    __tablename__ = "display_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One line of the audit log (who, when, what, why): written once, never updated, pruned by age only."""

    __tablename__ = "audit_log"

    # BIGINT on PostgreSQL; SQLite numbers rows itself only for a column declared INTEGER PRIMARY KEY
    # (which holds 64 bits there anyway), so a plain BigInteger key would never be filled in.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class WebSession(Base):
    """A signed-in browser: a user at a desk, or a wall PC that opened its display token's link.

    The browser holds a random secret in its (signed, HttpOnly) cookie; the store keeps only its SHA-256, so a
    copy of the database signs nobody in. Signing out deletes the row, and a disabled user, a new password or a
    revoked token ends every session at the next request, because each request checks the row and its owner.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("display_tokens.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # A user's session ends at this time however busy it is (a shift); a wall's lasts as long as its token.
    expires_at: Mapped[datetime | None]
    source_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="ck_web_sessions_owner"),
    )


class WallSnapshot(Base):
    """The wall frozen at one moment (冻结大屏): its headline figures, map pins and panels as it showed them,
    masked, kept whole so a briefing can cite what the hall saw however the cases moved on."""

    __tablename__ = "wall_snapshots"

    # BIGINT on PostgreSQL, INTEGER PRIMARY KEY on SQLite (see AuditEntry).
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    taken_at: Mapped[datetime] = mapped_column(index=True)
    taken_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    seq: Mapped[int] = mapped_column(BigInteger)  # the store's global seq the snapshot was read at
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    pins: Mapped[list[Any]] = mapped_column(JSON)
    panels: Mapped[dict[str, Any]] = mapped_column(JSON)
