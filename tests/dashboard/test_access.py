"""Every door of the web app, walked by every kind of caller: the tables here say who gets what.

The tables are written out by hand, apart from the app's own rule table (dashboard.access), so a route, a
Dash callback or a page added without a rule fails here, and so does a rule that changed by mistake.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import socketio

from dashboard import access, accounts
from datafeeds.publisher import Publisher

from wallaccess import csrf_of as _csrf
from wallaccess import sign_in, wall_client, wall_cookie

PASSWORD = "correct-horse-9"
CALLERS = ("anonymous", "wall", "officer", "leader", "admin")


def _all(status: int) -> dict[str, int]:
    return dict.fromkeys(CALLERS, status)


def _signed(status: int, anonymous: int = 401) -> dict[str, int]:
    return {**_all(status), "anonymous": anonymous}


# Flask endpoint → (method, path asked, status per caller).
ROUTES: dict[str, tuple[str, str, dict[str, int]]] = {
    "_dash_assets.static": ("GET", "/assets/wall.css", _all(200)),
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": ("GET", "{suite}", _all(200)),
    "/_favicon.ico": ("GET", "/_favicon.ico", _all(200)),
    "/_dash-layout": ("GET", "/_dash-layout", _signed(200)),
    "/_dash-dependencies": ("GET", "/_dash-dependencies", _signed(200)),
    "/_reload-hash": ("GET", "/_reload-hash", _signed(200)),
    "/_dash-update-component": ("POST", "/_dash-update-component", _signed(200)),
    "/": ("GET", "/", _signed(200, anonymous=303)),
    "/<path:path>": ("GET", "/wall", _signed(200, anonymous=303)),
    "api.snapshot": ("GET", "/api/snapshot", _signed(200)),
    "api.deltas": ("GET", "/api/deltas?after=0", _signed(200)),
    "api.duty": ("GET", "/api/duty", _signed(200)),
    "exports.open_cases_map": ("GET", "/export/open-cases-map.html",
                               {"anonymous": 401, "wall": 403, "officer": 403, "leader": 200, "admin": 200}),
    "exports.cases_csv": ("GET", "/export/cases.csv?township=X",
                          {"anonymous": 401, "wall": 403, "officer": 200, "leader": 200, "admin": 200}),
    "exports.cases_xlsx": ("GET", "/export/cases.xlsx?state=open",
                           {"anonymous": 401, "wall": 403, "officer": 200, "leader": 200, "admin": 200}),
    "exports.snapshot_map": ("GET", "/export/snapshot/1/map.html",  # none frozen: past the guard, not found
                             {"anonymous": 401, "wall": 403, "officer": 404, "leader": 404, "admin": 404}),
    "briefingdoc.hotspot_map": ("GET", "/briefing/map.html",
                                {"anonymous": 401, "wall": 403, "officer": 403, "leader": 200, "admin": 200}),
    # the exports with an unknown period: past the guard, refused for the period (tests/dashboard/test_briefingdoc.py)
    "briefingdoc.export_html": ("GET", "/briefing/export.html?period=year",
                                {"anonymous": 401, "wall": 403, "officer": 403, "leader": 400, "admin": 400}),
    "briefingdoc.export_pdf": ("GET", "/briefing/export.pdf?period=year",
                               {"anonymous": 401, "wall": 403, "officer": 403, "leader": 400, "admin": 400}),
    "api.healthz": ("GET", "/healthz", _all(503)),  # public; 503 because no ingest runs in this test
    "metrics.metrics_endpoint": ("GET", "/metrics", _all(200)),  # the test client calls from loopback
    "auth.signin": ("GET", "/signin", {**_all(303), "anonymous": 200}),  # signed in: on to the next page
    "auth.signout": ("POST", "/signout", _all(303)),
}

# Page paths (the Dash index served for them) → status per caller; the router checks the same levels.
PAGES: dict[str, dict[str, int]] = {
    "/": _signed(200, anonymous=303),
    "/wall": _signed(200, anonymous=303),
    "/desk": {"anonymous": 303, "wall": 403, "officer": 200, "leader": 200, "admin": 200},
    "/desk/case/X-1": {"anonymous": 303, "wall": 403, "officer": 200, "leader": 200, "admin": 200},
    "/desk/departments": {"anonymous": 303, "wall": 403, "officer": 200, "leader": 200, "admin": 200},
    "/desk/snapshots": {"anonymous": 303, "wall": 403, "officer": 200, "leader": 200, "admin": 200},
    "/desk/snapshot/1": {"anonymous": 303, "wall": 403, "officer": 200, "leader": 200, "admin": 200},
    "/desk/audit": {"anonymous": 303, "wall": 403, "officer": 403, "leader": 403, "admin": 200},
    "/briefing": {"anonymous": 303, "wall": 403, "officer": 403, "leader": 200, "admin": 200},
    # other spellings of an admin page meet the admin rule, never a weaker one
    "/desk/audit/export": {"anonymous": 303, "wall": 403, "officer": 403, "leader": 403, "admin": 200},
    "/desk//audit": {"anonymous": 303, "wall": 403, "officer": 403, "leader": 403, "admin": 200},
    "/wall/../desk/audit": {"anonymous": 303, "wall": 403, "officer": 403, "leader": 403, "admin": 200},
    "/desk/audit/.": {"anonymous": 303, "wall": 403, "officer": 403, "leader": 403, "admin": 200},
    "/no/such/page": _signed(200, anonymous=303),  # the not-found page: nothing behind it
}

# Dash callbacks by output → the lowest level that may call them.
CALLBACKS: dict[str, str] = {
    "page.children": "wall",
    "case-personal.children": "officer",
    "..case-header.children...case-timeline.children...case-assignments.children..": "officer",
    "..audit-table.children...audit-offset.data..": "admin",
    "..depts-range.children...depts-sign.figure...depts-resolve.figure...depts-rate.figure...depts-table.children"
    "...depts-stamp.data...depts-timer.disabled...depts-timer.interval...depts-timer.max_intervals..": "officer",
    "desk-follow.data": "browser",  # clientside: refused by the server to everyone
    "desk-purged.data": "browser",
    "..url.search...desk-f-township.value...desk-f-village.value...desk-f-category.value...desk-f-source.value"
    "...desk-f-state.value...desk-f-department.value...desk-f-village.options...desk-f-dates.start_date"
    "...desk-f-dates.end_date...desk-f-resolved.start_date...desk-f-resolved.end_date...desk-f-flags.value"
    "...desk-f-text.value...desk-filter.data"
    "...desk-export-csv.href...desk-export-xlsx.href..": "officer",
    "..desk-grid.getRowsResponse...desk-shown-page.data..": "officer",
    "..desk-count.children...desk-map-cases.data...desk-shown-map.data..": "officer",
    "desk-dirty.data": "officer",
    "..desk-full-csv.href...desk-full-xlsx.href..": "leader",
    "snap-status.children": "officer",
    "..briefing-url.search...briefing-period.value...briefing-dates.start_date...briefing-dates.end_date"
    "...briefing-custom.style...briefing-content.children..": "leader",
}


@pytest.fixture
def callers(app) -> dict[str, Any]:
    engine = app.extensions["zhongshu"].engine
    for role in ("officer", "leader", "admin"):
        accounts.add_user(engine, f"test-{role}", role, PASSWORD)
    return {"anonymous": app.test_client(), "wall": wall_client(app),
            **{role: sign_in(app, f"test-{role}") for role in ("officer", "leader", "admin")}}


def _router_body(pathname: str) -> dict[str, Any]:
    return {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                       {"id": "url", "property": "search", "value": ""}],
            "changedPropIds": ["url.pathname"], "state": []}


def _ask(client: Any, method: str, path: str) -> int:
    if method == "GET":
        response = client.get(path)
    elif path == "/_dash-update-component":
        response = client.post(path, json=_router_body("/"), headers={"X-CSRFToken": _csrf_for(client)})
    else:
        response = client.post(path, data={"csrf_token": _csrf_for(client)})
    response.close()  # a static file's answer holds the file open until closed
    return int(response.status_code)


def _csrf_for(client: Any) -> str:
    cookie = client.get_cookie("_csrf_token")
    if cookie is None:  # anonymous: the sign-in form's token is the one its session holds
        return _csrf(client)
    return str(cookie.value)


def test_every_route_has_a_rule_here_and_in_the_app(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), "a route without a row in this test's table (or a row for a route gone)"
    assert endpoints == set(access.ENDPOINTS), "a route without a rule in dashboard.access"
    dash_app = app.extensions["dash"]
    assert set(dash_app.callback_map) == set(CALLBACKS) == set(access.CALLBACKS)
    assert {out: access.callback_level(out) for out in CALLBACKS} == CALLBACKS


def test_each_caller_gets_what_the_table_says(app, callers) -> None:
    index = callers["wall"].get("/wall").get_data(as_text=True)
    suite = re.search(r'src="(/_dash-component-suites/[^"]+)"', index)
    assert suite is not None
    got: dict[str, dict[str, int]] = {}
    for endpoint, (method, path, _) in ROUTES.items():
        path = path.replace("{suite}", suite.group(1))
        got[endpoint] = {who: _ask(callers[who], method, path) for who in CALLERS}
        if endpoint == "auth.signout":  # signing out ended those sessions: sign everyone in again
            callers.update(wall=wall_client(app), **{r: sign_in(app, f"test-{r}") for r in ("officer", "leader",
                                                                                             "admin")})
    assert got == {endpoint: want for endpoint, (_, _, want) in ROUTES.items()}


def test_pages_and_the_router_refuse_alike(app, callers) -> None:
    got = {path: {who: _ask(callers[who], "GET", path) for who in CALLERS} for path in PAGES}
    assert got == PAGES
    for path, want in PAGES.items():
        for who in CALLERS[1:]:
            client = callers[who]
            answer = client.post("/_dash-update-component", json=_router_body(path),
                                 headers={"X-CSRFToken": _csrf_for(client)}).get_json()
            refused = "您没有查看此页面的权限" in json.dumps(answer, ensure_ascii=False)
            assert refused == (want[who] == 403), (path, who)


def test_an_anonymous_caller_is_sent_to_sign_in_and_learns_nothing(app) -> None:
    client = app.test_client()
    response = client.get("/wall?lang=en")
    assert response.status_code == 303
    assert response.headers["Location"] == "/signin?next=%2Fwall%3Flang%3Den&lang=en"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sign in" in page and "wall-root" not in page
    for path in ("/api/snapshot", "/api/deltas?after=0", "/api/duty", "/_dash-layout", "/_dash-dependencies"):
        response = client.get(path)
        assert response.status_code == 401 and response.get_json() == {"error": "unauthorized"}, path


def test_the_dash_frame_holds_no_data(app, callers) -> None:
    # Even signed in, the layout Dash serves is the empty frame: every page's content comes from the router.
    layout = callers["admin"].get("/_dash-layout").get_json()
    frame = {child["props"]["id"]: child["props"] for child in layout["props"]["children"]}
    assert frame["page"] == {"id": "page", "className": "zs-page", "children": None}
    assert frame["desk-bell"] == {"id": "desk-bell"} and frame["desk-follow"] == {"id": "desk-follow"}
    assert set(frame) == {"url", "desk-bell", "desk-follow", "page"}


def test_a_callback_without_a_rule_is_refused_to_everyone(app, callers) -> None:
    body = {**_router_body("/"), "output": "someone-elses.children"}
    client = callers["admin"]
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": _csrf_for(client)})
    assert response.status_code == 403


def test_state_changes_need_the_csrf_token(app, callers) -> None:
    client = callers["officer"]
    assert client.post("/_dash-update-component", json=_router_body("/")).status_code == 400
    assert client.post("/_dash-update-component", json=_router_body("/"),
                       headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.post("/signout").status_code == 400  # a cross-site form cannot sign anyone out either
    assert client.get("/api/snapshot").status_code == 200  # still signed in


def test_a_display_link_ends_the_browsers_earlier_session(app, callers) -> None:
    officer = callers["officer"]
    old = officer.get_cookie("zhongshu_session").value
    _, secret = accounts.create_token(app.extensions["zhongshu"].engine, "借用的屏")
    assert officer.get(f"/wall?token={secret}").status_code == 303
    assert officer.get("/desk/case/X-1").status_code == 403  # now a wall
    stale = app.test_client()
    stale.set_cookie("zhongshu_session", old)
    assert stale.get("/api/snapshot").status_code == 401  # the officer's session ended, not just its cookie


def test_anonymous_bodies_are_not_read_and_big_ones_refused(app, callers) -> None:
    anonymous = callers["anonymous"]
    assert anonymous.post("/_dash-update-component", data="[" * 100, content_type="application/json").status_code == 401
    big = {"output": "page.children", "pad": "x" * 2_000_000}
    client = callers["admin"]
    assert client.post("/_dash-update-component", json=big,
                       headers={"X-CSRFToken": _csrf_for(client)}).status_code == 413


def test_metrics_answer_loopback_or_their_token(settings) -> None:
    from dashboard.app import create_app

    app = create_app(settings.model_copy(update={"metrics_token": "scrape-token-1234567890"}))
    try:
        client = app.test_client()
        remote = {"REMOTE_ADDR": "10.1.2.3"}
        assert client.get("/metrics").status_code == 200
        assert client.get("/metrics", environ_base=remote).status_code == 403
        # through a proxy on this host that the app was not told to trust, loopback proves nothing
        assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
        assert client.get("/metrics", environ_base=remote,
                          headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert client.get("/metrics", environ_base=remote,
                          headers={"Authorization": "Bearer scrape-token-1234567890"}).status_code == 200
    finally:
        app.extensions["zhongshu"].engine.dispose()


def test_headers_on_every_answer(app, callers) -> None:
    for client, path in ((callers["anonymous"], "/signin"), (callers["anonymous"], "/api/snapshot"),
                         (callers["wall"], "/wall"), (callers["wall"], "/api/snapshot"),
                         (callers["anonymous"], "/assets/wall.css")):
        response = client.get(path)
        response.close()
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self' 'sha256-" in csp and "connect-src 'self'" in csp
        assert "http" not in csp  # no other origin: nothing is fetched from a CDN or the internet
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "SAMEORIGIN"


def test_a_configured_tile_server_is_the_one_other_origin_for_images() -> None:
    from dashboard.auth import tile_origin

    assert tile_origin("http://{s}.tiles.county.gov.cn/{z}/{x}/{y}.png") == "http://*.tiles.county.gov.cn"
    assert tile_origin("https://10.1.2.3:8443/tiles/{z}/{x}/{y}.png") == "https://10.1.2.3:8443"
    assert tile_origin("http://tile{s}.county.gov.cn/{z}/{x}/{y}") == "http://*.county.gov.cn"


def test_cookies_are_httponly_samesite_and_secure_over_https(app) -> None:
    engine = app.extensions["zhongshu"].engine
    _, secret = accounts.create_token(engine, "https-wall")
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        response = client.get(f"/wall?token={secret}", base_url=base)
        [cookie] = response.headers.getlist("Set-Cookie")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and ("Secure" in cookie) == secure
        assert response.headers["Location"] == "/wall"  # the token leaves the address bar


def test_a_bad_display_link_is_refused_plainly(app) -> None:
    response = app.test_client().get("/wall?token=not-a-token")
    assert response.status_code == 401
    assert "此显示屏授权链接无效或已被撤销" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited_per_address(settings) -> None:
    from dashboard.app import create_app

    app = create_app(settings.model_copy(update={"signin_rate": "3 per minute"}))
    try:
        client = app.test_client()
        token = _csrf(client)
        codes = [client.post("/signin", data={"name": "nobody", "password": "wrong-password",
                                              "csrf_token": token}).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        assert "登录尝试过于频繁" in client.post("/signin", data={"csrf_token": token}).get_data(as_text=True)
        other = client.post("/signin", data={"name": "nobody", "password": "wrong-password", "csrf_token": token},
                            environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert other.status_code == 401  # another address has its own count
    finally:
        app.extensions["zhongshu"].engine.dispose()


def test_sign_in_goes_only_to_local_pages(app) -> None:
    from dashboard.auth import safe_next

    assert [safe_next(t) for t in ("/wall?lang=en", "//evil.example/x", "/\\evil", "https://evil.example",
                                    "wall", None, "/desk\n")] == ["/wall?lang=en", "/", "/", "/", "/", "/", "/"]


def test_socketio_connect_by_caller(stack, rclient) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "sock-officer", "officer", PASSWORD)
    officer = sign_in(stack.app, "sock-officer")
    officer_cookie = f"zhongshu_session={officer.get_cookie('zhongshu_session').value}"
    for who, headers, view, ok in (("anonymous", {}, "wall", False),
                                   ("wall", {"Cookie": wall_cookie(stack.url)}, "wall", True),
                                   ("officer", {"Cookie": officer_cookie}, "wall", True),
                                   ("officer", {"Cookie": officer_cookie}, "desk", True),
                                   ("wall", {"Cookie": wall_cookie(stack.url)}, "desk", False),
                                   ("wall", {"Cookie": wall_cookie(stack.url)}, "desk-of-nobody", False)):
        client = socketio.Client(reconnection=False)
        try:
            if ok:
                client.connect(stack.url, auth={"view": view}, headers=headers, transports=["polling"],
                               wait_timeout=5)
                assert client.connected, who
                server = stack.app.extensions["socketio"].server
                rooms = set(server.manager.get_rooms(client.get_sid("/"), "/"))
                kind = "wall" if who == "wall" else "user"
                assert {view, f"role:{who}"} <= rooms and any(r.startswith(f"{kind}:") for r in rooms), rooms
                assert not {"wall", "desk"} - {view} & rooms, rooms  # one view's pushes only
            else:
                with pytest.raises(socketio.exceptions.ConnectionError):
                    client.connect(stack.url, auth={"view": view}, headers=headers, transports=["polling"],
                                   wait_timeout=5)
        finally:
            client.disconnect()


def test_the_desks_hear_which_cases_changed_and_the_walls_do_not(stack, rclient, county, wait_for) -> None:
    """The ingest rings the desk room with the case numbers a push changed; walls get their delta without them."""
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "bell-officer", "officer", PASSWORD)
    officer = sign_in(stack.app, "bell-officer")
    rings: list[dict[str, Any]] = []
    deltas: list[dict[str, Any]] = []
    desk = socketio.Client(reconnection=False)
    desk.on("cases", rings.append)
    wall = _connected_wall(stack, wall_cookie(stack.url))
    wall.on("delta", deltas.append)
    try:
        desk.connect(stack.url, auth={"view": "desk"}, transports=["polling"], wait_timeout=5,
                     headers={"Cookie": f"zhongshu_session={officer.get_cookie('zhongshu_session').value}"})
        town = county.townships()[0]
        pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="bell-test")
        pub.publish("case.registered", {
            "case_no": "BELL-1", "title": "噪音扰民", "category": "0402", "source_channel": "hotline_12345",
            "township": town.code, "address": "", "lat": town.lat, "lon": town.lon, "parties": []})
        stack.wait_seq(1)
        wait_for(lambda: rings and deltas)
        assert rings[0] == {"seq": 1, "cases": ["BELL-1"]}
        assert "cases" not in deltas[0] and deltas[0]["seq"] == 1
    finally:
        desk.disconnect()
        wall.disconnect()


def _connected_wall(stack: Any, cookie: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(stack.url, auth={"view": "wall"}, headers={"Cookie": cookie}, transports=["polling"],
                   wait_timeout=5)
    assert client.connected
    return client


def test_a_revoked_token_drops_its_walls_sockets_at_once(settings, make_stack, wait_for, monkeypatch) -> None:
    """Revoking rings the doorbell: each web process checks its sockets' sessions and drops the ended ones."""
    from dashboard import realtime
    from dashboard.accounts_cli import ring_web

    monkeypatch.setattr(realtime, "SWEEP_EVERY", 600.0)  # so only the doorbell can explain a prompt drop
    stack = make_stack(settings)
    engine = stack.app.extensions["zhongshu"].engine
    _, other_secret = accounts.create_token(engine, "另一块屏")
    other = stack.app.test_client()
    other.get(f"/wall?token={other_secret}")
    other_cookie = f"zhongshu_session={other.get_cookie('zhongshu_session').value}"
    revoked, kept = _connected_wall(stack, wall_cookie(stack.url)), _connected_wall(stack, other_cookie)
    try:
        accounts.revoke_token(engine, "测试大屏")
        assert ring_web(stack.settings)
        wait_for(lambda: not revoked.connected, timeout=3)
        assert kept.connected  # the other wall's token stands
        with pytest.raises(socketio.exceptions.ConnectionError):
            _connected_wall(stack, wall_cookie(stack.url))
    finally:
        revoked.disconnect()
        kept.disconnect()


def test_without_the_doorbell_the_sweep_drops_them_within_its_period(stack, wait_for) -> None:
    from dashboard.realtime import SWEEP_EVERY

    engine = stack.app.extensions["zhongshu"].engine
    wall = _connected_wall(stack, wall_cookie(stack.url))
    try:
        accounts.revoke_token(engine, "测试大屏")  # no ring: as if Redis lost it
        wait_for(lambda: not wall.connected, timeout=SWEEP_EVERY + 3)
    finally:
        wall.disconnect()


def _callback_body(output: str) -> dict[str, Any]:
    if output == "case-personal.children":
        return {"output": output, "outputs": {"id": "case-personal", "property": "children"},
                "inputs": [{"id": "case-unmask", "property": "n_clicks", "value": 1}],
                "changedPropIds": ["case-unmask.n_clicks"],
                "state": [{"id": "case-unmask-reason", "property": "value", "value": "核实当事人身份"},
                          {"id": "case-no", "property": "data", "value": "NO-SUCH-CASE"},
                          {"id": "url", "property": "search", "value": ""}]}
    if output.startswith("..audit-table"):
        return {"output": output, "outputs": [{"id": "audit-table", "property": "children"},
                                              {"id": "audit-offset", "property": "data"}],
                "inputs": [{"id": "audit-action", "property": "value", "value": None},
                           {"id": "audit-actor", "property": "value", "value": ""},
                           {"id": "audit-newer", "property": "n_clicks", "value": 0},
                           {"id": "audit-older", "property": "n_clicks", "value": 0}],
                "changedPropIds": ["audit-action.value"],
                "state": [{"id": "audit-offset", "property": "data", "value": 0},
                          {"id": "url", "property": "search", "value": ""}]}
    return _router_body("/") if output == "page.children" else None


def _generic_body(app: Any, output: str) -> dict[str, Any]:
    """Return a request for a callback built from its own inputs and states, every value empty."""
    spec = app.extensions["dash"].callback_map[output]
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1].split("@")[0]}
               for part in output.strip(".").split("...")]
    inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in spec["inputs"]]
    return {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
            "state": [{"id": s["id"], "property": s["property"], "value": None} for s in spec["state"]]}


def test_each_callback_answers_only_its_level(app, callers) -> None:
    from dashboard.websessions import LEVELS

    for output, level in CALLBACKS.items():
        for who in CALLERS:
            client = callers[who]
            headers = {"X-CSRFToken": _csrf_for(client)} if who != "anonymous" else {}
            body = _callback_body(output) or _generic_body(app, output)
            status = client.post("/_dash-update-component", json=body, headers=headers).status_code
            if who == "anonymous":
                want = {401}
            elif level == "browser":
                want = {403}
            elif LEVELS.index(who) >= LEVELS.index(level):
                want = {200, 204}  # 204: Dash's "no update" (the unmask of a case that does not exist)
            else:
                want = {403}
            assert status in want, (output, who, status)
