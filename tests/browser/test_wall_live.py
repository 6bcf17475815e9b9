"""What a person sees: a case published on Redis appears on the open wall without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from datafeeds.apply import RawMessage
from datafeeds.contract import dumps
from datafeeds.publisher import Publisher

from wallaccess import wall_link

pytestmark = pytest.mark.browser


def open_wall(browser: Browser, base: str) -> Page:
    """Open /wall at 1920×1080 on an empty store and wait until it shows its first figures."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(wall_link(base))
    expect(page.locator("#wall-c-today_registered")).to_have_text("0", timeout=15_000)
    return page


def _register(pub: Publisher, case_no: str, township: str, lat: float, lon: float, **more: object) -> None:
    pub.publish("case.registered", {
        "case_no": case_no, "title": "邻里纠纷", "category": "02", "source_channel": "grid",
        "township": township, "lat": lat, "lon": lon, **more,
    })


def test_published_case_shows_as_counter_and_pin(stack, browser: Browser, rclient, county) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
    page.goto(stack.wall_url())
    counter = page.locator("#wall-c-today_registered")
    expect(counter).to_have_text("0", timeout=15_000)
    expect(page.locator(".zs-title")).to_contain_text("示范县综治中心")
    expect(page.locator("path.leaflet-interactive").first).to_be_attached()  # boundaries are drawn

    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="browser-test")
    town = county.townships()[3]
    _register(pub, "W-1", town.code, town.lat, town.lon)
    # without a reload (how fast is measured by bench/latency.py, not here: a loaded CI machine can stall a
    # page for seconds):
    expect(counter).to_have_text("1", timeout=10_000)
    expect(page.locator("#wall-c-open")).to_have_text("1", timeout=10_000)
    expect(page.locator('path[data-case="W-1"]')).to_be_attached(timeout=10_000)
    expect(page.locator("#wall-ticker")).to_contain_text(town.name, timeout=10_000)
    expect(page.locator("#wall-feed-status")).to_contain_text("数据更新于")
    expect(page.locator("#wall-duty")).to_contain_text("带班领导")  # masked names only
    assert "王建国" not in page.content()

    expect(page.locator("#wall-c-month_resolution_rate")).to_have_text("0.0%")
    expect(page.locator("#wall-c-satisfaction_rate")).to_have_text("—")  # no visit yet: no rate
    expect(page.locator("#wall-c-major")).to_have_text("0")

    page.evaluate("window.__zsMarker = 1")  # survives only if the page never reloads
    _register(pub, "W-2", town.code, town.lat + 0.01, town.lon + 0.01, group=True, people_involved=60)
    expect(counter).to_have_text("2", timeout=10_000)
    expect(page.locator("#wall-c-major")).to_have_text("1", timeout=10_000)
    pub.publish("case.supervised", {"case_no": "W-1", "level": "red"})
    expect(page.locator("#wall-c-supervised")).to_have_text("0 / 1", timeout=10_000)
    # the warning list: the red card first, then the group incident
    expect(page.locator("#wall-warnings li").first).to_have_attribute("data-case", "W-1", timeout=10_000)
    expect(page.locator("#wall-warnings li").first).to_contain_text("红牌")
    expect(page.locator("#wall-warnings li").nth(1)).to_have_attribute("data-case", "W-2")
    assert page.evaluate("window.__zsMarker") == 1
    assert errors == []
    page.close()


def test_wall_speaks_english_on_request(stack, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url("lang=en"))
    expect(page.locator(".zs-counter-today_registered .zs-counter-label")).to_have_text("Registered today",
                                                                                       timeout=15_000)
    page.close()


def test_a_wall_that_misses_deltas_resyncs_from_the_store(stack, browser: Browser, rclient, county) -> None:
    from socketio import RedisManager

    page = open_wall(browser, stack.url)
    counter = page.locator("#wall-c-today_registered")
    # Cases stored while this wall hears nothing of them: write them through the ingest's core directly.
    town = county.townships()[1]
    pub = Publisher(rclient, prefix="nobody-listens", source="gap-test")
    raws = []
    for n in range(3):
        event = pub.event("case.registered", {
            "case_no": f"G-{n}", "title": "合同纠纷", "category": "06", "source_channel": "walk_in",
            "township": town.code, "lat": town.lat, "lon": town.lon})
        raws.append(RawMessage("gap", dumps(event).encode()))
    stack.ingest.applier.apply(raws)
    assert counter.text_content() == "0"
    resyncs = page.evaluate("zhongshu.live.stats.resyncs")
    snapshots = page.evaluate("zhongshu.live.stats.snapshots")
    # The next delta the wall sees is seq 4 → 4: it knows it missed 1–3 and fetches the snapshot.
    mgr = RedisManager(stack.settings.redis_url, channel=stack.settings.socketio_channel, write_only=True)
    snap_counters = stack.ingest.applier.counters()
    mgr.emit("delta", {"prev": 4, "seq": 4, "at": "2026-11-26T00:00:00+00:00", "events": 0,
                       "counters": snap_counters, "pins": {"upsert": [], "remove": []}, "ticker": [],
                       "alerts": {"raised": [], "cleared": []}, "last_event_at": None},
             namespace="/", room="wall")
    expect(counter).to_have_text("3", timeout=10_000)
    assert page.evaluate("zhongshu.live.seq") == 3
    # (the ingest's periodic status, which carries the seq, may have noticed the gap first)
    assert page.evaluate("zhongshu.live.stats.resyncs") >= resyncs + 1
    # those three were never pushed, so never logged: the delta log cannot bring the wall up, a snapshot does
    assert page.evaluate("zhongshu.live.stats.snapshots") >= snapshots + 1
    # the three cases sit on one spot: the map shows them as one bubble of three
    expect(page.locator(".zs-cluster")).to_have_text("3")
    assert page.evaluate("zhongshu.pins.count()") == 3
    page.close()


def test_a_case_turns_overdue_by_the_clock_alone(stack, browser: Browser, rclient, county) -> None:
    from datetime import timedelta

    from datafeeds.clock import utcnow

    offset = [timedelta(0)]
    stack.ingest.applier.clock = lambda: utcnow() + offset[0]
    stack.ingest.status_every = 0.2  # the ingest looks at the clock this often
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url())
    overdue = page.locator("#wall-c-overdue")
    expect(overdue).to_have_text("0", timeout=15_000)
    town = county.townships()[5]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="clock-test")
    _register(pub, "T-1", town.code, town.lat, town.lon)
    due = utcnow() + timedelta(hours=6)
    pub.publish("case.assigned", {"case_no": "T-1", "department": "rsj",
                                  "sign_due": (utcnow() + timedelta(hours=1)).isoformat(),
                                  "resolve_due": due.isoformat()})
    expect(page.locator("#wall-c-open")).to_have_text("1", timeout=10_000)
    expect(overdue).to_have_text("0")
    expect(page.locator("#wall-c-supervised")).to_have_text("0 / 0")
    offset[0] = timedelta(hours=7)  # no case message arrives; only time passes
    expect(overdue).to_have_text("1", timeout=10_000)
    expect(page.locator("#wall-c-supervised")).to_have_text("0 / 0")
    # Cards wait until a feed confirms the time (its heartbeat): until then a late sign-for could still be
    # on its way. Never signed for, past twice its sign-for time and past its resolve deadline: a red card
    # (督办), which the warning list puts first.
    pub.publish("heartbeat", {"interval_s": 10}, at=utcnow() + offset[0])
    expect(page.locator("#wall-c-supervised")).to_have_text("0 / 1", timeout=10_000)
    expect(page.locator('#wall-warnings li[data-case="T-1"]')).to_contain_text("红牌", timeout=10_000)
    expect(page.locator("#wall-ticker")).to_contain_text("督办")
    expect(page.locator('path[data-case="T-1"]')).to_have_class(re.compile(r"\bzs-risk-overdue\b"), timeout=10_000)
    page.close()


def test_a_group_incident_takes_over_a_band_until_cleared(stack, browser: Browser, rclient, county) -> None:
    from datetime import timedelta

    from datafeeds.clock import utcnow

    page = open_wall(browser, stack.url)
    overlay = page.locator("#wall-alert-overlay")
    expect(overlay).to_be_hidden()
    town = county.townships()[0]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="alert-test")
    # An incident raised long ago is known to the wall but does not take over the screen.
    pub.publish("alert.raised", {"alert_id": "A-old", "level": "major", "title": "旧事件", "township": town.code},
                at=utcnow() - timedelta(hours=2))
    page.wait_for_function("() => zhongshu.live.alerts.has('A-old')", timeout=10_000)
    expect(overlay).to_be_hidden()
    pub.publish("alert.raised", {"alert_id": "A-1", "level": "group", "title": "群体性劳资纠纷",
                                 "township": town.code})
    expect(overlay).to_be_visible(timeout=10_000)
    expect(overlay).to_contain_text("群体性事件")
    expect(overlay).to_contain_text(town.name)
    expect(overlay).to_contain_text("群体性劳资纠纷")
    pub.publish("alert.cleared", {"alert_id": "A-1"})
    expect(overlay).to_be_hidden(timeout=10_000)
    page.close()


def test_the_wall_rides_out_a_web_server_restart(stack, browser: Browser, rclient, county) -> None:
    from dashboard.server import ServerThread

    page = open_wall(browser, stack.url)
    counter = page.locator("#wall-c-today_registered")
    town = county.townships()[4]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="restart-test")
    _register(pub, "R-1", town.code, town.lat, town.lon)
    expect(counter).to_have_text("1", timeout=10_000)
    page.evaluate("window.__zsMarker = 1")

    port = stack.web.port
    stack.web.stop()  # the web server goes away; the wall keeps its last good state and says so
    expect(page.locator("#wall-feed-status")).to_contain_text("连接中断", timeout=10_000)
    expect(counter).to_have_text("1")
    _register(pub, "R-2", town.code, town.lat + 0.01, town.lon)  # stored while no web server runs

    stack.web = ServerThread(stack.app, port=port)
    stack.web.start()
    # it reconnects by itself, resyncs, and goes on receiving pushes, all without a reload
    expect(counter).to_have_text("2", timeout=20_000)
    expect(page.locator("#wall-feed-status")).to_contain_text("数据更新于", timeout=5_000)
    _register(pub, "R-3", town.code, town.lat - 0.01, town.lon)
    expect(counter).to_have_text("3", timeout=10_000)
    assert page.evaluate("window.__zsMarker") == 1
    page.close()


def test_figures_show_their_change_since_yesterdays_close(settings, engine, make_stack, browser: Browser, rclient,
                                                          county) -> None:
    from datetime import timedelta

    from sqlalchemy import insert

    from datafeeds.clock import local_day, utcnow
    from datafeeds.models import DailyFigures

    yesterday = local_day(utcnow()) - timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(insert(DailyFigures).values(day=yesterday, figures={
            "open": 5, "overdue": 0, "warning": 0, "yellow": 1, "red": 0, "major": 0,
            "month_resolution_rate": 0.5, "success_rate": None, "satisfaction_rate": 0.9}))
    stack = make_stack(settings)  # the ingest reads yesterday's close when it starts (and when the day turns)
    page = open_wall(browser, stack.url)
    expect(page.locator("#wall-c-open-sub")).to_have_text("较昨日 −5")
    expect(page.locator("#wall-c-supervised-sub")).to_have_text("较昨日 −1 / ±0")
    expect(page.locator("#wall-c-month_resolution_rate-sub")).to_have_text("口径：办结/受理")  # no rate today
    expect(page.locator("#wall-c-success_rate-sub")).to_have_text("口径：成功/办结")  # none yesterday
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="close-test")
    town = county.townships()[0]
    _register(pub, "V-1", town.code, town.lat, town.lon)
    expect(page.locator("#wall-c-open-sub")).to_have_text("较昨日 −4", timeout=10_000)
    expect(page.locator("#wall-c-month_resolution_rate-sub")).to_have_text("较昨日 −50.0", timeout=10_000)
    page.close()


def test_the_header_names_a_publisher_that_went_silent(settings, make_stack, browser: Browser, rclient) -> None:
    import threading
    import time

    stack = make_stack(settings.model_copy(update={"feed_stale_seconds": 2.0}))
    grid = Publisher(rclient, prefix=stack.settings.feed_prefix, source="grid-app")
    hotline = Publisher(rclient, prefix=stack.settings.feed_prefix, source="hotline-12345")
    stop_hotline, stop_all = threading.Event(), threading.Event()

    def beat() -> None:
        while not stop_all.is_set():
            grid.publish("heartbeat", {"interval_s": 0.5})
            if not stop_hotline.is_set():
                hotline.publish("heartbeat", {"interval_s": 0.5})
            time.sleep(0.3)

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    try:
        page = open_wall(browser, stack.url)
        status = page.locator("#wall-feed-status")
        expect(status).to_contain_text("数据更新于", timeout=5_000)
        stop_hotline.set()  # one publisher goes quiet; the other keeps beating
        expect(status).to_contain_text("数据源中断", timeout=6_000)
        expect(status).to_contain_text("hotline-12345")
        assert "grid-app" not in status.text_content()
        expect(page.locator("#wall-feed-dot")).to_have_class(re.compile(r"\bzs-dot-bad\b"))
        # /healthz reads the store, which the ingest updates every few seconds: it says so a little later.
        deadline = time.monotonic() + 15
        while True:
            silent = {s["source"]: s["silent_s"] for s in page.request.get(f"{stack.url}/healthz").json()["sources"]}
            if silent.get("hotline-12345") is not None or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert silent["hotline-12345"] is not None and silent["grid-app"] is None
        stop_hotline.clear()  # it speaks again
        expect(status).to_contain_text("数据更新于", timeout=6_000)
        page.close()
    finally:
        stop_all.set()
        beater.join(5)
