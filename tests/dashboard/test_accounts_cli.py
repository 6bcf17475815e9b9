"""`zhongshu user|token|audit` as an administrator meets them: through the command's own parser in this process,
and as real subprocesses (one on a pseudo-terminal, where the password is asked twice without echo)."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from dashboard import accounts
from dashboard.accounts_cli import display_width
from dashboard.cli import build_parser
from dashboard.settings import Settings
from datafeeds.clock import utcnow

PW = "correct horse battery"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """Return an environment naming only this test's database, a known host and port, and defaults otherwise."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGSHU_") or k.startswith("ZHONGSHU_TEST_")}
    return {**clean, "ZHONGSHU_DATABASE_URL": settings.db_url, "ZHONGSHU_DATA_DIR": str(settings.data_dir),
            "ZHONGSHU_HOST": "10.20.30.40", "ZHONGSHU_PORT": "8123"}


@pytest.fixture
def zhongshu(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Return a function that runs the command line in this process: (exit status, stdout, stderr)."""
    for name in os.environ:
        if name not in env:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        args: Any = build_parser().parse_args(list(argv))
        status = args.func(args)
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_user_commands_add_list_disable_enable_and_passwd(zhongshu: Run, engine: Engine) -> None:
    status, out, err = zhongshu("user", "add", "张三", "--role", "officer", "--password-stdin", stdin=PW + "\n")
    assert (status, err) == (0, "") and "已添加用户「张三」（值班员 officer）" in out
    assert zhongshu("user", "add", "admin-li", "--role", "admin", "--password-stdin",
                    stdin="another long one\r\n")[0] == 0
    assert accounts.authenticate(engine, "张三", PW) is not None, "the line end is not part of the password"
    assert accounts.authenticate(engine, "admin-li", "another long one") is not None

    status, out, err = zhongshu("user", "add", "张三", "--role", "admin", "--password-stdin", stdin=PW)
    assert status == 2 and out == "" and err.strip() == "zhongshu user add：用户「张三」已存在"
    status, _, err = zhongshu("user", "add", "王五", "--role", "leader", "--password-stdin", "--lang", "en",
                              stdin="too short\n")
    assert status == 2 and "zhongshu user add: the password must have at least 10 characters" in err
    status, _, err = zhongshu("user", "add", "王五", "--role", "leader", stdin="")
    assert status == 2 and "--password-stdin" in err, "without a terminal it says how to give the password"
    assert zhongshu("user", "add", "王五", "--role", "leader", "--password-stdin", stdin="")[0] == 2
    assert zhongshu("user", "add", "bad name", "--role", "leader", "--password-stdin", stdin=PW)[0] == 2
    with pytest.raises(SystemExit) as usage:
        zhongshu("user", "add", "王五", "--role", "wall", "--password-stdin", stdin=PW)
    assert usage.value.code == 2
    assert [u.name for u in accounts.list_users(engine)] == ["admin-li", "张三"]

    for _ in range(accounts.MAX_FAILED_LOGINS):
        accounts.authenticate(engine, "张三", "not the password")
    status, out, _ = zhongshu("user", "list")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["用户名", "角色", "停用", "锁定至", "最近登录"]
    assert lines[1].split()[:4] == ["admin-li", "管理员", "admin", "否"]
    zhang = lines[2].split()
    assert zhang[:4] == ["张三", "值班员", "officer", "否"] and re.fullmatch(r"\d\d:\d\d", zhang[5])
    assert lines[-1] == "（时间为 Asia/Shanghai）"
    def column(line: str, text: str) -> int:  # where a text starts on a terminal (Chinese takes two columns)
        return display_width(line[: line.index(text)])

    assert column(lines[0], "角色") == column(lines[1], "管理员") == column(lines[2], "值班员") > 0
    assert column(lines[0], "停用") == column(lines[1], "否") == column(lines[2], "否")

    assert zhongshu("user", "disable", "张三", "--reason", "调离")[1].strip() == "已停用用户「张三」"
    assert zhongshu("user", "disable", "张三")[1].strip() == "用户「张三」本已停用"
    status, out, _ = zhongshu("user", "list", "--lang", "en")
    assert out.splitlines()[0].split() == ["name", "role", "disabled", "locked", "until", "last", "sign-in"]
    assert out.splitlines()[2].split()[:3] == ["张三", "officer", "yes"]
    assert accounts.authenticate(engine, "张三", PW) is None
    assert zhongshu("user", "enable", "张三", "--lang", "en")[1].strip() == "enabled user “张三” (lock-out lifted)"
    assert accounts.authenticate(engine, "张三", PW) is not None, "enable lifted the lock-out as well"

    status, out, _ = zhongshu("user", "passwd", "张三", "--password-stdin", stdin="a brand new secret\n")
    assert status == 0 and out.strip() == "已为「张三」设置新密码"
    assert accounts.authenticate(engine, "张三", "a brand new secret") is not None
    assert zhongshu("user", "passwd", "nobody", "--password-stdin", stdin=PW)[0] == 2
    assert zhongshu("user", "enable", "nobody")[0] == 2

    status, out, _ = zhongshu("audit", "list", "--json", "--limit", "100")
    rows = [json.loads(line) for line in out.splitlines()]
    changes = [(r["actor"], r["action"], r["target"]) for r in rows if not r["action"].startswith("auth.")][::-1]
    assert changes == [("cli", "user.add", "张三"), ("cli", "user.add", "admin-li"), ("cli", "user.disable", "张三"),
                       ("cli", "user.enable", "张三"), ("cli", "user.passwd", "张三")]
    assert next(r for r in rows if r["action"] == "user.disable")["reason"] == "调离"
    for secret in (PW, "another long one", "a brand new secret", "not the password", "too short"):
        assert secret not in out


def test_token_create_prints_the_wall_address_once(zhongshu: Run, engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    status, out, err = zhongshu("token", "create", "--name", "大厅主屏")
    assert status == 0 and err == ""
    said, url = out.splitlines()
    assert "只显示这一次" in said and "1「大厅主屏」" in said
    match = re.fullmatch(r"http://10\.20\.30\.40:8123/wall\?token=([A-Za-z0-9_-]{43})", url)
    assert match, url
    secret = match.group(1)
    found = accounts.token_by_secret(engine, secret)
    assert found is not None and found.name == "大厅主屏" and found.created_by == "cli"

    status, out, _ = zhongshu("token", "create", "--name", "值班室", "--base-url", "https://zhongshu.county.gov/",
                              "--lang", "en")
    assert "shown this once only" in out
    other = re.search(r"^https://zhongshu\.county\.gov/wall\?token=(\S+)$", out, re.M)
    assert other and accounts.token_by_secret(engine, other.group(1)) is not None

    status, out, _ = zhongshu("token", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["编号", "名称", "创建时间", "创建者", "最近使用", "吊销时间"]
    assert lines[1].split()[:2] == ["1", "大厅主屏"] and lines[1].split()[-2:] == ["-", "-"]
    assert secret not in out and other.group(1) not in out

    status, out, _ = zhongshu("token", "revoke", "大厅主屏")
    assert status == 0 and out.strip() == "已吊销显示令牌 1「大厅主屏」"
    assert accounts.token_by_secret(engine, secret) is None
    assert accounts.token_by_secret(engine, other.group(1)) is not None
    status, _, err = zhongshu("token", "revoke", "1")
    assert status == 2 and "已于" in err and "吊销" in err
    assert zhongshu("token", "revoke", "没有这个")[0] == 2
    assert zhongshu("token", "list", "--lang", "en")[1].splitlines()[1].split()[-1] != "-", "revoked shows when"

    monkeypatch.setenv("ZHONGSHU_HOST", "0.0.0.0")
    status, out, err = zhongshu("token", "create", "--name", "会议室")
    assert status == 0 and "--base-url" in err and "http://0.0.0.0:8123/wall?token=" in out
    monkeypatch.setenv("ZHONGSHU_HOST", "fd00::5")
    assert "http://[fd00::5]:8123/wall?token=" in zhongshu("token", "create", "--name", "指挥席")[1]
    actions = [r.action for r in accounts.read_audit(engine, limit=100)]
    assert actions.count("token.create") == 4 and actions.count("token.revoke") == 1


def test_audit_list_and_prune(zhongshu: Run, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    for days in (400, 210, 190, 1):
        accounts.audit(engine, "wang", "officer", "case.view", target=f"case {days}", reason="核查\x1b[31m",
                       now=now - timedelta(days=days))
    accounts.audit(engine, "李四", "leader", "case.unmask", target="case 1", source_ip="10.0.0.8", now=now)

    status, out, _ = zhongshu("audit", "list", "--limit", "2")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["时间", "操作者", "角色", "操作", "对象", "来源地址", "理由", "详情"]
    assert lines[1].split()[2:6] == ["李四", "leader", "case.unmask", "case"] and "10.0.0.8" in lines[1]
    assert "\x1b" not in out and "核查\\x1b[31m" in out, "control characters are shown escaped"
    assert len(lines) == 4
    assert zhongshu("audit", "list", "--lang", "en")[1].splitlines()[0].split()[:4] == ["time", "actor", "role",
                                                                                       "action"]
    status, out, _ = zhongshu("audit", "list", "--action", "case.view", "--json")
    assert [json.loads(line)["target"] for line in out.splitlines()] == ["case 1", "case 190", "case 210", "case 400"]
    with pytest.raises(SystemExit):
        zhongshu("audit", "list", "--action", "no.such.action")

    status, _, err = zhongshu("audit", "prune", "--days", "30")
    assert status == 2 and "至少保留 180 天" in err
    monkeypatch.setenv("ZHONGSHU_AUDIT_RETENTION_DAYS", "200")
    status, out, _ = zhongshu("audit", "prune")
    assert status == 0 and out.startswith("已删除 2 条") and "保留 200 天" in out
    status, out, _ = zhongshu("audit", "prune", "--days", "180", "--lang", "en")
    assert out.startswith("deleted 1 audit rows")
    remaining = [r.target for r in accounts.read_audit(engine, action="case.view")]
    assert remaining == ["case 1"]
    assert [r.actor for r in accounts.read_audit(engine, action="audit.prune")] == ["cli", "cli"]


def test_retention_below_180_days_is_not_a_setting() -> None:
    assert Settings().audit_retention_days == 180
    with pytest.raises(ValidationError):
        Settings(audit_retention_days=90)


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], input=stdin, env=env,
                          stdin=subprocess.DEVNULL if stdin is None else None, capture_output=True, text=True,
                          timeout=120)


def test_the_command_end_to_end_in_subprocesses(env: dict[str, str], engine: Engine) -> None:
    added = run_cli("user", "add", "值班员甲", "--role", "officer", "--password-stdin", env=env, stdin=PW + "\n")
    assert added.returncode == 0, added.stderr
    assert "值班员甲" in added.stdout
    refused = run_cli("user", "add", "值班员乙", "--role", "officer", env=env)
    assert refused.returncode == 2 and "--password-stdin" in refused.stderr and "Traceback" not in refused.stderr
    made = run_cli("token", "create", "--name", "大厅主屏", env=env)
    assert made.returncode == 0, made.stderr
    secret = re.search(r"^http://10\.20\.30\.40:8123/wall\?token=(\S+)$", made.stdout, re.M)
    assert secret and accounts.token_by_secret(engine, secret.group(1)) is not None
    listed = run_cli("user", "list", "--lang", "en", env=env)
    assert listed.returncode == 0 and listed.stdout.splitlines()[1].split()[:3] == ["值班员甲", "officer", "no"]
    assert accounts.authenticate(engine, "值班员甲", PW) is not None


def _read_until(fd: int, wanted: str, seen: bytearray, timeout: float = 60.0) -> str:
    """Read a terminal's output until a text appears (or it closes); return everything read so far."""
    deadline = time.monotonic() + timeout
    while wanted.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {wanted!r} in {seen.decode(errors='replace')!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other side closed: the process is gone
            chunk = b""
        if not chunk:
            break
        seen.extend(chunk)
    return seen.decode(errors="replace")


def _on_a_terminal(args: list[str], env: dict[str, str], answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as its stdin/stdout/stderr, typing each answer after its prompt."""
    main, other = pty.openpty()
    # A session of its own: no controlling terminal, so getpass cannot reach the one running the tests.
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", *args], stdin=other, stdout=other,
                            stderr=other, env=env, start_new_session=True)
    os.close(other)
    seen = bytearray()
    try:
        for prompt, answer in answers:
            _read_until(main, prompt, seen)
            os.write(main, answer.encode() + b"\n")
        _read_until(main, "\x00never\x00", seen)  # to the end
        return proc.wait(timeout=60), seen.decode(errors="replace")
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_password_is_asked_twice_without_echo_on_a_terminal(env: dict[str, str], engine: Engine) -> None:
    status, shown = _on_a_terminal(["user", "add", "值班长", "--role", "leader"], env,
                                   [("新密码", PW), ("再输入一次", PW + " typo")])
    assert status == 2 and "两次输入的密码不一致" in shown
    assert accounts.get_user(engine, "值班长") is None
    status, shown = _on_a_terminal(["user", "add", "值班长", "--role", "leader", "--lang", "en"], env,
                                   [("at least 10 characters", "short")])
    assert status == 2 and "zhongshu user add: the password must have at least 10" in shown
    assert "once more" not in shown, "a short password is refused before it is asked again"
    status, shown = _on_a_terminal(["user", "add", "值班长", "--role", "leader"], env,
                                   [("新密码", PW), ("再输入一次", PW)])
    assert status == 0 and "已添加用户「值班长」" in shown
    assert PW not in shown, "the password is not echoed"
    assert accounts.authenticate(engine, "值班长", PW) is not None
    status, shown = _on_a_terminal(["user", "passwd", "值班长"], env,
                                   [("新密码", "a brand new secret"), ("再输入一次", "a brand new secret")])
    assert status == 0 and "a brand new secret" not in shown
    assert accounts.authenticate(engine, "值班长", "a brand new secret") is not None
