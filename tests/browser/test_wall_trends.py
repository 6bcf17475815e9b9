"""What a person sees in the wall's left column: hour and 30-day charts, category and source mix, by push."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from datafeeds.publisher import Publisher

pytestmark = pytest.mark.browser

CHART_Y = """id => {
  const plot = document.querySelector('#' + id + ' .js-plotly-plot');
  return plot && plot.data ? plot.data.map(t => (t.y || []).reduce((a, b) => a + b, 0)) : null;
}"""


def test_trends_and_mixes_follow_the_feed_in_place(settings, make_stack, browser: Browser, rclient, county) -> None:
    stack = make_stack(settings.model_copy(update={"league_seconds": 0.5}))
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(stack.wall_url())
    expect(page.locator("#wall-c-today_registered")).to_have_text("0", timeout=15_000)
    expect(page.locator(".zs-trends")).to_contain_text("今日分时受理")
    expect(page.locator("#wall-source-mix")).to_contain_text("本月暂无数据", timeout=5_000)
    page.wait_for_function(f"() => (({CHART_Y})('wall-hours-chart') || []).length === 2", timeout=10_000)
    # Mark the chart nodes: an in-place update keeps them, a re-created chart would not.
    page.evaluate("""() => ['wall-hours-chart', 'wall-days-chart'].forEach(
        id => { document.querySelector('#' + id + ' .js-plotly-plot').__zsKeep = id; })""")

    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="browser-test")
    town = county.townships()[2]
    for i, (category, channel) in enumerate([("02", "grid"), ("02", "grid"), ("07", "hotline_12345")]):
        pub.publish("case.registered", {"case_no": f"TR-{i}", "title": "纠纷", "category": category,
                                        "source_channel": channel, "township": town.code,
                                        "lat": town.lat, "lon": town.lon})
    sources = page.locator("#wall-source-mix li")
    expect(sources.first).to_contain_text("网格员上报", timeout=5_000)
    expect(sources.first).to_contain_text("2")
    expect(sources.first).to_contain_text("67%")
    expect(sources.nth(1)).to_contain_text("12345热线")
    cats = page.locator("#wall-category-mix li")
    expect(cats.first).to_contain_text("邻里")
    expect(cats.nth(1)).to_contain_text("劳动人事")
    page.wait_for_function(f"() => JSON.stringify(({CHART_Y})('wall-hours-chart')) === '[3,0]'", timeout=5_000)
    page.wait_for_function(f"() => ({CHART_Y})('wall-days-chart')[0] === 3", timeout=5_000)
    kept = page.evaluate("""() => ['wall-hours-chart', 'wall-days-chart'].map(
        id => document.querySelector('#' + id + ' .js-plotly-plot').__zsKeep)""")
    assert kept == ["wall-hours-chart", "wall-days-chart"]
    assert page.locator(".js-plotly-plot").count() == 2
    assert errors == []
    page.close()


def test_trends_speak_english(settings, make_stack, browser: Browser) -> None:
    stack = make_stack(settings)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url("lang=en"))
    expect(page.locator(".zs-trends")).to_contain_text("Registered by hour", timeout=15_000)
    expect(page.locator(".zs-trends")).to_contain_text("Source channels")
    # The page starts with an empty figure; the trends arrive with the snapshot and fill it.
    page.wait_for_function(f"() => (({CHART_Y})('wall-days-chart') || []).length === 2", timeout=10_000)
    names = page.evaluate("() => document.querySelector('#wall-days-chart .js-plotly-plot').data.map(t => t.name)")
    assert names == ["Registered", "Resolved"]
    page.close()
