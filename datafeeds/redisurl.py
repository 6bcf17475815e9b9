"""Tell a Redis URL that Redis refuses (login, TLS, the URL itself) from a Redis that is only away.

Every process takes `ZHONGSHU_REDIS_URL` to redis-py's `Redis.from_url` as it is: the ACL user and password
(`redis://user:pass@host:port/0`) and TLS (`rediss://`, with `ssl_ca_certs`, `ssl_cert_reqs`, `ssl_certfile`,
`ssl_keyfile`, `ssl_check_hostname` as query arguments) all come through it, so nothing here builds clients.
What redis-py does not do is say early and plainly that a URL can never work: a wrong password surfaces as a
connection error the ingest retries forever, a certificate it cannot read as "Error 2 connecting", an `ssl_*`
argument on a `redis://` URL as a TypeError at the first command. `refusal` finds those before a process
starts; Redis merely being down is not one of them, since every part already waits for it to come back.
"""

from __future__ import annotations

import os
import ssl
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.connection import parse_url

# The TLS files redis-py reads when it connects; checked first so a wrong path is named as such.
TLS_FILES = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")


def redact(url: str) -> str:
    """Return a Redis URL with its password hidden, fit for logs and error messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:***@{hostport}"
    # redis-py also takes `?password=`; hide it the same way.
    query = urlencode([(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)], safe="/*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _static_refusal(url: str) -> str | None:
    """Return what is wrong with the URL on its face (no connection made), else None."""
    try:
        kwargs: dict[str, object] = parse_url(url)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
    except ValueError as exc:
        return f"is not a usable Redis URL: {exc}"
    tls = urlsplit(url).scheme == "rediss"
    misplaced = sorted(k for k in kwargs if k.startswith("ssl_"))
    if misplaced and not tls:
        return f"has {', '.join(misplaced)} but is not a rediss:// URL (TLS settings need rediss://)"
    for key in TLS_FILES:
        path = kwargs.get(key)
        if tls and isinstance(path, str) and not os.access(path, os.R_OK):
            return f"names {key}={path}, which cannot be read"
    return None


def refusal(url: str, timeout: float = 2.0) -> str | None:
    """Return why Redis at a URL turns this process away for good, or None when it lets it in or is away.

    "For good" means a fault that waiting cannot cure: the URL itself, the login (NOAUTH, WRONGPASS), the
    TLS handshake (certificates, a server asking for a client certificate), an ACL user without PING.
    """
    problem = _static_refusal(url)
    if problem is not None:
        return problem
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.AuthenticationError as exc:  # a ConnectionError too: it must come first
        return (f"refused the login ({exc.status_code or 'AUTH'}: {exc}); check the user and password in the URL "
                "(redis://user:password@host:port/0)")
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError):
            return (f"failed the TLS handshake ({exc}); check ssl_ca_certs, ssl_certfile and ssl_keyfile "
                    "against the server's certificate and tls-auth-clients")
        return None  # away or slow: the processes start and wait for it, as they always have
    except redis.RedisError as exc:  # NOPERM, an unknown ssl_cert_reqs, ...
        status = getattr(exc, "status_code", None)
        return f"refused the connection ({status + ': ' if status else ''}{exc})"
    finally:
        client.close()
    return None
