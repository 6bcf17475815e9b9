"""The briefing's hot-spot map in a real browser with every request blocked and recorded: as a file, inside an
<iframe srcdoc> (the briefing's HTML export) and inside an <iframe src> served as the app serves it."""

from __future__ import annotations

import html
import random
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Frame, Route, expect
from sqlalchemy.engine import Engine

from dashboard import foliummap
from datafeeds import queries
from datafeeds.county import County, random_point_in

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>${window.__pwned=3}`'
ORIGIN = "http://zhongshu.test"
# Cases per township, township by township in the county's order (repeated): each value is a fifth of the
# townships with cases, so the five heat classes are 1, 2, 3, 4–6 and 7–9.
PATTERN = (0, 1, 2, 3, 6, 9)
YLORRD_5 = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer's YlOrRd, 5 classes
EXPECTED_CLASS = {1: 0, 2: 1, 3: 2, 6: 3, 9: 4}


def _period(county: County) -> tuple[dict[str, int], dict[str, int], list[dict[str, Any]]]:
    """Return this period's counts by township, the previous period's, and the cases (placed in their townships)."""
    towns = county.townships()
    assert len(towns) % len(PATTERN) == 0, "the heat classes below assume whole repeats of PATTERN"
    rng = random.Random(7)
    counts: dict[str, int] = {}
    cases: list[dict[str, Any]] = []
    for i, town in enumerate(towns):
        counts[town.code] = PATTERN[i % len(PATTERN)]
        for k in range(counts[town.code]):
            lat, lon = random_point_in(town, rng)
            cases.append({"case_no": f"HS-{i}-{k}", "title": f"赵建国与邻居纠纷 {HOSTILE}",
                          "parties": [{"name": "赵建国"}], "category": "02", "township": town.code,
                          "state": "registered", "risk": "overdue", "lat": lat, "lon": lon})
    previous = {town.code: i % 4 for i, town in enumerate(towns)}
    return counts, previous, cases


def _page(engine: Engine, county: County) -> str:
    counts, previous, cases = _period(county)
    fmap = foliummap.hotspot_map(counts, previous, cases, queries.boundaries(engine), queries.names(engine, "zh-CN"),
                                 title="示范县 · 本周热点", period_label="2026-05-04 — 2026-05-10",
                                 generated_at=datetime(2026, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
                                 labels=foliummap.hotspot_labels("zh-CN"))
    return foliummap.render(fmap)


def _signed(n: int) -> str:
    return "±0" if n == 0 else f"{n:+d}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the page is the subject, not the store
@pytest.mark.parametrize("how", ["file", "srcdoc", "src"])
def test_the_hotspot_map_draws_with_every_request_blocked(how: str, browser: Browser, engine: Engine, county: County,
                                                          tmp_path: Path) -> None:
    page_html = _page(engine, county)
    target = tmp_path / "hotspot.html"
    target.write_text(page_html, encoding="utf-8")
    served = {  # what the test's "app" answers; everything else is refused
        f"{ORIGIN}/briefing-srcdoc.html": (
            f'<!DOCTYPE html><html><body style="margin:0"><iframe srcdoc="{html.escape(page_html, quote=True)}" '
            f'style="width:1200px;height:820px;border:0"></iframe></body></html>', {}),
        f"{ORIGIN}/briefing-src.html": (
            '<!DOCTYPE html><html><body style="margin:0"><iframe src="/hotspot.html" '
            'style="width:1200px;height:820px;border:0"></iframe></body></html>', {}),
        f"{ORIGIN}/hotspot.html": (page_html, {"Content-Security-Policy": foliummap.SERVED_CSP}),
    }
    start = {"file": target.as_uri(), "srcdoc": f"{ORIGIN}/briefing-srcdoc.html",
             "src": f"{ORIGIN}/briefing-src.html"}[how]

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))

    def answer(route: Route) -> None:
        if route.request.url == target.as_uri():
            route.continue_()  # the exported file itself, read from disk
            return
        found = served.get(route.request.url)
        if found is None:
            route.abort()
            return
        body, headers = found
        route.fulfill(status=200, body=body, content_type="text/html; charset=utf-8", headers=headers)

    context.route("**/*", answer)
    tab = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(start)
    frame = _map_frame(tab, how)

    counts, previous, cases = _period(county)
    towns = county.townships()
    townships = frame.locator("path.leaflet-interactive.zs-township")
    expect(townships).to_have_count(len(towns), timeout=10_000)
    fills = Counter(townships.evaluate_all("els => els.map(e => e.getAttribute('fill'))"))
    expected_fills = Counter(foliummap.ZERO_COLOUR if n == 0 else YLORRD_5[EXPECTED_CLASS[n]]
                             for n in counts.values())
    assert fills == expected_fills

    # every case is drawn once: in a numbered cluster or as a single circle
    expect(frame.locator(".zs-cluster").first).to_be_visible()
    numbers = [int(t) for t in frame.locator(".zs-cluster span").all_inner_texts()]
    singles = frame.locator("path.leaflet-interactive.zs-case").count()
    assert sum(numbers) + singles == len(cases) == sum(counts.values())
    assert all(n >= 2 for n in numbers)

    # a township's tooltip: its name, its count and the change on the previous period
    townships.nth(0).hover(force=True)
    tips = {f"{t.name}：{counts[t.code]}件，环比 {_signed(counts[t.code] - previous[t.code])}" for t in towns}
    tip = frame.locator(".leaflet-tooltip")
    expect(tip).to_be_visible()
    assert tip.inner_text() in tips

    # the legend shows the classes' ranges and the case symbols; the title box the period and the count
    legend = frame.locator(".zs-map-legend")
    expect(legend).to_be_visible()
    assert [r.strip() for r in frame.locator(".zs-heat-class").all_inner_texts()] == ["0", "1", "2", "3", "4–6", "7–9"]
    for text in ("乡镇受理量", "超期", "重大", "多件聚合"):
        expect(legend).to_contain_text(text)
    title = frame.locator(".zs-map-title")
    expect(title).to_contain_text("2026-05-04 — 2026-05-10")
    expect(title).to_contain_text(f"案件 {len(cases)} 件")

    # a case on its own: its popup is masked and the markup in it is text (the click goes to the circle even
    # where a box of the map lies over it)
    frame.locator("path.leaflet-interactive.zs-case").first.dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("赵*国与邻居纠纷")
    expect(popup).to_contain_text(HOSTILE)
    assert popup.evaluate("el => el.querySelectorAll('img, script').length") == 0
    assert "赵建国" not in popup.inner_text()
    tab.wait_for_timeout(300)  # time for an injected handler to fire, were there one
    assert frame.evaluate("() => window.__pwned") is None

    frame.locator(".leaflet-popup-close-button").click()
    expect(popup).to_have_count(0)

    # a click on a cluster zooms in
    zoom = "() => window[document.querySelector('.folium-map').id].getZoom()"
    before = frame.evaluate(zoom)
    frame.locator(".zs-cluster").first.click()
    frame.wait_for_function(f"() => ({zoom})() > {before}")

    asked = {"file": [target.as_uri()], "srcdoc": [start], "src": [start, f"{ORIGIN}/hotspot.html"]}[how]
    assert requests == asked  # the document(s) and nothing else: no script, style, image, font or tile
    assert dialogs == [] and errors == []
    context.close()


def _map_frame(tab: Any, how: str) -> Frame:
    """Return the frame that holds the map: the page itself, or the iframe it embeds."""
    if how == "file":
        frame: Frame = tab.main_frame
        return frame
    handle = tab.locator("iframe").element_handle()
    inner = handle.content_frame()
    assert inner is not None
    inner.wait_for_load_state()
    return inner

