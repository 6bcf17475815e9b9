"""Keep who is signed in: a row per browser session, for a user at a desk or a wall PC with a display token.

The browser's cookie carries a random secret; the store keeps its SHA-256 only. Every request resolves the
secret to a `Principal` by one indexed read that also checks the owner: a disabled user, a user whose
password changed after the session began, a revoked display token, an idle or over-age session resolve to
nobody, at once and in every web process, with no cache to go stale. Nothing here knows Flask: the web's
request guard and its Socket.IO connect handler both call `resolve`, and the Socket.IO sweep calls
`live_sessions` to drop the sockets of sessions that ended.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import Engine, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from dashboard.accounts import SECRET_MAX, WALL_ROLE, audit, token_actor, token_hash
from datafeeds.clock import utcnow
from datafeeds.models import DisplayToken, User, WebSession

log = logging.getLogger(__name__)

# Who may pass a door, weakest first: a wall sees the masked wall; each role after it sees more.
LEVELS = (WALL_ROLE, "officer", "leader", "admin")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# A session's last_seen_at moves at most once a minute: idle expiry is as exact as a duty officer needs,
# and a busy desk or wall does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: a signed-in user, or a wall PC holding a display token."""

    session_id: int
    kind: str  # "user" or "wall"
    owner_id: int  # the user's or the display token's id
    name: str
    role: str  # "wall", "officer", "leader" or "admin"

    @property
    def actor(self) -> str:
        """Return how the audit log names this principal (a user name, or `token:<name>` for a wall)."""
        return self.name if self.kind == "user" else f"token:{self.name}"

    @property
    def room(self) -> str:
        """Return the Socket.IO room of this principal's sockets (so an ended session's can be found)."""
        return f"{self.kind}:{self.owner_id}"

    def may(self, level: str) -> bool:
        """Return whether this principal may pass a door of a level (`wall` ≤ officer ≤ leader ≤ admin)."""
        return _RANK.get(self.role, -1) >= _RANK[level]


def secret_hash(secret: str) -> str:
    """Return what the store keeps of a session secret."""
    return token_hash(secret)


def open_session(engine: Engine, *, user: User | None = None, token: DisplayToken | None = None,
                 max_age: timedelta | None = None, source_ip: str | None = None, user_agent: str | None = None,
                 now: datetime | None = None) -> str:
    """Start a session for a user (ending at `max_age`) or a display token (lasting while the token does).

    Returns the secret for the cookie. A wall opening its link writes a `token.use` audit row; a user's
    sign-in was audited by `accounts.authenticate`.
    """
    if (user is None) == (token is None):
        raise ValueError("a session belongs to a user or to a display token")
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    with Session(engine) as session, session.begin():
        session.add(WebSession(
            secret_hash=secret_hash(secret), user_id=user.id if user else None,
            token_id=token.id if token else None, created_at=now, last_seen_at=now,
            expires_at=now + max_age if user is not None and max_age is not None else None,
            source_ip=source_ip[:64] if source_ip else None, user_agent=user_agent[:200] if user_agent else None))
        if token is not None:
            audit(session, token_actor(token), WALL_ROLE, "token.use", target=f"{token.id} {token.name}",
                  source_ip=source_ip, now=now)
    return secret


def _valid(now: datetime, idle: timedelta) -> list[object]:
    """Return the conditions under which a session row still signs its owner in."""
    user_ok = and_(WebSession.user_id.is_not(None), User.disabled.is_(False),
                   User.password_changed_at <= WebSession.created_at,
                   or_(WebSession.expires_at.is_(None), WebSession.expires_at > now),
                   WebSession.last_seen_at > now - idle)
    token_ok = and_(WebSession.token_id.is_not(None), DisplayToken.revoked_at.is_(None))
    return [or_(user_ok, token_ok)]


def _joined(*columns: object):  # type: ignore[no-untyped-def]  # a Select of whatever columns are asked
    return (select(*columns).select_from(WebSession)  # type: ignore[call-overload]
            .outerjoin(User, User.id == WebSession.user_id)
            .outerjoin(DisplayToken, DisplayToken.id == WebSession.token_id))


def resolve(engine: Engine, secret: str | None, *, idle: timedelta, now: datetime | None = None) -> Principal | None:
    """Return who holds a session secret, or None when it signs nobody in (any more)."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    now = now or utcnow()
    query = _joined(WebSession.id, WebSession.last_seen_at, WebSession.user_id, WebSession.token_id,
                    User.name, User.role, DisplayToken.name, DisplayToken.last_seen_at).where(
        WebSession.secret_hash == secret_hash(secret), *_valid(now, idle))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    sid, seen, user_id, token_id, user_name, role, token_name, token_seen = row
    if seen <= now - TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(WebSession).where(WebSession.id == sid).values(last_seen_at=now))
            if token_id is not None and (token_seen is None or token_seen <= now - TOUCH_EVERY):
                conn.execute(update(DisplayToken).where(DisplayToken.id == token_id).values(last_seen_at=now))
    if user_id is not None:
        return Principal(session_id=sid, kind="user", owner_id=user_id, name=user_name, role=role)
    return Principal(session_id=sid, kind="wall", owner_id=token_id, name=token_name, role=WALL_ROLE)


def end_session(engine: Engine, principal: Principal, *, source_ip: str | None = None,
                now: datetime | None = None) -> None:
    """Sign a session out: its row goes, so a copy of its cookie signs nobody in either."""
    with Session(engine) as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.id == principal.session_id))
        audit(session, principal.actor, principal.role, "auth.signout", source_ip=source_ip, now=now)


def live_sessions(engine: Engine, session_ids: Iterable[int], *, idle: timedelta,
                  now: datetime | None = None) -> set[int]:
    """Return which of these sessions still sign their owner in (the Socket.IO sweep drops the others)."""
    ids = sorted(set(session_ids))
    if not ids:
        return set()
    now = now or utcnow()
    live: set[int] = set()
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            live.update(conn.scalars(_joined(WebSession.id).where(WebSession.id.in_(chunk), *_valid(now, idle))))
    return live


def prune_sessions(engine: Engine, *, idle: timedelta, now: datetime | None = None) -> int:
    """Delete the rows of user sessions that expired or went idle; return how many."""
    now = now or utcnow()
    with engine.begin() as conn:
        done = conn.execute(delete(WebSession).where(WebSession.user_id.is_not(None), or_(
            WebSession.expires_at <= now, WebSession.last_seen_at <= now - idle)))
    return done.rowcount


def notice_channel(prefix: str) -> str:
    """Return the Redis channel that tells web processes to check their sockets' sessions now."""
    return f"{prefix}:auth:changed"


def ring(client: redis.Redis, prefix: str) -> bool:
    """Tell every web process that sessions may have ended (a token revoked, a user disabled, a sign-out).

    A doorbell only: the store is the truth, and each web process also checks its sockets every few
    seconds, so a lost ring delays the drop a little and loses nothing. Returns whether Redis took it.
    """
    try:
        client.publish(notice_channel(prefix), b"1")
    except (redis.RedisError, OSError) as exc:
        log.warning("could not ring the sessions doorbell (%s); web processes notice at their next check", exc)
        return False
    return True
