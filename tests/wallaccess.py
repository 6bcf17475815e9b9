"""Open a test stack as its users do: a wall with its display link (then the session the link gave), a person
through the sign-in form.

A plain module (not a fixture) so browser tests' helpers can build links from a base URL; pytest puts
tests/ on sys.path for its conftest, which makes it importable as `wallaccess` from every test folder.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

# Collects what a page's Content-Security-Policy blocked: the app must never need anything it forbids.
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""

# The display token of the wall served at each base URL (a Stack makes one), and a cookie-keeping opener per
# base for tests that read the wall's JSON like the wall does.
WALL_TOKENS: dict[str, str] = {}
_OPENERS: dict[str, tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]] = {}


def wall_link(base: str, query: str = "") -> str:
    """Return the display link (with its token) of the wall served at `base`, as a kiosk opens it."""
    return f"{base}/wall?token={WALL_TOKENS[base]}" + (f"&{query}" if query else "")


def wall_open(url: str, timeout: float = 10.0) -> Any:
    """Open a URL of a running stack as its wall would: with the session its display link gave it."""
    return _opener(url, timeout)[0].open(url, timeout=timeout)


def wall_cookie(url: str) -> str:
    """Return the Cookie header a wall of the stack at `url` sends (for a Socket.IO client in a test)."""
    jar = _opener(url, 10.0)[1]
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _opener(url: str, timeout: float) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    found = _OPENERS.get(base)
    if found is None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(wall_link(base), timeout=timeout).close()
        found = _OPENERS[base] = (opener, jar)
    return found


def wall_client(app: Any, name: str = "测试大屏") -> Any:
    """Return a Flask test client signed in as a wall (a new display token, traded for its session)."""
    from dashboard.accounts import create_token

    _, secret = create_token(app.extensions["zhongshu"].engine, name)
    client = app.test_client()
    assert client.get(f"/wall?token={secret}").status_code == 303
    return client


def forget_opener(base: str) -> None:
    """Drop the cookie-keeping opener of a base URL (a new stack on a reused port has new sessions)."""
    _OPENERS.pop(base, None)


def sign_in_page(browser: Any, base: str, name: str, password: str, next_path: str,
                 errors: list[str] | None = None) -> Any:
    """Return a new page signed in through the form (watching CSP violations and page errors) at next_path."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.add_init_script(CSP_WATCH)
    if errors is not None:
        page.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
    page.goto(f"{base}/signin?next={next_path}")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}{next_path}")
    settle(page)
    return page


def settle(page: Any) -> None:
    """Wait until a page has loaded what it asks for (its code, styles, first callbacks).

    A test that navigates on while the page still loads makes the browser drop those requests, and the test
    server then reports the files it was sending as unclosed (a ResourceWarning, an error in this suite).
    """
    page.wait_for_load_state("networkidle")


def csrf_of(client: Any) -> str:
    """Return the CSRF token a Flask test client's session holds (from the sign-in form or the cookie)."""
    page = client.get("/signin").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found:
        return found.group(1)
    cookie = client.get_cookie("_csrf_token")
    if cookie is None:
        client.get("/")
        cookie = client.get_cookie("_csrf_token")
    assert cookie is not None
    return str(cookie.value)


def sign_in(app: Any, name: str, password: str = "correct-horse-9") -> Any:
    """Return a test client signed in through the sign-in form."""
    client = app.test_client()
    token = csrf_of(client)
    response = client.post("/signin?next=/", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/", response.get_data(as_text=True)
    return client
