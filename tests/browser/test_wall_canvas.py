"""The wall at 1920×1080, 3840×2160 and 5760×2160: nothing cut, nothing overlapping, screenshots kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from datafeeds.simulator import Simulator

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "wall"

LAYOUT_PROBE = """() => {
  const boxes = [...document.querySelectorAll('.zs-header, .zs-counter, .zs-panel')].map(n => {
    const r = n.getBoundingClientRect(); return {cls: n.className, l: r.left, t: r.top, r: r.right, b: r.bottom}; });
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.l < b.r - 0.5 && b.l < a.r - 0.5 && a.t < b.b - 0.5 && b.t < a.b - 0.5) overlaps.push([a.cls, b.cls]);
  }
  const head = [...document.querySelectorAll('.zs-clock, .zs-title, .zs-feed')].map(n => {
    const r = n.getBoundingClientRect(); return {cls: n.className, l: r.left, r: r.right}; });
  for (let i = 0; i < head.length; i++) for (let j = i + 1; j < head.length; j++) {
    if (head[i].l < head[j].r - 0.5 && head[j].l < head[i].r - 0.5) overlaps.push([head[i].cls, head[j].cls]);
  }
  const outside = boxes.filter(x => x.l < -0.5 || x.t < -0.5 || x.r > innerWidth + 0.5 || x.b > innerHeight + 0.5)
                       .map(x => x.cls);
  const cut = [...document.querySelectorAll('.zs-counter-value, .zs-counter-label, .zs-counter-sub, .zs-title')]
    .filter(n => n.scrollWidth > n.clientWidth + 1).map(n => n.id || n.className);
  const spill = [...document.querySelectorAll('.zs-alerts, .zs-warnings, .zs-ticker, .zs-mix, .zs-league, '
                                              + '.zs-page-departments')].flatMap(l => {
    const lb = l.getBoundingClientRect();
    const rows = l.matches('.zs-page-departments') ? l.querySelectorAll('tr') : l.children;
    return [...rows].filter(c => c.getBoundingClientRect().bottom > lb.bottom + 0.5).map(() => l.id); });
  const doc = document.documentElement;
  const scroll = doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth;
  const size = n => parseFloat(getComputedStyle(n).fontSize);
  const hasText = n => [...n.childNodes].some(c => c.nodeType === 3 && c.textContent.trim());
  const smallest = Math.min(...[...document.querySelectorAll('.zs-wall *')].filter(hasText).map(size));
  const figures = [...document.querySelectorAll('.zs-counter-value')].map(n => [size(n), n.id + ' ' + n.textContent]);
  const figure = Math.min(...figures.map(f => f[0]));
  return {overlaps, outside, cut, spill, scroll, smallest, figure, figures};
}"""


def test_wall_fits_every_canvas(settings, make_stack, browser: Browser, rclient, county) -> None:
    from datafeeds.publisher import Publisher

    # Rotation on, with pages long enough that the test switches them itself.
    stack = make_stack(settings.model_copy(update={"wall_rotation": "overview,departments,township",
                                                   "wall_rotation_seconds": 3600.0}))
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="canvas-test")
    # A lived-in county: a week of history (with the cases still running from before it), then a burst of
    # live events, so every panel has data to draw.
    sim = Simulator(county, seed=11, cases_per_day=600)
    history = [pub.event(e.type, e.data, at=e.at) for e in sim.backfill(7)]
    live = [pub.event(e.type, e.data, at=e.at) for e in sim.rate_events(300)]
    pub.publish_many(history + live)
    stack.wait_seq(len(history), timeout=60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height, lang in ((1920, 1080, ""), (3840, 2160, ""), (5760, 2160, ""), (1920, 1080, "en")):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(stack.wall_url(f"lang={lang}" if lang else ""))
        expect(page.locator("#wall-c-open")).not_to_have_text("", timeout=15_000)
        expect(page.locator("#wall-category-mix li").first).not_to_have_class("zs-empty", timeout=10_000)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg .bars path, "
                               ".js-plotly-plot .main-svg .js-line').length >= 3", timeout=10_000)
        page.wait_for_timeout(500)
        found = page.evaluate(LAYOUT_PROBE)
        assert page.locator(".leaflet-tile-pane img").count() == 0  # no tiles by default: nothing leaves the box
        page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}{'-' + lang if lang else ''}.png"))
        assert found["overlaps"] == [], f"{width}×{height}"
        assert found["outside"] == [] and not found["scroll"], f"{width}×{height}"
        assert found["cut"] == [] and found["spill"] == [], f"{width}×{height}: {found}"
        # WALL.md: smallest text ≥ 1/60 of the screen height, headline figures ≥ 1/15
        assert found["smallest"] >= height / 60 - 0.5, f"{width}×{height}: {found['smallest']}"
        assert found["figure"] >= height / 15 - 0.5, f"{width}×{height}: {found['figures']}"
        page.evaluate("zhongshu.rotation.stop()")  # an alert on screen would take the wall back to the overview
        for index, name in ((1, "departments"), (2, "township")):  # the 轮播 pages
            page.evaluate(f"zhongshu.rotation.show({index})")
            expect(page.locator("#wall-root")).to_have_attribute("data-page", name)
            page.wait_for_timeout(300)
            page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}-{name}{'-' + lang if lang else ''}.png"))
            found = page.evaluate(LAYOUT_PROBE)
            assert found["overlaps"] == [] and found["spill"] == [] and not found["scroll"], f"{name}: {found}"
            assert found["smallest"] >= height / 60 - 0.5, f"{name} {width}×{height}: {found['smallest']}"
        assert page.locator("#wall-dept-table tr").count() > 3
        page.close()


def test_tiles_and_gcj02_are_configuration(settings, make_stack, browser: Browser, rclient, county) -> None:
    from datafeeds.coords import wgs84_to_gcj02
    from datafeeds.publisher import Publisher

    # A tile source that does not exist: the map must still draw, and shift pins for GCJ-02.
    tiled = settings.model_copy(update={"tile_url": "http://127.0.0.1:9/{z}/{x}/{y}.png", "tile_crs": "gcj02"})
    stack = make_stack(tiled)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url())
    expect(page.locator("#wall-c-open")).to_have_text("0", timeout=15_000)
    assert page.locator(".leaflet-tile-pane img").count() > 0  # the tile layer is there
    town = county.townships()[2]
    Publisher(rclient, prefix=tiled.feed_prefix, source="gcj-test").publish("case.registered", {
        "case_no": "J-1", "title": "物业纠纷", "category": "0402", "source_channel": "grid",
        "township": town.code, "lat": town.lat, "lon": town.lon})
    page.wait_for_function("() => zhongshu.pins.markers.has('J-1')", timeout=10_000)
    lat, lon = page.evaluate("(() => { const p = zhongshu.pins.markers.get('J-1').marker.getLatLng();"
                             " return [p.lat, p.lng]; })()")
    want = wgs84_to_gcj02(town.lat, town.lon)
    assert abs(lat - round(want[0], 5)) < 1e-4 and abs(lon - want[1]) < 1e-4
    for wlat, wlon in ((39.908823, 116.39747), (27.8, 113.1), (22.5, 114.05)):
        js = page.evaluate(f"zhongshu.coords.toGcj({wlat}, {wlon})")
        py = wgs84_to_gcj02(wlat, wlon)
        assert abs(js[0] - py[0]) < 1e-9 and abs(js[1] - py[1]) < 1e-9
    page.close()
