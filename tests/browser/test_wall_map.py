"""What a person sees on the wall's map: crowded pins as one bubble, major cases on top, heat by township."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from datafeeds.publisher import Publisher

from wallaccess import wall_link

pytestmark = pytest.mark.browser

BASE_FILL = "rgb(12, 42, 77)"  # the township fill of layouts/wall.py (#0c2a4d): today's look, no heat

PANE_Z = "name => Number(getComputedStyle(document.querySelector('.leaflet-' + name + '-pane')).zIndex)"
FILL = "sel => { const n = document.querySelector(sel); return n ? getComputedStyle(n).fill : null; }"
BOX = "n => { const r = n.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def _open(browser: Browser, base: str, errors: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
    page.goto(wall_link(base))
    expect(page.locator("#wall-c-today_registered")).to_have_text("0", timeout=15_000)
    page.wait_for_function("() => zhongshu.pins.map && zhongshu.pins.grid", timeout=5_000)
    return page


def _case(pub: Publisher, case_no: str, township: str, lat: float, lon: float, **more: object) -> object:
    return pub.event("case.registered", {
        "case_no": case_no, "title": "市场摊位纠纷", "category": "02", "source_channel": "grid",
        "township": township, "lat": lat, "lon": lon, **more})


def test_crowded_pins_become_one_bubble_and_a_major_case_stays_on_top(stack, browser: Browser, rclient,
                                                                      county) -> None:
    errors: list[str] = []
    page = _open(browser, stack.url, errors)
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="cluster-test")
    town, far = county.townships()[2], county.townships()[7]
    # Twelve cases from one market square, a group incident right beside it, one case elsewhere.
    crowd = [_case(pub, f"C-{n}", town.code, town.lat, town.lon) for n in range(12)]
    pub.publish_many([*crowd, _case(pub, "M-1", town.code, town.lat + 0.002, town.lon + 0.002, group=True,
                                    people_involved=60),
                      _case(pub, "F-1", far.code, far.lat, far.lon)])
    expect(page.locator("#wall-c-open")).to_have_text("14", timeout=10_000)

    bubble = page.locator(".zs-cluster")
    expect(bubble).to_have_count(1, timeout=10_000)
    expect(bubble).to_have_text("12")
    expect(bubble).to_have_class(re.compile(r"\bzs-risk-normal\b"))
    expect(bubble).to_be_visible()
    assert page.evaluate("[zhongshu.pins.count(), zhongshu.pins.clusters()]") == [14, 1]
    # The crowd's pins are counted in the bubble, not drawn one by one; the lone case far away is a pin.
    assert page.locator('path[data-case^="C-"]').count() == 0
    expect(page.locator('path[data-case="F-1"]')).to_be_attached()
    # The major case is a pin of its own, in the pane above the bubbles, and it sits on the bubble.
    major = page.locator('.leaflet-zs-major-pane path[data-case="M-1"]')
    expect(major).to_be_attached()
    expect(major).to_have_class(re.compile(r"\bzs-risk-major\b"))
    assert page.evaluate(PANE_Z, "zs-major") > page.evaluate(PANE_Z, "zs-clusters")
    m, b = major.evaluate(BOX), bubble.evaluate(BOX)
    assert m[0] < b[2] and b[0] < m[2] and m[1] < b[3] and b[1] < m[3], (m, b)

    # A red card inside the crowd rings the bubble red, in place; when a quarter of its cases are red it
    # turns red itself.
    page.evaluate("window.__zsBubble = document.querySelector('.zs-cluster')")
    expect(bubble).not_to_have_class(re.compile(r"\bzs-alarm\b"))
    pub.publish("case.supervised", {"case_no": "C-4", "level": "red"})
    expect(bubble).to_have_class(re.compile(r"\bzs-alarm\b"), timeout=10_000)
    expect(bubble).to_have_class(re.compile(r"\bzs-risk-normal\b"))
    pub.publish_many([pub.event("case.supervised", {"case_no": f"C-{n}", "level": "red"}) for n in (5, 6)])
    expect(bubble).to_have_class(re.compile(r"\bzs-risk-overdue\b"), timeout=10_000)
    expect(bubble).to_have_text("12")
    assert page.evaluate("window.__zsBubble === document.querySelector('.zs-cluster')")

    # Ten cases end: the two left are drawn as pins again and the bubble goes.
    pub.publish_many([pub.event("case.terminated", {"case_no": f"C-{n}", "reason": "重复登记"}) for n in range(10)])
    expect(page.locator("#wall-c-open")).to_have_text("4", timeout=10_000)
    expect(bubble).to_have_count(0, timeout=10_000)
    expect(page.locator('path[data-case="C-10"]')).to_be_attached()
    expect(page.locator('path[data-case="C-11"]')).to_be_attached()
    assert page.evaluate("[zhongshu.pins.count(), zhongshu.pins.clusters()]") == [4, 0]

    # Heat is off by default: the townships keep today's look.
    assert page.locator("#wall-root").get_attribute("data-heat") == ""
    assert page.locator("path[data-township], path[class*=zs-heat]").count() == 0
    assert errors == []
    page.close()


def test_heat_fills_a_township_by_its_open_cases(settings, make_stack, browser: Browser, rclient,
                                                 county) -> None:
    stack = make_stack(settings.model_copy(update={"wall_heat": True}))
    errors: list[str] = []
    page = _open(browser, stack.url, errors)
    assert page.locator("#wall-root").get_attribute("data-heat") == "township"
    busy, quiet, calm = county.townships()[1], county.townships()[6], county.townships()[9]
    sel = {t.code: f'path[data-township="{t.code}"]' for t in (busy, quiet, calm)}
    for code in sel:
        expect(page.locator(sel[code])).to_have_attribute("data-open", "0", timeout=10_000)
        assert page.evaluate(FILL, sel[code]) == BASE_FILL

    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="heat-test")
    pub.publish_many([_case(pub, f"H-{n}", busy.code, busy.lat + 0.003 * n, busy.lon) for n in range(4)])
    expect(page.locator(sel[busy.code])).to_have_attribute("data-open", "4", timeout=10_000)
    hot = page.evaluate(FILL, sel[busy.code])
    assert hot != BASE_FILL
    assert page.evaluate(FILL, sel[quiet.code]) == BASE_FILL

    pub.publish("case.registered", {"case_no": "Q-1", "title": "噪音扰民", "category": "02",
                                    "source_channel": "hotline_12345", "township": quiet.code,
                                    "lat": quiet.lat, "lon": quiet.lon})
    expect(page.locator(sel[quiet.code])).to_have_attribute("data-open", "1", timeout=10_000)
    warm = page.evaluate(FILL, sel[quiet.code])
    assert warm not in (BASE_FILL, hot)  # one case against the busiest township's four: a lighter step
    assert page.evaluate(FILL, sel[busy.code]) == hot
    assert page.evaluate(FILL, sel[calm.code]) == BASE_FILL

    # Cases that end leave the fill: the busy township cools back to the plain look.
    pub.publish_many([pub.event("case.terminated", {"case_no": f"H-{n}", "reason": "重复登记"}) for n in range(4)])
    expect(page.locator(sel[busy.code])).to_have_attribute("data-open", "0", timeout=10_000)
    assert page.evaluate(FILL, sel[busy.code]) == BASE_FILL
    assert errors == []
    page.close()
