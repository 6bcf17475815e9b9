"""The wall's optional rotation (轮播): pages switch by themselves and hold while an alert is on screen."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect

from datafeeds.publisher import Publisher

pytestmark = pytest.mark.browser


def test_rotation_cycles_pages_and_pauses_for_an_alert(settings, make_stack, browser: Browser, rclient,
                                                       county) -> None:
    rotating = settings.model_copy(update={"wall_rotation": "overview,departments,township",
                                           "wall_rotation_seconds": 4.0, "league_seconds": 0.5})
    stack = make_stack(rotating)
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="rotation-test")
    town = county.townships()[0]
    for i in range(3):
        pub.publish("case.registered", {"case_no": f"RT-{i}", "title": "纠纷", "category": "02",
                                        "source_channel": "grid", "township": town.code,
                                        "lat": town.lat, "lon": town.lon})
    pub.publish("case.assigned", {"case_no": "RT-0", "department": "rsj"})
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(stack.wall_url())
    root = page.locator("#wall-root")
    # it starts on the overview and holds it until the figures are in (then a whole turn)
    expect(root).to_have_attribute("data-page", "overview")
    expect(page.locator("#wall-map-title")).to_have_text("实时地图")
    expect(page.locator("#wall-page-dots")).to_have_text("● ○ ○")
    expect(page.locator("#wall-c-today_registered")).to_have_text("3", timeout=15_000)
    assert page.evaluate("zhongshu.rotation.switches") <= 1  # (showing the first page counts as one)

    # departments: the full table takes the map's place, with the department the case went to
    expect(root).to_have_attribute("data-page", "departments", timeout=10_000)
    expect(page.locator("#wall-map-title")).to_contain_text("部门响应详情")
    expect(page.locator("#wall-page-departments")).to_be_visible()
    expect(page.locator("#wall-dept-table")).to_contain_text("人社局")
    expect(page.locator("#wall-dept-table tr").first).to_contain_text("按期办结率")

    # township: the map zooms to one township and a card gives its figures
    expect(root).to_have_attribute("data-page", "township", timeout=10_000)
    expect(page.locator("#wall-page-departments")).to_be_hidden()
    card = page.locator("#wall-focus")
    expect(card).to_be_visible()
    first = card.get_attribute("data-township")
    assert first
    zoom_focus = page.evaluate("zhongshu.pins.map.getZoom()")

    # back to the overview: the county fits again
    expect(root).to_have_attribute("data-page", "overview", timeout=10_000)
    expect(card).to_be_hidden()
    assert page.evaluate("zhongshu.pins.map.getZoom()") < zoom_focus

    # an alert: rotation goes to (or stays on) the overview and holds there while the overlay shows
    pub.publish("alert.raised", {"alert_id": "RT-A", "level": "group", "title": "群体性上访", "township": town.code})
    expect(page.locator("#wall-alert-overlay")).to_be_visible(timeout=10_000)
    switches = page.evaluate("zhongshu.rotation.switches")
    time.sleep(5.5)  # longer than a page's time: a running rotation would have switched
    expect(root).to_have_attribute("data-page", "overview")
    assert page.evaluate("zhongshu.rotation.switches") == switches
    assert page.evaluate("zhongshu.rotation.paused") is True

    pub.publish("alert.cleared", {"alert_id": "RT-A"})
    expect(page.locator("#wall-alert-overlay")).to_be_hidden(timeout=10_000)
    expect(root).to_have_attribute("data-page", "departments", timeout=10_000)
    # the next township visit goes on to the next township
    expect(root).to_have_attribute("data-page", "township", timeout=10_000)
    assert card.get_attribute("data-township") != first
    assert errors == []
    page.close()


def test_no_rotation_by_default(stack, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url())
    expect(page.locator("#wall-c-today_registered")).to_have_text("0", timeout=15_000)
    assert page.evaluate("zhongshu.rotation.switches") == 0
    expect(page.locator("#wall-page-dots")).to_have_text("")
    expect(page.locator("#wall-root")).to_have_attribute("data-page", "overview")
    page.close()
