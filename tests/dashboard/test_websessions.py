"""Sessions end when they should: idle, over age, signed out, the user disabled or re-passworded, the token revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard import accounts, websessions

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
PASSWORD = "correct-horse-9"


def _user_session(engine, name: str = "li", role: str = "officer", now: datetime = T0) -> str:
    user = accounts.add_user(engine, name, role, PASSWORD, now=now - timedelta(days=1))
    return websessions.open_session(engine, user=user, max_age=timedelta(hours=12), source_ip="10.0.0.7",
                                    user_agent="test", now=now)


def test_a_user_session_resolves_to_its_user_until_idle(engine) -> None:
    secret = _user_session(engine)
    who = websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(minutes=29))
    assert who is not None and (who.kind, who.name, who.role, who.actor) == ("user", "li", "officer", "li")
    assert who.may("wall") and who.may("officer") and not who.may("leader")
    # that use moved last_seen_at: 29 more idle minutes are fine, 31 are not
    assert websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(minutes=58)) is not None
    assert websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(minutes=58 + 31)) is None
    assert websessions.resolve(engine, "not-a-secret", idle=IDLE, now=T0) is None
    assert websessions.resolve(engine, None, idle=IDLE, now=T0) is None


def test_a_busy_session_still_ends_at_its_max_age(engine) -> None:
    secret = _user_session(engine)
    now = T0
    while now + timedelta(minutes=20) < T0 + timedelta(hours=12):
        now += timedelta(minutes=20)
        assert websessions.resolve(engine, secret, idle=IDLE, now=now) is not None
    assert websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(hours=12, seconds=1)) is None


def test_disabling_or_a_new_password_ends_the_users_sessions(engine) -> None:
    secret = _user_session(engine, "wang")
    accounts.disable_user(engine, "wang", now=T0 + timedelta(minutes=1))
    assert websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(minutes=2)) is None
    accounts.enable_user(engine, "wang", now=T0 + timedelta(minutes=3))
    assert websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(minutes=4)) is not None
    accounts.set_password(engine, "wang", "another-horse-7", now=T0 + timedelta(minutes=5))
    assert websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(minutes=6)) is None


def test_signing_out_deletes_the_session_and_is_audited(engine) -> None:
    secret = _user_session(engine, "zhao", "admin")
    who = websessions.resolve(engine, secret, idle=IDLE, now=T0)
    assert who is not None
    websessions.end_session(engine, who, source_ip="10.0.0.7", now=T0 + timedelta(minutes=1))
    assert websessions.resolve(engine, secret, idle=IDLE, now=T0 + timedelta(minutes=1)) is None
    row = accounts.read_audit(engine, limit=1)[0]
    assert (row.actor, row.role, row.action, row.source_ip) == ("zhao", "admin", "auth.signout", "10.0.0.7")


def test_a_wall_session_never_idles_but_ends_with_its_token(engine) -> None:
    token, _ = accounts.create_token(engine, "大厅主屏", now=T0)
    secret = websessions.open_session(engine, token=token, source_ip="10.0.0.9", now=T0)
    use = accounts.read_audit(engine, limit=1)[0]
    assert (use.actor, use.role, use.action) == ("token:大厅主屏", "wall", "token.use")
    assert use.target == f"{token.id} 大厅主屏"
    later = T0 + timedelta(days=40)
    who = websessions.resolve(engine, secret, idle=IDLE, now=later)
    assert who is not None and (who.kind, who.role, who.actor) == ("wall", "wall", "token:大厅主屏")
    assert not who.may("officer")
    assert accounts.list_tokens(engine)[0].last_seen_at == later  # the wall PC is seen alive
    assert websessions.live_sessions(engine, [who.session_id, 999], idle=IDLE, now=later) == {who.session_id}
    accounts.revoke_token(engine, token.id, now=later)
    assert websessions.resolve(engine, secret, idle=IDLE, now=later) is None
    assert websessions.live_sessions(engine, [who.session_id], idle=IDLE, now=later) == set()


def test_only_the_hash_of_a_session_secret_is_stored(engine) -> None:
    from sqlalchemy import select

    from datafeeds.models import WebSession

    secret = _user_session(engine, "sun")
    with engine.connect() as conn:
        stored = conn.execute(select(WebSession.secret_hash)).scalar_one()
    assert secret not in stored and stored == websessions.secret_hash(secret)


def test_prune_removes_ended_user_sessions_only(engine) -> None:
    _user_session(engine, "qian")
    token, _ = accounts.create_token(engine, "墙", now=T0)
    websessions.open_session(engine, token=token, now=T0)
    assert websessions.prune_sessions(engine, idle=IDLE, now=T0 + timedelta(minutes=10)) == 0
    assert websessions.prune_sessions(engine, idle=IDLE, now=T0 + timedelta(hours=1)) == 1
