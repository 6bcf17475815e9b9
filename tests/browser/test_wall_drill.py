"""The desk's copy of the wall (/wall?desk=1): every figure, row and pin opens its cases at the desk; the wall
anyone sees without it, and a kiosk even with it, has nothing to click."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import accounts
from datafeeds.publisher import Publisher

from wallaccess import CSP_WATCH, sign_in_page, wall_link

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"
IMG = '<img src=x onerror="window.__pwned=1">'
# Navigation by a click does not wait for the page's scripts: the predicate must not throw before they load.
LIVE = "() => window.zhongshu && zhongshu.live.seq !== null && zhongshu.live.leagues && zhongshu.pins.grid"
# The middle of the map's grid cell under a place, as [lat, lon] (so a small crowd there is one bubble).
CELL_CENTRE = """([lat, lon]) => {
  const g = zhongshu.pins.grid, m = zhongshu.pins.map, p = m.project([lat, lon], g.zoom);
  const c = m.unproject([(Math.floor(p.x / g.size) + 0.5) * g.size, (Math.floor(p.y / g.size) + 0.5) * g.size], g.zoom);
  return [c.lat, c.lng];
}"""


def _publish(stack: Any, rclient: Any, county: Any) -> dict[str, Any]:
    """Publish cases before the wall opens (so its snapshot already ranks them): a crowd, a red card, a loner."""
    town, far = county.townships()[2], county.townships()[7]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="drill-test")

    def case(case_no: str, township: Any, lat: float, lon: float) -> Any:
        return pub.event("case.registered", {"case_no": case_no, "title": "市场摊位纠纷", "category": "02",
                                             "source_channel": "grid", "township": township.code, "lat": lat,
                                             "lon": lon})

    crowd = [case(f"C-{n}", town, town.lat, town.lon) for n in range(6)]
    pub.publish_many([*crowd, case("F-1", far, far.lat, far.lon)])
    pub.publish("case.supervised", {"case_no": "C-2", "level": "red"})
    pub.publish("case.registered", {"case_no": "T-9", "title": "噪音扰民", "category": "0402",
                                    "source_channel": "hotline_12345", "township": far.code,
                                    "lat": far.lat + 0.05, "lon": far.lon + 0.05})
    stack.wait_seq(9)
    return {"town": town, "far": far}


def _wall(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#wall-c-open")).to_have_text("8", timeout=15_000)
    page.wait_for_function(LIVE, timeout=10_000)
    expect(page.locator('path[data-case="F-1"]')).to_be_attached(timeout=10_000)


def test_the_desk_copy_opens_the_desk_from_every_figure(stack, browser: Browser, rclient, county) -> None:
    accounts.add_user(stack.app.extensions["zhongshu"].engine, "wu.officer", "officer", PASSWORD)
    placed = _publish(stack, rclient, county)
    town, far = placed["town"], placed["far"]
    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "wu.officer", PASSWORD, "/wall?desk=1", errors)
    _wall(page, f"{stack.url}/wall?desk=1")
    expect(page.locator("#wall-root")).to_have_attribute("data-desk", "1")

    # The counters lead to the lists they count (today's date is the wall's own day, in its time zone).
    day = page.evaluate("() => zhongshu.live.counters.day")
    links = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.zs-counter a.zs-drill')]
                                .map(a => [a.id, a.getAttribute('href')]))""")
    assert links == {
        "wall-c-today_registered-link": f"/desk?since={day}&until={day}",
        "wall-c-open-link": "/desk?state=open",
        "wall-c-today_resolved-link": f"/desk?resolved_since={day}&resolved_until={day}",
        "wall-c-month_resolution_rate-link": f"/desk?since={day[:8]}01&until={day}",
        "wall-c-success_rate-link": f"/desk?resolved_since={day[:8]}01&resolved_until={day}",
        "wall-c-overdue-link": "/desk?state=open&overdue=1",
        "wall-c-supervised-link": "/desk?cards=1&state=open",
        "wall-c-major-link": "/desk?major=1&state=open",
        "wall-c-satisfaction_rate-link": "/desk?state=visited",
    }
    # Where no filter holds the figure's 口径 exactly, the link says which list it opens instead.
    expect(page.locator("#wall-c-today_resolved-link")).to_have_attribute("title", "查看今日办结的案件")
    expect(page.locator("#wall-c-satisfaction_rate-link")).to_have_attribute("title", re.compile("暂无按回访日期"))
    assert page.evaluate("() => getComputedStyle(document.body).cursor") == "auto"
    assert page.evaluate("() => getComputedStyle(document.querySelector('#wall-c-open-link')).cursor") == "pointer"
    # Rows: the category and source mixes, the warning list.
    # The mixes count this month's cases, so their lists are this month's.
    month = f"since={day[:8]}01&until={day}"
    expect(page.locator("#wall-category-mix a.zs-drill").first).to_have_attribute("href",
                                                                                 f"/desk?category=02&{month}")
    expect(page.locator(f'#wall-source-mix a.zs-drill[href="/desk?source=hotline_12345&{month}"]')).to_have_count(1)
    expect(page.locator("#wall-warnings a.zs-drill").first).to_have_attribute("href", "/desk/case/C-2")
    # Values are encoded into the URL, never pasted.
    assert page.evaluate("() => zhongshu.drill.list([['township', 'a&b=c d']])") == "/desk?township=a%26b%3Dc%20d"
    assert page.evaluate("() => zhongshu.drill.caseHref('X/1?y')") == "/desk/case/X%2F1%3Fy"
    assert page.evaluate("window.__csp") == [] and errors == []

    # The alert band opens its case, its feed text still text; cleared, it leaves the map free again.
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="drill-alert")
    pub.publish("alert.raised", {"alert_id": "A-1", "level": "group", "title": f"{IMG}群体性劳资纠纷",
                                 "township": far.code, "case_no": "F-1"})
    band = page.locator("#wall-alert-overlay a.zs-drill")
    expect(band).to_have_attribute("href", "/desk/case/F-1", timeout=10_000)
    expect(band).to_contain_text(IMG)
    assert band.evaluate("a => a.children.length") == 0 and page.evaluate("window.__pwned") is None
    pub.publish("alert.cleared", {"alert_id": "A-1"})
    expect(page.locator("#wall-alert-overlay")).to_be_hidden(timeout=10_000)

    # A township in the ranking opens the desk's list of its open cases.
    page.locator("#wall-townships-ranking a.zs-drill", has_text=town.name).click()
    expect(page).to_have_url(f"{stack.url}/desk?township={town.code}&state=open")

    # A pin opens its case, by the mouse and by the keyboard.
    _wall(page, f"{stack.url}/wall?desk=1")
    pin = page.locator('path[data-case="F-1"]')
    expect(pin).to_have_attribute("role", "link")
    pin.click()
    expect(page).to_have_url(f"{stack.url}/desk/case/F-1")
    _wall(page, f"{stack.url}/wall?desk=1")
    page.locator('path[data-case="T-9"]').focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{stack.url}/desk/case/T-9")

    # A ticker row opens the case it tells of (the newest row is T-9's registration, in its township).
    _wall(page, f"{stack.url}/wall?desk=1")
    newest = page.locator("#wall-ticker li").first
    expect(newest).to_contain_text(far.name)
    newest.locator("a.zs-drill").click()
    expect(page).to_have_url(f"{stack.url}/desk/case/T-9")

    # A bubble zooms in on its pins: three new cases a few metres apart, in the middle of one grid cell.
    _wall(page, f"{stack.url}/wall?desk=1")
    spot = county.townships()[5]
    lat, lon = page.evaluate(CELL_CENTRE, [spot.lat, spot.lon])
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="drill-test-2")
    pub.publish_many([pub.event("case.registered", {
        "case_no": f"S-{n}", "title": "邻里纠纷", "category": "02", "source_channel": "grid", "township": spot.code,
        "lat": lat + 0.0002 * n, "lon": lon}) for n in range(3)])
    expect(page.locator("#wall-c-open")).to_have_text("11", timeout=10_000)
    zoom = page.evaluate("() => zhongshu.pins.map.getZoom()")
    page.locator(".zs-cluster", has_text=re.compile("^3$")).click()
    page.wait_for_function(f"() => zhongshu.pins.map.getZoom() > {zoom}", timeout=10_000)
    expect(page).to_have_url(f"{stack.url}/wall?desk=1")
    # Pins on one spot never part: their bubble opens their township's open cases.
    page.evaluate("() => zhongshu.pins.fit()")
    page.locator(".zs-cluster", has_text=re.compile("^6$")).click()
    expect(page).to_have_url(f"{stack.url}/desk?township={town.code}&state=open")


def test_without_desk_the_wall_has_nothing_to_click(stack, browser: Browser, rclient, county) -> None:
    accounts.add_user(stack.app.extensions["zhongshu"].engine, "wu.officer", "officer", PASSWORD)
    town = _publish(stack, rclient, county)["town"]
    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "wu.officer", PASSWORD, "/wall", errors)
    _wall(page, f"{stack.url}/wall")
    _assert_inert(page, town.name, f"{stack.url}/wall")

    # A kiosk asking for the desk's copy (its display session may not open the desk) keeps the inert wall.
    kiosk = browser.new_page(viewport={"width": 1920, "height": 1080})
    kiosk.add_init_script(CSP_WATCH)
    kiosk.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
    _wall(kiosk, wall_link(stack.url, "desk=1"))
    _assert_inert(kiosk, town.name, f"{stack.url}/wall?desk=1")
    assert kiosk.evaluate("() => getComputedStyle(document.body).cursor") == "none"
    assert page.evaluate("window.__csp") == [] and kiosk.evaluate("window.__csp") == [] and errors == []


def _assert_inert(page: Page, town_name: str, url: str) -> None:
    """Check the wall has no link, focus stop or interactive pin, and that clicking its rows and pins does nothing."""
    expect(page.locator("#wall-root")).not_to_have_attribute("data-desk", "1")
    expect(page.locator("#wall-ticker li").first).to_be_visible()
    # (Leaflet's map box takes the focus for its own arrow keys on every wall; nothing inside it does.)
    assert page.locator("#wall-root a, #wall-root [tabindex]:not(.leaflet-container), #wall-root [data-href],"
                        " #wall-root [role=link]").count() == 0
    assert page.locator("path.leaflet-interactive[data-case]").count() == 0
    # What is clicked must be drawn first (the ranking arrives with the league push, pins with the snapshot).
    expect(page.locator("#wall-townships-ranking li", has_text=town_name)).to_be_visible()
    expect(page.locator('path[data-case="F-1"]')).to_be_attached()
    page.evaluate("window.__same = 1")
    # Clicks land where a person's would (force: the pins and rows take no pointer events to wait for).
    page.locator("#wall-townships-ranking li", has_text=town_name).click(force=True)
    page.locator('path[data-case="F-1"]').click(force=True)
    page.locator("#wall-ticker li").first.click(force=True)
    page.locator("#wall-c-open").click(force=True)
    page.keyboard.press("Enter")
    assert page.url == url and page.evaluate("window.__same") == 1
