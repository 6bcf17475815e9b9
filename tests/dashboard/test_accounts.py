"""Users, passwords, lock-out, display tokens and the audit log, on a real database (SQLite, and PostgreSQL when
named): what is stored, what is refused, and what the audit log says about it."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from dashboard import accounts
from dashboard.accounts import AccountError
from datafeeds.models import AuditEntry, DisplayToken, User

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
PW = "correct horse battery"


def audit_rows(engine: Engine, action: str | None = None) -> list[AuditEntry]:
    """Return the audit rows oldest first."""
    return list(reversed(accounts.read_audit(engine, limit=10_000, action=action)))


def stored_text(engine: Engine) -> Iterator[str]:
    """Yield every value of every column of every table the database holds, as text."""
    names = inspect(engine).get_table_names()
    assert {"users", "display_tokens", "audit_log"} <= set(names)
    with engine.connect() as conn:
        for name in names:
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                for value in row:
                    yield value.hex() if isinstance(value, bytes) else str(value)


def assert_not_stored(engine: Engine, *secrets: str) -> None:
    """Fail when any of the strings is in any column of the database (or, on SQLite, in its files' bytes)."""
    values = list(stored_text(engine))
    for secret in secrets:
        assert not [v for v in values if secret in v], "a secret is stored in the clear"
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        files = [Path(engine.url.database), Path(engine.url.database + "-wal")]
        data = b"".join(p.read_bytes() for p in files if p.exists())
        assert data, "the database files were found"
        for secret in secrets:
            assert secret.encode() not in data


def test_passwords_are_hashed_with_argon2id_and_verify() -> None:
    h = accounts.hash_password(PW)
    assert h.startswith("$argon2id$v=19$") and PW not in h
    assert accounts.verify_password(h, PW)
    assert not accounts.verify_password(h, PW + "!")
    assert not accounts.verify_password("not a hash", PW), "a malformed hash matches nothing"
    assert accounts.hash_password(PW) != h, "every hash has its own salt"
    assert not accounts.needs_rehash(h)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
    assert accounts.verify_password(weak, PW) and accounts.needs_rehash(weak)
    assert accounts.needs_rehash("$2b$12$not-argon2")


def test_roles_are_ordered() -> None:
    assert accounts.role_at_least("admin", "leader") and accounts.role_at_least("admin", "officer")
    assert accounts.role_at_least("leader", "officer") and accounts.role_at_least("leader", "leader")
    assert not accounts.role_at_least("officer", "leader") and not accounts.role_at_least("leader", "admin")
    assert not accounts.role_at_least("wall", "officer") and not accounts.role_at_least(None, "officer")
    with pytest.raises(ValueError, match="unknown role"):
        accounts.role_at_least("admin", "superuser")


def test_the_password_policy_refuses_weak_passwords_in_both_languages(engine: Engine) -> None:
    with pytest.raises(AccountError) as short:
        accounts.add_user(engine, "zhang", "officer", "123456789")
    assert isinstance(short.value, ValueError) and short.value.code == "password_short"
    assert "至少需要 10 个字符" in str(short.value) and "at least 10 characters" in str(short.value)
    assert short.value.text("en") == "the password must have at least 10 characters"
    with pytest.raises(AccountError, match="用户名相同"):
        accounts.add_user(engine, "zhangsan-01", "officer", "ZHANGSAN-01")
    assert accounts.list_users(engine) == [] and audit_rows(engine) == [], "nothing refused leaves a trace"
    accounts.add_user(engine, "zhang", "officer", "1234567890")  # ten characters are enough
    assert [u.name for u in accounts.list_users(engine)] == ["zhang"]


@pytest.mark.parametrize("name", ["", "zhang san", " zhang", "a:b", "token:hall", "cli", "CLI", "bad\x1bname",
                                  "rtl\u202ename", "x" * 65])
def test_bad_user_names_are_refused(engine: Engine, name: str) -> None:
    with pytest.raises(AccountError):
        accounts.add_user(engine, name, "officer", PW)
    assert accounts.list_users(engine) == []


def test_names_are_stored_in_one_spelling_and_roles_are_checked_by_the_store_too(engine: Engine) -> None:
    decomposed = unicodedata.normalize("NFD", "José")
    user = accounts.add_user(engine, decomposed, "leader", PW, now=T0)
    assert user.name == "José" and user.name != decomposed
    assert accounts.authenticate(engine, decomposed, PW, now=T0) is not None
    with pytest.raises(AccountError, match="user “José” already exists"):
        accounts.add_user(engine, "José", "admin", PW)
    with pytest.raises(AccountError, match="unknown role “wall”"):
        accounts.add_user(engine, "wall-pc", "wall", PW)
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a hand-written UPDATE cannot slip one in
        conn.execute(update(User).where(User.name == "José").values(role="wall"))
    assert accounts.get_user(engine, "José").role == "leader"  # type: ignore[union-attr]


def test_add_list_disable_enable_and_passwd_are_audited(engine: Engine) -> None:
    accounts.add_user(engine, "wang", "officer", PW, now=T0)
    accounts.add_user(engine, "李四", "admin", "another long one", actor="wang", actor_role="admin",
                      source_ip="10.0.0.7", now=T0)
    users = accounts.list_users(engine)
    assert [(u.name, u.role, u.disabled, u.failed_logins) for u in users] == [
        ("wang", "officer", False, 0), ("李四", "admin", False, 0)]
    assert users[0].created_at == users[0].password_changed_at == T0 and users[0].last_login_at is None

    assert accounts.disable_user(engine, "wang", reason="left the center", now=T0 + timedelta(minutes=1))
    assert not accounts.disable_user(engine, "wang"), "disabling twice changes nothing"
    assert accounts.get_user(engine, "wang").disabled  # type: ignore[union-attr]
    assert accounts.authenticate(engine, "wang", PW, now=T0 + timedelta(minutes=2)) is None
    assert accounts.enable_user(engine, "wang", now=T0 + timedelta(minutes=3))
    assert not accounts.enable_user(engine, "wang")
    assert accounts.authenticate(engine, "wang", PW, now=T0 + timedelta(minutes=4)) is not None

    accounts.set_password(engine, "wang", "a brand new secret", now=T0 + timedelta(minutes=5))
    assert accounts.authenticate(engine, "wang", PW, now=T0 + timedelta(minutes=6)) is None
    signed_in = accounts.authenticate(engine, "wang", "a brand new secret", now=T0 + timedelta(minutes=7))
    assert signed_in is not None and signed_in.password_changed_at == T0 + timedelta(minutes=5)
    assert signed_in.last_login_at == T0 + timedelta(minutes=7)
    with pytest.raises(AccountError, match="no user “nobody”"):
        accounts.set_password(engine, "nobody", "a brand new secret")
    with pytest.raises(AccountError, match="no user"):
        accounts.disable_user(engine, "nobody")
    with pytest.raises(AccountError, match="at least 10"):
        accounts.set_password(engine, "wang", "short")

    rows = [(r.actor, r.role, r.action, r.target, r.reason, r.source_ip) for r in audit_rows(engine)]
    assert rows == [
        ("cli", None, "user.add", "wang", None, None),
        ("wang", "admin", "user.add", "李四", None, "10.0.0.7"),
        ("cli", None, "user.disable", "wang", "left the center", None),
        ("wang", "officer", "auth.fail", None, None, None),
        ("cli", None, "user.enable", "wang", None, None),
        ("wang", "officer", "auth.ok", None, None, None),
        ("cli", None, "user.passwd", "wang", None, None),
        ("wang", "officer", "auth.fail", None, None, None),
        ("wang", "officer", "auth.ok", None, None, None),
    ]
    details = [json.loads(r.detail) if r.detail else None for r in audit_rows(engine)]
    assert details[0] == {"role": "officer"} and details[3] == {"reason": "disabled"}
    assert details[4] == {"was_disabled": True, "was_locked": False}
    assert details[7] == {"reason": "bad_password", "failures": 1}
    assert_not_stored(engine, PW, "another long one", "a brand new secret")


def test_five_failures_lock_the_account_for_fifteen_minutes(engine: Engine) -> None:
    accounts.add_user(engine, "zhao", "leader", PW, now=T0)
    for n in range(1, 5):
        assert accounts.authenticate(engine, "zhao", f"wrong guess {n}", now=T0 + timedelta(seconds=n)) is None
        user = accounts.get_user(engine, "zhao")
        assert user is not None and user.failed_logins == n and not accounts.is_locked(user, T0 + timedelta(seconds=n))
    at5 = T0 + timedelta(seconds=5)
    assert accounts.authenticate(engine, "zhao", "wrong guess 5", now=at5, source_ip="192.0.2.9") is None
    user = accounts.get_user(engine, "zhao")
    assert user is not None and user.locked_until == at5 + accounts.LOCKOUT == at5 + timedelta(minutes=15)
    assert accounts.is_locked(user, at5 + timedelta(minutes=14, seconds=59))
    (locked,) = audit_rows(engine, "auth.locked")
    assert locked.actor == "zhao" and locked.source_ip == "192.0.2.9" and locked.at == at5
    assert json.loads(locked.detail or "") == {"failures": 5, "until": (at5 + timedelta(minutes=15)).isoformat()}

    # Locked: even the right password is refused, and tries while locked do not extend the lock.
    assert accounts.authenticate(engine, "zhao", PW, now=at5 + timedelta(minutes=14, seconds=59)) is None
    assert accounts.authenticate(engine, "zhao", "wrong", now=at5 + timedelta(minutes=10)) is None
    assert accounts.get_user(engine, "zhao").locked_until == at5 + timedelta(minutes=15)  # type: ignore[union-attr]
    fails = [json.loads(r.detail or "") for r in audit_rows(engine, "auth.fail")]
    assert [f["reason"] for f in fails] == ["bad_password"] * 5 + ["locked", "locked"]
    assert [f.get("failures") for f in fails[:5]] == [1, 2, 3, 4, 5]

    # Fifteen minutes on, the right password works and the count starts again.
    user = accounts.authenticate(engine, "zhao", PW, now=at5 + timedelta(minutes=15))
    assert user is not None and user.name == "zhao" and user.role == "leader"
    assert user.failed_logins == 0 and user.locked_until is None and user.last_login_at == at5 + timedelta(minutes=15)
    assert len(audit_rows(engine, "auth.ok")) == 1
    assert_not_stored(engine, PW, "wrong guess 1", "wrong guess 5")


def test_a_success_resets_the_count_of_failures(engine: Engine) -> None:
    accounts.add_user(engine, "qian", "officer", PW, now=T0)
    for n in range(4):
        accounts.authenticate(engine, "qian", "not it at all", now=T0 + timedelta(seconds=n))
    assert accounts.authenticate(engine, "qian", PW, now=T0 + timedelta(seconds=10)) is not None
    for n in range(4):
        accounts.authenticate(engine, "qian", "not it at all", now=T0 + timedelta(seconds=20 + n))
    user = accounts.get_user(engine, "qian")
    assert user is not None and user.failed_logins == 4 and user.locked_until is None
    assert accounts.authenticate(engine, "qian", PW, now=T0 + timedelta(seconds=30)) is not None
    assert audit_rows(engine, "auth.locked") == []


def test_enable_and_passwd_lift_a_lock_out(engine: Engine) -> None:
    accounts.add_user(engine, "sun", "officer", PW, now=T0)
    for _ in range(5):
        accounts.authenticate(engine, "sun", "not it at all", now=T0)
    assert accounts.is_locked(accounts.get_user(engine, "sun"), T0)  # type: ignore[arg-type]
    assert accounts.enable_user(engine, "sun", now=T0 + timedelta(minutes=1))
    assert accounts.authenticate(engine, "sun", PW, now=T0 + timedelta(minutes=2)) is not None
    for _ in range(5):
        accounts.authenticate(engine, "sun", "not it at all", now=T0 + timedelta(minutes=3))
    accounts.set_password(engine, "sun", "fresh start 2026", now=T0 + timedelta(minutes=4))
    assert accounts.authenticate(engine, "sun", "fresh start 2026", now=T0 + timedelta(minutes=5)) is not None


def test_unknown_names_fail_and_are_audited_without_the_password(engine: Engine) -> None:
    assert accounts.authenticate(engine, "nobody", "typed-into-the-form", now=T0, source_ip="198.51.100.4") is None
    assert accounts.authenticate(engine, "", "typed-into-the-form", now=T0) is None
    (first, second) = audit_rows(engine, "auth.fail")
    assert (first.actor, first.role, first.source_ip) == ("nobody", None, "198.51.100.4")
    assert json.loads(first.detail or "") == {"reason": "unknown_user"} and second.actor == "-"
    assert_not_stored(engine, "typed-into-the-form")


def test_an_old_hash_is_upgraded_at_sign_in(engine: Engine) -> None:
    accounts.add_user(engine, "zhou", "officer", PW, now=T0)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.name == "zhou").values(password_hash=weak))
    user = accounts.authenticate(engine, "zhou", PW, now=T0)
    assert user is not None and user.password_hash != weak and not accounts.needs_rehash(user.password_hash)
    assert accounts.verify_password(user.password_hash, PW)
    assert user.password_changed_at == T0, "a rehash is not a new password"
    (ok,) = audit_rows(engine, "auth.ok")
    assert json.loads(ok.detail or "") == {"rehashed": True}


def test_a_change_and_its_audit_row_commit_together(engine: Engine) -> None:
    accounts.add_user(engine, "wu", "officer", PW, now=T0)
    with engine.begin() as conn:  # the audit log can no longer be written: no change may happen either
        conn.execute(text("DROP TABLE audit_log"))
    with pytest.raises(SQLAlchemyError):
        accounts.add_user(engine, "zheng", "officer", PW)
    with pytest.raises(SQLAlchemyError):
        accounts.disable_user(engine, "wu")
    with pytest.raises(SQLAlchemyError):
        accounts.create_token(engine, "大厅主屏")
    assert [(u.name, u.disabled) for u in accounts.list_users(engine)] == [("wu", False)]
    assert accounts.list_tokens(engine) == []


def test_display_tokens_are_found_by_secret_until_revoked(engine: Engine) -> None:
    row, secret = accounts.create_token(engine, " 大厅主屏 ", now=T0)
    assert row.name == "大厅主屏" and row.created_by == "cli" and row.revoked_at is None and row.last_seen_at is None
    assert len(secret) >= 43 and row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    found = accounts.token_by_secret(engine, secret)
    assert found is not None and found.id == row.id and found.name == "大厅主屏"
    assert accounts.token_actor(found) == "token:大厅主屏"
    for wrong in (secret[:-1], secret + "x", "", row.token_hash, "x" * 10_000):
        assert accounts.token_by_secret(engine, wrong) is None
    other, other_secret = accounts.create_token(engine, "值班室", "admin-li", actor_role="admin", now=T0)
    assert other.created_by == "admin-li" and other_secret != secret
    assert_not_stored(engine, secret, other_secret)

    revoked = accounts.revoke_token(engine, "大厅主屏", reason="PC replaced", now=T0 + timedelta(hours=1))
    assert revoked.id == row.id and revoked.revoked_at == T0 + timedelta(hours=1)
    assert accounts.token_by_secret(engine, secret) is None
    assert accounts.token_by_secret(engine, other_secret) is not None
    with pytest.raises(AccountError, match="was revoked"):
        accounts.revoke_token(engine, row.id)
    with pytest.raises(AccountError, match="no active display token “大厅主屏”"):
        accounts.revoke_token(engine, "大厅主屏")
    with pytest.raises(AccountError, match="no active display token"):
        accounts.revoke_token(engine, "99999999999999999999999")
    assert [(t.id, t.revoked_at is not None) for t in accounts.list_tokens(engine)] == [(row.id, True),
                                                                                         (other.id, False)]
    rows = [(r.actor, r.role, r.action, r.target, r.reason) for r in audit_rows(engine)]
    assert rows == [("cli", None, "token.create", f"{row.id} 大厅主屏", None),
                    ("admin-li", "admin", "token.create", f"{other.id} 值班室", None),
                    ("cli", None, "token.revoke", f"{row.id} 大厅主屏", "PC replaced")]


def test_a_name_two_active_tokens_share_is_refused(engine: Engine) -> None:
    first, _ = accounts.create_token(engine, "会议室")
    second, _ = accounts.create_token(engine, "会议室")
    with pytest.raises(AccountError, match=f"ids {first.id}, {second.id}"):
        accounts.revoke_token(engine, "会议室")
    assert accounts.revoke_token(engine, str(second.id)).id == second.id
    assert accounts.revoke_token(engine, "会议室").id == first.id, "one active token left: the name is enough"


def test_touch_token_writes_at_most_once_a_minute(engine: Engine) -> None:
    row, _ = accounts.create_token(engine, "大厅主屏", now=T0)

    def seen() -> datetime | None:
        with engine.connect() as conn:
            return conn.execute(select(DisplayToken.last_seen_at).where(DisplayToken.id == row.id)).scalar()

    assert accounts.touch_token(engine, row.id, now=T0 + timedelta(seconds=1))
    assert not accounts.touch_token(engine, row.id, now=T0 + timedelta(seconds=59))
    assert seen() == T0 + timedelta(seconds=1)
    assert accounts.touch_token(engine, row.id, now=T0 + timedelta(seconds=61))
    assert seen() == T0 + timedelta(seconds=61)
    accounts.revoke_token(engine, row.id, now=T0 + timedelta(minutes=2))
    assert not accounts.touch_token(engine, row.id, now=T0 + timedelta(minutes=5))
    assert seen() == T0 + timedelta(seconds=61)


def test_audit_appends_in_the_callers_transaction_and_reads_newest_first(engine: Engine) -> None:
    accounts.audit(engine, "wang", "officer", "case.view", target="ZZ-2026-0001", now=T0)
    accounts.audit(engine, "wang", "officer", "case.unmask", target="ZZ-2026-0001", reason="回访需要联系当事人",
                   source_ip="10.1.2.3", detail={"fields": ["phone"]}, now=T0 + timedelta(seconds=1))
    accounts.audit(engine, "token:大厅主屏", accounts.WALL_ROLE, "export", target="x" * 500,
                   source_ip="2001:db8::1, " * 20, now=T0 + timedelta(seconds=2))
    with pytest.raises(RuntimeError), engine.begin() as conn:
        accounts.audit(conn, "wang", "officer", "case.view", target="rolled back", now=T0)
        raise RuntimeError("the caller's transaction fails")
    with pytest.raises(ValueError, match="unknown audit action"):
        accounts.audit(engine, "wang", "officer", "case.delete")
    with pytest.raises(ValueError, match="password"):
        accounts.audit(engine, "wang", "officer", "user.passwd", detail={"Password": PW})

    newest = accounts.read_audit(engine, limit=2)
    assert [r.action for r in newest] == ["export", "case.unmask"]
    assert len(newest[0].target or "") == 200 and len(newest[0].source_ip or "") == 64
    assert newest[1].reason == "回访需要联系当事人" and json.loads(newest[1].detail or "") == {"fields": ["phone"]}
    assert [r.action for r in accounts.read_audit(engine, limit=5, offset=2)] == ["case.view"]
    assert [r.target for r in accounts.read_audit(engine, action="case.view")] == ["ZZ-2026-0001"]
    assert_not_stored(engine, "rolled back", PW)


def test_prune_keeps_recent_rows_and_never_less_than_180_days(engine: Engine) -> None:
    now = T0 + timedelta(days=400)
    ages = [400, 181, 180.5, 179, 1]
    for days in ages:
        accounts.audit(engine, "wang", "officer", "case.view", target=f"{days} days", now=now - timedelta(days=days))
    with pytest.raises(AccountError, match="180"):
        accounts.prune_audit(engine, 30, now=now)
    assert accounts.prune_audit(engine, 180, now=now) == 3
    assert [r.target for r in audit_rows(engine, "case.view")] == ["179 days", "1 days"]
    (prune,) = audit_rows(engine, "audit.prune")
    assert prune.actor == "cli" and prune.at == now
    assert json.loads(prune.detail or "") == {"deleted": 3, "days": 180,
                                              "before": (now - timedelta(days=180)).isoformat()}
    assert accounts.prune_audit(engine, 180, now=now) == 0


def test_prune_deletes_in_batches(engine: Engine) -> None:
    old = T0 - timedelta(days=365)
    n = accounts.PRUNE_BATCH + 7
    with engine.begin() as conn:
        conn.execute(insert(AuditEntry), [{"at": old, "actor": "wang", "action": "case.view"}] * n)
    accounts.audit(engine, "wang", "officer", "case.view", target="recent", now=T0)
    assert accounts.prune_audit(engine, 180, now=T0) == n
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEntry)).scalar() == 2  # recent + the prune row


def test_parallel_guesses_get_no_more_tries_than_the_lock_out_allows(engine: Engine, monkeypatch) -> None:
    """Twenty guesses sent at once: each try is counted before it is checked, so at most five are checked
    against the real password and the account ends locked (counting after the check let all twenty through)."""
    import threading

    user = accounts.add_user(engine, "victim", "officer", PW)
    real: list[str] = []
    verify = accounts.verify_password

    def counting(password_hash: str, password: str) -> bool:
        if password_hash == user.password_hash:
            real.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    start = threading.Barrier(20)
    results: list[object] = []

    def guess(n: int) -> None:
        start.wait()
        results.append(accounts.authenticate(engine, "victim", f"guess-number-{n}", source_ip="10.0.0.66"))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [None] * 20
    assert len(real) <= accounts.MAX_FAILED_LOGINS
    assert accounts.is_locked(accounts.get_user(engine, "victim"))  # type: ignore[arg-type]
    assert accounts.authenticate(engine, "victim", PW) is None  # locked: even the right password waits
    assert len(real) <= accounts.MAX_FAILED_LOGINS
