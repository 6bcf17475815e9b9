"""Run the whole demo from one command: Redis, database, ingest, web and simulator; Ctrl-C stops it all."""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from dashboard import accounts
from dashboard.embedded import EmbeddedRedis
from dashboard.runners import seed_county
from dashboard.settings import Settings
from datafeeds.db import make_engine
from datafeeds.queries import health

DEMO_ADMIN = "admin"
DEMO_WALL = "演示大屏"

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A child outlives a killed parent otherwise; Linux can send it SIGTERM when the parent goes.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Children:
    """The demo's child processes, stopped together."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        """Start `zhongshu <args>` as a child in its own process group."""
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", *args], env=self.env, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent,
        )

    def dead(self) -> str | None:
        """Return the name of a child that has exited, if any."""
        return next((n for n, p in self.procs.items() if p.poll() is not None), None)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every child to stop, then kill what is left after the timeout."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ingest(settings: Settings, since: float, timeout: float = 30.0) -> None:
    engine = make_engine(settings.db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            alive = health(engine)["alive_at"]
            if alive is not None and alive.timestamp() >= since:
                return
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise RuntimeError("the ingest did not start")


def _private_file(path: Path, make: str) -> str:
    """Return the text of a file only its owner may read, writing `make` into it first when it is missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(make)
    return path.read_text(encoding="utf-8").strip()


def demo_secret(settings: Settings) -> str:
    """Return the demo's secret key: the configured one, else a random one kept in the data folder.

    Kept, not made anew each start, so a restarted demo does not sign its walls and desks out.
    """
    return settings.secret_key or _private_file(settings.data_dir / "secret_key", secrets.token_hex(32))


def demo_accounts(settings: Settings) -> tuple[str | None, str]:
    """Make sure the demo admin exists and make a fresh wall link; return (admin password or None, wall token).

    The admin's password is random, made once and kept (owner-only) in the data folder so that every start
    prints the same; an `admin` someone made by hand is left alone (None). Each start revokes the previous
    demo wall token and makes a new one, since a token's secret is shown only when it is made.
    """
    engine = make_engine(settings.db_url)
    try:
        password_file = settings.data_dir / "demo-admin-password"
        password: str | None = None
        if accounts.get_user(engine, DEMO_ADMIN) is None:
            password_file.unlink(missing_ok=True)
            password = _private_file(password_file, secrets.token_urlsafe(12))
            accounts.add_user(engine, DEMO_ADMIN, "admin", password, actor="demo")
        elif password_file.exists():
            password = password_file.read_text(encoding="utf-8").strip()
        for token in accounts.list_tokens(engine):
            if token.name == DEMO_WALL and token.revoked_at is None:
                accounts.revoke_token(engine, token.id, actor="demo", reason="demo restarted")
        _, wall_secret = accounts.create_token(engine, DEMO_WALL, actor="demo")
        return password, wall_secret
    finally:
        engine.dispose()


def run_demo(settings: Settings) -> int:
    """Start everything, print the URL, and stop everything on Ctrl-C or SIGTERM."""
    embedded: EmbeddedRedis | None = None
    env = dict(os.environ)
    env["ZHONGSHU_DATA_DIR"] = str(settings.data_dir.resolve())
    env["ZHONGSHU_SECRET_KEY"] = demo_secret(settings)
    if settings.duty_roster is None:
        env["ZHONGSHU_DUTY_ROSTER"] = str(Path(__file__).with_name("demo_roster.toml"))

    def on_term(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    children = Children(env)
    try:
        if not settings.redis_url:
            embedded = EmbeddedRedis(settings.data_dir)
            env["ZHONGSHU_REDIS_URL"] = embedded.start()
            print(f"embedded Redis at {env['ZHONGSHU_REDIS_URL']}", flush=True)
        county = seed_county(settings)
        print(f"database {settings.db_url}: {county.name}, {len(county.townships())} townships, "
              f"{len(county.villages())} villages", flush=True)
        password, wall_secret = demo_accounts(settings)
        started = time.time() - 1
        children.start("ingest", "ingest")
        _wait_ingest(settings, started)
        children.start("web", "serve")
        children.start("simulator", "simulate")
        base = f"http://{settings.host}:{settings.port}"
        wall = f"{base}/wall?token={wall_secret}"
        admin = (f"用户 / user {DEMO_ADMIN}，密码 / password {password}" if password is not None
                 else f"用户 / user {DEMO_ADMIN}（密码由您设定 / your own password）")
        print(f"\n  指挥中枢 大屏 wall (display link, opens without sign-in): {wall}"
              f"\n  English wall: {wall}&lang=en"
              f"\n  登录 sign in: {base}/signin  {admin}"
              f"\n  health: {base}/healthz\n  Ctrl-C stops everything.\n", flush=True)
        while (name := children.dead()) is None:
            time.sleep(0.5)
        print(f"zhongshu demo: the {name} process stopped; stopping the rest", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        children.stop()
        if embedded is not None:
            embedded.stop()
