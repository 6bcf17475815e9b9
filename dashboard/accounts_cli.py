"""`zhongshu user|token|audit`: who may sign in, the wall PCs' display tokens, and the audit log.

Every change is made through `dashboard.accounts`, so the command line is audited like the web (actor
`cli`). Passwords are asked twice without echo, or read as one line from stdin with `--password-stdin`
(for scripts); they never appear in arguments, where `ps` and shell history would show them. Output is in
the language of `--lang` (default ZHONGSHU_LANG); times are in ZHONGSHU_TIMEZONE. Exit status: 0 done,
2 refused (a bad name, role or password, an unknown user or token), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from dashboard import accounts
from dashboard.deadletter_cli import safe_text
from dashboard.settings import Settings
from datafeeds.clock import utcnow
from layouts.i18n import say

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


class Refused(Exception):
    """A request the command refuses before any change (exit status 2), with its text's key (`cli.<key>`)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def t(key: str, lang: str, /, **params: Any) -> str:
    """Return a text of this command in a language (zh-CN when the language is unknown), filled in."""
    return say(f"cli.{key}", lang, **params)


def display_width(text: str) -> int:
    """Return how many terminal columns a text takes: a Chinese character takes two (pad by what is seen)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any, limit: int = 40) -> str:
    text = safe_text("-" if value is None or value == "" else str(value)).replace("\n", " ").replace("\t", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """Print rows under headers in columns aligned for a terminal (Chinese characters are two wide)."""
    widths = [max(display_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        cells = [c + " " * (w - display_width(c)) for c, w in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip(), file=out)


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else "-"


def _engine(settings: Settings) -> Engine:
    from datafeeds.db import make_engine, migrate

    logging.getLogger("alembic").setLevel(logging.WARNING)  # an admin tool: no migration chatter
    engine = make_engine(settings.db_url)
    migrate(engine)  # the first `user add` on a new install needs no separate `zhongshu migrate`
    return engine


def _lang(args: argparse.Namespace, settings: Settings) -> str:
    return str(args.lang or settings.lang)


def _read_password(args: argparse.Namespace, name: str, lang: str) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise Refused("password.no_stdin")
        return line.removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():  # getpass would read the pipe and echo a warning; say what to do instead
        raise Refused("password.no_tty")
    password = getpass.getpass(t("password.prompt", lang, name=name, min=accounts.MIN_PASSWORD_LENGTH))
    accounts.check_password(password, name)  # before asking again: a too-short one is refused at once
    if getpass.getpass(t("password.again", lang)) != password:
        raise Refused("password.mismatch")
    return password


def _role(role: str, lang: str) -> str:
    return role if lang == "en" else f"{t('role.' + role, lang)} {role}"


def cmd_user_add(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Add a user with a role; the password is asked twice, or read from stdin with --password-stdin."""
    lang, name = _lang(args, settings), accounts.check_user_name(args.name)
    accounts.check_role(args.role)
    engine = _engine(settings)
    try:
        if accounts.get_user(engine, name) is not None:  # before asking for a password that would be lost
            raise accounts.AccountError("user_exists", name=name)
        password = _read_password(args, name, lang)
        user = accounts.add_user(engine, name, args.role, password)
    finally:
        engine.dispose()
    print(t("user.added", lang, name=user.name, role=_role(user.role, lang)), file=out)
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """List users: name, role, disabled, locked, last sign-in."""
    lang, tz = _lang(args, settings), ZoneInfo(settings.timezone)
    engine = _engine(settings)
    try:
        users = accounts.list_users(engine)
    finally:
        engine.dispose()
    if not users:
        print(t("user.none", lang), file=out)
        return 0
    now = utcnow()
    headers = [t(k, lang) for k in ("user.name", "user.role", "user.disabled", "user.locked", "user.last_login")]
    rows = [[_cell(u.name, 64), _role(u.role, lang), t("yes" if u.disabled else "no", lang),
             _when(u.locked_until, tz) if accounts.is_locked(u, now) else "-", _when(u.last_login_at, tz)]
            for u in users]
    print_table(headers, rows, out)
    print(t("times_in", lang, tz=settings.timezone), file=out)
    return 0


def ring_web(settings: Settings) -> bool:
    """Tell the web processes to drop the sockets of sessions that just ended (their sweep would within 10 s)."""
    import redis

    from dashboard.embedded import RedisNotConfigured, RedisRefused, resolve_redis_url
    from dashboard.websessions import ring

    try:
        client = redis.Redis.from_url(resolve_redis_url(settings), socket_timeout=2, socket_connect_timeout=2)
    except (RedisNotConfigured, RedisRefused):  # no Redis to ring: the web processes' sweep still drops them
        return False
    try:
        return ring(client, settings.feed_prefix)
    finally:
        client.close()


def _switch(args: argparse.Namespace, settings: Settings, out: TextIO, change: Callable[..., bool],
            done: str, already: str) -> int:
    lang, engine = _lang(args, settings), _engine(settings)
    try:
        changed = change(engine, args.name, reason=args.reason)
    finally:
        engine.dispose()
    if changed:
        ring_web(settings)
    print(t(done if changed else already, lang, name=args.name), file=out)
    return 0


def cmd_user_disable(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Stop a user from signing in (their audit history stays)."""
    return _switch(args, settings, out, accounts.disable_user, "user.disabled_now", "user.was_disabled")


def cmd_user_enable(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Let a user sign in again; also lifts a lock-out after failed sign-ins."""
    return _switch(args, settings, out, accounts.enable_user, "user.enabled_now", "user.was_enabled")


def cmd_user_passwd(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Set a user's password (asked twice, or one line from stdin with --password-stdin)."""
    lang, engine = _lang(args, settings), _engine(settings)
    try:
        if accounts.get_user(engine, args.name) is None:  # before asking for a password that would be lost
            raise accounts.AccountError("user_missing", name=args.name)
        password = _read_password(args, args.name, lang)
        accounts.set_password(engine, args.name, password, reason=args.reason)
    finally:
        engine.dispose()
    ring_web(settings)  # the user's open sessions ended with the old password
    print(t("user.password_set", lang, name=args.name), file=out)
    return 0


def default_base_url(settings: Settings) -> str:
    """Return the web server's address as ZHONGSHU_HOST and ZHONGSHU_PORT give it."""
    host = settings.host
    if ":" in host and not host.startswith("["):  # an IPv6 address goes in brackets in a URL
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def kiosk_url(base_url: str, secret: str) -> str:
    """Return the address a wall PC opens to show the wall with its display token."""
    return f"{base_url.rstrip('/')}/wall?token={secret}"  # token_urlsafe's alphabet needs no escaping


def cmd_token_create(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Create a display token for a wall PC and print its wall address (shown this once only)."""
    lang, engine = _lang(args, settings), _engine(settings)
    try:
        row, secret = accounts.create_token(engine, args.name)
    finally:
        engine.dispose()
    if args.base_url is None and settings.host.strip("[]") in WILDCARD_HOSTS:
        print(t("token.wildcard", lang, host=settings.host or "''"), file=sys.stderr)
    print(t("token.made", lang, id=row.id, name=row.name), file=out)
    print(kiosk_url(args.base_url or default_base_url(settings), secret), file=out)
    return 0


def cmd_token_list(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """List display tokens: id, name, created, by whom, last seen, revoked."""
    lang, tz, engine = _lang(args, settings), ZoneInfo(settings.timezone), _engine(settings)
    try:
        tokens = accounts.list_tokens(engine)
    finally:
        engine.dispose()
    if not tokens:
        print(t("token.none", lang), file=out)
        return 0
    keys = ("token.id", "token.name", "token.created", "token.by", "token.last_seen", "token.revoked")
    rows = [[str(x.id), _cell(x.name, 64), _when(x.created_at, tz), _cell(x.created_by, 64),
             _when(x.last_seen_at, tz), _when(x.revoked_at, tz)] for x in tokens]
    print_table([t(k, lang) for k in keys], rows, out)
    print(t("times_in", lang, tz=settings.timezone), file=out)
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Revoke a display token by id, or by name when one active token has it; its wall is refused from then on."""
    lang, engine = _lang(args, settings), _engine(settings)
    try:
        row = accounts.revoke_token(engine, args.token, reason=args.reason)
    finally:
        engine.dispose()
    ring_web(settings)
    print(t("token.revoked_now", lang, id=row.id, name=row.name), file=out)
    return 0


def cmd_audit_list(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Print the newest audit rows, optionally of one action."""
    lang, tz, engine = _lang(args, settings), ZoneInfo(settings.timezone), _engine(settings)
    try:
        entries = accounts.read_audit(engine, limit=args.limit, offset=args.offset, action=args.action)
    finally:
        engine.dispose()
    if args.json:
        for e in entries:
            print(json.dumps({"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "role": e.role,
                              "action": e.action, "target": e.target, "reason": e.reason, "source_ip": e.source_ip,
                              "detail": json.loads(e.detail) if e.detail else None}, ensure_ascii=False), file=out)
        return 0
    if not entries:
        print(t("audit.none", lang), file=out)
        return 0
    keys = ("audit.at", "audit.actor", "audit.role", "audit.action", "audit.target", "audit.source_ip",
            "audit.reason", "audit.detail")
    rows = [[e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), _cell(e.actor, 30), _cell(e.role), e.action,
             _cell(e.target, 30), _cell(e.source_ip), _cell(e.reason, 30), _cell(e.detail, 60)] for e in entries]
    print_table([t(k, lang) for k in keys], rows, out)
    print(t("times_in", lang, tz=settings.timezone), file=out)
    return 0


def cmd_audit_prune(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Delete audit rows older than --days (default ZHONGSHU_AUDIT_RETENTION_DAYS; never fewer than 180)."""
    lang, tz = _lang(args, settings), ZoneInfo(settings.timezone)
    days = settings.audit_retention_days if args.days is None else args.days
    now = utcnow()
    engine = _engine(settings)
    try:
        deleted = accounts.prune_audit(engine, days, now=now)
    finally:
        engine.dispose()
    before = _when(now - timedelta(days=days), tz)
    print(t("audit.pruned", lang, n=deleted, before=before, days=days), file=out)
    return 0


Command = Callable[[argparse.Namespace, Settings, TextIO], int]


def _run(command: str, fn: Command) -> Callable[[argparse.Namespace], int]:
    """Return the parser's action for a command: settings read now, refusals printed with exit status 2."""

    def run(args: argparse.Namespace) -> int:
        settings = Settings()
        try:
            return fn(args, settings, sys.stdout)  # sys.stdout as it is now (tests capture it)
        except (accounts.AccountError, Refused) as exc:
            lang = _lang(args, settings)
            reason = exc.text(lang) if isinstance(exc, accounts.AccountError) else t(exc.key, lang, **exc.params)
            print(t("refused", lang, command=command, reason=reason), file=sys.stderr)
            return 2

    return run


def add_parser(sub: Any) -> None:
    """Add `user`, `token` and `audit` and their subcommands to the top-level subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=("zh-CN", "en"), default=None, help="language (default ZHONGSHU_LANG)")
    why = argparse.ArgumentParser(add_help=False)
    why.add_argument("--reason", default=None, help="why, for the audit log")
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument("--password-stdin", action="store_true",
                          help="read the password as one line from stdin instead of asking twice")

    users = sub.add_parser("user", help="add, list, disable, enable users and set their passwords")
    usub = users.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", parents=[common, password], help=cmd_user_add.__doc__)
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=accounts.ROLES, help="officer, leader or admin")
    add.set_defaults(func=_run("user add", cmd_user_add))
    usub.add_parser("list", parents=[common], help=cmd_user_list.__doc__).set_defaults(
        func=_run("user list", cmd_user_list))
    for name, fn, parents in (("disable", cmd_user_disable, [common, why]), ("enable", cmd_user_enable, [common, why]),
                              ("passwd", cmd_user_passwd, [common, why, password])):
        p = usub.add_parser(name, parents=parents, help=fn.__doc__)
        p.add_argument("name")
        p.set_defaults(func=_run(f"user {name}", fn))

    tokens = sub.add_parser("token", help="display tokens: how a wall PC shows the wall without signing in")
    tsub = tokens.add_subparsers(dest="token_command", required=True)
    create = tsub.add_parser("create", parents=[common], help=cmd_token_create.__doc__)
    create.add_argument("--name", required=True, help="what the screen is, e.g. 大厅主屏")
    create.add_argument("--base-url", default=None,
                        help="the web server as the wall PC reaches it (default http://ZHONGSHU_HOST:ZHONGSHU_PORT)")
    create.set_defaults(func=_run("token create", cmd_token_create))
    tsub.add_parser("list", parents=[common], help=cmd_token_list.__doc__).set_defaults(
        func=_run("token list", cmd_token_list))
    revoke = tsub.add_parser("revoke", parents=[common, why], help=cmd_token_revoke.__doc__)
    revoke.add_argument("token", metavar="ID_OR_NAME")
    revoke.set_defaults(func=_run("token revoke", cmd_token_revoke))

    log = sub.add_parser("audit", help="read and prune the audit log")
    asub = log.add_subparsers(dest="audit_command", required=True)
    ls = asub.add_parser("list", parents=[common], help=cmd_audit_list.__doc__)
    ls.add_argument("--limit", type=int, default=50, help="how many (newest first; default 50)")
    ls.add_argument("--offset", type=int, default=0, help="skip this many of the newest first")
    ls.add_argument("--action", default=None, choices=sorted(accounts.ACTIONS), help="only rows of this action")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=_run("audit list", cmd_audit_list))
    prune = asub.add_parser("prune", parents=[common], help=cmd_audit_prune.__doc__)
    prune.add_argument("--days", type=int, default=None,
                       help="keep this many days (default ZHONGSHU_AUDIT_RETENTION_DAYS, at least 180)")
    prune.set_defaults(func=_run("audit prune", cmd_audit_prune))
