"""An officer freezes the wall from the desk, then opens the snapshot: its figures as the wall labels them, and
its map drawn in a frame (township boundaries and the pins, masked) under the page's own CSP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from dashboard import accounts
from datafeeds.publisher import Publisher

from wallaccess import settle, sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the pages are the subject, not the store
def test_an_officer_freezes_the_wall_and_opens_the_snapshot(stack, browser: Browser, rclient, county) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "zhou.officer", "officer", PASSWORD)
    town = county.townships()[0]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="freeze-test")
    now = datetime.now(UTC)
    pub.publish("case.registered", {
        "case_no": "F-1", "title": "赵建国反映噪音扰民，电话13812345678", "category": "02",
        "source_channel": "grid", "township": town.code, "lat": town.lat, "lon": town.lon,
        "parties": [{"name": "赵建国", "phone": "13812345678"}]}, at=now - timedelta(minutes=30))
    pub.publish("case.registered", {
        "case_no": "F-2", "title": "物业纠纷", "category": "0402", "source_channel": "hotline_12345",
        "township": town.code, "lat": town.lat + 0.01, "lon": town.lon + 0.01}, at=now - timedelta(minutes=20))
    stack.wait_seq(2)

    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "zhou.officer", PASSWORD, "/desk", errors)
    page.get_by_placeholder("备注（可选）").fill("周例会引用")
    page.get_by_role("button", name="冻结大屏").click()
    status = page.locator("#snap-status")
    expect(status).to_contain_text("已冻结：", timeout=10_000)
    expect(status).to_contain_text("（编号 1）")
    [row] = accounts.read_audit(engine, action="freeze")
    assert (row.actor, row.target) == ("zhou.officer", "snapshot:1")

    status.get_by_role("link", name="查看快照").click()
    expect(page).to_have_url(f"{stack.url}/desk/snapshot/1")
    expect(page.locator("h1")).to_have_text("大屏快照 · 编号 1")
    expect(page.locator(".zs-snap-taken")).to_contain_text("冻结人 zhou.officer")
    expect(page.locator(".zs-snap-note")).to_have_text("备注：周例会引用")
    figures = page.locator("#snap-figures")
    expect(figures.locator(".zs-snap-figure-open .zs-snap-label")).to_have_text("在办")
    expect(figures.locator(".zs-snap-figure-open .zs-snap-value")).to_have_text("2")
    expect(figures.locator(".zs-snap-figure-today_registered .zs-snap-value")).to_have_text("2")
    expect(figures.locator(".zs-snap-figure-supervised .zs-snap-value")).to_have_text("0 / 0")

    # The frame draws the county's townships and the two pins (all Leaflet paths), with no network.
    frame = page.frame_locator("#snap-map")
    townships = len(county.townships())
    expect(frame.locator("path.leaflet-interactive")).to_have_count(townships + 2, timeout=10_000)
    expect(frame.locator(".zs-map-title")).to_contain_text("大屏快照 1 · 在办案件分布")
    frame.locator("path.leaflet-interactive").nth(townships).click(force=True)
    expect(frame.locator(".leaflet-popup-content")).to_contain_text("F-1 赵*国反映噪音扰民，电话138****5678")
    for secret in ("赵建国", "13812345678"):
        assert secret not in page.content(), secret
    [map_frame] = [f for f in page.frames if f.url.endswith("/export/snapshot/1/map.html")]
    assert map_frame.evaluate("window.__csp") == []  # the map needs nothing its own CSP forbids

    # The list names it, newest first.
    page.get_by_role("link", name="全部快照").click()
    expect(page).to_have_url(f"{stack.url}/desk/snapshots")
    expect(page.locator("#snap-list tr.zs-snap-row")).to_have_count(1)
    expect(page.locator("#snap-list tr.zs-snap-row")).to_contain_text("周例会引用")
    expect(page.locator("#snap-list tr.zs-snap-row")).to_contain_text("在办 2")
    settle(page)
    assert page.evaluate("window.__csp") == []
    assert errors == []
