"""Guard every door of the web app: sign-in and sign-out, walls' display tokens, CSRF, cookies and headers.

Each request passes one guard (`_guard`): it finds the door's level in dashboard.access (deny by default),
resolves the session cookie to a principal in the store (dashboard.websessions) and lets the request on,
sends a browser to the sign-in page, or refuses it. The sign-in page is plain server-rendered HTML (it works
without JavaScript and needs none of Dash's endpoints); Dash pages come after it.

Libraries: Flask-WTF's CSRFProtect checks every state-changing request (the sign-in form's field, or the
`X-CSRFToken` header Dash's renderer sends from the `_csrf_token` cookie); Flask-Limiter counts sign-in
attempts per address in Redis, shared by every web process. The response headers (CSP and friends) are a
few constant lines, written here: Flask-Talisman would add HTTPS redirects an intranet on plain HTTP cannot
use, and little else we need.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from dash import Dash
from flask import Flask, Response, current_app, g, jsonify, redirect, render_template_string, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import access, accounts, websessions
from dashboard.state import AppState, get_state
from dashboard.websessions import Principal
from layouts.i18n import pick_lang, say

log = logging.getLogger(__name__)

SESSION_KEY = "zs"  # the session secret in Flask's signed cookie
CSRF_COOKIE = "_csrf_token"  # the cookie Dash's renderer copies into its X-CSRFToken header
COOKIE_NAME = "zhongshu_session"
_LOOPBACK = ("127.0.0.1", "::1")


class _SecureWhenHttps(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS (or always, by setting).

    An intranet often serves plain HTTP, where a Secure cookie would never come back and nobody could sign
    in; behind a TLS proxy (with ZHONGSHU_PROXY_HOPS set) the request says https and the flag is set.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def install(server: Flask, state: AppState, dash_app: Dash) -> None:
    """Wire sessions, the request guard, sign-in/out, CSRF, the sign-in rate limit and the response headers."""
    settings = state.settings
    if settings.proxy_hops:
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops, x_host=settings.proxy_hops)
    server.session_interface = _SecureWhenHttps()
    server.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        # Lax: a link from another intranet system to a case still arrives signed in; every state change is a
        # POST with a CSRF token besides, which Lax never sends cross-site.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        # The cookie outlives any session: the store decides when a session ends (idle, shift, revoked).
        PERMANENT_SESSION_LIFETIME=timedelta(days=400),
        # No request of ours carries more than a few KiB (a Dash callback's inputs, a sign-in form).
        MAX_CONTENT_LENGTH=1_048_576,
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as its session (a wall's lasts weeks)
        WTF_CSRF_HEADERS=["X-CSRFToken"],
    )
    # The guard first: a caller nobody signed in is told 401 before any CSRF or rate-limit verdict.
    server.before_request(_guard)
    CSRFProtect(server)
    limiter = Limiter(key_func=client_ip, app=server, storage_uri=state.redis_url,
                      key_prefix=f"{settings.feed_prefix}:limits", strategy="moving-window",
                      swallow_errors=True, headers_enabled=False)
    server.add_url_rule("/signin", endpoint="auth.signin", methods=["GET", "POST"],
                        view_func=limiter.limit(settings.signin_rate, methods=["POST"])(_signin))
    server.add_url_rule("/signout", endpoint="auth.signout", methods=["POST"], view_func=_signout)
    server.after_request(_headers)
    server.register_error_handler(CSRFError, _csrf_failed)
    server.register_error_handler(RateLimitExceeded, _rate_limited)
    server.extensions["zhongshu_csp"] = content_security_policy(dash_app, settings.tile_url)


def content_security_policy(dash_app: Dash, tile_url: str | None) -> str:
    """Return the CSP: scripts, styles, images and connections from the app's own origin only.

    Dash's one inline script (the renderer's start) is allowed by its hash. Inline style attributes are
    allowed because Plotly and Leaflet place and size elements with them; they load nothing. A configured
    tile server is the one other origin, for images only.
    """
    images = ["'self'", "data:", "blob:"]
    if tile_url:
        images.append(tile_origin(tile_url))
    scripts = ["'self'", *dash_app.csp_hashes()]
    return "; ".join([
        "default-src 'self'",
        f"script-src {' '.join(scripts)}",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(images)}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def tile_origin(tile_url: str) -> str:
    """Return a tile URL template's origin as a CSP source (`{s}` subdomains become a wildcard)."""
    parts = urlsplit(tile_url)
    host = parts.netloc
    if "{s}" in host:  # a.tiles…, tile1.…: CSP allows a wildcard only as the leftmost label
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def client_ip() -> str:
    """Return the caller's address (the real client's behind a trusted proxy, by ZHONGSHU_PROXY_HOPS)."""
    if not get_state().settings.proxy_hops and any(h in request.headers for h in _FORWARDED):
        _warn_untrusted_proxy()
    return request.remote_addr or "-"


def current_principal() -> Principal | None:
    """Return who the current request comes from, resolved once per request from the session cookie."""
    if "zs_principal" not in g:
        state = get_state()
        g.zs_principal = websessions.resolve(state.engine, session.get(SESSION_KEY), idle=idle(state))
    principal: Principal | None = g.zs_principal
    return principal


def idle(state: AppState) -> timedelta:
    """Return how long a user's session may go unused."""
    return timedelta(minutes=state.settings.session_idle_minutes)


def lang() -> str:
    """Return the language of the current request (`?lang=`, else the configured default)."""
    return pick_lang(request.args.get("lang"), get_state().settings.lang)


def _guard() -> Any:
    rule = request.url_rule
    if rule is None:
        return None  # Flask answers 404 or 405; nothing behind it
    level = access.endpoint_level(rule.endpoint)
    if level is None:
        log.error("refused %s %s: endpoint %r has no rule in dashboard.access", request.method, request.path,
                  rule.endpoint)
        return _refuse(403, page=False)
    if level == access.PUBLIC:
        return None
    if level == access.METRICS:
        return None if _metrics_allowed() else _refuse(403, page=False)
    page = level == access.PAGE
    if page and request.path.rstrip("/") == "/wall" and "token" in request.args:
        return _open_wall()
    principal = current_principal()
    if page:
        level = access.page_level(request.path)
    elif rule.endpoint == "/_dash-update-component" and principal is not None:
        body = request.get_json(silent=True)  # read only for a signed-in caller: nobody else makes us parse
        output = body.get("output") if isinstance(body, dict) else None
        level = access.callback_level(output if isinstance(output, str) else None)
        if level is None:
            log.error("refused a Dash callback with no rule in dashboard.access: %.200r", output or body)
            return _refuse(403, page=False)
        if level == access.BROWSER:  # the browser runs it; nobody asks the server for it but a prober
            return _refuse(403, page=False)
    if principal is None:
        if page and request.method == "GET":
            target = request.full_path if request.query_string else request.path
            return redirect("/signin?" + urlencode({"next": target, **_lang_arg()}), code=303)
        return _refuse(401, page=False)
    if not principal.may(level):
        return _refuse(403, page=page)
    return None


_FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _metrics_allowed() -> bool:
    settings = get_state().settings
    token = settings.metrics_token
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer ") and hmac.compare_digest(offered[7:].encode(), token.encode()):
        return True
    if not settings.proxy_hops and any(h in request.headers for h in _FORWARDED):
        # A proxy on this host passes every caller on from loopback: loopback proves nothing here.
        _warn_untrusted_proxy()
        return False
    try:
        return ipaddress.ip_address(client_ip()).is_loopback
    except ValueError:
        return False


def _warn_untrusted_proxy() -> None:
    if not current_app.extensions.get("zhongshu_proxy_warned"):
        current_app.extensions["zhongshu_proxy_warned"] = True
        log.warning("requests arrive through a proxy (X-Forwarded-For) but ZHONGSHU_PROXY_HOPS is 0: every caller "
                    "looks like the proxy, so /metrics is closed to loopback and sign-in limits are shared; set "
                    "ZHONGSHU_PROXY_HOPS to the number of proxies in front of the app")


def _refuse(status: int, *, page: bool) -> tuple[Any, int]:
    if page:
        key = "auth.forbidden" if status == 403 else "auth.expired"
        return _message_page(say(key, lang())), status
    return jsonify({"error": "forbidden" if status == 403 else "unauthorized"}), status


def _lang_arg() -> dict[str, str]:
    chosen = request.args.get("lang")
    return {"lang": chosen} if chosen else {}


def _open_wall() -> Any:
    """Trade a display token in the URL for a wall session cookie, and go on to the plain /wall."""
    state = get_state()
    token = accounts.token_by_secret(state.engine, request.args.get("token", ""))
    if token is None:
        log.warning("a wall at %s offered a display token that is unknown or revoked", client_ip())
        return _message_page(say("auth.token_invalid", lang())), 401
    _end_current(state)  # this browser's earlier session (a user's, say) ends, not just its cookie
    secret = websessions.open_session(state.engine, token=token, source_ip=client_ip(),
                                      user_agent=request.user_agent.string)
    session.clear()
    session[SESSION_KEY] = secret
    session.permanent = True
    rest = {k: v for k, v in request.args.items() if k != "token"}
    # The secret leaves the address bar (and the browser's history) at once.
    return redirect("/wall" + ("?" + urlencode(rest) if rest else ""), code=303)


def safe_next(target: str | None) -> str:
    """Return a local path to go to after sign-in (never another site: `//host` and `/\\host` are refused)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


_SIGNIN = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ heading }} · {{ title }}</title>
<link rel="stylesheet" href="/assets/signin.css"></head>
<body class="zs-signin"><main>
<h1>{{ title }}</h1>
{% if message %}<p class="zs-signin-message" role="alert">{{ message }}</p>{% endif %}
{% if form %}<form method="post" action="/signin?{{ query }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<label>{{ name_label }}<input name="name" autocomplete="username" required autofocus value="{{ name }}"></label>
<label>{{ password_label }}<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">{{ submit }}</button>
</form>
<p class="zs-signin-hint">{{ hint }}</p>{% else %}<p><a href="/">{{ home }}</a></p>{% endif %}
</main></body></html>"""


def _signin_page(message: str | None = None, name: str = "", status: int = 200) -> tuple[str, int]:
    chosen = lang()
    query = urlencode({k: v for k, v in request.args.items() if k in ("next", "lang")})
    return render_template_string(
        _SIGNIN, lang=chosen, title=get_state().settings.title, heading=say("auth.title", chosen), form=True,
        message=message, query=query, csrf=generate_csrf(), name=name, name_label=say("auth.name", chosen),
        password_label=say("auth.password", chosen), submit=say("auth.submit", chosen),
        hint=say("auth.wall_hint", chosen)), status


def _message_page(message: str) -> str:
    chosen = lang()
    return render_template_string(_SIGNIN, lang=chosen, title=get_state().settings.title,
                                  heading=get_state().settings.title, form=False, message=message,
                                  home=say("auth.home", chosen))


def _signin() -> Any:
    state = get_state()
    chosen = lang()
    target = safe_next(request.args.get("next"))
    if request.method == "GET":
        if current_principal() is not None:
            return redirect(target, code=303)
        return _signin_page(say("auth.signed_out", chosen) if request.args.get("out") else None)
    name = request.form.get("name", "").strip()
    user = accounts.authenticate(state.engine, name, request.form.get("password", ""), source_ip=client_ip())
    if user is None:
        return _signin_page(say("auth.failed", chosen, n=accounts.MAX_FAILED_LOGINS,
                                minutes=int(accounts.LOCKOUT.total_seconds() // 60)), name=name, status=401)
    websessions.prune_sessions(state.engine, idle=idle(state))
    _end_current(state)
    secret = websessions.open_session(
        state.engine, user=user, max_age=timedelta(hours=state.settings.session_max_hours),
        source_ip=client_ip(), user_agent=request.user_agent.string)
    session.clear()  # a fresh cookie (and CSRF token) for the new session: nothing fixed beforehand carries over
    session[SESSION_KEY] = secret
    session.permanent = True
    return redirect(target, code=303)


def _end_current(state: AppState) -> None:
    principal = current_principal()
    if principal is not None:
        websessions.end_session(state.engine, principal, source_ip=client_ip())
        websessions.ring(state.redis(), state.settings.feed_prefix)
        g.zs_principal = None


def _signout() -> Any:
    state = get_state()
    _end_current(state)
    session.clear()
    return redirect("/signin?" + urlencode({"out": "1", **_lang_arg()}), code=303)


def _csrf_failed(error: CSRFError) -> Any:
    if request.path == "/signin":
        return _signin_page(say("auth.form_expired", lang()), status=400)
    return jsonify({"error": "csrf", "reason": error.description}), 400


def _rate_limited(error: RateLimitExceeded) -> Any:
    log.warning("sign-in rate limit reached by %s (%s)", client_ip(), error.description)
    return _signin_page(say("auth.rate_limited", lang()), status=429)


def _headers(response: Response) -> Response:
    """Set the security headers on every answer, and the CSRF cookie Dash's renderer reads on its pages."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.extensions["zhongshu_csp"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    # A display link carries its token in the address: no other site ever sees our addresses.
    headers.setdefault("Referrer-Policy", "same-origin")
    rule = request.url_rule
    if (rule is not None and access.endpoint_level(rule.endpoint) == access.PAGE
            and g.get("zs_principal") is not None and response.status_code == 200):
        response.set_cookie(CSRF_COOKIE, generate_csrf(), samesite="Strict", httponly=False,
                            secure=bool(get_state().settings.cookie_secure) or request.is_secure)
        headers["Cache-Control"] = "no-store"
    return response

