"""Keep who may see what: users and their roles, argon2id passwords, display tokens for the wall PCs, and the
audit log of every sign-in and every account or token change.

Nothing here knows Flask: the web side calls these functions (sign-in, a wall's token, the audit of views,
unmasks and exports) and the command line (`zhongshu user|token|audit`) calls the same ones. Every change
to a user or a token writes its audit row in the same transaction, so the log never misses a change that
happened nor shows one that did not. Password hashing (a third of a second of CPU) always runs outside any
transaction: on SQLite a write transaction blocks the ingest, the one writer that matters. Every time is
aware UTC; functions take `now` so tests move the clock instead of sleeping.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datafeeds.clock import utcnow
from datafeeds.models import AuditEntry, DisplayToken, User
from layouts.i18n import say

ROLES = ("officer", "leader", "admin")
# Each role may do all that the roles before it may: a leader what an officer may, an admin what a leader may.
_RANK = {role: rank for rank, role in enumerate(ROLES)}

WALL_ROLE = "wall"  # the role of a display token's audit rows; never a user's role
CLI_ACTOR = "cli"
TOKEN_ACTOR_PREFIX = "token:"
NAME_MAX = 64

MIN_PASSWORD_LENGTH = 10
# Five tries forgive a few typos (a keyboard left in Chinese input mode, say). Fifteen minutes then holds an
# online guesser to about twenty guesses an hour per account, while someone locked out by their own typos, or
# by a stranger who knows only their name, waits a quarter of an hour at most and needs no admin to get back.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# A wall asks the server many times a minute (snapshot, catch-ups, reconnects). Writing `last_seen_at` on each
# would make every wall a writer, queueing on SQLite behind the ingest; a minute tells a live screen from a
# dead one well enough.
TOUCH_EVERY = timedelta(minutes=1)
# DOMAIN.md: the audit log is kept at least six months; ZHONGSHU_AUDIT_RETENTION_DAYS has the same floor.
AUDIT_MIN_DAYS = 180
PRUNE_BATCH = 5000  # rows deleted per transaction, so a first prune of years of log never holds SQLite long
SECRET_MAX = 256  # longer than any secret we hand out (43 characters); a longer one is refused unhashed

ACTIONS = frozenset({
    "auth.ok", "auth.fail", "auth.locked", "auth.signout",
    "user.add", "user.disable", "user.enable", "user.passwd",
    "token.create", "token.revoke", "token.use",
    "case.view", "case.unmask", "export", "freeze",
    "audit.prune",
})
# Keys an audit row's detail may never carry: the log is read by more people than may know these.
_SECRET_KEYS = frozenset({"password", "secret"})

# argon2-cffi's default is argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes). The
# parameters are written into each hash, so raising them later rehashes each password at its next sign-in.
_hasher = PasswordHasher()



class AccountError(ValueError):
    """A refused account, token or audit operation, with its reason in Chinese and English."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{self.text('zh-CN')} / {self.text('en')}")

    def text(self, lang: str = "zh-CN") -> str:
        """Return the reason in one language (zh-CN when the language is unknown)."""
        return say(f"account.{self.code}", lang, **self.params)


def role_at_least(role: str | None, wanted: str) -> bool:
    """Return whether a role may do what `wanted` may (admin ⊇ leader ⊇ officer); other roles may not."""
    if wanted not in _RANK:
        raise ValueError(f"unknown role {wanted!r}; roles are {', '.join(ROLES)}")
    return role in _RANK and _RANK[role] >= _RANK[wanted]


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password (a PHC string with its own salt and parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether a password matches its stored hash; a malformed hash matches nothing."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether a hash was made with other parameters than today's (or is not ours at all)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def check_password(password: str, name: str | None = None) -> None:
    """Raise AccountError when a password is too weak to set: shorter than 10 characters, or the user's name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_short", min=MIN_PASSWORD_LENGTH)
    if name is not None and password.casefold() == name.casefold():
        raise AccountError("password_is_name")


def _clean_name(name: str, *, user: bool) -> str:
    # One spelling per name: the same characters typed on another keyboard (decomposed) are the same name.
    name = unicodedata.normalize("NFC", name)
    name = name if user else name.strip()
    if not name:
        raise AccountError("name_empty")
    if len(name) > NAME_MAX:
        raise AccountError("name_long", max=NAME_MAX)
    # Control and format characters (bidi overrides, zero-width joiners) make names that look like others.
    if any(unicodedata.category(c).startswith("C") or (user and (c.isspace() or c == ":")) for c in name):
        raise AccountError("name_chars")
    # The audit log names its actors by user name, "token:<name>" or "cli": a user may not look like either.
    if user and name.casefold() == CLI_ACTOR:
        raise AccountError("name_reserved", name=name)
    return name


def check_user_name(name: str) -> str:
    """Return a user name as stored (NFC), or raise AccountError when it is empty, too long or reserved."""
    return _clean_name(name, user=True)


def check_role(role: str) -> str:
    """Return a user role, or raise AccountError when it is not one of ROLES."""
    if role not in _RANK:
        raise AccountError("role_unknown", role=role)
    return role


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Return whether a user is locked out after too many failed sign-ins."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def add_user(engine: Engine, name: str, role: str, password: str, *, actor: str = CLI_ACTOR,
             actor_role: str | None = None, source_ip: str | None = None, now: datetime | None = None) -> User:
    """Create a user with a role and password; raise AccountError for a bad name, role or password."""
    name = check_user_name(name)
    check_role(role)
    check_password(password, name)
    password_hash = hash_password(password)
    now = now or utcnow()
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise AccountError("user_exists", name=name)
            user = User(name=name, role=role, password_hash=password_hash, disabled=False, created_at=now,
                        password_changed_at=now, failed_logins=0)
            session.add(user)
            session.flush()
            audit(session, actor, actor_role, "user.add", target=name, source_ip=source_ip,
                  detail={"role": role}, now=now)
    except IntegrityError as exc:  # the same name added by someone else between our check and our insert
        raise AccountError("user_exists", name=name) from exc
    return user


def get_user(engine: Engine, name: str) -> User | None:
    """Return a user by name, or None."""
    with Session(engine, expire_on_commit=False) as session:
        return session.scalar(select(User).where(User.name == unicodedata.normalize("NFC", name)))


def list_users(engine: Engine) -> list[User]:
    """Return every user, by name."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(User).order_by(User.name)))


def _change_user(engine: Engine, name: str, action: str, change: Callable[[User], dict[str, Any] | None], *,
                 actor: str, actor_role: str | None, source_ip: str | None, reason: str | None,
                 now: datetime) -> bool:
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.name == unicodedata.normalize("NFC", name)).with_for_update())
        if user is None:
            raise AccountError("user_missing", name=name)
        detail = change(user)
        if detail is None:
            return False
        audit(session, actor, actor_role, action, target=user.name, reason=reason, source_ip=source_ip,
              detail=detail or None, now=now)
    return True


def disable_user(engine: Engine, name: str, *, actor: str = CLI_ACTOR, actor_role: str | None = None,
                 source_ip: str | None = None, reason: str | None = None, now: datetime | None = None) -> bool:
    """Stop a user from signing in; return False when they already were disabled."""

    def change(user: User) -> dict[str, Any] | None:
        if user.disabled:
            return None
        user.disabled = True
        return {}

    return _change_user(engine, name, "user.disable", change, actor=actor, actor_role=actor_role,
                        source_ip=source_ip, reason=reason, now=now or utcnow())


def enable_user(engine: Engine, name: str, *, actor: str = CLI_ACTOR, actor_role: str | None = None,
                source_ip: str | None = None, reason: str | None = None, now: datetime | None = None) -> bool:
    """Let a user sign in again, lifting a lock-out too; return False when there was nothing to lift."""
    now = now or utcnow()

    def change(user: User) -> dict[str, Any] | None:
        was_locked = is_locked(user, now)
        if not user.disabled and not was_locked and not user.failed_logins:
            return None
        detail = {"was_disabled": user.disabled, "was_locked": was_locked}
        user.disabled, user.failed_logins, user.locked_until = False, 0, None
        return detail

    return _change_user(engine, name, "user.enable", change, actor=actor, actor_role=actor_role,
                        source_ip=source_ip, reason=reason, now=now)


def set_password(engine: Engine, name: str, password: str, *, actor: str = CLI_ACTOR,
                 actor_role: str | None = None, source_ip: str | None = None, reason: str | None = None,
                 now: datetime | None = None) -> None:
    """Give a user a new password (lifting a lock-out); raise AccountError for a weak one or an unknown user."""
    user = get_user(engine, name)
    if user is None:
        raise AccountError("user_missing", name=name)
    check_password(password, user.name)
    password_hash = hash_password(password)
    now = now or utcnow()

    def change(user: User) -> dict[str, Any] | None:
        user.password_hash, user.password_changed_at = password_hash, now
        user.failed_logins, user.locked_until = 0, None
        return {}

    _change_user(engine, name, "user.passwd", change, actor=actor, actor_role=actor_role, source_ip=source_ip,
                 reason=reason, now=now)


def authenticate(engine: Engine, name: str, password: str, *, now: datetime | None = None,
                 source_ip: str | None = None) -> User | None:
    """Return the user when name and password match an enabled, unlocked account, else None; audit either way.

    Five failures in a row lock the account for 15 minutes; a success resets the count. Each try is counted
    before its password is checked, so requests sent in parallel cannot each get a guess in before the first
    failure is counted: beyond the fifth, a try is refused unchecked. The password is checked against a hash
    whatever the account's state, so the answer takes as long for an unknown, disabled or locked name as for
    a good one, and its timing tells a guesser nothing.
    """
    now = now or utcnow()
    name = unicodedata.normalize("NFC", name)
    user = get_user(engine, name) if name else None
    if user is None:
        _verify(_dummy_hash(), password)
        audit(engine, name[:NAME_MAX] or "-", None, "auth.fail", source_ip=source_ip,
              detail={"reason": "unknown_user"}, now=now)
        return None
    tries = _reserve_try(engine, user.id, now)
    refusal = None
    if tries is None:
        refusal = "disabled" if user.disabled else "locked"
    elif tries > MAX_FAILED_LOGINS:
        refusal = "locked"  # more tries in flight than the limit: a parallel failure is locking the account
    matched = _verify(user.password_hash if refusal is None else _dummy_hash(), password)
    if refusal is None and matched:
        fresh = _sign_in(engine, user, password, now=now, source_ip=source_ip)
        if fresh is not None:
            return fresh
        refusal = "changed"  # disabled, locked or given a new password while we were checking the old one
    with Session(engine) as session, session.begin():
        failures = tries if refusal is None else None
        audit(session, user.name, user.role, "auth.fail", source_ip=source_ip,
              detail={"reason": refusal or "bad_password", **({"failures": failures} if failures else {})}, now=now)
        if failures is not None and failures >= MAX_FAILED_LOGINS:
            until = now + LOCKOUT
            session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=until))
            audit(session, user.name, user.role, "auth.locked", source_ip=source_ip,
                  detail={"failures": failures, "until": until.isoformat()}, now=now)
    return None


# argon2id takes 64 MiB and a third of a second of CPU per check: a burst of sign-ins from many addresses
# must queue, not run the host out of memory.
_VERIFY_SLOTS = threading.BoundedSemaphore(4)


def _verify(password_hash: str, password: str) -> bool:
    with _VERIFY_SLOTS:
        return verify_password(password_hash, password)


def _reserve_try(engine: Engine, user_id: int, now: datetime) -> int | None:
    """Count a sign-in try before checking it; return the count, or None when the account is disabled or locked."""
    with engine.begin() as conn:
        return conn.execute(
            update(User).where(User.id == user_id, User.disabled.is_(False),
                               User.locked_until.is_(None) | (User.locked_until <= now))
            .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)).scalar()


def _sign_in(engine: Engine, user: User, password: str, *, now: datetime, source_ip: str | None) -> User | None:
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    rehashed = needs_rehash(user.password_hash)
    if rehashed:
        values["password_hash"] = hash_password(password)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        # Only the account as we checked it: not disabled or locked since, and with the password we verified.
        done = session.connection().execute(update(User).where(
            User.id == user.id, User.disabled.is_(False), User.password_hash == user.password_hash,
            User.locked_until.is_(None) | (User.locked_until <= now)).values(**values))
        if done.rowcount != 1:
            return None
        audit(session, user.name, user.role, "auth.ok", source_ip=source_ip,
              detail={"rehashed": True} if rehashed else None, now=now)
        return session.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))


def token_hash(secret: str) -> str:
    """Return the SHA-256 (hex) of a display token's secret: what the store keeps instead of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(engine: Engine, name: str, actor: str = CLI_ACTOR, *, actor_role: str | None = None,
                 source_ip: str | None = None, now: datetime | None = None) -> tuple[DisplayToken, str]:
    """Create a display token for a wall PC; return its row and its secret, which is never stored or shown again."""
    name = _clean_name(name, user=False)
    secret = secrets.token_urlsafe(32)  # 256 bits: guessing is hopeless, so a lookup by its hash is safe
    now = now or utcnow()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = DisplayToken(name=name, token_hash=token_hash(secret), created_at=now, created_by=actor[:NAME_MAX])
        session.add(row)
        session.flush()
        audit(session, actor, actor_role, "token.create", target=f"{row.id} {name}", source_ip=source_ip, now=now)
    return row, secret


def token_by_secret(engine: Engine, secret: str) -> DisplayToken | None:
    """Return the active (not revoked) display token with this secret, or None."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    wanted = token_hash(secret)
    with Session(engine, expire_on_commit=False) as session:
        row = session.scalar(select(DisplayToken).where(DisplayToken.token_hash == wanted,
                                                        DisplayToken.revoked_at.is_(None)))
    # The index lookup's timing could only tell a guesser about the hashes of its guesses, never the secret;
    # the constant-time comparison keeps the last step free of even that.
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return row


def token_actor(token: DisplayToken) -> str:
    """Return how the audit log names a wall that uses a display token: `token:<name>`."""
    return f"{TOKEN_ACTOR_PREFIX}{token.name}"


def list_tokens(engine: Engine) -> list[DisplayToken]:
    """Return every display token, revoked ones too, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(DisplayToken).order_by(DisplayToken.id)))


def revoke_token(engine: Engine, id_or_name: int | str, actor: str = CLI_ACTOR, *, actor_role: str | None = None,
                 source_ip: str | None = None, reason: str | None = None,
                 now: datetime | None = None) -> DisplayToken:
    """Revoke a display token by id, or by name when one active token has it; return the revoked row."""
    now = now or utcnow()
    key = str(id_or_name).strip()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = session.get(DisplayToken, int(key)) if key.isdecimal() and len(key) < 19 else None
        if row is None:
            named = list(session.scalars(select(DisplayToken).where(
                DisplayToken.name == unicodedata.normalize("NFC", key),
                DisplayToken.revoked_at.is_(None)).order_by(DisplayToken.id)))
            if len(named) > 1:
                raise AccountError("token_ambiguous", n=len(named), key=key, ids=", ".join(str(t.id) for t in named))
            row = named[0] if named else None
        if row is None:
            raise AccountError("token_missing", key=key)
        if row.revoked_at is not None:
            raise AccountError("token_revoked", key=f"{row.id} {row.name}", at=row.revoked_at.isoformat())
        row.revoked_at = now
        audit(session, actor, actor_role, "token.revoke", target=f"{row.id} {row.name}", reason=reason,
              source_ip=source_ip, now=now)
    return row


def touch_token(engine: Engine, token_id: int, *, now: datetime | None = None) -> bool:
    """Record that a wall used its token now, at most once a minute; return whether a write was made."""
    now = now or utcnow()
    with engine.begin() as conn:
        done = conn.execute(update(DisplayToken).where(
            DisplayToken.id == token_id, DisplayToken.revoked_at.is_(None),
            DisplayToken.last_seen_at.is_(None) | (DisplayToken.last_seen_at <= now - TOUCH_EVERY),
        ).values(last_seen_at=now))
    return done.rowcount == 1


def audit(engine_or_conn: Engine | Connection | Session, actor: str, role: str | None, action: str,
          target: str | None = None, reason: str | None = None, source_ip: str | None = None,
          detail: Mapping[str, Any] | None = None, now: datetime | None = None) -> None:
    """Append one row to the audit log, in the caller's transaction when given a connection or session.

    `actor` is a user name, `token:<name>` or `cli`; `action` one of ACTIONS. Text that came from outside
    (a name typed at sign-in, a forwarded address) is cut to its column, so a long one never loses the row.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to ACTIONS")
    if detail and _SECRET_KEYS & {str(k).casefold() for k in detail}:
        raise ValueError("an audit row's detail must not carry a password or secret")
    row = {"at": now or utcnow(), "actor": actor[:80], "role": role[:16] if role else None, "action": action,
           "target": target[:200] if target else None, "reason": reason or None,
           "source_ip": source_ip[:64] if source_ip else None,
           "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None}
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            conn.execute(insert(AuditEntry).values(**row))
    else:
        engine_or_conn.execute(insert(AuditEntry).values(**row))


def read_audit(engine: Engine, limit: int = 50, offset: int = 0, action: str | None = None,
               actor: str | None = None) -> list[AuditEntry]:
    """Return audit rows newest first, optionally of one action and of actors whose name contains `actor`."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor.contains(actor, autoescape=True))
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query))


def prune_audit(engine: Engine, older_than_days: int, *, actor: str = CLI_ACTOR, actor_role: str | None = None,
                now: datetime | None = None) -> int:
    """Delete audit rows older than a number of days (never fewer than 180); return how many, itself audited."""
    if older_than_days < AUDIT_MIN_DAYS:
        raise AccountError("retention_short", min=AUDIT_MIN_DAYS)
    now = now or utcnow()
    cutoff = now - timedelta(days=older_than_days)
    deleted = 0
    while True:
        with engine.begin() as conn:
            ids = list(conn.scalars(select(AuditEntry.id).where(AuditEntry.at < cutoff)
                                    .order_by(AuditEntry.id).limit(PRUNE_BATCH)))
            if ids:
                conn.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids)))
                deleted += len(ids)
            if len(ids) < PRUNE_BATCH:
                audit(conn, actor, actor_role, "audit.prune", now=now,
                      detail={"deleted": deleted, "days": older_than_days, "before": cutoff.isoformat()})
                return deleted
