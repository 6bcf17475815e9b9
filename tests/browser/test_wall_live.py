"""What a person sees: a case published on Redis appears on the open wall without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from datafeeds.publisher import Publisher

pytestmark = pytest.mark.browser


def _register(pub: Publisher, case_no: str, township: str, lat: float, lon: float) -> None:
    pub.publish("case.registered", {
        "case_no": case_no, "title": "邻里纠纷", "category": "02", "source_channel": "grid",
        "township": township, "lat": lat, "lon": lon,
    })


def test_published_case_shows_as_counter_and_pin(stack, browser: Browser, rclient, county) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
    page.goto(f"{stack.url}/wall")
    counter = page.locator("#wall-c-today_registered")
    expect(counter).to_have_text("0", timeout=15_000)
    expect(page.locator(".zs-title")).to_contain_text("示范县综治中心")
    expect(page.locator("path.leaflet-interactive").first).to_be_attached()  # boundaries are drawn

    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="browser-test")
    town = county.townships()[3]
    _register(pub, "W-1", town.code, town.lat, town.lon)
    # within 2 s of publishing, without a reload:
    expect(counter).to_have_text("1", timeout=2_000)
    expect(page.locator("#wall-c-open")).to_have_text("1", timeout=2_000)
    expect(page.locator('[data-case="W-1"]')).to_be_attached(timeout=2_000)
    expect(page.locator("#wall-ticker")).to_contain_text(town.name, timeout=2_000)
    expect(page.locator("#wall-feed-status")).to_contain_text("数据更新于")

    page.evaluate("window.__zsMarker = 1")  # survives only if the page never reloads
    _register(pub, "W-2", town.code, town.lat + 0.01, town.lon + 0.01)
    expect(counter).to_have_text("2", timeout=2_000)
    assert page.evaluate("window.__zsMarker") == 1
    assert errors == []
    page.close()


def test_wall_speaks_english_on_request(stack, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{stack.url}/wall?lang=en")
    expect(page.locator(".zs-counter-today_registered .zs-counter-label")).to_have_text("Registered today",
                                                                                       timeout=15_000)
    page.close()
